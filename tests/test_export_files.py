"""Export files as a supervisor gets them: the PDF's text and pages, the CSV in a spreadsheet's
eyes, owner-only files, the export recorded in the audit trail (not the session), clear failures."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import unicodedata

import pytest
from _export_helpers import finished_session
from _fault_support import NOBODY, in_child, limit_file_size
from _people_helpers import add_staff, fast_people
from pypdf import PdfReader

from kaproom.cli.main import main
from kaproom.domain.events import Kind
from kaproom.domain.people import AuditKind
from kaproom.export.csv_export import COLUMNS, render_csv
from kaproom.export.output import ExportError, write_private
from kaproom.export.pdf import render_pdf
from kaproom.export.report_data import gather
from kaproom.export.session_export import export_session
from kaproom.services.people import AccessRefused, People
from kaproom.store import NotFound


@pytest.fixture
def session(tmp_path):
    workspace, uid = finished_session(tmp_path / "room")
    yield workspace, uid
    workspace.close()


def pdf_text(data: bytes) -> tuple[int, list[str]]:
    reader = PdfReader(io.BytesIO(data))
    pages = [" ".join(unicodedata.normalize("NFKC", page.extract_text() or "").split()) for page in reader.pages]
    return len(reader.pages), pages


def test_pdf_has_the_report_on_numbered_pages(qapp, session):
    workspace, uid = session
    count, pages = pdf_text(render_pdf(gather(workspace, uid), "2026-03-03T10:00:00.000Z"))
    assert count >= 2
    first, everything = pages[0], " ".join(pages)
    for expected in ("Session report", "CONTAINS HEALTH INFORMATION", "KAP-0042", "Ana Ruiz", "Short check, 12 min",
                     "Record integrity: intact. All 25 events", "Signed off by Dr Supervisor", "Vitals",
                     "Systolic", "Dose", "Session time (h:mm)", "184/101", "URGENT",
                     "baseline, before the dose"):
        assert expected in first, expected
    for expected in ("Rechecked manually, informed doctor", "Walks steadily", "[ ] NO",
                     "Walks with a stick normally", "Timeline", "Eyeshades on; breathing slow — «ça va».",
                     "[amended by event 22]", "Amends event 10 (note): Eyeshades on at 4:20, not 4:30.",
                     "Reviewed; BP peak handled well."):
        assert expected in everything, expected
    for number, text in enumerate(pages, start=1):
        assert f"page {number} of {count}" in text
        assert "Contains health information" in text


def test_pdf_prints_the_head_hash_so_a_printed_copy_witnesses_the_record(qapp, session):
    workspace, uid = session
    last = workspace.store.events(uid)[-1]
    _, pages = pdf_text(render_pdf(gather(workspace, uid)))
    first = pages[0].replace(" ", "")  # the full hash may be broken across lines
    assert f"Head of the record: event {last.seq}, hash {last.hash[:16]}." in pages[0]
    assert f"Fullheadhash(SHA-256)ofevent{last.seq}:{last.hash}" in first


def test_pdf_names_a_broken_record_and_late_amendments(qapp, session, tmp_path):
    from _review_helpers import tamper_payload

    from kaproom.domain.events import Event
    from kaproom.store import DB_FILENAME
    workspace, uid = session
    note = workspace.store.events(uid, (Kind.NOTE,))[0]
    workspace.store.append(uid, Event(Kind.AMENDMENT, {"amends_seq": note.seq, "amends_kind": "note",
                                                       "text": "after the fact"}, 750.0,
                                      "2026-03-05T10:00:00.000Z", "Ana Ruiz", "integration"))
    _, pages = pdf_text(render_pdf(gather(workspace, uid)))
    assert "AFTER SIGN-OFF: Amends event 10" in " ".join(pages)
    tamper_payload(tmp_path / "room" / DB_FILENAME, uid, note.seq, '{"text": "nothing happened"}')
    _, pages = pdf_text(render_pdf(gather(workspace, uid), monochrome=True))
    assert f"RECORD BROKEN at event {note.seq}" in pages[0]


def test_csv_round_trips_one_row_per_event(session):
    workspace, uid = session
    report = gather(workspace, uid)
    data = render_csv(report)
    assert data.startswith("\ufeff".encode("utf-8"))  # the BOM spreadsheets need for UTF-8
    assert b"\r\n" in data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0].keys()) == COLUMNS
    assert len(rows) == len(report.events)
    for row, event in zip(rows, report.events):
        assert (row["session_uid"], int(row["seq"]), row["kind"], row["hash"]) == (uid, event.seq, event.kind, event.hash)
        assert json.loads(row["payload_json"]) == event.payload
        assert float(row["session_time"]) == event.session_time and row["wall_time"] == event.wall_time
    note = next(r for r in rows if r["kind"] == Kind.NOTE)
    assert note["summary"] == "Eyeshades on; breathing slow — «ça va»."


def test_csv_never_hands_a_spreadsheet_a_formula(session):
    workspace, uid = session
    runner = workspace.resume(workspace.store.session(uid))
    runner.record(Kind.NOTE, {"text": "=HYPERLINK(\"http://x\")"})
    rows = list(csv.DictReader(io.StringIO(render_csv(gather(workspace, uid)).decode("utf-8-sig"), newline="")))
    assert rows[-1]["summary"] == "'=HYPERLINK(\"http://x\")"
    assert json.loads(rows[-1]["payload_json"])["text"] == "=HYPERLINK(\"http://x\")"


@pytest.mark.parametrize("fmt", ["pdf", "csv", "fhir", "json"])
def test_export_is_owner_only_and_recorded_in_the_audit_trail_not_the_session(qapp, session, tmp_path, fmt):
    workspace, uid = session
    before = workspace.store.events(uid)
    old_umask = os.umask(0)
    try:
        result = export_session(workspace, uid, fmt, tmp_path)
    finally:
        os.umask(old_umask)
    assert result.path.parent == tmp_path and result.path.exists()
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".*.part")) and not list(tmp_path.glob(".*.probe"))
    assert workspace.store.events(uid) == before, "the session's own record is what happened, not who copied it"
    (audit,) = People.of(workspace).audit((AuditKind.SESSION_EXPORTED,))  # even before sign-in is set up
    assert audit.payload == {"sessions": [uid], "format": fmt, "destination": str(result.path)}
    assert audit.author == "" and all(report.intact for report in workspace.verify_extra())


def test_export_needs_permission_and_is_audited(qapp, session, tmp_path):
    workspace, uid = session
    people = fast_people(workspace)
    staff = add_staff(people)
    sam = staff["supervisor"]
    with pytest.raises(AccessRefused):
        export_session(workspace, uid, "csv", tmp_path / "a.csv", user=staff["therapist"])
    with pytest.raises(AccessRefused):
        export_session(workspace, uid, "csv", tmp_path / "a.csv")
    assert not (tmp_path / "a.csv").exists()
    export_session(workspace, uid, "csv", tmp_path / "a.csv", user=sam)
    (audit,) = people.audit((AuditKind.SESSION_EXPORTED,), viewer=sam)
    assert audit.author == "Sam" and audit.payload["destination"] == str(tmp_path / "a.csv")


def test_export_failures_say_what_to_do(session, tmp_path):
    workspace, uid = session
    with pytest.raises(NotFound, match="is not a session here"):
        export_session(workspace, "9999", "pdf", tmp_path)
    with pytest.raises(ExportError, match="Unknown export format 'docx'"):
        export_session(workspace, uid, "docx", tmp_path)
    before = len(workspace.store.events(uid))
    with pytest.raises(ExportError, match="does not exist"):
        export_session(workspace, uid, "csv", tmp_path / "no-such-folder" / "x.csv")
    assert len(workspace.store.events(uid)) == before  # a failed export is not recorded as done


def test_unwritable_folder_and_full_disk_leave_nothing_behind(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o755)

    def as_nobody() -> str:
        try:
            write_private(locked / "report.pdf", b"%PDF")
        except ExportError as exc:
            return str(exc)
        return "written"
    assert "may not write to" in in_child(as_nobody, as_user=NOBODY)

    def on_full_disk() -> str:
        limit_file_size(4096)
        try:
            write_private(tmp_path / "big.pdf", b"x" * 100_000)
        except ExportError as exc:
            return str(exc)
        return "written"
    message = in_child(on_full_disk)
    assert "is full" in message and "nothing partial" in message
    assert not (tmp_path / "big.pdf").exists() and not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_command_line_export_and_its_errors(session, tmp_path, capsys):
    workspace, uid = session
    folder = str(workspace.folder)
    out = tmp_path / "report.csv"
    assert main(["export", "--data-dir", folder, "1", "--format", "csv", "-o", str(out)]) == 0
    said = capsys.readouterr()
    assert re.search(r"Exported session 1 as csv to .*report\.csv", said.out)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert main(["export", "--data-dir", folder, "77", "--format", "csv", "-o", str(out)]) == 2
    assert "'77' is not a session here" in capsys.readouterr().err
    assert main(["export", "--data-dir", folder, "1", "--format", "json", "-o", str(tmp_path / "nope" / "x")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_pdf_export_from_a_terminal_without_a_display(session, tmp_path):
    import subprocess
    import sys
    workspace, uid = session
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = tmp_path / "headless.pdf"
    done = subprocess.run([sys.executable, "-m", "kaproom", "export", "--data-dir", str(workspace.folder), uid[:8],
                           "--format", "pdf", "-o", str(out)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"%PDF") and "Exported session 1 as pdf" in done.stdout
    assert "Fatal" not in done.stderr


def test_a_very_long_report_renders_without_exhausting_none(qapp, session):
    """PySide6 6.12.0 on Python 3.11 drops a reference to None per void call; a 2000-note report
    makes far more calls than None has references, so it ends the process. pyproject.toml keeps
    PySide6 below 6.12; this test fails if a release with that fault is installed again."""
    import sys

    from kaproom.domain.events import Event
    workspace, uid = session
    with workspace.store._write("add many notes") as conn:
        for i in range(2000):
            workspace.store._append_in(conn, uid, Event(Kind.NOTE, {"text": f"note {i}"}, 750.0,
                                                        "2026-03-02T09:12:30.000Z", "Ana Ruiz", "integration"))
    report = gather(workspace, uid)

    def render() -> tuple[int, int]:
        import gc
        gc.collect()  # garbage left by earlier work (it holds references to None too) is freed first,
        before = sys.getrefcount(None)
        pages = len(PdfReader(io.BytesIO(render_pdf(report))).pages)
        gc.collect()  # and whatever the render left, so only references lost for good are counted
        return pages, sys.getrefcount(None) - before
    pages, change = in_child(render)
    assert pages > 40 and change > -50, change


def test_the_pdf_says_what_dose_was_given_when_and_when_it_was_entered(qapp, tmp_path, clock):
    from kaproom.domain.protocol import builtin_protocol
    from kaproom.services.workspace import Workspace
    with Workspace(tmp_path / "room", clock) as workspace:
        runner = workspace.new_session(builtin_protocol("lozenge-3h"), "C-7", "Ana Ruiz", prescribed_dose_mg=300)
        clock.advance(45 * 60)
        runner.tick()
        runner.give_dose("sublingual ketamine lozenge", without_baseline=True, given_at=22 * 60)
        _, pages = pdf_text(render_pdf(gather(workspace, runner.session_uid)))
    assert ("Dose 300 mg sublingual ketamine lozenge at 0:22:00 (entered at 0:45:00; no baseline vitals)"
            in pages[0]), pages[0]
