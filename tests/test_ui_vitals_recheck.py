"""An urgent value brings the next vitals check forward (the protocol's
``recheck_after_urgent_minutes``), and the next-check line says why."""
from __future__ import annotations

from kaproom.domain.protocol import parse_protocol
from tests._vitals_helpers import MIN, baseline_then_dose, fill, save


def test_an_urgent_check_brings_the_next_check_forward(qtbot, workspace, protocol, clock) -> None:
    runner, room = baseline_then_dose(qtbot, workspace, protocol, clock, dose_minute=21)
    clock.advance(40 * MIN)  # the 40-minute check, at 1:01
    room.controller.tick()
    fill(room, systolic="130/80", pulse="80", spo2="90", respiratory_rate="8", moaas="2")
    save(room)
    room.controller.tick()
    line = room.vitals_due.text()
    assert line == "Recheck vitals (urgent value at 1:01:00) in 5 min", line
    assert room.vitals_due.property("level") == "soon", "never the green of a routine check"
    clock.advance(6 * MIN)
    room.controller.tick()
    assert room.vitals_due.text() == "Recheck vitals (urgent value at 1:01:00) overdue 1 min"
    assert room.vitals_due.property("level") == "overdue"
    fill(room, systolic="126/80", pulse="76", spo2="97", respiratory_rate="14", moaas="5")
    save(room)
    room.controller.tick()
    assert room.vitals_due.text() == "Vitals in 30 min", "a good check puts the schedule back"


def test_the_recheck_time_is_a_protocol_setting(protocol) -> None:
    assert protocol.vitals_schedule.recheck_after_urgent_minutes == 5
    text = protocol.text.replace("due_soon_minutes = 5", "due_soon_minutes = 5\nrecheck_after_urgent_minutes = 10")
    assert text != protocol.text
    assert parse_protocol(text).vitals_schedule.recheck_after_urgent_minutes == 10
