"""A real room screen in its own process (offscreen), for the fault tests that must kill it or
starve it of disk. Not a test module: started as ``python tests/_room_child.py MODE DATA_DIR``.

``type``      open the data folder's open session (resuming it as the app does) or start a new
              one, show the RoomWindow and keep typing notes into its note field and pressing
              Enter. Prints ``resumed ...`` or ``started ...`` once the room is shown, then one
              ``committed ...`` line per event, printed only after the store has committed it.
``diskfull``  type a note while no file may grow (RLIMIT_FSIZE), press Enter, report what the
              screen shows as JSON; free the space, press Enter again, report again.

It builds the room from the same pieces the app uses (Workspace.resume, SessionController,
RoomWindow) with no extensions, so each launch stays lean.
"""
from __future__ import annotations

import json
import os
import resource
import signal
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from kaproom.domain.clock import SystemClock, to_iso
from kaproom.services.workspace import Workspace
from kaproom.ui.room.controller import SessionController
from kaproom.ui.room.window import RoomWindow


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def open_room(folder: str) -> tuple[QApplication, Workspace, RoomWindow]:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    workspace = Workspace(folder, SystemClock())
    open_sessions = workspace.store.open_sessions()
    if open_sessions:
        runner = workspace.resume(open_sessions[0])
    else:
        runner = workspace.new_session(workspace.protocol("lozenge-3h"), "C-KILL", "therapist", "Room 1",
                                       start=False)
    runner.subscribe(lambda e: say(f"committed session={e.session_uid} seq={e.seq} id={e.id} kind={e.kind}"))
    controller = SessionController(workspace, runner)
    controller.start_if_needed()
    resumed = runner.mark_resumed() if open_sessions else None
    room = RoomWindow(controller, extensions=())
    room.resize(1280, 800)
    room.show()
    if resumed is not None:
        say(f"resumed elapsed={runner.elapsed():.3f} wall={to_iso(workspace.clock.now())} "
            f"gap={resumed.payload['gap_seconds']} phase={runner.state.phase_id} "
            f"shown={','.join(map(str, room.log_view.shown_seqs()))}")
    else:
        say(f"started session={runner.session_uid}")
    return app, workspace, room


def keep_typing(room: RoomWindow) -> None:
    count = [0]

    def one_note() -> None:
        count[0] += 1
        QTest.keyClicks(room.note_input, f"Observation {count[0]}: breathing slow, hands relaxed.")
        QTest.keyClick(room.note_input, Qt.Key.Key_Return)

    timer = QTimer(room)
    timer.setInterval(15)
    timer.timeout.connect(one_note)
    timer.start()


def screen(room: RoomWindow) -> dict:
    return {"note_input": room.note_input.text(), "error_visible": room.save_error.isVisible(),
            "error": room.save_error.text(), "status": room.status.text(), "log": room.log_view.lines()}


def disk_full(room: RoomWindow, workspace: Workspace) -> None:
    QTest.keyClicks(room.note_input, "Before the disk filled.")
    QTest.keyClick(room.note_input, Qt.Key.Key_Return)
    biggest = max(p.stat().st_size for p in workspace.folder.iterdir() if p.is_file())
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (biggest, hard))  # no file may grow any more
    text = "Client says the room feels very far away " * 20
    QTest.keyClicks(room.note_input, text)
    QTest.keyClick(room.note_input, Qt.Key.Key_Return)
    full = screen(room)
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))  # space was freed
    QTest.keyClick(room.note_input, Qt.Key.Key_Return)
    say(json.dumps({"typed": text, "full": full, "freed": screen(room)}))


def main() -> None:
    mode, folder = sys.argv[1], sys.argv[2]
    app, workspace, room = open_room(folder)
    if mode == "type":
        keep_typing(room)
        QTimer.singleShot(60_000, app.quit)  # never outlive a test run
        app.exec()
    elif mode == "diskfull":
        disk_full(room, workspace)
    os._exit(0)


if __name__ == "__main__":
    main()
