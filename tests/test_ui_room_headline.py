"""The room's headline follows the clinical state once the last phase's time is up: the
observation after the dose first, then a vitals check, and only then the discharge checklist."""
from __future__ import annotations

from kaproom.ui.room.header import phase_text
from tests._vitals_helpers import MIN, baseline_then_dose, fill, room_at_minute, save


def _to_last_phase(runner) -> None:
    while not runner.state.is_last_phase:
        runner.advance("back early")


def test_the_headline_never_invites_discharge_before_the_observation_and_a_check(qtbot, workspace, protocol,
                                                                                clock) -> None:
    runner, room = baseline_then_dose(qtbot, workspace, protocol, clock, dose_minute=21)  # dose at 0:21
    _to_last_phase(runner)
    clock.advance(75 * MIN)  # 1 h 15 min after the dose; the last phase's 40 min are over
    room.controller.tick()
    headline = room.phase_label.text()
    assert "min over; observe until 2:21 (2 h after the dose)" in headline, headline
    assert "discharge when ready" not in headline and "ready for the discharge" not in headline
    clock.advance(46 * MIN)  # 2 h 1 min after the dose, and no check since it
    room.controller.tick()
    assert room.phase_label.text().endswith("over; vitals needed before discharge (F9)"), room.phase_label.text()
    fill(room, systolic="122/78", pulse="72", spo2="98", respiratory_rate="14", moaas="5", nausea="none")
    save(room)
    room.controller.tick()
    assert room.phase_label.text().endswith("over; ready for the discharge checklist (Ctrl+Shift+D)")


def test_a_session_with_no_dose_and_no_vitals_asks_for_vitals_first(qtbot, workspace, protocol, clock) -> None:
    runner, room = room_at_minute(qtbot, workspace, protocol, clock, 1)
    _to_last_phase(runner)
    clock.advance(41 * MIN)
    room.controller.tick()
    assert room.phase_label.text().endswith("min over; vitals needed before discharge (F9)"), room.phase_label.text()
    assert phase_text(runner).endswith("vitals needed before discharge (F9)")
