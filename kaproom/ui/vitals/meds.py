"""The room's medication entry (Ctrl+Shift+M) and adverse-event entry (Ctrl+Shift+R): two small
panels beside the log, keyboard-first like the vitals form.

Medication: type the standing order's name (it completes as you type), the amount and the reason
fill in from the order, Enter records. Adverse event: the kind and the severity are chosen by
typing their first letters, the onset is now unless changed, then actions, outcome, emergency
services and follow-up; Enter records. A refusal is said in the panel, naming the rule, and what
was typed stays; Esc closes a panel; either way the focus goes back to the note field.

The panels only show and collect; ``RoomVitals`` (kaproom.ui.vitals.panel) records through the
room's controller.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QCheckBox, QComboBox, QCompleter, QFormLayout, QFrame, QLineEdit, QVBoxLayout, QWidget

from kaproom.domain.clock import format_hms
from kaproom.domain.dose import parse_session_time
from kaproom.domain.medication import AdverseEventInput, RuleRefused, parse_amount
from kaproom.domain.protocol_settings import SEVERITIES, AdverseEventKind, StandingOrder
from kaproom.domain.vocabulary import EMS_WORDS, FOLLOW_UP_WORDS
from kaproom.ui.kit.buttons import make_button
from kaproom.ui.kit.labels import make_label, plain_label
from kaproom.ui.kit.theme import set_level
from kaproom.ui.kit.wheel_guard import wheel_scrolls_past

MEDICATION_KEY, ADVERSE_EVENT_KEY = "Ctrl+Shift+M", "Ctrl+Shift+R"


class EnterCatcher(QObject):
    """Enter anywhere in a panel (a field, a list, a tick box) goes to ``handler``."""

    def __init__(self, handler: Callable[[], object], parent: QObject) -> None:
        super().__init__(parent)
        self.handler = handler

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) \
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) \
                and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            self.handler()
            return True
        return False

    def watch(self, root: QWidget) -> None:
        for widget in [root, *root.findChildren(QWidget)]:
            widget.installEventFilter(self)


def _line(name: str, accessible: str, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setAccessibleName(accessible)
    edit.setPlaceholderText(placeholder)
    edit.setMaxLength(1000)
    return edit


class MedicationPanel(QFrame):
    """A standing order: the drug (typed, completed from the protocol's list), amount and reason."""

    saveRequested = Signal()

    def __init__(self, orders: Sequence[StandingOrder], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("medicationPanel")
        self.setAccessibleName(f"Medication from the standing orders ({MEDICATION_KEY})")
        self.orders = tuple(orders)
        self.title = make_label("medicationTitle", f"Medication ({MEDICATION_KEY}): Enter records, Esc closes",
                                wrap=True)
        self.orders_hint = plain_label("medicationOrders", "Standing orders: " + "; ".join(
            f"{o.name} {o.amount:g}{'' if o.max_amount is None else f'–{o.max_amount:g}'} {o.unit} {o.route} "
            f"({o.indication})" for o in self.orders))
        self.orders_hint.setWordWrap(True)
        self.orders_hint.setProperty("muted", "true")
        self.drug = _line("medicationDrug", "Medication: type its name", "drug, e.g. ondansetron")
        completer = QCompleter([o.name for o in self.orders], self.drug)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.InlineCompletion)
        self.drug.setCompleter(completer)
        self.amount = _line("medicationAmount", "Amount", "amount")
        for edit in (self.drug, self.amount):
            edit.setMinimumWidth(60)
        self.reason = _line("medicationReason", "Reason or indication", "reason")
        self.route = plain_label("medicationRoute", "")
        self.route.setWordWrap(True)
        self.message = plain_label("medicationMessage", "")
        self.message.setWordWrap(True)
        set_level(self.message, "error")
        self.message.hide()
        self.save_button = make_button("medicationSave", "Record medication (Enter)", "Record the medication",
                                       on_click=self.saveRequested.emit)
        self._typed = {"amount": False, "reason": False}  # typed by hand: no longer filled from the order
        self.amount.textEdited.connect(lambda _t: self._typed.__setitem__("amount", True))
        self.reason.textEdited.connect(lambda _t: self._typed.__setitem__("reason", True))
        self.drug.textChanged.connect(self._fill_from_order)
        form = QFormLayout()
        form.addRow("Drug", self.drug)
        form.addRow("Amount", self.amount)
        form.addRow("Reason", self.reason)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.orders_hint)
        layout.addLayout(form)
        layout.addWidget(self.route)
        layout.addWidget(self.message)
        layout.addWidget(self.save_button)
        self.hide()

    def order(self) -> StandingOrder | None:
        wanted = self.drug.text().strip().lower()
        return next((o for o in self.orders if wanted in (o.id.lower(), o.name.lower())), None)

    def _fill_from_order(self, _text: str) -> None:
        order = self.order()
        self.route.setText(f"Route: {order.route}" if order else "")
        if order is None:
            return
        if not self._typed["amount"]:
            self.amount.setText(f"{order.amount:g} {order.unit}")
        if not self._typed["reason"]:
            self.reason.setText(order.indication)

    def amount_value(self) -> float:
        """The amount typed, in the order's unit (RuleRefused when unreadable)."""
        order = self.order()
        return parse_amount(self.amount.text(), order.unit if order else "mg")

    def open(self) -> None:
        self.show_message("")
        self.show()
        self.drug.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def clear(self) -> None:
        for edit in (self.drug, self.amount, self.reason):
            edit.clear()
        self._typed = {"amount": False, "reason": False}

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))


