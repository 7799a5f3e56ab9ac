"""The dose in the record: how it ended (lozenge spat out or swallowed), which the room asks for
as the session leaves the dose phase without it, and the dose as prescribed, typed on the start
page and carried by the dose event."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaproom.domain.dose import (
    DOSE_MG_RANGE,
    asks_how_the_dose_ended,
    dose_end_question,
    dose_remarks,
    dose_words,
    ends_the_dose,
    parse_dose_mg,
    parse_session_time,
)
from kaproom.domain.events import Kind
from kaproom.domain.protocol import BUILTIN_DIR, ProtocolError, parse_protocol
from kaproom.domain.session import SessionError
from tests._room_helpers import open_room, press, stored

MIN = 60.0
SHORT = (BUILTIN_DIR / "short-check.toml").read_text()


def test_the_built_in_protocols_name_the_lozenge_tags_and_the_question_names_their_keys(protocol):
    assert protocol.dose_end_tags == ("Lozenge spat out", "Lozenge swallowed")
    assert ends_the_dose(protocol, "Lozenge swallowed") and not ends_the_dose(protocol, "Tearful")
    assert dose_end_question(protocol) == "How did the dose end? Ctrl+1 lozenge spat out, Ctrl+2 lozenge swallowed."
    leaving = {"from": "dosing", "to": "onset"}
    assert asks_how_the_dose_ended(protocol, leaving, dose_end_recorded=False)
    assert not asks_how_the_dose_ended(protocol, leaving, dose_end_recorded=True)
    assert not asks_how_the_dose_ended(protocol, {"from": "arrival", "to": "dosing"}, dose_end_recorded=False)


def test_a_protocol_without_dose_end_tags_never_asks():
    plain = parse_protocol(SHORT.replace('dose_end_tags = ["Lozenge spat out", "Lozenge swallowed"]\n', ""))
    assert plain.dose_end_tags == () and dose_end_question(plain) == ""
    assert not asks_how_the_dose_ended(plain, {"from": "dosing", "to": "onset"}, dose_end_recorded=False)


@pytest.mark.parametrize("value, words", [
    ('["Lozenge spat"]', "'Lozenge spat' is not one of the quick tags"),
    ('"Lozenge spat out"', "must be a list of quick tag labels"),
])
def test_a_dose_end_tag_that_is_not_a_quick_tag_is_refused_with_the_fix(value, words):
    text = SHORT.replace('dose_end_tags = ["Lozenge spat out", "Lozenge swallowed"]', f"dose_end_tags = {value}")
    with pytest.raises(ProtocolError) as info:
        parse_protocol(text, "clinic/lozenge.toml")
    assert words in str(info.value) and "Fix:" in str(info.value) and "protocol.dose_end_tags" in str(info.value)


def test_leaving_the_dosing_phase_without_a_lozenge_tag_asks_how_the_dose_ended(qtbot, workspace, protocol, clock):
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    room = open_room(qtbot, workspace, runner)
    clock.advance(20 * MIN)
    room.controller.tick()
    assert runner.state.phase.id == "dosing" and "dose end" not in room.status.text()
    clock.advance(15 * MIN)
    room.controller.tick()
    assert runner.state.phase.id == "onset"
    assert room.status.text() == ("Onset began on time. How did the dose end? Ctrl+1 lozenge spat out, "
                                  "Ctrl+2 lozenge swallowed.")
    press(room, "Ctrl+2")
    assert [e.payload["label"] for e in stored(workspace, runner, Kind.TAG)] == ["Lozenge swallowed"]


def test_a_lozenge_tag_in_the_dosing_phase_offers_to_move_on_and_the_question_is_not_asked(
        qtbot, workspace, protocol, clock):
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    room = open_room(qtbot, workspace, runner)
    clock.advance(24 * MIN)
    room.controller.tick()
    press(room, "Ctrl+1")
    assert room.status.text() == "Tag saved: Lozenge spat out. Ctrl+Shift+N moves on to Onset now."
    clock.advance(11 * MIN)
    room.controller.tick()
    assert runner.state.phase.id == "onset" and room.status.text() == "Onset began on time."


def test_a_lozenge_tag_saved_before_a_restart_still_counts(qtbot, workspace, protocol, clock):
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    clock.advance(30 * MIN)
    runner.tick()
    runner.tag("Lozenge swallowed")
    room = open_room(qtbot, workspace, runner)  # the room opens on a history that already has it
    clock.advance(5 * MIN)
    room.controller.tick()
    assert runner.state.phase.id == "onset" and room.status.text() == "Onset began on time."


def test_moving_on_by_hand_from_the_dosing_phase_asks_too(qtbot, workspace, protocol, clock):
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    room = open_room(qtbot, workspace, runner)
    clock.advance(30 * MIN)
    room.controller.tick()
    press(room, "Ctrl+Shift+N")
    press(room, "Return")
    assert runner.state.phase.id == "onset"
    assert room.status.text() == ("Moved on to Onset. How did the dose end? Ctrl+1 lozenge spat out, "
                                  "Ctrl+2 lozenge swallowed.")


# ---------------------------------------------------------------- the prescribed dose


@given(st.decimals(min_value=1, max_value=2000, places=1), st.sampled_from(["", " ", "mg", " mg", "MG", " Mg "]),
       st.booleans())
def test_typed_milligrams_read_back_as_the_number_typed(amount, unit, comma):
    text = f"{amount}{unit}"
    if comma:
        text = text.replace(".", ",")
    assert parse_dose_mg(f" {text} ") == pytest.approx(float(amount))


@given(st.text(max_size=30))
def test_any_typing_is_read_or_refused_with_what_to_type(text):
    try:
        value = parse_dose_mg(text)
    except ValueError as exc:
        assert str(exc).startswith("Dose")
    else:
        assert value is None or DOSE_MG_RANGE[0] <= value <= DOSE_MG_RANGE[1]
        assert (value is None) == (not text.strip())


@pytest.mark.parametrize("text", ["0", "3000", "300 g", "300 mcg", "three hundred", "300/2", "-300", "3e2"])
def test_slips_and_other_units_are_refused(text):
    with pytest.raises(ValueError, match="^Dose"):
        parse_dose_mg(text)


def test_the_prescribed_dose_goes_with_the_dose_event_even_after_a_restart(workspace, protocol, clock):
    runner = workspace.new_session(protocol, "C-1", "Dr A", prescribed_dose_mg=300)
    clock.advance(10 * MIN)
    runner.tick()
    resumed = workspace.resume(workspace.store.open_sessions()[0])  # the app stopped before the dose
    [dose, _phase] = resumed.give_dose("sublingual ketamine lozenge")
    assert dose.payload["amount_mg"] == 300
    assert dose_words(dose.payload) == "300 mg sublingual ketamine lozenge"
    unprescribed = workspace.new_session(protocol, "C-2", "Dr A")
    [dose, _phase] = unprescribed.give_dose("sublingual ketamine lozenge")
    assert "amount_mg" not in dose.payload


# ---------------------------------------------------------------- a dose recorded late


@given(st.integers(0, 23), st.integers(0, 59), st.one_of(st.none(), st.integers(0, 59)))
def test_a_session_time_reads_back_as_typed(hours, minutes, seconds):
    text = f"{hours}:{minutes:02d}" + ("" if seconds is None else f":{seconds:02d}")
    assert parse_session_time(f" {text} ") == hours * 3600 + minutes * 60 + (seconds or 0)


@pytest.mark.parametrize("text", ["", "21", "0:7", "0:60", "1:00:75", "abc", "0:21 pm", "-0:21"])
def test_other_typing_is_refused_with_what_to_type(text):
    with pytest.raises(ValueError, match="as the clock shows it, e.g. 0:21"):
        parse_session_time(text)


def test_a_dose_recorded_after_the_dosing_phase_keeps_the_time_it_was_given(workspace, protocol, clock):
    runner = workspace.new_session(protocol, "C-1", "Dr A", prescribed_dose_mg=300)
    clock.advance(45 * MIN)  # onset: the dosing phase (20-35 min) went by without F10
    runner.tick()
    with pytest.raises(SessionError, match="between 0:00:00 and now"):
        runner.give_dose("lozenge", given_at=46 * MIN)
    [dose] = runner.give_dose("lozenge", given_at=23 * MIN)
    assert dose.session_time == 45 * MIN and dose.phase == "onset"
    assert dose.payload == {"route": "lozenge", "effective_time": 1380.0, "amount_mg": 300.0, "recorded_late": True}
    assert runner.state.dose_time == 23 * MIN and runner.state.phase.id == "onset"
    assert dose_remarks(dose.payload) == " (given at 0:23:00, recorded later)"
    assert dose_remarks(dose.payload | {"without_baseline": True}) == \
        " (given at 0:23:00, recorded later; no baseline vitals)"
    early = workspace.new_session(protocol, "C-2", "Dr A")
    with pytest.raises(SessionError, match="once the dose phase has begun"):
        early.give_dose("lozenge", given_at=0.0)



def test_what_the_last_check_says_against_dosing_is_its_urgent_values_and_blood_pressure_out_of_limits():
    from kaproom.domain.dose import dose_concerns
    check = {"statuses": {
        "pulse": {"level": "caution", "reason": "Pulse 128 bpm is above 120"},
        "diastolic": {"level": "caution", "reason": "Diastolic 96 mmHg before dosing is above 90: consider whether to dose"},
        "systolic": {"level": "urgent", "reason": "Systolic 186 mmHg is at or above 180"},
        "spo2": {"level": "urgent", "reason": "SpO2 90 % is below 92"},
        "respiratory_rate": {"level": "ok", "reason": "within the protocol's limits"}}}
    assert dose_concerns(check) == ["Systolic 186 mmHg is at or above 180",
                                    "Diastolic 96 mmHg before dosing is above 90: consider whether to dose",
                                    "SpO2 90 % is below 92"], "in the monitor's order; a fast pulse alone does not ask"
    assert dose_concerns(None) == [] and dose_concerns({}) == [] and dose_concerns({"statuses": "garbled"}) == []
    assert dose_concerns({"statuses": {"systolic": "garbled", "pulse": {"level": "urgent"}}}) == ["pulse"]
