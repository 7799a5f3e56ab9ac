"""Rating scales typed in the room's vitals panel: Ctrl+Shift+S, answers from the keyboard, the
words and the total as typed, the record, the calm alerts, and refusals that keep the input."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel

from kaproom.domain.events import Kind
from tests._vitals_helpers import enter, focused, open_vitals_room, press, stored, type_text, visible_banners


def test_rass_and_the_dissociation_questions_are_typed_saved_and_alert(qtbot, workspace, protocol):
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    room = open_vitals_room(qtbot, workspace, runner)
    press("Ctrl+Shift+S")
    form = room.vitals.scales_form
    assert form.isVisible() and focused() is form.fields["scale_rass_rass"]
    type_text("-4")
    assert room.findChild(QLabel, "scaleWords_scale_rass_rass").text().startswith("-4 · Deep sedation")
    press("Tab")
    assert focused() is form.fields["scale_dissociation_severity"]
    for answer in ("mild", "y", "y", "n", "n"):
        type_text(answer)
        press("Tab")
    assert room.findChild(QLabel, "scaleTotal_dissociation").text() == "total 3"
    form.fields["scale_rass_rass"].setFocus()
    enter()
    rass, dissociation = stored(workspace, runner, Kind.SCALE)
    assert rass.payload["scale"] == "rass" and rass.payload["total"] == -4
    assert rass.payload["answers"] == {"rass": {"points": -4, "words": rass.payload["answers"]["rass"]["words"]}}
    assert dissociation.payload["total"] == 3 and dissociation.payload["complete"] is True
    [alert] = stored(workspace, runner, Kind.ALERT)
    assert alert.payload["level"] == "urgent" and alert.payload["field"] == "rass.rass"
    assert alert.payload["source_seq"] == rass.seq
    assert [b.level for b in visible_banners(room)] == ["urgent"]
    assert not form.isVisible() and focused() is room.note_input
    assert form.fields["scale_rass_rass"].text() == ""


def test_a_wrong_answer_is_explained_at_its_box_and_nothing_typed_is_lost(qtbot, workspace, protocol):
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    room = open_vitals_room(qtbot, workspace, runner)
    press("Ctrl+Shift+S")
    form = room.vitals.scales_form
    type_text("-2")
    press("Tab")
    type_text("lots")
    enter()
    assert stored(workspace, runner, Kind.SCALE) == []
    error = room.findChild(QLabel, "scaleError_scale_dissociation_severity")
    assert error.isVisible() and error.text() == "Dissociation: 'lots' is not an answer; type 0 to 3"
    assert form.fields["scale_rass_rass"].text() == "-2" and focused() is form.fields["scale_dissociation_severity"]
    form.fields["scale_dissociation_severity"].setText("moderate")
    enter()
    assert [e.payload["scale"] for e in stored(workspace, runner, Kind.SCALE)] == ["rass", "dissociation"]
    assert stored(workspace, runner, Kind.ALERT) == []


def test_a_protocol_without_rass_has_no_scales_key_and_the_vitals_form_is_as_before(qtbot, workspace, short_protocol):
    room = open_vitals_room(qtbot, workspace, workspace.new_session(short_protocol, "C-1", "Dr A"))
    assert room.vitals.scales_form is None


def test_the_panel_says_when_ratings_are_due_and_the_discharge_checklist_asks_for_them(qtbot, workspace, protocol,
                                                                                     clock):
    from tests._vitals_helpers import COMPLETE, MIN, baseline_then_dose, fill, save
    runner, room = baseline_then_dose(qtbot, workspace, protocol, clock)
    due = room.findChild(QLabel, "scalesDue")
    assert not due.isVisible()
    clock.advance(38 * MIN)
    room.controller.tick()
    assert due.isVisible() and due.text() == "RASS and Dissociation due now (Ctrl+Shift+S)"
    press("Ctrl+Shift+S")
    type_text("0")
    press("Tab")
    type_text("none")
    enter()
    assert not due.isVisible()
    clock.advance(120 * MIN)
    room.controller.tick()
    fill(room, **COMPLETE)
    save(room)
    press("Ctrl+Shift+D")
    context = room.findChild(QLabel, "dischargeContext").text()
    assert "RASS and Dissociation due before discharge (Ctrl+Shift+S)." in context
    assert [e.payload["scale"] for e in stored(workspace, runner, Kind.SCALE)] == ["rass", "dissociation"]
    assert MIN == 60.0


def test_the_room_log_shows_each_rating_and_it_may_be_amended(qtbot, workspace, protocol):
    from kaproom.ui.room.log_text import AMENDABLE, line_for
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    room = open_vitals_room(qtbot, workspace, runner)
    press("Ctrl+Shift+S")
    type_text("-1")
    enter()
    [rating] = stored(workspace, runner, Kind.SCALE)
    assert line_for(rating).endswith("Scale   RASS -1 (Drowsy)")
    assert Kind.SCALE in AMENDABLE and Kind.PRE_DOSE in AMENDABLE
    assert room.vitals.scales_form is not None


def test_a_caution_about_an_answer_gives_way_when_it_is_rated_again(qtbot, workspace, protocol):
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    room = open_vitals_room(qtbot, workspace, runner)
    press("Ctrl+Shift+S")
    type_text("+2")  # agitated: a caution
    enter()
    assert [b.level for b in visible_banners(room)] == ["caution"]
    press("Ctrl+Shift+S")
    type_text("0")
    enter()
    assert visible_banners(room) == []
