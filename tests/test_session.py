"""The session engine: phases on a clock that never drifts, by hand or automatically."""
from __future__ import annotations

import time

import pytest

from kaproom.domain.clock import FakeClock, format_hms
from kaproom.domain.events import Kind
from kaproom.domain.session import SessionError, State


def run_new(workspace, protocol):
    return workspace.new_session(protocol, "C-0042", "therapist", "Room 1",
                                 screening={q.id: False for q in protocol.screening}, intention="Rest.")


def phase_changes(workspace, runner):
    return [(e.payload["to"], e.payload["effective_time"], e.payload["how"])
            for e in workspace.store.events(runner.session_uid, (Kind.PHASE_CHANGED,))]


def test_full_default_protocol_runs_in_well_under_a_second(workspace, clock, protocol):
    began = time.perf_counter()
    runner = run_new(workspace, protocol)
    for _ in range(3 * 3600):  # one tick a second for three hours of session time
        clock.advance(1)
        runner.tick()
    runner.end(State.DISCHARGED)
    assert time.perf_counter() - began < 1.0
    assert phase_changes(workspace, runner) == [
        ("arrival", 0.0, "start"), ("dosing", 1200.0, "auto"), ("onset", 2100.0, "auto"),
        ("deep", 3000.0, "auto"), ("return", 6600.0, "auto"), ("integration", 8400.0, "auto")]
    assert runner.elapsed() == 3 * 3600
    assert workspace.store.session(runner.session_uid).state == "discharged"


def test_last_phase_runs_over_rather_than_ending_on_its_own(workspace, clock, protocol):
    runner = run_new(workspace, protocol)
    clock.advance(4 * 3600)
    runner.tick()
    assert runner.state.phase.id == "integration"
    assert runner.state.state == State.RUNNING
    assert runner.time_left_in_phase() == pytest.approx(-3600)


def test_manual_advance_early_and_late_is_recorded(workspace, clock, protocol):
    runner = run_new(workspace, protocol)
    clock.advance(600)  # arrival done ten minutes early
    runner.advance("client ready early")
    assert runner.state.phase.id == "dosing"
    assert runner.time_in_phase() == 0
    clock.advance(20 * 60)  # dosing would auto-advance at 15 min; onset is then 5 minutes old
    runner.tick()
    assert runner.state.phase.id == "onset"
    assert runner.time_in_phase() == pytest.approx(300)
    runner.extend(10)  # onset now lasts 25 minutes
    clock.advance(15 * 60)
    runner.tick()
    assert runner.state.phase.id == "onset"  # extended: still in onset after 20 minutes
    clock.advance(6 * 60)
    runner.tick()
    assert runner.state.phase.id == "deep"
    changes = phase_changes(workspace, runner)
    assert changes[1] == ("dosing", 600.0, "manual")
    assert changes[2] == ("onset", 1500.0, "auto")
    assert changes[3] == ("deep", 1500.0 + 25 * 60, "auto")
    manual = workspace.store.events(runner.session_uid, (Kind.PHASE_CHANGED,))[1]
    assert manual.payload["reason"] == "client ready early"
    assert manual.payload["early_by_seconds"] == 600.0
    assert workspace.store.events(runner.session_uid, (Kind.PHASE_EXTENDED,))[0].payload["minutes"] == 10


def test_late_manual_advance_when_phase_waits_for_the_therapist(workspace, clock, protocol):
    from dataclasses import replace
    held = replace(protocol, phases=tuple(replace(p, auto_advance=False) if p.id == "deep" else p
                                          for p in protocol.phases))
    runner = run_new(workspace, held)
    clock.advance(3000 + 75 * 60)  # deep planned for 60 minutes; the client needs 75
    runner.tick()
    assert runner.state.phase.id == "deep"
    assert runner.time_left_in_phase() == pytest.approx(-15 * 60)
    runner.advance("came back late")
    changes = phase_changes(workspace, runner)
    assert changes[-1] == ("return", 3000 + 75 * 60, "manual")
    late = workspace.store.events(runner.session_uid, (Kind.PHASE_CHANGED,))[-1]
    assert late.payload["early_by_seconds"] == -15 * 60


def test_notes_amendments_and_end(workspace, clock, protocol):
    runner = run_new(workspace, protocol)
    clock.advance(90)
    note = runner.note("  Tearful, calm  ")
    assert note.payload == {"text": "Tearful, calm"} and note.session_time == 90 and note.phase == "arrival"
    amendment = runner.amend(note, "Tearful, then calm")
    assert amendment.payload["amends_seq"] == note.seq
    with pytest.raises(SessionError):
        runner.note("   ")
    with pytest.raises(SessionError):
        runner.end(State.ENDED_EARLY, "")
    runner.end(State.ENDED_EARLY, "Client asked to stop")
    assert runner.state.state == State.ENDED_EARLY
    with pytest.raises(SessionError):
        runner.advance()
    elapsed_at_end = runner.elapsed()
    clock.advance(600)
    assert runner.elapsed() == elapsed_at_end  # the clock stops when the session ends


