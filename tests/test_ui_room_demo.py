"""The demo: straight onto a session screen marked DEMO, on a fast clock, in its own database so
demo data never mixes with real sessions."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
from PySide6.QtWidgets import QLabel

from kaproom.domain.clock import FakeClock
from kaproom.domain.events import Kind
from kaproom.services.demo import DEMO_CLIENT
from kaproom.services.paths import REPO_ROOT, demo_dir
from kaproom.services.workspace import Workspace
from kaproom.store import DB_FILENAME
from kaproom.ui.shell.launcher import Launcher


def test_demo_opens_a_marked_session_and_a_new_demo_closes_the_old_one(qtbot, data_dir, clock) -> None:
    with Workspace(demo_dir(data_dir), clock) as workspace:
        launcher = Launcher(workspace, demo=True, extensions=())
        room = launcher.start_demo("short-check")
        qtbot.addWidget(room)
        marker = room.findChild(QLabel, "demoMarker")
        assert marker.isVisible() and marker.text() == "DEMO"
        assert room.windowTitle() == "KAP Room \u2014 DEMO session 0:00:00 \u2014 Arrival & intention"
        first = room.controller.runner
        row = workspace.store.session(first.session_uid)
        assert row.demo == 1 and row.client_code == DEMO_CLIENT and row.state == "running"
        assert workspace.store.events(first.session_uid, (Kind.SCREENING,))[0].payload["proceed_confirmed"] is False
        assert first.state.prescribed_dose_mg == 300  # so F10 in the demo shows a dose as the record keeps it
        room.close_now()
        clock.advance(30)
        second = launcher.start_demo("short-check")
        qtbot.addWidget(second)
        assert workspace.store.session(first.session_uid).state == "ended_early"
        assert workspace.store.session(first.session_uid).end_reason == "a new demo was started"
        assert second.controller.runner.session_uid != first.session_uid
    assert not (data_dir / DB_FILENAME).exists()  # the real database was never touched


def test_demo_resume_continues_the_open_demo(qtbot, data_dir, clock) -> None:
    with Workspace(demo_dir(data_dir), clock) as workspace:
        launcher = Launcher(workspace, demo=True, extensions=())
        room = launcher.start_demo("short-check")
        qtbot.addWidget(room)
        uid = room.controller.runner.session_uid
        room.close_now()
        clock.advance(45)
        again = launcher.start_demo("short-check", resume=True)
        qtbot.addWidget(again)
        assert again.controller.runner.session_uid == uid and again.clock_label.text() == "0:00:45"


@pytest.mark.slow
def test_kaproom_demo_command_runs_on_its_fast_clock_in_the_demo_folder(qtbot, tmp_path) -> None:
    state_file = tmp_path / "state.json"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", KAPROOM_AUDIO_OUTPUT="dummy")
    process = subprocess.Popen([sys.executable, "-m", "kaproom", "demo", "--data-dir", str(tmp_path / "data"),
                                "--speed", "45", "--protocol", "short-check", "--dump-state", str(state_file)],
                               cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        qtbot.waitUntil(state_file.exists, timeout=30000)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    state = json.loads(state_file.read_text(encoding="utf-8"))
    assert state["demo"] is True and state["title"].startswith("KAP Room \u2014 DEMO session")
    assert not (tmp_path / "data" / DB_FILENAME).exists()
    with Workspace(demo_dir(tmp_path / "data"), FakeClock()) as workspace:
        row = workspace.store.session(state["session_uid"])
        started = workspace.store.events(row.uid, (Kind.SESSION_STARTED,))[0]
    assert row.demo == 1 and started.payload == {"protocol": "short-check", "clock_speed": 45.0}


@pytest.mark.parametrize("speed", ["0", "-3", "5000"])
def test_speed_must_be_positive_and_sane(capsys, data_dir, speed: str) -> None:
    from kaproom.cli.main import main
    assert main(["demo", "--speed", speed]) == 2
    assert "--speed must be above 0" in capsys.readouterr().err


def test_a_resumed_demo_counts_the_time_it_was_closed_sped_up(qtbot, data_dir) -> None:
    """A fresh fast clock starts at the real time, behind the demo's sped-up record: the room said
    the computer clock had gone back. The demo's clock now continues from when the demo began."""
    from kaproom.domain.clock import ScaledClock
    real = FakeClock()
    with Workspace(demo_dir(data_dir), ScaledClock(30.0, real)) as workspace:
        room = Launcher(workspace, demo=True, extensions=()).start_demo("short-check")
        qtbot.addWidget(room)
        real.advance(10)  # 5 demo minutes
        room.controller.note("Settled.")
        uid = room.controller.runner.session_uid
        room.close_now()
    real.advance(2)  # closed for two real seconds: one demo minute
    with Workspace(demo_dir(data_dir), ScaledClock(30.0, real)) as workspace:
        again = Launcher(workspace, demo=True, extensions=()).start_demo("short-check", resume=True)
        qtbot.addWidget(again)
        assert again.controller.runner.session_uid == uid and again.clock_label.text() == "0:06:00"
        [resumed] = workspace.store.events(uid, (Kind.SESSION_RESUMED,))
        assert resumed.payload["gap_seconds"] == 60.0 and resumed.payload["wall_clock_went_back"] is False


