"""The text-size setting, for therapists who sit further from the screen: normal, large, larger
(Ctrl+Shift+T goes through them), remembered per room beside the night setting (``display.json``,
see :mod:`kaproom.ui.shell.night`). The text grows in the room's fixed layout; the clock and the
headline, already large, stay as they are.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kaproom.ui.kit.theme import TEXT_SIZES
from kaproom.ui.shell.night import display_settings, remember_display

if TYPE_CHECKING:
    from kaproom.ui.room.window import RoomWindow

TEXT_SIZE_KEY = "Ctrl+Shift+T"  # T for text
NORMAL = "normal"


def text_sizes(folder: Path) -> dict[str, str]:
    """Each room's text size, where it is not normal; an unreadable entry counts as normal."""
    stored = display_settings(folder).get("text_sizes", {})
    if not isinstance(stored, dict):
        return {}
    return {str(room): str(size) for room, size in stored.items() if size in TEXT_SIZES}


def remember_text_size(folder: Path, room: str, size: str) -> bool:
    """Keep the room's text size for next time; False when the file could not be written."""
    sizes = text_sizes(folder)
    if size == NORMAL:
        sizes.pop(room, None)
    else:
        sizes[room] = size
    return remember_display(folder, "text_sizes", sizes)


def next_size(size: str) -> str:
    names = list(TEXT_SIZES)
    return names[(names.index(size) + 1) % len(names)] if size in names else NORMAL


class TextSizeSetting:
    """The text size of one room's screen: applied when the room opens, switched with one key."""

    def __init__(self, folder: Path, room: str) -> None:
        self.folder, self.room = folder, room
        self.size = NORMAL

    def attach(self, window: RoomWindow) -> None:
        """Apply the room's remembered size and give ``window`` the key that switches it."""
        self.apply(window, text_sizes(self.folder).get(self.room, NORMAL))
        window.add_shortcut(TEXT_SIZE_KEY, "Text size: normal, large, larger (remembered for this room)",
                            lambda: self.switch(window))

    def apply(self, window: RoomWindow, size: str) -> None:
        self.size = size if size in TEXT_SIZES else NORMAL
        window.set_text_scale(TEXT_SIZES[self.size])

    def switch(self, window: RoomWindow) -> str:
        self.apply(window, next_size(self.size))
        kept = remember_text_size(self.folder, self.room, self.size)
        where = f"room {self.room}" if self.room else "this room"
        following = next_size(self.size)
        said = f"Text size: {self.size} ({TEXT_SIZE_KEY} for {following})."
        said += f" Remembered for {where}." if kept else " Not remembered: the data folder could not be written."
        window.show_status(said, "ok" if kept else "caution")
        return self.size
