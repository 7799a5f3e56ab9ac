"""Stale words: the checklist's keys are not named once the checklist has closed."""
from __future__ import annotations

from tests._vitals_helpers import baseline_then_dose, focused, press


def test_the_checklist_keys_leave_the_status_line_with_the_checklist(qtbot, workspace, protocol, clock) -> None:
    _runner, room = baseline_then_dose(qtbot, workspace, protocol, clock)
    press("Ctrl+Shift+D")
    assert "Enter discharges, Esc goes back" in room.status.text()
    press("Esc")
    assert not room.vitals.discharge_panel.isVisible() and focused() is room.note_input
    assert "Enter discharges" not in room.status.text(), room.status.text()
    assert room.status.text() == "Discharge checklist closed; the session goes on."
