"""Work that no first picture needs waits until start-up is over.

What the therapist sees first is the window; some set-up only matters later (answering a second
KAP Room that is refused, how menus and tooltips appear). ``after_start_up`` runs such work once
the app's first window has been painted and a moment has passed, so it is never part of the
wait for the window.

It looks for that window a few times a second instead of filtering the app's events: an event
filter on the application is called, through Python, for every event of every widget, and
building the room screen sends thousands of them (about 75 ms of start-up per filter).
"""
from __future__ import annotations

import gc
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, QTimer
from PySide6.QtGui import QGuiApplication

if TYPE_CHECKING:  # QEvent is loaded when first needed (after_first_paint says why)
    from PySide6.QtCore import QEvent

#: After the first paint, how long before deferred set-up runs: start-up is over by then.
SETTLE_MS = 300
#: How often to look for the first window on screen while start-up is under way.
LOOK_MS = 20
#: If no window is on screen by then (started minimised, a platform that never says), it runs anyway.
AT_THE_LATEST_MS = 5000


def after_start_up(callback: Callable[[], object], delay_ms: int = SETTLE_MS) -> None:
    """Run ``callback`` ``delay_ms`` after the app's first window is on screen (at once without an app)."""
    app = QCoreApplication.instance()
    if app is None:
        callback()
        return
    looks_left = AT_THE_LATEST_MS // LOOK_MS

    def look() -> None:
        nonlocal looks_left
        looks_left -= 1
        if looks_left <= 0 or not isinstance(app, QGuiApplication) \
                or any(w.isExposed() for w in QGuiApplication.topLevelWindows()):
            QTimer.singleShot(delay_ms, app, callback)  # a widget is painted as its window is exposed
        else:
            QTimer.singleShot(LOOK_MS, app, look)

    QTimer.singleShot(0, app, look)


def collect_garbage_from_now_on() -> None:
    """End of start-up for Python's garbage collector, if start-up had paused it (``kaproom.cli.main``):
    one collection, then what start-up built (modules, Qt's types, the screen) is set aside so
    that the collections of the hours that follow do not walk through it again each time."""
    if gc.isenabled():
        return
    gc.collect()
    gc.freeze()
    gc.enable()


def after_first_paint(widget: QObject, callback: Callable[[], object]) -> None:
    """Run ``callback`` just after ``widget`` is first painted; never if the widget is gone by then.
    (A filter on that one widget sees only its own events, not its children's.)"""
    # Here, not at the top: making QEvent's type and its enums took 3-5 ms on a quiet machine, and
    # the home page, which imports this module, never waits for a first paint this way
    # (bench/bench_startup.py, home page); the room, which does, loads it as it opens.
    from PySide6.QtCore import QEvent  # noqa: PLC0415 - start-up, see above
    _FirstEvent(widget, QEvent.Type.Paint, lambda: QTimer.singleShot(0, widget, callback))


class _FirstEvent(QObject):
    """Calls ``then`` once, at the first event of ``kind`` that ``target`` sees, then stops
    watching. A child of ``target``: it goes when the target goes."""

    def __init__(self, target: QObject, kind: QEvent.Type, then: Callable[[], object]) -> None:
        super().__init__(target)
        self._target, self._kind = target, kind
        self._then: Callable[[], object] | None = then
        target.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        then = self._then
        if event.type() == self._kind and then is not None:
            self._then = None
            self._target.removeEventFilter(self)
            self.deleteLater()
            then()
        return False
