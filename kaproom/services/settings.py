"""Clinic settings kept in ``settings.toml`` in the data folder.

A small hand-editable file because these are clinic decisions, not per-user preferences. A
broken or unknown value never stops the app: the default is used and a warning says which line.
Saving rewrites only our own keys and keeps every other line, so other features may keep their
settings in the same file.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from kaproom.domain.people import InputRefused

SETTINGS_FILENAME = "settings.toml"
CLIENT_IDENTIFIERS = ("code", "initials")
IDLE_MINUTES_RANGE = (1, 240)
#: Backups (kaproom.services.backup): generations kept, and the age after which the home page warns.
BACKUP_COUNT_RANGE = (0, 1000)
BACKUP_WARN_HOURS_RANGE = (1, 24 * 90)
#: Settings whose text keeps its case (a folder, public keys); other words are read in lower case.
CASE_KEPT = frozenset({"backup_to", "backup_recipients", "clinic_name", "clinic_phone", "on_call_phone"})
#: Paper and dates in printed documents ("" = from the computer's locale, see kaproom.services.paper).
PAPER_SIZES = ("letter", "a4")
DATE_FORMATS = ("iso", "us", "day-first")
#: The clinic's own words on the after-care sheet (one line each).
CLINIC_TEXTS = ("clinic_name", "clinic_phone", "on_call_phone")


@dataclass(frozen=True)
class ClinicSettings:
    #: How the client is named on screen and in the record: a clinic code (default) or initials.
    client_identifier: str = "code"
    #: After the privacy key, data entry on the room screen needs the therapist's PIN again.
    pin_to_unlock_entry: bool = False
    #: The review side locks after this many minutes without input.
    review_idle_minutes: int = 10
    #: The folder backups go to (a USB disk's folder, a mounted share); "" = no automatic backups.
    backup_to: str = ""
    #: The clinic's age public keys (age1...), separated by spaces: backups are encrypted to them.
    backup_recipients: str = ""
    backup_keep_daily: int = 14
    backup_keep_weekly: int = 8
    backup_keep_monthly: int = 24
    #: The home page warns when the last good backup is older than this.
    backup_warn_hours: int = 24
    #: Paper for every PDF: "letter" or "a4"; "" = from the computer's locale (US, Canada, Mexico... letter).
    paper_size: str = ""
    #: Dates in printed documents: "iso" (2026-03-02), "us" (03/02/2026), "day-first" (02/03/2026); "" = locale.
    date_format: str = ""
    #: On the after-care sheet: the clinic's name and phone, and the number to call out of hours.
    clinic_name: str = ""
    clinic_phone: str = ""
    on_call_phone: str = ""


HELP = {
    "client_identifier": 'how clients are named: "code" (clinic code, default) or "initials"',
    "pin_to_unlock_entry": "true: unlocking data entry after the privacy key needs the therapist's PIN",
    "review_idle_minutes": f"minutes without input before the review side locks ({IDLE_MINUTES_RANGE[0]}-"
                           f"{IDLE_MINUTES_RANGE[1]}, default 10)",
    "backup_to": 'the folder backups are written to, e.g. a USB disk\'s folder ("" = no automatic backups)',
    "backup_recipients": "the clinic's age public keys (age1...), separated by spaces; backups are encrypted to them",
    "backup_keep_daily": "daily backups kept (default 14)",
    "backup_keep_weekly": "weekly backups kept (default 8)",
    "backup_keep_monthly": "monthly backups kept (default 24)",
    "backup_warn_hours": "hours after which the home page warns that the last good backup is old (default 24)",
    "paper_size": 'paper for every PDF: "letter" or "a4" ("" = from the computer\'s locale)',
    "date_format": 'dates in printed documents: "iso" (2026-03-02), "us" (03/02/2026) or "day-first" '
                   '(02/03/2026) ("" = from the computer\'s locale)',
    "clinic_name": "the clinic's name, printed on the after-care sheet",
    "clinic_phone": "the clinic's phone number, printed on the after-care sheet",
    "on_call_phone": "the number a client calls out of hours, printed on the after-care sheet",
}


def check_value(key: str, value: Any) -> Any:
    """One setting's value, checked; ``InputRefused`` names the setting and what it accepts."""
    if key == "client_identifier":
        if value not in CLIENT_IDENTIFIERS:
            raise InputRefused(f"client_identifier: one of {', '.join(CLIENT_IDENTIFIERS)} (got {value!r}).")
        return value
    if key == "pin_to_unlock_entry":
        if not isinstance(value, bool):
            raise InputRefused(f"pin_to_unlock_entry: true or false (got {value!r}).")
        return value
    if key == "review_idle_minutes":
        low, high = IDLE_MINUTES_RANGE
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InputRefused(f"review_idle_minutes: a whole number from {low} to {high} (got {value!r}).")
        return value
    if key in ("backup_to", "backup_recipients"):
        return _check_backup_text(key, value)
    if key in ("paper_size", "date_format"):
        allowed = PAPER_SIZES if key == "paper_size" else DATE_FORMATS
        if value not in ("", *allowed):
            raise InputRefused(f"{key}: one of {', '.join(allowed)}, or \"\" for the computer's locale "
                               f"(got {value!r}).")
        return value
    if key in CLINIC_TEXTS:
        if not isinstance(value, str) or "\n" in value or "\x00" in value or len(value) > 120:
            raise InputRefused(f"{key}: one line of text, at most 120 characters (got {value!r}).")
        return value.strip()
    if key in ("backup_keep_daily", "backup_keep_weekly", "backup_keep_monthly", "backup_warn_hours"):
        low, high = BACKUP_WARN_HOURS_RANGE if key == "backup_warn_hours" else BACKUP_COUNT_RANGE
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InputRefused(f"{key}: a whole number from {low} to {high} (got {value!r}).")
        return value
    raise InputRefused(f"Unknown setting {key!r}; known: {', '.join(HELP)}.")


