"""The inspector's dispensing log (kaproom.export.stock_report): a period's lines with the balances
after each, each lot's opening and closing stock, and the register's head; CSV and PDF."""
from __future__ import annotations

import csv
import io
import subprocess

import pytest
from _register_helpers import receive

from kaproom.domain.register import Balance
from kaproom.export.stock_report import build_report, opening_and_closing, render_stock_csv, render_stock_pdf
from kaproom.services.stock import Person, Stock

ANA, BEN = Person("Ana", True), Person("Ben", True)
DAY = 24 * 3600


pytestmark = pytest.mark.usefixtures("days_in_utc")  # report days are local dates: UTC's here


def _three_days(workspace) -> Stock:
    stock = Stock.of(workspace)
    receive(stock, "K1", "10", by=ANA)
    workspace.clock.advance(DAY)
    stock.give_dose(ANA, "K1", dispensed="1", administered="0.5", wasted="0.5", witness=BEN, session="s-day2")
    workspace.clock.advance(DAY)
    stock.give_dose(ANA, "K1", dispensed="2", administered="1", session="s-day3")
    return stock


def test_a_period_in_the_middle_has_opening_and_closing_balances(workspace) -> None:
    stock = _three_days(workspace)
    state = stock.state()
    first, last = stock.period("2026-03-03", "2026-03-03")
    report = build_report(state, stock.report(first, last, state), first, last)
    assert [line.movement.kind for line in report.lines] == ["dispensed", "administered", "wasted"]
    assert opening_and_closing(report)["K1"] == (Balance(1000, 0), Balance(900, 0))
    assert report.head_seq == 6 and report.head_hash == state.lines[-1].hash and report.period == \
        "2026-03-03 to 2026-03-03"
    rows = list(csv.DictReader(io.StringIO(render_stock_csv(report).decode("utf-8-sig"))))
    assert [(r["movement"], r["quantity_units"], r["quantity_mg"], r["witness"], r["in_stock_after"],
             r["out_after"]) for r in rows] == [("dispensed", "1", "100", "", "9", "1"),
                                                ("administered", "0.5", "50", "", "9", "0.5"),
                                                ("wasted", "0.5", "50", "Ben", "9", "0")]
    assert rows[0]["by_verified"] == "yes" and rows[0]["session"] == "s-day2" and rows[0]["hash"] == state.lines[1].hash


def test_the_pdf_reads_as_a_register(qapp, workspace, tmp_path) -> None:
    stock = _three_days(workspace)
    stock.count(ANA, "K1", "6")
    state = stock.state()
    report = build_report(state, stock.report(None, None, state), None, None, stock.now())
    path = tmp_path / "register.pdf"
    path.write_bytes(render_stock_pdf(report))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    for words in ("dispensing log", "Period: every line", "ketamine 100 mg sublingual troche", "Wasted",
                  "Open discrepancies", "DISCREPANCY -1", "page 1 of 1", state.lines[-1].hash[:16]):
        assert words in text, words
