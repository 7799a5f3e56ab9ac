"""What the store checks each time it opens the file, kept apart from the migrations themselves.

Opening an up-to-date database needs only these two names; the migrations (and sqlite-utils,
about 40 ms to import) are loaded only when the file is new or older than this version.
"""

#: The number of migrations in :mod:`kaproom.store.migrations`; also ``PRAGMA user_version``.
SCHEMA_VERSION = 8
#: Where sqlite-utils' Migrations records what it applied.
MIGRATIONS_TABLE = "_sqlite_migrations"
