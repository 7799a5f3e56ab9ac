"""A second KAP Room on the same data folder is refused with a message that says which session
the first one has open, and the first one's window comes to the front. A lock left by a killed
instance does not lock the clinic out."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtNetwork import QLocalServer

from kaproom.ui.shell.single_instance import (
    LOCK_FILENAME,
    SingleInstance,
    acquire_single_instance,
    describe_room,
    server_name,
)

HOLDER = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from kaproom.ui.shell.single_instance import acquire_single_instance

app = QApplication(sys.argv[:1])
held = acquire_single_instance(sys.argv[1], lambda: sys.argv[2])
if isinstance(held, str):
    print("refused: " + held, flush=True)
    sys.exit(3)
held.raise_requested.connect(lambda: print("raised", flush=True))
print("holding", flush=True)
QTimer.singleShot(60_000, app.quit)  # never outlive a test run
app.exec()
held.release()
"""


def start_holder(data_dir: Path, description: str) -> subprocess.Popen:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(data_dir), description], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline().strip()
    assert first == "holding", first + proc.stderr.read()
    return proc


@pytest.fixture
def holders(tmp_path):
    """Holder processes, killed at the end; the sockets killed processes leave in /tmp are removed."""
    started: list[subprocess.Popen] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)
    for folder in (tmp_path / "data", tmp_path / "clinic"):
        QLocalServer.removeServer(server_name(folder))


def test_second_instance_is_refused_and_told_which_session_is_open(qapp, tmp_path, holders):
    folder = tmp_path / "data"
    holders.append(start_holder(folder, "session 12 for client C-7, in the Deep phase"))

    refusal = acquire_single_instance(folder, lambda: "should never be asked")

    assert isinstance(refusal, str)
    assert "already open" in refusal and str(folder) in refusal
    assert "session 12 for client C-7, in the Deep phase" in refusal
    assert holders[0].stdout.readline().strip() == "raised", "the running window is brought to the front"


def test_a_lock_left_by_a_killed_instance_is_reclaimed(qapp, tmp_path, holders):
    folder = tmp_path / "data"
    crashed = start_holder(folder, "session 3")
    crashed.send_signal(signal.SIGKILL)
    crashed.wait(timeout=10)
    assert (folder / LOCK_FILENAME).exists(), "the killed instance left its lock file behind"

    holders.append(start_holder(folder, "session 4, resumed after the crash"))  # takes over lock and socket

    refusal = acquire_single_instance(folder, lambda: "")
    assert isinstance(refusal, str) and "session 4, resumed after the crash" in refusal


def test_after_the_holder_is_killed_this_process_can_take_the_folder(qapp, tmp_path, holders):
    folder = tmp_path / "data"
    crashed = start_holder(folder, "session 5")
    holders.append(crashed)
    crashed.kill()
    crashed.communicate(timeout=10)
    held = acquire_single_instance(folder, lambda: "session 6")
    assert isinstance(held, SingleInstance) and held.answers_other_instances
    held.release()


def test_another_data_folder_is_not_refused(qapp, tmp_path, holders):
    holders.append(start_holder(tmp_path / "clinic", "session 1"))
    held = acquire_single_instance(tmp_path / "clinic" / "demo", lambda: "demo session")
    assert isinstance(held, SingleInstance)
    held.release()


def test_a_quit_instance_frees_the_folder_for_the_next_start(qapp, tmp_path):
    folder = tmp_path / "data"
    first = acquire_single_instance(folder, lambda: "session 1")
    assert isinstance(first, SingleInstance)
    first.release()
    second = acquire_single_instance(folder, lambda: "session 2")
    assert isinstance(second, SingleInstance)
    second.release()


def test_a_holder_that_does_not_answer_is_still_named(qapp, tmp_path):
    """Here the holder is this very process, busy in the asking call, so it cannot answer."""
    folder = tmp_path / "data"
    held = acquire_single_instance(folder, lambda: "session 9")
    try:
        started = time.monotonic()
        refusal = acquire_single_instance(folder, lambda: "", answer_timeout_ms=300)
        assert isinstance(refusal, str) and "already open" in refusal
        assert f"process {os.getpid()}" in refusal and "did not say which session" in refusal
        assert time.monotonic() - started < 5, "a silent holder must not hang the second start"
    finally:
        held.release()


def test_a_data_folder_that_cannot_be_created_gives_a_message(qapp, tmp_path):
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    refusal = acquire_single_instance(blocker / "data", lambda: "")
    assert isinstance(refusal, str) and "cannot use the data folder" in refusal


def test_the_room_describes_its_open_session_for_the_refusal(qtbot, workspace, clock, protocol):
    from _room_helpers import open_room
    runner = workspace.new_session(protocol, "C-7", "Dr Ruiz")
    clock.advance(65 * 60)
    room = open_room(qtbot, workspace, runner)
    room.controller.tick()
    number = workspace.store.session(runner.session_uid).id
    assert describe_room(room) == f"session {number} for client C-7 (Dr Ruiz), Deep phase, 1:05:00 in"
    assert "no session is open" in describe_room(None)


def test_the_app_answers_other_instances_once_its_first_window_is_painted(qtbot, tmp_path):
    """The lock is taken at once; the local server (Qt's network module) waits for the first paint,
    so it is not part of start-up, and a start in that moment is still refused."""
    from PySide6.QtWidgets import QWidget
    folder = tmp_path / "data"
    held = acquire_single_instance(folder, lambda: "session 4", listen=False)
    assert isinstance(held, SingleInstance)
    try:
        held.listen_after_first_paint()
        assert not held.answers_other_instances
        early = acquire_single_instance(folder, lambda: "", answer_timeout_ms=200)
        assert isinstance(early, str) and "already open" in early and f"process {os.getpid()}" in early
        window = QWidget()
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: held.answers_other_instances)
    finally:
        held.release()
    assert not held.answers_other_instances
