"""Shared pieces for the room screen tests: open a session's room on the fake clock, press keys,
and read back what the store holds."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from kaproom.domain.events import Kind
from kaproom.ui.room.controller import SessionController
from kaproom.ui.room.window import RoomWindow


def open_room(qtbot, workspace, runner, **options: Any) -> RoomWindow:
    """A room window for ``runner`` with no music or vitals extensions, shown and focused."""
    controller = SessionController(workspace, runner)
    options.setdefault("extensions", ())
    room = RoomWindow(controller, **options)
    qtbot.addWidget(room)
    room.resize(1366, 768)
    room.show()
    qtbot.waitExposed(room)
    activate(qtbot, room)
    return room


def press(room: RoomWindow, key: str) -> None:
    """Press a shortcut as the therapist would, on whatever widget has the focus."""
    combo = QKeySequence(key)[0]
    target = room.focusWidget() or room
    QTest.keyClick(target, combo.key(), combo.keyboardModifiers())


def type_note(qtbot, room: RoomWindow, text: str) -> None:
    room.note_input.setFocus()
    qtbot.keyClicks(room.note_input, text)
    QTest.keyClick(room.note_input, Qt.Key.Key_Return)


def stored(workspace, runner, *kinds: str) -> list:
    return workspace.store.events(runner.session_uid, tuple(kinds) if kinds else None)


def stored_notes(workspace, runner) -> list[str]:
    return [e.payload["text"] for e in stored(workspace, runner, Kind.NOTE)]


def displayable(workspace, runner, protocol=None) -> dict[int, str]:
    """seq -> the line the room shows for every stored event it shows."""
    from kaproom.ui.room.log_text import line_for
    lines = {}
    for event in stored(workspace, runner):
        line = line_for(event, protocol or runner.protocol)
        if line is not None:
            lines[event.seq] = line
    return lines


def assert_log_matches_store(room, workspace, runner) -> None:
    """What the log shows is exactly what the store holds (amendments sit under their original)."""
    from kaproom.ui.room.log_view import AMENDMENT_PREFIX
    expected = displayable(workspace, runner)
    shown = dict(zip(room.log_view.shown_seqs(), room.log_view.lines()))
    assert sorted(shown) == sorted(expected)
    for seq, line in shown.items():
        assert line.removeprefix(AMENDMENT_PREFIX) == expected[seq]


def activate(qtbot, window) -> None:
    """Make ``window`` the active window, as a click on it would. Qt's offscreen platform does
    not always pass an activation request on once other windows have come and gone in the same
    run (a whole-suite run showed no active window at all), so the request is made once more
    through the window's handle, and then told to Qt directly."""
    window.activateWindow()
    if not _active_soon(qtbot, window):
        window.windowHandle().requestActivate()
        if not _active_soon(qtbot, window):
            QApplication.setActiveWindow(window)
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)


def launcher_room(qtbot, launcher: Any, protocol, room: str, size: tuple[int, int] | None = None):
    """The room window the launcher opens for a new session of client KAP-0001 in ``room`` (the
    launcher deletes the window it replaces), at ``size`` if given, active as if clicked."""
    runner = launcher.workspace.new_session(protocol, "KAP-0001", "Teo", room)
    window = launcher.open_room(runner)
    if size is not None:
        window.resize(*size)
    activate(qtbot, window)
    return window


def _active_soon(qtbot, window) -> bool:
    try:
        qtbot.waitUntil(window.isActiveWindow, timeout=1000)
    except Exception:
        return False
    return True
