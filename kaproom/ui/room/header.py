"""The top of the room screen: the large session clock, the phase with its time left, the strip of
all phases, and the next vitals check.

All of it is computed from the runner (the fold of stored events) and the injected clock on every
tick; nothing here counts anything, so after a restart it shows the same as before.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from kaproom.domain.clock import format_hms
from kaproom.domain.discharge import discharge_readiness
from kaproom.domain.protocol import Protocol
from kaproom.domain.session import SessionRunner, State
from kaproom.ui.kit.theme import set_level


def _minutes(seconds: float) -> int:
    return max(0, math.ceil(seconds / 60.0))


def phase_text(runner: SessionRunner, check_times: Sequence[float] = ()) -> str:
    """``Deep - 18 min in, 42 min left`` (or ``3 min over``), or the state when not running. A phase
    that waits for the therapist says so; the last one, once over, says what discharge still waits
    for (the observation after the dose, a vitals check: ``check_times``) before it names the
    checklist's key."""
    state = runner.state
    if state.state == State.CREATED:
        return "Not started"
    if state.state == State.DISCHARGED:
        return "Session ended: discharged"
    if state.state == State.ENDED_EARLY:
        return "Session ended early"
    phase = state.phase
    if phase is None:
        return "-"
    inside = int(runner.time_in_phase() // 60)
    left = runner.time_left_in_phase()
    if left is None:
        return phase.name
    if left > 0:
        rest = f"{_minutes(left)} min left" if left >= 60 else "under 1 min left"
    else:
        rest = f"{int(-left // 60)} min over" if -left >= 60 else "time is up"
    if state.is_last_phase:  # no phase follows: the session closes with the discharge, said once its time is up
        manual = "" if left > 0 else "; " + discharge_readiness(state.last_dose_time, check_times, runner.elapsed(),
                                                                 runner.protocol.alerts)
    else:
        manual = "" if phase.auto_advance else "; moves on by hand"
    return f"{phase.name} \u2013 {inside} min in, {rest}{manual}"


class PhaseStrip(QWidget):
    """All phases in a row; the current one framed and marked with an arrow (not colour alone)."""

    def __init__(self, protocol: Protocol, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("phaseStrip")
        self.setAccessibleName("Phases of the session")
        self.protocol = protocol
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.labels: list[QLabel] = []
        for phase in protocol.phases:
            label = QLabel()
            label.setObjectName(f"phase_{phase.id}")
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            # One line each: a wrapped name ("Integration & / discharge") made the strip, and all
            # under it, taller. Each is at least as wide as its name; the rest is shared.
            label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            label.setContentsMargins(6, 4, 6, 4)
            layout.addWidget(label, 1)
            self.labels.append(label)
        self.current, self._shown = -2, (-2, False)
        self.update_phase(-1, {})

    def update_phase(self, current: int, extra_minutes: dict[int, float], ended: bool = False) -> None:
        """``ended``: the session is over in phase ``current``; that phase and those before it are
        done, none is current, and the phases never reached stay as they were planned."""
        if (current, ended) == self._shown and not extra_minutes:
            return
        self._shown = (current, ended)
        self.current = -1 if ended else current
        last_done = current if ended else current - 1
        described = []
        for index, (phase, label) in enumerate(zip(self.protocol.phases, self.labels)):
            minutes = phase.minutes + extra_minutes.get(index, 0.0)
            state = "done" if index <= last_done else "current" if index == current else "next"
            mark = "\u25b6 " if state == "current" else "\u2713 " if state == "done" else ""
            label.setText(f"{mark}{phase.name}\n{minutes:g} min")
            set_level(label, state, "phaseState")
            label.setAccessibleName(f"{phase.name}, {minutes:g} minutes, {state}")
            described.append(f"{phase.name} ({state})")
        self.setAccessibleDescription("; ".join(described))

    def current_name(self) -> str:
        return self.protocol.phases[self.current].name if 0 <= self.current < len(self.protocol.phases) else ""


class ClockLabel(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("0:00:00", parent)
        self.setObjectName("sessionClock")
        self.setAccessibleName("Session time")
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)

    def show_elapsed(self, seconds: float) -> str:
        text = format_hms(seconds)
        if text != self.text():
            self.setText(text)
            self.setAccessibleDescription(f"Session time {text}")
        return text