class AdverseEventPanel(QFrame):
    """An adverse event: kind and severity (chosen by typing), onset, actions, outcome, emergency
    services, follow-up; opened by its key or from an urgent alert's acknowledgement."""

    saveRequested = Signal()

    def __init__(self, kinds: Sequence[AdverseEventKind], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("adverseEventPanel")
        self.setAccessibleName(f"Adverse event ({ADVERSE_EVENT_KEY})")
        self.title = make_label("adverseTitle", f"Adverse event ({ADVERSE_EVENT_KEY}): Enter records, Esc closes",
                                wrap=True)
        self.source = plain_label("adverseSource", "")
        self.source.setWordWrap(True)
        self.source.hide()
        self.kind = QComboBox()
        self.kind.setObjectName("adverseKind")
        self.kind.setAccessibleName("Kind of adverse event: type its first letters")
        self.kind.addItem("— choose", "")
        for kind in kinds:
            self.kind.addItem(kind.label, kind.id)
        self.severity = QComboBox()
        self.severity.setObjectName("adverseSeverity")
        self.severity.setAccessibleName("Severity: type its first letters")
        self.severity.addItem("— choose", "")
        for word in SEVERITIES:
            self.severity.addItem(word, word)
        for box in (self.kind, self.severity):  # as narrow as the vitals form's lists: the column must not widen
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(10)
        wheel_scrolls_past(self.kind, self.severity)
        self.onset = _line("adverseOnset", "Onset, session time", "onset, e.g. 1:02")
        self.description = _line("adverseDescription", "What happened", "what happened (needed for Other)")
        self.action_taken = _line("adverseActions", "Actions taken", "actions taken")
        self.outcome = _line("adverseOutcome", "Outcome", "outcome, e.g. resolved")
        for edit in (self.onset, self.description, self.action_taken, self.outcome):
            edit.setMinimumWidth(60)  # the side column is narrow: fields shrink rather than push it wider
        self.ems = QCheckBox(EMS_WORDS)
        self.ems.setObjectName("adverseEms")
        self.follow_up = QCheckBox(FOLLOW_UP_WORDS)
        self.follow_up.setObjectName("adverseFollowUp")
        self.message = plain_label("adverseMessage", "")
        self.message.setWordWrap(True)
        set_level(self.message, "error")
        self.message.hide()
        self.save_button = make_button("adverseSave", "Record adverse event (Enter)", "Record the adverse event",
                                       on_click=self.saveRequested.emit)
        self.alert_seqs: tuple[int, ...] = ()
        form = QFormLayout()
        form.addRow("Kind", self.kind)
        form.addRow("Severity", self.severity)
        form.addRow("Onset", self.onset)
        form.addRow("What", self.description)
        form.addRow("Actions", self.action_taken)
        form.addRow("Outcome", self.outcome)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.source)
        layout.addLayout(form)
        layout.addWidget(self.ems)
        layout.addWidget(self.follow_up)
        layout.addWidget(self.message)
        layout.addWidget(self.save_button)
        self.hide()

    def open(self, now: float, kind: str = "", actions: str = "", onset: float | None = None,
             alert_seqs: Sequence[int] = (), source: str = "") -> None:
        """Show the panel with the onset at ``now`` (unless one is still typed), or filled from an alert."""
        if alert_seqs or (not self.isVisible() and not self._typed()):
            self.onset.setText(format_hms(now if onset is None else onset))
        if kind:
            self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        if actions and not self.action_taken.text().strip():
            self.action_taken.setText(actions)
        if alert_seqs:
            self.alert_seqs = tuple(alert_seqs)
        self.source.setText(source)
        self.source.setVisible(bool(source))
        self.show_message("")
        self.show()
        self.kind.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _typed(self) -> bool:
        return bool(self.kind.currentData() or self.severity.currentData() or self.action_taken.text().strip()
                    or self.outcome.text().strip() or self.description.text().strip())

    def answers(self) -> AdverseEventInput:
        """What the panel holds (RuleRefused when the onset cannot be read)."""
        onset_text = self.onset.text().strip()
        try:
            onset = parse_session_time(onset_text) if onset_text else None
        except ValueError as exc:
            raise RuleRefused("onset", str(exc)) from None
        return AdverseEventInput(str(self.kind.currentData() or ""), str(self.severity.currentData() or ""), onset,
                                 self.action_taken.text(), self.outcome.text(), self.ems.isChecked(),
                                 self.follow_up.isChecked(), self.description.text(), self.alert_seqs)

    def clear(self) -> None:
        self.kind.setCurrentIndex(0)
        self.severity.setCurrentIndex(0)
        for edit in (self.onset, self.description, self.action_taken, self.outcome):
            edit.clear()
        self.ems.setChecked(False)
        self.follow_up.setChecked(False)
        self.alert_seqs = ()

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
