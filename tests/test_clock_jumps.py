"""Someone (or NTP, or a wrong DST setting) changes the computer's clock during a session.

Session time must stay monotonic and correct (it comes from the monotonic clock, never from the
wall clock), phases must change at the right session time, and every jump must be recorded so a
supervisor reading the log understands why the wall times leap.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaproom.domain.clock import FakeClock, ScaledClock
from kaproom.domain.events import Kind
from kaproom.domain.session import CLOCK_JUMP_TOLERANCE_S
from kaproom.services.workspace import Workspace

MINUTE, HOUR = 60.0, 3600.0


def jumps_of(workspace: Workspace, uid: str) -> list[float]:
    return [e.payload["jump_seconds"] for e in workspace.store.events(uid, (Kind.CLOCK_JUMP,))]


def assert_session_time_monotonic(workspace: Workspace, uid: str) -> None:
    times = [e.session_time for e in workspace.store.events(uid)]
    assert times == sorted(times), f"session time went backwards: {times}"
    assert all(report.intact for report in workspace.store.verify(uid))


@pytest.mark.parametrize("jump", [+3 * MINUTE, -3 * MINUTE, +HOUR, -HOUR, +25 * HOUR, -7 * MINUTE],
                         ids=["ntp+3min", "ntp-3min", "dst+1h", "dst-1h", "wrong-day", "ntp-7min"])
def test_a_wall_clock_jump_is_recorded_and_session_time_is_untouched(workspace, clock, protocol, jump):
    runner = workspace.new_session(protocol, "C-JUMP", "therapist")
    clock.advance(25 * MINUTE)
    runner.tick()
    runner.note("Before the clock changed.")
    before = runner.elapsed()

    clock.jump_wall(jump)
    written = runner.tick()

    assert [e.kind for e in written] == [Kind.CLOCK_JUMP]
    assert written[0].payload["jump_seconds"] == pytest.approx(jump, abs=0.01)
    assert runner.elapsed() == pytest.approx(before)
    assert runner.tick() == [], "a jump is recorded once"
    clock.advance(10)
    after = runner.note("After the clock changed.")
    assert after.session_time == pytest.approx(before + 10)
    assert after.wall_time.startswith((clock.now()).strftime("%Y-%m-%dT%H:%M")), "wall time shows the new clock"
    assert jumps_of(workspace, runner.session_uid) == [pytest.approx(jump, abs=0.01)]
    assert_session_time_monotonic(workspace, runner.session_uid)


def test_small_drift_is_not_called_a_jump(workspace, clock, protocol):
    runner = workspace.new_session(protocol, "C-DRIFT", "therapist")
    clock.advance(MINUTE)
    clock.jump_wall(CLOCK_JUMP_TOLERANCE_S * 0.75)
    assert runner.tick() == []
    clock.advance(MINUTE)
    clock.jump_wall(-CLOCK_JUMP_TOLERANCE_S * 0.75)
    assert runner.tick() == []
    assert jumps_of(workspace, runner.session_uid) == []


def test_an_hour_forward_skips_no_phase_and_an_hour_back_delays_none(workspace, clock, protocol):
    """Phases follow session time: the wall clock leaping an hour neither rushes nor holds them."""
    runner = workspace.new_session(protocol, "C-PHASE", "therapist")
    first = protocol.phases[0]
    clock.advance(first.seconds - 5 * MINUTE)
    runner.tick()
    clock.jump_wall(+HOUR)
    runner.tick()
    assert runner.state.phase_id == first.id, "a wall clock an hour ahead must not end the phase"
    clock.advance(5 * MINUTE)
    runner.tick()
    second = protocol.phases[1]
    assert runner.state.phase_id == second.id
    clock.jump_wall(-HOUR)
    runner.tick()
    clock.advance(second.seconds)
    runner.tick()
    assert runner.state.phase_id == protocol.phases[2].id, "a wall clock an hour behind must not hold the phase"
    changes = workspace.store.events(runner.session_uid, (Kind.PHASE_CHANGED,))
    assert [c.payload["effective_time"] for c in changes] == [0.0, first.seconds, first.seconds + second.seconds]
    assert jumps_of(workspace, runner.session_uid) == [pytest.approx(HOUR), pytest.approx(-HOUR)]
    assert_session_time_monotonic(workspace, runner.session_uid)


def test_resume_after_the_clock_went_back_during_a_crash_never_shows_negative_time(data_dir, protocol):
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    with Workspace(data_dir, clock) as workspace:
        runner = workspace.new_session(protocol, "C-BACK", "therapist")
        clock.advance(40 * MINUTE)
        runner.note("Last entry before the crash.")
        last_time = runner.elapsed()
    later = FakeClock(clock.now() - timedelta(minutes=30), monotonic_start=5.0)  # restarted, clock set back
    with Workspace(data_dir, later) as workspace:
        [row] = workspace.store.open_sessions()
        resumed = workspace.resume(row)
        assert resumed.elapsed() == pytest.approx(last_time), "no time is invented or taken away"
        event = resumed.mark_resumed()
        assert event.payload["wall_clock_went_back"] is True
        later.advance(MINUTE)
        assert resumed.note("Back.").session_time == pytest.approx(last_time + MINUTE)
        assert_session_time_monotonic(workspace, row.uid)


def test_scaled_clock_keeps_session_time_when_the_machine_clock_jumps(data_dir, protocol):
    """The demo's fast clock derives its wall time from the monotonic clock, so a jump of the
    machine's clock moves nothing and is not mistaken for one (the tolerance scales with speed)."""
    base = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    scaled = ScaledClock(60.0, base=base)
    with Workspace(data_dir, scaled) as workspace:
        runner = workspace.new_session(protocol, "C-FAST", "therapist")
        base.advance(30)  # 30 real seconds = 30 session minutes
        runner.tick()
        assert runner.elapsed() == pytest.approx(30 * MINUTE)
        base.jump_wall(-HOUR)
        base.advance(10)
        assert Kind.CLOCK_JUMP not in [e.kind for e in runner.tick()]
        assert runner.elapsed() == pytest.approx(40 * MINUTE)
        base.jump_wall(+HOUR)
        base.advance(1)
        runner.tick()
        assert runner.elapsed() == pytest.approx(41 * MINUTE)
        assert jumps_of(workspace, runner.session_uid) == []
        assert scaled.now() == datetime(2026, 3, 2, 9, 0, tzinfo=UTC) + timedelta(minutes=41)
        assert_session_time_monotonic(workspace, runner.session_uid)


