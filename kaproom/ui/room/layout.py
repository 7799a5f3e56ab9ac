"""Where the room screen's parts sit, and how wide the column beside the log may grow
(``RoomWindow`` builds the widgets).

Top: the clock, the phase and the next vitals check (the only part the privacy cover leaves).
Below: the phase strip, the log with the banners' reserved place above it (or the key list in
its place) and the side panels beside it, the in-window question, the note field, quick tag
buttons, the music strip, the status line (one line) and the command buttons. Nothing that
comes, goes or grows longer moves another part: messages keep one line, banners their place.
"""
from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QFrame, QScrollArea

PRIVACY_KEY = "F12"
#: Qt's own ceiling for a line edit; a paste beyond it is cut, so the therapist is told.
NOTE_MAX_CHARS = 32767
SIDE_MIN_WIDTH, SIDE_MAX_WIDTH = 320, 460  # the widest on a laptop; larger screens: side_max_width
#: Around a panel's own content: the column's margins, a scroll bar, the panels' frames.
SIDE_CHROME = 8 + 8 + 6 + 14 + 4


class SidePanels(QFrame):
    """The column of panels beside the log. Its panels scroll inside it, and a scroll area asks
    for no width of its own, so the column asks for what its widest panel's content needs (the
    room's fonts grow with the screen): otherwise titles and right-hand fields would be cut off."""

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        hint = super().minimumSizeHint()
        widest = max((inner.minimumSizeHint().width() for area in self.findChildren(QScrollArea)
                      if (inner := area.widget()) is not None), default=0)
        hint.setWidth(max(hint.width(), SIDE_MIN_WIDTH, min(self.maximumWidth(), widest + SIDE_CHROME)))
        return hint

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return self.minimumSizeHint()


def side_max_width(scale: float) -> int:
    """The side column's widest: 460 px up to a 1000-pixel-high screen, then growing as the room's
    fonts do, so a 1440- or 2160-pixel screen does not cut the vitals panel's title and fields."""
    return round(SIDE_MAX_WIDTH * max(1.0, scale))
