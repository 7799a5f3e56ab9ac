"""Enter presses the focused button, as Space does.

Qt gives Enter to a push button only inside a dialog. On the home page the focus starts on a
button, and on the start page and in the review Tab reaches them; a keyboard-first user presses
Enter there and, without this, nothing happens. Text fields keep Enter for themselves: only a
button that has the focus is pressed.
"""
from __future__ import annotations

from PySide6.QtWidgets import QPushButton, QWidget


def enter_presses_buttons(root: QWidget) -> None:
    """Every push button under ``root`` (made so far) answers Enter when it has the focus."""
    for button in root.findChildren(QPushButton):
        button.setAutoDefault(True)


def button_text(text: str) -> str:
    """Text from a protocol or the record, made safe for a button or a check box: Qt reads a
    single ``&`` there as the mark of an Alt+letter key, hides it and underlines what follows
    ("Arrival & intention" showed as "Arrival _intention")."""
    return text.replace("&", "&&")
