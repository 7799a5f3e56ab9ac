"""The lot and the amount in F10's question, where the clinic keeps its stock register here.

Keyboard-first: the lot field lists the usable lots (not expired, units in the safe or out, the
first to expire first); typing part of a lot number narrows the list, Up and Down choose in it,
Enter takes the chosen lot and moves to the amount; Enter in the amount records the dose (as F10
again does). The amount is in units of the lot's product (lozenges; 0.5 for half of one), with
the milligrams they hold said beside it. Both are pre-filled from the session's plan: the
prescribed dose (or the protocol's booster amount) in units of the lot's strength, and the lot
when only one usable lot exists. What was typed stays when the record refuses it.

The fields only show and collect; ``DoseEntry`` (kaproom.ui.vitals.dose) records.
"""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFormLayout, QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from kaproom.domain.register import parse_quantity, quantity_text
from kaproom.services.stock import LotSummary
from kaproom.ui.kit.labels import plain_label

#: Rows of the lot list shown before it scrolls (a clinic rarely has more lots open at once).
LIST_ROWS = 4


def lot_words(lot: LotSummary) -> str:
    """'K100-01 · 100 mg · exp. 2026-12-31 · 18 in stock' (short: the side column is narrow)."""
    return f"{lot.lot} · {lot.strength_mg:g} mg · exp. {lot.expiry.isoformat()} · {quantity_text(lot.stock)} in stock"


def units_for(mg: float | None, strength_mg: float) -> str:
    """The units that hold ``mg`` of a product of ``strength_mg`` ('2', '1.5'), or '' if unknown."""
    if mg is None or strength_mg <= 0:
        return ""
    return quantity_text(round(mg / strength_mg * 100))


class DoseLotFields(QFrame):
    """Lot (narrowed as typed) and amount for a dose; ``accepted`` when Enter is pressed in the amount."""

    accepted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("doseLotFields")
        self.lots: list[LotSummary] = []
        self.planned_mg: float | None = None
        self.lot = QLineEdit()
        self.lot.setObjectName("doseLot")
        self.lot.setAccessibleName("Lot number: type part of it to narrow the list, Enter takes it")
        self.lot.setPlaceholderText("lot number")
        self.lot.setMaxLength(100)
        self.matches = QListWidget()
        self.matches.setObjectName("doseLots")
        self.matches.setAccessibleName("Usable lots")
        self.matches.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # chosen with Up and Down from the lot field
        self.matches.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.matches.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.amount = QLineEdit()
        self.amount.setObjectName("doseAmount")
        self.amount.setAccessibleName("Amount given, in units of the lot's product (0.5 for half a lozenge)")
        self.amount.setPlaceholderText("units, e.g. 2 or 0.5")
        self.amount.setMaxLength(20)
        self.mg = plain_label("doseAmountMg", "")
        self.mg.setProperty("muted", "true")
        self._amount_typed = False
        self.lot.textChanged.connect(self._narrow)
        self.amount.textEdited.connect(self._amount_edited)
        self.matches.currentRowChanged.connect(lambda _row: self._say_mg())
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Lot", self.lot)
        form.addRow(self.matches)  # the full width of the column: the lots are said in a line each
        form.addRow("Amount", self.amount)
        form.addRow("", self.mg)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        self.lot.installEventFilter(self)
        self.amount.installEventFilter(self)
        self.hide()

    # ---------------------------------------------------------------- filling
    def load(self, lots: Sequence[LotSummary], planned_mg: float | None) -> None:
        """Offer ``lots``; pre-fill the lot when there is only one, and the amount from ``planned_mg``
        (unless the amount or the lot was typed already: a refused try keeps what was typed)."""
        self.lots, self.planned_mg = list(lots), planned_mg
        if not self.lot.text().strip() and len(self.lots) == 1:
            self.lot.setText(self.lots[0].lot)
        self._narrow(self.lot.text())
        self._fill_amount()
        self.show()

    def clear(self) -> None:
        """After a dose is recorded: the next question starts from the plan again."""
        self.lot.clear()
        self.amount.clear()
        self._amount_typed = False
        self.hide()

    def focus(self) -> None:
        """The lot when it is still to be chosen, else the amount."""
        target = self.amount if self.chosen() is not None and self.lot.text().strip() else self.lot
        target.setFocus(Qt.FocusReason.ShortcutFocusReason)
        target.selectAll()

    # ---------------------------------------------------------------- reading
    def lot_text(self) -> str:
        """The lot the dose is from: the one chosen (typed in full, or highlighted in the list by
        what was typed), else the text as typed, for the register to refuse by name."""
        chosen = self.chosen()
        return chosen.lot if chosen is not None else self.lot.text().strip()

    def amount_text(self) -> str:
        return self.amount.text().strip()

    def chosen(self) -> LotSummary | None:
        """The lot the field names exactly, or else the one chosen in the list."""
        typed = self.lot.text().strip().casefold()
        exact = next((lot for lot in self.lots if lot.lot.casefold() == typed), None)
        if exact is not None:
            return exact
        item = self.matches.currentItem()
        wanted = None if item is None else item.data(Qt.ItemDataRole.UserRole)
        return next((lot for lot in self.lots if lot.lot == wanted), None)

    # ---------------------------------------------------------------- typing
    def _narrow(self, text: str) -> None:
        typed = text.strip().casefold()
        self.matches.clear()
        for lot in self.lots:
            if typed in lot.lot.casefold():
                item = QListWidgetItem(lot_words(lot))
                item.setToolTip(f"{lot.product}, lot {lot.lot}, from {lot.supplier}, expires {lot.expiry.isoformat()}")
                item.setData(Qt.ItemDataRole.UserRole, lot.lot)
                self.matches.addItem(item)
        if self.matches.count():
            self.matches.setCurrentRow(0)
        rows = max(1, min(LIST_ROWS, self.matches.count()))
        self.matches.setFixedHeight(rows * (self.matches.fontMetrics().height() + 6) + 4)
        self.matches.setVisible(bool(self.lots))
        self._say_mg()

    def _amount_edited(self, _text: str) -> None:
        self._amount_typed = True
        self._say_mg()

    def _fill_amount(self) -> None:
        """The planned mg in units of the chosen lot's strength (or every lot's, when they share one)."""
        if self._amount_typed:
            return
        lot = self.chosen()
        strengths = {lot.strength_mg for lot in self.lots}
        strength = lot.strength_mg if lot is not None else next(iter(strengths)) if len(strengths) == 1 else 0.0
        self.amount.setText(units_for(self.planned_mg, strength))
        self._say_mg()

    def _say_mg(self) -> None:
        lot = self.chosen()
        try:
            units = parse_quantity(self.amount_text()) if self.amount_text() else None
        except ValueError:
            units = None
        if lot is None or units is None:
            self.mg.setText("")
            return
        self.mg.setText(f"= {units / 100 * lot.strength_mg:g} mg of {lot.product}")

    def _take_chosen(self) -> None:
        lot = self.chosen()
        if lot is None:
            return
        self.lot.setText(lot.lot)
        self._narrow(lot.lot)
        self._fill_amount()
        self.amount.setFocus(Qt.FocusReason.OtherFocusReason)
        self.amount.selectAll()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if watched is self.lot:
                self._take_chosen()
            else:
                self.accepted.emit()
            return True  # never the vitals form's Enter (which saves a check-in)
        if watched is self.lot and key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and self.matches.count():
            step = -1 if key == Qt.Key.Key_Up else 1
            self.matches.setCurrentRow(max(0, min(self.matches.count() - 1, self.matches.currentRow() + step)))
            return True
        return False