def test_after_the_demo_session_its_review_opens_from_the_home_page(qtbot, data_dir) -> None:
    """A person trying KAP Room ends the demo session, leaves the room (Ctrl+W) and sees what a
    supervisor would: the review lists the demo's own session. The home page used to say the
    review was 'coming soon'."""
    import shiboken6
    from PySide6.QtCore import Qt

    from kaproom.domain.session import State
    from kaproom.ui.review.list_model import COLUMNS
    from kaproom.ui.shell.wiring import make_launcher
    with Workspace(demo_dir(data_dir), FakeClock()) as workspace:
        launcher = make_launcher(workspace, demo=True, extensions=())
        room = launcher.start_demo("short-check")
        try:
            room.controller.runner.end(State.ENDED_EARLY, reason="demo over")
            room.leave()
        finally:
            if shiboken6.isValid(room) and room.isVisible():
                room.close_now()
        home = launcher.window
        qtbot.addWidget(home)
        assert home.review_button.isEnabled() and home.review_button.text() == "Review sessions"
        qtbot.mouseClick(home.review_button, Qt.MouseButton.LeftButton)
        [review] = launcher._extra_windows
        qtbot.addWidget(review)
        client = [key for _, key in COLUMNS].index("client")
        assert review.model.rowCount() == 1
        assert review.model.data(review.model.index(0, client)) == f"{DEMO_CLIENT} (demo)"


def test_f10_in_the_demo_of_the_default_protocol_doses_at_once(qtbot, data_dir) -> None:
    """The default protocol needs the escort's name and phone before the dose, and a baseline check:
    a person trying the demo pressed F10 and was asked for facts they could not know. The demo now
    records a demo escort and a baseline, so F10 records the dose as it would in a prepared session."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from kaproom.domain.clock import ScaledClock
    from kaproom.domain.session import State
    from kaproom.ui.shell.wiring import make_launcher
    from tests._room_helpers import activate
    with Workspace(demo_dir(data_dir), ScaledClock(1.0, FakeClock())) as workspace:
        room = make_launcher(workspace, demo=True).start_demo("lozenge-3h")
        qtbot.addWidget(room)
        room.resize(1366, 768)
        room.show()
        qtbot.waitExposed(room)
        activate(qtbot, room)
        uid = room.controller.runner.session_uid
        QTest.keyClick(room.focusWidget() or room, Qt.Key.Key_F10)
        try:
            [dose] = workspace.store.events(uid, (Kind.DOSE,))
            assert "without_baseline" not in dose.payload
            assert "needs" not in room.status.text() and "baseline" not in room.status.text().lower()
        finally:
            room.controller.runner.end(State.ENDED_EARLY, reason="demo over")
            room.close_now()
