"""Run a whole protocol headless on a scaled clock, writing realistic events.

Used by tests, benchmarks and fault-injection runs. It goes through the same Workspace,
SessionRunner and Store as the room screen, so what it proves holds for the app.
"""
from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from kaproom.domain.clock import Clock, ScaledClock
from kaproom.domain.events import Kind, RecordedEvent
from kaproom.domain.session import SessionRunner, State
from kaproom.domain.vitals import Reading, check_in
from kaproom.services.people import AccessRefused
from kaproom.services.session_start import Screening
from kaproom.services.workspace import Workspace

NOTE_TEXTS = (
    "Settled, breathing slow and even.", "Eyeshades on, lying back.", "Smiled briefly.",
    "Hands relaxed on blanket.", "Asked for water; sips taken.", "Quiet, eyes closed.",
    "Murmured about a childhood house.", "Tearful for a minute, then calm.",
    "Shifted position, comfortable.", "First words: 'that was a lot'.",
)
TRACKS = ("Tide pool", "Long light", "Low hills", "Slow river", "Evening field", "Glass bells")


@dataclass
class SimulationResult:
    session_uid: str
    events: int
    elapsed: float


def realistic_vitals(rng: random.Random, index: int) -> dict[str, Any]:
    """Plausible numbers with a mid-session blood pressure rise, as ketamine often gives, in the
    full payload the room's check-in writes (statuses, NEWS2); check 0 is the pre-dose baseline."""
    rise = 12 if 1 <= index <= 2 else 0
    systolic = rng.randint(112, 132) + rise
    reading = Reading(
        systolic=systolic, diastolic=rng.randint(70, 84) + rise // 2, pulse=rng.randint(62, 90),
        spo2=rng.randint(96, 99), respiratory_rate=rng.randint(12, 18), temperature=None,
        moaas=5 if index == 0 else rng.choice([3, 4, 4, 5]), nausea=rng.choice(["none", "none", "mild"]))
    return check_in(reading, pre_dose=index == 0).payload()


def plan(total: float, count: int, offset: float) -> list[float]:
    """``count`` moments spread evenly over a session of ``total`` seconds."""
    if count <= 0:
        return []
    step = total / (count + 1)
    return [round(offset + step * (i + 1), 3) for i in range(count)]


def run_simulation(workspace: Workspace, protocol_id: str = "lozenge-3h", notes: int = 20, vitals: int = 7,
                   tracks: int = 12, seed: int = 1, out: TextIO | None = None,
                   on_event: Callable[[RecordedEvent], None] | None = None,
                   sleep: Callable[[float], None] = time.sleep) -> SimulationResult:
    """Create, run and discharge one session; sleep on the (scaled) clock between actions."""
    rng = random.Random(seed)
    protocol = workspace.protocol(protocol_id)
    clock: Clock = workspace.clock
    starting = workspace.session_start(protocol, client_code=f"SIM-{seed:04d}", therapist="simulator",
                                       room="Sim room")
    runner: SessionRunner = starting.run(Screening({q.id: False for q in protocol.screening}),
                                         "To meet whatever comes with curiosity.", start=False)

    def announce(event: RecordedEvent) -> None:
        if out is not None:
            out.write(f"committed session={event.session_uid} seq={event.seq} id={event.id} kind={event.kind}\n")
            out.flush()
        if on_event:
            on_event(event)

    runner.subscribe(announce)
    starting.start()
    total = protocol.total_seconds
    dose_at = sum(p.seconds for p in protocol.phases[:protocol.dose_phase_index]) + 1.0
    if not protocol.has_dose:  # an integration session: nothing given, vitals only as the plan has them
        dose_at = total + 1.0
    actions: list[tuple[float, str, int]] = [(dose_at, "dose", 0)] if protocol.has_dose else []
    actions += [(t, "note", i) for i, t in enumerate(plan(total - 60, notes, 30))]
    checks = plan(total - 60, vitals, 5)
    if protocol.has_dose and checks and checks[0] >= dose_at:  # the first check is the baseline, before the dose
        checks[0] = max(0.0, dose_at - 120.0)
    actions += [(t, "vitals", i) for i, t in enumerate(checks)]
    actions += [(t, "track", i) for i, t in enumerate(plan(total - 60, tracks, 2))]
    actions.append((total, "discharge", 0))
    actions.sort()

    for at, what, index in actions:
        while True:
            runner.tick()
            left = at - runner.elapsed()
            if left <= 0:
                break
            sleep(max(min(left, 5.0), 0.001) / clock.speed)  # a step too small to move a float clock would loop
        if what == "note":
            runner.note(rng.choice(NOTE_TEXTS))
        elif what == "vitals":
            runner.record(Kind.VITALS, realistic_vitals(rng, index))
        elif what == "dose":
            runner.give_dose(runner.protocol.dose_route)
        elif what == "track":
            title = TRACKS[index % len(TRACKS)]
            runner.record(Kind.MUSIC, {"action": "track_started", "title": title,
                                       "file": f"{title.lower().replace(' ', '-')}.ogg",
                                       "playlist": runner.state.phase.playlist if runner.state.phase else ""})
        elif what == "discharge":
            while not runner.state.is_last_phase:
                runner.advance("simulated discharge")
            runner.end(State.DISCHARGED, details={"checklist": {q.id: True for q in protocol.discharge_checklist}})
    return SimulationResult(runner.session_uid, runner.state.last.seq if runner.state.last else 0,
                            runner.elapsed())


def main_simulate(workspace_factory: Callable[[Clock], Workspace], speed: float, protocol: str, notes: int,
                  vitals: int, tracks: int, seed: int, print_commits: bool) -> int:
    workspace = workspace_factory(ScaledClock(speed))
    with workspace:
        if workspace.store.has_users():
            # Made-up sessions by "simulator", written without anyone signing in, would sit among a
            # clinic's real records (and its review list, exports and sign-offs): refused.
            raise AccessRefused(f"This data folder ({workspace.folder}) has staff accounts, so it holds a clinic's "
                                "records: simulate writes made-up sessions and runs only in a folder without staff. "
                                "Give it another folder with --data-dir.")
        # Dated so that it ends about now (two minutes ago): on a fast clock started now, a simulated
        # session would be dated hours ahead and top the review list as if it had not happened yet.
        # The wall time runs ``speed`` times faster than the real time it takes, hence the factor.
        back = max(0.0, (workspace.protocol(protocol).total_seconds + 120) * (1 - 1 / speed))
        workspace.clock = ScaledClock(speed, wall_start=datetime.now(UTC) - timedelta(seconds=back))
        result = run_simulation(workspace, protocol, notes, vitals, tracks, seed,
                                out=sys.stdout if print_commits else None)
    print(f"simulated session {result.session_uid}: {result.events} events over "
          f"{result.elapsed / 60:.1f} session minutes at {speed:g}x", flush=True)
    return 0
