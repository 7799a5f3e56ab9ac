"""A mouse wheel over a value field scrolls the panel around it and never changes the value.

Qt's combo boxes, time and spin boxes change their value under a turning wheel, even without the
focus. In a dim room, scrolling the vitals panel past the MOAA/S box would quietly change the
sedation level about to be saved; on the start page it would change the protocol. Guarded fields
are chosen by keyboard or click only, and the wheel goes on to the scroll area they sit in.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QWidget


class _WheelPassesThrough(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.Type.Wheel:
            return False
        area = _scroll_area_around(watched)
        if area is None:
            event.ignore()  # nothing to scroll: the wheel does nothing here
        else:  # handed on explicitly: Qt would not pass on a wheel that did not come from the mouse
            QApplication.sendEvent(area.verticalScrollBar(), event)
            event.accept()
        return True


def _scroll_area_around(widget: QObject) -> QAbstractScrollArea | None:
    parent = widget.parent()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return parent
        parent = parent.parent()
    return None


_GUARD: _WheelPassesThrough | None = None


def wheel_scrolls_past(*widgets: QWidget) -> None:
    """Let the wheel scroll past these fields instead of changing them (and not focus them)."""
    global _GUARD
    if _GUARD is None:
        _GUARD = _WheelPassesThrough()
    for widget in widgets:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # not WheelFocus: a wheel does not pick the field
        widget.installEventFilter(_GUARD)
