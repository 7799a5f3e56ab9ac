"""What an error message says about backups: the real command, and the last good backup.

The backup itself is :mod:`kaproom.services.backup`; it records its outcome in
``backup-status.json`` in the data folder. Messages about a damaged or replaced database read
that file here (the store cannot import the services), so they name the last backup there is.
"""
from __future__ import annotations

import json
from pathlib import Path

STATUS_FILENAME = "backup-status.json"
RESTORE_COMMAND = "kaproom restore BACKUP --identity KEYFILE"


def last_good_backup(folder: Path) -> str:
    """The last good backup's file (and when it was made), or '' if none is known."""
    try:
        data = json.loads((Path(folder) / STATUS_FILENAME).read_text(encoding="utf-8"))
        good = data["last_good"]
        return f"{good['file']} (made {str(good['at'])[:16].replace('T', ' ')} UTC)"
    except (OSError, ValueError, TypeError, KeyError):
        return ""


def restore_advice(database: Path | str) -> str:
    """``Restore the last backup with `kaproom restore ...` (the last one: FILE).``"""
    last = last_good_backup(Path(database).parent)
    where = (f"; the last good backup is {last}" if last else
             "; `kaproom backup list --to DIR` lists the backups in a backup folder")
    return f"restore the last backup with `{RESTORE_COMMAND}`{where}"
