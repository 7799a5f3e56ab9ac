"""Office sign-offs reaching the room through the app's background sender (no ``clinic sync``),
against a real PostgreSQL: the room's running sender receives what the clinic added once it is
caught up and then at a calm interval, and a server that is down shows only in the room's quiet
status line; the room's review shows the office's sign-off."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import _clinic_helpers
import pytest
from _clinic_helpers import password_of
from _people_helpers import PipedStdin

from kaproom.cli.main import main
from kaproom.domain.clock import FakeClock, to_iso
from kaproom.export.records import LocalRecords
from kaproom.services import clinic_sync
from kaproom.services.clinic_review import ClinicReader
from kaproom.services.office_actions import OFFICE_ACTIONS_FILE, load_office_actions
from kaproom.services.simulate import run_simulation
from kaproom.services.workspace import Workspace
from kaproom.ui.review.window import ReviewWindow

pg, clinic = _clinic_helpers.pg, _clinic_helpers.clinic  # the fixtures
WAIT_MS = 20000  # a bound, never a pause: each wait ends as soon as its condition holds


def join(clinic, folder, role, name, monkeypatch, capsys, kind="--room") -> None:
    monkeypatch.setattr("sys.stdin", PipedStdin(password_of(role) + "\n"))
    assert main(["clinic", "join", clinic.url(role, with_password=False), kind, name, "--data-dir", str(folder)]) == 0
    capsys.readouterr()


@pytest.fixture
def room_and_office(clinic, tmp_path, monkeypatch, capsys):
    """Room A sent one session; an office computer joined."""
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    room, office = tmp_path / "room_a", tmp_path / "office"
    with Workspace(room, clock) as workspace:
        run_simulation(workspace, "short-check", notes=3, vitals=2, tracks=1, seed=1,
                       sleep=lambda s: clock.advance(s * clock.speed))
        uid = workspace.store.sessions()[0].uid
    join(clinic, room, "room_a", "Room A", monkeypatch, capsys)
    join(clinic, office, "office_1", "Office", monkeypatch, capsys, kind="--office")
    return room, office, uid, clock


def sign_off_at_the_office(office, uid, clock, comment="Reviewed at the office: fine."):
    with ClinicReader.of(office) as reader:
        return reader.sign_off(uid, comment, "Dr Ines Park", "supervisor", to_iso(clock.now()))


def office_sign_offs(room) -> list[tuple[str, str, str]]:
    return [(a.author, a.computer, a.comment) for a in load_office_actions(room)]


def test_the_rooms_running_sender_brings_an_office_sign_off_into_the_rooms_review(qtbot, room_and_office):
    room, office, uid, clock = room_and_office
    statuses = []
    sender = clinic_sync.start_sender(room, statuses.append, receive_every_s=0.5)
    assert sender is not None
    try:
        qtbot.waitUntil(lambda: sender.received_at is not None, timeout=WAIT_MS)  # caught up: received once
        assert office_sign_offs(room) == []
        sign_off_at_the_office(office, uid, clock)
        qtbot.waitUntil(lambda: office_sign_offs(room) != [], timeout=WAIT_MS)
        assert office_sign_offs(room) == [("Dr Ines Park", "Office", "Reviewed at the office: fine.")]
        assert clinic_sync.describe_status(sender.status).startswith(("sent to the clinic", "not sent to the clinic"))
    finally:
        sender.stop()
    assert not sender.is_alive()

    with Workspace(room, clock) as here:
        assert here.store.session(uid).signed_at is None  # the room's own chain holds no sign-off
        window = ReviewWindow(here, "Teo")
        qtbot.addWidget(window)
        assert window.open_session(uid)
        assert [(s.author, s.office) for s in window.session_view.report.signoffs] == [("Dr Ines Park", "Office")]
        assert "Dr Ines Park at Office" in window.session_view.details.toPlainText()
        assert [s.office for s in LocalRecords(here).report(uid).signoffs] == ["Office"]


def test_after_an_outage_the_sender_receives_as_soon_as_it_has_caught_up_and_the_outage_shows_only_in_its_line(
        qtbot, room_and_office, clinic):
    room, office, uid, clock = room_and_office
    sender = clinic_sync.start_sender(room)  # the app's own calm interval (far longer than this test's waits)
    assert sender is not None
    assert sender.receive_every_s >= 10
    try:
        qtbot.waitUntil(lambda: sender.received_at is not None, timeout=WAIT_MS)
        sign_off_at_the_office(office, uid, clock)  # the next calm receive is many seconds away
        clinic.cluster.stop()
        try:
            with Workspace(room, clock) as here:  # the room goes on recording: a new session
                runner = here.new_session(here.protocol("short-check"), "KAP-0002", "Teo")
                runner.note("while the server is down")
            sender.nudge()
            qtbot.waitUntil(lambda: sender.status.unreachable_since is not None, timeout=WAIT_MS)
            line = clinic_sync.describe_status(sender.status)
            assert line.startswith("clinic server unreachable since")
            assert office_sign_offs(room) == []
        finally:
            clinic.cluster.start_on_same_port()
        sender.nudge()
        qtbot.waitUntil(lambda: office_sign_offs(room) != [], timeout=WAIT_MS)  # long before the calm interval
        assert office_sign_offs(room) == [("Dr Ines Park", "Office", "Reviewed at the office: fine.")]
        qtbot.waitUntil(lambda: sender.status.unreachable_since is None, timeout=WAIT_MS)
        assert clinic_sync.describe_status(sender.status).startswith("sent to the clinic 0:00:")
    finally:
        sender.stop()


# ==================================================================== the office chains the room holds
@pytest.fixture
def three_sign_offs(clinic, room_and_office, tmp_path, monkeypatch, capsys):
    """The office signs off three times: Room A's session, then Room B's, then Room A's again (its
    chain's entries 1 to 3); Room A receives them with ``clinic sync``."""
    room, office, uid, clock = room_and_office
    room_b = tmp_path / "room_b"
    with Workspace(room_b, clock) as workspace:
        run_simulation(workspace, "short-check", notes=2, vitals=1, tracks=1, seed=2,
                       sleep=lambda s: clock.advance(s * clock.speed))
        uid_b = workspace.store.sessions()[0].uid
    join(clinic, room_b, "room_b", "Room B", monkeypatch, capsys)
    sign_off_at_the_office(office, uid, clock, "first")
    clock.advance(60)
    sign_off_at_the_office(office, uid_b, clock, "Room B's: not for Room A to read")
    clock.advance(60)
    sign_off_at_the_office(office, uid, clock, "third")
    return room, office, uid, clock


