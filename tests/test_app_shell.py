"""The app shell ties the pieces together: review from the home page, the first sign-in step on
a fresh install, and one KAP Room per data folder."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import shiboken6
from _room_helpers import activate, press
from PySide6.QtCore import Qt

from kaproom.domain.people import Role
from kaproom.services.people import People
from kaproom.services.simulate import run_simulation
from kaproom.ui.shell.launcher import Launcher
from kaproom.ui.shell.single_instance import server_name
from kaproom.ui.shell.wiring import open_review


def test_fresh_install_offers_the_first_sign_in_step_until_someone_is_registered(qtbot, workspace):
    offered: list = []
    launcher = Launcher(workspace, set_up_sign_in=lambda ws, parent: offered.append(ws) or False)
    home = launcher.show_home()
    qtbot.addWidget(home)
    assert home.sign_in_button is not None and home.sign_in_button.isVisible()
    qtbot.mouseClick(home.sign_in_button, Qt.MouseButton.LeftButton)
    assert offered == [workspace]

    People.of(workspace).add_user(None, "admin1", Role.ADMIN, "7391528460")
    home = launcher.show_home()
    qtbot.addWidget(home)
    assert home.sign_in_button is None


def test_enter_presses_the_focused_home_button_as_space_does(qtbot, workspace):
    """The home page opens with the focus on its first button; a keyboard-first user presses Enter."""
    from kaproom.ui.start.page import StartPage
    launcher = Launcher(workspace)
    home = launcher.show_home()
    qtbot.addWidget(home)
    assert home.focusWidget() is home.start_button
    qtbot.keyClick(home.start_button, Qt.Key.Key_Return)
    assert isinstance(launcher.window, StartPage)
    qtbot.addWidget(launcher.window)


def test_once_staff_sign_in_the_home_page_offers_to_change_my_pin(qtbot, workspace):
    asked: list = []
    launcher = Launcher(workspace, set_up_sign_in=lambda ws, parent: False,
                        change_pin=lambda ws, parent: asked.append(ws) or True)
    home = launcher.show_home()
    qtbot.addWidget(home)
    assert home.change_pin_button is None  # nobody registered: nothing to change yet
    People.of(workspace).add_user(None, "admin1", Role.ADMIN, "7391528460")
    home = launcher.show_home()
    qtbot.addWidget(home)
    qtbot.mouseClick(home.change_pin_button, Qt.MouseButton.LeftButton)
    assert asked == [workspace] and "PIN or passphrase is changed" in home.statusBar().currentMessage()


def test_once_staff_sign_in_the_home_page_offers_staff_and_the_audit_log(qtbot, workspace):
    asked: list = []
    launcher = Launcher(workspace, staff=lambda ws, parent: asked.append((ws, parent)))
    home = launcher.show_home()
    qtbot.addWidget(home)
    assert home.staff_button is None  # nobody registered: no accounts, no audit to read
    People.of(workspace).add_user(None, "admin1", Role.ADMIN, "7391528460")
    home = launcher.show_home()
    qtbot.addWidget(home)
    qtbot.mouseClick(home.staff_button, Qt.MouseButton.LeftButton)
    assert asked == [(workspace, home)]


def test_review_opens_from_the_app_on_a_fresh_install(qtbot, workspace):
    run_simulation(workspace, "short-check", notes=2, vitals=1, tracks=0,
                   sleep=lambda s: workspace.clock.advance(max(s, 0.001)))
    window = open_review(workspace)
    qtbot.addWidget(window)
    assert window.windowTitle().startswith("KAP Room")
    assert window.model.rowCount() == 1
    assert window.open_session(1)


def start_twice(folder: Path, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """Start KAP Room, wait until it answers other instances, start it again: the second's result."""
    first = subprocess.Popen([sys.executable, "-m", "kaproom", *args], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # The first takes the lock at once and answers others once its window has been up a moment
        # (its local socket, in Qt's temporary folder, exists then).
        socket = Path(tempfile.gettempdir()) / server_name(folder)
        deadline = time.monotonic() + 30
        while not ((folder / "kaproom.lock").exists() and socket.exists()):
            assert first.poll() is None, first.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.05)  # waiting on another process's files: no Qt signal to wait on here
        return subprocess.run([sys.executable, "-m", "kaproom", *args], env=env, capture_output=True, text=True,
                              timeout=60)
    finally:
        first.kill()
        first.wait(timeout=10)


