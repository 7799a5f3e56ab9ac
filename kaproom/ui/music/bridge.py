"""Carries player events from libvlc's threads to the Qt main thread.

libvlc calls back on threads of its own and is not re-entrant: nothing may touch a widget, the
store or libvlc from there. A player's listener therefore only calls ``post``, which emits a
signal connected with ``Qt.QueuedConnection``; the event (plain values) is delivered later by
the main thread's event loop, where the director may safely load the next track and log.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot

from kaproom.playback.player import PlayerEvent


class PlayerEventBridge(QObject):
    """``post`` from any thread; ``handler`` runs on the thread this object lives in (the GUI's)."""

    arrived = Signal(object)

    def __init__(self, handler: Callable[[PlayerEvent], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._handler = handler
        self._closed = False
        self.arrived.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def post(self, event: PlayerEvent) -> None:
        """Safe from any thread: queues the event, never calls the handler directly."""
        if self._closed:
            return
        try:
            self.arrived.emit(event)
        except RuntimeError:  # the window (and this object) is gone; the event no longer matters
            self._closed = True

    @Slot(object)
    def _deliver(self, event: PlayerEvent) -> None:
        if not self._closed:
            self._handler(event)

    def close(self) -> None:
        """Drop whatever arrives from now on (the players are being released)."""
        self._closed = True
