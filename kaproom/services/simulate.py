"""Run a whole protocol headless on a scaled clock, writing realistic events.

Used by tests, benchmarks and fault-injection runs. It goes through the same Workspace,
SessionRunner and Store as the room screen, so what it proves holds for the app.
"""
from __future__ import annotations

import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from kaproom.domain.clock import Clock, ScaledClock
from kaproom.domain.events import Kind, RecordedEvent
from kaproom.domain.medication import AdverseEventInput
from kaproom.domain.protocol import Protocol
from kaproom.domain.session import DoseSupply, SessionRunner, State
from kaproom.domain.vitals import Reading, check_in
from kaproom.services.people import AccessRefused
from kaproom.services.session_start import Screening
from kaproom.services.stock import Person, Stock
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


class SimulationRefused(ValueError):
    """Options the protocol cannot run (an unknown medication or adverse event, no phase for a booster)."""


@dataclass(frozen=True)
class MedicationPlan:
    """The medication record a simulated session writes besides its first dose (``kaproom simulate
    --booster --waste --medication NAME --adverse-event KIND``)."""

    booster: bool = False
    waste: bool = False
    medications: tuple[str, ...] = ()
    adverse_events: tuple[str, ...] = ()
    #: The typed witness of the waste: a name, marked unverified in the record (no second sign-in).
    witness: str = "R. Lee (second staff member)"
    notes: list[str] = field(default_factory=list, compare=False)  # what the plan changed, said on stdout

    @property
    def empty(self) -> bool:
        return not (self.booster or self.waste or self.medications or self.adverse_events)


#: What a simulated adverse event says was done, by kind (the default for any other).
AE_ACTIONS = {"hypertension": "BP rechecked after 5 min; clonidine per standing order",
              "nausea_vomiting": "ondansetron per standing order; emesis bag",
              "emergence_reaction": "reassured, music lowered, lights dimmed"}


def allowing_booster(protocol: Protocol, plan: MedicationPlan) -> Protocol:
    """The protocol, allowing one booster where it allows none: a simulated session that asks for a
    booster shows the record a clinic that set ``max_doses = 2`` would keep (its stored protocol
    text says so)."""
    if not plan.booster or protocol.doses.max_doses >= 2:
        return protocol
    text, found = re.subn(r"(?m)^max_doses\s*=\s*\d+", "max_doses = 2", protocol.text)
    plan.notes.append(f"protocol {protocol.id} allows {protocol.doses.max_doses} dose; this simulated session "
                      "allows a booster (max_doses = 2), as a clinic that set it would")
    return replace(protocol, doses=replace(protocol.doses, max_doses=2), text=text if found else protocol.text)


def _phase_bounds(protocol: Protocol, phase_id: str) -> tuple[float, float]:
    start = 0.0
    for phase in protocol.phases:
        if phase.id == phase_id:
            return start, start + phase.seconds
        start += phase.seconds
    raise KeyError(phase_id)


def booster_time(protocol: Protocol, dose_at: float) -> float:
    """The first moment a booster is allowed (the interval after the dose, in an allowed phase), plus a minute."""
    earliest = dose_at + protocol.doses.min_interval_minutes * 60.0
    for phase_id in protocol.doses.booster_phases:
        start, end = _phase_bounds(protocol, phase_id)
        at = max(earliest, start) + 60.0
        if at < end - 1.0:
            return at
    phases = ", ".join(protocol.doses.booster_phases)
    raise SimulationRefused(f"protocol {protocol.id} leaves no time for a booster: none of its booster_phases "
                            f"({phases}) is open {protocol.doses.min_interval_minutes:g} min after the dose")


#: The lot a simulated session receives where the register has none to give from.
SIMULATED_LOT = dict(product="ketamine", strength_mg="100", form="sublingual troche", supplier="Simulated pharmacy",
                     quantity="20")


