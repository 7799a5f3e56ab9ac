"""The medication record in the room, typed as a therapist types: a booster through F10 where the
protocol allows it (asked first, with the check before it), a standing-order medication
(Ctrl+Shift+M), an adverse event (Ctrl+Shift+R, and from an urgent alert's acknowledgement).
Refusals keep what was typed; every panel gives the focus back to the note field."""
from __future__ import annotations

from kaproom.domain.events import Kind
from kaproom.ui.review.filters import FilterBar
from tests._vitals_helpers import (
    COMPLETE,
    ESCORT,
    MIN,
    enter,
    fill,
    focused,
    open_vitals_room,
    press,
    save,
    stored,
    type_text,
)


def _dosed_room(qtbot, workspace, protocol, clock):
    runner = workspace.new_session(protocol, "C-1", "Dr A", prescribed_dose_mg=200.0, pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    fill(room, **COMPLETE)
    save(room)
    press("F10")
    assert len(stored(workspace, runner, Kind.DOSE)) == 1
    return runner, room


def test_a_booster_goes_through_f10_with_its_own_check_before_it(qtbot, workspace, short_protocol, clock):
    runner, room = _dosed_room(qtbot, workspace, short_protocol, clock)
    clock.advance(1 * MIN)
    room.controller.tick()
    press("F10")  # too soon: refused, naming the rule, nothing asked
    assert "min_interval_minutes" in room.status.text() and not room.vitals.form.dose_confirm.isVisible()
    clock.advance(2 * MIN)  # onset, 3 min after the dose; the last check is 3 min old
    room.controller.tick()
    press("F10")
    form = room.vitals.form
    assert form.dose_confirm.isVisible() and "No vitals check in the last 1.5 min" in form.dose_question.text()
    press("Esc")
    assert len(stored(workspace, runner, Kind.DOSE)) == 1 and focused() is room.note_input
    fill(room, **COMPLETE)
    save(room)
    press("F10")
    assert "Give the booster (dose 2, 200 mg) now?" in form.dose_question.text()
    press("F10")
    doses = stored(workspace, runner, Kind.DOSE)
    assert [d.payload.get("number", 1) for d in doses] == [1, 2] and doses[1].payload["amount_mg"] == 200.0
    assert "without_check" not in doses[1].payload
    assert "Booster (dose 2) recorded" in room.status.text() and focused() is room.note_input
    assert "since the booster" in room.since_dose.text()
    clock.advance(3 * MIN)
    room.controller.tick()
    press("F10")  # max_doses = 2
    assert "max_doses" in room.status.text()


def test_the_default_protocol_gives_no_booster(qtbot, workspace, protocol, clock):
    runner, room = _dosed_room(qtbot, workspace, protocol, clock)
    clock.advance(60 * MIN)
    room.controller.tick()
    press("F10")
    assert "already recorded" in room.status.text() and "max_doses" in room.status.text()
    assert len(stored(workspace, runner, Kind.DOSE)) == 1


def test_a_standing_order_is_typed_and_recorded_with_enter(qtbot, workspace, protocol, clock):
    runner, room = _dosed_room(qtbot, workspace, protocol, clock)
    clock.advance(30 * MIN)
    room.controller.tick()
    press("Ctrl+Shift+M")
    panel = room.vitals.medication_panel
    assert panel.isVisible() and focused() is panel.drug
    type_text("ond")
    assert panel.drug.text().lower() == "ondansetron"  # completed as typed
    assert panel.amount.text() == "4 mg" and panel.reason.text() == "nausea or vomiting"
    enter()
    [med] = stored(workspace, runner, Kind.MEDICATION)
    assert (med.payload["medication"], med.payload["amount"], med.payload["rxnorm"]) == ("ondansetron", 4.0, "26225")
    assert not panel.isVisible() and focused() is room.note_input
    assert "Medication recorded" in room.status.text()


def test_a_refused_medication_keeps_what_was_typed(qtbot, workspace, protocol, clock):
    runner, room = _dosed_room(qtbot, workspace, protocol, clock)
    press("Ctrl+Shift+M")
    panel = room.vitals.medication_panel
    type_text("lorazepam")
    press("Tab")
    panel.amount.selectAll()
    type_text("2 mg")  # above the order's 1 mg
    enter()
    assert "rule: standing_orders" in panel.message.text() and panel.isVisible()
    assert (panel.drug.text().lower(), panel.amount.text()) == ("lorazepam", "2 mg")
    assert not stored(workspace, runner, Kind.MEDICATION)
    panel.amount.setFocus()
    panel.amount.selectAll()
    type_text("1")
    enter()
    assert stored(workspace, runner, Kind.MEDICATION)[0].payload["amount"] == 1.0
    press("Ctrl+Shift+M")
    type_text("diazepam")
    enter()
    assert "not one of this protocol's standing orders" in panel.message.text()
    press("Esc")
    assert not panel.isVisible() and focused() is room.note_input


def test_an_adverse_event_needs_kind_and_severity_and_keeps_the_typing(qtbot, workspace, protocol, clock):
    runner, room = _dosed_room(qtbot, workspace, protocol, clock)
    clock.advance(40 * MIN)
    room.controller.tick()
    press("Ctrl+Shift+R")
    panel = room.vitals.adverse_panel
    assert focused() is panel.kind and panel.onset.text() == "0:40:00"
    panel.action_taken.setFocus()
    type_text("sat up, reassured")
    enter()
    assert "rule: adverse event kind" in panel.message.text() and panel.action_taken.text() == "sat up, reassured"
    panel.kind.setFocus()
    type_text("Emer")
    assert panel.kind.currentData() == "emergence_reaction"
    enter()
    assert "rule: severity" in panel.message.text()
    panel.severity.setFocus()
    type_text("mod")
    press("Tab")
    press("Tab")
    press("Tab")
    press("Tab")
    type_text("settled in 10 min")
    panel.follow_up.setFocus()
    press("Space")
    enter()
    [event] = stored(workspace, runner, Kind.ADVERSE_EVENT)
    assert event.payload["kind"] == "emergence_reaction" and event.payload["severity"] == "moderate"
    assert event.payload["actions"] == "sat up, reassured" and event.payload["outcome"] == "settled in 10 min"
    assert event.payload["follow_up"] is True and event.payload["ems_called"] is False
    assert focused() is room.note_input and not panel.isVisible()


def test_an_urgent_alert_acknowledged_with_ctrl_enter_becomes_an_adverse_event(qtbot, workspace, protocol, clock):
    runner, room = _dosed_room(qtbot, workspace, protocol, clock)
    clock.advance(40 * MIN)
    room.controller.tick()
    fill(room, systolic="188/112", pulse="90", spo2="97", respiratory_rate="16", moaas="4", nausea="none")
    save(room)
    press("Ctrl+Shift+K")
    type_text("clonidine given")
    press("Ctrl+Return")
    assert stored(workspace, runner, Kind.ALERT_ACK)
    panel = room.vitals.adverse_panel
    assert panel.isVisible() and panel.kind.currentData() == "hypertension"
    assert panel.action_taken.text() == "clonidine given" and "From the alert" in panel.source.text()
    panel.severity.setFocus()
    type_text("sev")
    enter()
    [event] = stored(workspace, runner, Kind.ADVERSE_EVENT)
    alerts = [a.seq for a in stored(workspace, runner, Kind.ALERT)]
    assert event.payload["severity"] == "severe" and set(event.payload["alert_seqs"]) <= set(alerts)
    assert focused() is room.note_input


def test_the_review_filter_bar_offers_the_medication_flags(qtbot):
    bar = FilterBar()
    qtbot.addWidget(bar)
    with qtbot.waitSignal(bar.changed) as emitted:
        bar.booster.setChecked(True)
    assert emitted.args[0].booster_given and not emitted.args[0].has_adverse_events
    bar.adverse_events.setChecked(True)
    bar.waste.setChecked(True)
    assert bar.current().has_adverse_events and bar.current().has_waste
    bar.clear()
    assert not (bar.current().booster_given or bar.current().has_adverse_events or bar.current().has_waste)


def test_ctrl_shift_a_on_a_medication_records_its_effect(qtbot, workspace, protocol, clock):
    runner, room = _dosed_room(qtbot, workspace, protocol, clock)
    press("Ctrl+Shift+M")
    type_text("ondansetron")
    enter()
    [med] = stored(workspace, runner, Kind.MEDICATION)
    clock.advance(15 * MIN)
    room.controller.tick()
    press("Ctrl+L")  # the log; arrow keys up to the medication
    press("End")
    for _ in range(room.log_view.count()):
        if room.log_view.selected_event() is not None and room.log_view.selected_event().seq == med.seq:
            break
        press("Up")
    assert room.log_view.selected_event().seq == med.seq
    press("Ctrl+Shift+A")
    assert room.prompt.is_open and "The effect of Ondansetron" in room.prompt.title.text()
    type_text("nausea settled")
    enter()
    [effect] = stored(workspace, runner, Kind.MEDICATION_EFFECT)
    assert effect.payload == {"medication_seq": med.seq, "effect": "nausea settled"}
    assert focused() is room.note_input
