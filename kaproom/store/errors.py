"""Store errors, each with a message a therapist can act on.

SQLite's own messages ("database is locked", "disk I/O error") mean little in a clinic room;
these say what happened, that nothing was changed, and what to do.
"""
from __future__ import annotations

import errno
import sqlite3

from kaproom.store.last_backup import restore_advice


class StoreError(RuntimeError):
    """Base class: ``str(error)`` is the message to show."""


class RefusedByRule(StoreError):
    """Nothing was written because a rule refused what was asked (the stock register's rules):
    ``str(error)`` names the rule. Said as a refusal, not as a failure to save."""


class DatabaseLocked(StoreError):
    pass


class DatabaseReadOnly(StoreError):
    pass


class DiskFull(StoreError):
    pass


class NotADatabase(StoreError):
    pass


class DatabaseCorrupt(StoreError):
    pass


class DatabaseUnavailable(StoreError):
    """The file cannot be opened or has vanished."""


class SchemaTooNew(StoreError):
    pass


class NotFound(StoreError):
    pass


class AppendOnlyViolation(StoreError):
    pass


class IndexMismatch(StoreError):
    """A session's line in the sessions table says what its hashed events do not: edited outside KAP Room."""


class RecordUnreadable(StoreError):
    """A session's stored events cannot be folded into its state: edited outside KAP Room."""


def translate(exc: BaseException, path: str, action: str) -> StoreError:
    """Turn a sqlite3/OS error into the StoreError a person can act on."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    # An OSError's str() includes the file name: a folder called "locked" must not read as a lock.
    text = str(exc.strerror if isinstance(exc, OSError) and exc.strerror else exc).lower()
    os_errno = getattr(exc, "errno", None)
    if name.startswith("SQLITE_BUSY") or name.startswith("SQLITE_LOCKED") or "locked" in text:
        return DatabaseLocked(
            f"Could not {action}: the database {path} is locked by another program. Nothing was lost; "
            "what you typed is kept. Close the other program (or the other KAP Room window) and try again.")
    if name.startswith("SQLITE_FULL") or "disk is full" in text \
            or os_errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return DiskFull(
            f"Could not {action}: the disk holding {path} is full. Nothing was lost; what you typed is kept. "
            "Free some space, then save again.")
    if name.startswith("SQLITE_READONLY") or "readonly" in text or "read-only" in text \
            or os_errno in (errno.EROFS, errno.EACCES):
        return DatabaseReadOnly(
            f"Could not {action}: the database {path} or its folder is read-only. What you typed is kept. "
            "Check the folder's permissions or free the file, then save again.")
    if name.startswith("SQLITE_NOTADB") or "not a database" in text:
        return NotADatabase(
            f"{path} is not a KAP Room database (it is not an SQLite file). It was left untouched. "
            "Move it aside or choose another data folder with --data-dir.")
    if name.startswith("SQLITE_CORRUPT") or "malformed" in text:
        return DatabaseCorrupt(
            f"The database {path} is damaged ({exc}). It was left untouched, not repaired. "
            f"Keep a copy of the file and {restore_advice(path)}. `kaproom verify` shows what is intact.")
    if name in ("SQLITE_IOERR_WRITE", "SQLITE_IOERR_FSYNC", "SQLITE_IOERR_TRUNCATE"):
        # SQLite says "full" only for ENOSPC; a quota or a file-size limit gives a bare write error.
        return DatabaseUnavailable(
            f"Could not {action}: writing to {path} failed: the disk may be full, over its quota, or "
            "disconnected. Nothing was lost; what you typed is kept. Free some space or reconnect the disk, "
            "then save again.")
    if name.startswith("SQLITE_CANTOPEN") or name.startswith("SQLITE_IOERR") or isinstance(exc, OSError):
        return DatabaseUnavailable(
            f"Could not {action}: the database {path} cannot be reached ({exc}). What you typed is kept. "
            "Check that the data folder still exists and the disk is connected.")
    if isinstance(exc, sqlite3.IntegrityError) and "append-only" in text:
        return AppendOnlyViolation(
            "The session record is append-only: events cannot be changed or deleted. Add an amendment instead.")
    return StoreError(f"Could not {action}: {exc}")
