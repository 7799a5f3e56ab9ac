"""Vitals schedule: baseline before dosing, 40 min after the dose, then every 30 min."""
from __future__ import annotations

import pytest

from kaproom.domain.events import Kind
from kaproom.domain.protocol import VitalsSchedule
from kaproom.domain.vitals_schedule import due_for_session, vitals_due, when_text

SCHEDULE = VitalsSchedule(baseline_before_dose=True, after_dose_minutes=(40.0,), then_every_minutes=30.0,
                          due_soon_minutes=5.0)
MIN = 60.0


def due(now_min, checks_min=(), dose_min=None, dosing_min=20.0, **kw):
    return vitals_due(kw.pop("schedule", SCHEDULE), now_min * MIN, [c * MIN for c in checks_min],
                      dose_time=None if dose_min is None else dose_min * MIN,
                      dosing_starts=None if dosing_min is None else dosing_min * MIN, **kw)


@pytest.mark.parametrize("seconds_left, text", [
    (420, "in 7 min"), (361, "in 7 min"), (360, "in 6 min"), (1, "in 1 min"), (0, "due now"), (-59, "due now"),
    (-60, "overdue 1 min"), (-180, "overdue 3 min"), (-239, "overdue 3 min"),
])
def test_when_text(seconds_left, text):
    assert when_text(seconds_left) == text


def test_baseline_due_by_the_dosing_phase():
    first = due(13)
    assert first.kind == "baseline" and first.text == "Baseline vitals (before dosing) in 7 min" and first.level == "ok"
    assert due(16).level == "soon"
    late = due(23)
    assert late.level == "overdue" and late.text == "Baseline vitals (before dosing) overdue 3 min"


def test_baseline_taken_means_nothing_due_until_the_dose():
    result = due(25, checks_min=[10])
    assert result.kind == "none" and result.level == "ok" and "40 min after the dose" in result.text


def test_forty_minutes_after_the_dose_then_every_thirty():
    assert due(50, checks_min=[10], dose_min=22).due_at == 62 * MIN
    assert due(50, checks_min=[10], dose_min=22).text == "Vitals (40 min after dose) in 12 min"
    # a check at 59 (3 min early, inside the 5 min window) meets the 40-minute check
    after = due(60, checks_min=[10, 59], dose_min=22)
    assert after.kind == "repeat" and after.due_at == 89 * MIN
    # a check at 30 (only 8 minutes after the dose) does not
    assert due(60, checks_min=[10, 30], dose_min=22).due_at == 62 * MIN


def test_any_time_check_restarts_the_interval():
    result = due(100, checks_min=[10, 62, 95], dose_min=22)
    assert result.due_at == 125 * MIN and result.text == "Vitals in 25 min"


def test_overdue_after_the_dose():
    result = due(95, checks_min=[10, 62], dose_min=22)
    assert result.level == "overdue" and result.text == "Vitals overdue 3 min"


def test_no_baseline_required_by_protocol():
    schedule = VitalsSchedule(baseline_before_dose=False, after_dose_minutes=(20.0,), then_every_minutes=15.0)
    assert due(5, schedule=schedule).kind == "none"
    assert due(5, schedule=schedule, dose_min=1).due_at == 21 * MIN


def test_without_fixed_slots_the_interval_counts_from_the_dose():
    schedule = VitalsSchedule(after_dose_minutes=(), then_every_minutes=15.0)
    assert due(5, [1], dose_min=2, schedule=schedule).due_at == 17 * MIN


def test_ended_session_has_nothing_due():
    assert due(200, [10], dose_min=22, ended=True).text == "Vitals: session ended"


# ----------------------------------------------------------------------------- with a real session

def test_session_schedule_follows_the_recorded_dose(workspace, clock, protocol):
    runner = workspace.new_session(protocol, "C-1", "t")
    events = lambda: workspace.store.events(runner.session_uid)  # noqa: E731
    assert due_for_session(protocol, runner.state, runner.elapsed(), events()).text == \
        "Baseline vitals (before dosing) in 20 min"
    clock.advance(10 * MIN)
    runner.record(Kind.VITALS, {"systolic": 120, "partial": True})
    clock.advance(12 * MIN)
    runner.tick()
    runner.record(Kind.DOSE, {"route": "lozenge", "effective_time": runner.elapsed()})
    clock.advance(37 * MIN)
    runner.tick()
    result = due_for_session(protocol, runner.state, runner.elapsed(), events())
    assert result.text == "Vitals (40 min after dose) in 3 min" and result.level == "soon"
    clock.advance(7 * MIN)
    assert due_for_session(protocol, runner.state, runner.elapsed(), events()).text == \
        "Vitals (40 min after dose) overdue 4 min"


def test_forgotten_dose_counts_from_the_dosing_phase(workspace, clock, protocol):
    runner = workspace.new_session(protocol, "C-2", "t")
    clock.advance(40 * MIN)  # arrival 20 + dosing 15: now in onset, dose never recorded
    runner.tick()
    result = due_for_session(protocol, runner.state, runner.elapsed(), workspace.store.events(runner.session_uid))
    assert result.dose_assumed and result.due_at == 60 * MIN
    assert "dose not recorded" in result.text
