"""Reviewing on another computer: a JSON bundle re-verifies with independent code, imports into
another data folder marked with its room, is refused when tampered (naming the event), adds
nothing the second time, and brings sign-offs back to the room as a longer chain."""
from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

import _export_helpers
import pytest
from _export_helpers import finished_session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaproom.cli.main import main
from kaproom.domain.events import Event, Kind
from kaproom.export.importer import import_bundle, import_bundle_data
from kaproom.export.json_bundle import BundleRefused, parse_bundle
from kaproom.export.session_export import export_session
from kaproom.services.workspace import Workspace
from kaproom.store import DB_FILENAME, Store
from kaproom.store.queries import SessionFilter, list_sessions


def independent_check(bundle: dict) -> int | None:
    """What a clinic's own tool would do: hashlib and json only. Returns the first bad seq, or None."""
    prev, uid = "0" * 64, bundle["session"]["uid"]
    for number, e in enumerate(bundle["events"], start=1):
        body = json.dumps({"prev": prev, "session": uid, "seq": e["seq"], "kind": e["kind"],
                           "wall_time": e["wall_time"], "session_time": round(float(e["session_time"]), 3),
                           "author": e["author"], "phase": e["phase"], "payload": e["payload"]},
                          sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if e["seq"] != number or e["prev_hash"] != prev or hashlib.sha256(body.encode()).hexdigest() != e["hash"]:
            return e["seq"]
        prev = e["hash"]
    return None


room, office = _export_helpers.room, _export_helpers.office  # the fixtures


def export_json(workspace: Workspace, uid: str, path: Path) -> Path:
    return export_session(workspace, uid, "json", path).path


def test_bundle_reverifies_with_a_few_lines_of_independent_code(room, tmp_path):
    workspace, uid = room
    bundle = json.loads(export_json(workspace, uid, tmp_path / "s.json").read_text("utf-8"))
    assert bundle["contains_health_information"] is True and bundle["hash_recipe"]["algorithm"] == "sha256"
    assert independent_check(bundle) is None
    assert [e["hash"] for e in bundle["events"]] == [e.hash for e in workspace.store.events(uid)]
    bundle["events"][9]["payload"]["text"] = "nothing happened"
    assert independent_check(bundle) == 10


def test_import_into_another_folder_shows_in_its_list_marked_with_the_room(room, office, tmp_path):
    workspace, uid = room
    path = export_json(workspace, uid, tmp_path / "s.json")
    result = import_bundle(office, path)
    assert result.new_session and result.origin == "Room 2" and result.added == len(workspace.store.events(uid))
    assert "Imported session 1 (client KAP-0042, Ana Ruiz) from Room 2" in result.message
    (row,) = list_sessions(office.store, SessionFilter())
    assert (row.uid, row.client_code, row.therapist, row.origin, row.state) == (uid, "KAP-0042", "Ana Ruiz", "Room 2",
                                                                                "discharged")
    assert (row.urgents, row.music_errors, row.amendments, row.duration_seconds) == (1, 1, 1, 750.0)
    assert [e.hash for e in office.store.events(uid)] == [e.hash for e in workspace.store.events(uid)]
    assert office.store.verify(uid)[0].intact
    again = import_bundle(office, path)
    assert again.added == 0 and "nothing was added" in again.message
    assert len(office.store.events(uid)) == len(workspace.store.events(uid)) and office.store.count_sessions() == 1


def test_a_tampered_bundle_is_refused_naming_the_event(room, office, tmp_path):
    workspace, uid = room
    path = export_json(workspace, uid, tmp_path / "s.json")
    bundle = json.loads(path.read_text("utf-8"))
    bundle["events"][9]["payload"]["text"] = "nothing happened"
    with pytest.raises(BundleRefused, match=r"broken at event 10 \('note' at session time 0:04:30\)"):
        import_bundle_data(office.store, json.dumps(bundle).encode(), "s.json")
    assert office.store.count_sessions() == 0
    bundle = json.loads(path.read_text("utf-8"))
    del bundle["events"][-1]
    with pytest.raises(BundleRefused, match="removed from its end"):
        import_bundle_data(office.store, json.dumps(bundle).encode())
    bundle = json.loads(path.read_text("utf-8"))
    bundle["session"]["client_code"] = "KAP-9999"
    with pytest.raises(BundleRefused, match="header says client code 'KAP-9999'"):
        import_bundle_data(office.store, json.dumps(bundle).encode())
    assert office.store.count_sessions() == 0


def test_signoff_made_in_the_office_comes_back_to_the_room(room, office, tmp_path):
    workspace, uid = room
    import_bundle(office, export_json(workspace, uid, tmp_path / "to-office.json"))
    last = office.store.events(uid)[-1]
    office.store.append(uid, Event(Kind.SIGNOFF, {"comment": "Reviewed in the office.", "role": "supervisor"},
                                   last.session_time, "2026-03-04T08:00:00.000Z", "Dr Supervisor", last.phase))
    back = export_json(office, uid, tmp_path / "to-room.json")
    before = len(workspace.store.events(uid))
    result = import_bundle(workspace, back)
    assert (result.new_session, result.added) == (False, 1) and "signoff" in result.message
    row = workspace.store.session(uid)
    assert row.signed_by == "Dr Supervisor" and row.origin == "local"
    assert len(workspace.store.events(uid)) == before + 1 and workspace.store.verify(uid)[0].intact
    assert import_bundle(workspace, back).added == 0
    assert import_bundle(office, tmp_path / "to-office.json").added == 0  # an older copy adds nothing


def test_exports_and_views_after_sending_the_bundle_do_not_stop_the_signoff_coming_back(room, office, tmp_path):
    """The room prints the PDF for the paper file after sending the bundle; the office reviews,
    exports it again, signs off: the sign-off still comes back (exports live in the audit trail)."""
    workspace, uid = room
    import_bundle(office, export_json(workspace, uid, tmp_path / "to-office.json"))
    export_session(workspace, uid, "pdf", tmp_path / "room.pdf")
    export_session(office, uid, "csv", tmp_path / "office.csv")
    last = office.store.events(uid)[-1]
    office.store.append(uid, Event(Kind.SIGNOFF, {"comment": "ok"}, last.session_time, "2026-03-04T08:00:00.000Z",
                                   "Dr Supervisor", last.phase))
    result = import_bundle(workspace, export_json(office, uid, tmp_path / "to-room.json"))
    assert result.added == 1 and workspace.store.session(uid).signed_by == "Dr Supervisor"


def test_diverging_chains_are_refused_and_both_stay_intact(room, office, tmp_path):
    workspace, uid = room
    import_bundle(office, export_json(workspace, uid, tmp_path / "to-office.json"))
    note = workspace.store.events(uid, (Kind.NOTE,))[0]
    last = workspace.store.events(uid)[-1]
    workspace.store.append(uid, Event(Kind.AMENDMENT, {"amends_seq": note.seq, "amends_id": note.id, "amends_kind": "note",
                                                       "text": "Correction made in the room."}, last.session_time,
                                      "2026-03-04T07:00:00.000Z", "Dr Room", last.phase))
    office.store.append(uid, Event(Kind.SIGNOFF, {"comment": "ok"}, last.session_time, "2026-03-04T08:00:00.000Z",
                                   "Dr Supervisor", last.phase))
    back = export_json(office, uid, tmp_path / "to-room.json")
    seq = last.seq + 1
    with pytest.raises(BundleRefused, match=rf"part ways at event {seq} \(here: 'amendment' .* bundle: 'signoff'"):
        import_bundle(workspace, back)
    assert workspace.store.events(uid)[-1].kind == Kind.AMENDMENT and workspace.store.verify(uid)[0].intact


def test_command_line_import(room, tmp_path, capsys):
    workspace, uid = room
    path = export_json(workspace, uid, tmp_path / "s.json")
    other = tmp_path / "office-cli"
    assert main(["import", "--data-dir", str(other), str(path)]) == 0
    assert "Imported session 1" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bundle = json.loads(path.read_text("utf-8"))
    bundle["events"][5]["payload"]["pulse"] = 60
    bad.write_text(json.dumps(bundle), "utf-8")
    assert main(["import", "--data-dir", str(other), str(bad), str(path)]) == 2
    said = capsys.readouterr()
    assert "bad.json was not imported: its record is broken at event 6 ('vitals'" in said.err
    assert "already here" in said.out
    assert main(["import", "--data-dir", str(other), str(tmp_path / "missing.json")]) == 2
    assert "There is no file" in capsys.readouterr().err
    with Store(other / DB_FILENAME) as store:
        assert store.count_sessions() == 1


# ---------------------------------------------------------------------------- fuzzing the importer
@pytest.fixture(scope="module")
def bundle_bytes(tmp_path_factory) -> bytes:
    workspace, uid = finished_session(tmp_path_factory.mktemp("fuzz") / "room", signed=True)
    try:
        return export_json(workspace, uid, tmp_path_factory.mktemp("out") / "s.json").read_bytes()
    finally:
        workspace.close()


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                       max_size=3), max_leaves=6)
FIELDS = ["seq", "wall_time", "session_time", "author", "phase", "kind", "payload", "prev_hash", "hash", "extra"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(0, 30), field=st.sampled_from(FIELDS), value=JSON_VALUES)
def test_any_edited_bundle_is_refused_or_imports_an_intact_chain(bundle_bytes, index, field, value):
    bundle = json.loads(bundle_bytes)
    events = bundle["events"]
    events[index % len(events)][field] = value
    with tempfile.TemporaryDirectory() as folder, Store(Path(folder) / DB_FILENAME) as store:
        try:
            result = import_bundle_data(store, json.dumps(bundle).encode())
        except BundleRefused as exc:
            assert str(exc) and "\n" not in str(exc)  # one clear sentence, not a traceback
            assert store.count_sessions() == 0
            return
        assert store.verify(result.session_uid)[0].intact  # only an edit the hashes do not cover gets in


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200).map(lambda t: t.encode("utf-8")))
def test_any_bytes_are_a_bundle_or_a_clear_refusal(data):
    try:
        parse_bundle(data, "x.json")
    except BundleRefused as exc:
        assert str(exc).startswith("x.json")


def test_import_needs_permission_and_is_audited(room, office, tmp_path):
    from _people_helpers import add_staff, fast_people

    from kaproom.domain.people import AuditKind
    from kaproom.services.people import AccessRefused
    workspace, uid = room
    path = export_json(workspace, uid, tmp_path / "s.json")
    people = fast_people(office)
    staff = add_staff(people)
    with pytest.raises(AccessRefused):
        import_bundle(office, path, staff["therapist"])
    assert office.store.count_sessions() == 0
    import_bundle(office, path, staff["supervisor"], trust_new=True)  # the supervisor confirms the new room
    (entry,) = people.audit((AuditKind.SESSION_IMPORTED,), viewer=staff["supervisor"])
    assert entry.author == "Sam" and entry.payload == {"source": str(path), "sessions": [uid]}