def received_file(room):
    return json.loads((room / OFFICE_ACTIONS_FILE).read_text())


def test_verify_names_an_office_entry_removed_from_the_rooms_received_copy(three_sign_offs, capsys):
    room, _office, _uid, _clock = three_sign_offs
    assert main(["clinic", "sync", "--data-dir", str(room)]) == 0
    assert "2 sign-offs made at office computers" in capsys.readouterr().out
    assert [a.comment for a in load_office_actions(room)] == ["first", "third"]
    assert "not for Room A" not in (room / OFFICE_ACTIONS_FILE).read_text()  # another room's words are not kept
    assert main(["verify", "--data-dir", str(room)]) == 0
    out = capsys.readouterr().out
    assert "office chain of Office as received here: intact (3 events)" in out
    assert "office chain of Office against the clinic server: intact" in out

    whole = received_file(room)
    data = received_file(room)  # the middle entry goes from the room's copy
    data["chains"]["Office"] = [link for link in data["chains"]["Office"] if link[0] != 2]
    clinic_sync.write_private(room / OFFICE_ACTIONS_FILE, data)
    assert main(["verify", "--data-dir", str(room)]) == 1
    captured = capsys.readouterr()
    assert ("office chain of Office as received here: BROKEN at event 2 (id None): entry 2 of Office's chain is "
            "missing here") in captured.out
    assert "VERIFY FAILED" in captured.err

    data = dict(whole)  # a sign-off on this room's session hidden, its link left in place
    data["actions"] = [a for a in whole["actions"] if a["seq"] != 3]
    clinic_sync.write_private(room / OFFICE_ACTIONS_FILE, data)
    assert main(["verify", "--data-dir", str(room)]) == 1
    assert ("BROKEN at event 3 (id None): entry 3 of Office's chain is on this room's sessions and its sign-off is "
            "missing here") in capsys.readouterr().out

    clinic_sync.write_private(room / OFFICE_ACTIONS_FILE, whole)  # put back as received: intact again
    assert main(["verify", "--data-dir", str(room)]) == 0


