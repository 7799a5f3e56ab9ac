"""The vitals panel in the real room window: typing a check-in, refusals that keep the input,
alerts that stay until acknowledged, the next-check line on the fake clock, and dosing."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QMessageBox, QWidget

from kaproom.domain.events import Kind
from kaproom.domain.session import State
from kaproom.store.errors import DiskFull
from kaproom.ui.kit import theme
from tests._vitals_helpers import (
    COMPLETE,
    ESCORT,
    MIN,
    baseline_then_dose,
    enter,
    fill,
    focused,
    label,
    open_vitals_room,
    press,
    room_at_minute,
    save,
    stored,
    type_text,
    visible_banners,
)


def no_dialogs() -> bool:
    return not [w for w in QApplication.topLevelWidgets()
                if isinstance(w, (QDialog, QMessageBox)) and w.isVisible()]


def test_bp_typed_as_128_84_fills_both_and_a_partial_check_in_is_saved(qtbot, workspace, protocol):
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    form = room.vitals.form
    press("F9")
    assert focused() is form.fields["systolic"]
    type_text("128/84")
    assert (form.fields["systolic"].text(), form.fields["diastolic"].text()) == ("128", "84")
    press("Tab")
    assert focused() is form.fields["pulse"]  # monitor order: BP, then pulse
    type_text("72")
    enter()
    [event] = stored(workspace, runner, Kind.VITALS)
    p = event.payload
    assert (p["systolic"], p["diastolic"], p["pulse"]) == (128, 84, 72)
    assert p["partial"] is True and p["spo2"] is None and "news2" not in p
    assert form.fields["systolic"].text() == "" and form.fields["pulse"].text() == ""
    assert "Last check 0:00:00 (partial): BP 128/84 · pulse 72" in label(room, "vitalsResult").text()
    assert label(room, "vitalsNews2").text() == "NEWS2 not scored: partial check-in"
    assert focused() is room.note_input  # back to the note field after saving


def test_tab_order_follows_the_monitor(qtbot, workspace, protocol):
    room = open_vitals_room(qtbot, workspace, workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT))
    form = room.vitals.form
    press("F9")
    seen = [focused()]
    for _ in range(10):
        press("Tab")
        seen.append(focused())
    names = [w.objectName() for w in seen]
    assert names == ["vitalsSystolic", "vitalsDiastolic", "vitalsPulse", "vitalsSpo2", "vitalsRespiratoryRate",
                     "vitalsTemperature", "vitalsMoaas", "vitalsNausea", "vitalsOxygen", "vitalsComment", "vitalsSave"]
    assert form.moaas.itemText(1).startswith("5 · responds readily to name")



def test_tab_from_the_note_field_goes_round_the_fields_and_never_stops_on_a_bare_frame(qtbot, workspace, protocol):
    """The side panels' scroll frames took the focus with nothing shown for it: a Tab seemed lost."""
    room = open_vitals_room(qtbot, workspace, workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT))
    room.note_input.setFocus()
    seen = []
    for _ in range(13):
        press("Tab")
        seen.append(focused().objectName())
    assert seen[0] == "vitalsSystolic" and seen[-2:] == ["logView", "noteInput"]
    assert not [name for name in seen if name.endswith("Scroll")]


def test_enter_on_the_focused_save_button_saves_as_its_label_says(qtbot, workspace, protocol):
    """Tab ends on "Save check-in (Enter)"; Enter there saves, as from any field."""
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    press("F9")
    type_text("128/84")
    room.vitals.form.save_button.setFocus()
    press("Return")
    [event] = stored(workspace, runner, Kind.VITALS)
    assert (event.payload["systolic"], event.payload["diastolic"]) == (128, 84)


def test_refused_values_are_explained_at_the_field_and_the_input_is_kept(qtbot, workspace, protocol):
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    form = room.vitals.form
    fill(room, systolic="abc", pulse="400", spo2="101", comment="restless")
    save(room)
    assert stored(workspace, runner, Kind.VITALS) == []
    assert (form.fields["systolic"].text(), form.fields["pulse"].text(), form.fields["spo2"].text(),
            form.comment.text()) == ("abc", "400", "101", "restless")
    assert label(room, "vitalsError_systolic").isVisible()
    assert label(room, "vitalsError_systolic").text() == "Systolic BP: 'abc' is not a number; allowed 50–300 mmHg"
    assert label(room, "vitalsError_pulse").text() == "Pulse 400 is not possible; allowed 20–250 bpm"
    assert label(room, "vitalsError_spo2").text() == "SpO2 101 is not possible; allowed 50–100 %"
    assert not label(room, "vitalsError_respiratory_rate").isVisible()
    assert focused() is form.fields["systolic"]
    fill(room, systolic="128/84", pulse="72", spo2="98")
    save(room)
    assert len(stored(workspace, runner, Kind.VITALS)) == 1
    assert not label(room, "vitalsError_pulse").isVisible()


