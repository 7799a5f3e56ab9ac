"""The facts of a monitoring summary, gathered from one session's report (no Qt).

The one-page summary clinics keep or send for esketamine and ketamine monitoring: client code,
date, dose and its time, blood pressure before the dose (the baseline, as
:func:`kaproom.domain.vitals.baseline_of` defines it), at about 40 minutes after it and before
discharge, whether sedation, dissociation, respiratory depression or a change in blood pressure
were seen, adverse events, when the client was ready to leave and the clinician. The after-care
sheet reads its few facts (client code, date, the next appointment) from here too.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kaproom.domain.events import Kind
from kaproom.domain.pre_dose import recorded_facts
from kaproom.domain.vitals import baseline_of
from kaproom.export.report_rows import SessionReport, VitalsRow
from kaproom.export.scale_rows import report_aldrete, scale_rows
from kaproom.export.summary import fmt_number, summarize

#: The kind an adverse event is recorded as (it may not exist in this version's records yet).
ADVERSE_EVENT = getattr(Kind, "ADVERSE_EVENT", "adverse_event")
#: The monitoring form's yes/no questions, by the dissociation rating's item ids.
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("sedation", "Sedation"), ("dissociation", "Dissociation"),
    ("respiratory_depression", "Respiratory depression"), ("bp_change", "Blood pressure change"),
)


@dataclass(frozen=True)
class BloodPressure:
    label: str  # "Before the dose"
    reading: str  # "128/82 mmHg" or "not recorded"
    when: str  # wall time of the check ("" when none)
    minutes_after_dose: float | None


@dataclass(frozen=True)
class MonitoringSummary:
    client_code: str
    started_at: str  # wall time (ISO UTC) the session started
    clinician: str
    protocol: str
    dose: str
    dose_at: str  # wall time of the dose, "" when none was recorded
    blood_pressure: tuple[BloodPressure, ...]
    answers: tuple[tuple[str, str], ...]  # (question, "Yes" | "No" | "Not recorded")
    severity: str  # the worst dissociation rating: "Moderate", or "Not recorded"
    lowest: str  # "lowest SpO2 95 %, lowest MOAA/S 4, lowest RASS -2"
    adverse_events: tuple[str, ...]
    ready_to_leave: str  # as stored (ISO UTC, or the text of an older record), "" when not recorded
    observation: str
    aldrete: str
    outcome: str
    next_appointment: str
    escort: str = ""  # "Sam Lee, 555 0100" from the facts before the dose, "" when not recorded
    fasting: str = ""  # "last food 07:30, last drink 09:15"


def _bp(row: VitalsRow | None) -> str:
    if row is None or row.systolic is None:
        return "not recorded"
    return f"{fmt_number(row.systolic)}/{fmt_number(row.diastolic) or '–'} mmHg"


def _near(rows: list[VitalsRow], dose_time: float, minutes: float, window: float = 20.0) -> VitalsRow | None:
    """The check with blood pressure after the dose closest to ``minutes`` after it, within ``window``."""
    after = [r for r in rows if r.session_time > dose_time and r.systolic is not None
             and abs((r.session_time - dose_time) / 60 - minutes) <= window]
    return min(after, key=lambda r: abs((r.session_time - dose_time) / 60 - minutes), default=None)


def _ready_to_leave(report: SessionReport) -> str:
    for event in reversed(report.events):
        if event.kind in (Kind.DISCHARGE_CHECK, Kind.SESSION_ENDED):
            value = event.payload.get("ready_to_leave_at")
            if isinstance(value, str) and value.strip():
                return value.strip()
    return ""


def next_appointment(report: SessionReport) -> str:
    """The next (integration) appointment if one was entered at discharge, else ''."""
    for event in reversed(report.events):
        value = event.payload.get("next_appointment") if event.kind in (Kind.DISCHARGE_CHECK,
                                                                         Kind.SESSION_ENDED) else None
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def monitoring_summary(report: SessionReport) -> MonitoringSummary:
    h = report.header
    rows = list(report.vitals)
    dose = report.dose
    dose_time = report.dose_time
    pressures: list[BloodPressure] = []
    target = next(iter(report.protocol.vitals_schedule.after_dose_minutes), 40.0)
    if dose_time is None:
        pressures.append(BloodPressure("Before the dose", "no dose recorded", "", None))
    else:
        place = baseline_of([(r.session_time, r) for r in rows], dose_time)
        base = rows[place] if place is not None else None
        pressures.append(BloodPressure("Before the dose", _bp(base), base.wall_time if base else "",
                                       None if base is None else (base.session_time - dose_time) / 60))
        near = _near(rows, dose_time, target)
        pressures.append(BloodPressure(f"About {target:g} min after the dose", _bp(near),
                                       near.wall_time if near else "",
                                       None if near is None else (near.session_time - dose_time) / 60))
        after = [r for r in rows if r.session_time > dose_time and r.systolic is not None]
        last = after[-1] if after else None
        pressures.append(BloodPressure("Before discharge", _bp(last), last.wall_time if last else "",
                                       None if last is None else (last.session_time - dose_time) / 60))
    ratings = [r for r in scale_rows(report) if r.scale == "dissociation"]
    answers: list[tuple[str, str]] = []
    for item_id, label in QUESTIONS:
        given = [points for r in ratings for item, points, _ in r.answers if item == item_id]
        answers.append((label, "Not recorded" if not given else "Yes" if any(given) else "No"))
    severities = [(points, words) for r in ratings for item, points, words in r.answers if item == "severity"]
    severity = max(severities)[1] if severities else "Not recorded"
    lowest: list[str] = []
    for name, label, unit in (("spo2", "SpO2", " %"), ("respiratory_rate", "respiratory rate", "/min"),
                              ("moaas", "MOAA/S", "")):
        values = [getattr(r, name) for r in rows if getattr(r, name) is not None
                  and (dose_time is None or r.session_time > dose_time)]
        if values:
            lowest.append(f"lowest {label} {fmt_number(min(values))}{unit}")
    rass = [r.total for r in scale_rows(report) if r.scale == "rass" and r.total is not None]
    if rass:
        lowest.append(f"lowest RASS {min(rass):+d}" if min(rass) else "lowest RASS 0")
    names: Mapping[str, str] = {p.id: p.name for p in report.protocol.phases}
    adverse = tuple(summarize(e.kind, e.payload, names) for e in report.events if e.kind == ADVERSE_EVENT)
    observed, _short = report.observation()
    facts = recorded_facts(e.payload for e in report.events if e.kind == Kind.PRE_DOSE)
    escort = ", ".join(facts[name] for name in ("escort_name", "escort_phone") if facts.get(name))
    fasting = ", ".join(f"last {name.split('_')[1]} {facts[name]}" for name in ("last_food", "last_drink")
                        if facts.get(name))
    return MonitoringSummary(
        h.client_code, h.started_at or h.created_at, h.therapist, h.protocol_name,
        report.dose_text or ("recorded" if dose else "no dose recorded"), dose.wall_time if dose else "",
        tuple(pressures), tuple(answers), severity, ", ".join(lowest) or "no checks after the dose",
        adverse, _ready_to_leave(report), observed, report_aldrete(report),
        h.outcome, next_appointment(report), escort, fasting)
