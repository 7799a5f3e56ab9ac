"""Discharge from the room: the checklist pre-filled from the latest vitals, the ready-to-leave
time, and a written reason for anything left unticked, all in the record."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QScrollArea

from kaproom.domain.clock import from_iso
from kaproom.domain.events import Kind
from kaproom.domain.session import State
from tests._vitals_helpers import (
    COMPLETE,
    MIN,
    baseline_then_dose,
    enter,
    fill,
    focused,
    label,
    press,
    save,
    stored,
    type_text,
)

ALL_ITEMS = ("observed", "vitals_baseline", "moaas_5", "walks_steadily", "nausea_ok", "escort", "no_driving")


def session_at_discharge(qtbot, workspace, protocol, clock, last_check=COMPLETE, baseline=COMPLETE):
    """A baseline, the dose at 21 min, and (unless ``last_check`` is None) a check 160 min later."""
    runner, room = baseline_then_dose(qtbot, workspace, protocol, clock, baseline)
    clock.advance(160 * MIN)
    room.controller.tick()
    if last_check is not None:
        fill(room, **last_check)
        save(room)
    return runner, room


def box(room, item: str) -> QCheckBox:
    return room.findChild(QCheckBox, f"discharge_{item}")


def test_checklist_is_prefilled_and_unticked_items_need_a_written_reason(qtbot, workspace, protocol, clock):
    runner, room = session_at_discharge(qtbot, workspace, protocol, clock,
                                        COMPLETE | {"systolic": "130/84", "moaas": "5", "nausea": "mild"})
    press("Ctrl+Shift+D")
    panel = room.vitals.discharge_panel
    assert panel.isVisible() and not room.vitals.form.isVisible() and room.clock_label.isVisible()
    ticked = {item: box(room, item).isChecked() for item in ALL_ITEMS}
    assert ticked == {"observed": True, "vitals_baseline": True, "moaas_5": True, "nausea_ok": True,
                      "walks_steadily": False, "escort": False, "no_driving": False}
    assert "within 20 % of baseline" in label(room, "dischargeBasis_vitals_baseline").text()
    assert label(room, "dischargeBasis_escort").text() == "confirm in person"
    box(room, "walks_steadily").setChecked(True)
    box(room, "no_driving").setChecked(True)
    box(room, "escort").setFocus()
    enter()  # escort unticked, no reason
    message = label(room, "dischargeMessage")
    assert message.isVisible() and "Escort or ride arranged" in message.text() and "Write why" in message.text()
    assert stored(workspace, runner, Kind.SESSION_ENDED) == [] and runner.state.state == State.RUNNING
    assert focused() is panel.reason
    # The status line, where the keys were named, says where to look.
    assert room.status.text() == "Not discharged yet: why is under the checklist, beside the log."
    type_text("Taxi booked by the clinic; client waits in the lounge")
    enter()
    [check] = stored(workspace, runner, Kind.DISCHARGE_CHECK)
    [ended] = stored(workspace, runner, Kind.SESSION_ENDED)
    for payload in (check.payload, ended.payload):
        assert payload["override_reason"] == "Taxi booked by the clinic; client waits in the lounge"
        assert payload["unticked"] == ["escort"]
        assert payload["checklist"] == {item: item != "escort" for item in ALL_ITEMS}
        assert from_iso(payload["ready_to_leave_at"]) <= clock.now()
    assert ended.payload["outcome"] == "discharged" and runner.state.state == State.DISCHARGED
    assert not panel.isVisible()


def test_everything_ticked_discharges_without_a_reason(qtbot, workspace, protocol, clock):
    runner, room = session_at_discharge(qtbot, workspace, protocol, clock)
    press("Ctrl+Shift+D")
    for item in ALL_ITEMS:
        if not box(room, item).isChecked():
            box(room, item).setFocus()
            press("Space")  # ticked from the keyboard
    assert all(box(room, item).isChecked() for item in ALL_ITEMS)
    qtbot.mouseClick(room.vitals.discharge_panel.confirm_button, Qt.MouseButton.LeftButton)
    [ended] = stored(workspace, runner, Kind.SESSION_ENDED)
    assert "override_reason" not in ended.payload and "unticked" not in ended.payload
    assert ended.payload["checklist"] == {item: True for item in ALL_ITEMS}
    assert room.status.text().endswith("Ctrl+W goes to the home page when you are done.")
    assert room.leave_button.isVisible()


def test_latest_vitals_away_from_baseline_are_not_ticked(qtbot, workspace, protocol, clock):
    _runner, room = session_at_discharge(qtbot, workspace, protocol, clock,
                                         COMPLETE | {"systolic": "160/95", "moaas": "4", "nausea": "moderate"})
    press("Ctrl+Shift+D")
    assert not box(room, "vitals_baseline").isChecked() and not box(room, "moaas_5").isChecked()
    assert not box(room, "nausea_ok").isChecked()
    assert "systolic 160 vs 124 (+29 %)" in label(room, "dischargeBasis_vitals_baseline").text()
    assert label(room, "dischargeBasis_moaas_5").property("level") == "caution"


def test_back_keeps_the_session_running_and_a_ready_time_later_than_now_is_refused(qtbot, workspace, protocol, clock):
    runner, room = session_at_discharge(qtbot, workspace, protocol, clock)
    press("Ctrl+Shift+D")
    panel = room.vitals.discharge_panel
    press("Esc")
    assert not panel.isVisible() and room.vitals.form.isVisible() and focused() is room.note_input
    press("Ctrl+Shift+D")
    for item in ALL_ITEMS:
        box(room, item).setChecked(True)
    panel.ready.setTime(panel.ready.time().addSecs(30 * 60))
    panel.confirm_button.click()
    assert "later than now" in label(room, "dischargeMessage").text()
    assert runner.state.state == State.RUNNING and stored(workspace, runner, Kind.DISCHARGE_CHECK) == []
    qtbot.mouseClick(panel.ready_now, Qt.MouseButton.LeftButton)
    panel.confirm_button.click()
    assert label(room, "dischargeMessage").text() == ""
    assert runner.state.state == State.DISCHARGED


def test_urgent_alert_left_open_is_named_at_discharge(qtbot, workspace, protocol, clock):
    _runner, room = session_at_discharge(qtbot, workspace, protocol, clock, COMPLETE | {"spo2": "90"})
    press("Ctrl+Shift+D")
    assert "1 urgent alert(s) not yet acknowledged" in label(room, "dischargeContext").text()


def test_with_only_the_baseline_on_record_nothing_is_ticked_for_the_vitals(qtbot, workspace, protocol, clock):
    _runner, room = session_at_discharge(qtbot, workspace, protocol, clock, last_check=None,
                                         baseline=COMPLETE | {"moaas": "5", "nausea": "none"})
    press("Ctrl+Shift+D")
    for item in ("vitals_baseline", "moaas_5", "nausea_ok"):
        assert not box(room, item).isChecked()
        assert label(room, f"dischargeBasis_{item}").text().startswith("no check since the dose")


def test_an_open_checklist_says_when_the_observation_time_is_reached_and_leaves_the_tick_alone(
        qtbot, workspace, protocol, clock):
    runner, room = baseline_then_dose(qtbot, workspace, protocol, clock)
    clock.advance(115 * MIN)
    room.controller.tick()
    press("Ctrl+Shift+D")
    basis = label(room, "dischargeBasis_observed")
    assert basis.text() == "not yet: 1 h 55 min since the dose at 0:21:00; 5 min to go"
    assert basis.property("level") == "caution" and not box(room, "observed").isChecked()
    clock.advance(6 * MIN)
    room.controller.tick()
    assert basis.text() == "Suggested: 2 h 1 min since the dose at 0:21:00"
    assert basis.property("level") == "" and not box(room, "observed").isChecked()  # the therapist ticks


def test_a_refused_discharge_scrolls_to_why_on_a_laptop_screen(qtbot, qapp, workspace, protocol, clock):
    """In the app's theme at 1366x768 the checklist is taller than the side panel, and the words
    saying why Enter did not discharge sat below its fold: nothing seemed to happen."""
    from kaproom.ui.kit import theme
    sheet, palette = qapp.styleSheet(), qapp.palette()
    theme.apply_theme(qapp)
    try:
        runner, room = session_at_discharge(qtbot, workspace, protocol, clock)
        room.resize(1366, 600)  # the panel shorter than the checklist, as the theme's fonts make it on a laptop
        press("Ctrl+Shift+D")
        scroll = room.findChild(QScrollArea, "vitalsScroll")
        qtbot.waitUntil(lambda: scroll.verticalScrollBar().maximum() > 0)
        box(room, "observed").setFocus()
        enter()  # items unticked, no reason written
        message = label(room, "dischargeMessage")
        assert message.isVisible() and runner.state.state == State.RUNNING

        def in_view() -> bool:  # its first lines at least, in a panel this short
            top = message.mapTo(scroll.viewport(), message.rect().topLeft()).y()
            return 0 <= top <= scroll.viewport().height() - 2 * message.fontMetrics().height()
        qtbot.waitUntil(in_view)
    finally:
        qapp.setStyleSheet(sheet)
        qapp.setPalette(palette)
        qapp.setProperty("kaproomThemed", False)
        qapp.setCursorFlashTime(1000)
