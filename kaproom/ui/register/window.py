"""The supervisor's register window: lots and their balances, what expires soon, the open count
discrepancies (resolved here, with a reason), a physical count, a delivery received, and every
movement with the balances after it (saved as the inspector's log).

It shows whether the register's chain is intact first, so a reader knows whether to trust the
tables. Nothing here edits a line: the register only grows (a correction is an adjustment, a
count's difference is resolved by a new line).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kaproom.domain.people import User
from kaproom.domain.register import Discrepancy, Line, MovementKind, RegisterState, quantity_text
from kaproom.domain.vocabulary import UNVERIFIED, movement_word
from kaproom.export.stock_report import save_stock_report
from kaproom.services.people import People
from kaproom.services.stock import (
    EXPIRING_SOON_DAYS,
    LotSummary,
    Person,
    Stock,
    local_time,
    movement_details,
    typed_person,
)
from kaproom.ui.kit.buttons import make_button
from kaproom.ui.kit.errors import run_guarded, say
from kaproom.ui.kit.labels import make_label
from kaproom.ui.kit.screen_fit import fit_to_screen

AskPath = Callable[[str, str, str], "str | None"]  # (format, suggested path, filter) -> chosen path or None


def ask_with_dialog(parent: QWidget) -> AskPath:
    def ask(fmt: str, suggested: str, name_filter: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(parent, f"Save the dispensing log as {fmt.upper()}", suggested,
                                              name_filter)
        return path or None
    return ask

LOT_COLUMNS = ("Lot", "Product", "Expiry", "Supplier", "Received", "In stock", "Out", "State")
MOVEMENT_COLUMNS = ("No.", "When", "Lot", "Movement", "Units", "In stock after", "Out after", "By", "Witness",
                    "Details")
PREFERRED_SIZE = (1400, 860)
DISCREPANCY_COLUMNS = ("Count no.", "Lot", "Counted", "Register said", "Difference", "Counted by", "When")


def _person_text(name: str, verified: bool) -> str:
    return name if verified or not name else f"{name} ({UNVERIFIED})"


def lot_state(lot: LotSummary) -> str:
    words = ["EXPIRED" if lot.expired else "expires soon" if lot.expiring_soon else ""]
    if lot.open_discrepancies:
        words.append(f"{lot.open_discrepancies} open discrepanc{'y' if lot.open_discrepancies == 1 else 'ies'}")
    return ", ".join(word for word in words if word)


def _table(name: str, columns: Sequence[str]) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(columns))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move in it
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _input(name: str, hint: str, accessible: str = "") -> QLineEdit:
    """A line to type in, named ``name``, showing ``hint`` while empty; ``accessible`` is what a
    screen reader calls it (left to Qt when empty)."""
    field = QLineEdit()
    field.setObjectName(name)
    field.setPlaceholderText(hint)
    if accessible:
        field.setAccessibleName(accessible)
    return field


def _page(table: QTableWidget, *below: QWidget) -> QWidget:
    """A tab: the table, taking the room, over what acts on its selected row."""
    page = QWidget()
    column = QVBoxLayout(page)
    column.addWidget(table, 1)
    for widget in below:
        column.addWidget(widget)
    return page


def _fill(table: QTableWidget, rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            item = QTableWidgetItem(value)
            item.setToolTip(value)
            if c in right:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()


class RegisterWindow(QMainWindow):
    """The register for ``person`` (a signed-in supervisor); ``None`` on a computer without staff
    accounts, where whoever records a count or a resolution types their name (marked unverified)."""

    def __init__(self, stock: Stock, person: Person | None, parent: QWidget | None = None, *,
                 people: People | None = None, user: User | None = None, ask_path: AskPath | None = None) -> None:
        """``people`` and ``user`` record a saved log in the audit trail; ``ask_path`` asks where to
        save it (a file dialog by default)."""
        super().__init__(parent)
        self.setObjectName("registerWindow")
        self.setWindowTitle("KAP Room: controlled-substance register")
        self.stock, self.person, self.people, self.user = stock, person, people, user
        self.ask_path: AskPath = ask_path or ask_with_dialog(self)
        self.state = RegisterState()
        self.lot_numbers: list[str] = []
        self.open_ones: list[Discrepancy] = []
        self.status = make_label("registerStatus", wrap=True)
        self.who = QLabel(f"Recording as {person.name}." if person else
                          f"No staff accounts here: your name is recorded as typed, marked {UNVERIFIED}.")
        self.who.setObjectName("registerWho")
        self.who.setProperty("muted", "true")
        self.name_input = _input("registerName", "your name", "Your name")
        self.name_input.setVisible(person is None)
        self.refresh_button = make_button("registerRefresh", "Refresh", on_click=self.refresh)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("registerTabs")
        self.lots_table = _table("registerLots", LOT_COLUMNS)
        self.expiring_table = _table("registerExpiring", LOT_COLUMNS)
        self.discrepancy_table = _table("registerDiscrepancies", DISCREPANCY_COLUMNS)
        self.movement_table = _table("registerMovements", MOVEMENT_COLUMNS)
        self.tabs.addTab(self._lots_page(), "&Lots and balances")
        self.tabs.addTab(self.expiring_table, "&Expiring soon")
        self.tabs.addTab(self._discrepancy_page(), "&Discrepancies")
        self.tabs.addTab(self._movements_page(), "&Movements")
        self.tabs.addTab(self._receive_page(), "Recei&ve a delivery")

        top = QHBoxLayout()
        top.addWidget(self.who, 1)
        top.addWidget(self.name_input)
        top.addWidget(self.refresh_button)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(self.status)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(content)
        fit_to_screen(self, PREFERRED_SIZE)
        self.refresh()

    # ------------------------------------------------------------------ pages
    def _lots_page(self) -> QWidget:
        box = QGroupBox("Record a physical count of the selected lot")
        form = QFormLayout(box)
        self.count_input = _input("registerCountInput", "units counted, e.g. 28 or 27.5")
        self.count_button = make_button("registerCount", "Record the &count", on_click=self._count)
        self.count_input.returnPressed.connect(self._count)
        row = QHBoxLayout()
        row.addWidget(self.count_input, 1)
        row.addWidget(self.count_button)
        form.addRow("Counted:", row)
        self.count_message = make_label("registerCountMessage", wrap=True)
        form.addRow(self.count_message)
        return _page(self.lots_table, box)

    def _movements_page(self) -> QWidget:
        box = QGroupBox("The dispensing log for an inspector (every movement with the balances after it)")
        row = QHBoxLayout(box)
        self.from_input = _input("registerReportFrom", "from YYYY-MM-DD",
                                 "First day, YYYY-MM-DD (blank: the first line)")
        self.to_input = _input("registerReportTo", "to YYYY-MM-DD", "Last day, YYYY-MM-DD (blank: the last line)")
        for field in (self.from_input, self.to_input):
            field.setToolTip(field.accessibleName())
            row.addWidget(field, 1)
        self.report_buttons: dict[str, QPushButton] = {}
        for fmt, text in (("pdf", "Save as &PDF…"), ("csv", "Save as C&SV…")):
            button = make_button(f"registerReport_{fmt}", text, on_click=partial(self._save_report, fmt))
            row.addWidget(button)
            self.report_buttons[fmt] = button
        self.report_message = make_label("registerReportMessage", wrap=True)
        return _page(self.movement_table, box, self.report_message)

    def _save_report(self, fmt: str) -> None:
        start, end = self.from_input.text().strip() or None, self.to_input.text().strip() or None
        if run_guarded(self.report_message, lambda: self.stock.period(start, end)) is None:
            return
        path = self.ask_path(fmt, str(Path.home() / f"kaproom-register.{fmt}"),
                             "PDF (*.pdf)" if fmt == "pdf" else "CSV (*.csv)")
        if not path:
            return
        people = self.people or People(self.stock.register.store, self.stock.clock)
        run_guarded(self.report_message,
                    lambda: save_stock_report(self.stock, people, self.user, start, end, fmt, path, replace=True),
                    lambda report: say(self.report_message, f"Saved {len(report.lines)} lines ({report.period}) "
                                                            f"to {path}.", "ok"))

    def _receive_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.receive_fields: dict[str, QLineEdit] = {}
        for key, label, hint in (("product", "Product:", "e.g. ketamine"),
                                 ("strength", "Strength (mg per unit):", "e.g. 100"),
                                 ("form", "Form:", "e.g. sublingual troche"),
                                 ("lot", "Lot number:", "as printed on the package"),
                                 ("expiry", "Expiry:", "YYYY-MM-DD"),
                                 ("supplier", "Supplier or pharmacy:", "who delivered it"),
                                 ("quantity", "Units received:", "e.g. 30")):
            field = _input(f"registerReceive_{key}", hint, label.rstrip(":"))
            field.returnPressed.connect(self._receive)
            form.addRow(label, field)
            self.receive_fields[key] = field
        self.receive_button = make_button("registerReceive", "&Record the delivery", on_click=self._receive)
        form.addRow(self.receive_button)
        self.receive_message = make_label("registerReceiveMessage", wrap=True)
        form.addRow(self.receive_message)
        return page

    def _receive(self) -> None:
        typed = {key: field.text() for key, field in self.receive_fields.items()}
        run_guarded(self.receive_message, lambda: self.stock.receive(
            self._who(), product=typed["product"], strength_mg=typed["strength"], form=typed["form"],
            lot=typed["lot"], expiry=typed["expiry"], supplier=typed["supplier"], quantity=typed["quantity"]),
            self._received)

    def _received(self, line: Line) -> None:
        for key in ("lot", "expiry", "quantity"):  # the next delivery is often the same product
            self.receive_fields[key].clear()
        self.refresh()
        say(self.receive_message, f"Delivery recorded (line {line.seq}): lot {line.movement.lot}, "
                                  f"{quantity_text(line.movement.quantity)} units; "
                                  f"{quantity_text(line.after.stock)} in stock.", "ok")

    def _discrepancy_page(self) -> QWidget:
        box = QGroupBox("Resolve the selected discrepancy (a supervisor)")
        form = QFormLayout(box)
        self.reason_input = _input("registerResolveReason", "why: what the recount or the search found")
        form.addRow("Reason:", self.reason_input)
        self.accept_box = QCheckBox("The count was right: move the stock balance to it")
        self.accept_box.setObjectName("registerAcceptCount")
        form.addRow(self.accept_box)
        self.resolve_button = make_button("registerResolve", "&Resolve", on_click=self._resolve)
        form.addRow(self.resolve_button)
        self.resolve_message = make_label("registerResolveMessage", wrap=True)
        form.addRow(self.resolve_message)
        return _page(self.discrepancy_table, box)

    # ------------------------------------------------------------------ showing
    def refresh(self) -> None:
        run_guarded(self.status, self.stock.state, self._show)

    def _show(self, state: RegisterState) -> None:
        self.state = state
        reports = self.stock.register.verify()
        broken = [r for r in reports if not r.intact]
        if broken:
            say(self.status, "NOT INTACT: " + " · ".join(r.describe() for r in broken)
                + ". Do not rely on these balances; tell your supervisor and run `kaproom verify`.", "error")
        elif reports:
            say(self.status, f"The register is intact: all {reports[0].events} lines match their hashes.", "ok")
        else:
            say(self.status, "The register is empty. Deliveries are recorded with `kaproom stock receive`.", "info")
        lots = self.stock.lots(state)
        self.lot_numbers = [lot.lot for lot in lots]
        _fill(self.lots_table, [self._lot_row(lot) for lot in lots], right=(4, 5, 6))
        soon = [lot for lot in lots if (lot.expired or lot.expiring_soon) and (lot.stock or lot.out)]
        _fill(self.expiring_table, [self._lot_row(lot) for lot in soon], right=(4, 5, 6))
        self.tabs.setTabText(1, f"&Expiring soon ({len(soon)}, {EXPIRING_SOON_DAYS} days)")
        self.open_ones = state.open_discrepancies()
        _fill(self.discrepancy_table, [[str(d.seq), d.lot, quantity_text(d.counted), quantity_text(d.expected),
                                        quantity_text(d.difference), d.by, local_time(d.at)]
                                       for d in self.open_ones], right=(2, 3, 4))
        self.tabs.setTabText(2, f"&Discrepancies ({len(self.open_ones)} open)")
        _fill(self.movement_table, [self._movement_row(line) for line in reversed(state.lines)],  # newest first
              right=(0, 4, 5, 6))
        if self.lots_table.rowCount() and not self.lots_table.selectedItems():
            self.lots_table.selectRow(0)
        if self.discrepancy_table.rowCount() and not self.discrepancy_table.selectedItems():
            self.discrepancy_table.selectRow(0)

    @staticmethod
    def _movement_row(line: Line) -> list[str]:
        m = line.movement
        return [str(line.seq), local_time(m.at), m.lot, movement_word(m.kind),
                "" if m.kind == MovementKind.RESOLVED else quantity_text(m.quantity), quantity_text(line.after.stock),
                quantity_text(line.after.out), _person_text(m.by, m.by_verified),
                _person_text(m.witness, m.witness_verified), movement_details(line)]

    @staticmethod
    def _lot_row(lot: LotSummary) -> list[str]:
        return [lot.lot, lot.product, lot.expiry.isoformat(), lot.supplier, quantity_text(lot.received),
                quantity_text(lot.stock), quantity_text(lot.out), lot_state(lot)]

    # ------------------------------------------------------------------ recording
    def _count(self) -> None:
        row = self.lots_table.currentRow()
        if row < 0 or row >= len(self.lot_numbers):
            say(self.count_message, "Choose the lot you counted in the table first.")
            return
        lot, typed = self.lot_numbers[row], self.count_input.text()
        run_guarded(self.count_message, lambda: self.stock.count(self._who(), lot, typed), self._counted)

    def _counted(self, line: Line) -> None:
        m = line.movement
        self.count_input.clear()
        self.refresh()
        if m.quantity == m.expected:
            say(self.count_message, f"Count recorded (line {line.seq}): lot {m.lot} agrees with the register.", "ok")
        else:
            say(self.count_message, f"Count recorded (line {line.seq}): DISCREPANCY of "
                                    f"{quantity_text(m.quantity - m.expected)} in lot {m.lot}. It stays open until a "
                                    "supervisor resolves it (Discrepancies).", "caution")

    def _resolve(self) -> None:
        row = self.discrepancy_table.currentRow()
        if row < 0 or row >= len(self.open_ones):
            say(self.resolve_message, "There is no open discrepancy chosen.")
            return
        seq, reason, accept = self.open_ones[row].seq, self.reason_input.text(), self.accept_box.isChecked()
        run_guarded(self.resolve_message, lambda: self.stock.resolve(self._who(), seq, reason, accept),
                    self._resolved)

    def _who(self) -> Person:
        return self.person or typed_person(self.name_input.text())

    def _resolved(self, line: Line) -> None:
        self.reason_input.clear()
        self.accept_box.setChecked(False)
        self.refresh()
        say(self.resolve_message, f"Discrepancy {line.movement.resolves} resolved (line {line.seq}); lot "
                                  f"{line.movement.lot} has {quantity_text(line.after.stock)} in stock.", "ok")
