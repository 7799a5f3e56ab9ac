"""One line of plain words per event, shared by the timeline, the PDF and the CSV export.

A supervisor reads these lines days later, often on paper, so they say what happened in the
room's own words ("BP 128/82, pulse 74") rather than showing raw JSON. Every payload field may be
missing or of an unexpected type (older versions, other writers): nothing here may raise.
"""
from __future__ import annotations

from collections.abc import Mapping  # isinstance against typing.Mapping is several times slower
from datetime import datetime
from typing import Any

from kaproom.domain.clock import format_hms, from_iso
from kaproom.domain.dose import dose_remarks, dose_words, prescribed_words
from kaproom.domain.events import Kind
from kaproom.domain.medication import (
    adverse_event_words,
    dose_label,
    medication_words,
    product_words,
    waste_words,
)
from kaproom.domain.pre_dose import facts_words, recorded_facts
from kaproom.domain.scales import stored_scale_words
from kaproom.domain.vitals import acknowledged_alerts
from kaproom.domain.vocabulary import OUTCOME_WORDS

#: Vitals fields in the order a chart or table shows them, with their labels and units.
VITAL_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("systolic", "Systolic", "mmHg"), ("diastolic", "Diastolic", "mmHg"), ("pulse", "Pulse", "/min"),
    ("spo2", "SpO2", "%"), ("respiratory_rate", "Resp. rate", "/min"), ("temperature", "Temp.", "°C"),
    ("moaas", "MOAA/S", ""), ("nausea", "Nausea", ""),
)
LEVEL_ORDER = {"": 0, "normal": 0, "info": 0, "caution": 1, "urgent": 2}


def wall_text(text: str | None, with_seconds: bool = True) -> str:
    """A stored UTC time as local date and time, for people reading a report or timeline."""
    if not text:
        return ""
    try:
        moment = from_iso(text).astimezone()
    except ValueError:
        return str(text)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")


def timezone_label() -> str:
    """'CET, UTC+01:00' (or just 'UTC'), for the line that says which times a report shows."""
    now = datetime.now().astimezone()
    offset = now.strftime("%z")
    offset = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    name = now.tzname() or ""
    if not name or name.startswith(("UTC", "+", "-")):
        return "UTC" if offset == "UTC+00:00" else offset
    return f"{name}, {offset}"


