"""When the next vitals check is due, from the protocol's schedule, the dose and the checks taken.

Default schedule (DESIGN.md section 2, after the esketamine monitoring rules): a baseline before
dosing, then about 40 minutes after the dose (when blood pressure usually peaks), then every 30
minutes until discharge. Checks the therapist takes at any other time count: the repeating
interval runs from the latest check. A fixed after-dose check is met by any check taken from
``due_soon_minutes`` before it onwards, so a check at 38 minutes is the 40-minute check, but
one at 10 minutes is not.

After a booster the post-dose checks start again from it: blood pressure peaks about 40 minutes
after each lozenge (see kaproom.domain.medication for which dose counts for what).

If the session has moved past the dosing phase and nobody recorded the dose, the schedule
counts from the start of the dosing phase rather than showing nothing due during the deep
phase, and says so.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from kaproom.domain.clock import format_hms
from kaproom.domain.events import Kind, RecordedEvent
from kaproom.domain.protocol import Protocol
from kaproom.domain.protocol_settings import VitalsSchedule
from kaproom.domain.session import SessionState

LEVELS = ("ok", "soon", "overdue")
DUE_NOW_GRACE_S = 60.0  # "due now" for the first minute, then "overdue 1 min"


@dataclass(frozen=True)
class VitalsDue:
    """What to show as ``vitalsDue``: the next check, how far off it is, and its calm level."""

    kind: str  # "baseline" | "after_dose" | "repeat" | "recheck" | "none"
    due_at: float | None  # session seconds
    now: float
    level: str  # "ok" | "soon" | "overdue"
    text: str
    dose_assumed: bool = False

    @property
    def seconds_left(self) -> float | None:
        return None if self.due_at is None else self.due_at - self.now

    @property
    def overdue_seconds(self) -> float:
        left = self.seconds_left
        return 0.0 if left is None or left >= 0 else -left


def when_text(seconds_left: float) -> str:
    """"in 7 min", "due now" or "overdue 3 min"."""
    if seconds_left > 0:
        return f"in {max(1, math.ceil(seconds_left / 60.0))} min"
    over = -seconds_left
    if over < DUE_NOW_GRACE_S:
        return "due now"
    return f"overdue {int(over // 60)} min"


def level_for(seconds_left: float, soon_seconds: float) -> str:
    if seconds_left > soon_seconds:
        return "ok"
    if seconds_left > -DUE_NOW_GRACE_S:
        return "soon"
    return "overdue"


def _due(kind: str, due_at: float, now: float, schedule: VitalsSchedule, label: str, assumed: bool) -> VitalsDue:
    left = due_at - now
    text = f"{label} {when_text(left)}"
    if assumed:
        text += " (dose not recorded: counted from the dosing phase)"
    return VitalsDue(kind, due_at, now, level_for(left, schedule.due_soon_minutes * 60.0), text, assumed)


def vitals_due(schedule: VitalsSchedule, now: float, check_times: Iterable[float], *,
               dose_time: float | None, dosing_starts: float | None, ended: bool = False,
               dose_assumed: bool = False, urgent_at: float | None = None) -> VitalsDue:
    """The next check due at session time ``now``.

    ``check_times``: session times of recorded check-ins. ``dose_time``: the dose's effective time
    (None before dosing). ``dosing_starts``: when the dosing phase starts or started, by which the
    baseline is due. ``urgent_at``: the time of the latest check-in if it had an urgent value; the
    next check is then due ``recheck_after_urgent_minutes`` after it, unless one is due sooner.
    """
    due = _scheduled(schedule, now, check_times, dose_time=dose_time, dosing_starts=dosing_starts, ended=ended,
                     dose_assumed=dose_assumed)
    if urgent_at is None or ended:
        return due
    recheck = urgent_at + schedule.recheck_after_urgent_minutes * 60.0
    if due.due_at is not None and due.due_at <= recheck:
        return due
    due = _due("recheck", recheck, now, schedule, f"Recheck vitals (urgent value at {format_hms(urgent_at)})",
               dose_assumed)
    return due if due.level != "ok" else replace(due, level="soon")  # never the calm green of a routine check


def _scheduled(schedule: VitalsSchedule, now: float, check_times: Iterable[float], *,
               dose_time: float | None, dosing_starts: float | None, ended: bool,
               dose_assumed: bool) -> VitalsDue:
    """The next check by the protocol's schedule alone (see vitals_due)."""
    checks = sorted(float(t) for t in check_times)
    soon = schedule.due_soon_minutes * 60.0
    if ended:
        return VitalsDue("none", None, now, "ok", "Vitals: session ended")
    if dose_time is None:
        if not schedule.baseline_before_dose or checks:
            first = schedule.after_dose_minutes[0] if schedule.after_dose_minutes else schedule.then_every_minutes
            done = "Baseline taken" if checks else "No baseline needed"
            return VitalsDue("none", None, now, "ok", f"{done} · next check {first:g} min after the dose")
        if dosing_starts is None:
            return VitalsDue("baseline", None, now, "soon", "Baseline vitals due before dosing")
        return _due("baseline", dosing_starts, now, schedule, "Baseline vitals (before dosing)", False)
    after = [t for t in checks if t >= dose_time]
    for minutes in schedule.after_dose_minutes:
        slot = dose_time + minutes * 60.0
        if not any(t >= slot - soon for t in after):
            return _due("after_dose", slot, now, schedule, f"Vitals ({minutes:g} min after dose)", dose_assumed)
    reference = after[-1] if after else dose_time
    return _due("repeat", reference + schedule.then_every_minutes * 60.0, now, schedule, "Vitals", dose_assumed)


def dosing_phase_start(protocol: Protocol, state: SessionState) -> float | None:
    """When the dosing phase started, or is planned to start from the current phase's end."""
    dose_index = protocol.dose_phase_index
    began = state.phase_began(protocol.dose_phase)
    if began is not None:
        return began
    if state.phase_index < 0:
        return None
    if state.phase_index >= dose_index:  # entered without a recorded change (should not happen)
        return state.phase_started
    end = state.phase_end or 0.0
    return end + sum(p.seconds for p in protocol.phases[state.phase_index + 1:dose_index])


def due_for_session(protocol: Protocol, state: SessionState, now: float,
                    events: Sequence[RecordedEvent]) -> VitalsDue:
    """``vitals_due`` for a running session, from its state and its vitals and dose events."""
    if not protocol.has_dose:  # an integration session: vitals whenever the therapist judges
        return VitalsDue("none", None, now, "ok", "Vitals: as needed (no dose in this protocol)"
                         if state.state.is_open else "Vitals: session ended")
    vitals = [e for e in events if e.kind == Kind.VITALS]
    checks = [e.session_time for e in vitals]
    urgent_at = vitals[-1].session_time if vitals and _has_urgent(vitals[-1]) else None
    dose_time = state.last_dose_time  # a booster restarts the post-dose checks (kaproom.domain.medication)
    assumed = False
    if dose_time is None and state.phase_index > protocol.dose_phase_index:
        dose_time, assumed = dosing_phase_start(protocol, state), True
    return vitals_due(protocol.vitals_schedule, now, checks, dose_time=dose_time,
                      dosing_starts=dosing_phase_start(protocol, state),
                      ended=not state.state.is_open, dose_assumed=assumed, urgent_at=urgent_at)


def _has_urgent(check: RecordedEvent) -> bool:
    """Whether a stored check-in had a value at the urgent level."""
    statuses = check.payload.get("statuses")
    if not isinstance(statuses, Mapping):
        return False
    return any(isinstance(s, Mapping) and s.get("level") == "urgent" for s in statuses.values())
