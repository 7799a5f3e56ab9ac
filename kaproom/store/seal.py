"""Whether the database file is exactly as KAP Room left it when it last closed cleanly.

SQLite's ``quick_check`` reads every page of the file: about 0.75 ms per MB with the file in
memory, far more from a disk after a reboot. A clinic's record grows by tens of MB a year, so
checking at every start would make every start slower, year by year. Damage comes from a stop in
the middle of writing (a crash, a power cut) or from something else writing to the file. So on a
clean close the Store writes a seal beside the database (its size and modification time to the
nanosecond, and when it was last fully checked); at the next open the full check runs only if
the file no longer matches the seal, a write-ahead log was left behind, there is no seal, or the
last full check is more than ``FULL_CHECK_EVERY`` old.

The seal is not a security measure (the hash chain is): it only saves a check of SQLite's own
structure when nothing can have touched the file.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

#: A full check at least this often, even of a file that was always closed cleanly.
FULL_CHECK_EVERY = timedelta(days=7)


@dataclass(frozen=True)
class Seal:
    size: int
    mtime_ns: int
    checked_at: datetime  # when SQLite's full check last passed

    def matches(self, stat: os.stat_result) -> bool:
        return (stat.st_size, stat.st_mtime_ns) == (self.size, self.mtime_ns)


def seal_path(database: Path) -> Path:
    return database.with_name(database.name + ".checked")


def read_seal(database: Path) -> Seal | None:
    """The seal, or None if there is none or it cannot be read (then the file is checked)."""
    try:
        data = json.loads(seal_path(database).read_text(encoding="utf-8"))
        checked = datetime.fromisoformat(str(data["checked_at"]))
        if checked.tzinfo is None:
            return None
        return Seal(int(data["size"]), int(data["mtime_ns"]), checked)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def needs_full_check(database: Path, stat: os.stat_result, now: datetime | None = None) -> tuple[bool, Seal | None]:
    """(whether to run the full check, the seal found): see the module's docstring."""
    seal = read_seal(database)
    if seal is None or not seal.matches(stat):
        return True, seal
    wal = database.with_name(database.name + "-wal")
    try:
        if wal.stat().st_size > 0:
            return True, seal  # left by a stop before the log was written into the file
    except OSError:
        pass
    now = now or datetime.now(UTC)
    return not (timedelta(0) <= now - seal.checked_at < FULL_CHECK_EVERY), seal


def write_seal(database: Path, checked_at: datetime) -> None:
    """Record the closed file as it is now. Best effort: without a seal the next open checks."""
    target = seal_path(database)
    try:
        stat = database.stat()
        text = json.dumps({"size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
                           "checked_at": checked_at.astimezone(UTC).isoformat()})
        temporary = target.with_name(target.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, target)
    except OSError:
        forget_seal(database)


def forget_seal(database: Path) -> None:
    """The file is being changed: until the next clean close, a start must check it."""
    try:
        seal_path(database).unlink()
    except OSError:
        pass
