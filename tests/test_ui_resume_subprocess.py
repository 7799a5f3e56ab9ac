"""Crash and resume with the real app: ``kaproom resume`` runs in its own process (offscreen),
records a phase change itself, is killed with SIGKILL, and the next start shows the true
elapsed time (within 1 s) and the full log. What the screen shows is read from ``--dump-state``,
which copies the widgets' own text."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kaproom.domain.clock import FakeClock, from_iso
from kaproom.domain.events import Kind
from kaproom.services.paths import REPO_ROOT
from kaproom.services.workspace import Workspace
from kaproom.ui.room.log_text import line_for

pytestmark = pytest.mark.slow
STARTUP_MS = 30000


def launch(data_dir: Path, state_file: Path) -> subprocess.Popen:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", KAPROOM_AUDIO_OUTPUT="dummy")
    return subprocess.Popen([sys.executable, "-m", "kaproom", "resume", "--data-dir", str(data_dir),
                             "--dump-state", str(state_file)],
                            cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def read_state(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def seconds(hms: str) -> int:
    h, m, s = (int(part) for part in hms.split(":"))
    return h * 3600 + m * 60 + s


def test_killed_app_resumes_with_true_elapsed_time_and_full_log(qtbot, tmp_path, short_protocol) -> None:
    data_dir = tmp_path / "data"
    started = datetime.now(UTC) - timedelta(seconds=116)  # Arrival (2 min) ends in a few seconds
    clock = FakeClock(started)
    with Workspace(data_dir, clock) as workspace:
        runner = workspace.new_session(short_protocol, "C-0042", "Dr Ada", "Room 2", intention="Rest.")
        for at, text in ((20, "Settled in the chair."), (75, "Eyeshades on.")):
            clock.advance(at - runner.elapsed())
            runner.note(text)
        clock.advance(100 - runner.elapsed())
        runner.tag("Speaking")
        uid = runner.session_uid

    first_state = tmp_path / "first.json"
    first = launch(data_dir, first_state)
    try:
        # The first app records the phase change itself when Arrival's time is up.
        qtbot.waitUntil(lambda: (read_state(first_state) or {}).get("phase_strip_current") == "Dosing",
                        timeout=STARTUP_MS)
    finally:
        kill(first)
    assert first.returncode == -signal.SIGKILL

    second_state = tmp_path / "second.json"
    second = launch(data_dir, second_state)
    try:
        qtbot.waitUntil(lambda: sum(line.count("KAP Room reopened") for line in
                                    (read_state(second_state) or {}).get("log", [])) == 2, timeout=STARTUP_MS)
        state = read_state(second_state)
    finally:
        kill(second)

    with Workspace(data_dir, FakeClock()) as workspace:
        events = workspace.store.events(uid)
    start_wall = from_iso(next(e for e in events if e.kind == Kind.SESSION_STARTED).wall_time)
    true_elapsed = (from_iso(state["wall"]) - start_wall).total_seconds()
    assert abs(state["elapsed"] - true_elapsed) <= 1.0
    # H:MM:SS shows whole seconds: the middle of the second shown is within 1 s of the truth.
    assert abs(seconds(state["clock"]) + 0.5 - true_elapsed) <= 1.0
    assert state["title"].startswith("KAP Room \u2014 session 0:0")
    assert state["session_uid"] == uid and state["state"] == "running"
    # The full log: everything stored up to the moment the screen was read, in the words shown.
    shown = dict(zip(state["log_seqs"], state["log"]))
    expected = {e.seq: line_for(e, short_protocol) for e in events
                if e.seq <= max(shown) and line_for(e, short_protocol) is not None}
    assert shown == expected
    kinds = [e.kind for e in events if e.seq in shown]
    assert kinds.count(Kind.NOTE) == 2 and kinds.count(Kind.TAG) == 1 and kinds.count(Kind.SESSION_RESUMED) == 2
    dosing = next(e for e in events if e.kind == Kind.PHASE_CHANGED and e.payload["to"] == "dosing")
    assert dosing.payload["how"] == "auto" and dosing.seq in shown  # written by the killed app
    assert not second.stderr.read().decode().count("Traceback")
