"""KAP Room: a quiet companion for the room where a ketamine-assisted psychotherapy session happens."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kaproom")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.1.0"