def test_diastolic_not_below_systolic_is_refused(qtbot, workspace, protocol):
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    fill(room, systolic="120", diastolic="125")
    save(room)
    assert "must be below systolic 120" in label(room, "vitalsError_diastolic").text()
    assert room.vitals.form.fields["diastolic"].text() == "125" and stored(workspace, runner, Kind.VITALS) == []


def test_a_failed_save_keeps_everything_typed(qtbot, workspace, protocol, monkeypatch):
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    fill(room, **COMPLETE)

    def full(*_args, **_kwargs):
        raise DiskFull("The disk is full; free some space.")
    monkeypatch.setattr(workspace.store, "append", full)
    monkeypatch.setattr(workspace.store, "append_group", full)
    save(room)
    assert room.vitals.form.fields["pulse"].text() == "70" and room.vitals.form.moaas.currentData() == "5"
    assert "Not saved" in label(room, "vitalsError_form").text()
    monkeypatch.undo()
    save(room)
    assert len(stored(workspace, runner, Kind.VITALS)) == 1


def test_urgent_alert_stays_until_acknowledged_and_the_ack_is_an_event(qtbot, workspace, protocol, clock):
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    fill(room, **COMPLETE)
    save(room)
    clock.advance(25 * MIN)
    press("F10")
    fill(room, **(COMPLETE | {"spo2": "90"}))
    save(room)
    [alert] = stored(workspace, runner, Kind.ALERT)
    assert alert.payload["level"] == "urgent" and alert.payload["field"] == "spo2" and alert.payload["value"] == 90
    assert alert.payload["source_seq"] == stored(workspace, runner, Kind.VITALS)[-1].seq
    [banner] = visible_banners(room)
    assert "SpO2 90 % is below 92" in banner.text.text() and banner.property("level") == "urgent"
    # a later normal check does not clear an urgent alert, nor does time
    clock.advance(10 * MIN)
    room.controller.tick()
    fill(room, **COMPLETE)
    save(room)
    assert visible_banners(room) == [banner]
    assert no_dialogs()
    press("Ctrl+Shift+K")
    assert focused() is banner.action
    type_text("Encouraged deep breaths")
    enter()
    [ack] = stored(workspace, runner, Kind.ALERT_ACK)
    assert ack.payload == {"alert_seqs": [alert.seq], "alerts": ["SpO2 90 % is below 92"],
                           "action": "Encouraged deep breaths"}
    assert visible_banners(room) == []


def test_unacknowledged_urgent_alert_is_back_after_a_restart(qtbot, workspace, protocol, clock):
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    fill(room, **(COMPLETE | {"respiratory_rate": "8", "pulse": "125"}))
    save(room)
    [line] = visible_banners(room)  # one line per check-in, worst first
    line_text = "Respiratory rate 8/min is below 10 · Pulse 125 bpm is above 120"
    assert line.level == "urgent" and line.text.text() == line_text
    fill(room, systolic="150/85")  # a later pre-dose caution gets its own line, under the urgent one
    save(room)
    assert [b.level for b in visible_banners(room)] == ["urgent", "caution"]
    room.close_now()
    resumed = workspace.resume(workspace.store.session(runner.session_uid))
    room2 = open_vitals_room(qtbot, workspace, resumed)
    restored = visible_banners(room2)
    assert [(b.level, b.fields) for b in restored] == [("urgent", {"respiratory_rate", "pulse"}),
                                                       ("caution", {"systolic"})]
    assert restored[0].text.text() == line_text
    # acknowledging with the button and no action text: one alert_ack for the line, naming its alerts
    alert_seqs = restored[0].alert_seqs
    qtbot.mouseClick(restored[0].ack_button, Qt.MouseButton.LeftButton)
    acks = stored(workspace, runner, Kind.ALERT_ACK)
    assert [a.payload for a in acks] == [{"alert_seqs": alert_seqs, "alerts": line_text.split(" · ")}]
    assert [b.level for b in visible_banners(room2)] == ["caution"]


