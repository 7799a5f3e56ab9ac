"""A waste in the room (Ctrl+Shift+W): what of the dose was not taken, with a witness.

Opened by its key, and asked for (the panel opens, the status line says why) when the dosing phase
ends with the protocol's "Lozenge spat out" tag, or that tag is pressed once it has ended. The
amount is in units of the dose's lot where the dose came from the stock register (the lot
pre-filled from the last dose), else in mg. The witness is a second staff member: where staff accounts exist they
type their own name and PIN (checked, and the record marks them verified); otherwise a typed
name, which the record marks unverified. A witness who is the person recording is refused.

The session's waste and the register's lines are one transaction (``SessionController.record_waste``).
A refusal is said in the panel naming its rule; what was typed stays, except the PIN, which is
never kept in a field after it was tried. Esc closes, Enter records; the focus goes back to the
note field either way.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFormLayout, QFrame, QLineEdit, QVBoxLayout, QWidget

from kaproom.domain.clock import format_hms
from kaproom.domain.dose import ends_with_waste
from kaproom.domain.events import Kind, RecordedEvent
from kaproom.domain.medication import waste_words
from kaproom.ui.kit.buttons import make_button
from kaproom.ui.kit.host import RoomHost
from kaproom.ui.kit.labels import make_label, plain_label
from kaproom.ui.kit.theme import set_level

WASTE_KEY = "Ctrl+Shift+W"
DEFAULT_REASON = "spat out"


def _line(name: str, accessible: str, placeholder: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setAccessibleName(accessible)
    edit.setPlaceholderText(placeholder)
    edit.setMaxLength(200)
    edit.setMinimumWidth(60)
    return edit


class WastePanel(QFrame):
    """Lot (with the register), amount, reason, the witness's name and (with staff accounts) PIN."""

    saveRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("wastePanel")
        self.setAccessibleName(f"Waste with a witness ({WASTE_KEY})")
        self.title = make_label("wasteTitle", f"Waste ({WASTE_KEY}): Enter records, Esc closes", wrap=True)
        self.source = plain_label("wasteSource", "")
        self.source.setWordWrap(True)
        self.source.hide()
        self.lot = _line("wasteLot", "Lot of the dose", "lot number")
        self.amount = _line("wasteAmount", "Amount wasted", "amount")
        self.reason = _line("wasteReason", "Reason", "reason, e.g. spat out")
        self.witness = _line("wasteWitness", "Witness: a second staff member's name", "witness's name")
        self.pin = _line("wastePin", "Witness's own PIN or passphrase", "witness's PIN")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = plain_label("wasteMessage", "")
        self.message.setWordWrap(True)
        set_level(self.message, "error")
        self.message.hide()
        self.save_button = make_button("wasteSave", "Record waste (Enter)", "Record the waste",
                                       on_click=self.saveRequested.emit)
        self.form = QFormLayout()
        self.form.addRow("Lot", self.lot)
        self.form.addRow("Amount", self.amount)
        self.form.addRow("Reason", self.reason)
        self.form.addRow("Witness", self.witness)
        self.form.addRow("PIN", self.pin)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.source)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addWidget(self.save_button)
        self.hide()

    def arrange(self, with_lot: bool, with_pin: bool) -> None:
        """The lot where the register is in use (amount in its units), the PIN where staff sign in."""
        self.form.setRowVisible(self.lot, with_lot)
        self.form.setRowVisible(self.pin, with_pin)
        self.amount.setPlaceholderText("units of the lot, e.g. 0.5" if with_lot else "mg, e.g. 50")
        self.amount.setAccessibleName("Amount wasted, in units of the lot's product" if with_lot
                                      else "Amount wasted, in mg")

    def clear(self) -> None:
        for edit in (self.lot, self.amount, self.reason, self.witness, self.pin):
            edit.clear()

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))


