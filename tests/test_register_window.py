"""The supervisor's register window: lots and balances, expiring soon, discrepancies resolved with a
reason, a count, every movement; a supervisor signs in first where staff accounts exist."""
from __future__ import annotations

import sqlite3

import pytest
import shiboken6
from _people_helpers import SUPERVISOR_SECRET, THERAPIST_PIN, add_staff, audit_log, fast_people
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QLineEdit

from kaproom.services.stock import Person, Stock
from kaproom.store import DB_FILENAME
from kaproom.ui.people.signin import SignInDialog
from kaproom.ui.register import RegisterWindow, open_register

ANA = Person("Ana")


def _stocked(workspace) -> Stock:
    stock = Stock.of(workspace)
    for lot, units, expiry in (("K100-7", "30", "2026-12-31"), ("K100-3", "4", "2026-03-20"),
                               ("K50-1", "10", "2026-02-01")):
        stock.receive(ANA, product="ketamine", strength_mg="100" if lot.startswith("K100") else "50",
                      form="sublingual troche", lot=lot, expiry=expiry, supplier="Valley Compounding", quantity=units)
    stock.dispense(ANA, "K100-7", "1", session="3f2a9c1e-aaaa")
    stock.administer(ANA, "K100-7", "0.5", session="3f2a9c1e-aaaa")
    stock.waste(ANA, Person("Ben"), "K100-7", "0.5", session="3f2a9c1e-aaaa", reason="spat out")
    stock.count(ANA, "K100-3", "3")
    return stock


def _window(qtbot, stock: Stock, person: Person | None = None) -> RegisterWindow:
    window = RegisterWindow(stock, person)
    qtbot.addWidget(window)
    window.show()
    return window


def _cells(table, row: int) -> list[str]:
    return [table.item(row, column).text() for column in range(table.columnCount())]


def test_lots_expiring_discrepancies_and_movements_are_shown(qtbot, workspace, tmp_path):
    window = _window(qtbot, _stocked(workspace), Person("Sam", True))
    assert "intact: all 7 lines" in window.status.text()
    lots = {(_cells(window.lots_table, r))[0]: _cells(window.lots_table, r) for r in range(3)}
    assert lots["K100-7"][1] == "ketamine 100 mg sublingual troche" and lots["K100-7"][5:7] == ["29", "0"]
    assert lots["K100-3"][7] == "expires soon, 1 open discrepancy" and lots["K50-1"][7] == "EXPIRED"
    assert window.expiring_table.rowCount() == 2 and "Expiring soon (2" in window.tabs.tabText(1)
    assert _cells(window.discrepancy_table, 0)[:5] == ["7", "K100-3", "3", "4", "-1"]
    assert "1 open" in window.tabs.tabText(2)
    newest = _cells(window.movement_table, 0)
    assert newest[3] == "Counted" and "DISCREPANCY -1" in newest[9] and newest[5:7] == ["4", "0"]
    waste = _cells(window.movement_table, 1)
    assert waste[3] == "Wasted" and waste[8] == "Ben (unverified)" and "spat out" in waste[9]
    window.tabs.setCurrentIndex(0)
    window.grab().save(str(tmp_path / "register-window.png"))


def test_a_supervisor_resolves_a_discrepancy_with_a_reason(qtbot, workspace):
    stock = _stocked(workspace)
    window = _window(qtbot, stock, Person("Sam", True))
    window.tabs.setCurrentIndex(2)
    qtbot.mouseClick(window.resolve_button, Qt.MouseButton.LeftButton)
    assert "reason required" in window.resolve_message.text() and stock.open_discrepancies()
    window.reason_input.setText("one broken troche found in the bin, not recorded")
    window.accept_box.setChecked(True)
    qtbot.mouseClick(window.resolve_button, Qt.MouseButton.LeftButton)
    assert "resolved" in window.resolve_message.text() and stock.open_discrepancies() == []
    assert window.discrepancy_table.rowCount() == 0 and window.reason_input.text() == ""
    assert {lot.lot: lot.stock for lot in stock.lots()}["K100-3"] == 300
    assert stock.state().lines[-1].movement.by == "Sam" and stock.state().lines[-1].movement.by_verified


def test_a_count_is_recorded_for_the_selected_lot_and_bad_input_is_kept(qtbot, workspace):
    stock = _stocked(workspace)
    window = _window(qtbot, stock)  # no staff accounts: the name is typed
    assert window.name_input.isVisible()
    row = next(r for r in range(3) if window.lots_table.item(r, 0).text() == "K100-7")
    window.lots_table.selectRow(row)
    window.count_input.setText("lots")
    qtbot.mouseClick(window.count_button, Qt.MouseButton.LeftButton)
    assert "By (your name)" in window.count_message.text()  # nobody named yet
    window.name_input.setText("Ana")
    qtbot.mouseClick(window.count_button, Qt.MouseButton.LeftButton)
    assert "not a number of units" in window.count_message.text() and window.count_input.text() == "lots"
    window.count_input.setText("29")
    qtbot.keyClick(window.count_input, Qt.Key.Key_Return)
    assert "agrees with the register" in window.count_message.text() and window.count_input.text() == ""
    assert stock.register.count() == 8 and _cells(window.movement_table, 0)[7] == "Ana (unverified)"