def test_a_caution_gives_way_when_the_value_is_measured_again(qtbot, workspace, protocol):
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    fill(room, systolic="150/85")
    save(room)
    [banner] = visible_banners(room)
    assert "consider whether to dose" in banner.text.text()
    fill(room, pulse="72")  # a check that did not measure BP leaves the BP caution up
    save(room)
    assert visible_banners(room) == [banner]
    fill(room, systolic="132/85")
    save(room)
    assert visible_banners(room) == []
    assert stored(workspace, runner, Kind.ALERT_ACK) == []
    room.close_now()  # and it stays gone after a restart
    room2 = open_vitals_room(qtbot, workspace, workspace.resume(workspace.store.session(runner.session_uid)))
    assert visible_banners(room2) == []


def test_news2_is_shown_with_its_band_and_the_advisory(qtbot, workspace, protocol):
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    fill(room, **(COMPLETE | {"moaas": "3"}))
    save(room)
    assert label(room, "vitalsNews2").text() == "NEWS2 3 · low-medium (without temperature)"
    assert label(room, "vitalsNews2").property("level") == "caution"
    assert "dissociation in the deep phase" in label(room, "vitalsAdvisory").text()
    news = stored(workspace, runner, Kind.VITALS)[0].payload["news2"]
    assert news["score"] == 3 and news["band"] == "low-medium" and news["parts"]["consciousness"] == 3


def test_next_check_line_counts_down_and_shows_overdue_on_the_fake_clock(qtbot, workspace, protocol, clock):
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    due = label(room, "vitalsDue")
    assert due.text() == "Baseline vitals (before dosing) in 20 min" and due.property("level") == "ok"
    clock.advance(16 * MIN)
    room.controller.tick()
    assert due.text() == "Baseline vitals (before dosing) in 4 min" and due.property("level") == "soon"
    fill(room, **COMPLETE)
    save(room)
    assert due.text().startswith("Baseline taken")
    clock.advance(6 * MIN)
    room.controller.tick()
    press("F10")
    [dose] = stored(workspace, runner, Kind.DOSE)
    assert "without_baseline" not in dose.payload and dose.payload["effective_time"] == 22 * MIN
    assert due.text() == "Vitals (40 min after dose) in 40 min"
    clock.advance(43 * MIN)
    room.controller.tick()
    assert due.text() == "Vitals (40 min after dose) overdue 3 min" and due.property("level") == "overdue"
    fill(room, **COMPLETE)
    save(room)
    assert due.text() == "Vitals in 30 min" and due.property("level") == "ok"


def test_f10_before_the_dosing_phase_starts_it_at_the_dose(qtbot, workspace, protocol, clock):
    """The client is ready early: the lozenge goes in at 13 min. The dosing phase (the hold time)
    and everything after it count from then, not from the 20 minutes the clock had planned."""
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    clock.advance(6 * MIN)
    fill(room, **COMPLETE)
    save(room)
    clock.advance(7 * MIN)
    room.controller.tick()
    press("F10")
    [dose] = stored(workspace, runner, Kind.DOSE)
    assert dose.payload["route"] == "sublingual ketamine lozenge" and dose.session_time == 13 * MIN
    assert room.log_view.lines()[-2:] == ["0:13:00   Dose   Dose given: sublingual ketamine lozenge",
                                          "0:13:00   Phase   Dosing (started with the dose)"]
    assert room.phase_label.text().startswith("Dosing – 0 min in, 15 min left")
    assert room.findChild(QWidget, "phase_dosing").property("phaseState") == "current"
    assert label(room, "vitalsDue").text() == "Vitals (40 min after dose) in 40 min"
    assert room.status.text() == "Dose recorded at 0:13:00; Dosing starts now."
    assert focused() is room.note_input


def test_f10_over_a_baseline_above_the_dosing_limits_asks_first_and_the_record_keeps_why(qtbot, workspace,
                                                                                      protocol, clock):
    """A baseline of 152/96 says "consider whether to dose". F10 asks before it records the dose,
    Esc leaves it unrecorded, and a dose confirmed over it says so in the log, as the PDF does."""
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    fill(room, **(COMPLETE | {"systolic": "152/96"}))
    save(room)
    clock.advance(21 * MIN)
    room.controller.tick()
    press("F10")
    form = room.vitals.form
    assert stored(workspace, runner, Kind.DOSE) == [] and form.dose_confirm.isVisible()
    assert form.dose_question.text().startswith("The last check (0:00:00): Systolic 152 mmHg before dosing is "
                                                "above 140: consider whether to dose; Diastolic 96 mmHg")
    assert form.dose_no.text() == "No, not now (Esc)"
    press("Escape")
    assert stored(workspace, runner, Kind.DOSE) == [] and room.status.text() == "Dose not recorded."
    press("F10")
    press("F10")  # again: the therapist's judgement, recorded
    [dose] = stored(workspace, runner, Kind.DOSE)
    assert dose.payload["despite"] == ["Systolic 152 mmHg before dosing is above 140: consider whether to dose",
                                       "Diastolic 96 mmHg before dosing is above 90: consider whether to dose"]
    assert "given despite: Systolic 152 mmHg" in room.log_view.lines()[-1]
    assert room.status.text() == "Dose recorded at 0:21:00 over the last check's concerns."