def _check_backup_text(key: str, value: Any) -> str:
    if not isinstance(value, str) or "\n" in value or "\x00" in value:
        raise InputRefused(f"{key}: one line of text (got {value!r}).")
    if key == "backup_recipients":
        words = re.split(r"[\s,;]+", value.strip())
        wrong = [word for word in words if word and not re.fullmatch(r"age1[02-9ac-hj-np-z]{58}", word)]
        if wrong:
            raise InputRefused(f"backup_recipients: age public keys (age1... , 62 characters each), separated by "
                               f"spaces (not one: {wrong[0][:20]!r}). `kaproom backup keygen` makes a key pair.")
        return " ".join(word for word in words if word)
    return value.strip()


def parse_value(key: str, text: str) -> Any:
    """A value typed at the command line (``true``, ``15``, ``initials``), checked."""
    if key not in HELP:
        return check_value(key, text)
    word = text.strip()
    default = getattr(ClinicSettings(), key)
    if isinstance(default, bool):
        value: Any = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}.get(
            word.lower(), word)
    elif isinstance(default, int):
        value = int(word) if re.fullmatch(r"[0-9]{1,6}", word) else word
    else:
        value = word if key in CASE_KEPT else word.lower()
    return check_value(key, value)


def load_settings(folder: Path) -> tuple[ClinicSettings, list[str]]:
    """The clinic's settings and warnings about anything in the file that was not usable."""
    path = Path(folder) / SETTINGS_FILENAME
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ClinicSettings(), []
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return ClinicSettings(), [f"{path}: could not be read ({exc}); the default settings are used."]
    settings, warnings = ClinicSettings(), []
    for item in fields(ClinicSettings):
        if item.name in data:
            try:
                settings = replace(settings, **{item.name: check_value(item.name, data[item.name])})
            except InputRefused as exc:
                warnings.append(f"{path}: {exc} The default ({getattr(ClinicSettings(), item.name)!r}) is used.")
    return settings, warnings


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def save_settings(folder: Path, settings: ClinicSettings) -> Path:
    """Write our keys (0600, via a temporary file and rename) and keep every other line."""
    path = Path(folder) / SETTINGS_FILENAME
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = ["# KAP Room clinic settings. `kaproom settings` shows and changes them."]
    first_table = next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")), len(lines))
    top, rest = lines[:first_table], lines[first_table:]
    for item in fields(ClinicSettings):
        text = f"{item.name} = {_toml_value(getattr(settings, item.name))}"
        pattern = re.compile(rf"^\s*{item.name}\s*=")
        for index, line in enumerate(top):
            if pattern.match(line):
                top[index] = text
                break
        else:
            top.append(f"# {HELP[item.name]}")
            top.append(text)
    body = "\n".join(top + rest) + "\n"
    tomllib.loads(body)  # never write a file we could not read back
    temporary = path.with_name(path.name + ".tmp")
    handle = os.open(temporary, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(body)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
    return path
