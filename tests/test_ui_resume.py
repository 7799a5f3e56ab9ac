"""Resume after the app stopped: the home page offers the open session first, and the room comes
back with the true elapsed time (the clock kept counting while the app was away) and the full log."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton

from kaproom.domain.events import Kind
from kaproom.domain.session import State
from kaproom.services.workspace import Workspace
from kaproom.ui.shell.home import HomeWindow
from kaproom.ui.shell.launcher import Launcher
from tests._room_helpers import assert_log_matches_store, stored


def test_home_offers_the_open_session_and_resume_shows_true_time_and_full_log(qtbot, data_dir, clock, protocol) -> None:
    with Workspace(data_dir, clock) as before:
        runner = before.new_session(protocol, "C-0042", "Dr Ada", "Room 2", intention="Be curious.")
        clock.advance(25 * 60)
        runner.tick()  # Arrival ended at 20 min
        runner.note("Lozenge in.")
        runner.tag("Tearful")
        uid = runner.session_uid
    clock.advance(7 * 60 + 30)  # the computer restarted; seven and a half minutes pass

    with Workspace(data_dir, clock) as workspace:
        launcher = Launcher(workspace, extensions=())
        home = launcher.show_home()
        qtbot.addWidget(home)
        assert isinstance(home, HomeWindow)
        resume = home.findChild(QPushButton, "resume_1")
        assert "client C-0042, Dosing phase" in resume.text() and home.focusWidget() is resume
        qtbot.mouseClick(resume, Qt.MouseButton.LeftButton)
        room = launcher.room
        qtbot.addWidget(room)
        assert room.clock_label.text() == "0:32:30"
        assert room.phase_strip.current_name() == "Dosing"
        assert room.phase_label.text().startswith("Dosing \u2013 12 min in, 3 min left")
        resumed = stored(workspace, room.controller.runner, Kind.SESSION_RESUMED)
        assert len(resumed) == 1 and resumed[0].payload["gap_seconds"] == 450.0
        assert room.log_view.lines()[-1].endswith("the last entry before it was 8 min earlier. "
                                                  "The session clock kept counting")
        assert_log_matches_store(room, workspace, room.controller.runner)
        lines = room.log_view.lines()
        assert any(line.endswith("Note   Lozenge in.") for line in lines)
        assert any(line.endswith("Intention   Be curious.") for line in lines)
        assert room.controller.runner.session_uid == uid
        clock.advance(60)
        room.controller.tick()
        assert room.clock_label.text() == "0:33:30"
        room.close_now()


def test_a_session_created_but_never_started_starts_on_resume(qtbot, workspace, protocol, clock) -> None:
    runner = workspace.new_session(protocol, "C-9", "Dr A", start=False)
    clock.advance(90)
    launcher = Launcher(workspace, extensions=())
    room = launcher.resume_latest()
    qtbot.addWidget(room)
    assert room.controller.runner.state.state == State.RUNNING
    assert room.clock_label.text() == "0:00:00" and room.phase_strip.current_name() == "Arrival & intention"
    assert stored(workspace, runner, Kind.SESSION_STARTED)


def test_resume_without_an_open_session_says_so(qtbot, workspace) -> None:
    launcher = Launcher(workspace, extensions=())
    home = launcher.resume_latest()
    qtbot.addWidget(home)
    assert isinstance(home, HomeWindow)
    assert home.statusBar().currentMessage() == "There is no open session to resume."
    assert not home.resume_buttons


def test_an_open_session_whose_record_was_garbled_outside_the_app_is_refused_with_where(qtbot, workspace, protocol,
                                                                                        clock) -> None:
    """Its phase change edited into something unreadable: resuming says which event and what to
    do, on the home page, instead of the app stopping with a traceback."""
    import sqlite3
    runner = workspace.new_session(protocol, "C-9", "Dr A")
    clock.advance(60)
    runner.note("settled")
    phase = stored(workspace, runner, Kind.PHASE_CHANGED)[0]
    conn = sqlite3.connect(workspace.store.path)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET payload='{\"to\": \"deep\"}' WHERE id=?", (phase.id,))  # no index
    conn.commit()
    conn.close()
    launcher = Launcher(workspace, extensions=())
    assert launcher.resume_latest() is None
    home = launcher.window
    qtbot.addWidget(home)
    assert isinstance(home, HomeWindow)
    message = home.statusBar().currentMessage()
    assert message.startswith("Session 1 could not be resumed")
    assert f"event {phase.seq} (phase changed) cannot be read" in message
    assert "changed outside KAP Room" in message and "review" in message


def test_resuming_a_session_whose_record_was_edited_says_so_in_the_room(qtbot, workspace, protocol, clock) -> None:
    """Still readable, so the session goes on; but its chain is broken, and the therapist is told."""
    import sqlite3
    runner = workspace.new_session(protocol, "C-9", "Dr A")
    clock.advance(60)
    note = runner.note("client asleep")
    conn = sqlite3.connect(workspace.store.path)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET payload='{\"text\":\"client awake\"}' WHERE id=?", (note.id,))
    conn.commit()
    conn.close()
    room = Launcher(workspace, extensions=()).resume_latest()
    qtbot.addWidget(room)
    qtbot.waitUntil(lambda: room.findChild(QLabel, "recordChanged") is not None)
    banner = room.findChild(QLabel, "recordChanged")
    assert f"changed outside KAP Room (at event {note.seq})" in banner.text()
    assert room.controller.note("still saved") is not None


def test_resuming_an_intact_session_shows_no_such_warning(qtbot, workspace, protocol, clock) -> None:
    runner = workspace.new_session(protocol, "C-9", "Dr A")
    runner.note("client asleep")
    room = Launcher(workspace, extensions=()).resume_latest()
    qtbot.addWidget(room)
    assert room.check_record()
    assert room.findChild(QLabel, "recordChanged") is None
