"""Started as a fresh process by bench_startup.py: opens a window and exits once it is on screen.

``bare``         a bare PySide6 window (QApplication + one 1280x800 QWidget): the baseline.
``app ARGS``     the real app, ``kaproom.cli.main(ARGS)``, exactly as the ``kaproom`` command runs
                 it; done when its first top-level window is exposed and the event loop is idle.
``app-session ARGS``  the same, but done only when the room (session) screen, the window whose
                 class is ``RoomWindow``, is exposed: give it ``resume --data-dir DIR``.

It prints ``shown <window class>`` and leaves at once with os._exit: the measurement ends when
the window is on screen, not when the app has tidied up. It adds no flag to the app: it watches
Qt's Expose events from outside, through an event filter on the app's own QApplication (the
class is swapped for a subclass that installs the filter as it is created).
"""
from __future__ import annotations

import os
import sys


def main() -> None:
    mode = sys.argv[1]
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    wanted = "RoomWindow" if mode == "app-session" else None

    def top_level_for(window_handle):
        for widget in QApplication.topLevelWidgets():
            if widget.windowHandle() is window_handle:
                return widget
        return None

    def done(name: str) -> None:
        print(f"shown {name}", flush=True)
        os._exit(0)

    class ShownWatcher(QObject):
        def eventFilter(self, watched, event):  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Expose:
                widget = top_level_for(watched)
                if widget is not None and widget.isVisible() and (
                        wanted is None or type(widget).__name__ == wanted):
                    name = type(widget).__name__
                    QTimer.singleShot(0, lambda: done(name))  # once the loop has drawn and gone idle
            return False

    watcher = ShownWatcher()
    if mode == "bare":
        app = QApplication(sys.argv[:1])
        app.installEventFilter(watcher)
        window = QWidget()
        window.setWindowTitle("bare")
        window.resize(1280, 800)
        window.show()
        app.exec()
    else:
        # The app creates its own QApplication (after its high-DPI set-up); the watcher rides on it.
        import PySide6.QtWidgets as widgets

        class WatchedApplication(widgets.QApplication):
            def __init__(self, *args, **kwargs) -> None:
                super().__init__(*args, **kwargs)
                self.installEventFilter(watcher)

        widgets.QApplication = WatchedApplication
        from kaproom.cli import main as kaproom_main
        kaproom_main(sys.argv[2:])
    print("exited without showing the window", flush=True)
    os._exit(1)


if __name__ == "__main__":
    main()
