"""Deferred start-up work: it waits for the first window on screen, then runs once."""
from __future__ import annotations

from PySide6.QtWidgets import QApplication, QLabel

from kaproom.ui.after_start import LOOK_MS, after_start_up


def test_deferred_work_waits_for_a_window_on_screen_then_runs_once(qapp, qtbot) -> None:
    for widget in QApplication.topLevelWidgets():  # windows other tests left behind would count as the first
        widget.hide()
    calls: list[str] = []
    after_start_up(lambda: calls.append("ran"), delay_ms=0)
    qtbot.wait(10 * LOOK_MS)  # several looks, with nothing on screen
    assert calls == []
    window = QLabel("the first window")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: calls == ["ran"])
    qtbot.wait(5 * LOOK_MS)
    assert calls == ["ran"]


def test_without_an_app_the_work_runs_at_once(monkeypatch) -> None:
    import kaproom.ui.after_start as after_start
    monkeypatch.setattr(after_start.QCoreApplication, "instance", staticmethod(lambda: None))
    calls: list[str] = []
    after_start_up(lambda: calls.append("ran"))
    assert calls == ["ran"]
