"""Vitals check-ins: reading what the therapist typed, refusing what cannot be true, and the
stored payload with its per-value statuses and NEWS2.

A typing slip on a monitor reading ("400" for a pulse of 40) must never enter a clinical record,
so every field is parsed from text against the protocol's possible ranges, and the message names
the field and the range. A field left empty means "not taken": it is never filled in by the app.
Nothing here raises on any input; problems come back as messages keyed by field.

The values of a check-in (:class:`Reading`) and the names, labels and units of its fields live in
:mod:`kaproom.domain.vitals_reading`; the rules (ok / caution / urgent) in
:mod:`kaproom.domain.vitals_rules`; NEWS2 in :mod:`kaproom.domain.news2`. This module is the stable
entry point for them all: its ``__all__`` re-exports what callers use.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from kaproom.domain.events import JSONDict, JSONMapping
from kaproom.domain.news2 import ADVISORY as NEWS2_ADVISORY
from kaproom.domain.news2 import News2, news2
from kaproom.domain.protocol_settings import DEFAULT_ALERTS, DEFAULT_RANGES
from kaproom.domain.vitals_reading import (
    CORE_FIELDS,
    LABELS,
    MOAAS,
    NAUSEA,
    NUMBER_FIELDS,
    UNITS,
    WHOLE_NUMBER_FIELDS,
    Reading,
)
from kaproom.domain.vitals_rules import Status, alert_payloads, assess

__all__ = [
    "BASELINE_NEEDS",
    "CORE_FIELDS",
    "LABELS",
    "MOAAS",
    "NAUSEA",
    "NEWS2_ADVISORY",
    "NUMBER_FIELDS",
    "UNITS",
    "Baseline",
    "CheckIn",
    "News2",
    "ParseResult",
    "Reading",
    "Status",
    "acknowledged_alerts",
    "baseline_check_in",
    "baseline_of",
    "baseline_reading",
    "check_in",
    "news2",
    "parse_vitals",
    "reading_from_payload",
]

_UNIT_SUFFIXES = {"systolic": ("mmhg",), "diastolic": ("mmhg",), "pulse": ("bpm", "/min"), "spo2": ("%",),
                  "respiratory_rate": ("/min", "bpm"), "temperature": ("°c", "ºc", "c", "°")}

_NUMBER = re.compile(r"\+?([0-9]{1,6})(?:[.,]([0-9]{1,6}))?", re.ASCII)
_NEGATIVE = re.compile(r"[-−–]\s*[0-9]", re.ASCII)
_MOAAS = re.compile(r"([0-9]{1,3})(?:\s*[·:\-–]\s*.*)?", re.ASCII | re.DOTALL)
_TRUE = {"yes", "true", "1", "on", "y"}
_FALSE = {"", "no", "false", "0", "off", "n", "none"}


@dataclass(frozen=True)
class ParseResult:
    """Either a reading, or messages by field; ``filled`` holds texts the form should now show
    (after "128/84" typed into the BP field, systolic "128" and diastolic "84")."""

    reading: Reading | None
    errors: Mapping[str, str] = field(default_factory=dict)
    filled: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.reading is not None and not self.errors


def _range_text(name: str, ranges: Mapping[str, tuple[float, float]]) -> str:
    low, high = ranges.get(name, DEFAULT_RANGES[name])
    return f"{low:g}–{high:g} {UNITS[name]}"


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 24 else text[:23] + "…"


def _parse_number(name: str, raw: str, ranges: Mapping[str, tuple[float, float]]) -> tuple[float | None, str]:
    """(value, "") or (None, message); an empty text is (None, "")."""
    label = LABELS[name]
    text = raw.strip().lower()
    for suffix in _UNIT_SUFFIXES[name]:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)].strip()
            break
    if not text:
        return None, ""
    if _NEGATIVE.match(text):
        return None, f"{label} cannot be negative; allowed {_range_text(name, ranges)}"
    match = _NUMBER.fullmatch(text)
    if match is None:
        return None, f"{label}: '{_clip(raw)}' is not a number; allowed {_range_text(name, ranges)}"
    whole, fraction = match.group(1), match.group(2) or ""
    if name in WHOLE_NUMBER_FIELDS and fraction.strip("0"):
        return None, f"{label} is a whole number; allowed {_range_text(name, ranges)}"
    value = float(f"{whole}.{fraction or '0'}")
    low, high = ranges.get(name, DEFAULT_RANGES[name])
    if not low <= value <= high:
        hint = " (enter °C, not °F)" if name == "temperature" and 86 <= value <= 110 else ""
        return None, f"{label} {value:g} is not possible; allowed {_range_text(name, ranges)}{hint}"
    return (int(value) if name in WHOLE_NUMBER_FIELDS else value), ""


def _split_bp(texts: dict[str, str], errors: dict[str, str], filled: dict[str, str]) -> None:
    """"128/84" in either BP field fills both, unless the other field says something else."""
    for here in ("systolic", "diastolic"):
        text = texts[here]
        if "/" not in text:
            continue
        top, _, bottom = text.partition("/")
        top, bottom = top.strip(), bottom.strip()
        if here == "diastolic" and texts["systolic"].strip() and texts["systolic"].strip() != top:
            errors["diastolic"] = "Type blood pressure as 128/84 in one field, or one number in each"
            return
        if here == "systolic" and texts["diastolic"].strip() and texts["diastolic"].strip() != bottom:
            errors["diastolic"] = (f"Blood pressure typed as {_clip(text)} but the diastolic field says "
                                   f"{_clip(texts['diastolic'])}; keep one")
            return
        texts["systolic"], texts["diastolic"] = top, bottom
        filled["systolic"], filled["diastolic"] = top, bottom
        return


def parse_vitals(texts: Mapping[str, object], ranges: Mapping[str, tuple[float, float]] | None = None) -> ParseResult:
    """Parse a check-in typed as text; never raises. Unknown keys are ignored."""
    try:
        return _parse(texts, dict(DEFAULT_RANGES) | dict(ranges or {}))
    except Exception as exc:  # noqa: BLE001 - a bug here must not lose the form; say so instead
        return ParseResult(None, {"form": f"This check-in could not be read ({type(exc).__name__}); nothing was saved"})


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _parse(source: Mapping[str, object], ranges: Mapping[str, tuple[float, float]]) -> ParseResult:
    texts = {name: _text(source.get(name)) for name in NUMBER_FIELDS + ("moaas", "nausea", "comment")}
    errors: dict[str, str] = {}
    filled: dict[str, str] = {}
    _split_bp(texts, errors, filled)
    values: dict[str, Any] = {}
    for name in NUMBER_FIELDS:
        if name in errors:
            continue
        value, message = _parse_number(name, texts[name], ranges)
        if message:
            errors[name] = message
        values[name] = value
    if values.get("systolic") is not None and values.get("diastolic") is not None \
            and values["diastolic"] >= values["systolic"] and "diastolic" not in errors:
        errors["diastolic"] = (f"Diastolic {values['diastolic']} must be below systolic {values['systolic']}; "
                               f"allowed {_range_text('diastolic', ranges)}")
    values["moaas"] = _parse_moaas(texts["moaas"], errors)
    nausea = texts["nausea"].strip().lower()
    if nausea and nausea not in NAUSEA:
        errors["nausea"] = f"Nausea: '{_clip(texts['nausea'])}' is not one of none, mild, moderate, severe"
    values["nausea"] = nausea if nausea in NAUSEA else None
    oxygen = source.get("supplemental_oxygen", False)
    if isinstance(oxygen, bool):
        values["supplemental_oxygen"] = oxygen
    elif _text(oxygen).strip().lower() in _TRUE | _FALSE:
        values["supplemental_oxygen"] = _text(oxygen).strip().lower() in _TRUE
    else:
        errors["supplemental_oxygen"] = "Oxygen: answer yes or no"
    values["comment"] = texts["comment"].strip()
    if errors:
        return ParseResult(None, errors, filled)
    reading = Reading(**values)
    if reading.empty:
        return ParseResult(None, {"form": "Nothing to save: type at least one reading (a comment alone "
                                          "belongs in the log)"}, filled)
    return ParseResult(reading, {}, filled)


def _parse_moaas(text: str, errors: dict[str, str]) -> int | None:
    text = text.strip()
    if not text:
        return None
    match = _MOAAS.fullmatch(text)
    if match is None or int(match.group(1)) not in MOAAS:
        errors["moaas"] = f"MOAA/S: '{_clip(text)}' is not a level; choose 0 to 5 (5 = {MOAAS[5]})"
        return None
    return int(match.group(1))


# ----------------------------------------------------------------------------- stored check-ins

def reading_from_payload(payload: JSONMapping) -> Reading:
    """A stored vitals payload back as a Reading; unreadable values count as not taken."""
    values: dict[str, Any] = {}
    for item in fields(Reading):
        raw = payload.get(item.name)
        if item.name in WHOLE_NUMBER_FIELDS + ("moaas",):
            number = _finite(raw)
            values[item.name] = int(number) if number is not None else None
        elif item.name == "temperature":
            values[item.name] = _finite(raw)
        elif item.name == "nausea":
            values[item.name] = raw if raw in NAUSEA else None
        elif item.name == "supplemental_oxygen":
            values[item.name] = raw is True
        else:
            values[item.name] = raw if isinstance(raw, str) else ""
    return Reading(**values)


def _finite(raw: object) -> float | None:
    """A stored number, or None for anything else (text, NaN, infinity, 1e400 from an imported file)."""
    if not isinstance(raw, (int, float)) or isinstance(raw, bool):
        return None
    try:
        number = float(raw)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


#: What a check before the dose must hold to be *the* baseline: the values the comparisons after the
#: dose need (the +20 % systolic alert, "back near baseline" at discharge). A partial pre-dose check
#: without blood pressure is a check, never the baseline.
BASELINE_NEEDS: tuple[str, ...] = ("systolic",)


@dataclass(frozen=True)
class Baseline:
    """The baseline check-in: its place in the history (recorded order), its time and its values."""

    place: int
    at: float
    reading: Reading


def baseline_of(history: Sequence[tuple[float, object]], dose_time: float | None) -> int | None:
    """The one definition of the baseline, for the room, the review, the PDF and the alerts: the
    place (in ``history``, (session time, check) in recorded order) of the last check taken before
    the dose (or at its second) with every value in BASELINE_NEEDS. None before a dose, or with no
    such check. A check is anything with those values as attributes (a Reading, a report row)."""
    if dose_time is None:
        return None
    return next((index for index in range(len(history) - 1, -1, -1) if history[index][0] <= dose_time
                 and all(getattr(history[index][1], name, None) is not None for name in BASELINE_NEEDS)), None)


def baseline_check_in(history: Sequence[tuple[float, Reading]], dose_time: float | None) -> Baseline | None:
    """The baseline check-in (see baseline_of) with its time and values, or None."""
    place = baseline_of(history, dose_time)
    if place is None:
        return None
    at, reading = history[place]
    return Baseline(place, at, reading)


def baseline_reading(history: Sequence[tuple[float, Reading]], dose_time: float | None) -> Reading | None:
    """The baseline check's values (see baseline_of); None when there is none."""
    found = baseline_check_in(history, dose_time)
    return found.reading if found is not None else None


