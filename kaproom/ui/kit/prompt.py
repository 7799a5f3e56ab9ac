"""A one-line question inside the room screen, above the note field, instead of a dialog.

Moving on, extending, ending early, discharging and correcting an entry all need one deliberate
confirmation, but a modal dialog would cover the clock and steal the keyboard. This bar asks in
place: Enter (or the first button) confirms, Esc cancels, and whatever was typed stays if the
save fails.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from kaproom.ui.kit.buttons import button_text, make_button
from kaproom.ui.kit.labels import make_label

Confirm = Callable[[Any, str], bool]  # (chosen value, typed text) -> True when done


class RoomPrompt(QFrame):
    """Title, an optional text field, choice buttons and Cancel; hidden when nothing is asked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("roomPrompt")
        self.setAccessibleName("Question from KAP Room")
        self.title = make_label("promptTitle", wrap=True)
        self.field = QLineEdit()
        self.field.setObjectName("promptField")
        self.field.setAccessibleName("Answer")
        self.field.setMaxLength(2000)
        self.field.returnPressed.connect(lambda: self.choose(0))
        self.message = make_label("promptMessage", wrap=True)
        self.message.setProperty("level", "error")
        self.message.hide()
        self.cancel_button = make_button("promptCancel", "Cancel (Esc)", "Cancel", on_click=self.close_prompt)
        self.buttons_row = QHBoxLayout()
        self.buttons_row.setSpacing(8)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self.title)
        row = QHBoxLayout()
        row.addWidget(self.field, 1)
        row.addLayout(self.buttons_row)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        layout.addWidget(self.message)
        self.buttons: list[QPushButton] = []
        self.key = ""
        self._choices: list[Any] = []
        self._required = False
        self._on_confirm: Confirm | None = None
        self._on_close: Callable[[], None] | None = None
        self.hide()

    @property
    def is_open(self) -> bool:
        return not self.isHidden()

    def ask(self, key: str, title: str, on_confirm: Confirm, *, field: str | None = None, placeholder: str = "",
            initial: str = "", choices: Sequence[tuple[str, Any]] = (("Confirm", None),),
            on_close: Callable[[], None] | None = None) -> None:
        """Open the bar. ``field`` is None (no text), "optional" or "required"."""
        self.key, self._on_confirm, self._on_close = key, on_confirm, on_close
        self._required = field == "required"
        self.title.setText(title)
        self.field.setVisible(field is not None)
        self.field.setPlaceholderText(placeholder)
        self.field.setAccessibleName(placeholder or title)
        self.field.setText(initial)
        self.message.hide()
        for button in self.buttons:
            button.deleteLater()
        self.buttons, self._choices = [], []
        for index, (label, value) in enumerate(choices):
            button = make_button(f"promptChoice{index}", button_text(label), label,  # "Integration & discharge"
                                 enter_presses=True, on_click=partial(self.choose, index))
            self.buttons_row.addWidget(button)
            self.buttons.append(button)
            self._choices.append(value)
        self.show()
        (self.field if field is not None else self.buttons[0]).setFocus(Qt.FocusReason.ShortcutFocusReason)

    def choose(self, index: int) -> bool:
        """Confirm with choice ``index``; stays open (text kept) when refused or when saving fails."""
        if not self.is_open or self._on_confirm is None or not 0 <= index < len(self._choices):
            return False
        text = self.field.text().strip() if self.field.isVisibleTo(self) else ""
        if self._required and not text:
            self.show_message("Please type a reason first; it goes into the record.")
            self.field.setFocus()
            return False
        if self._on_confirm(self._choices[index], text):
            self.close_prompt()
            return True
        return False

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def close_prompt(self) -> None:
        was_open = self.is_open
        self.hide()
        self.key = ""
        self._on_confirm = None
        if was_open and self._on_close is not None:
            callback, self._on_close = self._on_close, None
            callback()
