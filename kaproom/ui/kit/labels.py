"""The labels every screen uses: named for the theme and the tests, told to screen readers, and
never reading a typed or file-given text as markup."""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QFontMetricsF, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel


def make_label(name: str, text: str = "", accessible: str = "", *, wrap: bool = False,
               plain: bool = False) -> QLabel:
    """A label named ``name`` (the theme and the tests find it by that name). ``accessible`` is
    what a screen reader says (left to Qt when empty); ``plain`` shows the text as typed, never
    as rich text (a note like '<b>' stays '<b>')."""
    label = QLabel(text)
    label.setObjectName(name)
    if accessible:
        label.setAccessibleName(accessible)
    label.setWordWrap(wrap)
    if plain:
        label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def plain_label(name: str, text: str = "") -> QLabel:
    """A wrapping label whose text is shown as typed (a note like '<b>' stays '<b>')."""
    return make_label(name, text, wrap=True, plain=True)


class ElidedLabel(QLabel):
    """One line of a file's text (a track, a playlist) that shows as much as fits and ends in "…".

    A plain label is as wide as its whole text, and on a small screen a long name would push the
    window past the screen's edge. ``text()`` stays the whole text; only the painting shortens it.
    """

    MINIMUM_WIDTH = 80

    def __init__(self, name: str, text: str = "", accessible: str = "", *, whole_in_tooltip: bool = False,
                 shrink_to: float = 1.0) -> None:
        super().__init__(text)
        #: A text too long for the line is first drawn in a smaller type, down to this share of the
        #: label's own size (the line keeps its height), and only then cut short with "…".
        self.shrink_to = shrink_to
        self.setObjectName(name)
        self.setTextFormat(Qt.TextFormat.PlainText)
        if accessible:
            self.setAccessibleName(accessible)
        #: A message that must never move the screen (the room's status line, its headline): one
        #: line, and the whole text in the tooltip.
        self.whole_in_tooltip = whole_in_tooltip
        if whole_in_tooltip:
            self.setToolTip(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        super().setText(text)
        if self.whole_in_tooltip:
            self.setToolTip(text)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        hint = super().minimumSizeHint()
        hint.setWidth(min(hint.width(), self.MINIMUM_WIDTH))
        return hint

    def shown(self) -> tuple[QFont, str]:
        """The type and the text painted now: the whole text, smaller where allowed, else cut short."""
        width, font = self.contentsRect().width(), QFont(self.font())
        size = font.pointSizeF()
        if size > 0 and self.shrink_to < 1.0 and QFontMetricsF(font).horizontalAdvance(self.text()) > width:
            step = size
            while step > size * self.shrink_to:
                step = max(size * self.shrink_to, step - 0.5)
                font.setPointSizeF(step)
                if QFontMetricsF(font).horizontalAdvance(self.text()) <= width:
                    break
        return font, QFontMetrics(font).elidedText(self.text(), Qt.TextElideMode.ElideRight, width)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        font, shown = self.shown()
        painter = QPainter(self)
        painter.setFont(font)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(self.contentsRect(), int(self.alignment()), shown)
