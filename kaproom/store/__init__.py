"""Storage: one SQLite file behind one small Store object."""
from kaproom.store.errors import (
    DatabaseCorrupt,
    DatabaseLocked,
    DatabaseReadOnly,
    DatabaseUnavailable,
    DiskFull,
    IndexMismatch,
    NotADatabase,
    NotFound,
    RecordUnreadable,
    SchemaTooNew,
    StoreError,
)
from kaproom.store.rows import SessionRow
from kaproom.store.store import DB_FILENAME, SessionLog, Store

__all__ = [
    "DB_FILENAME",
    "DatabaseCorrupt",
    "DatabaseLocked",
    "DatabaseReadOnly",
    "DatabaseUnavailable",
    "DiskFull",
    "IndexMismatch",
    "NotADatabase",
    "NotFound",
    "RecordUnreadable",
    "SchemaTooNew",
    "SessionLog",
    "SessionRow",
    "Store",
    "StoreError",
]