def test_a_second_instance_on_the_same_data_folder_is_refused(tmp_path):
    folder = tmp_path / "data"
    second = start_twice(folder, ["home", "--data-dir", str(folder)], dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert second.returncode == 3
    assert "no session is open" in second.stderr


def test_pin_after_the_privacy_key_follows_the_clinic_setting(qtbot, workspace, monkeypatch):
    """With pin_to_unlock_entry on, lifting the privacy cover asks the session's therapist for
    their PIN; a wrong or cancelled PIN keeps the cover down."""
    from dataclasses import replace

    import kaproom.ui.people.signin as signin
    from kaproom.services.settings import load_settings, save_settings

    People.of(workspace).add_user(None, "admin1", Role.ADMIN, "7391528460")
    admin = People.of(workspace).find("admin1")
    People.of(workspace).add_user(admin, "therapist1", Role.THERAPIST, "5820461937")
    settings, _ = load_settings(workspace.folder)
    save_settings(workspace.folder, replace(settings, pin_to_unlock_entry=True))
    asked: list[str] = []

    def fake_run(dialog):  # the PIN dialog, answered wrongly
        asked.append(type(dialog).__name__)
        return False
    monkeypatch.setattr(signin, "run_modal", fake_run)
    monkeypatch.setattr(signin.unlock_entry, "__defaults__", (None, fake_run, None))

    launcher = Launcher(workspace, extensions=())
    runner = workspace.new_session(workspace.protocol("short-check"), "C-0001", "therapist1")
    room = launcher.open_room(runner)
    qtbot.addWidget(room)
    qtbot.waitExposed(room)
    activate(qtbot, room)
    press(room, "F12")
    assert room.private and asked == []
    press(room, "F12")
    assert asked == ["ConfirmSecretDialog"]
    assert room.private  # wrong PIN: the cover stays


def test_after_the_end_ctrl_w_goes_to_the_home_page_but_never_over_a_running_session_or_typed_text(
        qtbot, workspace):
    """After a session the therapist needs the home page (the next client, the review) without
    quitting the app, which in full screen has no close button. Ctrl+W leaves the ended room; a
    running session, an unsaved note or an open question keep the room, and say why."""
    launcher = Launcher(workspace, extensions=())
    runner = workspace.new_session(workspace.protocol("short-check"), "C-0001", "therapist1")
    room = launcher.open_room(runner)  # not given to qtbot: leaving deletes it (a failure closes it below)
    try:
        leave_an_ended_room(qtbot, workspace, launcher, room, runner)
    finally:
        if shiboken6.isValid(room):
            room.close_now()


def leave_an_ended_room(qtbot, workspace, launcher, room, runner) -> None:
    from kaproom.domain.session import State
    from kaproom.ui.shell.home import HomeWindow
    qtbot.waitExposed(room)
    activate(qtbot, room)
    assert not room.leave_button.isVisible()
    press(room, "Ctrl+W")
    assert launcher.window is room and "still running" in room.status.text()

    press(room, "Ctrl+Shift+X")  # ended early, as the therapist ends it
    room.prompt.field.setText("client asked to stop")
    press(room, "Return")
    assert runner.state.state == State.ENDED_EARLY
    assert room.leave_button.isVisible()
    assert room.status.text() == "Session ended early. Ctrl+W goes to the home page when you are done."
    room.note_input.setText("Left with partner at 10:40")
    press(room, "Ctrl+W")
    assert launcher.window is room and "not saved" in room.status.text()
    assert room.note_input.text() == "Left with partner at 10:40", "the typed note is kept"
    press(room, "Return")  # saved, after the end
    press(room, "Ctrl+Shift+A")  # a correction of it, begun
    assert room.prompt.is_open
    press(room, "Ctrl+W")
    assert launcher.window is room and "question is open" in room.status.text()
    press(room, "Esc")
    press(room, "F12")  # the privacy cover: Ctrl+W must not take it off by leaving
    press(room, "Ctrl+W")
    assert launcher.window is room and room.private
    press(room, "F12")
    press(room, "Ctrl+W")
    home = launcher.window
    assert isinstance(home, HomeWindow) and home.isVisible()
    qtbot.addWidget(home)
    assert not room.isVisible() and launcher.room is None
    row = workspace.store.session(runner.session_uid)
    assert home.statusBar().currentMessage() == (f"Session {row.id} (client C-0001) is closed; "
                                                 "its record is in Review sessions.")
    assert home.focusWidget() is home.start_button, "ready for the next client"


def test_a_paste_longer_than_the_note_field_takes_is_said_not_silently_cut(qtbot, workspace):
    from kaproom.domain.events import Kind
    from kaproom.ui.room.layout import NOTE_MAX_CHARS

    launcher = Launcher(workspace, extensions=())
    runner = workspace.new_session(workspace.protocol("short-check"), "C-0001", "therapist1")
    room = launcher.open_room(runner)
    qtbot.addWidget(room)
    long_note = "calm breathing " * 2000  # 30,000 characters: kept whole
    room.note_input.setText(long_note)
    room.save_note()
    [saved] = workspace.store.events(runner.session_uid, (Kind.NOTE,))
    assert saved.payload["text"] == long_note.strip()
    room.note_input.insert("x" * (NOTE_MAX_CHARS + 10))
    assert "limit" in room.status.text()


def test_kaproom_with_no_arguments_opens_the_app_on_the_data_folder_in_the_environment(tmp_path):
    """How the desktop launcher starts it (no command line to build): the app on $KAPROOM_DATA_DIR,
    which a second start, also without arguments, finds open."""
    folder = tmp_path / "data"
    second = start_twice(folder, [], dict(os.environ, QT_QPA_PLATFORM="offscreen", KAPROOM_DATA_DIR=str(folder)))
    assert second.returncode == 3
    assert f"already open on this data folder ({folder})" in second.stderr
    assert "no session is open" in second.stderr
