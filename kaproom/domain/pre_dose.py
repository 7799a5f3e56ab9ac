"""Facts taken before dosing: the escort's name and phone, when the client last ate and drank,
touch consent, and music preferences.

Which the start page asks for, and which must be in the record before F10 may record a dose,
are protocol settings (``[pre_dose] ask = [...]``, ``required = [...]``; none by default). They
are recorded as ``pre_dose`` events (see ``Kind``); a later one adds to or corrects an earlier
one, key by key. Every field is checked with a message naming it; nothing here raises on input.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from kaproom.domain.events import JSONDict, JSONMapping

FIELDS: tuple[str, ...] = ("escort_name", "escort_phone", "last_food", "last_drink", "touch_consent",
                           "music_preferences")
LABELS: Mapping[str, str] = {
    "escort_name": "Escort's name", "escort_phone": "Escort's phone", "last_food": "Last food",
    "last_drink": "Last drink", "touch_consent": "Touch consent", "music_preferences": "Music preferences",
}
#: Touch consent, stored word -> words shown.
TOUCH: Mapping[str, str] = {"yes": "yes", "ask_first": "ask first", "no": "no"}
_TOUCH_TYPED = {"yes": "yes", "y": "yes", "ask": "ask_first", "ask first": "ask_first", "ask_first": "ask_first",
                "a": "ask_first", "no": "no", "n": "no"}
NAME_MAX, PHONE_MAX, MUSIC_MAX = 80, 30, 300
_PHONE = re.compile(r"^\+?[0-9 ()./-]+$")
_TIME = re.compile(r"^([0-9]{1,2})(?:[:.h]([0-9]{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$", re.IGNORECASE)


@dataclass(frozen=True)
class FactsParse:
    """The facts typed (only those with a value), or messages by field."""

    facts: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 24 else text[:23] + "…"


def parse_clock_time(text: str) -> str | None:
    """'7', '07:30', '7.30', '7:30 pm', '19h30' -> 'HH:MM' (24 h); None when it is not a time of day."""
    match = _TIME.match(text.strip())
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    half = (match.group(3) or "").lower().replace(".", "")
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def _one(name: str, raw: str) -> tuple[str, str]:
    """(value, "") or ("", message); an empty text is ("", "")."""
    text = " ".join(raw.split())
    if not text:
        return "", ""
    label = LABELS[name]
    if name == "escort_name":
        if len(text) > NAME_MAX:
            return "", f"{label}: at most {NAME_MAX} characters"
        return text, ""
    if name == "escort_phone":
        digits = sum(ch.isdigit() for ch in text)
        if len(text) > PHONE_MAX or not _PHONE.match(text) or digits < 6:
            return "", f"{label}: '{_clip(text)}' is not a phone number; type digits, spaces, + ( ) - only"
        return text, ""
    if name in ("last_food", "last_drink"):
        at = parse_clock_time(text)
        if at is None:
            return "", f"{label}: '{_clip(text)}' is not a time of day; type it as 07:30 or 7:30 pm"
        return at, ""
    if name == "touch_consent":
        word = _TOUCH_TYPED.get(text.lower())
        if word is None:
            return "", f"{label}: '{_clip(text)}' is not one of yes, ask first, no"
        return word, ""
    if len(text) > MUSIC_MAX:
        return "", f"{label}: at most {MUSIC_MAX} characters"
    return text, ""


def parse_facts(texts: Mapping[str, object], asked: Iterable[str] = FIELDS) -> FactsParse:
    """The facts typed for the fields ``asked``; never raises. Unknown keys are ignored."""
    facts: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name in asked:
        if name not in FIELDS:
            continue
        raw = texts.get(name)
        value, message = _one(name, raw if isinstance(raw, str) else "" if raw is None else str(raw))
        if message:
            errors[name] = message
        elif value:
            facts[name] = value
    return FactsParse(facts, errors)


def facts_payload(facts: Mapping[str, str]) -> JSONDict:
    """The ``pre_dose`` event's payload: the facts given, by field."""
    return {name: facts[name] for name in FIELDS if facts.get(name)}


def recorded_facts(payloads: Iterable[JSONMapping]) -> dict[str, str]:
    """The facts the record holds from its ``pre_dose`` events in order, a later one winning per field."""
    facts: dict[str, str] = {}
    for payload in payloads:
        for name in FIELDS:
            value = payload.get(name)
            if isinstance(value, str) and value.strip():
                facts[name] = value.strip()
    return facts


def missing(required: Sequence[str], facts: Mapping[str, str]) -> list[str]:
    """The required facts the record does not hold, in the protocol's order."""
    return [name for name in required if not facts.get(name)]


def missing_words(names: Sequence[str]) -> str:
    """'escort's phone and last food'."""
    words = [LABELS[name].lower() if name in LABELS else name for name in names]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def facts_words(facts: Mapping[str, str]) -> str:
    """One line for the timeline and the report: 'escort Sam Lee (555 0100); last food 07:30; ...'."""
    parts = []
    if facts.get("escort_name") or facts.get("escort_phone"):
        phone = f" ({facts['escort_phone']})" if facts.get("escort_phone") else ""
        parts.append(f"escort {facts.get('escort_name', 'unnamed')}{phone}")
    for name in ("last_food", "last_drink"):
        if facts.get(name):
            parts.append(f"{LABELS[name].lower()} {facts[name]}")
    if facts.get("touch_consent"):
        parts.append(f"touch: {TOUCH.get(facts['touch_consent'], facts['touch_consent'])}")
    if facts.get("music_preferences"):
        parts.append(f"music: {facts['music_preferences']}")
    return "; ".join(parts)
