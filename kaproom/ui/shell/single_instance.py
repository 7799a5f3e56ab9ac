"""One KAP Room per data folder.

Two windows writing the same session would interleave two therapists' entries into one record,
so a second start on the same data folder is refused. The first instance holds a ``QLockFile``
in the data folder (a lock left by a crashed or killed instance is reclaimed: its process is
gone) and listens on a ``QLocalServer``. The second instance asks it over that local socket which
session it has open; the first answers and brings its window to the front, and the second
shows that answer and exits.

The local server is a Unix domain socket (a named pipe on Windows): inter-process communication
on this computer only, readable by this OS user only. It is not a network socket.

The lock is what refuses a second instance; the server only lets it say which session is open.
So the app takes the lock at once and starts the server once its first window has been on screen
for a moment (``listen_after_first_paint``, see :mod:`.after_start`): loading Qt's network module
is then not part of start-up. A second start in that first moment is still refused, naming the
first one's process.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QElapsedTimer, QLockFile, QObject, Signal

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalServer, QLocalSocket

from kaproom.domain.clock import format_hms
from kaproom.services.paths import ensure_private_dir
from kaproom.ui.kit.after_start import after_start_up

LOCK_FILENAME = "kaproom.lock"
QUESTION = b"which-session\n"
ANSWER_TIMEOUT_MS = 2000
MAX_ANSWER_BYTES = 2000


def server_name(data_dir: Path) -> str:
    """One socket name per OS user and data folder (the path is hashed: socket paths are short)."""
    # Here, not at the top: the name is needed once the app listens, or is refused, and loading
    # hashlib (OpenSSL) at start-up measured 40-60 ms on a busy 2-core machine (bench/bench_startup.py).
    import hashlib  # noqa: PLC0415 - start-up, see above
    digest = hashlib.sha256(str(Path(data_dir).resolve()).encode("utf-8")).hexdigest()[:16]
    user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    return f"kaproom-{user}-{digest}"


class SingleInstance(QObject):
    """Held by the running instance for its whole life; answers the instances it refuses.

    Connect ``raise_requested`` to bring the main window to the front (or call ``attach``).
    """

    raise_requested = Signal()

    def __init__(self, lock: QLockFile, data_dir: Path, describe_open_session: Callable[[], str]) -> None:
        super().__init__()
        self._lock, self._data_dir, self._describe = lock, data_dir, describe_open_session
        self._server: QLocalServer | None = None
        self._released = False

    @property
    def answers_other_instances(self) -> bool:
        """False until ``listen`` ran, or if the local server could not listen: others are still
        refused then, just not told which session is open nor raised."""
        return self._server is not None and self._server.isListening()

    def listen(self) -> None:
        """Start answering instances that are refused (safe to call again, or after release)."""
        if self._server is not None or self._released:
            return
        server = _listen(server_name(self._data_dir))
        if server is not None:
            server.setParent(self)
            server.newConnection.connect(self._on_connection)
        self._server = server

    def listen_after_first_paint(self) -> None:
        """``listen`` once the app's first window is painted and start-up is over."""
        after_start_up(self.listen)

    def attach(self, window) -> None:
        """Bring ``window`` to the front whenever another instance is refused."""
        self.raise_requested.connect(lambda: bring_to_front(window))

    def release(self) -> None:
        """Give up the data folder (on quit). Safe to call twice."""
        self._released = True
        if self._server is not None:
            self._server.close()
            self._server = None
        self._lock.unlock()

    def _on_connection(self) -> None:
        while self._server is not None and self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            socket.setParent(self)
            socket.readyRead.connect(lambda s=socket: self._answer(s))
            socket.disconnected.connect(socket.deleteLater)

    def _answer(self, socket: QLocalSocket) -> None:
        if not socket.canReadLine():
            return
        if bytes(socket.readLine().data()) != QUESTION:
            socket.disconnectFromServer()
            return
        try:
            text = " ".join(str(self._describe() or "").split()) or "no session is open (the start screen is showing)"
        except Exception as exc:  # noqa: BLE001 - the answer must go out even if describing fails
            text = f"a session is open (it could not be described: {exc})"
        socket.write(text.encode("utf-8")[:MAX_ANSWER_BYTES] + b"\n")
        socket.flush()
        socket.disconnectFromServer()
        self.raise_requested.emit()


