"""Backup manifests are signed with the room key (issue 23, point 2): someone who can write the
backup folder can delete a manifest, but cannot write one that `verify` or a restore takes for the
room's own. An unsigned manifest (an older KAP Room) is said to be unsigned, never silently trusted.
Real SQLite, real age encryption, real Ed25519; the forgeries are made by hand, as an attacker would."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import test_backup
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from test_backup import run_session
from test_verify_witnesses import cut_last_event

from kaproom.cli.main import main
from kaproom.services.backup import BackupError, make_backup, restore, verify_backup
from kaproom.services.backup_manifest import Manifest
from kaproom.services.room_key import RoomKey, fingerprint, load_or_create, signature_valid

keys, destination = test_backup.keys, test_backup.destination  # the fixtures
T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)


def heads_now(folder: Path) -> dict[str, list]:
    conn = sqlite3.connect(folder / "kaproom.sqlite3")
    try:
        return {uid: [seq, digest] for uid, seq, digest in conn.execute(
            "SELECT session_uid, seq, hash FROM events e WHERE seq = "
            "(SELECT max(seq) FROM events f WHERE f.session_uid = e.session_uid)")}
    finally:
        conn.close()


def verify_out(data_dir: Path, capsys, *options: str) -> tuple[int, str]:
    code = main(["verify", "--data-dir", str(data_dir), *options])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_a_manifest_is_signed_by_this_computers_room_key(workspace, protocol, keys, destination, data_dir):
    run_session(workspace, protocol, "C-1")
    result = make_backup(data_dir, destination, [keys[1]])
    data = json.loads(result.manifest_path.read_text())
    room = load_or_create(data_dir)
    assert data["public_key"] == room.public_key and data["signature"]
    manifest = Manifest.read(result.manifest_path)
    assert signature_valid(room.public_key, data["signature"], manifest.signed_bytes())
    assert "client" not in result.manifest_path.read_text().lower().replace("client_code", "")


def test_a_rolled_back_record_with_its_manifest_rewritten_to_match_is_caught(workspace, protocol, keys, destination,
                                                                              data_dir, capsys):
    """The attacker cuts the record's last events and rewrites the manifest's heads to match."""
    run_session(workspace, protocol, "C-1")
    result = make_backup(data_dir, destination, [keys[1]])
    workspace.close()
    cut_last_event(data_dir)
    data = json.loads(result.manifest_path.read_text())
    data["sessions"] = heads_now(data_dir)  # the witness now "saw" the rolled-back record
    result.manifest_path.write_text(json.dumps(data))

    code, out = verify_out(data_dir, capsys, "--witness", str(destination))
    assert code == 1, out
    assert f"witness {result.manifest_path.name}: " in out and "refused as a witness" in out
    assert "its signature does not match it" in out


def test_a_manifest_signed_by_another_key_in_this_records_name_is_refused_by_verify_and_restore(
        workspace, protocol, keys, destination, data_dir, capsys):
    identity, public = keys
    run_session(workspace, protocol, "C-1")
    result = make_backup(data_dir, destination, [public])
    workspace.close()
    attacker = RoomKey(Ed25519PrivateKey.generate())
    forged = Manifest.read(result.manifest_path).signed_with(attacker)  # a correct signature, by another key
    result.manifest_path.write_text(forged.to_json())

    code, out = verify_out(data_dir, capsys, "--witness", str(destination))
    assert code == 1, out
    assert "names this record but is signed by another key" in out and fingerprint(attacker.public_key) in out
    main(["backup", "list", "--to", str(destination), "--data-dir", str(data_dir)])
    assert "REFUSED as a witness: it names this record but is signed by another key" in capsys.readouterr().out

    with pytest.raises(BackupError, match="is refused: it names this record but is signed by another key"):
        verify_backup(result.path, identity, data_dir)
    before = (data_dir / "kaproom.sqlite3").read_bytes()
    with pytest.raises(BackupError, match="Nothing was restored"):
        restore(result.path, identity, data_dir)
    assert (data_dir / "kaproom.sqlite3").read_bytes() == before
    done = test_backup.kaproom("backup", "verify", str(result.path), "--identity", str(identity), data_dir=data_dir)
    assert done.returncode == 1 and "BACKUP REFUSED" in done.stderr and "another key" in done.stderr


def test_a_signed_manifest_changed_afterwards_is_refused_at_restore(workspace, protocol, keys, destination, data_dir):
    identity, public = keys
    run_session(workspace, protocol, "C-1")
    result = make_backup(data_dir, destination, [public])
    workspace.close()
    data = json.loads(result.manifest_path.read_text())
    data["created_at"] = "2030-01-01T00:00:00.000Z"  # made to look like the newest backup
    result.manifest_path.write_text(json.dumps(data))
    with pytest.raises(BackupError, match="its signature does not match it"):
        restore(result.path, identity, data_dir.parent / "elsewhere")


def test_an_unsigned_manifest_is_said_to_be_unsigned_and_cannot_pass_for_a_newer_one(
        workspace, protocol, keys, destination, data_dir, capsys):
    identity, public = keys
    run_session(workspace, protocol, "C-1")
    old = make_backup(data_dir, destination, [public], now=T0)
    data = json.loads(old.manifest_path.read_text())
    del data["public_key"], data["signature"]  # as an older KAP Room wrote them
    old.manifest_path.write_text(json.dumps(data))

    opened = verify_backup(old.path, identity, data_dir)
    assert any("is not signed" in warning for warning in opened.warnings), opened.warnings
    code, out = verify_out(data_dir, capsys, "--witness", str(destination))
    assert code == 0, out  # the record matches it; but it is said to be unsigned
    assert "IT IS NOT SIGNED" in out and "as the backup saw them" in out
    assert main(["backup", "list", "--to", str(destination), "--data-dir", str(data_dir)]) == 0
    assert "ok (it is not signed" in capsys.readouterr().out

    signed = make_backup(data_dir, destination, [public], now=T0 + timedelta(days=1))
    workspace.close()
    cut_last_event(data_dir)
    newer = json.loads(signed.manifest_path.read_text())  # an unsigned copy, newer, matching the rollback
    del newer["public_key"], newer["signature"]
    newer["created_at"], newer["sessions"] = "2026-03-05T12:00:00.000Z", heads_now(data_dir)
    (destination / "kaproom-20260305T120000Z.manifest.json").write_text(json.dumps(newer))
    code, out = verify_out(data_dir, capsys, "--witness", str(destination))
    assert code == 1, out
    assert "witness kaproom-20260305T120000Z.manifest.json: " in out and "it is not signed, though" in out
    assert "was rolled back" in out  # and the newest signed manifest still witnesses the cut


def test_another_computers_backup_restores_with_its_key_named_for_comparison(workspace, protocol, keys, destination,
                                                                             data_dir, tmp_path):
    identity, public = keys
    run_session(workspace, protocol, "C-1")
    result = make_backup(data_dir, destination, [public])
    room = load_or_create(data_dir)
    workspace.close()
    office = tmp_path / "office"
    restored = restore(result.path, identity, office)
    assert restored.sessions == 1
    assert any(fingerprint(room.public_key) in warning and "does not hold" in warning
               for warning in restored.warnings), restored.warnings


def test_manifests_round_trip_their_signature():
    key = RoomKey(Ed25519PrivateKey.generate())
    manifest = Manifest(created_at="2026-03-02T12:00:00.000Z", app_version="1", schema_version=3, record="r",
                        file="kaproom-x.kaproom.age", size=1, sha256="a", database_sha256="b", recipients=("age1x",),
                        heads={"audit": (2, "h"), "u": (3, "g")}, events=5, files=("kaproom.sqlite3",))
    signed = manifest.signed_with(key)
    again = Manifest.from_json(signed.to_json(), "test")
    assert again == signed and again.signature_intact
    assert not replace(again, events=6).signature_intact
