"""Buttons every screen uses, and Enter pressing the focused one, as Space does.

Qt gives Enter to a push button only inside a dialog. On the home page the focus starts on a
button, and on the start page and in the review Tab reaches them; a keyboard-first user presses
Enter there and, without this, nothing happens. Text fields keep Enter for themselves: only a
button that has the focus is pressed.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QPushButton, QWidget

if TYPE_CHECKING:  # only a type here: importing Qt's namespace costs the home page 27-48 ms (bench_startup, home page)
    from PySide6.QtCore import Qt


def make_button(name: str, text: str, accessible: str = "", *, tip: str = "", focus: Qt.FocusPolicy | None = None,
                enter_presses: bool = False, on_click: Callable[[], object] | None = None) -> QPushButton:
    """A button named ``name``. ``accessible`` is what a screen reader calls it, ``tip`` its
    tooltip (and accessible description); ``focus`` how it takes the focus (the room's buttons
    never do, so a click keeps the cursor in the note field); ``enter_presses`` lets Enter press
    it when focused; ``on_click`` runs on a click, without Qt's ``checked`` argument."""
    button = QPushButton(text)
    button.setObjectName(name)
    if accessible:
        button.setAccessibleName(accessible)
    if tip:
        button.setToolTip(tip)
        button.setAccessibleDescription(tip)
    if focus is not None:
        button.setFocusPolicy(focus)
    if enter_presses:
        button.setAutoDefault(True)
    if on_click is not None:
        button.clicked.connect(lambda _=False: on_click())
    return button


def enter_presses_buttons(root: QWidget) -> None:
    """Every push button under ``root`` (made so far) answers Enter when it has the focus."""
    for button in root.findChildren(QPushButton):
        button.setAutoDefault(True)


def button_text(text: str) -> str:
    """Text from a protocol or the record, made safe for a button or a check box: Qt reads a
    single ``&`` there as the mark of an Alt+letter key, hides it and underlines what follows
    ("Arrival & intention" showed as "Arrival _intention")."""
    return text.replace("&", "&&")
