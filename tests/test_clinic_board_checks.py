"""The board's next vitals check and open urgent alerts, against a real PostgreSQL: worked out
from the session's events on the server with the room's own rules, so the board says what the
room says (overdue when the room says overdue), and an alert acknowledged in the room leaves it."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import _clinic_helpers
import pytest
from _clinic_helpers import password_of
from _people_helpers import PipedStdin

from kaproom.cli.clinic import cmd_board
from kaproom.cli.main import build_parser, main
from kaproom.clinic.board import Folds, board_rows
from kaproom.clinic.server import connect
from kaproom.domain.clock import FakeClock
from kaproom.domain.events import Kind
from kaproom.domain.session import State
from kaproom.domain.vitals import Reading, check_in
from kaproom.domain.vitals_schedule import due_for_session
from kaproom.services import clinic_sync
from kaproom.services.workspace import Workspace
from kaproom.ui.board.window import COLUMNS, BoardWindow

pg, clinic = _clinic_helpers.pg, _clinic_helpers.clinic  # the fixtures
app_theme_restored = _clinic_helpers.app_theme_restored
MIN = 60.0
NEXT = COLUMNS.index("Next check")
URGENT = COLUMNS.index("Urgent")
CALM = Reading(systolic=122, diastolic=78, pulse=72, spo2=98, respiratory_rate=14, moaas=5)
LOW_SPO2 = Reading(systolic=130, diastolic=80, pulse=90, spo2=88, respiratory_rate=14, moaas=4)


def join(clinic, folder, role, name, monkeypatch, capsys, kind="--room") -> None:
    monkeypatch.setattr("sys.stdin", PipedStdin(password_of(role) + "\n"))
    assert main(["clinic", "join", clinic.url(role, with_password=False), kind, name, "--data-dir", str(folder)]) == 0
    capsys.readouterr()


def check(runner, reading: Reading, pre_dose: bool) -> list[int]:
    """A check-in and its alerts, as the room's vitals panel records them; the alerts' seqs."""
    checked = check_in(reading, pre_dose=pre_dose)
    saved = runner.record_with(Kind.VITALS, checked.payload(),
                               lambda event: [(Kind.ALERT, a) for a in checked.alerts(event.seq)])
    return [e.seq for e in saved if e.kind == Kind.ALERT and e.payload["level"] == "urgent"]


def rows_at(office, now, day_start, folds=None):
    with connect(clinic_sync.required_config(office).params()) as conn:
        return board_rows(conn, now, day_start, folds)


def sync(folder) -> None:
    assert clinic_sync.sync_now(folder).position.refused == ()


def test_the_next_check_and_its_overdue_are_the_rooms_own(qtbot, clinic, tmp_path, monkeypatch, capsys, protocol):
    room, office = tmp_path / "room_a", tmp_path / "office"
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    day = datetime(2026, 3, 2, tzinfo=UTC)
    join(clinic, room, "room_a", "Room A", monkeypatch, capsys)
    join(clinic, office, "office_1", "Office", monkeypatch, capsys, kind="--office")
    folds = Folds()
    with Workspace(room, clock) as workspace:
        runner = workspace.new_session(protocol, "KAP-0101", "Mira")
        events = lambda: workspace.store.events(runner.session_uid)  # noqa: E731
        sync(room)
        [row] = rows_at(office, clock.now() + timedelta(minutes=13), day, folds)
        assert row.vitals_due_kind == "baseline" and row.vitals_due_level == "ok"
        assert row.vitals_due == "Baseline vitals (before dosing) in 7 min"
        clock.advance(10 * MIN)
        check(runner, CALM, pre_dose=True)
        clock.advance(12 * MIN)
        runner.tick()
        runner.give_dose("sublingual lozenge")
        clock.advance(30 * MIN)
        runner.tick()
        sync(room)

        # 44 minutes after the dose, by the server's clock: the 40-minute check is 4 minutes late
        later = clock.now() + timedelta(minutes=14)
        [row] = rows_at(office, later, day, folds)
        clock.advance(14 * MIN)
        room_says = due_for_session(protocol, runner.state, runner.elapsed(), events())
        assert room_says.text == "Vitals (40 min after dose) overdue 4 min" and room_says.level == "overdue"
        assert (row.vitals_due, row.vitals_due_level) == (room_says.text, room_says.level)
        assert row.vitals_due_in_seconds == pytest.approx(-4 * MIN, abs=1)

        window = BoardWindow()
        qtbot.addWidget(window)
        window.show_rows([row])
        state = window.state()
        assert state["rows"][0]["cells"][NEXT] == "overdue 4 min\nafter dose"
        assert "1 overdue check" in state["status"]

        # the check is taken: nothing is overdue, the next routine one is in 30 minutes
        check(runner, CALM, pre_dose=False)
        sync(room)
        [row] = rows_at(office, clock.now(), day, folds)
        assert row.vitals_due_level == "ok" and row.vitals_due == "Vitals in 30 min"
        assert row.vitals_due == due_for_session(protocol, runner.state, runner.elapsed(), events()).text


def test_an_urgent_alert_stays_on_the_board_until_the_room_acknowledges_it(qtbot, clinic, tmp_path, monkeypatch, capsys,
                                                                           protocol):
    room, office = tmp_path / "room_a", tmp_path / "office"
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    day = datetime(2026, 3, 2, tzinfo=UTC)
    join(clinic, room, "room_a", "Room A", monkeypatch, capsys)
    join(clinic, office, "office_1", "Office", monkeypatch, capsys, kind="--office")
    with Workspace(room, clock) as workspace:
        runner = workspace.new_session(protocol, "KAP-0102", "Mira")
        clock.advance(10 * MIN)
        check(runner, CALM, pre_dose=True)
        clock.advance(12 * MIN)
        runner.tick()
        runner.give_dose("sublingual lozenge")
        clock.advance(20 * MIN)
        runner.tick()
        urgent = check(runner, LOW_SPO2, pre_dose=False)
        assert urgent
        sync(room)
        [row] = rows_at(office, clock.now() + timedelta(minutes=3), day)
        assert row.open_urgent_alerts == 1 and row.urgent_alerts[0]["field"] == "spo2"
        assert row.urgent_minutes_ago == pytest.approx(3, abs=0.1)
        # an urgent value: the room asks for a recheck, and so does the board
        assert row.vitals_due_kind == "recheck"
        window = BoardWindow()
        qtbot.addWidget(window)
        window.show_rows([row])
        assert window.state()["rows"][0]["cells"][URGENT] == "SpO2 88\nopen 3 min"
        assert "1 with an open urgent alert" in window.state()["status"]

        # acknowledged in the room, as its alert line does it (the alerts of one line at once)
        runner.record(Kind.ALERT_ACK, {"alert_seqs": urgent, "alerts": ["SpO2 88"], "action": "oxygen"})
        sync(room)
        [row] = rows_at(office, clock.now(), day)
        assert row.open_urgent_alerts == 0 and row.urgent_alerts == ()
        window.show_rows([row])
        assert window.state()["rows"][0]["cells"][URGENT] == "none"


def test_an_ended_session_has_no_check_due(clinic, tmp_path, monkeypatch, capsys, short_protocol):
    room, office = tmp_path / "room_a", tmp_path / "office"
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    join(clinic, room, "room_a", "Room A", monkeypatch, capsys)
    join(clinic, office, "office_1", "Office", monkeypatch, capsys, kind="--office")
    with Workspace(room, clock) as workspace:
        runner = workspace.new_session(short_protocol, "KAP-0103", "Mira")
        clock.advance(60)
        runner.end(State.ENDED_EARLY, "the client asked to stop")
    sync(room)
    [row] = rows_at(office, clock.now() + timedelta(hours=2), datetime(2026, 3, 2, tzinfo=UTC))
    assert row.state == "ended_early" and row.vitals_due_level == "" and row.vitals_due_in_seconds is None


def test_board_dump_state_has_the_overdue_check_and_the_open_alert(app_theme_restored, clinic, tmp_path, monkeypatch,
                                                                    capsys, protocol, days_in_utc):
    # The board's clock is given: its day is 2 March 2026, whatever day the test runs. A board on the
    # computer's own clock shows no session of that day; one that took the wrong day shows yesterday's.
    now = datetime(2026, 3, 2, 1, 15, tzinfo=UTC)
    began = now - timedelta(minutes=70)  # 00:05, just after midnight
    room, office = tmp_path / "room_a", tmp_path / "office"
    yesterday = FakeClock(datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    with Workspace(room, yesterday) as workspace:
        runner = workspace.new_session(protocol, "KAP-0099", "Ana")
        yesterday.advance(10 * MIN)
        runner.end(State.ENDED_EARLY, "the client asked to stop")
    clock = FakeClock(began)
    with Workspace(room, clock) as workspace:
        runner = workspace.new_session(protocol, "KAP-0104", "Ana")
        clock.advance(10 * MIN)
        check(runner, CALM, pre_dose=True)
        clock.advance(12 * MIN)
        runner.tick()
        runner.give_dose("sublingual lozenge")
        clock.advance(10 * MIN)
        runner.tick()
        check(runner, LOW_SPO2, pre_dose=False)  # at 32 min: urgent, recheck due at 37 min
    join(clinic, room, "room_a", "Room A", monkeypatch, capsys)
    join(clinic, office, "office_1", "Office", monkeypatch, capsys, kind="--office")
    dump = tmp_path / "board.json"
    argv = ["board", "--dump-state", str(dump), "--data-dir", str(office)]
    assert cmd_board(build_parser(argv).parse_args(argv), FakeClock(now)) == 0
    state = json.loads(dump.read_text())
    [row] = state["rows"]  # today's session only
    assert row["client_code"] == "KAP-0104"
    assert state["columns"][NEXT] == "Next check"
    assert row["vitals_due_level"] == "overdue" and row["vitals_due_kind"] == "recheck"
    assert row["cells"][NEXT].startswith("overdue ") and row["cells"][NEXT].endswith("\nrecheck")
    assert row["open_urgent_alerts"] == 1 and row["cells"][URGENT].startswith("SpO2 88\nopen ")
    assert "1 overdue check" in state["status"] and "1 with an open urgent alert" in state["status"]