def test_an_entry_the_server_withholds_or_removes_is_named_by_the_rooms_verify(three_sign_offs, clinic, capsys):
    room, _office, _uid, _clock = three_sign_offs
    with clinic.admin() as conn:  # the server withholds entry 2 (behind its triggers' back) before the room reads
        conn.execute("SET session_replication_role = replica")
        conn.execute("DELETE FROM kaproom.office_events WHERE computer = 'Office' AND seq = 2")
    assert clinic_sync.sync_now(room).office_actions == 2
    assert main(["verify", "--data-dir", str(room)]) == 1
    out = capsys.readouterr().out
    assert "office chain of Office as received here: BROKEN at event 2" in out
    assert "entry 2 of Office's chain is missing here" in out


def test_a_server_behind_what_the_room_received_is_named_by_the_rooms_verify(three_sign_offs, clinic, capsys):
    room, _office, _uid, _clock = three_sign_offs
    clinic_sync.sync_now(room)
    with clinic.admin() as conn:  # the server loses its last entry and its head moves back
        conn.execute("SET session_replication_role = replica")
        conn.execute("DELETE FROM kaproom.office_events WHERE computer = 'Office' AND seq = 3")
        conn.execute("UPDATE kaproom.chain_heads SET last_seq = 2, last_hash = (SELECT hash FROM kaproom.office_events"
                     " WHERE computer = 'Office' AND seq = 2) WHERE chain = 'office:Office'")
    assert clinic_sync.sync_now(room).office_actions == 2  # what the room received stays
    assert main(["verify", "--data-dir", str(room)]) == 1
    out = capsys.readouterr().out
    assert "office chain of Office as received here: intact (3 events)" in out
    assert ("office chain of Office against the clinic server: BROKEN at event 3 (id None): the clinic server holds "
            "2 entries of Office's chain and this room received 3") in out
    assert main(["verify", "--clinic", "--data-dir", str(room)]) == 1  # and where the server's logs are checked
    out = capsys.readouterr().out
    assert ("office chain of Office against the clinic server: BROKEN at event 3 (id None): the clinic server holds "
            "2 entries of Office's chain and this room received 3") in out


def test_a_file_received_before_the_links_were_kept_is_completed_not_doubled(three_sign_offs, capsys):
    room, _office, _uid, _clock = three_sign_offs
    clinic_sync.sync_now(room)
    data = received_file(room)  # as an older KAP Room wrote it: the actions only, without their hashed text
    old = {"actions": [{k: v for k, v in action.items() if k not in ("prev_hash", "payload")}
                       for action in data["actions"]]}
    clinic_sync.write_private(room / OFFICE_ACTIONS_FILE, old)
    assert clinic_sync.sync_now(room).office_actions == 2
    assert received_file(room) == data
    assert main(["verify", "--data-dir", str(room)]) == 0
    assert "office chain of Office as received here: intact (3 events)" in capsys.readouterr().out


def test_a_rooms_receive_brings_only_the_links_of_another_rooms_sign_off_never_its_content(three_sign_offs, clinic):
    room, _office, uid, _clock = three_sign_offs
    uid_b = clinic.scalar("SELECT uid FROM kaproom.sessions WHERE room = 'Room B'")
    with clinic.as_role("room_a") as conn:  # what Room A's receive reads from the server, as Room A
        rows = conn.execute(clinic_sync.OFFICE_ENTRIES_SQL, ("Room A", [], [])).fetchall()
    assert [(row[0], row[1], row[9]) for row in rows] == [("Office", 1, True), ("Office", 2, False),
                                                          ("Office", 3, True)]  # every link of the chain
    fetched = json.dumps([[str(value) for value in row] for row in rows])
    assert "not for Room A" not in fetched and uid_b not in fetched  # nothing of Room B's session leaves the server
    assert rows[1][2:7] == (None, None, None, None, None) and rows[1][7] == rows[0][8]  # a link, linked
    assert uid in fetched and "first" in fetched and "third" in fetched  # this room's own, whole

    assert clinic_sync.sync_now(room).office_actions == 2
    kept = (room / OFFICE_ACTIONS_FILE).read_text()
    assert "not for Room A" not in kept and uid_b not in kept
    assert [a.comment for a in load_office_actions(room)] == ["first", "third"]
    assert [link[0] for link in received_file(room)["chains"]["Office"]] == [1, 2, 3]
