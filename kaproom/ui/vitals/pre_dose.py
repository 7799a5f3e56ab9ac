"""The facts before dosing as fields (the escort, last food and drink, touch consent, music
preferences): on the start page for the facts the protocol asks for, and in the room (Ctrl+Shift+F)
to add what F10 still needs. Only shows and collects; the checking is kaproom.domain.pre_dose's."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from kaproom.domain.pre_dose import LABELS, MUSIC_MAX, TOUCH
from kaproom.ui.kit.labels import plain_label
from kaproom.ui.kit.theme import set_level

PLACEHOLDERS = {"escort_name": "who takes the client home", "escort_phone": "e.g. 555 0100",
                "last_food": "time, e.g. 07:30", "last_drink": "time, e.g. 09:15",
                "touch_consent": "yes, ask first or no", "music_preferences": "e.g. no lyrics; quieter than usual"}


class PreDoseForm(QFrame):
    """One line box per fact asked, required ones marked; Enter asks to save (``saveRequested``).
    ``columns=2`` sets the boxes in pairs (the escort's name and phone, last food and drink), for a
    page as wide as the start page's column; the order of the boxes stays the facts' order."""

    saveRequested = Signal()

    def __init__(self, asked: Sequence[str], required: Sequence[str], parent: QWidget | None = None,
                 columns: int = 1) -> None:
        super().__init__(parent)
        self.setObjectName("preDoseFacts")
        self.setAccessibleName("Before the dose")
        self.asked, self.required = tuple(asked), tuple(required)
        self.fields: dict[str, QLineEdit] = {}
        self.errors: dict[str, QLabel] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = plain_label("preDoseTitle", "Before the dose")
        layout.addWidget(self.title)
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        columns = max(1, columns)
        for index, name in enumerate(self.asked):
            row, column = divmod(index, columns)
            edit = QLineEdit()
            edit.setObjectName(f"preDose_{name}")
            edit.setMaxLength(MUSIC_MAX if name == "music_preferences" else 80)
            edit.setPlaceholderText(PLACEHOLDERS[name])
            need = " (needed before the dose)" if name in self.required else ""
            edit.setAccessibleName(f"{LABELS[name]}{need}")
            if name == "touch_consent":
                edit.setToolTip("Touch consent: " + ", ".join(TOUCH.values()))
            error = plain_label(f"preDoseError_{name}", "")
            set_level(error, "error")
            error.hide()
            label = QLabel(LABELS[name] + (" *" if name in self.required else ""))
            label.setBuddy(edit)
            if columns == 1:  # the label beside its box
                grid.addWidget(label, row * 2, 0)
                grid.addWidget(edit, row * 2, 1)
                grid.addWidget(error, row * 2 + 1, 0, 1, 2)
            else:  # in pairs, each label above its box so the boxes keep the width to show their hints
                grid.addWidget(label, row * 3, column)
                grid.addWidget(edit, row * 3 + 1, column)
                grid.addWidget(error, row * 3 + 2, column)
                error.setWordWrap(True)
            self.fields[name], self.errors[name] = edit, error
        if columns == 1:
            grid.setColumnStretch(1, 1)
        else:
            grid.setHorizontalSpacing(16)
            for column in range(columns):
                grid.setColumnStretch(column, 1)
        layout.addLayout(grid)
        if self.required:
            note = plain_label("preDoseRequired", "* needed before the dose is recorded (F10)")
            note.setProperty("muted", "true")
            layout.addWidget(note)

    @property
    def order(self) -> list[QWidget]:
        return list(self.fields.values())

    def texts(self) -> dict[str, object]:
        return {name: edit.text() for name, edit in self.fields.items()}

    def set_values(self, facts: Mapping[str, str]) -> None:
        for name, value in facts.items():
            if name in self.fields and not self.fields[name].text().strip():
                self.fields[name].setText(TOUCH.get(value, value) if name == "touch_consent" else value)

    def show_errors(self, errors: Mapping[str, str], focus: bool = True) -> None:
        for name, label in self.errors.items():
            message = errors.get(name, "")
            label.setText(message)
            label.setVisible(bool(message))
            set_level(self.fields[name], "error" if message else "")
        first = next((name for name in self.fields if name in errors), None)
        if focus and first is not None:
            self.fields[first].setFocus(Qt.FocusReason.OtherFocusReason)
            self.fields[first].selectAll()

    def focus_field(self, name: str | None = None) -> None:
        edit = self.fields.get(name or "") or next(iter(self.fields.values()), None)
        if edit is not None:
            edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
            edit.selectAll()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt name)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            self.saveRequested.emit()
            return
        super().keyPressEvent(event)
