"""The modified Aldrete score in the room's discharge checklist: filled from the record, completed
from the keyboard, and a score below the minimum needing a written reason."""
from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QLabel

from kaproom.domain.events import Kind
from kaproom.domain.session import State
from tests._vitals_helpers import (
    COMPLETE,
    MIN,
    baseline_then_dose,
    enter,
    fill,
    focused,
    press,
    save,
    stored,
    type_text,
)

ALL_ITEMS = ("observed", "vitals_baseline", "moaas_5", "walks_steadily", "nausea_ok", "escort", "no_driving")


def at_discharge(qtbot, workspace, protocol, clock, last_check):
    runner, room = baseline_then_dose(qtbot, workspace, protocol, clock, COMPLETE | {"systolic": "120/80"})
    clock.advance(160 * MIN)
    room.controller.tick()
    fill(room, **last_check)
    save(room)
    press("Ctrl+Shift+D")
    for item in ALL_ITEMS:
        room.findChild(QCheckBox, f"discharge_{item}").setChecked(True)
    return runner, room


def test_the_record_fills_three_items_and_the_therapist_types_the_other_two(qtbot, workspace, protocol, clock):
    runner, room = at_discharge(qtbot, workspace, protocol, clock, COMPLETE | {"systolic": "130/80"})
    box = room.vitals.discharge_panel.aldrete
    assert {k: f.text() for k, f in box.fields.items()} == {"activity": "", "respiration": "", "circulation": "2",
                                                            "consciousness": "2", "oxygen": "2"}
    assert room.findChild(QLabel, "aldreteBasis_circulation").text() == \
        "from the record: systolic 130 vs baseline 120 (+8 %)"
    assert room.findChild(QLabel, "aldreteTitle").text() == "Modified Aldrete (minimum 9)"
    box.fields["activity"].setFocus()
    type_text("2")
    press("Tab")
    assert focused() is box.fields["respiration"]
    type_text("2")
    assert room.findChild(QLabel, "aldreteTotal").text() == "10 of 10"
    enter()
    [ended] = stored(workspace, runner, Kind.SESSION_ENDED)
    assert ended.payload["aldrete"]["total"] == 10 and ended.payload["aldrete"]["complete"] is True
    assert ended.payload["aldrete"]["items"]["oxygen"] == {"points": 2, "record": 2, "basis": "SpO2 98 % on room air"}
    assert "override_reason" not in ended.payload


def test_a_score_below_the_minimum_is_refused_until_a_reason_is_written(qtbot, workspace, protocol, clock):
    runner, room = at_discharge(qtbot, workspace, protocol, clock, COMPLETE | {"systolic": "130/80", "spo2": "91"})
    panel = room.vitals.discharge_panel
    box = panel.aldrete
    assert box.fields["oxygen"].text() == "1"
    box.fields["activity"].setText("1")
    box.fields["respiration"].setText("2")
    assert room.findChild(QLabel, "aldreteTotal").text() == "8 of 10 — below the minimum: write why"
    box.fields["activity"].setFocus()
    enter()
    assert stored(workspace, runner, Kind.SESSION_ENDED) == [] and runner.state.state == State.RUNNING
    message = room.findChild(QLabel, "dischargeMessage").text()
    assert message.startswith("Modified Aldrete 8 is below the protocol's minimum of 9. Write why")
    assert focused() is panel.reason
    type_text("Usual gait with a cane; SpO2 91 is her normal on air")
    enter()
    [ended] = stored(workspace, runner, Kind.SESSION_ENDED)
    assert ended.payload["aldrete_below_minimum"] is True and ended.payload["aldrete"]["total"] == 8
    assert ended.payload["override_reason"].startswith("Usual gait with a cane")


def test_a_box_that_is_not_0_1_or_2_is_named(qtbot, workspace, protocol, clock):
    runner, room = at_discharge(qtbot, workspace, protocol, clock, COMPLETE | {"systolic": "130/80"})
    room.vitals.discharge_panel.aldrete.fields["activity"].setText("3")
    room.vitals.discharge_panel.aldrete.fields["activity"].setFocus()
    enter()
    assert stored(workspace, runner, Kind.SESSION_ENDED) == []
    assert room.findChild(QLabel, "dischargeMessage").text() == "Aldrete activity: type 0, 1 or 2"


def test_the_next_appointment_typed_at_discharge_goes_into_the_record(qtbot, workspace, protocol, clock):
    runner, room = at_discharge(qtbot, workspace, protocol, clock, COMPLETE | {"systolic": "130/80"})
    panel = room.vitals.discharge_panel
    panel.next_appointment.setText("  Thursday 10:00,   integration with Ana ")
    panel.next_appointment.setFocus()
    enter()
    [ended] = stored(workspace, runner, Kind.SESSION_ENDED)
    assert ended.payload["next_appointment"] == "Thursday 10:00, integration with Ana"
