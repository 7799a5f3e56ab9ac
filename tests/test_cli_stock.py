"""`kaproom stock receive|count|adjust|destroy|resolve|list|report`: the register at the command line."""
from __future__ import annotations

import csv
import io
import json
import subprocess

import pytest
from _people_helpers import SUPERVISOR_SECRET, THERAPIST_PIN, add_staff, audit_log, fast_people, run

from kaproom.services.workspace import Workspace

RECEIVE = ("stock", "receive", "--product", "ketamine", "--strength", "100", "--form", "sublingual troche",
           "--supplier", "Valley Compounding")


def receive(monkeypatch, capsys, lot: str = "K1", units: str = "30", expiry: str = "2099-12-31", **kw):
    by = () if kw.get("user") else ("--by", "Ana")
    return run(monkeypatch, capsys, *RECEIVE, "--lot", lot, "--expiry", expiry, "--quantity", units, *by, **kw)


def test_without_staff_accounts_every_command_works_and_names_are_unverified(data_dir, monkeypatch, capsys, tmp_path):
    code, out, err = receive(monkeypatch, capsys)
    assert code == 0 and "Received 30 · lot K1 · by Ana (unverified)" in out and "In stock now 30" in out
    code, out, err = run(monkeypatch, capsys, "stock", "count", "K1", "29", "--by", "Ana", "--json")
    line = json.loads(out)
    assert code == 0 and line["movement"] == "counted" and line["expected"] == "30" and "DISCREPANCY" in err
    code, out, err = run(monkeypatch, capsys, "stock", "destroy", "K1", "1", "--witness", "Ben", "--by", "Ana",
                         "--reason", "crumbled", "--json")
    assert code == 0 and json.loads(out)["witness_verified"] is False and json.loads(out)["in_stock_after"] == "29"
    code, out, err = run(monkeypatch, capsys, "stock", "adjust", "K1", "-0.5", "--reason", "chipped", "--by", "Ana")
    assert code == 0 and "In stock now 28.5" in out
    code, out, err = run(monkeypatch, capsys, "stock", "resolve", "2", "--reason", "recount agreed",
                         "--keep-register", "--by", "Sue")
    assert code == 0 and "Discrepancy resolved" in out
    code, out, err = run(monkeypatch, capsys, "stock", "list", "--json")
    listed = json.loads(out)
    assert listed["lots"][0]["in_stock"] == "28.5" and listed["open_discrepancies"] == []
    code, out, err = run(monkeypatch, capsys, "stock", "list")
    assert code == 0 and "ketamine 100 mg sublingual troche" in out and "28.5" in out
    code, out, err = run(monkeypatch, capsys, "verify")
    assert code == 0 and "stock register: intact (5 events)" in out


@pytest.mark.parametrize(("argv", "says"), [
    (("stock", "count", "NOPE", "3", "--by", "Ana"), "rule: unknown lot"),
    (("stock", "destroy", "K1", "1", "--witness", "ana", "--by", "Ana"), "rule: witness must be another person"),
    (("stock", "destroy", "K1", "31", "--witness", "Ben", "--by", "Ana"), "rule: amount larger than the balance"),
    (("stock", "destroy", "K1", "0", "--witness", "Ben", "--by", "Ana"), "rule: amount must be more than zero"),
    (("stock", "destroy", "K1", "lots", "--witness", "Ben", "--by", "Ana"), "rule: amount not a number of units"),
    (("stock", "adjust", "K1", "2", "--reason", " ", "--by", "Ana"), "rule: reason required"),
    (("stock", "count", "K1", "3"), "--by NAME"),
    (("stock", "resolve", "9", "--reason", "x", "--accept-count", "--by", "Sue"), "rule: no such open discrepancy"),
    ((*RECEIVE, "--lot", "K2", "--expiry", "tomorrow", "--quantity", "2", "--by", "Ana"), "rule: date not valid"),
    (("stock", "report", "--from", "2026-12-31", "--to", "2026-01-01"), "is after To"),
    (("stock", "report", "--format", "pdf"), "-o FILE"),
])
def test_bad_input_gets_one_line_and_exit_2_and_records_nothing(data_dir, monkeypatch, capsys, argv, says):
    assert receive(monkeypatch, capsys)[0] == 0
    code, out, err = run(monkeypatch, capsys, *argv)
    assert code == 2 and says in err and "Traceback" not in err and out == ""
    assert json.loads(run(monkeypatch, capsys, "stock", "list", "--json")[1])["lots"][0]["in_stock"] == "30"
    code, out, _ = run(monkeypatch, capsys, "stock", "report", "--json")
    assert len(json.loads(out)) == 1


