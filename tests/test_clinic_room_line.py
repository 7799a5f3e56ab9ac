"""The room's quiet line about the clinic server, against a real throwaway PostgreSQL that the test
stops and starts again: "sent to the clinic 0:00:04 ago" after a note, "clinic server unreachable
since 14:02, 3 events waiting" while it is down (Enter still saves at once), caught up once it is back."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import _clinic_helpers
import pytest
from _clinic_helpers import password_of
from _people_helpers import PipedStdin
from _room_helpers import open_room, stored_notes, type_note
from PySide6.QtWidgets import QLabel

from kaproom.cli.main import main
from kaproom.domain.clock import SystemClock
from kaproom.services import clinic_sync
from kaproom.services.paths import REPO_ROOT
from kaproom.services.workspace import Workspace
from kaproom.ui.shell import clinic_link
from kaproom.ui.shell.clinic_link import ClinicLink, make_clinic_link
from kaproom.ui.shell.wiring import make_launcher

pg, clinic = _clinic_helpers.pg, _clinic_helpers.clinic  # the fixtures


def join(clinic, folder, monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", PipedStdin(password_of("room_a") + "\n"))
    assert main(["clinic", "join", clinic.url("room_a", with_password=False), "--room", "Room A",
                 "--data-dir", str(folder)]) == 0
    capsys.readouterr()


def server_count(clinic, uid: str) -> int:
    return int(clinic.scalar("SELECT count(*) FROM kaproom.events WHERE session_uid=%s", (uid,)))


def test_the_link_looks_for_the_file_that_joining_writes(tmp_path):
    assert clinic_link.JOINED_FILE == clinic_sync.CONFIG_FILE
    assert make_clinic_link(tmp_path) is None  # never joined: no link, no sender, no socket


def test_the_room_says_quietly_whether_its_record_reached_the_clinic(clinic, tmp_path, clock, qtbot, monkeypatch,
                                                                      capsys):
    folder = tmp_path / "room_a"
    join(clinic, folder, monkeypatch, capsys)
    link = make_clinic_link(folder)
    assert isinstance(link, ClinicLink)
    workspace = Workspace(folder, clock)
    try:
        runner = workspace.new_session(workspace.protocol("short-check"), "KAP-0001", "Teo")
        link.start()
        room = open_room(qtbot, workspace, runner)
        line = link.show_in_room(room)
        width = line.width()
        type_note(qtbot, room, "settled, eyes closed")
        qtbot.waitUntil(lambda: server_count(clinic, runner.session_uid) == len(workspace.store.events(
            runner.session_uid)), timeout=20000)
        qtbot.waitUntil(lambda: line.text().startswith("sent to the clinic 0:00:0"), timeout=5000)
        assert line.isVisible() and line.property("muted") == "true"
        if os.environ.get("KAPROOM_SCREENSHOT_DIR"):
            room.grab().save(os.path.join(os.environ["KAPROOM_SCREENSHOT_DIR"], "room-clinic-line.png"))

        room.toggle_privacy()  # F12: nothing but the clock
        assert not line.isVisible()
        room.toggle_privacy()
        assert line.isVisible()

        clinic.cluster.stop()
        try:
            slowest = 0.0
            for text in ("breathing slowly", "asked for the blanket", "quiet"):
                began = time.perf_counter()
                type_note(qtbot, room, text)
                slowest = max(slowest, time.perf_counter() - began)
                assert stored_notes(workspace, runner)[-1] == text  # saved at once, server or not
            assert slowest < 0.5
            qtbot.waitUntil(lambda: line.text().startswith("clinic server unreachable since")
                            and line.text().endswith(", 3 events waiting"), timeout=20000)
            assert line.property("level") == "caution"
            assert line.width() == width  # the line changed; the layout did not move
            if os.environ.get("KAPROOM_SCREENSHOT_DIR"):
                room.grab().save(os.path.join(os.environ["KAPROOM_SCREENSHOT_DIR"], "room-clinic-unreachable.png"))
        finally:
            clinic.cluster.start_on_same_port()
        link.nudge()
        qtbot.waitUntil(lambda: line.text().startswith("sent to the clinic"), timeout=60000)
        assert server_count(clinic, runner.session_uid) == len(workspace.store.events(runner.session_uid))
        assert line.property("level") == "info"
        room.close_now()
    finally:
        link.stop()
        workspace.close()
    assert clinic_sync.status(folder)["waiting"] == 0


def test_the_home_page_says_the_same_in_one_line(clinic, tmp_path, clock, qtbot, monkeypatch, capsys):
    folder = tmp_path / "room_a"
    join(clinic, folder, monkeypatch, capsys)
    workspace = Workspace(folder, clock)
    link = make_clinic_link(folder)
    assert link is not None
    try:
        runner = workspace.new_session(workspace.protocol("short-check"), "KAP-0001", "Teo")
        runner.note("recorded on this computer")
        launcher = make_launcher(workspace, demo=False, extensions=())
        launcher.clinic_link = link
        home = launcher.show_home()
        qtbot.addWidget(home)
        link.start()
        line = home.findChild(QLabel, "homeClinic")
        assert line is not None
        qtbot.waitUntil(lambda: line.text().startswith("sent to the clinic"), timeout=20000)
    finally:
        link.stop()
        workspace.close()


@pytest.mark.slow
def test_the_app_on_a_joined_computer_sends_in_the_background_and_stops_on_quit(clinic, tmp_path, monkeypatch,
                                                                                 capsys):
    """``kaproom resume`` as a user runs it: the room opens, the sender sends what was recorded while
    the app was closed, and quitting ends the process (the sender stops with it)."""
    folder = tmp_path / "room_a"
    join(clinic, folder, monkeypatch, capsys)
    with Workspace(folder, SystemClock()) as workspace:
        runner = workspace.new_session(workspace.protocol("short-check"), "KAP-0001", "Teo")
        runner.note("recorded while the app was closed")
        uid, recorded = runner.session_uid, len(workspace.store.events(runner.session_uid))
    assert server_count(clinic, uid) == 0
    shot = tmp_path / "room.png"
    done = subprocess.run([sys.executable, "-m", "kaproom", "resume", "--data-dir", str(folder),
                           "--screenshot", str(shot), "--screenshot-delay", "4000"],
                          cwd=REPO_ROOT, env={**os.environ, "QT_QPA_PLATFORM": "offscreen",
                                              "KAPROOM_AUDIO_OUTPUT": "dummy"},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.exists()
    assert server_count(clinic, uid) >= recorded  # and the room's own events since it opened
    assert clinic_sync.status(folder)["waiting"] == 0
