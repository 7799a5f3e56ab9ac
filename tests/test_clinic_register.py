"""The stock register, clinic-wide: each computer's register chain copied to the clinic server
(checked there, append-only, idempotent, catching up after an outage), read back from the server
(`kaproom stock list|report --clinic`) and compared with the room's own (`kaproom verify --clinic`),
against a real throwaway PostgreSQL."""
from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import time

import _clinic_helpers
import psycopg
import pytest
from _clinic_helpers import password_of
from _people_helpers import PipedStdin

from kaproom.cli.main import main
from kaproom.clinic.sender import Position, Sender
from kaproom.domain.events import canonical_json, event_hash_of_text
from kaproom.services import clinic_sync
from kaproom.services.stock import Person, Stock
from kaproom.services.workspace import Workspace
from kaproom.store import DB_FILENAME
from kaproom.store.outbox import Outbox
from kaproom.store.register import StockRegister

pg, clinic = _clinic_helpers.pg, _clinic_helpers.clinic  # the fixtures

ANA, BEN = Person("Ana Ruiz"), Person("Ben Okafor")


def join_by_cli(clinic, folder, role, name, monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", PipedStdin(password_of(role) + "\n"))
    assert main(["clinic", "join", clinic.url(role, with_password=False), "--room", name,
                 "--data-dir", str(folder)]) == 0
    capsys.readouterr()


def receive(folder, clock, lot="K-100", quantity="30", expiry="2027-06-30") -> None:
    with Workspace(folder, clock) as workspace:
        Stock.of(workspace).receive(ANA, product="ketamine", strength_mg="100", form="sublingual troche", lot=lot,
                                    expiry=expiry, supplier="Compounding pharmacy", quantity=quantity)


def dose_and_waste(folder, clock, lot="K-100", session="s-1") -> None:
    with Workspace(folder, clock) as workspace:
        Stock.of(workspace).give_dose(ANA, lot, dispensed="2", administered="1.5", wasted="0.5", witness=BEN,
                                      session=session)


def local_register(folder, clock) -> list[tuple[int, str]]:
    with Workspace(folder, clock) as workspace:
        return [(e.seq, e.hash) for e in StockRegister(workspace.store).events()]


def server_register(clinic, computer=None) -> list[tuple[int, str]]:
    with clinic.admin() as conn:
        rows = conn.execute("SELECT seq, hash FROM kaproom.register_events"
                            + (" WHERE computer = %s" if computer else "") + " ORDER BY computer, seq",
                            (computer,) if computer else ()).fetchall()
    return [(int(seq), str(digest)) for seq, digest in rows]


# ---------------------------------------------------------------------------------------- step 1: sending
def test_the_register_reaches_the_server_once_however_often_it_is_sent(clinic, tmp_path, clock, monkeypatch,
                                                                       capsys):
    folder = tmp_path / "room_a"
    receive(folder, clock)  # recorded before this computer joined: sent too
    join_by_cli(clinic, folder, "room_a", "Room A", monkeypatch, capsys)
    dose_and_waste(folder, clock)
    assert clinic_sync.status(folder)["waiting"] == 3
    assert main(["clinic", "sync", "--data-dir", str(folder)]) == 0
    assert server_register(clinic, "Room A") == local_register(folder, clock)
    assert len(local_register(folder, clock)) == 4
    assert clinic_sync.status(folder)["waiting"] == 0
    # The same lines again, from the start: the server skips what it holds, changes nothing.
    config = clinic_sync.required_config(folder)
    outbox = Outbox(folder / DB_FILENAME)
    sender = Sender(config.params(), config.computer, outbox)
    try:
        again = sender.send_pending(Position())
    finally:
        sender.close()
        outbox.close()
    assert again.register_seq == 4 and not again.register_refused
    assert server_register(clinic) == local_register(folder, clock)


def test_the_servers_copy_cannot_be_changed_and_rooms_add_only_to_their_own(clinic, tmp_path, clock, monkeypatch,
                                                                            capsys):
    folder = tmp_path / "room_a"
    join_by_cli(clinic, folder, "room_a", "Room A", monkeypatch, capsys)
    receive(folder, clock)
    assert main(["clinic", "sync", "--data-dir", str(folder)]) == 0
    with clinic.as_role("room_a") as conn:
        for sql in ("UPDATE kaproom.register_events SET payload = '{}'",
                    "DELETE FROM kaproom.register_events"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)
    with clinic.admin() as conn:  # even the owner: the trigger refuses
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute("UPDATE kaproom.register_events SET lot = 'K-999'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute("DELETE FROM kaproom.register_events")
    # A line whose hash holds but whose lot column says another lot is refused.
    prev = local_register(folder, clock)[-1][1]
    payload = canonical_json({"lot": "K-100", "quantity": 30, "expected": 30, "by_verified": False})
    wall = "2026-03-02T10:00:00+00:00"
    digest = event_hash_of_text(prev, "register", 2, "counted", wall, 0.0, "Ana Ruiz", "", payload)
    with clinic.as_role("room_a") as conn:
        with pytest.raises(psycopg.Error, match="lot column"):
            conn.execute("INSERT INTO kaproom.register_events (computer, seq, wall_time, actor, kind, lot, payload,"
                         " prev_hash, hash) VALUES ('Room A', 2, %s, 'Ana Ruiz', 'counted', 'K-999', %s, %s, %s)",
                         (wall, payload, prev, digest))
        conn.execute("INSERT INTO kaproom.register_events (computer, seq, wall_time, actor, kind, lot, payload,"
                     " prev_hash, hash) VALUES ('Room A', 2, %s, 'Ana Ruiz', 'counted', 'K-100', %s, %s, %s)",
                     (wall, payload, prev, digest))  # the same line, told truly, is taken
    # Room B may not add to Room A's register; a line whose hash does not match is refused.
    folder_b = tmp_path / "room_b"
    join_by_cli(clinic, folder_b, "room_b", "Room B", monkeypatch, capsys)
    with clinic.as_role("room_b") as conn:
        row = clinic.scalar("SELECT row_to_json(r)::text FROM kaproom.register_events r WHERE seq = 1")
        assert row
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="stock register of Room A"):
            conn.execute("INSERT INTO kaproom.register_events (computer, seq, wall_time, actor, kind, lot, payload,"
                         " prev_hash, hash) SELECT computer, seq, wall_time, actor, kind, lot, payload, prev_hash,"
                         " hash FROM kaproom.register_events WHERE seq = 1")
        with pytest.raises(psycopg.Error, match="does not match its hash"):
            conn.execute("INSERT INTO kaproom.register_events (computer, seq, wall_time, actor, kind, lot, payload,"
                         " prev_hash, hash) SELECT 'Room B', seq, wall_time, 'Someone else', kind, lot, payload,"
                         " prev_hash, hash FROM kaproom.register_events WHERE seq = 1")


def test_a_register_recorded_while_the_server_is_stopped_catches_up(clinic, tmp_path, clock, monkeypatch, capsys):
    folder = tmp_path / "room_a"
    join_by_cli(clinic, folder, "room_a", "Room A", monkeypatch, capsys)
    receive(folder, clock)
    assert main(["clinic", "sync", "--data-dir", str(folder)]) == 0
    clinic.cluster.stop()
    try:
        started = time.monotonic()
        dose_and_waste(folder, clock)  # the room records as ever: the server is not asked
        assert time.monotonic() - started < 2
        assert main(["clinic", "sync", "--data-dir", str(folder)]) == 1
        assert "cannot be reached" in capsys.readouterr().err
        assert clinic_sync.status(folder)["waiting"] == 3
    finally:
        clinic.cluster.start_on_same_port()
    assert main(["clinic", "sync", "--data-dir", str(folder)]) == 0
    assert server_register(clinic, "Room A") == local_register(folder, clock)


def sent_with_an_old_copy(clinic, tmp_path, clock, monkeypatch, capsys):
    """Room A joined, a delivery received, a copy of its file kept from then (``saved``), then a dose
    and a waste recorded and sent: (the room's folder, the old copy)."""
    folder = tmp_path / "room_a"
    join_by_cli(clinic, folder, "room_a", "Room A", monkeypatch, capsys)
    receive(folder, clock)
    saved = tmp_path / "old.sqlite3"
    shutil.copy(folder / DB_FILENAME, saved)
    dose_and_waste(folder, clock)
    assert main(["clinic", "sync", "--data-dir", str(folder)]) == 0
    return folder, saved


def test_a_register_rolled_back_and_written_again_is_refused_by_name_and_sessions_still_go(
        clinic, tmp_path, clock, monkeypatch, capsys):
    folder, saved = sent_with_an_old_copy(clinic, tmp_path, clock, monkeypatch, capsys)
    # The record is put back to before the dose (an old copy) and a different line 2 is written.
    shutil.copy(saved, folder / DB_FILENAME)
    for suffix in ("-wal", "-shm"):
        (folder / (DB_FILENAME + suffix)).unlink(missing_ok=True)
    with Workspace(folder, clock) as workspace:
        Stock.of(workspace).count(ANA, "K-100", "30")
        runner = workspace.new_session(workspace.protocol("short-check"), "KAP-0001", "Teo")
        runner.note("Settled")
        session = runner.session_uid
    assert main(["clinic", "sync", "--data-dir", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "REFUSED by the clinic: the stock register: history differs: line 2 of the stock register of Room A" in err
    assert "nothing was merged" in err
    with clinic.admin() as conn:  # the session went all the same; the server's register is as it was
        assert conn.execute("SELECT count(*) FROM kaproom.events WHERE session_uid = %s", (session,)).fetchone()[0]
    assert len(server_register(clinic, "Room A")) == 4
    assert main(["clinic", "status", "--data-dir", str(folder)]) == 0
    assert "REFUSED:    the stock register: history differs" in capsys.readouterr().out


def put_back(folder, copy) -> None:
    """The record put back to a copy of it (as a restore of an older file does)."""
    shutil.copy(copy, folder / DB_FILENAME)
    for suffix in ("-wal", "-shm"):
        (folder / (DB_FILENAME + suffix)).unlink(missing_ok=True)


def refused_register(clinic, tmp_path, clock, monkeypatch, capsys):
    """Room A's register, refused by the clinic: the record was put back to an older copy and a
    different line 2 written. Returns the folder and a copy of the right record."""
    folder = tmp_path / "room_a"
    join_by_cli(clinic, folder, "room_a", "Room A", monkeypatch, capsys)
    receive(folder, clock)
    older, right = tmp_path / "old.sqlite3", tmp_path / "right.sqlite3"
    shutil.copy(folder / DB_FILENAME, older)
    dose_and_waste(folder, clock)
    assert main(["clinic", "sync", "--data-dir", str(folder)]) == 0
    shutil.copy(folder / DB_FILENAME, right)
    put_back(folder, older)
    with Workspace(folder, clock) as workspace:
        Stock.of(workspace).count(ANA, "K-100", "30")
    assert main(["clinic", "sync", "--data-dir", str(folder)]) == 1
    return folder, right


def test_a_refused_register_is_sent_again_once_the_cause_is_put_right(clinic, tmp_path, clock, monkeypatch, capsys):
    folder, right = refused_register(clinic, tmp_path, clock, monkeypatch, capsys)
    err = capsys.readouterr().err
    assert "REFUSED by the clinic: the stock register: history differs" in err
    assert "kaproom clinic sync --retry-register" in err  # the way out is said with the refusal
    assert main(["clinic", "status", "--data-dir", str(folder)]) == 0
    assert "kaproom clinic sync --retry-register" in capsys.readouterr().out
    assert main(["clinic", "sync", "--retry-register", "--data-dir", str(folder)]) == 1  # not put right yet
    assert "REFUSED by the clinic: the stock register: history differs" in capsys.readouterr().err

    put_back(folder, right)  # the clinic puts the right record back
    assert main(["clinic", "sync", "--data-dir", str(folder)]) == 1  # set aside until asked: said again
    assert "kaproom clinic sync --retry-register" in capsys.readouterr().err
    assert main(["clinic", "sync", "--retry-register", "--data-dir", str(folder)]) == 0
    captured = capsys.readouterr()
    assert "REFUSED" not in captured.err and "Caught up" in captured.out
    status = clinic_sync.status(folder)
    assert status["register_refused"] is None and status["waiting"] == 0 and status["register_sent"] == 4
    assert server_register(clinic, "Room A") == local_register(folder, clock)
    assert main(["clinic", "sync", "--data-dir", str(folder)]) == 0


def test_the_running_sender_follows_a_register_sent_again_and_does_not_set_it_aside_again(
        clinic, tmp_path, clock, monkeypatch, capsys, qtbot):
    folder, right = refused_register(clinic, tmp_path, clock, monkeypatch, capsys)
    put_back(folder, right)
    sender = clinic_sync.start_sender(folder, receive_every_s=0.5)  # the app's, holding the register as refused
    assert sender is not None
    try:
        qtbot.waitUntil(lambda: sender.status.problem.startswith("the stock register was refused"), timeout=20000)
        assert main(["clinic", "sync", "--retry-register", "--data-dir", str(folder)]) == 0
        with Workspace(folder, clock) as workspace:  # the room goes on: the running sender saves its position
            runner = workspace.new_session(workspace.protocol("short-check"), "KAP-0001", "Teo")
            runner.note("Settled")
            session = runner.session_uid
        dose_and_waste(folder, clock, session=session)
        sender.nudge()
        qtbot.waitUntil(lambda: server_register(clinic, "Room A") == local_register(folder, clock), timeout=20000)
        qtbot.waitUntil(lambda: sender.status.problem == "", timeout=20000)
    finally:
        sender.stop()
    assert clinic_sync.status(folder)["register_refused"] is None
    assert clinic.scalar("SELECT count(*) FROM kaproom.events WHERE session_uid = %s", (session,))


def wait_for(condition, timeout=30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)


def test_the_background_sender_copies_the_register_without_delaying_it(clinic, tmp_path, clock, monkeypatch,
                                                                       capsys):
    folder = tmp_path / "room_a"
    join_by_cli(clinic, folder, "room_a", "Room A", monkeypatch, capsys)
    sender = clinic_sync.start_sender(folder)
    assert sender is not None
    try:
        receive(folder, clock)
        sender.nudge()
        wait_for(lambda: len(server_register(clinic)) == 1)
        assert server_register(clinic) == local_register(folder, clock)
        clinic.cluster.stop()
        try:
            with Workspace(folder, clock) as workspace:
                stock, slowest = Stock.of(workspace), 0.0
                for _ in range(5):
                    began = time.perf_counter()
                    stock.count(ANA, "K-100", "30")
                    slowest = max(slowest, time.perf_counter() - began)
                    sender.nudge()
            assert slowest < 0.5  # a register line never waits for a server that is down
            wait_for(lambda: sender.status.unreachable_since is not None and sender.status.waiting == 5)
            assert sender.status.waiting == 5
        finally:
            clinic.cluster.start_on_same_port()
        sender.nudge()
        wait_for(lambda: len(server_register(clinic)) == 6, timeout=60)
        assert server_register(clinic) == local_register(folder, clock)
    finally:
        sender.stop()
    assert not sender.is_alive()
    assert clinic_sync.status(folder)["waiting"] == 0
    assert clinic_sync.load_position(folder).register_seq == 6


def test_a_server_put_back_to_an_older_backup_gets_the_missing_lines_again(clinic, tmp_path, clock, monkeypatch,
                                                                            capsys):
    folder = tmp_path / "room_a"
    join_by_cli(clinic, folder, "room_a", "Room A", monkeypatch, capsys)
    receive(folder, clock)
    dose_and_waste(folder, clock)
    assert main(["clinic", "sync", "--data-dir", str(folder)]) == 0
    with clinic.admin() as conn:  # as if the server were restored from a backup taken after line 2
        conn.execute("ALTER TABLE kaproom.register_events DISABLE TRIGGER register_events_append_only")
        conn.execute("DELETE FROM kaproom.register_events WHERE seq > 2")
        conn.execute("ALTER TABLE kaproom.register_events ENABLE TRIGGER register_events_append_only")
        conn.execute("UPDATE kaproom.chain_heads SET last_seq = 2, last_hash = (SELECT hash FROM"
                     " kaproom.register_events WHERE seq = 2) WHERE chain = 'register:Room A'")
    assert main(["clinic", "sync", "--data-dir", str(folder)]) == 0
    assert server_register(clinic, "Room A") == local_register(folder, clock)


# ---------------------------------------------------------------------------------------- step 2: reading
def two_rooms_with_registers(clinic, tmp_path, clock, monkeypatch, capsys):
    room_a, room_b = tmp_path / "room_a", tmp_path / "room_b"
    join_by_cli(clinic, room_a, "room_a", "Room A", monkeypatch, capsys)
    join_by_cli(clinic, room_b, "room_b", "Room B", monkeypatch, capsys)
    receive(room_a, clock, lot="K-100", quantity="30")
    dose_and_waste(room_a, clock)
    receive(room_b, clock, lot="K-100", quantity="10")  # the same lot number received in each room
    receive(room_b, clock, lot="K-200", quantity="5", expiry="2027-01-31")
    for folder in (room_a, room_b):
        assert main(["clinic", "sync", "--data-dir", str(folder)]) == 0
    capsys.readouterr()
    return room_a, room_b


def test_stock_list_clinic_shows_every_rooms_lots_and_balances_from_the_server(clinic, tmp_path, clock,
                                                                                monkeypatch, capsys):
    room_a, room_b = two_rooms_with_registers(clinic, tmp_path, clock, monkeypatch, capsys)
    assert main(["stock", "list", "--clinic", "--json", "--data-dir", str(room_b)]) == 0
    rooms = {room["room"]: room for room in json.loads(capsys.readouterr().out)["rooms"]}
    assert set(rooms) == {"Room A", "Room B"}
    balances = {(name, lot["lot"]): (lot["in_stock"], lot["out"]) for name, room in rooms.items()
                for lot in room["lots"]}
    assert balances == {("Room A", "K-100"): ("28", "0"), ("Room B", "K-100"): ("10", "0"),
                        ("Room B", "K-200"): ("5", "0")}
    assert rooms["Room A"]["head_seq"] == 4 and rooms["Room A"]["verified"]
    assert (rooms["Room A"]["head_seq"], rooms["Room A"]["head_hash"]) == local_register(room_a, clock)[-1]
    assert main(["stock", "list", "--clinic", "--data-dir", str(room_a)]) == 0
    out = capsys.readouterr().out
    assert "Room A: 4 register lines on the clinic server, checked" in out and "Room B: 2 register lines" in out
    assert "Each room keeps its own stock" in out
    office = tmp_path / "office"  # an office computer, which keeps no stock, reads the same
    monkeypatch.setattr("sys.stdin", PipedStdin(password_of("office_1") + "\n"))
    assert main(["clinic", "join", clinic.url("office_1", with_password=False), "--office", "Office",
                 "--data-dir", str(office)]) == 0
    capsys.readouterr()
    assert main(["stock", "list", "--clinic", "--json", "--data-dir", str(office)]) == 0
    assert [room["room"] for room in json.loads(capsys.readouterr().out)["rooms"]] == ["Room A", "Room B"]


def test_stock_report_clinic_writes_every_rooms_movements_as_csv_and_pdf(qapp, clinic, tmp_path, clock, monkeypatch,
                                                                         capsys):
    room_a, _ = two_rooms_with_registers(clinic, tmp_path, clock, monkeypatch, capsys)
    target = tmp_path / "clinic.csv"
    assert main(["stock", "report", "--clinic", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "csv",
                 "-o", str(target), "--data-dir", str(room_a)]) == 0
    assert "Wrote 6 register lines of 2 rooms" in capsys.readouterr().out
    rows = list(csv.DictReader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    assert [(r["room"], r["seq"], r["movement"], r["in_stock_after"]) for r in rows] == [
        ("Room A", "1", "received", "30"), ("Room A", "2", "dispensed", "28"), ("Room A", "3", "administered", "28"),
        ("Room A", "4", "wasted", "28"), ("Room B", "1", "received", "10"), ("Room B", "2", "received", "5")]
    assert rows[3]["witness"] == "Ben Okafor"
    # A period with nothing in it: the header only.
    assert main(["stock", "report", "--clinic", "--from", "2026-04-01", "--to", "2026-04-30", "--format", "csv",
                 "--data-dir", str(room_a)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[0].startswith("room,seq,")
    pdf = tmp_path / "clinic.pdf"
    assert main(["stock", "report", "--clinic", "--format", "pdf", "-o", str(pdf), "--json",
                 "--data-dir", str(room_a)]) == 0
    said = json.loads(capsys.readouterr().out)
    assert said["lines"] == 6 and [r["room"] for r in said["rooms"]] == ["Room A", "Room B"]
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "clinic-wide: dispensing log" in text
    assert text.index("Room: Room A") < text.index("Room: Room B")
    assert "Ben Okafor" in text  # the waste's witness


def test_a_copy_altered_on_the_server_is_refused_as_read_by_name(clinic, tmp_path, clock, monkeypatch, capsys):
    room_a, _ = two_rooms_with_registers(clinic, tmp_path, clock, monkeypatch, capsys)
    with clinic.admin() as conn:  # someone with the server's owner rights goes round the trigger
        conn.execute("ALTER TABLE kaproom.register_events DISABLE TRIGGER register_events_append_only")
        conn.execute("UPDATE kaproom.register_events SET payload = replace(payload, '\"quantity\":30', "
                     "'\"quantity\":40') WHERE computer = 'Room A' AND seq = 1")
        conn.execute("ALTER TABLE kaproom.register_events ENABLE TRIGGER register_events_append_only")
    assert main(["stock", "list", "--clinic", "--data-dir", str(room_a)]) == 1
    err = capsys.readouterr().err
    assert "stock register of Room A on the clinic server" in err and "Nothing is shown from it" in err
    assert main(["verify", "--clinic", "--data-dir", str(room_a)]) == 1
    assert "stock register of Room A on the clinic server" in capsys.readouterr().err


def test_a_server_that_is_down_is_said_in_one_line_within_seconds(clinic, tmp_path, clock, monkeypatch, capsys):
    room_a, _ = two_rooms_with_registers(clinic, tmp_path, clock, monkeypatch, capsys)
    clinic.cluster.stop()
    try:
        for command in (["stock", "list", "--clinic"],
                        ["stock", "report", "--clinic", "--format", "csv", "-o", str(tmp_path / "x.csv")]):
            started = time.monotonic()
            assert main([*command, "--data-dir", str(room_a)]) == 1
            assert time.monotonic() - started < 10
            said = capsys.readouterr().err.strip().splitlines()[-1]
            assert "cannot be reached" in said and "The clinic-wide register cannot be read now" in said
            assert "Nothing is lost" not in said
        assert not (tmp_path / "x.csv").exists()
    finally:
        clinic.cluster.start_on_same_port()


def test_a_computer_that_never_joined_is_told_how_to_join(tmp_path, clock, capsys):
    receive(tmp_path / "alone", clock)
    assert main(["stock", "list", "--clinic", "--data-dir", str(tmp_path / "alone")]) == 1
    assert "has not joined a clinic server" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------- step 3: verify
def test_verify_clinic_compares_the_rooms_register_with_the_servers_copy(clinic, tmp_path, clock, monkeypatch,
                                                                         capsys):
    folder, saved = sent_with_an_old_copy(clinic, tmp_path, clock, monkeypatch, capsys)
    capsys.readouterr()
    assert main(["verify", "--clinic", "--data-dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "stock register of Room A on the clinic server" in out
    assert "this computer's stock register against the clinic server" in out
    # The room's record is put back to an older copy: the server's copy catches it.
    shutil.copy(saved, folder / DB_FILENAME)
    for suffix in ("-wal", "-shm"):
        (folder / (DB_FILENAME + suffix)).unlink(missing_ok=True)
    assert main(["verify", "--data-dir", str(folder)]) == 1  # the server, a witness it reaches, disagrees
    assert "holds 4 lines of it and this record only 1" in capsys.readouterr().err
    assert main(["verify", "--clinic", "--data-dir", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "stock register against the clinic server" in err
    assert "holds 4 lines of it and this record only 1" in err