def test_a_baseline_within_the_limits_does_not_ask_before_the_dose(qtbot, workspace, protocol, clock):
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    fill(room, **COMPLETE)  # 124/80, pulse 70, SpO2 98
    save(room)
    clock.advance(21 * MIN)
    room.controller.tick()
    press("F10")
    [dose] = stored(workspace, runner, Kind.DOSE)
    assert "despite" not in dose.payload and not room.vitals.form.dose_confirm.isVisible()


def test_dose_without_baseline_asks_in_the_window_then_records_the_flag(qtbot, workspace, protocol, clock):
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    clock.advance(21 * MIN)
    room.controller.tick()
    press("F10")
    confirm = room.vitals.form.dose_confirm
    assert confirm.isVisible() and "No baseline vitals" in room.vitals.form.dose_question.text()
    assert stored(workspace, runner, Kind.DOSE) == [] and no_dialogs()
    assert room.clock_label.isVisible()
    press("Esc")
    assert not confirm.isVisible() and stored(workspace, runner, Kind.DOSE) == []
    assert focused() is room.note_input
    press("F10")
    press("F10")
    [dose] = stored(workspace, runner, Kind.DOSE)
    assert dose.payload["without_baseline"] is True and not confirm.isVisible()
    press("F10")
    assert len(stored(workspace, runner, Kind.DOSE)) == 1
    assert "already recorded" in room.status.text()


def test_the_dose_question_fits_the_side_panel_of_a_1366_screen(qtbot, workspace, protocol, clock):
    """Its buttons must not widen the form past the panel: the right-hand fields would be cut off."""
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    press("F10")
    form, viewport = room.vitals.form, room.vitals.scroll.viewport()
    qtbot.waitUntil(lambda: form.dose_confirm.isVisible())
    assert form.width() <= viewport.width()
    for button in (form.dose_yes, form.dose_no):
        assert button.sizeHint().width() <= button.width(), button.text()  # the whole label shows
    diastolic = form.fields["diastolic"]
    right_edge = diastolic.mapTo(viewport, diastolic.rect().topRight()).x()
    assert right_edge < viewport.width()  # the diastolic field is not cut off


def test_after_the_session_ends_the_form_is_closed_and_what_was_typed_stays(qtbot, workspace, protocol):
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    fill(room, pulse="80")  # typed, not saved, when the session ends
    room.controller.end("ended_early", "client unwell")
    form = room.vitals.form
    qtbot.waitUntil(lambda: not form.save_button.isEnabled())
    assert not form.fields["systolic"].isEnabled() and not form.moaas.isEnabled()
    assert form.fields["pulse"].text() == "80"  # still there to read or copy into a note
    assert "session has ended" in label(room, "vitalsError_form").text()
    assert room.vitals.save() is None and stored(workspace, runner, Kind.VITALS) == []  # F9's save refuses too
    assert label(room, "vitalsDue").text() == "Vitals: session ended"


def test_a_room_opened_on_an_ended_session_shows_the_form_closed(qtbot, workspace, protocol):
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    runner.end(State.ENDED_EARLY, "client unwell")
    room = open_vitals_room(qtbot, workspace, runner)
    assert not room.vitals.form.save_button.isEnabled()


def test_fields_are_line_edits_with_accessible_names(qtbot, workspace, protocol):
    room = open_vitals_room(qtbot, workspace, workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT))
    for edit in room.vitals.form.fields.values():
        assert isinstance(edit, QLineEdit) and edit.accessibleName()
    assert "50 to 300 mmHg" in room.vitals.form.fields["systolic"].accessibleName()


def test_the_time_since_the_dose_shows_beside_the_next_check_once_the_dose_is_recorded(qtbot, workspace, protocol,
                                                                                        clock):
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    since = label(room, "sinceDose")
    assert not since.isVisible()  # nothing to count from yet
    fill(room, **COMPLETE)
    save(room)
    clock.advance(21 * MIN)
    room.controller.tick()
    press("F10")
    clock.advance(27 * MIN + 14)
    room.controller.tick()
    assert since.isVisible() and since.text() == "0:27:14 since the dose"
    press("F12")  # privacy: only the clock and the phase stay
    assert not since.isVisible()
    press("F12")
    assert since.isVisible()
    room.controller.end(State.ENDED_EARLY, "client asked to stop")
    clock.advance(10 * MIN)
    room.controller.tick()
    assert since.text() == "Ended 0:27:14 after the dose"  # the session's clock stopped at its end


