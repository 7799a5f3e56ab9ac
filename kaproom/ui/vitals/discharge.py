"""The discharge checklist, shown in the side panel when the therapist discharges (Ctrl+Shift+D).

Each item from the protocol is a tick box with, beneath it, what the record suggests and why
(from the latest vitals and tags); the therapist decides. The time the client was ready to
leave is asked for, as monitoring forms ask. Discharging with an item unticked needs a written
reason. Nothing here is a dialog: the clock stays in view, Enter discharges, Esc goes back.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from PySide6.QtCore import Qt, QTime, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from kaproom.domain.clock import to_iso
from kaproom.domain.discharge import Prefill
from kaproom.ui.kit.buttons import make_button
from kaproom.ui.kit.labels import plain_label
from kaproom.ui.kit.theme import set_level
from kaproom.ui.kit.wheel_guard import wheel_scrolls_past
from kaproom.ui.vitals.aldrete import AldreteBox

#: (ticks, ready-to-leave ISO time, override reason) -> a message when refused or not saved, else None.
Confirm = Callable[[Mapping[str, bool], str, str], "str | None"]
FUTURE_TOLERANCE = timedelta(minutes=1)


class _ClickLabel(QLabel):
    """An item's words, wrapped; a click ticks its box as a click on the box would."""

    def __init__(self, text: str, box: QCheckBox) -> None:
        super().__init__(text)
        self.box = box
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt name)
        self.box.toggle()
        self.box.setFocus(Qt.FocusReason.MouseFocusReason)
        event.accept()


