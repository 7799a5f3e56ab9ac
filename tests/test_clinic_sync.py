"""Joining, sending and catching up, through the command line and the background sender, against a
real PostgreSQL that the tests stop, kill and start again."""
from __future__ import annotations

import json
import os
import stat
import threading
import time

import _clinic_helpers
import pytest
from _clinic_helpers import password_of
from _people_helpers import PipedStdin

from kaproom.cli.main import main
from kaproom.clinic.sender import Position, Sender, SenderThread
from kaproom.domain.events import Kind
from kaproom.services import clinic_sync
from kaproom.services.simulate import run_simulation
from kaproom.services.workspace import Workspace
from kaproom.store import DB_FILENAME
from kaproom.store.outbox import Outbox

pg, clinic = _clinic_helpers.pg, _clinic_helpers.clinic  # the fixtures


def join_by_cli(clinic, folder, role, name, monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", PipedStdin(password_of(role) + "\n"))
    assert main(["clinic", "join", clinic.url(role, with_password=False), "--room", name,
                 "--data-dir", str(folder)]) == 0
    capsys.readouterr()


def server_events(clinic, uid=None) -> list[tuple[str, int, str]]:
    with clinic.admin() as conn:
        sql = "SELECT session_uid, seq, hash FROM kaproom.events"
        rows = conn.execute(sql + (" WHERE session_uid=%s" if uid else "") + " ORDER BY session_uid, seq",
                            (uid,) if uid else ()).fetchall()
    return [tuple(r) for r in rows]


def local_events(folder, clock) -> list[tuple[str, int, str]]:
    with Workspace(folder, clock) as workspace:
        return sorted((e.session_uid, e.seq, e.hash) for row in workspace.store.sessions()
                      for e in workspace.store.events(row.uid))


def simulate(folder, clock, seed=1, notes=6, vitals=3):
    with Workspace(folder, clock) as workspace:
        return run_simulation(workspace, "short-check", notes=notes, vitals=vitals, tracks=2, seed=seed,
                              sleep=lambda s: clock.advance(s * clock.speed))


def test_join_keeps_the_password_private_and_sends_what_was_recorded_before(clinic, tmp_path, clock, monkeypatch,
                                                                            capsys):
    folder = tmp_path / "room_a"
    simulate(folder, clock)  # recorded before this computer joined
    monkeypatch.setattr("sys.stdin", PipedStdin(password_of("room_a") + "\n"))
    assert main(["clinic", "join", clinic.url("room_a", with_password=False), "--room", "Room A",
                 "--data-dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Joined" in out and "Caught up" in out
    config = folder / clinic_sync.CONFIG_FILE
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert json.loads(config.read_text())["password"] == password_of("room_a")
    assert password_of("room_a") not in (folder / DB_FILENAME).read_bytes().decode("latin-1")  # nor in the record
    assert server_events(clinic) == local_events(folder, clock)
    assert main(["clinic", "status", "--json", "--data-dir", str(folder)]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["joined"] and status["computer"] == "Room A" and status["waiting"] == 0 and status["last_sent_at"]
    assert password_of("room_a") not in json.dumps(status)


def test_a_whole_session_recorded_while_the_server_is_stopped_then_catches_up(clinic, tmp_path, clock, monkeypatch,
                                                                               capsys):
    folder = tmp_path / "room_a"
    join_by_cli(clinic, folder, "room_a", "Room A", monkeypatch, capsys)
    clinic.cluster.stop()
    try:
        simulate(folder, clock, notes=10, vitals=4)
        started = time.monotonic()
        assert main(["clinic", "sync", "--data-dir", str(folder)]) == 1
        assert time.monotonic() - started < 10  # noticed in seconds, never waited on
        err = capsys.readouterr().err
        assert "cannot be reached" in err and "Nothing is lost" in err
        waiting = clinic_sync.status(folder)["waiting"]
        assert waiting == len(local_events(folder, clock)) > 20
        assert main(["clinic", "status", "--data-dir", str(folder)]) == 0
        assert f"waiting:    {waiting} events" in capsys.readouterr().out
    finally:
        clinic.cluster.start_on_same_port()
    assert main(["clinic", "sync", "--data-dir", str(folder)]) == 0
    assert server_events(clinic) == local_events(folder, clock)
    assert clinic_sync.status(folder)["waiting"] == 0


def test_the_server_killed_in_the_middle_of_a_send_loses_nothing_and_duplicates_nothing(
        clinic, tmp_path, clock, monkeypatch, capsys):
    folder = tmp_path / "room_a"
    join_by_cli(clinic, folder, "room_a", "Room A", monkeypatch, capsys)
    for seed in range(1, 4):
        simulate(folder, clock, seed=seed, notes=40, vitals=6)
    config = clinic_sync.required_config(folder)
    confirmed: list[Position] = []
    outbox = Outbox(folder / DB_FILENAME)
    sender = Sender(config.params(), config.computer, outbox, batch=10)
    killer = threading.Thread(target=lambda: (wait_for(lambda: len(confirmed) >= 2), clinic.cluster.stop()))
    killer.start()
    try:
        with pytest.raises(clinic_sync.ClinicError):
            sender.send_pending(Position(), lambda p: (confirmed.append(p), time.sleep(0.05)))
    finally:
        killer.join()
        sender.close()
        outbox.close()
        clinic.cluster.start_on_same_port()
    held = server_events(clinic)
    assert 0 < len(held) < len(local_events(folder, clock))  # it was killed part of the way
    clinic_sync.save_position(folder, confirmed[0])  # even from an older position: what is there is skipped
    assert main(["clinic", "sync", "--data-dir", str(folder)]) == 0
    assert server_events(clinic) == local_events(folder, clock)


def wait_for(condition, timeout=20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_the_background_sender_never_delays_the_room_and_catches_up_after_an_outage(clinic, tmp_path, clock,
                                                                                   monkeypatch, capsys):
    folder = tmp_path / "room_a"
    join_by_cli(clinic, folder, "room_a", "Room A", monkeypatch, capsys)
    statuses = []
    sender = clinic_sync.start_sender(folder, statuses.append)
    assert isinstance(sender, SenderThread)
    try:
        with Workspace(folder, clock) as workspace:
            runner = workspace.new_session(workspace.protocol("short-check"), "KAP-0001", "Teo")
            runner.note("before the outage")
            wait_for(lambda: len(server_events(clinic)) == 4)
            assert len(server_events(clinic)) == 4
            clinic.cluster.stop()
            try:
                slowest = 0.0
                for i in range(20):
                    began = time.perf_counter()
                    runner.note(f"during the outage {i}")
                    slowest = max(slowest, time.perf_counter() - began)
                    sender.nudge()
                assert slowest < 0.5  # Enter is never held up by a server that is down
                wait_for(lambda: sender.status.unreachable_since is not None and sender.status.waiting == 20)
                assert sender.status.waiting == 20
                line = clinic_sync.describe_status(sender.status)
                assert line.startswith("clinic server unreachable since") and "events waiting" in line
            finally:
                clinic.cluster.start_on_same_port()
            sender.nudge()
            wait_for(lambda: len(server_events(clinic)) == 24, timeout=60)
            runner.record(Kind.TAG, {"label": "after"})
            wait_for(lambda: len(server_events(clinic)) == 25)
        assert server_events(clinic) == local_events(folder, clock)
        wait_for(lambda: sender.status.unreachable_since is None)
        assert clinic_sync.describe_status(sender.status).startswith("sent to the clinic 0:00:")
    finally:
        sender.stop()
    assert not sender.is_alive()
    assert clinic_sync.status(folder)["waiting"] == 0


def test_two_rooms_and_an_office(clinic, tmp_path, clock, monkeypatch, capsys):
    rooms = {"Room A": ("room_a", tmp_path / "a"), "Room B": ("room_b", tmp_path / "b")}
    for seed, (name, (role, folder)) in enumerate(rooms.items(), start=1):
        simulate(folder, clock, seed=seed)
        join_by_cli(clinic, folder, role, name, monkeypatch, capsys)
    office = tmp_path / "office"
    monkeypatch.setattr("sys.stdin", PipedStdin(password_of("office_1") + "\n"))
    assert main(["clinic", "join", clinic.url("office_1", with_password=False), "--office", "Office",
                 "--data-dir", str(office)]) == 0
    capsys.readouterr()
    assert main(["sessions", "--clinic", "--json", "--data-dir", str(office)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert sorted((s["room"], s["client_code"]) for s in listed) == [("Room A", "SIM-0001"), ("Room B", "SIM-0002")]
    assert main(["verify", "--clinic", "--data-dir", str(office)]) == 0
    assert "intact" in capsys.readouterr().out
    assert os.path.exists(office / clinic_sync.CONFIG_FILE)


def test_a_server_that_lost_events_it_had_confirmed_is_sent_them_again(clinic, tmp_path, clock, monkeypatch, capsys):
    """A server restored from an older backup: the room's position is ahead of it; the gap is filled."""
    folder = tmp_path / "room_a"
    simulate(folder, clock, seed=1)
    join_by_cli(clinic, folder, "room_a", "Room A", monkeypatch, capsys)
    with clinic.admin() as conn:  # the server "loses" everything (as the owner, behind the triggers' back)
        conn.execute("SET session_replication_role = replica")
        conn.execute("DELETE FROM kaproom.events")
        conn.execute("DELETE FROM kaproom.sessions")
    simulate(folder, clock, seed=2)
    assert main(["clinic", "sync", "--data-dir", str(folder)]) == 0
    assert server_events(clinic) == local_events(folder, clock)


def test_a_row_altered_directly_on_the_server_is_reported_by_verify_clinic(clinic, tmp_path, clock, monkeypatch,
                                                                           capsys):
    folder = tmp_path / "room_a"
    result = simulate(folder, clock)
    join_by_cli(clinic, folder, "room_a", "Room A", monkeypatch, capsys)
    assert main(["verify", "--clinic", "--data-dir", str(folder)]) == 0
    assert "intact" in capsys.readouterr().out
    with clinic.admin() as conn:  # someone with the server's keys, behind the triggers' back
        conn.execute("SET session_replication_role = replica")
        conn.execute("UPDATE kaproom.events SET payload = '{\"text\":\"never written\"}' "
                     "WHERE session_uid = %s AND kind = 'note' AND seq = (SELECT min(seq) FROM kaproom.events "
                     "WHERE kind = 'note' AND session_uid = %s)", (result.session_uid, result.session_uid))
        seq = conn.execute("SELECT seq FROM kaproom.events WHERE payload LIKE '%never written%'").fetchone()[0]
    assert main(["verify", "--clinic", "--data-dir", str(folder)]) == 1
    captured = capsys.readouterr()
    assert f"BROKEN at event {seq}" in captured.out and "was altered" in captured.out
    assert "VERIFY FAILED" in captured.err
    assert main(["verify", "--data-dir", str(folder)]) == 0  # the room's own record is intact


class CountingSender:
    """A stand-in for Sender (logic only: the real one is tested against PostgreSQL above): counts
    the notes committed and the sends, each send taking every note committed so far."""

    def __init__(self) -> None:
        self.committed, self.sent, self.sends = 0, 0, []
        self.lock = threading.Lock()

    def reconcile(self, position: Position) -> Position:
        return position

    def waiting(self, position: Position) -> int:
        with self.lock:
            return self.committed - self.sent

    def send_pending(self, position: Position, saved=lambda p: None) -> Position:
        with self.lock:
            self.sends.append(self.committed - self.sent)
            self.sent = self.committed
        return position

    def close(self) -> None:
        pass


def test_a_burst_of_notes_is_sent_after_it_in_one_go_not_beside_each_enter(qtbot):
    """Back to back, the sender read and sent each note while the next was committed (they share
    the GIL: Enter took twice as long, bench_clinic); it now waits for a quiet moment."""
    counting = CountingSender()
    thread = SenderThread(counting, Position(), lambda p: None, look_every_s=0.05, quiet_s=0.3)  # type: ignore[arg-type]
    thread.start()
    try:
        for _ in range(10):  # ten notes 20 ms apart, each committed and nudging the thread
            with counting.lock:
                counting.committed += 1
            thread.nudge()
            qtbot.wait(20)
        assert counting.sends == []  # nothing read or sent during the burst
        qtbot.waitUntil(lambda: counting.sent == 10, timeout=3000)
        assert counting.sends == [10]  # then all of it, once
        with counting.lock:
            counting.committed += 1  # one more, and the app quits at once: it is sent on the way out
        thread.nudge()
    finally:
        thread.stop()
    assert counting.sent == 11
