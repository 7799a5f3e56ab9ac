"""A wheel turned over a value field scrolls the panel it sits in; the value is never changed.

Scrolling the vitals panel in a dim room must not quietly change the MOAA/S level or the nausea
about to be saved, nor the discharge time, nor the protocol on the start page.
"""
from __future__ import annotations

from _vitals_helpers import open_vitals_room
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QComboBox, QWidget

from kaproom.ui.start.page import StartPage


def turn_wheel_over(widget: QWidget, notches: int = -3) -> None:
    """The wheel turned (down, by default) with the pointer over the middle of ``widget``."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre)), QPoint(0, 0), QPoint(0, 120 * notches),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_the_wheel_over_moaas_and_nausea_scrolls_the_panel_and_keeps_the_values(qtbot, workspace, protocol):
    runner = workspace.new_session(protocol, "C-1", "Ana")
    room = open_vitals_room(qtbot, workspace, runner)
    room.resize(1366, 560)  # a short window: the check-in form scrolls inside its panel
    form, bar = room.vitals.form, room.vitals.scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    form.nausea.setCurrentIndex(form.nausea.findData("mild"))
    for box in (form.moaas, form.nausea):
        before, top = box.currentIndex(), bar.value()
        turn_wheel_over(box)
        assert box.currentIndex() == before  # not "4 · lethargic response" after a scroll
        assert bar.value() > top or bar.value() == bar.maximum()  # the panel scrolled instead
        bar.setValue(0)
    assert form.moaas.currentData() == "" and form.nausea.currentData() == "mild"
    assert not form.moaas.hasFocus() and not form.nausea.hasFocus()  # and the wheel picked no field


def test_the_wheel_over_the_discharge_time_leaves_it(qtbot, workspace, protocol):
    runner = workspace.new_session(protocol, "C-2", "Ana")
    room = open_vitals_room(qtbot, workspace, runner)
    time_box = room.vitals.discharge_panel.ready
    before = time_box.time()
    turn_wheel_over(time_box, notches=5)
    assert time_box.time() == before


def test_the_wheel_over_the_protocol_choice_does_not_change_the_protocol(qtbot, workspace):
    page = StartPage(workspace)
    qtbot.addWidget(page)
    page.show()
    choice = page.findChild(QComboBox, "protocolChoice")
    assert choice.count() > 1
    before = choice.currentIndex()
    turn_wheel_over(choice, notches=-1)
    turn_wheel_over(choice, notches=1)
    turn_wheel_over(choice, notches=-1)
    assert choice.currentIndex() == before
