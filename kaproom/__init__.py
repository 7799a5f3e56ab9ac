"""KAP Room: a quiet companion for the room where a ketamine-assisted psychotherapy session happens."""

#: The one place the version is written; pyproject.toml reads it from here (setuptools ``attr:``).
#: A literal rather than importlib.metadata, which costs 20-30 ms at every start of the app.
__version__ = "0.1.0"