@dataclass
class SimulatedSupply:
    """The stock register behind a simulated booster or waste: the doses come from a usable lot,
    received first (and said on stdout) where the register has none with enough units; the waste
    is witnessed by the plan's typed witness (unverified)."""

    stock: Stock
    lot: str
    by: Person = field(default_factory=lambda: Person("simulator"))

    @staticmethod
    def of(workspace: Workspace, plan: MedicationPlan, needed_units: float = 4.0) -> SimulatedSupply:
        stock = Stock.of(workspace)
        usable = [lot for lot in stock.usable_lots() if lot.stock >= round(needed_units * 100)]
        if usable:
            return SimulatedSupply(stock, usable[0].lot)
        today = stock.today()
        number = f"SIM-{today:%Y%m%d}-{len(stock.state().lots) + 1}"
        expiry = (today + timedelta(days=365)).isoformat()
        stock.receive(Person("simulator"), lot=number, expiry=expiry, **SIMULATED_LOT)
        plan.notes.append(f"the stock register had no usable lot: received lot {number} "
                          f"({SIMULATED_LOT['quantity']} x {SIMULATED_LOT['strength_mg']} mg, expires {expiry})")
        return SimulatedSupply(stock, number)

    def dose(self, runner: SessionRunner, mg: float | None) -> DoseSupply:
        strength = next((lot.strength_mg for lot in self.stock.lots() if lot.lot == self.lot), 100.0)
        units = round((mg or strength) / strength, 2)
        return self.stock.dose_supply(self.lot, f"{units:g}")

    def lines(self, dose: DoseSupply, runner: SessionRunner) -> Callable[[object], object]:
        return self.stock.room_dose(self.by, dose, runner.session_uid)

    def waste(self, runner: SessionRunner, witness: str, mg: float | None,
              reason: str) -> tuple[DoseSupply, Callable[[object], object]]:
        strength = next((lot.strength_mg for lot in self.stock.lots() if lot.lot == self.lot), 100.0)
        units = round((mg or strength * 0.25) / strength, 2)
        return self.stock.room_waste(self.by, Person(witness), self.lot, f"{units:g}", runner.session_uid, reason)


def check_plan(protocol: Protocol, plan: MedicationPlan) -> None:
    """Refuse, before anything is written, a medication or adverse event the protocol does not list."""
    for name in plan.medications:
        if protocol.standing_order(name) is None:
            known = ", ".join(o.id for o in protocol.standing_orders) or "none"
            raise SimulationRefused(f"--medication {name}: not one of protocol {protocol.id}'s standing orders "
                                    f"({known})")
    for kind in plan.adverse_events:
        if protocol.adverse_event_kind(kind) is None:
            known = ", ".join(k.id for k in protocol.adverse_event_kinds)
            raise SimulationRefused(f"--adverse-event {kind}: not one of protocol {protocol.id}'s adverse events "
                                    f"({known})")


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
                   sleep: Callable[[float], None] = time.sleep,
                   medication: MedicationPlan | None = None) -> SimulationResult:
    """Create, run and discharge one session; sleep on the (scaled) clock between actions.
    ``medication``: a booster, a witnessed waste, standing-order medications and adverse events too."""
    rng = random.Random(seed)
    meds = medication or MedicationPlan()
    protocol = allowing_booster(workspace.protocol(protocol_id), meds)
    check_plan(protocol, meds)
    clock: Clock = workspace.clock
    starting = workspace.session_start(protocol, client_code=f"SIM-{seed:04d}", therapist="simulator",
                                       room="Sim room", prescribed_dose_mg=None if meds.empty else 200.0)
    runner: SessionRunner = starting.run(Screening({q.id: False for q in protocol.screening}),
                                         "To meet whatever comes with curiosity.", start=False)

    def announce(event: RecordedEvent) -> None:
        if out is not None:
            out.write(f"committed session={event.session_uid} seq={event.seq} id={event.id} kind={event.kind}\n")
            out.flush()
        if on_event:
            on_event(event)

    runner.subscribe(announce)
    supply = SimulatedSupply.of(workspace, meds) if meds.booster or meds.waste else None
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
    actions += _medication_actions(protocol, meds, dose_at, total)
    actions.append((total, "discharge", 0))
    actions.sort()
    doses: list[RecordedEvent] = []
    given: dict[int, RecordedEvent] = {}  # the medications given, by their place in the plan

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
            if supply is None:
                doses.append(runner.give_dose(runner.protocol.dose_route)[0])
            else:
                dose = supply.dose(runner, runner.state.prescribed_dose_mg)
                doses.append(runner.give_dose(runner.protocol.dose_route, supply=dose,
                                              alongside=supply.lines(dose, runner))[0])
        elif what in ("booster_check", "booster", "waste", "medication", "effect", "adverse_event"):
            _medication_step(runner, rng, meds, what, index, doses, given, supply)
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


