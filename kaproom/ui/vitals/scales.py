"""The protocol's rating scales beside the vitals form (Ctrl+Shift+S): RASS, the dissociation
questions, a clinic's own instrument. MOAA/S is not here: it is part of every vitals check-in.

One line box per item, typed from the keyboard ('-2', '+1', 'mild', 'y'); the words of the
answer and the scale's total show as it is typed; Enter saves every scale typed in. A refused
answer is explained under its item and nothing typed is cleared unless it was saved. The form
only shows and collects; saving is the panel's job.
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from kaproom.domain.scales import Scale, parse_answer, parse_rating
from kaproom.ui.kit.buttons import make_button
from kaproom.ui.kit.labels import plain_label
from kaproom.ui.kit.theme import set_level


def field_name(scale: Scale, item_id: str) -> str:
    return f"scale_{scale.id}_{item_id}"


class ScalesForm(QFrame):
    """The answer boxes of every scale that is not part of the vitals check-in."""

    saveRequested = Signal()

    def __init__(self, scales: Sequence[Scale], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scalesPanel")
        self.setAccessibleName("Rating scales (Ctrl+Shift+S)")
        self.scales = tuple(s for s in scales if not s.vitals_field)
        self.fields: dict[str, QLineEdit] = {}
        self.words: dict[str, QLabel] = {}
        self.errors: dict[str, QLabel] = {}
        self.totals: dict[str, QLabel] = {}
        title = QLabel("Scales (Ctrl+Shift+S)  ·  Enter saves, Esc goes back")
        title.setObjectName("scalesTitle")
        title.setWordWrap(True)  # one line at the larger text widened the side column to half a laptop screen
        self.result = plain_label("scalesResult", "No rating yet.")
        self.message = plain_label("scalesMessage", "")
        self.message.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(title)
        layout.addWidget(self.result)
        layout.addWidget(self.message)
        order: list[QWidget] = []
        for scale in self.scales:
            grid = QGridLayout()
            grid.setHorizontalSpacing(6)
            grid.setVerticalSpacing(2)
            heading = plain_label(f"scaleTitle_{scale.id}", scale.short)
            total = plain_label(f"scaleTotal_{scale.id}", "")
            total.setProperty("muted", "true")
            self.totals[scale.id] = total
            grid.addWidget(heading, 0, 0)
            grid.addWidget(total, 0, 1)
            row = 1
            for item in scale.items:
                name = field_name(scale, item.id)
                edit = QLineEdit()
                edit.setObjectName(name)
                edit.setMaxLength(40)
                edit.setPlaceholderText(item.hint())
                edit.setAccessibleName(f"{scale.short}: {item.text}, {item.hint()}")
                edit.setToolTip("\n".join(f"{item.show(c.points)} · {c.words}" for c in item.choices))
                edit.textChanged.connect(lambda _text, s=scale: self._typed(s))
                said = plain_label(f"scaleWords_{name}", "")
                said.setProperty("muted", "true")
                error = plain_label(f"scaleError_{name}", "")
                set_level(error, "error")
                error.hide()
                self.fields[name], self.words[name], self.errors[name] = edit, said, error
                if scale.single:
                    grid.addWidget(QLabel("Level"), row, 0)
                else:  # a questionnaire's item may be a long sentence: its own wrapping line
                    grid.addWidget(plain_label(f"scaleItem_{name}", item.text), row, 0, 1, 2)
                    row += 1
                grid.addWidget(edit, row, 1)
                grid.addWidget(said, row + 1, 0, 1, 2)
                grid.addWidget(error, row + 2, 0, 1, 2)
                row += 3
                order.append(edit)
            grid.setColumnStretch(1, 1)
            layout.addLayout(grid)
        self.save_button = make_button("scalesSave", "Save ratings (Enter)", "Save the ratings",
                                       on_click=self.saveRequested.emit)
        layout.addWidget(self.save_button)
        order.append(self.save_button)
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

    # ---------------------------------------------------------------- typing
    def _typed(self, scale: Scale) -> None:
        """The words of each answer and the total, as they are typed."""
        for item in scale.items:
            name = field_name(scale, item.id)
            points, _ = parse_answer(item, self.fields[name].text())
            choice = item.choice(points) if points is not None else None
            self.words[name].setText(f"{item.show(choice.points)} · {choice.words}" if choice else "")
        parsed = parse_rating(scale, self.texts(scale))
        rating = parsed.rating
        if rating is None or scale.single:
            self.totals[scale.id].setText("")
        else:
            self.totals[scale.id].setText(f"total {rating.total}" + ("" if rating.complete else " so far"))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt name)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            self.saveRequested.emit()
            return
        super().keyPressEvent(event)

    def texts(self, scale: Scale) -> dict[str, object]:
        return {item.id: self.fields[field_name(scale, item.id)].text() for item in scale.items}

    # ---------------------------------------------------------------- showing
    def show_errors(self, errors: Mapping[str, str]) -> None:
        """``errors`` by field name (see field_name); the first refused box takes the focus."""
        for name, label in self.errors.items():
            message = errors.get(name, "")
            label.setText(message)
            label.setVisible(bool(message))
            set_level(self.fields[name], "error" if message else "")
        first = next((name for name in self.fields if name in errors), None)
        if first is not None:
            self.fields[first].setFocus(Qt.FocusReason.OtherFocusReason)
            self.fields[first].selectAll()

    def show_message(self, text: str, level: str = "error") -> None:
        self.message.setText(text)
        set_level(self.message, level)
        self.message.setVisible(bool(text))

    def clear_scale(self, scale: Scale) -> None:
        for item in scale.items:
            self.fields[field_name(scale, item.id)].clear()

    def focus_first(self) -> None:
        if self.fields:
            first = next(iter(self.fields.values()))
            first.setFocus(Qt.FocusReason.ShortcutFocusReason)
            first.selectAll()

    def close_for_good(self) -> None:
        for widget in (*self.fields.values(), self.save_button):
            widget.setEnabled(False)
