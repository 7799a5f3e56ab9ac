"""Labels for text a person typed or a file named: wrapped, and never read as markup."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel


def plain_label(name: str, text: str = "") -> QLabel:
    """A wrapping label whose text is shown as typed (a note like '<b>' stays '<b>')."""
    label = QLabel(text)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class ElidedLabel(QLabel):
    """One line of a file's text (a track, a playlist) that shows as much as fits and ends in "…".

    A plain label is as wide as its whole text, and on a small screen a long name would push the
    window past the screen's edge. ``text()`` stays the whole text; only the painting shortens it.
    """

    MINIMUM_WIDTH = 80

    def __init__(self, name: str, text: str = "") -> None:
        super().__init__(text)
        self.setObjectName(name)
        self.setTextFormat(Qt.TextFormat.PlainText)

    def minimumSizeHint(self):  # noqa: N802 - Qt's name
        hint = super().minimumSizeHint()
        hint.setWidth(min(hint.width(), self.MINIMUM_WIDTH))
        return hint

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        from PySide6.QtGui import QPainter
        area = self.contentsRect()
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, area.width())
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(area, int(self.alignment()), shown)
