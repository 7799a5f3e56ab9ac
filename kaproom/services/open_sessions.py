"""The words for sessions left open (after a crash or a reboot), shared by the home page's Resume
buttons, the start page's warning and the refusal a second KAP Room shows."""
from __future__ import annotations

from datetime import UTC, datetime

from kaproom.domain.clock import format_hms, from_iso
from kaproom.services.workspace import Workspace
from kaproom.store import SessionRow


def describe_open_session(row: SessionRow, now: datetime | None = None, phase_name: str = "") -> str:
    """``session 12, client C-0042, Deep phase, started 09:02 (2:41:10 ago)``."""
    started = row.started_at or row.created_at
    when = ""
    try:
        moment = from_iso(started)
        ago = ((now or datetime.now(UTC)) - moment).total_seconds()
        when = f", started {moment.astimezone().strftime('%d %b %H:%M')} ({format_hms(ago)} ago)"
    except (TypeError, ValueError):
        pass
    if not row.current_phase:
        phase = ", not started yet"
    else:
        phase = f", {phase_name} phase" if phase_name else f", phase {row.current_phase}"
    demo = " (demo)" if row.demo else ""
    return f"session {row.id}{demo}, client {row.client_code}{phase}{when}"


def phase_name_of(workspace: Workspace, row: SessionRow) -> str:
    """The open session's phase as the therapist knows it ("Deep"), from its own protocol."""
    try:
        protocol = workspace.protocol_of(row)
    except Exception:  # noqa: BLE001 - anything at all leaves the phase's id: the description still works with it
        return ""
    return next((phase.name for phase in protocol.phases if phase.id == row.current_phase), "")


def still_open_notice(workspace: Workspace, rows: list[SessionRow]) -> str:
    """What the start page says of sessions left open, named as the home page's Resume buttons
    name them, and what to do about them before a second session starts beside them."""
    named = "; ".join(describe_open_session(row, phase_name=phase_name_of(workspace, row)) for row in rows)
    it = "it" if len(rows) == 1 else "them"
    return (f"Still open: {named}. Starting a new session leaves {it} open. If {it} "
            f"{'is' if len(rows) == 1 else 'are'} over, go Back, resume {it} and end {it}, "
            "so the record says how it ended.")
