"""Notice when the database file is deleted, moved or replaced under a running app.

SQLite keeps writing into a file that was deleted or renamed away while it is open: every entry
would then look saved and vanish when the app closes. Before each write the Store asks the guard
whether the path still names the very file (and write-ahead log) it opened. If not, nothing more
is written, a rescue copy of everything saved so far is made from the still-open connection, the
write-ahead log is emptied into the old file, and the message says where the copy is.

A file copied over the open database (``cp old.sqlite3 kaproom.sqlite3``) keeps its inode, so the
guard also remembers the file's size and times after each of our own writes. If they changed
and no other SQLite connection committed meanwhile (``PRAGMA data_version``), another program
wrote the file: nothing more is written, no rescue is attempted (what SQLite would read now
mixes the two files), the log is not emptied into that file, and the "checked" seal is not
written at close, so the next start checks the file in full.
"""
from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from pathlib import Path

from kaproom.store.errors import DatabaseUnavailable
from kaproom.store.last_backup import restore_advice


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """Size and times: any write to the file changes its ctime, which no program can set back."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns, info.st_ctime_ns


def _data_version(conn: sqlite3.Connection) -> int | None:
    try:
        return int(conn.execute("PRAGMA data_version").fetchone()[0])
    except sqlite3.Error:
        return None


class FileGuard:
    """Remembers which file (device, inode) the database and its WAL were when opened."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.wal = path.with_name(path.name + "-wal")
        self._db = _identity(path)
        self._wal = _identity(self.wal)
        self.rescued: Path | None = None
        self.rescue_error = ""
        self.written_behind = False  # another program wrote the file in place (see the module's docstring)
        self._stamp = _stamp(path)
        self._version: int | None = None

    def note_own_write(self, conn: sqlite3.Connection) -> None:
        """After our own commit (which may have moved the log into the file): the file as we left it."""
        self._stamp = _stamp(self.path)
        self._version = _data_version(conn)

    def _changed_behind(self, conn: sqlite3.Connection) -> bool:
        if self.written_behind:
            return True
        stamp = _stamp(self.path)
        if stamp == self._stamp or self._version is None:
            return False
        version = _data_version(conn)
        if version != self._version:  # another KAP Room process committed (and may have checkpointed)
            self._stamp, self._version = stamp, version
            return False
        self.written_behind = True
        return True

    def untouched(self, conn: sqlite3.Connection) -> bool:
        """The path still names the file opened, and nothing but SQLite wrote it since."""
        return self.still_ours() and not self._changed_behind(conn)

    def still_ours(self) -> bool:
        if _identity(self.path) != self._db:
            return False
        return self._wal is None or _identity(self.wal) == self._wal

    def check(self, conn: sqlite3.Connection, action: str) -> None:
        """Raise DatabaseUnavailable (after a rescue copy) if the file is no longer the one opened."""
        if self._db is None:
            return
        if self.still_ours():
            if self._changed_behind(conn):
                raise DatabaseUnavailable(
                    f"Could not {action}: the database file {self.path} was written by another program while "
                    "KAP Room had it open (for example copied over with cp), so nothing more is written to it. "
                    f"What you typed is kept. Close KAP Room and keep a copy of the data folder as it is; then "
                    f"`kaproom verify` says whether the record is intact; if it is not, {restore_advice(self.path)}.")
            return
        if self.rescued is None and not self.rescue_error:
            self._rescue(conn)
            if self.rescued is not None:
                self._drain_log(conn)
        if self.rescued is not None:
            saved = (f"Everything saved until now was copied to {self.rescued}. Close KAP Room, put that copy "
                     f"back as {self.path} (or restore the original), and open KAP Room again.")
        else:
            saved = (f"A rescue copy could not be written ({self.rescue_error}). Keep this window open and get "
                     "help: what was saved can still be read here.")
        raise DatabaseUnavailable(
            f"Could not {action}: the database file {self.path} was deleted, moved or replaced while KAP Room "
            f"was running, so nothing more is written to it. What you typed is kept. {saved}")

    def _rescue(self, conn: sqlite3.Connection) -> None:
        folder = self.path.parent if self.path.parent.is_dir() else Path.home()
        target = folder / f"kaproom-rescued-{datetime.now().strftime('%Y%m%d-%H%M%S')}.sqlite3"
        try:
            old_umask = os.umask(0o077)  # health records: readable by this user only
            try:
                conn.execute("VACUUM INTO ?", (str(target),))
            finally:
                os.umask(old_umask)
            self.rescued = target
        except (sqlite3.Error, OSError) as exc:
            self.rescue_error = str(exc) or type(exc).__name__

    @staticmethod
    def _drain_log(conn: sqlite3.Connection) -> None:
        """Move our write-ahead log into our own (old) file and empty it: a log left under the old
        name would be read as part of whatever file now has that name."""
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except sqlite3.Error:
            pass
