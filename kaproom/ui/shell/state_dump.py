"""What the room screen shows, as plain data: for tests, for ``--dump-state`` and for anyone
automating the app (the crash-and-resume check reads it from a separate process).

It reads the widgets' own text, not the runner, so it proves what a person would have seen.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

from kaproom.domain.clock import to_iso

if TYPE_CHECKING:
    from kaproom.ui.room.window import RoomWindow


def room_state(room: RoomWindow) -> dict[str, Any]:
    controller = room.controller
    return {
        "title": room.windowTitle(),
        "clock": room.clock_label.text(),
        "phase": room.phase_label.text(),
        "phase_strip_current": room.phase_strip.current_name(),
        "vitals_due": room.vitals_due.text(),
        "log": room.log_view.lines(),
        "log_seqs": room.log_view.shown_seqs(),
        "note": room.note_input.text(),
        "save_error": room.save_error.text() if not room.save_error.isHidden() else "",
        "status": room.status.text(),
        "private": room.private,
        "demo": room.demo,
        "session_uid": controller.runner.session_uid,
        "state": controller.state.value,
        # the moment the screen was read, on the session's own clock
        "elapsed": round(controller.elapsed(), 3),
        "wall": to_iso(controller.clock.now()),
    }


class StateDump(QObject):
    """Writes ``room_state`` to a JSON file (atomically) whenever what is shown changes."""

    def __init__(self, room: RoomWindow, path: Path | str) -> None:
        super().__init__(room)
        self.room, self.path = room, Path(path)
        self._last = ""
        room.controller.ticked.connect(self.write)
        room.controller.eventRecorded.connect(lambda _event: self.write())
        self.write()

    def write(self, *_args: object) -> None:
        state = room_state(self.room)
        shown = json.dumps({k: v for k, v in state.items() if k not in ("elapsed", "wall")}, sort_keys=True)
        if shown == self._last:
            return
        self._last = shown
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(state, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, self.path)