def describe_room(room) -> str:
    """What a refused second start is told about this instance: the session its room screen has
    open ("session 12 for client C-7 (Dr Ruiz), Deep phase, 1:02:03 in"), or that none is."""
    if room is None:
        return "no session is open in it (the home page is showing)"
    controller = room.controller
    row = controller.session_row()
    phase = controller.runner.state.phase
    where = f"{phase.name} phase" if phase is not None else "not started yet"
    if not controller.is_running:
        where = "ended, its record still open on screen"
    return (f"session {row.id} for client {row.client_code} ({row.therapist}), {where}, "
            f"{format_hms(controller.elapsed())} in")


def bring_to_front(window) -> None:
    """Show a minimised or hidden window again and ask the window manager to focus it."""
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()


def ask_running_instance(name: str, timeout_ms: int = ANSWER_TIMEOUT_MS) -> str | None:
    """The running instance's description of its open session, or None if it does not answer."""
    # Qt's network module is loaded here and in _listen, never at start-up: a first start never
    # asks, and loading it measured 60-100 ms on a busy 2-core machine (bench/bench_startup.py).
    from PySide6.QtNetwork import QLocalSocket  # noqa: PLC0415 - start-up, see above
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(timeout_ms):
        return None
    socket.write(QUESTION)
    socket.flush()
    timer = QElapsedTimer()
    timer.start()
    while not socket.canReadLine():
        left = timeout_ms - timer.elapsed()
        if left <= 0 or not socket.waitForReadyRead(int(left)):
            break
    answer = bytes(socket.readLine().data()).decode("utf-8", "replace").strip() if socket.canReadLine() else None
    socket.abort()
    return answer or None


def _listen(name: str) -> QLocalServer | None:
    from PySide6.QtNetwork import QLocalServer  # noqa: PLC0415 - after start-up (ask_running_instance says why)
    server = QLocalServer()
    server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
    if server.listen(name):
        return server
    # We hold the lock, so a socket of that name was left behind by a crashed instance.
    QLocalServer.removeServer(name)
    return server if server.listen(name) else None


def acquire_single_instance(data_dir: Path | str, describe_open_session: Callable[[], str], *,
                            answer_timeout_ms: int = ANSWER_TIMEOUT_MS, listen: bool = True) -> SingleInstance | str:
    """Take the data folder for this process, or return the message to show and exit with.

    ``describe_open_session`` is called in this (first) instance each time another one is
    refused; it returns a short phrase such as "session 12, client C-7, Deep phase". Call this
    after the QApplication exists and before the database is opened; keep the returned handle
    alive until the app quits, then call ``release()``. With ``listen=False`` the handle answers
    other instances only once its ``listen`` (or ``listen_after_first_paint``) has run.
    """
    folder = Path(data_dir)
    try:
        ensure_private_dir(folder)
    except OSError as exc:
        return (f"KAP Room cannot use the data folder {folder}: it cannot be created ({exc.strerror or exc}). "
                "Check the folder's permissions or choose another data folder with --data-dir.")
    lock = QLockFile(str(folder / LOCK_FILENAME))
    lock.setStaleLockTime(0)  # stale only when its process is gone, never by age: sessions last hours
    if lock.tryLock(0):
        instance = SingleInstance(lock, folder, describe_open_session)
        if listen:
            instance.listen()
        return instance
    if lock.error() == QLockFile.LockError.LockFailedError:
        answer = ask_running_instance(server_name(folder), answer_timeout_ms)
        if answer is not None:
            return (f"KAP Room is already open on this data folder ({folder}): {answer}. That window has been "
                    "brought to the front. Use it, or close it before starting KAP Room again.")
        info = tuple(lock.getLockInfo())  # PySide6 gives (pid, host, app); PyQt-style adds a leading bool
        pid, host = (info[-3], info[-2]) if len(info) >= 3 else (0, "")
        who = f"process {pid} on {host or 'this computer'}" if pid else "another process"
        return (f"KAP Room is already open on this data folder ({folder}) in {who}, which did not say which "
                "session it has open. Use that window, or close it before starting KAP Room again.")
    if lock.error() == QLockFile.LockError.PermissionError:
        return (f"KAP Room cannot use the data folder {folder}: it cannot write its lock file there (the folder "
                "is read-only). Check the folder's permissions or choose another data folder with --data-dir.")
    return (f"KAP Room could not lock the data folder {folder} (unknown error). Try again; if it persists, "
            "restart the computer.")
