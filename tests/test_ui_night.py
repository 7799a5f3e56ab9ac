"""The night setting for dark-adapted rooms: dimmer and warmer colours with the same WCAG
contrast as the day's, switched with one key (Ctrl+Shift+L) and remembered per room."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from kaproom.ui.kit.theme import DAY, NIGHT, apply_theme, contrast_ratio, relative_luminance, text_pairs, ui_pairs
from kaproom.ui.shell.launcher import Launcher
from kaproom.ui.shell.night import DISPLAY_FILE, NIGHT_KEY, is_night
from tests._room_helpers import launcher_room, press

NIGHT_TEXT = text_pairs(NIGHT)
NIGHT_UI = ui_pairs(NIGHT)


@pytest.mark.parametrize("what, foreground, background", NIGHT_TEXT, ids=[p[0] for p in NIGHT_TEXT])
def test_every_night_text_colour_meets_wcag_aa(what: str, foreground: str, background: str) -> None:
    assert contrast_ratio(foreground, background) >= 4.5, what


@pytest.mark.parametrize("what, foreground, background", NIGHT_UI, ids=[p[0] for p in NIGHT_UI])
def test_night_controls_one_must_see_meet_three_to_one(what: str, foreground: str, background: str) -> None:
    assert contrast_ratio(foreground, background) >= 3.0, what


def _warmth(colour: str) -> int:
    return int(colour[1:3], 16) - int(colour[5:7], 16)  # red over blue


def test_the_night_is_dimmer_and_warmer_than_the_day() -> None:
    for field in ("text", "text_strong", "text_muted", "background", "surface"):
        day, night = getattr(DAY, field), getattr(NIGHT, field)
        assert relative_luminance(night) < relative_luminance(day), field
        assert _warmth(night) >= _warmth(day), field
    assert relative_luminance(NIGHT.text_strong) < 0.75 * relative_luminance(DAY.text_strong)  # the clock


def test_one_key_switches_to_the_night_colours_and_each_room_remembers_its_own(qtbot, workspace, protocol) -> None:
    app = QApplication.instance()
    apply_theme(app)
    try:
        launcher = Launcher(workspace)  # the whole room: music, vitals and their keys
        room = launcher_room(qtbot, launcher, protocol, "Room 2")
        assert not is_night(app)
        press(room, NIGHT_KEY)
        assert is_night(app) and NIGHT.background in app.styleSheet() and DAY.background not in app.styleSheet()
        assert "Night colours" in room.status.text() and "Room 2" in room.status.text()
        assert oct((workspace.folder / DISPLAY_FILE).stat().st_mode & 0o777) == "0o600"
        room.close_now()
        apply_theme(app)  # another day: the app starts in the day's colours
        other = launcher_room(qtbot, launcher, protocol, "Room 3")
        assert not is_night(app)  # only Room 2 was made dark
        other.close_now()
        again = launcher_room(qtbot, launcher, protocol, "Room 2")
        assert is_night(app)  # remembered
        press(again, NIGHT_KEY)
        assert not is_night(app) and DAY.background in app.styleSheet()
        again.close_now()
        back = launcher_room(qtbot, launcher, protocol, "Room 2")
        assert not is_night(app)
        back.close_now()
    finally:
        apply_theme(app)