def test_the_check_ins_so_far_sit_below_the_form_newest_first_with_the_baseline_marked(qtbot, workspace, protocol,
                                                                                       clock):
    """'Back near baseline?' is judged against the trend: the panel lists every check-in, each
    value in its status colour, once there is more than the last one to show."""
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    history = label(room, "vitalsHistory")
    fill(room, **COMPLETE)
    save(room)
    assert not history.isVisible()  # one check: the line above the form says it all
    clock.advance(21 * MIN)
    room.controller.tick()
    press("F10")
    clock.advance(40 * MIN)
    room.controller.tick()
    fill(room, **(COMPLETE | {"systolic": "186/112", "spo2": "96"}))
    save(room)
    assert history.isVisible() and history.width() <= room.vitals.form.width()
    text = history.text()
    assert text.index("1:01") < text.index("0:00 base")  # newest first; the pre-dose check is the baseline
    urgent = theme.LEVEL_COLOURS["urgent"]
    assert f"<span style='color:{urgent}'>186/112</span>" in text and ">124/80<" in text
    assert history.accessibleDescription().startswith("1:01: BP 186/112")


def test_a_long_session_lists_its_newest_check_ins_and_keeps_the_baseline(qtbot, workspace, protocol, clock):
    from kaproom.ui.vitals.history import HISTORY_ROWS
    runner, room = baseline_then_dose(qtbot, workspace, protocol, clock)
    for _ in range(HISTORY_ROWS + 3):
        clock.advance(10 * MIN)
        room.controller.tick()
        fill(room, **COMPLETE)
        save(room)
    text = label(room, "vitalsHistory").text()
    assert text.count("<tr>") == 1 + HISTORY_ROWS + 1  # the heading, the newest checks, the baseline
    assert "0:00 base" in text and "2:11" in text and "0:31<" not in text


def test_f10_after_the_dosing_phase_asks_when_the_dose_was_given(qtbot, workspace, protocol, clock):
    """Recorded as 'now' at 45 min, a dose given at 23 would move the 40-minute check to 85 min:
    the room asks when it was given, offering the dosing phase's start."""
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    fill(room, **COMPLETE)
    save(room)
    clock.advance(45 * MIN)
    room.controller.tick()
    press("F10")
    prompt = room.prompt
    assert prompt.is_open and prompt.field.text() == "0:20" and focused() is prompt.field
    assert "Dosing is over and the dose is not recorded. When was it given?" in prompt.title.text()
    assert stored(workspace, runner, Kind.DOSE) == [] and no_dialogs()
    prompt.field.setText("about 23")
    press("Return")
    assert prompt.is_open and "as the clock shows it, e.g. 0:21" in prompt.message.text()
    prompt.field.setText("0:23")
    press("Return")
    [dose] = stored(workspace, runner, Kind.DOSE)
    assert dose.payload["effective_time"] == 23 * MIN and dose.payload["recorded_late"] is True
    assert not prompt.is_open and focused() is room.note_input
    assert room.status.text() == "Dose recorded at 0:23:00 (entered at 0:45:00)."
    assert room.log_view.lines()[-1].startswith("0:45:00   Dose   Dose given: sublingual ketamine lozenge "
                                                "(given at 0:23:00, recorded later)")
    assert label(room, "vitalsDue").text() == "Vitals (40 min after dose) in 18 min"  # at 1:03, not 1:25
    assert label(room, "sinceDose").text() == "0:22:00 since the dose"


def test_f10_again_confirms_the_late_dose_time_typed_and_an_ended_session_says_so(qtbot, workspace, protocol, clock):
    runner, room = room_at_minute(qtbot, workspace, protocol, clock, 45)
    press("F10")
    room.prompt.field.setText("0:24")
    press("F10")  # the same key again confirms what was typed, not a fresh question
    [dose] = stored(workspace, runner, Kind.DOSE)
    assert dose.payload["effective_time"] == 24 * MIN and not room.prompt.is_open
    ended, room = room_at_minute(qtbot, workspace, protocol, clock, 45, client="C-2")
    press("F10")
    room.controller.end(State.ENDED_EARLY, "client unwell")
    press("Return")
    assert room.prompt.is_open and "The session has ended" in room.prompt.message.text()
    assert stored(workspace, ended, Kind.DOSE) == []
