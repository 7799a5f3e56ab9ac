"""Issue 23, point 4: bundles are signed by the room that wrote them, an office pins each room's
key, only supervisors import, and a session id never shadows another by being its prefix."""
from __future__ import annotations

import json
from pathlib import Path

import _export_helpers
import pytest
from _export_helpers import finished_session, rechain, resign
from _people_helpers import add_staff, fast_people

from kaproom.cli.main import main
from kaproom.domain.clock import FakeClock
from kaproom.domain.people import AuditKind
from kaproom.export.importer import UnknownRoom, import_bundle
from kaproom.export.json_bundle import BundleRefused
from kaproom.export.session_export import export_session
from kaproom.services.people import AccessRefused
from kaproom.services.workspace import Workspace

room, office = _export_helpers.room, _export_helpers.office  # the fixtures


def bundle_of(workspace, uid, path: Path) -> dict:
    return json.loads(export_session(workspace, uid, "json", path).path.read_text("utf-8"))


def write(doc: dict, path: Path) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    return path


def test_a_bundle_forged_with_recomputed_hashes_is_refused(room, office, tmp_path):
    """Before: a sign-off in a real supervisor's name, dated in the future, appended and re-hashed, was imported."""
    workspace, uid = room
    doc = bundle_of(workspace, uid, tmp_path / "s.json")
    last = doc["events"][-1]
    doc["events"].append({**last, "kind": "signed_off", "author": "Sam", "wall_time": "2031-01-01T00:00:00.000Z",
                          "payload": {"comment": "fine"}})
    with pytest.raises(BundleRefused, match="signature does not match"):
        import_bundle(office, write(rechain(doc), tmp_path / "forged.json"))
    assert office.store.count_sessions() == 0


def test_the_room_of_origin_is_covered_by_the_signature(room, office, tmp_path):
    workspace, uid = room
    doc = bundle_of(workspace, uid, tmp_path / "s.json")
    doc["session"]["origin"] = "Room 9"
    with pytest.raises(BundleRefused, match="signature does not match"):
        import_bundle(office, write(doc, tmp_path / "moved.json"))
    del doc["signature"]
    with pytest.raises(BundleRefused, match="not signed"):
        import_bundle(office, write(doc, tmp_path / "unsigned.json"))


def test_a_known_room_signed_by_another_key_is_refused_by_name(room, office, tmp_path):
    workspace, uid = room
    import_bundle(office, export_session(workspace, uid, "json", tmp_path / "s.json").path)
    impostor, other = finished_session(tmp_path / "impostor", client="KAP-0043")  # also says "Room 2"
    try:
        path = export_session(impostor, other, "json", tmp_path / "i.json").path
    finally:
        impostor.close()
    with pytest.raises(BundleRefused, match="claims to come from Room 2, but it is signed by another key"):
        import_bundle(office, path)
    assert office.store.count_sessions() == 1


def test_a_new_room_is_trusted_only_when_a_supervisor_confirms_its_key(room, office, tmp_path):
    workspace, uid = room
    path = export_session(workspace, uid, "json", tmp_path / "s.json").path
    staff = add_staff(fast_people(office))
    with pytest.raises(AccessRefused):  # an admin does not handle records
        import_bundle(office, path, staff["admin"], trust_new=True)
    with pytest.raises(UnknownRoom) as unknown:
        import_bundle(office, path, staff["supervisor"])
    assert unknown.value.room == "Room 2" and unknown.value.fingerprint in str(unknown.value)
    asked: list[tuple[str, str]] = []
    import_bundle(office, path, staff["supervisor"], trust_new=lambda room, shown: asked.append((room, shown)) or True)
    assert asked == [("Room 2", unknown.value.fingerprint)] and office.store.count_sessions() == 1
    [trusted] = fast_people(office).audit((AuditKind.ROOM_KEY_TRUSTED,), viewer=staff["supervisor"])
    assert trusted.author == "Sam" and trusted.payload["room"] == "Room 2"


def test_command_line_import_asks_for_trust_new_room(room, tmp_path, capsys, monkeypatch):
    workspace, uid = room
    path = str(export_session(workspace, uid, "json", tmp_path / "s.json").path)
    office = tmp_path / "office2"
    with Workspace(office, FakeClock()) as opened:
        add_staff(fast_people(opened))
    monkeypatch.setenv("KAPROOM_USER", "Sam")
    from _people_helpers import SUPERVISOR_SECRET, PipedStdin
    monkeypatch.setattr("sys.stdin", PipedStdin(SUPERVISOR_SECRET + "\n"))
    assert main(["import", "--data-dir", str(office), path]) == 2
    assert "--trust-new-room" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", PipedStdin(SUPERVISOR_SECRET + "\n"))
    assert main(["import", "--data-dir", str(office), "--trust-new-room", path]) == 0


def test_a_session_id_that_is_a_prefix_of_another_is_never_taken_for_it(room, office, tmp_path):
    """Before: a bundle whose id was a local session's prefix was imported, and `export PREFIX` took it."""
    workspace, uid = room
    local, local_uid = finished_session(tmp_path / "office-local", client="KAP-0001")
    local.close()
    with Workspace(tmp_path / "office-local", FakeClock()) as here:
        doc = bundle_of(workspace, uid, tmp_path / "s.json")
        assert here.store.session(local_uid).uid == local_uid
        short = local_uid[:8]
        # correctly hashed and signed by a room, but its id is the local session's prefix
        doc["session"]["uid"] = short
        resign(rechain(doc))
        assert here.store.session(short).uid == local_uid  # a unique prefix still finds it
        with pytest.raises(BundleRefused, match="could be taken for each other"):
            import_bundle(here, write(doc, tmp_path / "short.json"))
        assert here.store.count_sessions() == 1
