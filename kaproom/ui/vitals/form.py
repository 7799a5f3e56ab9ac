"""The vitals check-in form: compact, beside the log, in the order a therapist reads a monitor.

BP (typing "128/84" fills both boxes: the slash moves the cursor on), pulse, SpO2, respiratory
rate, temperature, MOAA/S with its descriptions, nausea, oxygen, comment. Enter saves from any
field. A refused value is explained under its own field and nothing typed is ever cleared
unless it was saved. The form only shows and collects; saving is the panel's job.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kaproom.domain.protocol import Protocol
from kaproom.domain.protocol_settings import DEFAULT_RANGES
from kaproom.domain.vitals import LABELS, MOAAS, NAUSEA, UNITS
from kaproom.ui.kit.buttons import make_button
from kaproom.ui.kit.labels import plain_label
from kaproom.ui.kit.theme import set_level
from kaproom.ui.kit.wheel_guard import wheel_scrolls_past

TEXT_FIELDS = ("systolic", "diastolic", "pulse", "spo2", "respiratory_rate", "temperature")
ERROR_FIELDS = TEXT_FIELDS + ("moaas", "nausea", "supplemental_oxygen", "form")
SHORT_LABELS = {"pulse": "Pulse", "spo2": "SpO2", "respiratory_rate": "RR", "temperature": "Temp"}


def _object_name(field: str) -> str:
    return "vitals" + "".join(part.capitalize() for part in field.split("_"))


class EscapeCatcher(QObject):
    """Esc inside a panel goes to ``handler`` instead of the window's Esc shortcut."""

    def __init__(self, handler: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self.handler = handler

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) \
                and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Escape:
            event.accept()
            if event.type() == QEvent.Type.KeyPress:
                self.handler()
            return True
        return False

    def watch(self, root: QWidget) -> None:
        for widget in [root, *root.findChildren(QWidget)]:
            widget.installEventFilter(self)


