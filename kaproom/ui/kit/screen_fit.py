"""A window's first size: its preferred size where the screen has room for it, else the whole screen."""
from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget


def fit_to_screen(window: QWidget, preferred: tuple[int, int]) -> None:
    """``preferred`` (width, height) where the screen has room; on a smaller one (a 1366x768 laptop),
    the whole available screen, rather than a window whose edges and buttons lie past it."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    area = screen.availableGeometry() if screen is not None else None
    if area is not None and (area.width() < preferred[0] or area.height() < preferred[1]):
        window.setGeometry(area)
    else:
        window.resize(*preferred)
