"""The live board against a real PostgreSQL: a room's vitals check-in shows within 2 seconds,
through LISTEN/NOTIFY; the board shows state and never a note."""
from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import _clinic_helpers
from _clinic_helpers import password_of
from _people_helpers import PipedStdin
from PySide6.QtCore import QTimer

import kaproom.cli.clinic as clinic_cli
from kaproom.cli.main import main
from kaproom.clinic.board import BoardFeed
from kaproom.domain.events import Kind
from kaproom.domain.vitals import Reading, check_in
from kaproom.services import clinic_sync
from kaproom.services.workspace import Workspace
from kaproom.ui.board.window import BoardWindow

pg, clinic = _clinic_helpers.pg, _clinic_helpers.clinic  # the fixtures
app_theme_restored = _clinic_helpers.app_theme_restored


def join(clinic, folder, role, name, monkeypatch, capsys, kind="--room") -> None:
    monkeypatch.setattr("sys.stdin", PipedStdin(password_of(role) + "\n"))
    assert main(["clinic", "join", clinic.url(role, with_password=False), kind, name, "--data-dir", str(folder)]) == 0
    capsys.readouterr()


def test_the_board_shows_a_rooms_vitals_check_in_within_two_seconds(qtbot, clinic, tmp_path, monkeypatch, capsys):
    room, office = tmp_path / "room_a", tmp_path / "office"
    join(clinic, room, "room_a", "Room A", monkeypatch, capsys)
    join(clinic, office, "office_1", "Office", monkeypatch, capsys, kind="--office")
    sender = clinic_sync.start_sender(room)
    window = BoardWindow()
    qtbot.addWidget(window)
    window.show()
    feed = BoardFeed(clinic_sync.required_config(office).params(), window.rowsArrived.emit, window.problem.emit,
                     refresh_s=60)  # only a notification can bring the check-in in time
    feed.start()
    try:
        with Workspace(room) as workspace:
            runner = workspace.new_session(workspace.protocol("short-check"), "KAP-0042", "Teo")
            runner.note("A private observation the board must never show")
            qtbot.waitUntil(lambda: len(window.rows) == 1 and window.rows[0].reachable, timeout=10000)
            assert window.rows[0].vitals == {}
            reading = Reading(systolic=182, diastolic=95, pulse=88, spo2=97, respiratory_rate=14, moaas=4)
            began = time.monotonic()
            runner.record(Kind.VITALS, check_in(reading, pre_dose=False).payload())
            sender.nudge()
            qtbot.waitUntil(lambda: window.rows and window.rows[0].vitals.get("systolic") == 182, timeout=2000)
            assert time.monotonic() - began < 2.0
        row = window.rows[0]
        assert (row.room, row.therapist, row.client_code, row.state) == ("Room A", "Teo", "KAP-0042", "running")
        assert row.vitals_status["systolic"] in ("caution", "urgent")
        state = json.dumps(window.state())
        assert "BP 182/95" in state and "private observation" not in state
    finally:
        feed.stop()
        sender.stop()


def test_board_dump_state_writes_what_it_shows(app_theme_restored, clinic, tmp_path, monkeypatch, capsys):
    room, office = tmp_path / "room_a", tmp_path / "office"
    with Workspace(room) as workspace:
        runner = workspace.new_session(workspace.protocol("short-check"), "KAP-0007", "Ana")
        runner.record(Kind.VITALS, check_in(Reading(systolic=120, diastolic=80, pulse=70, spo2=98,
                                                    respiratory_rate=12, moaas=5), pre_dose=True).payload())
    join(clinic, room, "room_a", "Room A", monkeypatch, capsys)
    join(clinic, office, "office_1", "Office", monkeypatch, capsys, kind="--office")
    dump = tmp_path / "board.json"
    assert main(["board", "--dump-state", str(dump), "--data-dir", str(office)]) == 0
    state = json.loads(dump.read_text())
    [row] = state["rows"]
    assert row["room"] == "Room A" and row["client_code"] == "KAP-0007" and row["reachable"] is False
    assert row["cells"][8].startswith("BP 120/80")
    assert datetime.now(UTC).year >= 2026


def test_after_the_board_command_returns_the_app_goes_on_running_its_event_loops(app_theme_restored, clinic, tmp_path,
                                                                              monkeypatch, capsys, qtbot):
    """The board's "server never answered" fallback must not outlive the command: fired later, it told the
    whole app to quit, and every event loop after it (a dialog's, a wait's) returned at once, unrun."""
    office = tmp_path / "office"
    join(clinic, office, "office_1", "Office", monkeypatch, capsys, kind="--office")
    monkeypatch.setattr(clinic_cli, "BOARD_GIVE_UP_MS", 1500)
    assert main(["board", "--dump-state", str(tmp_path / "board.json"), "--data-dir", str(office)]) == 0
    qtbot.wait(2000)  # past the fallback's time
    fired: list[int] = []
    QTimer.singleShot(50, lambda: fired.append(1))
    qtbot.waitUntil(lambda: fired == [1], timeout=3000)
