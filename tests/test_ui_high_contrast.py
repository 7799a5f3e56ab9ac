"""The high-contrast setting beside the night one: white and strong colours on black, every text
at 7:1 or more (WCAG AAA), switched with one key (Ctrl+Shift+H), remembered per room, and ahead
of the night colours while it is on."""
from __future__ import annotations

import json

import pytest
from PySide6.QtWidgets import QApplication

from kaproom.ui.kit.theme import DAY, HIGH_CONTRAST, NIGHT, apply_theme, contrast_ratio, text_pairs, ui_pairs
from kaproom.ui.shell.launcher import Launcher
from kaproom.ui.shell.night import CONTRAST_KEY, DISPLAY_FILE, NIGHT_KEY, is_high_contrast, is_night
from tests._room_helpers import launcher_room, press

CONTRAST_TEXT = text_pairs(HIGH_CONTRAST)
CONTRAST_UI = ui_pairs(HIGH_CONTRAST) + (
    ("outlines of fields and buttons", HIGH_CONTRAST.border, HIGH_CONTRAST.background),)


@pytest.mark.parametrize("what, foreground, background", CONTRAST_TEXT, ids=[p[0] for p in CONTRAST_TEXT])
def test_every_high_contrast_text_colour_meets_wcag_aaa(what: str, foreground: str, background: str) -> None:
    assert contrast_ratio(foreground, background) >= 7.0, what


@pytest.mark.parametrize("what, foreground, background", CONTRAST_UI, ids=[p[0] for p in CONTRAST_UI])
def test_high_contrast_outlines_stand_out(what: str, foreground: str, background: str) -> None:
    assert contrast_ratio(foreground, background) >= 4.5, what


def test_high_contrast_beats_the_day_for_every_text() -> None:
    for (what, *day), (_, *high) in zip(text_pairs(DAY), CONTRAST_TEXT, strict=True):
        assert contrast_ratio(*high) >= contrast_ratio(*day), what


def test_one_key_switches_to_high_contrast_remembered_per_room_and_ahead_of_the_night(
        qtbot, workspace, protocol) -> None:
    app = QApplication.instance()
    apply_theme(app)
    try:
        launcher = Launcher(workspace)
        room = launcher_room(qtbot, launcher, protocol, "Room 2")
        press(room, NIGHT_KEY)
        assert is_night(app)
        press(room, CONTRAST_KEY)
        assert is_high_contrast(app) and not is_night(app)
        assert HIGH_CONTRAST.text in app.styleSheet() and NIGHT.background not in app.styleSheet()
        assert "High contrast" in room.status.text() and "Room 2" in room.status.text()
        press(room, NIGHT_KEY)  # the night key leaves high contrast on, and says how to leave it
        assert is_high_contrast(app) and CONTRAST_KEY in room.status.text()
        stored = json.loads((workspace.folder / DISPLAY_FILE).read_text(encoding="utf-8"))
        assert stored["high_contrast_rooms"] == ["Room 2"] and stored["night_rooms"] == ["Room 2"]
        room.close_now()
        apply_theme(app)
        other = launcher_room(qtbot, launcher, protocol, "Room 3")
        assert not is_high_contrast(app) and not is_night(app)
        other.close_now()
        again = launcher_room(qtbot, launcher, protocol, "Room 2")
        assert is_high_contrast(app)  # remembered
        press(again, CONTRAST_KEY)  # off: back to the room's night colours
        assert not is_high_contrast(app) and is_night(app)
        again.close_now()
        back = launcher_room(qtbot, launcher, protocol, "Room 2")
        assert is_night(app) and not is_high_contrast(app)
        back.close_now()
    finally:
        apply_theme(app)
