"""Paper and dates for printed documents: the clinic's settings, or the computer's locale.

Most KAP clinics are in the United States and print on Letter; most of the rest of the world on
A4. With ``paper_size`` unset the paper follows the locale's territory (LC_PAPER, then LC_ALL
and LANG, as the C library reads them): the territories that use Letter, as glibc's locale data
has them, get Letter, every other one A4. Dates follow ``date_format`` the same way: the United
States month-first, everywhere else ISO (2026-03-02), which no reader misreads.
"""
from __future__ import annotations

import locale
import os
from collections.abc import Mapping
from datetime import datetime

from kaproom.domain.clock import from_iso
from kaproom.services.settings import ClinicSettings

#: Territories whose paper is Letter (glibc's LC_PAPER data): the Americas that use it, and the Philippines.
LETTER_TERRITORIES = frozenset({"US", "CA", "MX", "PR", "CL", "CO", "CR", "GT", "NI", "PA", "SV", "DO", "VE",
                                "PH", "BZ", "BO", "PE", "EC", "HN", "UY", "PY"})
MONTH_FIRST_TERRITORIES = frozenset({"US", "PR"})
DATE_PATTERNS: Mapping[str, str] = {"iso": "%Y-%m-%d", "us": "%m/%d/%Y", "day-first": "%d/%m/%Y"}


def system_territory(environ: Mapping[str, str] | None = None) -> str:
    """'US' for en_US.UTF-8: the territory of the locale that decides paper, or '' when none says
    (the C and POSIX locales have no territory, whatever Python's locale module makes of them)."""
    env = os.environ if environ is None else environ
    for name in ("LC_PAPER", "LC_ALL", "LANG"):
        value = env.get(name, "")
        if value:
            return "" if value in ("C", "POSIX") or value.startswith("C.") else _territory(value)
    if environ is None:  # no variable says: what the process's locale was set to, if anything
        try:
            found = locale.setlocale(locale.LC_CTYPE)
        except locale.Error:
            found = ""
        return "" if found in ("C", "POSIX") or found.startswith("C.") else _territory(found)
    return ""


def _territory(name: str) -> str:
    head = name.split(".", 1)[0].split("@", 1)[0]
    return head.split("_", 1)[1].upper() if "_" in head else ""


def paper_size(settings: ClinicSettings, territory: str | None = None) -> str:
    """'letter' or 'a4': the clinic's setting, else the locale's."""
    if settings.paper_size:
        return settings.paper_size
    where = system_territory() if territory is None else territory
    return "letter" if where in LETTER_TERRITORIES else "a4"


def date_format(settings: ClinicSettings, territory: str | None = None) -> str:
    """'iso', 'us' or 'day-first': the clinic's setting, else the locale's."""
    if settings.date_format:
        return settings.date_format
    where = system_territory() if territory is None else territory
    return "us" if where in MONTH_FIRST_TERRITORIES else "iso"


def format_date(moment: datetime, style: str) -> str:
    return moment.strftime(DATE_PATTERNS.get(style, DATE_PATTERNS["iso"]))


def wall_date(text: str | None, style: str, *, with_time: bool = True, with_seconds: bool = False) -> str:
    """A stored UTC time as local date (and time) in the clinic's format: '03/02/2026 14:05'."""
    if not text:
        return ""
    try:
        moment = from_iso(text).astimezone()
    except ValueError:
        return str(text)
    clock = moment.strftime(" %H:%M:%S" if with_seconds else " %H:%M") if with_time else ""
    return format_date(moment, style) + clock
