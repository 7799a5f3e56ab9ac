"""When KAP Room cannot open its records at start-up, it says so in a window.

Started from the desktop launcher, a message on the terminal is one nobody reads: the app simply
would not open, and a therapist would try again and again. The window says what is wrong with the
database (damaged, locked, read-only, not a KAP Room file) and what to do, in the app's own calm
theme, and KAP Room leaves once it is closed. Nothing is touched: the store refused before writing.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox, QWidget

TITLE = "KAP Room could not open its records"


def start_failure_box(message: str, folder: Path, parent: QWidget | None = None) -> QMessageBox:
    """The window, not yet shown (tests look at it; :func:`show_start_failure` runs it)."""
    # Here, not at the top: the app imports this module at every start, and making Qt's namespace
    # type costs the home page 27-48 ms, the message box's type and its enums 2-5 ms on the 2-core VM
    # (bench/bench_startup.py, home page); only a failed start needs them.
    from PySide6.QtCore import Qt  # noqa: PLC0415 - start-up figure above
    from PySide6.QtWidgets import QMessageBox  # noqa: PLC0415 - start-up figure above
    box = QMessageBox(parent)
    box.setObjectName("startFailure")
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("KAP Room")
    box.setTextFormat(Qt.TextFormat.PlainText)  # paths and SQLite's own words: never rich text
    box.setText(TITLE)
    box.setInformativeText(f"{message}\n\nData folder: {folder}\nOnce this is put right, start KAP Room again.")
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # to copy into a support request
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    box.setDefaultButton(QMessageBox.StandardButton.Close)
    return box


def show_start_failure(message: str, folder: Path) -> None:
    """Show the window and wait until it is closed (the app has no other window to return to)."""
    start_failure_box(message, folder).exec()
