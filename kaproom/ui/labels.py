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
