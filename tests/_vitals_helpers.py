"""Shared pieces for the vitals screen tests: a room with only the vitals extension, typing into
whatever has the focus (as the therapist's keyboard does), and filling a check-in."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel

from kaproom.domain.events import Kind
from kaproom.ui.room.controller import SessionController
from kaproom.ui.room.window import RoomWindow
from tests._room_helpers import activate

MIN = 60.0


def open_vitals_room(qtbot, workspace, runner) -> RoomWindow:
    controller = SessionController(workspace, runner)
    room = RoomWindow(controller, extensions=("kaproom.ui.vitals.panel",))
    qtbot.addWidget(room)
    room.resize(1366, 768)
    room.show()
    qtbot.waitExposed(room)
    activate(qtbot, room)
    return room


def focused():
    return QApplication.focusWidget()


def press(key: str) -> None:
    """A key or shortcut pressed on whatever widget has the focus."""
    combo = QKeySequence(key)[0]
    QTest.keyClick(focused(), combo.key(), combo.keyboardModifiers())


def type_text(text: str) -> None:
    """Characters typed one by one into the focused widget (the focus may move while typing)."""
    for char in text:
        QTest.keyClicks(focused(), char)


def enter() -> None:
    QTest.keyClick(focused(), Qt.Key.Key_Return)


def fill(room, **values: str) -> None:
    """Type values straight into the form's fields (combo boxes chosen by their data)."""
    form = room.vitals.form
    for name, text in values.items():
        if name in ("moaas", "nausea"):
            box = getattr(form, name)
            box.setCurrentIndex(box.findData(text))
        elif name == "comment":
            form.comment.setText(text)
        else:
            form.fields[name].setText(text)


def save(room) -> None:
    room.vitals.form.fields["systolic"].setFocus()
    enter()


def label(room, name: str) -> QLabel:
    return room.findChild(QLabel, name)


def stored(workspace, runner, *kinds: str) -> list:
    return workspace.store.events(runner.session_uid, tuple(kinds) if kinds else None)


def visible_banners(room) -> list:
    return [b for b in room.vitals.board.banners if b.isVisible()]


#: The facts the built-in protocol needs before F10 records a dose ([pre_dose] required).
ESCORT = {"escort_name": "Sam Lee", "escort_phone": "555 0100"}
COMPLETE = dict(systolic="124/80", pulse="70", spo2="98", respiratory_rate="14", moaas="5", nausea="none")
KINDS = (Kind.VITALS, Kind.ALERT, Kind.ALERT_ACK, Kind.DOSE)


def baseline_then_dose(qtbot, workspace, protocol, clock, baseline=COMPLETE, dose_minute: float = 21):
    """A room whose session took a baseline check at 0:00 and the dose (F10) at ``dose_minute``."""
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    fill(room, **baseline)
    save(room)
    clock.advance(dose_minute * MIN)
    room.controller.tick()
    press("F10")
    return runner, room


def room_at_minute(qtbot, workspace, protocol, clock, minute: float, client: str = "C-1"):
    """A room whose session has run ``minute`` minutes with nothing recorded but its phases."""
    runner = workspace.new_session(protocol, client, "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    clock.advance(minute * MIN)
    room.controller.tick()
    return runner, room