def test_resume_after_restart_uses_the_true_wall_gap(workspace, clock, protocol):
    runner = run_new(workspace, protocol)
    clock.advance(2000)
    runner.tick()
    runner.note("before the crash")
    # the app dies; ten minutes later (and a new monotonic clock) it starts again
    later = FakeClock(clock.now(), monotonic_start=5.0)
    later.advance(600)
    row = workspace.store.open_sessions()[0]
    workspace.clock = later
    resumed = workspace.resume(row)
    assert resumed.elapsed() == pytest.approx(2600)
    event = resumed.mark_resumed()
    assert resumed.state.phase.id == "onset"  # the phase change due while the app was down is recorded
    assert event.payload["gap_seconds"] == pytest.approx(600)
    later.advance(500)  # deep starts at 3000 s
    resumed.tick()
    assert resumed.state.phase.id == "deep"
    assert format_hms(resumed.elapsed()) == "0:51:40"


def test_wall_clock_jump_is_recorded_and_session_time_stays_true(workspace, clock, protocol):
    runner = run_new(workspace, protocol)
    clock.advance(100)
    clock.jump_wall(-3600)  # someone set the clock back an hour
    clock.advance(20)
    jumps = [e for e in runner.tick() if e.kind == Kind.CLOCK_JUMP]
    assert len(jumps) == 1 and jumps[0].payload["jump_seconds"] == pytest.approx(-3600)
    assert runner.elapsed() == 120
    clock.advance(30)
    assert runner.tick() == []
    assert runner.elapsed() == 150


def test_commands_on_a_created_session(workspace, protocol):
    runner = workspace.new_session(protocol, "C-1", "t", start=False)
    assert runner.elapsed() == 0
    with pytest.raises(SessionError):
        runner.advance()
    runner.start()
    with pytest.raises(SessionError):
        runner.start()


def test_a_dose_given_before_the_dosing_phase_starts_it_so_the_hold_and_onset_count_from_the_dose(
        workspace, clock, protocol):
    runner = run_new(workspace, protocol)
    clock.advance(13 * 60)  # arrival planned for 20 min; the client is ready at 13
    dose, change = runner.give_dose("sublingual ketamine lozenge")
    assert dose.kind == Kind.DOSE and dose.payload == {"route": "sublingual ketamine lozenge", "effective_time": 780.0}
    assert (change.kind, change.seq, change.session_time) == (Kind.PHASE_CHANGED, dose.seq + 1, 780.0)
    assert change.phase == "dosing" and "reason" not in change.payload
    assert change.payload["early_by_seconds"] == 7 * 60
    assert runner.state.phase.id == "dosing" and runner.state.dose_time == 780.0
    clock.advance(15 * 60 - 1)  # the 15-minute hold ends 15 minutes after the dose, not at 35 min
    runner.tick()
    assert runner.state.phase.id == "dosing"
    clock.advance(1)
    runner.tick()
    assert runner.state.phase.id == "onset"
    assert phase_changes(workspace, runner)[1:3] == [("dosing", 780.0, "dose"), ("onset", 1680.0, "auto")]
    replayed = workspace.resume(workspace.store.open_sessions()[0])  # the same state after a restart
    assert (replayed.state.phase.id, replayed.state.dose_time) == ("onset", 780.0)


def test_a_dose_in_or_after_the_dosing_phase_leaves_the_phases_alone_and_is_recorded_once(
        workspace, clock, protocol):
    runner = run_new(workspace, protocol)
    clock.advance(23 * 60)  # dosing began on the clock at 20 min
    runner.tick()
    [dose] = runner.give_dose("lozenge", without_baseline=True)
    assert dose.payload == {"route": "lozenge", "effective_time": 1380.0, "without_baseline": True}
    assert [c[0] for c in phase_changes(workspace, runner)] == ["arrival", "dosing"]
    with pytest.raises(SessionError, match="already recorded"):
        runner.give_dose("lozenge")
    ended = run_new(workspace, protocol)
    ended.end(State.ENDED_EARLY, "Client asked to stop")
    with pytest.raises(SessionError, match="not running"):
        ended.give_dose("lozenge")
    assert workspace.store.events(ended.session_uid, (Kind.DOSE,)) == []
