"""The demo session: a fresh one on the demo's own database, through the same start sequence as
a real session (create -> screening -> intention -> facts before the dose -> start), so it records
what a real one would. It is prepared as a therapist would prepare it before the dose: the facts
the protocol asks for (a demo escort among them) and a baseline check, so F10 records the dose at once."""
from __future__ import annotations

from collections.abc import Mapping

from kaproom.domain.events import Kind
from kaproom.domain.pre_dose import parse_facts
from kaproom.domain.protocol import Protocol
from kaproom.domain.protocol_error import ProtocolError
from kaproom.domain.session import SessionError, SessionRunner, State
from kaproom.domain.vitals import check_in, parse_vitals
from kaproom.services.session_start import Screening
from kaproom.services.workspace import Workspace
from kaproom.store import SessionRow, StoreError

DEMO_CLIENT = "DEMO-0001"
DEMO_THERAPIST = "Demo therapist"
DEMO_ROOM = "Demo room"
DEMO_DOSE_MG = 300.0  # an example amount, so the demo shows the dose as the record keeps it
DEMO_INTENTION = "To rest, listen and notice whatever comes (a demonstration session)."
#: The facts before the dose, as typed on the start page; the demo records those its protocol asks for.
DEMO_FACTS: Mapping[str, str] = {
    "escort_name": "Demo escort", "escort_phone": "555 0100", "last_food": "07:30", "last_drink": "08:30",
    "touch_consent": "ask first", "music_preferences": "Instrumental, nothing too loud (demo)",
}
#: A calm baseline check-in, as typed in the vitals form.
DEMO_BASELINE: Mapping[str, str] = {
    "systolic": "122/78", "pulse": "68", "spo2": "98", "respiratory_rate": "14", "moaas": "5", "nausea": "none",
    "comment": "Demo baseline",
}


def start_demo_session(workspace: Workspace, protocol_id: str) -> SessionRunner:
    """A new running demo session; older open demo sessions are closed as ended early first."""
    for row in workspace.store.open_sessions():
        close_stale_demo(workspace, row)
    protocol = workspace.protocol(protocol_id)
    starting = workspace.session_start(protocol, DEMO_CLIENT, DEMO_THERAPIST, DEMO_ROOM, demo=True,
                                       prescribed_dose_mg=DEMO_DOSE_MG)
    facts = parse_facts(DEMO_FACTS, protocol.pre_dose_ask + protocol.pre_dose_required).facts
    runner = starting.run(Screening({q.id: False for q in protocol.screening}, proceed_confirmed=False),
                          DEMO_INTENTION, pre_dose=facts or None)
    record_demo_baseline(runner, protocol)
    return runner


def record_demo_baseline(runner: SessionRunner, protocol: Protocol) -> None:
    """The baseline check the protocol wants before the dose, with its alerts (a calm one has none)."""
    if not (protocol.has_dose and protocol.vitals_schedule.baseline_before_dose):
        return
    reading = parse_vitals(DEMO_BASELINE, protocol.vitals_ranges).reading
    if reading is None:  # the demo's own values: never, unless a clinic's ranges exclude them
        return
    checked = check_in(reading, protocol.alerts, pre_dose=True)
    runner.record_with(Kind.VITALS, checked.payload(),
                       lambda check: [(Kind.ALERT, alert) for alert in checked.alerts(check.seq)])


def close_stale_demo(workspace: Workspace, row: SessionRow) -> None:
    try:
        runner = workspace.resume(row)
        if runner.state.state == State.RUNNING:
            runner.end(State.ENDED_EARLY, "a new demo was started")
    except (StoreError, ProtocolError, SessionError):
        pass  # an old demo left open harms nothing; the new one starts regardless
