"""Issue 23, point 5: resuming another therapist's open session needs a supervisor, and is audited."""
from __future__ import annotations

from kaproom.domain.events import Kind
from kaproom.domain.people import AuditKind
from kaproom.services.workspace import Workspace
from kaproom.ui.shell.launcher import Launcher
from tests._people_helpers import add_staff, audit_log, fast_people


def _open_session_of_teo(data_dir, clock, protocol):
    with Workspace(data_dir, clock) as workspace:
        add_staff(fast_people(workspace))
        workspace.new_session(protocol, "C-0042", "Teo", "Room 2")
        [row] = workspace.store.open_sessions()
        return row


def _resumed(workspace, uid):
    return [e for e in workspace.store.events(uid) if e.kind == Kind.SESSION_RESUMED]


def test_another_therapist_cannot_resume_a_session_without_a_supervisor(qtbot, data_dir, clock, protocol):
    row = _open_session_of_teo(data_dir, clock, protocol)
    with Workspace(data_dir, clock) as workspace:
        people = fast_people(workspace)
        admin = people.find("Ana")
        people.add_user(admin, "Uma", "therapist", "264810")
        asked: list[str] = []
        launcher = Launcher(workspace, extensions=(), identify=lambda _w, _p: ("Uma", True),
                            ask_supervisor=lambda _w, _p, purpose: asked.append(purpose))
        assert launcher.resume(row) is None
        qtbot.addWidget(launcher.window)
        assert "supervisor" in launcher.window.statusBar().currentMessage()
        assert asked and "Teo's session" in asked[0]
        assert _resumed(workspace, row.uid) == []  # nothing written into Teo's session


def test_a_supervisor_allows_the_handover_and_it_is_audited(qtbot, data_dir, clock, protocol):
    row = _open_session_of_teo(data_dir, clock, protocol)
    with Workspace(data_dir, clock) as workspace:
        people = fast_people(workspace)
        people.add_user(people.find("Ana"), "Uma", "therapist", "264810")
        launcher = Launcher(workspace, extensions=(), identify=lambda _w, _p: ("Uma", True),
                            ask_supervisor=lambda _w, _p, _purpose: people.find("Sam"))
        room = launcher.resume(row)
        qtbot.addWidget(room)
        assert room is not None and [e.author for e in _resumed(workspace, row.uid)] == ["Uma"]
        [handover] = audit_log(people, (AuditKind.SESSION_HANDED_OVER,))
        assert handover.payload["from"] == "Teo" and handover.payload["to"] == "Uma"
        assert handover.payload["approved_by"] == "Sam" and handover.author == "Uma"
        room.close_now()


def test_resuming_ones_own_session_is_audited_as_viewed(qtbot, data_dir, clock, protocol):
    row = _open_session_of_teo(data_dir, clock, protocol)
    with Workspace(data_dir, clock) as workspace:
        launcher = Launcher(workspace, extensions=(), identify=lambda _w, _p: ("Teo", True))
        room = launcher.resume(row)
        qtbot.addWidget(room)
        [viewed] = audit_log(fast_people(workspace), (AuditKind.SESSION_VIEWED,))
        assert viewed.payload["session"] == row.uid and viewed.payload["via"] == "resume"
        room.close_now()
