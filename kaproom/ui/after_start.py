"""Work that no first picture needs waits until start-up is over.

What the therapist sees first is the window; some set-up only matters later (answering a second
KAP Room that is refused, how menus and tooltips appear). ``after_start_up`` runs such work once
the app's first window has been painted and a moment has passed, so it is never part of the
wait for the window.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer

#: After the first paint, how long before deferred set-up runs: start-up is over by then.
SETTLE_MS = 300


def after_start_up(callback: Callable[[], object], delay_ms: int = SETTLE_MS) -> None:
    """Run ``callback`` ``delay_ms`` after the app's first window is painted (at once without an app)."""
    app = QCoreApplication.instance()
    if app is None:
        callback()
        return
    _FirstPaint(app, lambda: QTimer.singleShot(delay_ms, callback))


class _FirstPaint(QObject):
    """Calls ``then`` once, at the first Expose of any window of ``app``, then stops watching."""

    def __init__(self, app: QCoreApplication, then: Callable[[], object]) -> None:
        super().__init__(app)  # kept alive by the app until it has fired
        self._app, self._then = app, then
        app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.Expose and self._then is not None:
            then, self._then = self._then, None
            self._app.removeEventFilter(self)
            self.deleteLater()
            then()
        return False
