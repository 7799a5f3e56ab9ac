"""The review and the exports from the clinic server, on an office computer, against a real
PostgreSQL: the server's copy of a session verified and shown as the room shows it, exports byte
for byte the room's, a server that is down said within seconds (exit 1), and a sign-off made at
the office kept in the office's own chain on the server, shown in the review and the exports with
the office's name, and brought back to the room by ``clinic sync`` without touching its record."""
from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import _clinic_helpers
import pytest
from _clinic_helpers import password_of
from _people_helpers import PipedStdin
from pg_cluster import free_port

from kaproom.cli.clinic import BoardReviews
from kaproom.cli.main import main
from kaproom.clinic.board import board_rows
from kaproom.clinic.errors import ClinicError
from kaproom.clinic.server import connect
from kaproom.domain.clock import FakeClock
from kaproom.export.importer import import_bundle
from kaproom.export.records import ClinicRecords, LocalRecords
from kaproom.export.report_data import gather
from kaproom.services import clinic_sync
from kaproom.services.clinic_review import ClinicReader
from kaproom.services.simulate import run_simulation
from kaproom.services.workspace import Workspace
from kaproom.store.queries import SessionFilter
from kaproom.ui.board.window import BoardWindow
from kaproom.ui.review.window import ReviewWindow

pg, clinic = _clinic_helpers.pg, _clinic_helpers.clinic  # the fixtures
app_theme_restored = _clinic_helpers.app_theme_restored
FORMATS = ("pdf", "csv", "fhir", "json")


def join(clinic, folder, role, name, monkeypatch, capsys, kind="--room") -> None:
    monkeypatch.setattr("sys.stdin", PipedStdin(password_of(role) + "\n"))
    assert main(["clinic", "join", clinic.url(role, with_password=False), kind, name, "--data-dir", str(folder)]) == 0
    capsys.readouterr()


def simulate(folder, clock, seed=1, notes=5, vitals=3) -> str:
    with Workspace(folder, clock) as workspace:
        run_simulation(workspace, "short-check", notes=notes, vitals=vitals, tracks=2, seed=seed,
                       sleep=lambda s: clock.advance(s * clock.speed))
        return workspace.store.sessions()[0].uid


@pytest.fixture
def clinic_of_two_rooms(clinic, tmp_path, monkeypatch, capsys):
    """Room B sends a session first (so the server's numbers are not Room A's), then Room A two;
    an office computer has joined."""
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    room_a, room_b, office = tmp_path / "room_a", tmp_path / "room_b", tmp_path / "office"
    simulate(room_b, clock, seed=7)
    join(clinic, room_b, "room_b", "Room B", monkeypatch, capsys)
    simulate(room_a, clock, seed=1)
    uid = simulate(room_a, clock, seed=2)  # Room A's session 2, newest first
    join(clinic, room_a, "room_a", "Room A", monkeypatch, capsys)
    join(clinic, office, "office_1", "Office", monkeypatch, capsys, kind="--office")
    return room_a, office, uid, clock


def test_the_servers_copy_reads_as_the_rooms_own_and_exports_the_same_bytes(qapp, clinic_of_two_rooms, tmp_path):
    room, office, uid, clock = clinic_of_two_rooms
    with Workspace(room, clock) as here, Workspace(office, clock) as there, ClinicReader.of(office) as reader:
        server = ClinicRecords(there, reader)
        assert server.count(SessionFilter()) == 3
        assert {row.room for row in server.page(SessionFilter())} == {"Room A", "Room B"}
        ours, theirs = gather(here, uid), server.report(uid)
        assert theirs.integrity.intact and theirs.header == ours.header and theirs.header.number == 2
        assert theirs.timeline == ours.timeline
        assert [(e.seq, e.hash, e.payload) for e in theirs.events] == [(e.seq, e.hash, e.payload) for e in ours.events]
        for fmt in FORMATS:
            local = LocalRecords(here).export(uid, fmt, tmp_path / f"room.{fmt}", user=None)
            remote = server.export(uid[:10], fmt, tmp_path / f"office.{fmt}", user=None)
            written, copied = local.path.read_bytes(), remote.path.read_bytes()
            if fmt == "json":  # each computer signs with its own key, as where the bundle comes from
                written, copied = (json.loads(data) for data in (written, copied))
                assert copied.pop("signature")["origin"] == copied["session"].pop("origin") == "Office"
                written.pop("signature")
                assert written["session"].pop("origin") == "local"
            assert written == copied, fmt
            assert remote.number == 2
        with Workspace(tmp_path / "elsewhere", clock) as elsewhere:  # the office's bundle imports, as the office's
            imported = import_bundle(elsewhere, tmp_path / "office.json", None, trust_new=True)
            assert imported.origin == "Office" and elsewhere.store.session(uid).last_hash == ours.events[-1].hash


