"""KAP Room opens no network socket: a whole simulated session, the command line, the screens and
music playback run with Python's socket creation blocked, and afterwards the process holds no
internet socket at all (which also catches sockets opened by Qt or libvlc in C).

Local IPC is not network: the single-instance QLocalServer and the desktop's D-Bus use Unix
domain sockets, which this test allows.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from _people_helpers import SUPERVISOR_SECRET, add_staff, fast_people

from kaproom.cli.main import main
from kaproom.services.paths import ASSETS_DIR
from kaproom.services.simulate import run_simulation
from kaproom.services.workspace import Workspace


class NetworkBlocked(AssertionError):
    pass


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to create an internet socket or resolve a name fails the test loudly."""
    attempts: list[str] = []
    real_socket = socket.socket

    class GuardedSocket(real_socket):  # type: ignore[misc, valid-type]
        def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
            if fileno is None and family in (-1, socket.AF_INET, socket.AF_INET6):
                attempts.append(f"socket({family}, {type})")
                raise NetworkBlocked("a network socket was created")
            super().__init__(family, type, proto, fileno)

    def refuse(name):
        def blocked(*args, **kwargs):
            attempts.append(name)
            raise NetworkBlocked(f"{name} was called")
        return blocked

    monkeypatch.setattr(socket, "socket", GuardedSocket)
    for name in ("create_connection", "create_server", "getaddrinfo", "gethostbyname", "gethostbyname_ex",
                 "getnameinfo"):
        monkeypatch.setattr(socket, name, refuse(name))
    yield attempts
    assert attempts == []


def inet_sockets_held() -> list[str]:
    """Internet sockets this process holds right now, whatever opened them (Linux /proc)."""
    found = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            if not os.readlink(fd).startswith("socket:["):
                continue
            probe = socket.socket(fileno=os.dup(int(fd.name)))  # asks the kernel for the socket's family
        except OSError:
            continue
        try:
            if probe.family in (socket.AF_INET, socket.AF_INET6, getattr(socket, "AF_PACKET", -99)):
                found.append(f"fd {fd.name}: {probe!r}")
        finally:
            probe.close()
    return found


pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs Linux /proc")


def test_the_guard_itself_catches_a_connection(no_network):
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("127.0.0.1", 9))
    with pytest.raises(NetworkBlocked):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    local = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # local IPC stays possible
    local.close()
    no_network.clear()


def test_the_guard_sees_a_socket_opened_behind_its_back():
    """The /proc check is not blind: a real (never connected) TCP socket shows up."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        assert inet_sockets_held()
    finally:
        probe.close()
    assert inet_sockets_held() == []


def test_a_whole_session_the_command_line_and_the_screens_open_no_network_socket(
        no_network, qtbot, data_dir, clock, monkeypatch, capsys):
    assert inet_sockets_held() == []
    # 1. A whole simulated session, through the same workspace and store as the room screen.
    with Workspace(data_dir, clock) as workspace:
        result = run_simulation(workspace, "short-check", notes=5, vitals=3, tracks=3,
                                sleep=lambda seconds: clock.advance(seconds * clock.speed))
        assert result.events > 10
        people = fast_people(workspace)
        staff = add_staff(people)
        people.sign_in("Sam", SUPERVISOR_SECRET)
    # 2. The command line, including sign-in.
    from _people_helpers import PipedStdin
    monkeypatch.setattr("sys.stdin", PipedStdin(SUPERVISOR_SECRET + "\n" + SUPERVISOR_SECRET + "\n"))
    monkeypatch.setenv("KAPROOM_USER", "Sam")
    assert main(["verify", "--data-dir", str(data_dir)]) == 0
    assert main(["audit", "--data-dir", str(data_dir)]) == 0
    capsys.readouterr()
    # 3. The screens that exist: sign-in, users, audit, the idle lock (with its D-Bus watcher), music strip.
    from kaproom.ui.music.strip import MusicStrip
    from kaproom.ui.people.accounts import UsersAdminWidget
    from kaproom.ui.people.audit_view import AuditView
    from kaproom.ui.people.idle_lock import IdleLock
    from kaproom.ui.people.signin import SignInDialog
    with Workspace(data_dir, clock) as workspace:
        people = fast_people(workspace)
        widgets = [SignInDialog(people), UsersAdminWidget(people, staff["admin"]),
                   AuditView(people, staff["supervisor"]), MusicStrip()]
        for widget in widgets:
            qtbot.addWidget(widget)
            widget.show()
        lock = IdleLock(widgets[2], timeout_s=60, clock=clock, watch_screen_lock=True)
        lock.lock("idle")
        qtbot.wait(50)
    # 4. The room screen with its default extensions (music on libvlc, vitals), a note and the privacy key.
    open_a_room(qtbot, data_dir, clock)
    # 5. The review pieces that exist so far: the filters, the session list, the report and its chart.
    build_review_pieces(qtbot, data_dir, clock, result.session_uid)
    # 6. Music: the real libvlc plays a bundled track to the dummy output.
    play_a_bundled_track(qtbot)
    assert inet_sockets_held() == []


def open_a_room(qtbot, data_dir, clock) -> None:
    from PySide6.QtCore import Qt

    from kaproom.ui.room.controller import SessionController
    from kaproom.ui.room.window import RoomWindow
    with Workspace(data_dir, clock) as workspace:
        runner = workspace.new_session(workspace.protocol("short-check"), "KAP-0007", "Teo")
        room = RoomWindow(SessionController(workspace, runner))
        qtbot.addWidget(room)
        room.show()
        qtbot.keyClicks(room.note_input, "Settled")
        qtbot.keyClick(room.note_input, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: len(workspace.store.events(runner.session_uid, ("note",))) == 1)
        room.toggle_privacy()
        room.toggle_privacy()
        qtbot.wait(200)
        room.close_now()


def build_review_pieces(qtbot, data_dir, clock, session_uid: str) -> None:
    """The review list and the report as a supervisor would open them (add the review window here
    when it lands)."""
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtWidgets import QTableView

    from kaproom.export.chart import draw_vitals_chart
    from kaproom.export.report_data import gather
    from kaproom.ui.review.filters import FilterBar
    from kaproom.ui.review.list_model import SessionListModel
    with Workspace(data_dir, clock) as workspace:
        bar = FilterBar()
        view = QTableView()
        model = SessionListModel(workspace.store, parent=view)
        view.setModel(model)
        for widget in (bar, view):
            qtbot.addWidget(widget)
            widget.show()
        assert model.rowCount() == 2  # the simulated session and the room's
        report = gather(workspace, session_uid)
        image = QImage(800, 400, QImage.Format.Format_RGB32)
        painter = QPainter(image)
        try:
            draw_vitals_chart(painter, QRectF(0, 0, 800, 400), report)
        finally:
            painter.end()


def play_a_bundled_track(qtbot) -> None:
    from kaproom.playback import PlaybackUnavailable, create_players
    try:
        [player] = create_players(1)
    except PlaybackUnavailable:
        pytest.skip("libvlc is not installed here")  # CI installs it; the rest above has run
    track = next(iter(sorted((ASSETS_DIR / "music").rglob("*.ogg"))))
    try:
        player.set_volume(0)
        player.load(track)
        player.play()
        qtbot.waitUntil(player.is_playing, timeout=5000)
    finally:
        player.stop()
        player.release()
