"""A rule of the room: whenever a panel or question closes, the focus is back in the note field,
and text typed while no field takes it goes into the note field (and the room says so). Walked
through every panel and question a therapist opens, typing as one would, without looking."""
from __future__ import annotations

from PySide6.QtWidgets import QCheckBox

from kaproom.domain.events import Kind
from kaproom.domain.session import State
from tests._vitals_helpers import ESCORT, MIN, enter, fill, focused, open_vitals_room, press, save, stored, type_text


def _note_goes_in(workspace, runner, room, words: str) -> None:
    """The focus is in the note field: typed words land there and Enter saves them."""
    assert focused() is room.note_input, f"before '{words}': the focus is on {focused()!r}"
    type_text(words)
    assert room.note_input.text() == words
    enter()
    assert stored(workspace, runner, Kind.NOTE)[-1].payload["text"] == words
    assert room.note_input.text() == ""


def test_every_panel_and_question_gives_the_focus_back_to_the_note_field(qtbot, workspace, protocol, clock) -> None:
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    note = lambda words: _note_goes_in(workspace, runner, room, words)  # noqa: E731
    note("arrived, calm")

    # vitals: saved with Enter, and closed with Esc
    press("F9")
    type_text("124/80")
    enter()
    assert len(stored(workspace, runner, Kind.VITALS)) == 1
    note("after the baseline")
    press("F9")
    type_text("13")
    press("Esc")
    note("after the vitals form was left")

    # the dose question (asked when the dosing phase is over): Esc, then answered with Enter
    clock.advance(36 * MIN)
    room.controller.tick()
    press("F10")
    assert room.prompt.is_open and room.prompt.key == "dose_time"
    press("Esc")
    note("after the dose question was cancelled")
    press("F10")
    enter()
    assert runner.state.dose_time is not None
    note("after the dose")

    # extend, correction and end early (cancelled)
    press("Ctrl+Shift+E")
    enter()
    note("after extending")
    press("Ctrl+Shift+A")
    type_text(" (corrected)")
    enter()
    assert stored(workspace, runner, Kind.AMENDMENT)
    note("after the correction")
    press("Ctrl+Shift+X")
    type_text("client asked")
    press("Esc")
    assert runner.state.state == State.RUNNING
    note("after end early was cancelled")

    # an urgent check, acknowledged with the action typed
    fill(room, systolic="", spo2="88")  # the "13" left in the form above is not a blood pressure
    save(room)
    press("Ctrl+Shift+K")
    type_text("oxygen, sat up")
    enter()
    assert stored(workspace, runner, Kind.ALERT_ACK)
    note("after the acknowledgement")

    # the medication and adverse-event panels: left with Esc, and recorded with Enter
    press("Ctrl+Shift+M")
    type_text("ondan")
    press("Esc")
    note("after the medication panel was left")
    press("Ctrl+Shift+M")
    enter()  # what was typed stayed; Enter records it
    assert stored(workspace, runner, Kind.MEDICATION)
    note("after the medication")
    press("Ctrl+Shift+R")
    press("Esc")
    note("after the adverse-event panel was left")
    press("Ctrl+Shift+R")
    type_text("Nau")
    press("Tab")
    type_text("mild")
    enter()
    assert stored(workspace, runner, Kind.ADVERSE_EVENT)
    note("after the adverse event")

    # privacy: what is typed under the cover is kept (hidden) in the note field, and said when it lifts
    press("F12")
    type_text("crying quietly")
    assert not room.note_input.isVisible()
    press("F12")
    assert room.note_input.text() == "crying quietly"
    assert "typed under the privacy cover" in room.status.text()
    assert focused() is room.note_input
    enter()
    note("after the privacy cover")

    # the log takes arrow keys, not text: typed text goes to the note field, and the room says so
    press("Ctrl+L")
    assert focused() is room.log_view
    type_text("sleeping")
    assert room.note_input.text() == "sleeping" and "went to the note field" in room.status.text()
    enter()
    assert stored(workspace, runner, Kind.NOTE)[-1].payload["text"] == "sleeping"

    # the discharge checklist: left with Esc, then discharged with Enter
    clock.advance(130 * MIN)
    room.controller.tick()
    fill(room, systolic="122/78", pulse="72", spo2="98", respiratory_rate="14", moaas="5", nausea="none")
    save(room)
    press("Ctrl+Shift+D")
    press("Esc")
    note("after the checklist was left")
    press("Ctrl+Shift+D")
    boxes = room.findChildren(QCheckBox)
    for box in boxes:
        if box.objectName().startswith("discharge_"):
            box.setChecked(True)
    [first] = [b for b in boxes if b.objectName() == "discharge_observed"]
    first.setFocus()
    enter()
    assert runner.state.state == State.DISCHARGED
    note("Left with partner at 2:20, steady gait")

    # a button that had the focus before a question closed takes no text either
    room.save_button.setFocus()
    type_text("x")
    assert room.note_input.text() == "x" and focused() is room.note_input