def test_a_hand_edited_register_is_said_first(qtbot, workspace):
    stock = _stocked(workspace)
    conn = sqlite3.connect(workspace.folder / DB_FILENAME)
    conn.execute("DROP TRIGGER register_no_update")
    conn.execute("UPDATE register SET payload=replace(payload, '\"quantity\":30', '\"quantity\":40') WHERE seq=1")
    conn.commit()
    conn.close()
    window = _window(qtbot, stock)
    assert window.status.text().startswith("NOT INTACT") and "stock register" in window.status.text()


@pytest.mark.parametrize(("name", "secret", "opens"), [("Sam", SUPERVISOR_SECRET, True),
                                                        ("Teo", THERAPIST_PIN, False)])
def test_with_staff_accounts_only_a_supervisor_opens_it(qtbot, workspace, name, secret, opens):
    people = fast_people(workspace)
    add_staff(people)
    _stocked(workspace)

    def run(dialog) -> bool:
        qtbot.addWidget(dialog)
        assert isinstance(dialog, SignInDialog)
        if dialog.name_edit.text():  # refused once: cancel
            return False
        dialog.name_edit.setText(name)
        dialog.secret_edit.setText(secret)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        return dialog.user is not None

    window = open_register(workspace, run=run, people=people)
    if not opens:
        assert window is None
        return
    qtbot.addWidget(window)
    assert window.person == Person("Sam", True) and not window.findChild(QLineEdit, "registerName").isVisible()


def test_the_home_page_opens_the_register(qtbot, workspace):
    from kaproom.ui.shell.launcher import Launcher
    from kaproom.ui.shell.wiring import make_launcher
    _stocked(workspace)
    home = Launcher(workspace).show_home()  # a launcher without it (the demo's) offers no button
    qtbot.addWidget(home)
    assert home.stock_register_button is None
    launcher = make_launcher(workspace, demo=False, extensions=())
    home = launcher.show_home()
    qtbot.addWidget(home)
    qtbot.mouseClick(home.stock_register_button, Qt.MouseButton.LeftButton)
    (window,) = [w for w in launcher._extra_windows if isinstance(w, RegisterWindow)]
    qtbot.addWidget(window)
    assert window.isVisible() and window.lots_table.rowCount() == 3 and window.person is None
    qtbot.addWidget(launcher.show_home())  # the home page is replaced (as when a session starts)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert shiboken6.isValid(window) and window.isVisible()  # the register stays open
    assert make_launcher(workspace, demo=True, extensions=()).stock_register is None


def test_the_dispensing_log_is_saved_from_the_window_and_audited(qtbot, workspace, tmp_path):
    people = fast_people(workspace)
    staff = add_staff(people)
    stock = _stocked(workspace)
    asked: list[str] = []

    def ask(fmt, suggested, name_filter):
        asked.append(fmt)
        return str(tmp_path / f"log.{fmt}")

    window = RegisterWindow(stock, Person.of(staff["supervisor"]), people=people, user=staff["supervisor"],
                            ask_path=ask)
    qtbot.addWidget(window)
    window.show()
    window.tabs.setCurrentIndex(3)
    window.from_input.setText("2026-13-01")
    qtbot.mouseClick(window.report_buttons["pdf"], Qt.MouseButton.LeftButton)
    assert "not a date" in window.report_message.text() and asked == []  # typed stays, nothing asked
    assert window.from_input.text() == "2026-13-01"
    window.from_input.setText("2026-03-02")
    qtbot.mouseClick(window.report_buttons["pdf"], Qt.MouseButton.LeftButton)
    assert "Saved 7 lines" in window.report_message.text()
    assert (tmp_path / "log.pdf").read_bytes().startswith(b"%PDF")
    qtbot.mouseClick(window.report_buttons["csv"], Qt.MouseButton.LeftButton)
    assert (tmp_path / "log.csv").read_text(encoding="utf-8-sig").count("\n") == 8
    entries = audit_log(people, ("stock_report_exported",))
    assert [e.payload["format"] for e in entries] == ["csv", "pdf"] and entries[0].author == "Sam"


def test_a_delivery_is_received_from_the_window_and_a_bad_one_keeps_what_was_typed(qtbot, workspace):
    stock = _stocked(workspace)
    window = _window(qtbot, stock, Person("Sam", True))
    window.tabs.setCurrentIndex(4)
    typed = {"product": "ketamine", "strength": "100", "form": "sublingual troche", "lot": "K100-9",
             "expiry": "31.12.2027", "supplier": "Valley Compounding", "quantity": "24"}
    for key, text in typed.items():
        window.receive_fields[key].setText(text)
    qtbot.mouseClick(window.receive_button, Qt.MouseButton.LeftButton)
    assert "rule: date not valid" in window.receive_message.text()
    assert {key: field.text() for key, field in window.receive_fields.items()} == typed
    window.receive_fields["expiry"].setText("2027-12-31")
    qtbot.keyClick(window.receive_fields["quantity"], Qt.Key.Key_Return)
    assert "Delivery recorded" in window.receive_message.text() and "24 in stock" in window.receive_message.text()
    assert window.receive_fields["lot"].text() == "" and window.receive_fields["product"].text() == "ketamine"
    assert window.lots_table.rowCount() == 4 and stock.state().lines[-1].movement.by == "Sam"
