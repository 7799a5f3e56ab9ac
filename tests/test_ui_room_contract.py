"""The room window's API that the music strip and the vitals panel build on."""
from __future__ import annotations

import sys
import types

from PySide6.QtWidgets import QLabel

from tests._room_helpers import open_room, press


def test_extensions_are_installed_and_missing_ones_skipped(qtbot, workspace, protocol, monkeypatch) -> None:
    installed = []
    module = types.ModuleType("kaproom_test_extension")
    module.install = lambda room: installed.append(room)
    monkeypatch.setitem(sys.modules, "kaproom_test_extension", module)
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    room = open_room(qtbot, workspace, runner, extensions=("kaproom_test_extension", "kaproom.ui.no_such_panel"))
    assert installed == [room]


def test_panel_banner_strip_vitals_due_shortcut_and_status(qtbot, workspace, protocol) -> None:
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    room = open_room(qtbot, workspace, runner)
    strip = QLabel("strip")
    strip.setObjectName("musicStrip")
    room.set_music_strip(strip)
    assert room.findChildren(QLabel, "musicStrip") == [strip]
    banner, panel = QLabel("Music unavailable"), QLabel("vitals")
    room.add_banner(banner)
    room.add_panel(panel)
    qtbot.waitUntil(lambda: banner.isVisible() and panel.isVisible())
    room.set_vitals_due("Vitals overdue 3 min", "overdue")
    room.controller.tick()
    due = room.findChild(QLabel, "vitalsDue")
    assert due.text() == "Vitals overdue 3 min" and due.property("level") == "overdue"
    pressed = []
    room.add_shortcut("F9", "Vitals form", lambda: pressed.append("F9"))
    press(room, "F9")
    assert pressed == ["F9"]
    calls = []
    room.set_discharge_handler(lambda: calls.append("discharge"))
    press(room, "Ctrl+Shift+D")
    assert calls == ["discharge"]
    room.show_status("Music ducked", "info")
    assert room.findChild(QLabel, "roomStatus").text() == "Music ducked"


def test_a_taken_key_is_refused_in_words_not_by_a_crash(qtbot, workspace, protocol) -> None:
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    room = open_room(qtbot, workspace, runner)
    action = room.add_shortcut("F1", "Something else", lambda: None)
    assert action.shortcut().isEmpty()
    assert "F1 is already 'Tag: Eyeshades off'" in room.status.text()


def test_extension_shortcuts_work_while_typing_a_note(qtbot, workspace, protocol) -> None:
    """The note field would keep Ctrl+Right (next word) for itself; a room shortcut wins."""
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    room = open_room(qtbot, workspace, runner)
    pressed = []
    room.add_shortcut("Ctrl+Right", "Next music track", lambda: pressed.append("next"))
    room.note_input.setText("half a note")
    room.note_input.setCursorPosition(0)
    room.note_input.setFocus()
    press(room, "Ctrl+Right")
    assert pressed == ["next"]
    assert room.note_input.cursorPosition() == 0 and room.note_input.text() == "half a note"


def test_under_the_privacy_cover_no_question_opens_but_tags_still_save(qtbot, workspace, protocol) -> None:
    from kaproom.domain.events import Kind
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    room = open_room(qtbot, workspace, runner)
    press(room, "F12")
    for key in ("Ctrl+Shift+N", "Ctrl+Shift+X", "Ctrl+Shift+E", "Ctrl+Shift+D", "Ctrl+Shift+A"):
        press(room, key)
        assert not room.prompt.is_open, key
    press(room, "F1")
    assert [e.payload["label"] for e in workspace.store.events(runner.session_uid, (Kind.TAG,))] == ["Eyeshades off"]
    assert room.private and runner.state.phase.id == "arrival"


def test_privacy_can_require_a_check_before_showing_again(qtbot, workspace, protocol) -> None:
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    room = open_room(qtbot, workspace, runner)
    answers = [False, True]
    room.privacy_unlock = lambda: answers.pop(0)
    press(room, "F12")
    press(room, "F12")
    assert room.private  # the check said no
    press(room, "F12")
    assert not room.private and room.note_input.isVisible()