class DischargePanel(QFrame):
    """Checklist, ready-to-leave time, override reason, Discharge and Cancel."""

    cancelled = Signal()
    #: Enter did not discharge; why is in ``message``, under the reason field.
    refused = Signal()

    def __init__(self, on_confirm: Confirm, now: Callable[[], datetime], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dischargePanel")
        self.setAccessibleName("Discharge checklist")
        self._on_confirm, self._now = on_confirm, now
        self.boxes: dict[str, QCheckBox] = {}
        self.bases: dict[str, QLabel] = {}
        title = QLabel("Discharge checklist")
        title.setObjectName("dischargeTitle")
        self.context = plain_label("dischargeContext", "")
        self.context.setProperty("muted", "true")
        self.items_box = QVBoxLayout()
        self.items_box.setSpacing(4)
        self.aldrete = AldreteBox()
        self.ready = QTimeEdit()
        self.ready.setObjectName("dischargeReadyTime")
        self.ready.setDisplayFormat("HH:mm")
        self.ready.setAccessibleName("Time the client was ready to leave")
        wheel_scrolls_past(self.ready)
        self.ready_now = make_button("dischargeReadyNow", "Now", "Ready to leave now", on_click=self.set_ready_now)
        self.reason = QLineEdit()
        self.reason.setObjectName("dischargeOverride")
        self.reason.setMaxLength(2000)
        self.reason.setPlaceholderText("Reason, if an item is unticked")
        self.reason.setAccessibleName("Reason for discharging with unticked items")
        self.next_appointment = QLineEdit()
        self.next_appointment.setObjectName("dischargeNextAppointment")
        self.next_appointment.setMaxLength(200)
        self.next_appointment.setPlaceholderText("Next integration appointment (optional, for the after-care sheet)")
        self.next_appointment.setAccessibleName("Next integration appointment, printed on the after-care sheet")
        self.message = plain_label("dischargeMessage", "")
        set_level(self.message, "error")
        self.message.hide()
        self.confirm_button = make_button("dischargeConfirm", "Discharge (Enter)", enter_presses=True,
                                          on_click=self.confirm)
        self.cancel_button = make_button("dischargeCancel", "Back (Esc)", enter_presses=True,
                                         on_click=self.cancelled.emit)
        ready_row = QHBoxLayout()
        ready_row.addWidget(QLabel("Ready to leave at"))
        ready_row.addWidget(self.ready)
        ready_row.addWidget(self.ready_now)
        ready_row.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.confirm_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.addWidget(title)
        layout.addWidget(self.context)
        layout.addLayout(self.items_box)
        layout.addWidget(self.aldrete)
        layout.addLayout(ready_row)
        layout.addWidget(self.reason)
        layout.addWidget(self.next_appointment)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.hide()

    # ---------------------------------------------------------------- filling
    def load(self, prefills: Sequence[Prefill], context: str = "") -> None:
        """A fresh checklist: suggestions ticked, everything else unticked; the reason is kept."""
        while self.items_box.count():
            taken = self.items_box.takeAt(0)
            widget = taken.widget() if taken is not None else None
            if widget is not None:
                widget.hide()
                widget.setParent(None)  # gone from the panel now, not at the next event loop turn
                widget.deleteLater()
        self.boxes, self.bases = {}, {}
        previous: QWidget | None = None
        for item in prefills:
            box = QCheckBox()
            box.setObjectName(f"discharge_{item.item_id}")
            box.setChecked(item.suggested is True)
            text = _ClickLabel(item.text, box)
            text.setObjectName(f"dischargeItem_{item.item_id}")
            basis = plain_label(f"dischargeBasis_{item.item_id}",
                                ("Suggested: " if item.suggested else "") + item.basis)
            if item.suggested is False:
                set_level(basis, "caution")
            else:
                basis.setProperty("muted", "true")
            box.setAccessibleName(f"{item.text}. {basis.text()}")
            row = QWidget()
            grid = QGridLayout(row)
            grid.setContentsMargins(0, 2, 0, 2)
            grid.setHorizontalSpacing(8)
            grid.setVerticalSpacing(0)
            grid.addWidget(box, 0, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(text, 0, 1)
            grid.addWidget(basis, 1, 1)
            grid.setColumnStretch(1, 1)
            self.items_box.addWidget(row)
            row.show()
            self.boxes[item.item_id], self.bases[item.item_id] = box, basis
            if previous is not None:
                QWidget.setTabOrder(previous, box)
            previous = box
        for field in self.aldrete.order:  # the score after the items it completes, then the time
            if previous is not None:
                QWidget.setTabOrder(previous, field)
            previous = field
        if previous is not None:
            QWidget.setTabOrder(previous, self.ready)
        self.context.setText(context)
        self.context.setVisible(bool(context))
        self.set_ready_now()
        self.show_message("")

    def refresh_basis(self, item: Prefill) -> None:
        """A suggestion's words as time passes (the observation time reaching its minimum). Only
        the words: the tick is the therapist's once the checklist is open."""
        basis = self.bases.get(item.item_id)
        text = ("Suggested: " if item.suggested else "") + item.basis
        if basis is None or basis.text() == text:
            return
        basis.setText(text)
        set_level(basis, "caution" if item.suggested is False else "")
        set_level(basis, "false" if item.suggested is False else "true", "muted")
        box = self.boxes[item.item_id]
        box.setAccessibleName(f"{item.text}. {text}")

    def set_ready_now(self) -> None:
        local = self._now().astimezone()
        self.ready.setTime(QTime(local.hour, local.minute))

    def ticks(self) -> dict[str, bool]:
        return {item_id: box.isChecked() for item_id, box in self.boxes.items()}

    def ready_at(self) -> str | None:
        """The chosen time today (or last night, across midnight) as stored ISO UTC; None if later than now."""
        now = self._now().astimezone()
        chosen = self.ready.time()
        moment = now.replace(hour=chosen.hour(), minute=chosen.minute(), second=0, microsecond=0)
        if moment - now > timedelta(hours=12):
            moment -= timedelta(days=1)
        if moment - now > FUTURE_TOLERANCE:
            return None
        return to_iso(moment)

    # ---------------------------------------------------------------- acting
    def confirm(self) -> bool:
        ready = self.ready_at()
        if ready is None:
            self._refuse("The ready-to-leave time is later than now; choose the time the client was ready.")
            self.ready.setFocus()
            return False
        problem = self._on_confirm(self.ticks(), ready, self.reason.text())
        if problem:
            self._refuse(problem)
            if any(word in problem.lower() for word in ("reason", "unticked", "write why")):
                self.reason.setFocus()
            return False
        self.show_message("")
        return True

    def _refuse(self, text: str) -> None:
        self.show_message(text)
        self.refused.emit()

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def focus_first(self) -> None:
        first = next(iter(self.boxes.values()), None)
        (first or self.confirm_button).setFocus(Qt.FocusReason.ShortcutFocusReason)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt name)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            if self.cancel_button.hasFocus():
                self.cancelled.emit()
            else:
                self.confirm()
            return
        super().keyPressEvent(event)
