"""Issue 23, point 4: the authors of imported events are shown as the room that signed them claims
("as recorded by Room 2"), never as a sign-in here, in the review's timeline, the PDF and the CSV;
and a session passed on by an office keeps the room's signature when unchanged, or is signed by
the office as the office, never under the room's name."""
from __future__ import annotations

import csv
import io
import json
import socket
from pathlib import Path

import _export_helpers
from test_export_files import pdf_text

from kaproom.domain.clock import FakeClock
from kaproom.domain.events import Kind
from kaproom.export.csv_export import render_csv
from kaproom.export.importer import import_bundle, pinned_room_keys
from kaproom.export.json_bundle import signed_statement
from kaproom.export.pdf import render_pdf
from kaproom.export.report_data import gather
from kaproom.export.session_export import export_session
from kaproom.services.room_key import fingerprint, load_or_create, signature_valid
from kaproom.services.signoff import sign_off
from kaproom.services.workspace import Workspace
from kaproom.ui.review.timeline_model import COLUMNS, TimelineModel

RECORDED = "(as recorded by Room 2)"


room, office = _export_helpers.room, _export_helpers.office  # the fixtures


def passed(source: Workspace, uid: str, target: Workspace, path: Path):
    """Export ``uid`` from ``source`` as a bundle and import it into ``target``; the bundle's dict."""
    export_session(source, uid, "json", path)
    import_bundle(target, path, trust_new=True)
    return json.loads(path.read_text("utf-8"))


def test_imported_authors_are_shown_as_recorded_by_the_room_in_review_pdf_and_csv(room, office, tmp_path, qtbot):
    workspace, uid = room
    passed(workspace, uid, office, tmp_path / "s.json")
    report = gather(office, uid)

    authored = [row for row in report.timeline if row.author]
    assert authored and all(row.author.endswith(RECORDED) for row in authored), [r.author for r in authored]
    assert any(row.author == f"Ana Ruiz {RECORDED}" for row in authored)
    assert all(note.author.endswith(RECORDED) for note in report.notes if note.author)
    model = TimelineModel(report.timeline)  # what the review's timeline shows in its "By" column
    by = COLUMNS.index("By")
    shown = {model.data(model.index(row, by)) for row in range(model.rowCount())}
    assert f"Ana Ruiz {RECORDED}" in shown and "Ana Ruiz" not in shown

    _, pages = pdf_text(render_pdf(report, "2026-03-03T10:00:00.000Z"))
    assert "as recorded by Room 2" in " ".join(pages)
    rows = list(csv.DictReader(io.StringIO(render_csv(report).decode("utf-8-sig"))))
    assert all(row["author"].endswith(RECORDED) for row in rows if row["author"]), [r["author"] for r in rows]

    own = gather(workspace, uid)  # in the room that recorded them they are its own events
    assert not any("as recorded by" in row.author for row in own.timeline)
    assert [e.author for e in report.events] == [e.author for e in own.events]  # the hashed record is untouched


def test_a_sign_off_added_at_the_office_is_signed_by_the_office_as_itself(room, office, tmp_path):
    """Before: the office signed the head of a session it had added to under the room's name."""
    workspace, uid = room
    first = passed(workspace, uid, office, tmp_path / "s.json")
    sign_off(office, uid, "Reviewed.", "Dr Sam")
    assert gather(office, uid).signoffs[0].author == "Dr Sam"  # the office's own event: its own sign-in

    back = tmp_path / "back.json"
    doc = passed(office, uid, workspace, back)  # the sign-off travels back to the room
    signature = doc["signature"]
    office_key = load_or_create(office.folder).public_key
    assert signature["public_key"] == office_key != first["signature"]["public_key"]
    assert signature["origin"] == "Room 2" and signature["signer"] == socket.gethostname()
    last = doc["events"][-1]
    assert signature_valid(office_key, signature["signature"],
                           signed_statement(uid, last["seq"], last["hash"], "Room 2", signature["signer"]))

    pins = pinned_room_keys(workspace.store)  # the room learnt the office's key as the office's
    assert [key for _, key in pins.values()] == [office_key]
    assert "room 2" not in pins
    shown = gather(workspace, uid)
    assert shown.signoffs[0].author == f"Dr Sam (as recorded by {socket.gethostname()})"
    assert shown.events[-1].kind == Kind.SIGNOFF and shown.events[-1].author == "Dr Sam"

    again = json.loads(export_session(workspace, uid, "json", tmp_path / "again.json").path.read_text("utf-8"))
    assert again["signature"]["public_key"] == first["signature"]["public_key"]  # the room signs its own session
    assert again["signature"]["origin"] == "Room 2" and "signer" not in again["signature"]


def test_a_session_passed_on_unchanged_keeps_the_rooms_signature(room, office, tmp_path):
    workspace, uid = room
    first = passed(workspace, uid, office, tmp_path / "s.json")
    again = tmp_path / "again.json"
    export_session(office, uid, "json", again)
    doc = json.loads(again.read_text("utf-8"))
    assert doc["signature"]["public_key"] == first["signature"]["public_key"]  # the room's key, not the office's
    assert doc["signature"]["signature"] == first["signature"]["signature"]
    assert "signer" not in doc["signature"]

    with Workspace(tmp_path / "third", FakeClock()) as third:
        import_bundle(third, tmp_path / "s.json", trust_new=True)  # pinned Room 2 from the room's own bundle
        import_bundle(third, again, trust_new=False)  # the office's copy is accepted under Room 2's pinned key
        assert [key for _, key in pinned_room_keys(third.store).values()] == [first["signature"]["public_key"]]


def test_an_office_named_like_the_room_still_signs_as_itself(room, office, tmp_path):
    workspace, uid = room
    passed(workspace, uid, office, tmp_path / "s.json")
    (office.folder / "clinic.json").write_text(json.dumps({  # its name on the clinic server
        "url": "postgresql://office@127.0.0.1:9/kaproom", "computer": "Room 2", "kind": "office", "password": "x"}))
    sign_off(office, uid, "Reviewed.", "Dr Sam")
    doc = json.loads(export_session(office, uid, "json", tmp_path / "back.json").path.read_text("utf-8"))
    office_key = load_or_create(office.folder).public_key
    assert doc["signature"]["origin"] == "Room 2"
    assert doc["signature"]["signer"] == f"Room 2 ({fingerprint(office_key)})"
