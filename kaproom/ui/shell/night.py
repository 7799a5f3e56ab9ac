"""The night setting: the theme's dimmer, warmer colours for a dark-adapted room (Ctrl+Shift+L switches),
remembered per room, so the room that is kept dim opens dim next time.

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

from kaproom.ui.kit.theme import DAY, NIGHT, set_palette

NIGHT_KEY = "Ctrl+Shift+L"  # L for the lights: F9 is the vitals check-in
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


def night_rooms(folder: Path) -> set[str]:
    """The rooms whose screens use the night colours; an unreadable file counts as none."""
    try:
        return {str(name) for name in display_settings(folder).get("night_rooms", [])}
    except TypeError:
        return set()


def remember_night(folder: Path, room: str, night: bool) -> bool:
    """Keep the room's setting for next time; False when the file could not be written."""
    rooms = night_rooms(folder)
    (rooms.add if night else rooms.discard)(room)
    return remember_display(folder, "night_rooms", sorted(rooms))


def is_night(app: QApplication) -> bool:
    return bool(app.property("kaproomNight"))


class NightSetting:
    """Switches the whole app between the day's and the night's colours for one room."""

    def __init__(self, folder: Path, room: str) -> None:
        self.folder, self.room = folder, room

    def attach(self, window: QWidget) -> None:
        """Apply the room's remembered setting and give ``window`` the key that switches it (in
        the room's key list, Ctrl+/, where the window keeps one)."""
        self.apply(self.room in night_rooms(self.folder))
        add_shortcut = getattr(window, "add_shortcut", None)
        if callable(add_shortcut):
            add_shortcut(NIGHT_KEY, "Night colours: dimmer and warmer, or the day's again (remembered for this room)",
                         lambda: self.switch(window))
            return
        shortcut = QShortcut(QKeySequence(NIGHT_KEY), window)
        shortcut.setObjectName("nightKey")
        shortcut.activated.connect(lambda: self.switch(window))

    def apply(self, night: bool) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication) and is_night(app) != night:
            set_palette(app, NIGHT if night else DAY)

    def switch(self, window: QWidget) -> bool:
        app = QApplication.instance()
        night = not (isinstance(app, QApplication) and is_night(app))
        self.apply(night)
        kept = remember_night(self.folder, self.room, night)
        where = f"room {self.room}" if self.room else "this room"
        said = (f"Night colours: dimmer and warmer ({NIGHT_KEY} switches back)." if night
                else f"Day colours ({NIGHT_KEY} switches to the night colours).")
        said += f" Remembered for {where}." if kept else " Not remembered: the data folder could not be written."
        show = getattr(window, "show_status", None)
        if callable(show):
            show(said, "ok" if kept else "caution")
        return night
