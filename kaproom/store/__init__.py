"""Storage: one SQLite file behind one small Store object."""
from .errors import (DatabaseCorrupt, DatabaseLocked, DatabaseReadOnly, DatabaseUnavailable, DiskFull,
                     NotADatabase, NotFound, RecordUnreadable, SchemaTooNew, StoreError)
from .store import DB_FILENAME, SessionLog, SessionRow, Store

__all__ = ["Store", "SessionLog", "SessionRow", "DB_FILENAME", "StoreError", "DatabaseLocked",
           "DatabaseReadOnly", "DiskFull", "NotADatabase", "DatabaseCorrupt", "DatabaseUnavailable",
           "SchemaTooNew", "NotFound", "RecordUnreadable"]