def acknowledged_alerts(payload: JSONMapping) -> list[int]:
    """The alert events (their seqs) one ``alert_ack`` covers: ``alert_seqs`` (one acknowledgement
    of a whole alert line), or the single ``alert_seq`` of records written before that."""
    seqs = payload.get("alert_seqs")
    listed = seqs if isinstance(seqs, list) else [payload.get("alert_seq")]
    return [seq for seq in listed if isinstance(seq, int) and not isinstance(seq, bool)]


@dataclass(frozen=True)
class CheckIn:
    """A validated reading with its statuses and NEWS2, ready to record."""

    reading: Reading
    statuses: Mapping[str, Status]
    news: News2 | None
    pre_dose: bool

    def payload(self) -> JSONDict:
        """The stored vitals payload (see ``Kind`` in :mod:`kaproom.domain.events`)."""
        r = self.reading
        payload: JSONDict = {name: getattr(r, name) for name in NUMBER_FIELDS}
        payload.update(moaas=r.moaas, nausea=r.nausea, supplemental_oxygen=r.supplemental_oxygen,
                       comment=r.comment, partial=r.partial, pre_dose=self.pre_dose,
                       statuses={name: {"level": s.level, "reason": s.reason} for name, s in self.statuses.items()})
        if self.news is not None:
            payload["news2"] = self.news.as_payload()
        return payload

    def alerts(self, source_seq: int | None = None) -> list[JSONDict]:
        """One ``alert`` payload per value at caution or urgent."""
        return alert_payloads(self.reading, self.statuses, source_seq)

    @property
    def level(self) -> str:
        levels = [s.level for s in self.statuses.values()]
        return "urgent" if "urgent" in levels else "caution" if "caution" in levels else "ok"


def check_in(reading: Reading, alerts: Mapping[str, float] | None = None, *, pre_dose: bool,
             baseline: Reading | Baseline | None = None) -> CheckIn:
    """Statuses (pre-dose or in-session thresholds, trend against ``baseline``, whose time the
    alert names when it is a Baseline) and NEWS2."""
    limits = dict(DEFAULT_ALERTS) | dict(alerts or {})
    at = baseline.at if isinstance(baseline, Baseline) else None
    values = baseline.reading if isinstance(baseline, Baseline) else baseline
    return CheckIn(reading, assess(reading, limits, pre_dose=pre_dose, baseline=values, baseline_at=at),
                   reading.news2(), pre_dose)
