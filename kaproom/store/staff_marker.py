"""A small file beside the database that says this data folder has had staff accounts.

Sign-in is required as soon as a clinic has staff, and not before (a fresh install, the demo).
Were that decided by the users table alone, deleting every account and audit entry from the
database would silently turn a clinic's data folder into one that anybody may use. So the first
account also writes ``kaproom.staff`` next to the database, and the store refuses to treat a
folder with that file and no accounts as one without sign-in (:class:`StaffMissing`).

Limits, said plainly: the marker is a file in the same folder. Whoever deletes the accounts and
the marker too (root, or anyone with write access to the folder) still gets an open install;
backups and the clinic server, which hold the audit log's head, are what show that afterwards.
Removing the marker by hand is also how a clinic knowingly stops using sign-in on a computer.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from kaproom.store.errors import StoreError

MARKER_NAME = "kaproom.staff"


class StaffMissing(StoreError):
    """The folder had staff accounts, and the database has none now."""


def marker_path(database: Path) -> Path:
    return Path(database).parent / MARKER_NAME


def has_marker(database: Path) -> bool:
    return marker_path(database).exists()


def read_marker(database: Path) -> str:
    """When the first account was made here, as the marker says ('' if it cannot be read)."""
    try:
        data = json.loads(marker_path(database).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    return str(data.get("staff_since", "")) if isinstance(data, dict) else ""


def write_marker(database: Path, staff_since: str) -> None:
    """Write the marker (readable by its owner only) once; never fails the caller: a read-only
    folder keeps working, without this safeguard."""
    path = marker_path(database)
    if path.exists():
        return
    text = json.dumps({"staff_since": staff_since, "database": Path(database).name,
                       "meaning": "This data folder has staff accounts: KAP Room requires sign-in here."}, indent=1)
    temporary = path.with_name(f".{MARKER_NAME}.{os.getpid()}.part")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError:
        try:
            temporary.unlink()
        except OSError:
            pass


def missing_staff_message(database: Path) -> str:
    since = read_marker(database)
    return (f"This data folder has had staff accounts{f' (since {since})' if since else ''}, but its database "
            f"{database} has none now: they were removed outside KAP Room, or the database was replaced. KAP Room "
            "will not run this folder without sign-in. Nothing was changed. Restore the last backup and tell your "
            f"supervisor. (If the clinic really means to stop using sign-in here, an administrator deletes "
            f"{marker_path(database)} by hand.)")
