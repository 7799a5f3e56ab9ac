"""A phase change made by hand can be undone within minutes, as a correction in the record (never a
deletion); and the confirmation of Ctrl+Shift+N refers to the phase shown when it was asked, so a
phase the session moved into by itself meanwhile is never skipped (issue 26, point 6)."""
from __future__ import annotations

import pytest

from kaproom.domain.events import Kind
from kaproom.domain.protocol import BUILTIN_DIR, parse_protocol
from kaproom.domain.session import SessionError, SessionState
from tests._room_helpers import open_room, press, stored

MIN = 60.0


def run_new(workspace, protocol):
    return workspace.new_session(protocol, "C-0042", "therapist", "Room 1",
                                 screening={q.id: False for q in protocol.screening}, intention="Rest.")


def test_a_manual_phase_change_is_undone_by_a_correction_and_the_phase_is_back(workspace, clock, protocol):
    runner = run_new(workspace, protocol)
    clock.advance(30 * MIN)
    runner.tick()  # dosing since 20 min
    runner.advance()
    assert runner.state.phase.id == "onset"
    clock.advance(1 * MIN)
    undo = runner.undo_phase_change()
    assert runner.state.phase.id == "dosing"
    assert runner.state.phase_started == 20 * MIN  # the phase it left, as it was
    assert undo.kind == Kind.AMENDMENT and undo.payload["amends_kind"] == Kind.PHASE_CHANGED
    assert undo.phase == "dosing"
    assert "back in Dosing" in undo.payload["text"]
    kinds = [e.kind for e in stored(workspace, runner)]
    assert kinds.count(Kind.PHASE_CHANGED) == 3  # the change stays in the record
    replayed = SessionState.replay(protocol, stored(workspace, runner))
    assert replayed.phase.id == "dosing" and replayed.phase_started == 20 * MIN
    clock.advance(4 * MIN)  # dosing (15 min) ends at 35 min by itself, as planned
    runner.tick()
    assert runner.state.phase.id == "onset"


def test_the_undo_is_refused_after_the_protocols_time_or_for_an_automatic_change(workspace, clock, protocol):
    runner = run_new(workspace, protocol)
    clock.advance(5 * MIN)
    runner.advance()
    clock.advance(2 * MIN + 1)
    assert runner.undoable_phase_change() is None
    with pytest.raises(SessionError, match="in the last 2 min"):
        runner.undo_phase_change()
    clock.advance(20 * MIN)
    runner.tick()  # dosing moved on by itself
    with pytest.raises(SessionError):
        runner.undo_phase_change()
    with pytest.raises(SessionError):
        runner.amend(stored(workspace, runner, Kind.PHASE_CHANGED)[-1], "wrong")


def test_the_undo_time_is_a_protocol_setting():
    text = (BUILTIN_DIR / "short-check.toml").read_text().replace("[protocol]\n", "[protocol]\nundo_phase_minutes = 5\n")
    assert parse_protocol(text).undo_phase_minutes == 5
    assert parse_protocol((BUILTIN_DIR / "short-check.toml").read_text()).undo_phase_minutes == 2


def test_ctrl_z_in_the_room_undoes_the_move_on(qtbot, workspace, protocol, clock):
    runner = run_new(workspace, protocol)
    room = open_room(qtbot, workspace, runner)
    clock.advance(5 * MIN)
    room.controller.tick()
    press(room, "Ctrl+Shift+N")
    assert "to Dosing now?" in room.prompt.title.text()
    press(room, "Return")
    assert runner.state.phase.id == "dosing"
    assert "Ctrl+Z within 2 min undoes it" in room.status.text()
    press(room, "Ctrl+Z")
    assert runner.state.phase.id == "arrival"
    assert room.status.text().startswith("Undone: back in Arrival")


def test_a_phase_reached_by_itself_while_the_question_was_open_is_not_skipped(qtbot, workspace, protocol, clock):
    runner = run_new(workspace, protocol)
    room = open_room(qtbot, workspace, runner)
    clock.advance(19 * MIN)
    room.controller.tick()
    press(room, "Ctrl+Shift+N")  # Arrival -> Dosing asked
    clock.advance(2 * MIN)  # arrival (20 min) ends by itself: the session is in Dosing
    press(room, "Ctrl+Shift+N")
    assert runner.state.phase.id == "dosing"
    assert [e.payload["how"] for e in stored(workspace, runner, Kind.PHASE_CHANGED)] == ["start", "auto"]
    assert not room.prompt.is_open
    assert room.status.text().startswith("Dosing began by itself meanwhile, so nothing was skipped.")