def _medication_actions(protocol: Protocol, plan: MedicationPlan, dose_at: float,
                        total: float) -> list[tuple[float, str, int]]:
    """When the medication plan's steps happen: the waste as the lozenge phase ends, the booster
    (with its vitals check a minute before) as soon as the protocol allows it, the medications and
    their effects, and the adverse events later in the session."""
    actions: list[tuple[float, str, int]] = []
    if plan.waste:
        start, end = _phase_bounds(protocol, protocol.dose_phase)
        actions.append((max(dose_at + 1.0, end - 30.0), "waste", 0))
    if plan.booster:
        at = booster_time(protocol, dose_at)
        actions += [(at - 60.0, "booster_check", 0), (at, "booster", 0)]
    for index, at in enumerate(plan_times(total, len(plan.medications), 0.45)):
        actions += [(at, "medication", index), (min(total - 2.0, at + total * 0.05), "effect", index)]
    for index, at in enumerate(plan_times(total, len(plan.adverse_events), 0.6)):
        actions.append((at, "adverse_event", index))
    return actions


def plan_times(total: float, count: int, start: float) -> list[float]:
    """``count`` moments from ``start`` (a fraction of the session) on, a minute or 2 % apart."""
    step = max(30.0, total * 0.02)
    return [round(total * start + step * i, 3) for i in range(count)]


def _medication_step(runner: SessionRunner, rng: random.Random, plan: MedicationPlan, what: str, index: int,
                     doses: list[RecordedEvent], given: dict[int, RecordedEvent],
                     supply: SimulatedSupply | None = None) -> None:
    protocol = runner.protocol
    if what == "booster_check":
        runner.record(Kind.VITALS, realistic_vitals(rng, 3))
    elif what == "booster":
        refused = runner.booster_refusal()
        if refused is not None:  # on a very fast clock a step can overshoot the booster's window
            raise SimulationRefused(f"the booster could not be given: {refused}; try a lower --speed")
        if supply is None:
            doses.append(runner.give_booster())
        else:
            dose = supply.dose(runner, protocol.doses.booster_mg or runner.state.prescribed_dose_mg)
            doses.append(runner.give_booster(supply=dose, alongside=supply.lines(dose, runner)))
    elif what == "waste":
        amount = runner.state.prescribed_dose_mg
        reason, first = "part of the lozenge spat out", doses[0].seq if doses else None
        if supply is None:
            runner.record_waste(plan.witness, None if amount is None else round(amount * 0.25, 1), reason,
                                dose_seq=first)
        else:
            wasted, write = supply.waste(runner, plan.witness, None if amount is None else amount * 0.25, reason)
            runner.record_waste(plan.witness, wasted.amount_mg, reason, dose_seq=first, product=wasted.product,
                                lot=wasted.lot, units=wasted.units, alongside=write)
    elif what == "medication":
        order = protocol.standing_order(plan.medications[index])
        if order is not None:
            given[index] = runner.give_medication(order.id)
    elif what == "effect" and index in given:
        runner.medication_effect(given[index], "settled within 15 min")
    elif what == "adverse_event":
        kind = protocol.adverse_event_kind(plan.adverse_events[index])
        if kind is not None:
            description = "simulated" if kind.id == "other" else ""
            runner.record_adverse_event(AdverseEventInput(
                kind.id, "moderate", actions=AE_ACTIONS.get(kind.id, "observed closely; therapist stayed beside"),
                outcome="resolved before discharge", ems_called=False, follow_up=True, description=description))


def main_simulate(workspace_factory: Callable[[Clock], Workspace], speed: float, protocol: str, notes: int,
                  vitals: int, tracks: int, seed: int, print_commits: bool,
                  medication: MedicationPlan | None = None) -> int:
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
        plan = medication or MedicationPlan()
        result = run_simulation(workspace, protocol, notes, vitals, tracks, seed,
                                out=sys.stdout if print_commits else None, medication=plan)
    for said in plan.notes:
        print(f"note: {said}", flush=True)
    print(f"simulated session {result.session_uid}: {result.events} events over "
          f"{result.elapsed / 60:.1f} session minutes at {speed:g}x", flush=True)
    return 0
