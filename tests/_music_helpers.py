"""A stand-in room screen with the room window's agreed contract, for testing the music strip
on its own: ``controller`` (signals eventRecorded, ticked, saveFailed, sessionEnded; record();
runner, workspace, clock), ``set_music_strip``, ``add_banner``, ``add_shortcut``, ``show_status``, ``will_close`` (the parts of
kaproom.ui.kit.host.RoomHost that the music uses)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

from kaproom.domain.events import Kind


class StandInController(QObject):
    eventRecorded = Signal(object)
    ticked = Signal(float)
    saveFailed = Signal(str)
    sessionEnded = Signal(object)

    def __init__(self, workspace: Any, runner: Any) -> None:
        super().__init__()
        self.workspace, self.runner, self.clock = workspace, runner, workspace.clock
        runner.subscribe(self._recorded)

    def _recorded(self, event: Any) -> None:
        self.eventRecorded.emit(event)
        if event.kind == Kind.SESSION_ENDED:
            self.sessionEnded.emit(event)

    def record(self, kind: str, payload: dict) -> Any:
        return self.runner.record(kind, payload)


class StandInRoom(QMainWindow):
    def __init__(self, controller: StandInController) -> None:
        super().__init__()
        self.controller = controller
        self.shortcuts: dict[str, str] = {}
        self.statuses: list[tuple[str, str]] = []
        self.banners: list[QWidget] = []
        body = QWidget()
        self.column = QVBoxLayout(body)
        self.column.addWidget(QLabel("Room"))
        self.setCentralWidget(body)

    def set_music_strip(self, widget: QWidget) -> None:
        self.column.addWidget(widget)

    def add_banner(self, widget: QWidget) -> None:
        self.banners.append(widget)
        self.column.insertWidget(0, widget)

    def add_shortcut(self, key: str, description: str, callback: Callable[[], None]) -> None:
        self.shortcuts[key] = description
        QShortcut(QKeySequence(key), self, callback)

    def show_status(self, text: str, level: str = "info") -> None:
        self.statuses.append((level, text))
        self.statusBar().showMessage(text)

    def will_close(self) -> bool:
        return True  # nothing here asks before closing


def music_events(workspace: Any, runner: Any) -> list[dict]:
    return [dict(e.payload) for e in workspace.store.events(runner.session_uid, (Kind.MUSIC,))]


def actions(workspace: Any, runner: Any) -> list[str]:
    return [e["action"] for e in music_events(workspace, runner)]