def test_export_clinic_on_the_command_line_and_a_server_that_is_down(qapp, clinic_of_two_rooms, tmp_path, capsys):
    room, office, uid, _clock = clinic_of_two_rooms
    assert main(["export", uid[:12], "--format", "csv", "-o", str(tmp_path / "room.csv"), "--data-dir",
                 str(room)]) == 0
    assert main(["export", uid[:12], "--clinic", "--format", "csv", "-o", str(tmp_path / "office.csv"),
                 "--data-dir", str(office)]) == 0
    assert "from the clinic server" in capsys.readouterr().out
    assert (tmp_path / "room.csv").read_bytes() == (tmp_path / "office.csv").read_bytes()

    config = json.loads((office / clinic_sync.CONFIG_FILE).read_text())
    config["url"] = f"host=127.0.0.1 port={free_port()} dbname=x user=office_1"  # nobody listens: the server is down
    clinic_sync.write_private(office / clinic_sync.CONFIG_FILE, config)
    began = time.monotonic()
    assert main(["export", uid[:12], "--clinic", "--format", "pdf", "-o", str(tmp_path / "down.pdf"),
                 "--data-dir", str(office)]) == 1
    assert time.monotonic() - began < 8
    assert "cannot be reached" in capsys.readouterr().err and not (tmp_path / "down.pdf").exists()
    began = time.monotonic()
    assert main(["review", "--clinic", "--data-dir", str(office)]) == 1
    assert time.monotonic() - began < 8 and "cannot be reached" in capsys.readouterr().err


def test_a_sign_off_at_the_office_goes_into_the_offices_own_chain_and_back_to_the_room(
        qtbot, clinic_of_two_rooms, clinic, tmp_path, capsys):
    room, office, uid, clock = clinic_of_two_rooms
    before = clinic.scalar("SELECT last_hash FROM kaproom.sessions WHERE uid = %s", (uid,))
    with Workspace(office, clock) as there, ClinicReader.of(office) as reader:
        window = ReviewWindow(there, "Dr Ines Park", records=ClinicRecords(there, reader))
        qtbot.addWidget(window)
        assert window.model.total == 3 and "clinic server" in window.windowTitle()
        assert not window.import_button.isVisibleTo(window)
        assert window.open_session(uid)
        assert window.session_view.report.header.number == 2
        window.session_view.signoff.comment.setPlainText("Reviewed at the office: fine.")
        signed = window.session_view.signoff.sign()
        assert signed is not None and signed.office == "Office"
        shown = window.session_view.report.signoffs
        assert [(s.author, s.office) for s in shown] == [("Dr Ines Park", "Office")]
        assert "Dr Ines Park at Office" in window.session_view.details.toPlainText()
        assert "Signed off at Office" in window.session_view.signoff.message.text()
        exported = ClinicRecords(there, reader).export(uid, "pdf", tmp_path / "signed.pdf", user=None)
        assert exported.size > 0

    # the room's chain on the server is as the room sent it; the sign-off is the office's, checked
    assert clinic.scalar("SELECT last_hash FROM kaproom.sessions WHERE uid = %s", (uid,)) == before
    assert clinic.scalar("SELECT count(*) FROM kaproom.events WHERE kind = 'signoff'") == 0
    assert clinic.scalar("SELECT computer || ':' || seq FROM kaproom.office_events WHERE session_uid = %s",
                         (uid,)) == "Office:1"
    assert main(["verify", "--clinic", "--data-dir", str(office)]) == 0
    capsys.readouterr()

    # the room learns of it with `clinic sync`, read-only: its own record is untouched
    with Workspace(room, clock) as here:
        events_before = [e.hash for e in here.store.events(uid)]
    assert main(["clinic", "sync", "--data-dir", str(room)]) == 0
    assert "1 sign-off made at office computers" in capsys.readouterr().out
    with Workspace(room, clock) as here:
        assert [e.hash for e in here.store.events(uid)] == events_before
        assert here.store.session(uid).signed_at is None  # the room's own chain holds no sign-off
        report = LocalRecords(here).report(uid)
        assert [(s.author, s.office, s.comment) for s in report.signoffs] == [
            ("Dr Ines Park", "Office", "Reviewed at the office: fine.")]
        local = LocalRecords(here).export(uid, "pdf", tmp_path / "room-signed.pdf", user=None)
    with Workspace(office, clock) as there, ClinicReader.of(office) as reader:
        remote = ClinicRecords(there, reader).export(uid, "pdf", tmp_path / "office-signed.pdf", user=None)
    assert local.path.read_bytes() == remote.path.read_bytes()  # the same report, the office's sign-off in both
    assert main(["verify", "--data-dir", str(room)]) == 0


