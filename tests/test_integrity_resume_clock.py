"""Issue 23 point 10: a resume never writes automatic phase changes for time that did not pass.

The wall clock set back a day during a session, then put right while the app was closed: the
stored wall times are a day behind, so the naive gap on resume is a day. The boot reading stored
with the session's anchors (same boot), or the clock changes recorded during the session (after
a restart of the computer), show that only minutes passed: the session counts those, records the
jump, and waits for the therapist to say which clock was right.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from _room_helpers import open_room

from kaproom.domain.clock import FakeClock
from kaproom.domain.events import Kind
from kaproom.services.workspace import Workspace

MINUTE, DAY = 60.0, 86400.0


def _session_with_the_clock_set_back(data_dir, protocol, boot_id: str | None):
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), boot_id=boot_id)
    with Workspace(data_dir, clock) as workspace:
        runner = workspace.new_session(protocol, "C-DAY", "therapist")
        clock.advance(20 * MINUTE)
        runner.tick()
        clock.jump_wall(-DAY)  # someone sets the clock back a day
        runner.tick()
        clock.advance(5 * MINUTE)
        runner.note("Last entry before the app was closed.")
        last = runner.elapsed()
        phases = len(workspace.store.events(runner.session_uid, (Kind.PHASE_CHANGED,)))
    return clock, last, phases


def _phase_changes(workspace, uid):
    return workspace.store.events(uid, (Kind.PHASE_CHANGED,))


@pytest.mark.parametrize("restart", ["app restarted", "computer restarted"])
def test_a_day_claimed_by_a_corrected_wall_clock_writes_no_phase_changes(data_dir, protocol, restart):
    clock, last, phases_before = _session_with_the_clock_set_back(data_dir, protocol, "boot-1")
    clock.advance(3 * MINUTE)  # the second phase (15 minutes from minute 20) is still under way
    clock.jump_wall(+DAY)  # the clock is put right while the app is closed
    if restart == "app restarted":
        later = FakeClock(clock.now(), monotonic_start=clock.monotonic(), boot_id="boot-1")
    else:
        later = FakeClock(clock.now(), monotonic_start=30.0, boot_id="boot-2")
    with Workspace(data_dir, later) as workspace:
        [row] = workspace.store.open_sessions()
        runner = workspace.resume(row)
        assert runner.resume_doubt is not None
        assert runner.elapsed() <= last + 3 * MINUTE + 1, "a day that did not pass in the room is not counted"
        runner.mark_resumed()
        runner.tick()
        later.advance(MINUTE)
        runner.tick()
        assert len(_phase_changes(workspace, row.uid)) == phases_before, "no automatic phase change for that day"
        [jump] = [e for e in workspace.store.events(row.uid, (Kind.CLOCK_JUMP,)) if e.payload.get("on_resume")]
        assert jump.payload["jump_seconds"] > DAY - 10 * MINUTE
        # The therapist says the room's count was right: still nothing written for the day.
        runner.keep_room_clock()
        runner.tick()
        assert len(_phase_changes(workspace, row.uid)) == phases_before
        assert runner.resume_doubt is None


def test_the_therapist_may_confirm_the_wall_clock_and_the_phases_catch_up(data_dir, protocol):
    clock, last, phases_before = _session_with_the_clock_set_back(data_dir, protocol, "boot-1")
    clock.advance(5 * MINUTE)
    clock.jump_wall(+DAY)
    later = FakeClock(clock.now(), monotonic_start=30.0, boot_id="boot-2")
    with Workspace(data_dir, later) as workspace:
        [row] = workspace.store.open_sessions()
        runner = workspace.resume(row)
        runner.mark_resumed()
        answer = runner.keep_wall_clock()
        assert answer is not None and answer.payload["kept"] == "wall"
        runner.tick()
        assert len(_phase_changes(workspace, row.uid)) > phases_before
        assert runner.elapsed() > DAY


def test_an_honest_gap_after_a_restart_is_not_doubted(data_dir, protocol):
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), boot_id="boot-1")
    with Workspace(data_dir, clock) as workspace:
        runner = workspace.new_session(protocol, "C-OK", "therapist")
        clock.advance(20 * MINUTE)
        runner.note("Before the crash.")
    clock.advance(3 * MINUTE)
    for later in (FakeClock(clock.now(), monotonic_start=clock.monotonic(), boot_id="boot-1"),
                  FakeClock(clock.now(), monotonic_start=30.0, boot_id="boot-2"),
                  FakeClock(clock.now() + timedelta(seconds=1))):
        with Workspace(data_dir, later) as workspace:
            [row] = workspace.store.open_sessions()
            runner = workspace.resume(row)
            assert runner.resume_doubt is None
            assert runner.elapsed() == pytest.approx(23 * MINUTE, abs=2)


def test_the_room_asks_in_place_which_clock_is_right(qtbot, data_dir, protocol):
    clock, _last, phases_before = _session_with_the_clock_set_back(data_dir, protocol, "boot-1")
    clock.advance(3 * MINUTE)
    clock.jump_wall(+DAY)
    later = FakeClock(clock.now(), monotonic_start=clock.monotonic(), boot_id="boot-1")
    with Workspace(data_dir, later) as workspace:
        [row] = workspace.store.open_sessions()
        runner = workspace.resume(row)
        runner.mark_resumed()
        room = open_room(qtbot, workspace, runner)
        room.check_record()
        assert room.prompt.is_open and room.prompt.key == "resume_clock"
        assert "24:0" in room.prompt.title.text(), "the day the clock claims is named"
        assert room.prompt.choose(0)  # the room's count
        assert not room.prompt.is_open
        answers = [e.payload.get("kept") for e in workspace.store.events(row.uid, (Kind.CLOCK_JUMP,))]
        assert "room" in answers
        assert len(_phase_changes(workspace, row.uid)) == phases_before
        room.close()
