"""The night setting: the theme's dimmer, warmer colours for a dark-adapted room (Ctrl+Shift+L switches),
remembered per room, so the room that is kept dim opens dim next time; beside it the high-contrast
setting (Ctrl+Shift+H: white and strong colours on black), remembered the same way, which wins over
the night colours while it is on.

What is remembered is a list of room names in ``display.json`` in the data folder (readable by
its owner only, as everything there): a display preference, not part of any session's record.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QWidget

from kaproom.ui.kit.theme import DAY, HIGH_CONTRAST, NIGHT, Palette, set_palette

NIGHT_KEY = "Ctrl+Shift+L"  # L for the lights: F9 is the vitals check-in
CONTRAST_KEY = "Ctrl+Shift+H"  # H for high contrast
DISPLAY_FILE = "display.json"


def display_settings(folder: Path) -> dict[str, Any]:
    """Every room's display settings (the night colours, the text size); an unreadable file counts as none."""
    try:
        data = json.loads((folder / DISPLAY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def remember_display(folder: Path, key: str, value: object) -> bool:
    """Keep one display setting for next time, and the others as they were; False when the file
    could not be written."""
    data = {**display_settings(folder), key: value}
    try:
        descriptor = os.open(folder / DISPLAY_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(descriptor, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False, sort_keys=True)
    except OSError:
        return False
    return True


def _rooms(folder: Path, key: str) -> set[str]:
    try:
        return {str(name) for name in display_settings(folder).get(key, [])}
    except TypeError:
        return set()


def _remember_room(folder: Path, key: str, room: str, on: bool) -> bool:
    rooms = _rooms(folder, key)
    (rooms.add if on else rooms.discard)(room)
    return remember_display(folder, key, sorted(rooms))


def night_rooms(folder: Path) -> set[str]:
    """The rooms whose screens use the night colours; an unreadable file counts as none."""
    return _rooms(folder, "night_rooms")


def remember_night(folder: Path, room: str, night: bool) -> bool:
    """Keep the room's setting for next time; False when the file could not be written."""
    return _remember_room(folder, "night_rooms", room, night)


def high_contrast_rooms(folder: Path) -> set[str]:
    """The rooms whose screens use the high-contrast colours; an unreadable file counts as none."""
    return _rooms(folder, "high_contrast_rooms")


def remember_high_contrast(folder: Path, room: str, on: bool) -> bool:
    return _remember_room(folder, "high_contrast_rooms", room, on)


def room_palette(folder: Path, room: str) -> Palette:
    """The colours the room asked for last: high contrast over night over the day's."""
    if room in high_contrast_rooms(folder):
        return HIGH_CONTRAST
    return NIGHT if room in night_rooms(folder) else DAY


def is_night(app: QApplication) -> bool:
    return bool(app.property("kaproomNight"))


def is_high_contrast(app: QApplication) -> bool:
    return bool(app.property("kaproomHighContrast"))


def _say(window: QWidget, said: str, kept: bool) -> None:
    said += "" if kept else " Not remembered: the data folder could not be written."
    show = getattr(window, "show_status", None)
    if callable(show):
        show(said, "ok" if kept else "caution")


class NightSetting:
    """Switches the whole app between the day's and the night's colours for one room, and (with its
    own key) to the high-contrast colours and back."""

    def __init__(self, folder: Path, room: str) -> None:
        self.folder, self.room = folder, room

    def attach(self, window: QWidget) -> None:
        """Apply the room's remembered colours and give ``window`` the keys that switch them (in
        the room's key list, Ctrl+/, where the window keeps one)."""
        self._set(room_palette(self.folder, self.room))
        keys = ((NIGHT_KEY, "nightKey",
                 "Night colours: dimmer and warmer, or the day's again (remembered for this room)", self.switch),
                (CONTRAST_KEY, "contrastKey", "High contrast: white on black, or the usual colours again (remembered "
                 "for this room)", self.switch_contrast))
        add_shortcut = getattr(window, "add_shortcut", None)
        for key, name, what, switch in keys:
            if callable(add_shortcut):
                add_shortcut(key, what, lambda switch=switch: switch(window))
                continue
            shortcut = QShortcut(QKeySequence(key), window)
            shortcut.setObjectName(name)
            shortcut.activated.connect(lambda switch=switch: switch(window))

    @staticmethod
    def _set(palette: Palette) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication) and (is_night(app), is_high_contrast(app)) != (
                palette == NIGHT, palette == HIGH_CONTRAST):
            set_palette(app, palette)

    def apply(self, night: bool) -> None:
        self._set(NIGHT if night else DAY)

    def switch(self, window: QWidget) -> bool:
        app = QApplication.instance()
        if isinstance(app, QApplication) and is_high_contrast(app):
            _say(window, f"High contrast is on: {CONTRAST_KEY} turns it off, then {NIGHT_KEY} gives the night colours.",
                 True)
            return False
        night = not (isinstance(app, QApplication) and is_night(app))
        self.apply(night)
        kept = remember_night(self.folder, self.room, night)
        where = f"room {self.room}" if self.room else "this room"
        said = (f"Night colours: dimmer and warmer ({NIGHT_KEY} switches back)." if night
                else f"Day colours ({NIGHT_KEY} switches to the night colours).")
        _say(window, said + (f" Remembered for {where}." if kept else ""), kept)
        return night

    def switch_contrast(self, window: QWidget) -> bool:
        app = QApplication.instance()
        on = not (isinstance(app, QApplication) and is_high_contrast(app))
        self._set(HIGH_CONTRAST if on else NIGHT if self.room in night_rooms(self.folder) else DAY)
        kept = remember_high_contrast(self.folder, self.room, on)
        where = f"room {self.room}" if self.room else "this room"
        said = (f"High contrast: white on black ({CONTRAST_KEY} switches back)." if on
                else f"The usual colours again ({CONTRAST_KEY} switches to high contrast).")
        _say(window, said + (f" Remembered for {where}." if kept else ""), kept)
        return on
