"""Started as a fresh process by bench_startup.py: opens a window and exits once it is on screen.

``bare``         a bare PySide6 window (QApplication + one 1280x800 QWidget): the baseline.
``app ARGS``     the real app, ``kaproom.cli.main.main(ARGS)``, exactly as the ``kaproom`` command runs
                 it; done when its first top-level window is exposed and the event loop is idle.
``app-session ARGS``  the same, but done only when the room (session) screen, the window whose
                 class is ``RoomWindow``, is exposed: give it ``resume --data-dir DIR``.

It prints ``shown <window class>`` and leaves at once with os._exit: the measurement ends when
the window is on screen, not when the app has tidied up. It adds no flag to the app: it rides on
the app's own QApplication (the class is swapped for a subclass that starts the watch as it is
created) and looks, each time the event loop comes round, for a top-level window that is visible
and exposed (a widget is painted as its window is exposed). So it ends at the first turn of the
loop after the first paint, before work the app leaves for just after it: each look posts the
next one as a zero-delay call, so it is queued ahead of any the app posts while it paints. It does not filter the app's events: a filter on the application is
called through Python for every event of every widget, which would charge the app (thousands of
events while a screen is built) far more than the bare window (a handful) for the measuring.
"""
from __future__ import annotations

import os
import sys


def main() -> None:
    mode = sys.argv[1]
    if mode != "bare":
        # In the order the ``kaproom`` command loads them: its command line (which loads no Qt)
        # first, then PySide6. PySide6 reads the source of every module imported after it (to
        # look for its ``__feature__`` switches), so loading Qt first would charge the app for
        # reading its command line's modules, which a real start never does.
        try:
            from kaproom.cli.main import main as kaproom_main
        except ModuleNotFoundError:  # a checkout from before the cli package (bench_startup --against)
            from kaproom.cli import main as kaproom_main  # type: ignore[attr-defined, no-redef]
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    wanted = "RoomWindow" if mode == "app-session" else None

    def look() -> None:
        for widget in QApplication.topLevelWidgets():
            handle = widget.windowHandle()
            if widget.isVisible() and handle is not None and handle.isExposed() and (
                    wanted is None or type(widget).__name__ == wanted):
                print(f"shown {type(widget).__name__}", flush=True)  # painted as it was exposed; the loop is free
                os._exit(0)
        QTimer.singleShot(0, look)  # the next turn of the loop (it runs only once the loop does)

    def watch(app: QApplication) -> None:
        QTimer.singleShot(0, look)

    if mode == "bare":
        app = QApplication(sys.argv[:1])
        watch(app)
        window = QWidget()
        window.setWindowTitle("bare")
        window.resize(1280, 800)
        window.show()
        app.exec()
    else:
        # The app creates its own QApplication (after its high-DPI set-up); the watch rides on it.
        import PySide6.QtWidgets as widgets

        class WatchedApplication(widgets.QApplication):
            def __init__(self, *args, **kwargs) -> None:
                super().__init__(*args, **kwargs)
                watch(self)

        widgets.QApplication = WatchedApplication
        kaproom_main(sys.argv[2:])
    print("exited without showing the window", flush=True)
    os._exit(1)


if __name__ == "__main__":
    main()