class VitalsForm(QFrame):
    """The check-in fields and what the last save said."""

    saveRequested = Signal()

    def __init__(self, protocol: Protocol, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("vitalsPanel")
        self.setAccessibleName("Vitals check-in (F9)")
        ranges = dict(DEFAULT_RANGES) | dict(protocol.vitals_ranges)
        self.fields: dict[str, QLineEdit] = {}
        for name in TEXT_FIELDS:
            edit = QLineEdit()
            edit.setObjectName(_object_name(name))
            low, high = ranges[name]
            edit.setAccessibleName(f"{LABELS[name]}, {low:g} to {high:g} {UNITS[name]}")
            edit.setToolTip(f"{LABELS[name]}: {low:g}–{high:g} {UNITS[name]}; leave empty if not taken")
            edit.setMaxLength(40)
            self.fields[name] = edit
        self.fields["systolic"].setPlaceholderText("128/84")
        self.fields["temperature"].setPlaceholderText("optional")
        self.fields["systolic"].textEdited.connect(self._slash_moves_on)
        self.moaas = QComboBox()
        self.moaas.setObjectName("vitalsMoaas")
        self.moaas.setAccessibleName("MOAA/S sedation level, 5 alert to 0 no response")
        self.moaas.addItem("— not taken", "")
        for level, text in MOAAS.items():
            self.moaas.addItem(f"{level} · {text}", str(level))
        self.moaas.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.moaas.setMinimumContentsLength(14)
        self.nausea = QComboBox()
        self.nausea.setObjectName("vitalsNausea")
        self.nausea.setAccessibleName("Nausea")
        self.nausea.addItem("— not taken", "")
        for word in NAUSEA:
            self.nausea.addItem(word, word)
        wheel_scrolls_past(self.moaas, self.nausea)
        self.oxygen = QCheckBox("On oxygen")
        self.oxygen.setObjectName("vitalsOxygen")
        self.oxygen.setAccessibleName("On supplemental oxygen")
        self.comment = QLineEdit()
        self.comment.setObjectName("vitalsComment")
        self.comment.setAccessibleName("Vitals comment")
        self.comment.setPlaceholderText("comment")  # short: it must not elide when the panel scrolls
        self.comment.setMaxLength(2000)
        self.save_button = make_button("vitalsSave", "Save check-in (Enter)", "Save the vitals check-in",
                                       on_click=self.saveRequested.emit)
        self.errors: dict[str, QLabel] = {}
        for name in ERROR_FIELDS:
            label = plain_label(f"vitalsError_{name}")
            set_level(label, "error")
            label.hide()
            self.errors[name] = label
        self.result = plain_label("vitalsResult", "No check-in yet.")  # under the title, which names F9
        self.news2 = plain_label("vitalsNews2", "")
        self.news2.hide()  # until a check-in is scored: an empty line would sit between the last check and the fields
        self.history = QLabel()
        self.history.setObjectName("vitalsHistory")
        self.history.setTextFormat(Qt.TextFormat.RichText)
        self.history.setAccessibleName("Check-ins so far")
        self.history.setProperty("muted", "true")  # the small type: the table must fit the side column
        # Never wider than the column: a table's natural width would widen the form past the panel.
        self.history.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.history.hide()
        self.advisory = plain_label("vitalsAdvisory", "")
        self.advisory.setProperty("muted", "true")
        self.advisory.hide()
        self.dose_confirm = QFrame()
        self.dose_confirm.setObjectName("doseConfirm")
        self.dose_question = plain_label("doseQuestion", "")
        set_level(self.dose_question, "caution")
        self.dose_yes = make_button("doseWithoutBaseline", "Yes, record the dose (F10)", "Record the dose",
                                    enter_presses=True)
        self.dose_no = make_button("doseCancel", "No, baseline first (Esc)", "Do not record the dose now",
                                   enter_presses=True)
        confirm_layout = QVBoxLayout(self.dose_confirm)
        confirm_layout.setContentsMargins(0, 6, 0, 0)
        confirm_layout.addWidget(self.dose_question)
        confirm_layout.addWidget(self.dose_yes)
        confirm_layout.addWidget(self.dose_no)
        self.dose_confirm.hide()
        self._lay_out()

    def _lay_out(self) -> None:
        title = QLabel("Vitals (F9)  ·  dose given (F10)")
        title.setObjectName("vitalsTitle")
        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(4)
        bp = QHBoxLayout()
        bp.addWidget(self.fields["systolic"], 1)
        bp.addWidget(QLabel("/"))
        bp.addWidget(self.fields["diastolic"], 1)
        grid.addWidget(QLabel("BP"), 0, 0)
        grid.addLayout(bp, 0, 1, 1, 3)
        grid.addWidget(self.errors["systolic"], 1, 0, 1, 4)
        grid.addWidget(self.errors["diastolic"], 2, 0, 1, 4)
        row = 3
        for left, right in (("pulse", "spo2"), ("respiratory_rate", "temperature")):
            grid.addWidget(QLabel(SHORT_LABELS[left]), row, 0)
            grid.addWidget(self.fields[left], row, 1)
            grid.addWidget(QLabel(SHORT_LABELS[right]), row, 2)
            grid.addWidget(self.fields[right], row, 3)
            grid.addWidget(self.errors[left], row + 1, 0, 1, 4)
            grid.addWidget(self.errors[right], row + 2, 0, 1, 4)
            row += 3
        grid.addWidget(QLabel("MOAA/S"), row, 0)
        grid.addWidget(self.moaas, row, 1, 1, 3)
        grid.addWidget(self.errors["moaas"], row + 1, 0, 1, 4)
        grid.addWidget(QLabel("Nausea"), row + 2, 0)
        grid.addWidget(self.nausea, row + 2, 1, 1, 3)  # a row of its own: "On oxygen" beside it squeezed
        grid.addWidget(self.errors["nausea"], row + 3, 0, 1, 4)  # the SpO2 and Temp boxes above
        # Oxygen and the comment share a row, so that on a 768-pixel-high screen the Save
        # button stays in sight instead of scrolling out of the panel.
        last = QHBoxLayout()
        last.setSpacing(8)
        last.addWidget(self.oxygen)
        last.addWidget(self.comment, 1)
        grid.addLayout(last, row + 4, 0, 1, 4)
        grid.addWidget(self.errors["supplemental_oxygen"], row + 5, 0, 1, 4)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)  # the side panel has margins of its own
        layout.setSpacing(4)
        layout.addWidget(title)
        # The last check first: it is what the therapist glances at, and on a small screen the
        # bottom of the panel is what scrolls out of sight.
        layout.addWidget(self.result)
        layout.addWidget(self.news2)
        layout.addWidget(self.dose_confirm)
        layout.addWidget(self.errors["form"])
        layout.addLayout(grid)
        layout.addWidget(self.save_button)
        layout.addWidget(self.history)  # the trend, baseline included: below the form, it may scroll
        layout.addWidget(self.advisory)  # the same caveat each time: last, where it may scroll away
        order = [self.fields[n] for n in TEXT_FIELDS] + [self.moaas, self.nausea, self.oxygen, self.comment,
                                                         self.save_button]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

    # ---------------------------------------------------------------- typing
    def _slash_moves_on(self, text: str) -> None:
        """"128/" moves the cursor to the diastolic box; "128/84" pasted fills both."""
        if "/" not in text:
            return
        top, _, bottom = text.partition("/")
        diastolic = self.fields["diastolic"]
        if bottom.strip() and diastolic.text().strip() and diastolic.text().strip() != bottom.strip():
            return  # two different diastolic values: leave both, the save explains
        self.fields["systolic"].setText(top.strip())
        if bottom.strip():
            diastolic.setText(bottom.strip())
        diastolic.setFocus(Qt.FocusReason.OtherFocusReason)
        diastolic.end(False)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt name)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            self.saveRequested.emit()
            return
        super().keyPressEvent(event)

    def texts(self) -> dict[str, object]:
        values: dict[str, object] = {name: edit.text() for name, edit in self.fields.items()}
        values["moaas"] = self.moaas.currentData() or ""
        values["nausea"] = self.nausea.currentData() or ""
        values["supplemental_oxygen"] = self.oxygen.isChecked()
        values["comment"] = self.comment.text()
        return values

    def widget_for(self, name: str) -> QWidget:
        return {"moaas": self.moaas, "nausea": self.nausea, "supplemental_oxygen": self.oxygen,
                "form": self.fields["systolic"]}.get(name) or self.fields[name]

    # ---------------------------------------------------------------- showing
    def apply_filled(self, filled: Mapping[str, str]) -> None:
        for name, text in filled.items():
            if name in self.fields and self.fields[name].text() != text:
                self.fields[name].setText(text)

    def show_errors(self, errors: Mapping[str, str]) -> None:
        for name, label in self.errors.items():
            message = errors.get(name, "")
            label.setText(message)
            label.setVisible(bool(message))
            if name in self.fields:
                set_level(self.fields[name], "error" if message else "")
        first = next((n for n in ERROR_FIELDS if n in errors), None)
        if first is not None:
            widget = self.widget_for(first)
            widget.setFocus(Qt.FocusReason.OtherFocusReason)
            if isinstance(widget, QLineEdit):
                widget.selectAll()

    def close_for_good(self) -> None:
        for widget in (*self.fields.values(), self.moaas, self.nausea, self.oxygen, self.comment, self.save_button):
            widget.setEnabled(False)

    def show_message(self, text: str, level: str = "error") -> None:
        label = self.errors["form"]
        label.setText(text)
        set_level(label, level)
        label.setVisible(bool(text))

    def clear_values(self) -> None:
        """After a save only: everything typed is now in the record."""
        for edit in self.fields.values():
            edit.clear()
        self.comment.clear()
        self.moaas.setCurrentIndex(0)
        self.nausea.setCurrentIndex(0)
        self.oxygen.setChecked(False)
        self.show_errors({})

    def show_result(self, text: str, level: str, news2: str = "", news2_level: str = "ok", advisory: str = "") -> None:
        self.result.setText(text)
        set_level(self.result, level)
        self.news2.setText(news2)
        self.news2.setVisible(bool(news2))
        set_level(self.news2, news2_level)
        self.advisory.setText(advisory)
        self.advisory.setVisible(bool(advisory))

    def show_history(self, html: str, description: str) -> None:
        """The check-ins so far as a small table (``html``); ``description`` says it in words."""
        self.history.setText(html)
        self.history.setAccessibleDescription(description)
        self.history.setVisible(bool(html))

    def focus_first_field(self) -> None:
        first = self.fields["systolic"]
        first.setFocus(Qt.FocusReason.ShortcutFocusReason)
        first.selectAll()
