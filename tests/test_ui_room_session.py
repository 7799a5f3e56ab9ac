"""A whole session driven as a therapist would, on the fake clock: the start page, notes typed
with Enter, quick tags by key, a phase that ends on time and one moved on by hand, an extension,
the privacy key, a correction and the end; afterwards the store holds exactly what was shown."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QPushButton, QWidget

from kaproom.domain.events import Kind
from kaproom.domain.session import State
from kaproom.ui.room.window import RoomWindow
from kaproom.ui.shell.launcher import Launcher
from kaproom.ui.start.page import StartPage
from tests._room_helpers import activate, assert_log_matches_store, press, stored, stored_notes, type_note


def fill_start_page(qtbot, page: StartPage, protocol_id: str = "short-check") -> None:
    page.protocol_choice.setCurrentIndex(page.protocol_choice.findData(protocol_id))
    qtbot.keyClicks(page.client_code, "C-0042")
    qtbot.keyClicks(page.therapist, "Dr Ada")
    qtbot.keyClicks(page.room, "Room 2")
    for qid in page.screening_groups:
        qtbot.mouseClick(page.findChild(QWidget, f"screening_{qid}_no"), Qt.MouseButton.LeftButton)
    qtbot.keyClicks(page.intention, "To meet the grief with curiosity.")


def test_full_session_from_start_page_to_end(qtbot, workspace, clock) -> None:
    launcher = Launcher(workspace, extensions=())
    page = launcher.show_start()
    qtbot.addWidget(page)
    fill_start_page(qtbot, page)
    # One "yes" answer: a caution, and the start waits for the explicit clinical judgement.
    qtbot.mouseClick(page.findChild(QWidget, "screening_fasting_yes"), Qt.MouseButton.LeftButton)
    assert page.findChild(QLabel, "screeningCaution").isVisibleTo(page)
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    assert "Proceed anyway" in page.findChild(QLabel, "startError").text()
    assert workspace.store.count_sessions() == 0
    page.proceed.setChecked(True)
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)

    room = launcher.room
    assert isinstance(room, RoomWindow)
    qtbot.addWidget(room)
    activate(qtbot, room)
    runner = room.controller.runner
    screening = stored(workspace, runner, Kind.SCREENING)[0].payload
    assert screening["answers"]["fasting"] is True and screening["proceed_confirmed"] is True
    assert stored(workspace, runner, Kind.INTENTION)[0].payload["text"] == "To meet the grief with curiosity."
    assert room.windowTitle().startswith("KAP Room")
    assert room.focusWidget() is room.findChild(QLineEdit, "noteInput")

    # Notes by typing and Enter; they show only once saved.
    clock.advance(30)
    type_note(qtbot, room, "Settled, breathing slow.")
    assert room.note_input.text() == ""
    assert room.log_view.lines()[-1] == "0:00:30   Note   Settled, breathing slow."
    # Quick tags by their keys, while the cursor stays in the note field.
    qtbot.keyClicks(room.note_input, "half typed")
    press(room, "F2")
    press(room, "Ctrl+1")
    assert [e.payload["label"] for e in stored(workspace, runner, Kind.TAG)] == ["Tearful", "Lozenge spat out"]
    assert room.note_input.text() == "half typed"
    room.note_input.clear()

    # The clock ends Arrival (2 min): a calm change, no dialog.
    clock.advance(95)
    room.controller.tick()
    assert room.findChild(QLabel, "sessionClock").text() == "0:02:05"
    assert room.findChild(QLabel, "phaseLabel").text().startswith("Dosing \u2013 0 min in, 2 min left")
    assert room.phase_strip.current_name() == "Dosing"
    assert room.log_view.lines()[-1] == "0:02:00   Phase   Dosing (on time)"
    assert room.windowTitle() == "KAP Room \u2014 session 0:02:05 \u2014 Dosing"

    # Move on by hand: the key opens a question; a brushed key alone does nothing.
    press(room, "Ctrl+Shift+N")
    assert room.prompt.is_open and runner.state.phase.id == "dosing"
    qtbot.keyClicks(room.prompt.field, "client ready early")
    press(room, "Return")
    assert runner.state.phase.id == "onset" and not room.prompt.is_open
    changed = stored(workspace, runner, Kind.PHASE_CHANGED)[-1].payload
    assert changed["how"] == "manual" and changed["reason"] == "client ready early"
    assert room.focusWidget() is room.note_input

    # Extend Onset by 10 minutes: Tab to the second choice, Enter.
    press(room, "Ctrl+Shift+E")
    assert room.focusWidget() is room.prompt.buttons[0]
    press(room, "Tab")
    press(room, "Return")
    assert stored(workspace, runner, Kind.PHASE_EXTENDED)[-1].payload == {"minutes": 10, "phase": "onset"}
    assert "12 min left" in room.phase_label.text()
    assert room.phase_strip.labels[2].text().endswith("12 min")

    # Esc cancels an open question.
    press(room, "Ctrl+Shift+X")
    assert room.prompt.is_open
    press(room, "Esc")
    assert not room.prompt.is_open and runner.state.state == State.RUNNING

    # Privacy: only the clock and the phase stay.
    press(room, "F12")
    cover = room.findChild(QWidget, "privacyCover")
    assert cover.isVisible()
    for name in ("noteInput", "logView", "vitalsDue", "phaseStrip", "musicStrip"):
        assert not room.findChild(QWidget, name).isVisible(), name
    assert room.findChild(QLabel, "sessionClock").isVisible() and room.findChild(QLabel, "phaseLabel").isVisible()
    clock.advance(60)
    room.controller.tick()
    assert room.clock_label.text() == "0:03:05"
    press(room, "F12")
    assert not cover.isVisible() and room.note_input.isVisible() and room.focusWidget() is room.note_input

    # Correct the newest note: an amendment shown under the original, which stays.
    type_note(qtbot, room, "Pulse felt fast")
    press(room, "Ctrl+Shift+A")
    assert room.prompt.field.text() == "Pulse felt fast"
    assert room.prompt.title.text().startswith("Correct the note at 0:03:05 (\u201cPulse felt fast\u201d)."), \
        "named by its time, as the log shows it (the room shows no entry numbers)"
    room.prompt.field.setText("Pulse felt normal on second check")
    press(room, "Return")
    lines = room.log_view.lines()
    original = next(i for i, line in enumerate(lines) if line.endswith("Note   Pulse felt fast"))
    assert "Amendment   amends note" in lines[original + 1]
    assert lines[original + 1].endswith("Pulse felt normal on second check")

    # End early: a reason is required; then the session is closed.
    press(room, "Ctrl+Shift+X")
    press(room, "Return")
    assert "reason" in room.prompt.message.text() and runner.state.state == State.RUNNING
    qtbot.keyClicks(room.prompt.field, "client asked to stop")
    press(room, "Return")
    assert runner.state.state == State.ENDED_EARLY
    assert room.phase_label.text() == "Session ended early"
    strip = [label.text().split("\n")[0] for label in room.phase_strip.labels]  # ended in Onset: no phase is current
    assert strip[:3] == ["\u2713 Arrival & intention", "\u2713 Dosing", "\u2713 Onset"] and strip[3] == "Deep"
    assert not any(text.startswith("\u25b6") for text in strip) and room.phase_strip.current_name() == ""
    assert not room.findChild(QPushButton, "advanceButton").isEnabled()
    assert room.log_view.lines()[-1].endswith("Session ended early: client asked to stop")

    assert stored_notes(workspace, runner) == ["Settled, breathing slow.", "Pulse felt fast"]
    assert_log_matches_store(room, workspace, runner)
    assert workspace.store.session(runner.session_uid).state == "ended_early"


def test_the_phase_line_says_which_phases_wait_for_the_therapist(workspace, short_protocol, clock) -> None:
    """A middle phase held for the therapist says it moves on by hand; the last phase, which no
    phase follows, names the discharge key once its time is up and says nothing extra before."""
    from dataclasses import replace

    from kaproom.ui.room.header import phase_text
    held = replace(short_protocol, phases=tuple(replace(p, auto_advance=False) if index == 1 else p
                                                for index, p in enumerate(short_protocol.phases)))
    runner = workspace.new_session(held, "C-8", "Dr B")
    runner.advance("ready")
    assert phase_text(runner).endswith("left; moves on by hand")
    while not runner.state.is_last_phase:
        runner.advance("quick")
    assert phase_text(runner).endswith("min left"), "before its time is up, nothing more"
    clock.advance(2 * 60)
    runner.tick()
    assert phase_text(runner).endswith("over; vitals needed before discharge (F9)")


def test_discharge_by_default_handler_and_phase_that_moves_on_by_hand(qtbot, workspace, short_protocol, clock) -> None:
    from tests._room_helpers import open_room
    runner = workspace.new_session(short_protocol, "C-7", "Dr B")
    room = open_room(qtbot, workspace, runner)
    for _ in range(5):
        runner.advance("quick")
    clock.advance(5 * 60)
    room.controller.tick()
    assert runner.state.is_last_phase
    assert room.phase_label.text() == ("Integration & discharge \u2013 5 min in, 4 min over; "
                                       "vitals needed before discharge (F9)")
    press(room, "Ctrl+Shift+N")
    assert "last phase" in room.status.text() and not room.prompt.is_open
    press(room, "Ctrl+Shift+D")
    qtbot.keyClicks(room.prompt.field, "left with partner")
    press(room, "Ctrl+Shift+D")  # the same key again confirms
    assert runner.state.state == State.DISCHARGED
    ended = stored(workspace, runner, Kind.SESSION_ENDED)[0].payload
    assert ended == {"outcome": "discharged", "reason": "left with partner"}
    clock.advance(600)
    room.controller.tick()
    assert room.clock_label.text() == "0:05:00"  # the clock stops at the end
    assert_log_matches_store(room, workspace, runner)


def test_log_follows_newest_unless_scrolled_up(qtbot, workspace, protocol, clock) -> None:
    from tests._room_helpers import open_room
    runner = workspace.new_session(protocol, "C-7", "Dr B")
    room = open_room(qtbot, workspace, runner)
    log: QListWidget = room.findChild(QListWidget, "logView")
    for index in range(60):
        clock.advance(5)
        room.controller.note(f"Observation number {index} " + "with quite a few words " * (index % 4))
    bar = log.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum())
    bar.setValue(0)  # the therapist scrolls up to read
    room.controller.note("a newer note")
    qtbot.wait(50)
    assert bar.value() == 0 and not log.following
    bar.setValue(bar.maximum())
    room.controller.note("and another")
    qtbot.waitUntil(lambda: bar.value() == bar.maximum())
    assert log.following and log.item(log.count() - 1).text().endswith("and another")
    assert log.wordWrap()


def test_closing_a_running_session_asks_in_the_window(qtbot, workspace, protocol) -> None:
    from tests._room_helpers import open_room
    runner = workspace.new_session(protocol, "C-7", "Dr B")
    room = open_room(qtbot, workspace, runner)
    room.close()
    assert room.isVisible() and room.prompt.is_open and room.prompt.key == "close"
    press(room, "Esc")
    assert room.isVisible() and not room.prompt.is_open
    room.close()
    press(room, "Return")
    assert not room.isVisible() and not room.controller.ticking


def test_the_clock_wakes_just_after_each_second_and_at_most_four_times_a_second_in_a_demo(
        qtbot, workspace, protocol, clock) -> None:
    """The room shows each new second as it turns, without waking more often than that."""
    from kaproom.domain.clock import ScaledClock
    from kaproom.ui.room.controller import SessionController

    runner = workspace.new_session(protocol, "C-1", "Dr A")
    controller = SessionController(workspace, runner)
    clock.advance(10.25)
    assert controller.next_tick_ms() == 755  # 0.75 s to 11 s, then 5 ms after the second turns
    clock.advance(0.74)
    assert controller.next_tick_ms() == 15
    controller.start_ticking()
    assert controller.ticking
    with qtbot.waitSignal(controller.ticked, timeout=2000):
        clock.advance(0.02)
    assert controller.ticking, "it arms itself again after each tick"
    controller.stop_ticking()
    assert not controller.ticking

    demo = ScaledClock(30.0)
    controller.clock = demo
    assert controller.next_tick_ms() == 250
    controller.clock = clock
    clock.advance(0.4)
    runner.end(State.ENDED_EARLY, "test")
    assert controller.next_tick_ms() == 1000  # the clock stopped at the end: no need to look more often
