"""Scrolling a control into view, the whole of it."""
from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QScrollArea, QWidget


def show_whole(area: QScrollArea, widget: QWidget, margin: int = 10) -> None:
    """Scroll ``area`` until the whole of ``widget`` and ``margin`` around it are in view (as far as the
    area can scroll). Qt's ensureWidgetVisible brings a text field only as far as its text cursor, so a
    box focused at the column's edge stayed cut by its frame's last pixels at 1366x768."""
    content = area.widget()
    if content is None or not content.isAncestorOf(widget):
        return
    corner = widget.mapTo(content, QPoint(0, 0))
    half_width, half_height = widget.width() // 2, widget.height() // 2
    area.ensureVisible(corner.x() + half_width, corner.y() + half_height, half_width + margin, half_height + margin)