def number(value: Any) -> float | None:
    """A numeric reading, or None when absent or not a number (booleans are not readings)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def fmt_number(value: Any) -> str:
    """120.0 -> '120', 36.75 -> '36.8'; text is kept as typed; absent -> ''."""
    num = number(value)
    if num is None:
        return "" if value is None else str(value)
    return str(int(num)) if num == int(num) else f"{num:.1f}"


def worst_level(levels: Any) -> str:
    """The most serious of a collection of status words ('urgent' > 'caution' > anything else)."""
    worst = "normal"
    for level in levels or ():
        word = str(level).lower()
        if LEVEL_ORDER.get(word, 0) > LEVEL_ORDER.get(worst, 0):
            worst = word
    return worst


def statuses_of(payload: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """A vitals event's per-field statuses as ({field: level}, {field: reason}).

    The check-in stores {field: {"level", "reason"}}; a bare {field: level} is read too.
    """
    raw = payload.get("statuses")
    levels: dict[str, str] = {}
    reasons: dict[str, str] = {}
    if isinstance(raw, Mapping):
        for key, value in raw.items():
            if isinstance(value, Mapping):
                levels[str(key)] = str(value.get("level") or "")
                if value.get("reason"):
                    reasons[str(key)] = str(value["reason"])
            else:
                levels[str(key)] = str(value or "")
    return levels, reasons


def vitals_text(payload: Mapping[str, Any]) -> str:
    """'BP 128/82, pulse 74, SpO2 97 %, RR 14, MOAA/S 5, nausea none; NEWS2 1 (low)'."""
    parts: list[str] = []
    sys_, dia = fmt_number(payload.get("systolic")), fmt_number(payload.get("diastolic"))
    if sys_ or dia:
        parts.append(f"BP {sys_ or '–'}/{dia or '–'}")
    for key, label, unit in (("pulse", "pulse", ""), ("spo2", "SpO2", " %"), ("respiratory_rate", "RR", ""),
                             ("temperature", "temp", " °C"), ("moaas", "MOAA/S", "")):
        text = fmt_number(payload.get(key))
        if text:
            parts.append(f"{label} {text}{unit}")
    if payload.get("nausea"):
        parts.append(f"nausea {payload.get('nausea')}")
    if payload.get("supplemental_oxygen"):
        parts.append("on oxygen")
    text = ", ".join(parts) or "no values"
    news2 = payload.get("news2")
    if isinstance(news2, Mapping) and news2.get("score") is not None:
        band = f" ({news2.get('band')})" if news2.get("band") else ""
        text += f"; NEWS2 {fmt_number(news2.get('score'))}{band}"
    if payload.get("partial"):
        text += " [partial]"
    if payload.get("comment"):
        text += f" — {payload.get('comment')}"
    return text


def _when(value: Any) -> str:
    num = number(value)
    if num is not None:
        return format_hms(num)
    return str(value or "")


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def summarize(kind: str, payload: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> str:
    """The event as one line; ``labels`` maps phase and question ids to their names."""
    labels = labels or {}
    p = payload if isinstance(payload, Mapping) else {}
    get = p.get
    if "unreadable_payload" in p:  # see Store: not JSON, so edited outside KAP Room
        raw = " ".join(str(get("unreadable_payload")).split())
        return f"Unreadable entry, edited outside KAP Room: {raw[:200] + '…' if len(raw) > 200 else raw}"
    if kind == Kind.SESSION_CREATED:
        protocol = _mapping(get("protocol"))
        follows = _mapping(get("follows"))
        after = f"; follows session {follows.get('number')} of {wall_text(str(follows.get('started_at')), False)}" \
            if follows.get("number") is not None else ""
        return (f"Session created: client {get('client_code', '')}, therapist {get('therapist', '')}"
                f"{', room ' + str(get('room')) if get('room') else ''}, protocol {protocol.get('name', '')}"
                f"{' (demo)' if get('demo') else ''}{prescribed_words(p)}{after}")
    if kind == Kind.SCREENING:
        answers = _mapping(get("answers"))
        yes = [labels.get(str(k), str(k)) for k, v in answers.items() if v]
        text = "Screening: " + ("yes to: " + "; ".join(yes) if yes else f"no to all {len(answers)} questions")
        if get("proceed_confirmed"):
            text += " (proceeding confirmed)"
        return text + (f" — {get('notes')}" if get("notes") else "")
    if kind == Kind.INTENTION:
        return f"Intention: {get('text', '')}"
    if kind == Kind.PRE_DOSE:
        return "Before the dose: " + (facts_words(recorded_facts([p])) or "nothing given")
    if kind == Kind.SESSION_STARTED:
        return "Session started"
    if kind == Kind.SESSION_RESUMED:
        back = " (the wall clock had gone back)" if get("wall_clock_went_back") else ""
        return f"Resumed after {_when(get('gap_seconds'))} away{back}"
    if kind == Kind.PHASE_CHANGED:
        how = {"start": "at the start", "auto": "on the clock", "manual": "by hand",
               "dose": "with the dose"}.get(str(get("how")), str(get("how", "")))
        name = labels.get(str(get("to", "")), str(get("to", "")))
        text = f"Phase: {name} ({how})"
        early = number(get("early_by_seconds"))
        if early is not None and abs(early) >= 1 and get("how") == "manual":
            text += f", {format_hms(abs(early))} {'early' if early > 0 else 'late'}"
        return text + (f" — {get('reason')}" if get("reason") else "")
    if kind == Kind.PHASE_EXTENDED:
        phase = labels.get(str(get("phase", "")), get("phase", ""))
        return f"Phase {phase} extended by {fmt_number(get('minutes'))} min"
    if kind == Kind.NOTE:
        return str(get("text", ""))
    if kind == Kind.TAG:
        return f"[{get('label', '')}]"
    if kind == Kind.AMENDMENT:
        amended = str(get("amends_kind", "")).replace("_", " ")
        return f"Amends event {get('amends_seq', '?')} ({amended}): {get('text', '')}"
    if kind == Kind.DOSE:
        text = f"{dose_label(p)}: {dose_words(p)}".rstrip(": ") + product_words(p) + dose_remarks(p)
        if get("without_check"):
            text += " (no vitals check just before it)"
        return text + (f" — {get('notes')}" if get("notes") else "")
    if kind == Kind.MEDICATION:
        return f"Medication: {medication_words(p)}"
    if kind == Kind.MEDICATION_EFFECT:
        return f"Effect of the medication (event {get('medication_seq', '?')}): {get('effect', '')}"
    if kind == Kind.WASTE:
        return f"Waste: {waste_words(p)}"  # which names the product and lot
    if kind == Kind.ADVERSE_EVENT:
        return f"Adverse event: {adverse_event_words(p)}"
    if kind == Kind.VITALS:
        return "Vitals: " + vitals_text(p)
    if kind == Kind.SCALE:
        return "Rating: " + stored_scale_words(p)
    if kind == Kind.ALERT:
        value = f" ({get('field', '')} {fmt_number(get('value'))})" if get("value") is not None else ""
        return f"{str(get('level', 'alert')).upper()}: {get('reason', '')}{value}"
    if kind == Kind.ALERT_ACK:
        seqs: list[int | str] = list(acknowledged_alerts(p)) or ["?"]
        which = f"Alert {seqs[0]}" if len(seqs) == 1 else f"Alerts {', '.join(str(s) for s in seqs)}"
        return f"{which} acknowledged" + (f": {get('action')}" if get("action") else "")
    if kind == Kind.MUSIC:
        action = str(get("action", "")).replace("_", " ")
        title = f" '{get('title')}'" if get("title") else ""
        extra = f" — {get('message')}" if get("message") else ""
        volume = f" to {fmt_number(get('volume'))}" if get("volume") is not None else ""
        return f"Music: {action}{title}{volume}{extra}"
    if kind == Kind.CLOCK_JUMP:
        jump = number(get("jump_seconds")) or 0.0
        return f"Computer clock jumped {'forward' if jump >= 0 else 'back'} {format_hms(abs(jump))}"
    if kind == Kind.DISCHARGE_CHECK:
        checklist = _mapping(get("checklist"))
        ticked = sum(1 for v in checklist.values() if v)
        text = f"Discharge check: {ticked} of {len(checklist)} ticked"
        aldrete = _mapping(get("aldrete"))
        if isinstance(aldrete.get("total"), int):  # the modified Aldrete score, when one was recorded
            text += f"; Aldrete {aldrete['total']}" + ("" if aldrete.get("complete") is True else " (not complete)")
        return text + (f"; override: {get('override_reason')}" if get("override_reason") else "")
    if kind == Kind.SESSION_ENDED:
        ended = str(get("outcome", ""))
        outcome = OUTCOME_WORDS[ended].lower() if ended in OUTCOME_WORDS else ended
        return f"Session ended: {outcome}" + (f" — {get('reason')}" if get("reason") else "")
    if kind == Kind.SIGNOFF:
        return "Signed off" + (f": {get('comment')}" if get("comment") else "")
    if kind in (Kind.VIEWED, Kind.EXPORTED):
        verb = "Viewed" if kind == Kind.VIEWED else "Exported"
        fmt = f" as {get('format')}" if get("format") else ""
        dest = f" to {get('destination')}" if get("destination") else ""
        return f"{verb}{fmt}{dest}"
    fields = ", ".join(f"{k}={v}" for k, v in sorted(p.items()))
    return f"{kind.replace('_', ' ')}{': ' + fields if fields else ''}"


#: What a therapist can still write once the session has ended: marked as a late entry.
LATE_ENTRY_KINDS = frozenset({Kind.NOTE, Kind.TAG, Kind.AMENDMENT, Kind.VITALS, Kind.ALERT_ACK})


def late_entry_note(ended_wall: str, written_wall: str) -> str:
    """"[late entry: written 14:32, 25 min after the session ended]": the session clock stops at
    the end, so without this a note written later would read as if written at the end."""
    try:
        minutes = max(0, round((from_iso(written_wall) - from_iso(ended_wall)).total_seconds() / 60))
    except ValueError:
        return "  [late entry: written after the session ended]"
    when = wall_text(written_wall, with_seconds=False)[11:]
    after = "less than a minute" if minutes == 0 else f"{minutes} min"
    return f"  [late entry: written {when}, {after} after the session ended]"
