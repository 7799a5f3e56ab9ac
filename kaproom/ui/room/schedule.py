"""The room's default "next vitals check" line, from the protocol's schedule.

A simple reading of the schedule (baseline before the dose, then the listed minutes after the
dose, then every N minutes) so the header says something useful before the vitals panel, which
knows more, takes the line over with ``RoomWindow.set_vitals_due``.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

from kaproom.domain.protocol import Protocol
from kaproom.domain.session import SessionState, State

MAX_SCHEDULED = 1000  # a guard: nobody schedules a thousand checks


def _due_times(protocol: Protocol, dose_time: float) -> Iterator[float]:
    schedule = protocol.vitals_schedule
    last = dose_time
    for minutes in schedule.after_dose_minutes:
        last = dose_time + minutes * 60.0
        yield last
    if schedule.then_every_minutes > 0:
        for _ in range(MAX_SCHEDULED):
            last += schedule.then_every_minutes * 60.0
            yield last


def next_vitals_due(protocol: Protocol, state: SessionState, vitals_times: Iterable[float]) -> float | None:
    """Session time of the next check that no check-in has covered yet, or None if none is planned."""
    taken = sorted(vitals_times)
    soon = protocol.vitals_schedule.due_soon_minutes * 60.0
    last_dose = state.last_dose_time  # a booster restarts the post-dose checks
    if last_dose is None:
        return None
    for due in _due_times(protocol, last_dose):
        if not any(t >= due - soon for t in taken):
            return due
    return None


def vitals_due_text(protocol: Protocol, state: SessionState, vitals_times: Iterable[float],
                    elapsed: float) -> tuple[str, str]:
    """(text, level) with level "ok", "soon" or "overdue"."""
    times = list(vitals_times)
    if not state.state.is_open:
        return "Vitals: session ended", "ok"
    if state.dose_time is None:
        if not protocol.vitals_schedule.baseline_before_dose:
            return "Vitals: as needed", "ok"
        if times:
            return "Vitals: baseline taken", "ok"
        at_dose = state.state == State.RUNNING and state.phase_index >= protocol.dose_phase_index
        return "Vitals: baseline due before the dose", "soon" if at_dose else "ok"
    due = next_vitals_due(protocol, state, times)
    if due is None:
        return "Vitals: no more checks planned", "ok"
    left = due - elapsed
    soon = protocol.vitals_schedule.due_soon_minutes * 60.0
    if left > 0:
        minutes = max(1, math.ceil(left / 60.0))
        return f"Vitals in {minutes} min", "ok" if left > soon else "soon"
    over = int(-left // 60)
    return ("Vitals due now", "overdue") if over < 1 else (f"Vitals overdue {over} min", "overdue")
