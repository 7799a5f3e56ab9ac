"""Shared fixtures. Qt runs offscreen; libvlc (where used) plays to a dummy output."""
from __future__ import annotations

import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KAPROOM_AUDIO_OUTPUT", "dummy")
# Paper and dates follow the computer's locale unless the clinic says (kaproom.services.paper):
# the tests expect A4 and ISO dates on any developer's machine, US or not.
os.environ["LC_PAPER"] = "C"

from datetime import UTC, datetime
from pathlib import Path

import pytest

from kaproom.domain.clock import FakeClock
from kaproom.domain.protocol import builtin_protocol
from kaproom.services.workspace import Workspace
from kaproom.store import Store


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC))


@pytest.fixture
def protocol():
    return builtin_protocol("lozenge-3h")


@pytest.fixture
def short_protocol():
    return builtin_protocol("short-check")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("KAPROOM_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def store(tmp_path: Path):
    opened = Store(tmp_path / "kaproom.sqlite3")
    yield opened
    opened.close()


@pytest.fixture
def workspace(data_dir: Path, clock: FakeClock):
    opened = Workspace(data_dir, clock)
    yield opened
    opened.close()


@pytest.fixture
def days_in_utc(monkeypatch):
    """Local days (a report's, the board's) are UTC's for the test, wherever it runs."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.hookimpl(hookwrapper=True)
@pytest.fixture
def themed_app(qapp):
    """The app's theme as the real app has it (a plain Qt app has other sizes and frames), taken off
    afterwards so later tests see the plain app they expect."""
    from kaproom.ui.kit import theme
    saved_sheet, saved_palette = qapp.styleSheet(), qapp.palette()
    theme.apply_theme(qapp)
    yield qapp
    qapp.setStyleSheet(saved_sheet)
    qapp.setPalette(saved_palette)
    qapp.setProperty("kaproomThemed", False)
    qapp.setCursorFlashTime(1000)


def pytest_runtest_teardown(item, nextitem):
    """Before a test's fixtures go, close every window it left on screen; after the last test of
    a module, once its fixtures are gone, delete the windows no test shows any more.

    A running room refuses a plain close (it asks first, so a session is never closed by
    accident): qtbot's own teardown left such rooms visible for the rest of the run, where they
    took the window activation that later tests wait for. Windows closed but never deleted pile
    up over a run: every app-wide palette or style sheet change (the theme, the night setting)
    then restyles thousands of dead widgets, and late tests slowed to minutes each. Deleting only
    at a module's end: a module-scoped fixture may still hold a hidden window, and a test's own
    fixtures close theirs after the first half of this hook."""
    import sys
    qt = "PySide6.QtWidgets" in sys.modules  # a test that never touched Qt has nothing to close
    if qt:
        from PySide6.QtWidgets import QApplication
        qt = QApplication.instance() is not None
    if qt:
        for window in QApplication.topLevelWidgets():
            if window.isVisible():
                close_now = getattr(window, "close_now", None)
                try:
                    close_now() if callable(close_now) else window.close()
                except Exception:
                    window.hide()
    yield
    if not qt or (nextitem is not None and nextitem.module is item.module):
        return
    from PySide6.QtCore import QCoreApplication, QEvent
    for window in QApplication.topLevelWidgets():
        if not window.isVisible() and window.parent() is None:
            window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
