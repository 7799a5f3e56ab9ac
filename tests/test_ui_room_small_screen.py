"""The room at 1366x768 and 1920x1080 (issue 26, point 9): the last check stays pinned at the top
of the side panel, whatever has the focus is in view (the dose question's buttons, the discharge
checklist's), and the key list (Ctrl+/) fits a 1080p screen."""
from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QWidget

from tests._vitals_helpers import COMPLETE, ESCORT, MIN, fill, focused, open_vitals_room, press, save

#: The room as the app shows it, themed: its fields' frames are what scrolling must bring into view
#: (a text field scrolled only as far as its cursor stayed cut by a few pixels at the column's edge).
pytestmark = pytest.mark.usefixtures("themed_app")
SHOTS = os.environ.get("KAPROOM_SHOTS", "")  # a folder: the test saves what it saw there, to look at


def shot(room, name: str) -> None:
    if SHOTS:
        room.grab().save(os.path.join(SHOTS, f"{name}-{room.width()}x{room.height()}.png"))


def visible_in_window(room, widget: QWidget) -> bool:
    """The whole widget can be seen: inside the window and inside every scrolling area around it
    (all but a pixel or two of its frame, which rounding in the themed layout may leave at an edge)."""
    rect = QRect(widget.mapTo(room, QPoint(0, 0)), widget.size()).adjusted(2, 2, -2, -2)
    if not room.rect().contains(rect):
        return False
    parent = widget.parentWidget()
    while parent is not None and parent is not room:
        if isinstance(parent, QAbstractScrollArea):
            port = parent.viewport()
            if not QRect(port.mapTo(room, QPoint(0, 0)), port.size()).contains(rect):
                return False
        parent = parent.parentWidget()
    return True


def not_covered(room, widget: QWidget) -> bool:
    """Nothing is drawn over the widget's middle (a pinned line over a field scrolled under it)."""
    middle = widget.mapTo(room, widget.rect().center())
    top = room.childAt(middle)
    return top is widget or (top is not None and widget.isAncestorOf(top))


def tab_through(room, start: QWidget, inside: QWidget, limit: int = 40) -> list[str]:
    """Tab from ``start`` while the focus stays in ``inside``; the names of controls not seen."""
    hidden = []
    press("Tab")
    for _ in range(limit):
        QApplication.processEvents()
        widget = focused()
        if widget is None or widget is start or not inside.isAncestorOf(widget):
            break
        if not (visible_in_window(room, widget) and not_covered(room, widget)):
            hidden.append(widget.objectName() or type(widget).__name__)
        press("Tab")
    return hidden


def test_at_1366x768_the_last_check_stays_pinned_and_every_focused_control_is_in_view(qtbot, workspace,
                                                                                         protocol, clock) -> None:
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)  # 1366x768
    form = room.vitals.form
    fill(room, **{**COMPLETE, "systolic": "182/96"})
    save(room)
    press("F9")
    assert tab_through(room, form.fields["systolic"], room.vitals.scroll) == []
    assert visible_in_window(room, form.result) and "Last check" in form.result.text()
    # The dose question (after a check that raised a concern): both answers in view when focused.
    press("Esc")
    press("F10")
    qtbot.waitUntil(lambda: form.dose_confirm.isVisible())
    for button in (form.dose_yes, form.dose_no):
        button.setFocus()
        QApplication.processEvents()
        assert visible_in_window(room, button) and not_covered(room, button), button.objectName()
        assert visible_in_window(room, form.result)
    shot(room, "dose-question")
    press("Esc")
    # The discharge checklist: every control Tab reaches is in view, and so is the last check.
    clock.advance(180 * MIN)
    room.controller.tick()
    fill(room, **COMPLETE)
    save(room)
    press("Ctrl+Shift+D")
    panel = room.vitals.discharge_panel
    qtbot.waitUntil(panel.isVisible)
    assert tab_through(room, focused(), panel) == []
    for button in (panel.confirm_button, panel.cancel_button):
        button.setFocus()
        QApplication.processEvents()
        assert visible_in_window(room, button) and not_covered(room, button), button.objectName()
    shot(room, "checklist")


def test_at_1920x1080_the_key_list_fits(qtbot, workspace, protocol) -> None:
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    room = open_vitals_room(qtbot, workspace, runner)
    room.resize(1920, 1080)
    qtbot.waitUntil(lambda: room.height() == 1080)
    press("Ctrl+/")
    help_list = room.shortcut_help
    qtbot.waitUntil(help_list.isVisible)
    QApplication.processEvents()
    shot(room, "keys")
    assert visible_in_window(room, help_list), (help_list.height(), room.side.height())