def test_a_room_cannot_sign_off_in_an_office_chain(clinic_of_two_rooms):
    room, _office, uid, clock = clinic_of_two_rooms
    with Workspace(room, clock) as here, ClinicReader.of(room) as reader:
        with pytest.raises(ClinicError, match="office computer"):
            ClinicRecords(here, reader).sign_off(uid, "from the room", "Teo", "supervisor", None)


def test_a_double_click_on_the_board_opens_that_sessions_review_from_the_server(qtbot, clinic_of_two_rooms):
    _room, office, uid, clock = clinic_of_two_rooms
    with Workspace(office, clock) as there, ClinicReader.of(office) as reader:
        board = BoardWindow()
        qtbot.addWidget(board)
        with connect(reader.params) as conn:
            rows = board_rows(conn, datetime(2026, 3, 2, 12, 0, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC))
        board.show_rows(rows)
        reviews = BoardReviews(board, there, None, ClinicRecords(there, reader))
        line = next(number for number, row in enumerate(board.rows) if row.session_uid == uid)
        board.table.cellDoubleClicked.emit(line, 0)
        review = reviews.review
        assert review is not None and review.isVisible()
        qtbot.addWidget(review)
        assert review.session_view.report.header.uid == uid and review.session_view.report.integrity.intact
        assert "Opened session" in board.status.text()


def test_the_servers_list_filters_sorts_and_counts_as_the_local_list_does(clinic_of_two_rooms):
    from datetime import date
    _room, office, uid, clock = clinic_of_two_rooms
    with Workspace(office, clock) as there, ClinicReader.of(office) as reader:
        server = ClinicRecords(there, reader)
        everything = SessionFilter()
        assert server.rooms() == ["Room A", "Room B"] and server.therapists() == ["simulator"]
        assert [row.room for row in server.page(everything, "room", False, 0, 10)] == ["Room A", "Room A", "Room B"]
        assert len(server.page(everything, "date", True, 1, 1)) == 1  # a page of one, from the second
        assert server.count(SessionFilter(room="room a")) == 2  # as SQLite's NOCASE
        assert server.count(SessionFilter(client="0002")) == 1
        assert server.count(SessionFilter(client="%")) == 0  # typed text, never a pattern
        assert server.count(SessionFilter(therapist="Simulator", not_signed=True, has_alerts=False)) == 3
        assert server.count(SessionFilter(date_from=date(2026, 3, 2), date_to=date(2026, 3, 2))) == 3
        assert server.count(SessionFilter(date_from=date(2026, 3, 3))) == 0
        assert server.count(SessionFilter(include_demo=False, short_observation=True,
                                          observation_minutes=(("short-check", 8.0),))) == 0
        totals = server.totals(everything)
        assert (totals.sessions, totals.not_signed) == (3, 3)
        server.sign_off(uid, "", "Dr Ines Park", "supervisor", None)
        assert server.totals(everything).not_signed == 2
        assert server.count(SessionFilter(not_signed=True)) == 2
        [signed] = [row for row in server.page(everything, "signed", True, 0, 10) if row.signed_at]
        assert signed.uid == uid and signed.signed_by == "Dr Ines Park"


def test_review_clinic_on_the_command_line_opens_a_session_from_the_server(app_theme_restored, clinic_of_two_rooms,
                                                                            tmp_path, capsys):
    _room, office, uid, _clock = clinic_of_two_rooms
    picture = tmp_path / "review.png"
    assert main(["review", "--clinic", uid[:10], "--screenshot", str(picture), "--data-dir", str(office)]) == 0
    err = capsys.readouterr().err
    assert picture.stat().st_size > 0 and "clinic server" not in err and "not a session" not in err
    # Nothing of the review runs on after the command: its idle lock, left counting, locked minutes
    # later inside whatever ran next in the same process and wrote to the record closed meanwhile.
    from PySide6.QtWidgets import QApplication

    from kaproom.ui.review.window import ReviewWindow
    left = [w for w in QApplication.topLevelWidgets() if isinstance(w, ReviewWindow)]
    assert left and not any(w.isVisible() for w in left)
    assert not any(w.review_lock is not None and w.review_lock.watching for w in left)
