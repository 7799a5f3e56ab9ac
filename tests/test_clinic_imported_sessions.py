"""Sessions imported from a room's JSON bundle (a clinic room without the server) on a computer that
has joined the clinic, against a real PostgreSQL: an imported session's chain is its room's (one
writer per chain), so neither an office computer nor another room sends it; each sends its own
chains, says quietly what it holds and does not send, and is never stuck retrying a refusal."""
from __future__ import annotations

import json
from dataclasses import replace

import _clinic_helpers
from _clinic_helpers import password_of
from _export_helpers import finished_session
from _people_helpers import PipedStdin

from kaproom.cli.main import main
from kaproom.export.importer import import_bundle
from kaproom.export.session_export import export_session
from kaproom.services import clinic_sync
from kaproom.services.simulate import run_simulation
from kaproom.services.workspace import Workspace

pg, clinic = _clinic_helpers.pg, _clinic_helpers.clinic  # the fixtures
WAIT_MS = 20000  # a bound, never a pause


def join(clinic, folder, role, name, monkeypatch, capsys, kind="--room") -> None:
    monkeypatch.setattr("sys.stdin", PipedStdin(password_of(role) + "\n"))
    assert main(["clinic", "join", clinic.url(role, with_password=False), kind, name, "--data-dir", str(folder)]) == 0
    capsys.readouterr()


def bundle_of_a_room_without_the_server(tmp_path) -> tuple[str, object]:
    workspace, uid = finished_session(tmp_path / "room_c", room="Room C", signed=False)
    try:
        return uid, export_session(workspace, uid, "json", tmp_path / "room_c.json").path
    finally:
        workspace.close()


def import_into(folder, path, clock) -> None:
    with Workspace(folder, clock) as workspace:
        import_bundle(workspace, path, None, trust_new=True)


def server_sessions(clinic) -> dict[str, str]:
    with clinic.admin() as conn:
        return {str(uid): str(room) for uid, room in conn.execute("SELECT uid, room FROM kaproom.sessions")}


def server_audit_count(clinic, computer: str) -> int:
    return int(clinic.scalar("SELECT count(*) FROM kaproom.audit WHERE computer = %s", (computer,)))


def local_audit_count(folder, clock) -> int:
    with Workspace(folder, clock) as workspace:
        return int(workspace.store._read("SELECT count(*) FROM audit")[0][0])


def test_an_office_that_imported_a_bundle_sends_its_own_chains_and_says_the_session_is_its_rooms(
        clinic, tmp_path, clock, monkeypatch, capsys, qtbot):
    uid, path = bundle_of_a_room_without_the_server(tmp_path)
    office = tmp_path / "office"
    join(clinic, office, "office_1", "Office", monkeypatch, capsys, kind="--office")
    import_into(office, path, clock)
    assert local_audit_count(office, clock) > 0  # the import itself is in the office's audit log

    assert main(["clinic", "sync", "--data-dir", str(office)]) == 0
    captured = capsys.readouterr()
    assert "REFUSED" not in captured.err and "refused" not in captured.err, captured.err
    assert "Caught up" in captured.out
    assert "1 imported session is not sent from this office" in captured.out
    assert uid not in server_sessions(clinic)  # the office did not become a writer of the room's chain
    assert server_audit_count(clinic, "Office") == local_audit_count(office, clock)  # its own chain arrived

    assert main(["clinic", "status", "--json", "--data-dir", str(office)]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["waiting"] == 0 and status["refused"] == [] and status["not_sent_sessions"] == 1
    assert main(["clinic", "status", "--data-dir", str(office)]) == 0
    out = capsys.readouterr().out
    assert "waiting:    0 events" in out
    assert "not sent:   1 imported session (each session is sent by the room that recorded it)" in out

    # The background sender is caught up too: no problem said, no refusal retried.
    statuses = []
    sender = clinic_sync.start_sender(office, statuses.append, receive_every_s=0.5)
    assert sender is not None
    try:
        qtbot.waitUntil(lambda: sender.received_at is not None, timeout=WAIT_MS)
        assert sender.status.problem == "" and sender.status.waiting == 0 and not sender.status.unreachable_since
    finally:
        sender.stop()
    assert uid not in server_sessions(clinic)


def test_a_room_that_imported_another_rooms_bundle_sends_only_its_own_sessions(clinic, tmp_path, clock, monkeypatch,
                                                                                 capsys):
    uid, path = bundle_of_a_room_without_the_server(tmp_path)
    room = tmp_path / "room_a"
    with Workspace(room, clock) as workspace:
        own = run_simulation(workspace, "short-check", notes=2, vitals=1, tracks=1, seed=1,
                             sleep=lambda s: clock.advance(s * clock.speed))
        own_uid = workspace.store.sessions()[0].uid
    assert own is not None
    import_into(room, path, clock)
    join(clinic, room, "room_a", "Room A", monkeypatch, capsys)  # join sends the backlog

    assert server_sessions(clinic) == {own_uid: "Room A"}  # Room C's session is not made Room A's
    assert main(["clinic", "sync", "--data-dir", str(room)]) == 0
    out = capsys.readouterr().out
    assert "1 imported session is not sent from this room" in out
    status = clinic_sync.status(room)
    assert status["waiting"] == 0 and status["refused"] == [] and status["not_sent_sessions"] == 1
    assert server_sessions(clinic) == {own_uid: "Room A"}


def test_an_imported_session_an_older_sender_had_set_aside_is_no_longer_said_refused(clinic, tmp_path, clock,
                                                                                      monkeypatch, capsys):
    """Before, a room sent a session it had imported; the clinic refused it as another room's, and
    every ``clinic sync`` said so and exited 1. That session is not this room's to send: forgotten."""
    uid, path = bundle_of_a_room_without_the_server(tmp_path)
    room = tmp_path / "room_a"
    import_into(room, path, clock)
    join(clinic, room, "room_a", "Room A", monkeypatch, capsys)
    said = f"room Room A may not add events to session {uid} (it is room Room C's session)"
    clinic_sync.save_position(room, replace(clinic_sync.load_position(room), refused=((uid, said),)))
    assert clinic_sync.status(room)["refused"] == [{"session_uid": uid, "reason": said}]

    assert main(["clinic", "sync", "--data-dir", str(room)]) == 0
    captured = capsys.readouterr()
    assert "REFUSED" not in captured.err and "1 imported session is not sent from this room" in captured.out
    assert clinic_sync.status(room)["refused"] == []
