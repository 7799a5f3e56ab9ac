"""The demo session: a fresh one on the demo's own database, through the same start sequence as
a real session (create -> screening -> intention -> start), so it records what a real one would."""
from __future__ import annotations

from kaproom.domain.protocol_error import ProtocolError
from kaproom.domain.session import SessionError, SessionRunner, State
from kaproom.services.session_start import Screening
from kaproom.services.workspace import Workspace
from kaproom.store import SessionRow, StoreError

DEMO_CLIENT = "DEMO-0001"
DEMO_THERAPIST = "Demo therapist"
DEMO_ROOM = "Demo room"
DEMO_DOSE_MG = 300.0  # an example amount, so the demo shows the dose as the record keeps it
DEMO_INTENTION = "To rest, listen and notice whatever comes (a demonstration session)."


def start_demo_session(workspace: Workspace, protocol_id: str) -> SessionRunner:
    """A new running demo session; older open demo sessions are closed as ended early first."""
    for row in workspace.store.open_sessions():
        close_stale_demo(workspace, row)
    protocol = workspace.protocol(protocol_id)
    starting = workspace.session_start(protocol, DEMO_CLIENT, DEMO_THERAPIST, DEMO_ROOM, demo=True,
                                       prescribed_dose_mg=DEMO_DOSE_MG)
    return starting.run(Screening({q.id: False for q in protocol.screening}, proceed_confirmed=False),
                        DEMO_INTENTION)


def close_stale_demo(workspace: Workspace, row: SessionRow) -> None:
    try:
        runner = workspace.resume(row)
        if runner.state.state == State.RUNNING:
            runner.end(State.ENDED_EARLY, "a new demo was started")
    except (StoreError, ProtocolError, SessionError):
        pass  # an old demo left open harms nothing; the new one starts regardless
