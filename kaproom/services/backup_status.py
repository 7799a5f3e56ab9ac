"""What the home page and the automatic backup know of backups, without loading the backup code.

The outcome of every backup (good or not) is kept in ``backup-status.json`` in the data folder;
the home page reads it to say, calmly, when the last good backup was made and where, and warns
when it is older than the clinic's limit or the last try failed. This module loads no
encryption and no archive code: the home page opens with it.
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kaproom.domain.clock import from_iso, to_iso
from kaproom.services.settings import ClinicSettings, load_settings
from kaproom.store.last_backup import STATUS_FILENAME

#: An automatic backup that takes longer than this is stopped (and recorded as failed).
AUTO_TIMEOUT_SECONDS = 30 * 60


def record_status(folder: Path, *, ok: bool, message: str, destination: str = "", good_file: str = "",
                  good_at: str = "", now: datetime | None = None) -> None:
    """Keep the outcome of a backup (best effort: a status never stops anything)."""
    path = Path(folder) / STATUS_FILENAME
    data = read_status(folder)
    moment = to_iso(now or datetime.now(UTC))
    data["last_attempt"] = {"at": moment, "ok": ok, "message": message, "destination": destination}
    if ok and good_file:
        data["last_good"] = {"at": good_at or moment, "file": good_file,
                             "destination": str(Path(good_file).parent), "checked_at": moment}
    temporary = path.with_name(path.name + ".tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(data, indent=1) + "\n")
        os.replace(temporary, path)
    except OSError:
        pass


def read_status(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((Path(folder) / STATUS_FILENAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class BackupStatus:
    level: str  # "off" (not set up), "good", "old" or "failing"
    text: str


def _when(moment: datetime, now: datetime) -> str:
    local, today = moment.astimezone(), now.astimezone().date()
    if local.date() == today:
        return f"today {local.strftime('%H:%M')}"
    if local.date() == today - timedelta(days=1):
        return f"yesterday {local.strftime('%H:%M')}"
    return local.strftime("%d %b %Y %H:%M")


def backup_status(folder: Path, settings: ClinicSettings, now: datetime | None = None) -> BackupStatus:
    """The home page's backup line: see the module's docstring."""
    now = now or datetime.now(UTC)
    status = read_status(folder)
    good, attempt = status.get("last_good") or {}, status.get("last_attempt") or {}
    try:
        last_good = from_iso(str(good["at"])) if good.get("at") else None
    except (TypeError, ValueError):
        last_good = None
    if not settings.backup_to and last_good is None:
        return BackupStatus("off", "Backups are not set up yet: an admin sets the backup folder and the clinic's "
                                   "keys (kaproom backup --help).")
    said_good = (f"Last good backup: {_when(last_good, now)}, in {good.get('destination', '?')}."
                 if last_good is not None else "No good backup has been made yet.")
    if attempt and not attempt.get("ok"):
        when = ""
        try:
            when = f" ({_when(from_iso(str(attempt['at'])), now)})"
        except (KeyError, TypeError, ValueError):
            pass
        return BackupStatus("failing", f"The last backup{when} could not be made: {attempt.get('message', '')} "
                                       f"{said_good}")
    if last_good is None:
        return BackupStatus("old", "No backup has been made yet: the first is made when the next session ends, "
                                   "or with `kaproom backup`.")
    if now - last_good > timedelta(hours=settings.backup_warn_hours):
        return BackupStatus("old", f"{said_good} That is more than {settings.backup_warn_hours} hours ago: "
                                   "check the backup disk, or run `kaproom backup`.")
    return BackupStatus("good", said_good)


def home_status(folder: Path, now: datetime | None = None) -> BackupStatus:
    """The home page's line for the data folder, with the clinic's settings."""
    return backup_status(folder, load_settings(folder)[0], now)


def due_today(folder: Path, settings: ClinicSettings, now: datetime | None = None) -> bool:
    """Whether the first start of the day should make a backup (set up, and none tried today)."""
    if not settings.backup_to:
        return False
    attempt = read_status(folder).get("last_attempt") or {}
    try:
        last = from_iso(str(attempt["at"]))
    except (KeyError, TypeError, ValueError):
        return True
    return last.astimezone().date() != (now or datetime.now(UTC)).astimezone().date()


def auto_backup_command(folder: Path) -> list[str]:
    """The command line of the automatic backup's own process (the frozen app is its own command)."""
    head = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "kaproom"]
    return [*head, "backup", "--auto", "--data-dir", str(folder)]