steps = st.lists(st.tuples(st.floats(0, 900, allow_nan=False), st.sampled_from([0.0, 0.3, -0.3, -90.0, 240.0, -HOUR,
                                                                               HOUR, -26 * HOUR])),
                 min_size=1, max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_any_mix_of_time_passing_and_clock_jumps(tmp_path_factory, protocol, steps):
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    with Workspace(tmp_path_factory.mktemp("jumps"), clock) as workspace:
        runner = workspace.new_session(protocol, "C-ANY", "therapist")
        passed, expected_jumps, drift = 0.0, 0, 0.0
        for seconds, jump in steps:
            clock.advance(seconds)
            passed += seconds
            runner.tick()
            clock.jump_wall(jump)
            drift += jump  # small corrections add up until together they are a jump
            if abs(drift) > CLOCK_JUMP_TOLERANCE_S:
                expected_jumps, drift = expected_jumps + 1, 0.0
            runner.tick()
            assert runner.elapsed() == pytest.approx(passed, abs=1e-6)
        runner.note("End of the walk.")
        assert len(jumps_of(workspace, runner.session_uid)) == expected_jumps
        expected_index = 0
        boundary = 0.0
        for index, phase in enumerate(protocol.phases):
            boundary += phase.seconds
            if passed >= boundary and index + 1 < len(protocol.phases):
                expected_index = index + 1
        assert runner.state.phase_index == expected_index
        assert_session_time_monotonic(workspace, runner.session_uid)