def test_an_expired_lot_is_flagged_in_the_list(data_dir, monkeypatch, capsys):
    assert receive(monkeypatch, capsys, lot="OLD", expiry="2001-01-31")[0] == 0
    code, out, err = run(monkeypatch, capsys, "stock", "list")
    assert "EXPIRED" in out
    assert json.loads(run(monkeypatch, capsys, "stock", "list", "--json")[1])["lots"][0]["expired"] is True


def test_report_csv_and_pdf_for_an_inspector(qapp, data_dir, monkeypatch, capsys, tmp_path):
    receive(monkeypatch, capsys)
    run(monkeypatch, capsys, "stock", "adjust", "K1", "-1", "--reason", "=HYPERLINK(evil)", "--by", "Ana")
    target = tmp_path / "log.csv"
    code, out, err = run(monkeypatch, capsys, "stock", "report", "--from", "2000-01-01", "--to", "2099-12-31",
                         "--format", "csv", "-o", str(target), "--json")
    assert code == 0 and json.loads(out)["lines"] == 2
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert [(r["movement"], r["quantity_units"], r["in_stock_after"]) for r in rows] == [
        ("received", "30", "30"), ("adjusted", "-1", "29")]
    assert rows[0]["quantity_mg"] == "3000" and rows[1]["reason"] == "'=HYPERLINK(evil)"
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert run(monkeypatch, capsys, "stock", "report", "-o", str(target))[0] == 2  # never over a file unasked
    pdf = tmp_path / "log.pdf"
    code, out, err = run(monkeypatch, capsys, "stock", "report", "--format", "pdf", "-o", str(pdf))
    assert code == 0 and pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Controlled-substance register" in text and "Valley Compounding" in text and "page 1 of 1" in text
    assert "Ana (unverified)" in text
    code, out, err = run(monkeypatch, capsys, "stock", "report", "--from", "2000-01-01", "--to", "2000-01-02")
    assert code == 0 and out.count("\n") == 1  # the heading row only


@pytest.fixture
def staffed(data_dir, clock):
    with Workspace(data_dir, clock) as workspace:
        add_staff(fast_people(workspace))
    return data_dir


def test_with_staff_accounts_people_sign_in_and_witnesses_type_their_own_pin(staffed, monkeypatch, capsys):
    code, out, err = receive(monkeypatch, capsys, user="Teo", stdin=f"{THERAPIST_PIN}\n")
    assert code == 0 and "by Teo ·" in out and "unverified" not in out
    code, out, err = run(monkeypatch, capsys, "stock", "destroy", "K1", "1", "--witness", "Sam", "--json",
                         user="Teo", stdin=f"{THERAPIST_PIN}\n{SUPERVISOR_SECRET}\n")
    line = json.loads(out)
    assert code == 0 and line["by_verified"] is True and line["witness"] == "Sam" and line["witness_verified"] is True
    code, out, err = run(monkeypatch, capsys, "stock", "destroy", "K1", "1", "--witness", "Sam", user="Teo",
                         stdin=f"{THERAPIST_PIN}\nwrong secret here\n")
    assert code == 2 and "do not match" in err
    code, out, err = run(monkeypatch, capsys, "stock", "adjust", "K1", "-1", "--reason", "x", user="Teo",
                         stdin=f"{THERAPIST_PIN}\n")
    assert code == 2 and "supervisor" in err
    code, out, err = run(monkeypatch, capsys, "stock", "adjust", "K1", "-1", "--reason", "chipped", user="Sam",
                         stdin=f"{SUPERVISOR_SECRET}\n")
    assert code == 0 and "In stock now 28" in out
    code, out, err = run(monkeypatch, capsys, "stock", "count", "K1", "5", "--by", "Sam", user="Teo",
                         stdin=f"{THERAPIST_PIN}\n")
    assert code == 2 and "names someone else" in err
    code, out, err = run(monkeypatch, capsys, "stock", "list", user="Teo", stdin="000000\n")
    assert code == 2 and "do not match" in err
    code, out, err = run(monkeypatch, capsys, "stock", "report", "-o", str(staffed / "x.csv"), user="Teo",
                         stdin=f"{THERAPIST_PIN}\n")
    assert code == 2 and not (staffed / "x.csv").exists()  # a therapist does not export the register
    code, out, err = run(monkeypatch, capsys, "stock", "report", "-o", str(staffed / "x.csv"), user="Sam",
                         stdin=f"{SUPERVISOR_SECRET}\n")
    assert code == 0
    with Workspace(staffed) as workspace:
        (entry,) = audit_log(fast_people(workspace), ("stock_report_exported",))
    assert entry.author == "Sam" and entry.payload["lines"] == 3 and entry.payload["format"] == "csv"
