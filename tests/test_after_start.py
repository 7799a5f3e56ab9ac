"""Deferred start-up work: it waits for the first window on screen, then runs once."""
from __future__ import annotations

from PySide6.QtWidgets import QApplication, QLabel

from kaproom.ui.kit.after_start import LOOK_MS, after_start_up


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
    import kaproom.ui.kit.after_start as after_start
    monkeypatch.setattr(after_start.QCoreApplication, "instance", staticmethod(lambda: None))
    calls: list[str] = []
    after_start_up(lambda: calls.append("ran"))
    assert calls == ["ran"]


def test_without_a_window_on_screen_the_work_runs_at_the_latest_after_a_while(qapp, qtbot, monkeypatch) -> None:
    import kaproom.ui.kit.after_start as after_start
    for widget in QApplication.topLevelWidgets():
        widget.hide()
    monkeypatch.setattr(after_start, "AT_THE_LATEST_MS", 10 * LOOK_MS)
    calls: list[str] = []
    after_start_up(lambda: calls.append("ran"), delay_ms=0)
    qtbot.waitUntil(lambda: calls == ["ran"], timeout=2000)


def test_the_collector_paused_for_start_up_runs_again_once_it_is_over() -> None:
    import gc

    from kaproom.ui.kit.after_start import collect_garbage_from_now_on
    gc.disable()
    try:
        collect_garbage_from_now_on()
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0  # what start-up built is set aside from later collections
    finally:
        gc.unfreeze()
        gc.enable()


def test_a_collector_left_on_is_left_alone() -> None:
    import gc

    from kaproom.ui.kit.after_start import collect_garbage_from_now_on
    assert gc.isenabled()
    collect_garbage_from_now_on()
    assert gc.isenabled() and gc.get_freeze_count() == 0
