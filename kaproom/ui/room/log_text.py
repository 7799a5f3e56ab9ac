"""What each recorded event looks like as one line of the room's log.

Kept apart from the widget so the same words can be checked in tests and reused by a state dump:
what the therapist saw is what the record holds. Events that only matter to the machinery
(music volume steps, views, exports) return ``None`` and are not shown in the room.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kaproom.domain.clock import format_hms
from kaproom.domain.dose import dose_remarks, dose_words, prescribed_words
from kaproom.domain.events import Kind, RecordedEvent
from kaproom.domain.medication import (
    adverse_event_words,
    dose_label,
    dose_number,
    medication_words,
    product_words,
    waste_words,
)
from kaproom.domain.pre_dose import facts_words, recorded_facts
from kaproom.domain.protocol import Protocol
from kaproom.domain.scales import stored_scale_words
from kaproom.domain.vocabulary import kind_heading

#: Kinds the therapist may correct with an amendment from the log.
AMENDABLE = frozenset({Kind.NOTE, Kind.TAG, Kind.AMENDMENT, Kind.DOSE, Kind.VITALS, Kind.INTENTION,
                       Kind.DISCHARGE_CHECK, Kind.SCALE, Kind.PRE_DOSE, Kind.MEDICATION, Kind.WASTE,
                       Kind.ADVERSE_EVENT})

_MUSIC_SHOWN = {"track_started": "Playing {title}", "skip": "Skipped a track", "previous": "Back to the previous track",
                "error": "Could not play {title}: {message}", "unavailable": "Music went off",
                "pause": "Music paused", "resume": "Music resumed", "duck": "Music lowered for talking",
                "restore": "Music back to its level", "retry": "Music tried again",
                "steer": "Asked for {direction} music", "skipped": "{title} {message}"}


def _phase_name(protocol: Protocol | None, phase_id: str) -> str:
    if protocol is not None:
        for phase in protocol.phases:
            if phase.id == phase_id:
                return phase.name
    return phase_id or "-"


def _duration(seconds: float) -> str:
    seconds = abs(float(seconds))
    if seconds < 90:
        return f"{round(seconds)} s"
    return f"{round(seconds / 60)} min"


def _vitals(p: Mapping[str, Any]) -> str:
    parts = []
    if p.get("systolic") is not None or p.get("diastolic") is not None:
        parts.append(f"BP {p.get('systolic', '-')}/{p.get('diastolic', '-')}")
    for key, label, unit in (("pulse", "pulse", ""), ("spo2", "SpO2", " %"), ("respiratory_rate", "RR", ""),
                             ("temperature", "temp", " °C"), ("moaas", "MOAA/S", "")):
        if p.get(key) is not None:
            parts.append(f"{label} {p[key]}{unit}")
    if p.get("nausea"):
        parts.append(f"nausea {p['nausea']}")
    news2 = p.get("news2")
    if isinstance(news2, Mapping) and news2.get("score") is not None:
        parts.append(f"NEWS2 {news2['score']} ({news2.get('band', '')})")
    if p.get("comment"):
        parts.append(str(p["comment"]))
    return ", ".join(parts) or "nothing taken"


def _screening(p: Mapping[str, Any], protocol: Protocol | None) -> str:
    answers = p.get("answers") or {}
    yes = [qid for qid, answer in answers.items() if answer]
    if not answers:
        return "no screening questions were asked"
    if not yes:
        return f"no to all {len(answers)} questions"
    texts = {q.id: q.text for q in protocol.screening} if protocol else {}
    said = "; ".join(texts.get(qid, qid) for qid in yes)
    confirmed = " - proceeding on clinical judgement" if p.get("proceed_confirmed") else ""
    return f"YES to: {said}{confirmed}"


def event_text(event: RecordedEvent, protocol: Protocol | None = None) -> str | None:
    """The words for one event, or None if the room does not show it."""
    p, kind = event.payload, event.kind
    if kind == Kind.NOTE:
        return str(p.get("text", ""))
    if kind == Kind.TAG:
        return str(p.get("label", ""))
    if kind == Kind.AMENDMENT:
        return f"amends {p.get('amends_kind', 'entry')} {p.get('amends_seq', '?')}: {p.get('text', '')}"
    if kind == Kind.PHASE_CHANGED:
        name = _phase_name(protocol, str(p.get("to", "")))
        how = p.get("how")
        if how == "start":
            return f"{name} (session start)"
        if how == "auto":
            return f"{name} (on time)"
        if how == "dose":
            return f"{name} (started with the dose)"
        early = p.get("early_by_seconds")
        timing = ""
        if isinstance(early, (int, float)) and abs(early) >= 30:
            timing = f", {_duration(early)} {'early' if early > 0 else 'late'}"
        reason = f": {p['reason']}" if p.get("reason") else ""
        return f"{name} (moved on by hand{timing}){reason}"
    if kind == Kind.PHASE_EXTENDED:
        return f"{_phase_name(protocol, str(p.get('phase', '')))} extended by {p.get('minutes', '?'):g} min" \
            if isinstance(p.get("minutes"), (int, float)) else "Phase extended"
    if kind == Kind.SESSION_CREATED:
        room = f", {p['room']}" if p.get("room") else ""
        who = f"client {p.get('client_code', '?')} with {p.get('therapist', '?')}"
        return f"Created for {who}{room}{prescribed_words(p)}"
    if kind == Kind.SCREENING:
        return _screening(p, protocol)
    if kind == Kind.INTENTION:
        return str(p.get("text", ""))
    if kind == Kind.SESSION_STARTED:
        return "Session started"
    if kind == Kind.SESSION_RESUMED:
        gap = p.get("gap_seconds", 0) or 0
        back = " (the computer clock had gone back)" if p.get("wall_clock_went_back") else ""
        return (f"KAP Room reopened; the last entry before it was {_duration(max(0.0, gap))} earlier. "
                f"The session clock kept counting{back}")
    if kind == Kind.SESSION_ENDED:
        if p.get("outcome") == "ended_early":
            return f"Session ended early: {p.get('reason', '')}"
        reason = f": {p['reason']}" if p.get("reason") else ""
        return f"Discharged{reason}"
    if kind == Kind.DOSE:
        what = dose_words(p)
        notes = f" - {p['notes']}" if p.get("notes") else ""
        given = "Dose given" if dose_number(p) == 1 else f"{dose_label(p)} given"
        return f"{given}{': ' + what if what else ''}{product_words(p)}{dose_remarks(p)}{notes}"
    if kind == Kind.MEDICATION:
        return medication_words(p)
    if kind == Kind.MEDICATION_EFFECT:
        return f"effect of the medication (entry {p.get('medication_seq', '?')}): {p.get('effect', '')}"
    if kind == Kind.WASTE:
        return waste_words(p)
    if kind == Kind.ADVERSE_EVENT:
        return adverse_event_words(p)
    if kind == Kind.VITALS:
        return _vitals(p)
    if kind == Kind.ALERT:
        return f"{str(p.get('level', '')).upper()}: {p.get('reason', '')}"
    if kind == Kind.ALERT_ACK:
        covered = [str(reason) for reason in p.get("alerts") or [] if reason]
        return ("Alert acknowledged" + (f" ({'; '.join(covered)})" if covered else "")
                + (f": {p['action']}" if p.get("action") else ""))
    if kind == Kind.CLOCK_JUMP:
        jump = float(p.get("jump_seconds", 0) or 0)
        return f"Computer clock jumped {'forward' if jump > 0 else 'back'} {_duration(jump)}; session time unaffected"
    if kind == Kind.DISCHARGE_CHECK:
        checklist = p.get("checklist") or {}
        done = sum(1 for v in checklist.values() if v)
        return f"Discharge checklist: {done} of {len(checklist)} ticked"
    if kind == Kind.SIGNOFF:
        return f"Signed off: {p.get('comment', '')}"
    if kind == Kind.SCALE:
        return stored_scale_words(p)
    if kind == Kind.PRE_DOSE:
        return facts_words(recorded_facts([p])) or "nothing given"
    if kind == Kind.MUSIC:
        template = _MUSIC_SHOWN.get(str(p.get("action", "")))
        if template is None:
            return None
        values = {"title": p.get("title") or p.get("file") or "a track", "message": p.get("message", ""),
                  "direction": p.get("direction") or "different"}
        return template.format(**values)
    return None


def kind_label(event: RecordedEvent) -> str:
    return kind_heading(event.kind)


def line_for(event: RecordedEvent, protocol: Protocol | None = None) -> str | None:
    """``0:42:10  Note  Breathing slowly`` - session time, what, and the words."""
    text = event_text(event, protocol)
    if text is None:
        return None
    return f"{format_hms(shown_time(event))}   {kind_label(event)}   {text}"


def shown_time(event: RecordedEvent) -> float:
    """When it happened: a phase change the app caught up with late happened at its planned time."""
    effective = event.payload.get("effective_time") if event.kind == Kind.PHASE_CHANGED else None
    return float(effective) if isinstance(effective, (int, float)) else event.session_time