class WasteEntry(QObject):
    """Opens, records and closes the waste panel for one session (owned by ``RoomVitals``)."""

    def __init__(self, room: RoomHost, make_panel: Callable[[], WastePanel], history: Iterable[RecordedEvent],
                 parent: QObject | None = None, shown: Callable[[], None] = lambda: None) -> None:
        """``make_panel`` builds the panel when first opened (most sessions never show it);
        ``history`` is what the session recorded before the room opened (a resumed session is
        not asked again once its dosing phase is over); ``shown`` brings the panel into view."""
        super().__init__(parent)
        self.room, self._make_panel, self._shown = room, make_panel, shown
        self._panel: WastePanel | None = None
        self.controller = room.controller
        self.runner = self.controller.runner
        self.protocol = self.runner.protocol
        self._with_lot = False
        labels = [str(e.payload.get("label", "")) for e in history if e.kind == Kind.TAG]
        self._spat_out = any(ends_with_waste(self.protocol, label) for label in labels)  # the dose ended so
        self._asked = self.runner.state.phase_index > self.protocol.dose_phase_index  # asked once; the key any time

    @property
    def panel(self) -> WastePanel:
        if self._panel is None:
            self._panel = self._make_panel()
            self._panel.saveRequested.connect(self.save)
        return self._panel

    # ---------------------------------------------------------------- asking
    def take(self, event: RecordedEvent) -> None:
        """Every recorded event: a spat-out tag, then the dosing phase ending, asks for the waste."""
        dose_phase = self.protocol.dose_phase
        if event.kind == Kind.WASTE:
            self._asked = True
        elif event.kind == Kind.TAG and ends_with_waste(self.protocol, str(event.payload.get("label", ""))):
            self._spat_out = True
            if self.runner.state.phase_index > self.protocol.dose_phase_index:
                self._ask()
        elif event.kind == Kind.PHASE_CHANGED and event.payload.get("from") == dose_phase \
                and event.payload.get("to") != dose_phase and self._spat_out:
            self._ask()

    def _ask(self) -> None:
        if self._asked or self.room.private or not self.runner.state.state.is_open:
            return
        self._asked = True
        self.open("The dose ended with the lozenge spat out: record what was not taken, with a witness "
                  "(Enter records; Esc if nothing was wasted).")

    # ---------------------------------------------------------------- the panel
    def open(self, source: str = "") -> None:
        # The waste follows its dose: from the dose's lot where the dose named one; a dose recorded
        # without a lot (before the register was used) is wasted without one too, in mg.
        doses = self.controller.workspace.store.events(self.runner.session_uid, (Kind.DOSE,))
        last_lot = str(doses[-1].payload.get("lot") or "") if doses else ""
        self._with_lot = bool(last_lot) if doses else self.controller.register_in_use()
        with_pin = self.controller.recorder().verified
        self.panel.arrange(self._with_lot, with_pin)
        if self._with_lot and not self.panel.lot.text().strip():
            self.panel.lot.setText(last_lot)
        if not self.panel.reason.text().strip():
            self.panel.reason.setText(DEFAULT_REASON)
        self.panel.source.setText(source)
        self.panel.source.setVisible(bool(source))
        self.panel.show_message("")
        self.panel.show()
        self._shown()
        first = self.panel.amount if not self._with_lot or self.panel.lot.text().strip() else self.panel.lot
        first.setFocus(Qt.FocusReason.ShortcutFocusReason)
        who = "name and PIN" if with_pin else "name (typed: the record marks it unverified)"
        self.room.show_status(f"Waste: the amount, the reason, and the witness's {who}; Enter records, Esc "
                              "closes.", "caution" if source else "info")

    def save(self) -> RecordedEvent | None:
        panel = self.panel
        if not self.runner.state.state.is_open:
            self._refused("the session has ended")
            return None
        witness = self.controller.identify_witness(panel.witness.text(), panel.pin.text())
        panel.pin.clear()  # a PIN is never kept in a field once tried
        if witness is None:
            self._refused(self.controller.last_error)
            return None
        event = self.controller.record_waste(witness, panel.amount.text(), panel.reason.text(),
                                             panel.lot.text().strip() if self._with_lot else "")
        if event is None:
            self._refused(f"Not saved: {self.controller.last_error}")
            return None
        panel.clear()
        panel.hide()
        self.room.show_status(f"Waste recorded at {format_hms(event.session_time)}: {waste_words(event.payload)}.",
                              "ok")
        self.room.focus_note()
        return event

    def _refused(self, text: str) -> None:
        words = text.rstrip(".")
        self.panel.show_message(f"{words}. What you typed is kept (the PIN is asked again).")
        self.room.show_status(f"Waste not recorded: {words}.", "caution")

    def close(self) -> None:
        if self._panel is not None and self._panel.isVisible():
            self.panel.hide()
            self.room.show_status(f"Waste not recorded (what was typed stays for {WASTE_KEY}).", "info")
        self.room.focus_note()
