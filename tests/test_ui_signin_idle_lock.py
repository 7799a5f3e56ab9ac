"""The review side locks after idle time (on the injected clock) and when the screen locks."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton, QVBoxLayout, QWidget

from kaproom.ui.people.idle_lock import IdleLock


@pytest.fixture
def review(qtbot):
    """A stand-in for the review window: a field and a button with data behind them."""
    widget = QWidget()
    layout = QVBoxLayout(widget)
    widget.field = QLineEdit("KAP-0042 session notes")
    widget.button = QPushButton("Export")
    widget.exports = []
    widget.button.clicked.connect(lambda: widget.exports.append(1))
    layout.addWidget(widget.field)
    layout.addWidget(widget.button)
    widget.resize(500, 300)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_locks_after_ten_idle_minutes_by_default(qtbot, review, clock):
    lock = IdleLock(review, clock=clock, watch_screen_lock=False)
    assert lock.timeout_s == 600
    clock.advance(599)
    lock.check()
    assert not lock.is_locked
    clock.advance(1)
    with qtbot.waitSignal(lock.locked, timeout=3000) as signal:  # the timer notices by itself
        pass
    assert signal.args == ["idle"] and lock.is_locked
    assert lock.cover.isVisible() and lock.cover.geometry() == review.rect()
    assert "without use" in lock.cover.reason.text()


def test_input_keeps_it_unlocked(qtbot, review, clock):
    lock = IdleLock(review, timeout_s=60, clock=clock, watch_screen_lock=False)
    for _minute in range(5):
        clock.advance(50)
        qtbot.keyClick(review.field, Qt.Key.Key_End)
        lock.check()
    assert not lock.is_locked  # 250 s since it started, never 60 s without input
    clock.advance(60)
    lock.check()
    assert lock.is_locked


def test_input_elsewhere_does_not_keep_the_review_open(qtbot, review, clock):
    other = QLineEdit("the room screen")
    qtbot.addWidget(other)
    other.show()
    lock = IdleLock(review, timeout_s=60, clock=clock, watch_screen_lock=False)
    clock.advance(40)
    qtbot.keyClick(other, Qt.Key.Key_A)
    clock.advance(20)
    lock.check()
    assert lock.is_locked


def test_while_locked_nothing_behind_the_cover_can_be_used(qtbot, review, clock):
    lock = IdleLock(review, timeout_s=60, clock=clock, watch_screen_lock=False)
    lock.lock()
    qtbot.mouseClick(review.button, Qt.MouseButton.LeftButton)
    review.button.click()  # even programmatic clicks: the button is disabled
    qtbot.keyClicks(review.field, "x")
    assert review.exports == [] and review.field.text() == "KAP-0042 session notes"
    assert not review.field.isEnabled() and lock.cover.button.isEnabled()


def test_unlocking_asks_the_unlocker_and_a_refusal_keeps_it_locked(qtbot, review, clock):
    answers = iter([None, True])
    lock = IdleLock(review, timeout_s=60, clock=clock, unlocker=lambda: next(answers), watch_screen_lock=False)
    clock.advance(61)
    lock.check()
    qtbot.mouseClick(lock.cover.button, Qt.MouseButton.LeftButton)
    assert lock.is_locked  # sign-in cancelled
    with qtbot.waitSignal(lock.unlocked, timeout=1000):
        qtbot.keyClick(lock.cover.button, Qt.Key.Key_Return)  # it has the focus: Enter presses it
    assert not lock.is_locked and not lock.cover.isVisible() and review.field.isEnabled()
    clock.advance(59)
    lock.check()
    assert not lock.is_locked  # idle time starts again from the unlock


def test_a_widget_disabled_before_the_lock_stays_disabled_after(qtbot, review, clock):
    review.button.setEnabled(False)
    lock = IdleLock(review, timeout_s=60, clock=clock, watch_screen_lock=False)
    lock.lock()
    lock.unlock()
    assert not review.button.isEnabled() and review.field.isEnabled()


def test_the_cover_follows_the_window_size(qtbot, review, clock):
    lock = IdleLock(review, timeout_s=60, clock=clock, watch_screen_lock=False)
    lock.lock()
    review.resize(800, 600)
    qtbot.waitUntil(lambda: lock.cover.size() == review.size())


def test_the_screen_lock_signal_locks_at_once(qtbot, review, clock):
    lock = IdleLock(review, timeout_s=600, clock=clock, watch_screen_lock=True)
    with qtbot.waitSignal(lock.locked, timeout=1000) as signal:
        lock.screen_lock.on_screensaver(True)
    assert signal.args == ["screen_lock"] and "screen was locked" in lock.cover.reason.text()
    lock.unlock()
    lock.screen_lock.on_screensaver(False)  # the screensaver ending does not lock
    assert not lock.is_locked
    lock.screen_lock.on_session_lock()
    assert lock.is_locked


def test_a_bad_timeout_is_refused():
    with pytest.raises(ValueError):
        IdleLock(QWidget(), timeout_s=0)


SCREEN_LOCK_SCRIPT = textwrap.dedent("""
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QTimer
    from PySide6.QtDBus import QDBusConnection, QDBusMessage
    from PySide6.QtWidgets import QApplication, QWidget
    from kaproom.ui.people.idle_lock import IdleLock
    app = QApplication([])
    review = QWidget()
    lock = IdleLock(review, timeout_s=600)
    print("sources", lock.screen_lock.sources, flush=True)
    bus = QDBusConnection.sessionBus()
    assert bus.registerService("org.freedesktop.ScreenSaver")
    lock.locked.connect(lambda reason: (print("locked", reason, flush=True), app.quit()))
    message = QDBusMessage.createSignal("/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver", "ActiveChanged")
    message.setArguments([True])
    QTimer.singleShot(200, lambda: bus.send(message))
    QTimer.singleShot(10000, app.quit)
    app.exec()
""")


@pytest.mark.skipif(not shutil.which("dbus-run-session"), reason="needs dbus-run-session (Debian dbus-daemon)")
def test_a_real_screensaver_signal_over_dbus_locks_the_review(tmp_path):
    """On a private session bus: the desktop's ScreenSaver says it became active; the review locks."""
    script = tmp_path / "screen_lock.py"
    script.write_text(SCREEN_LOCK_SCRIPT)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBUS_")}
    result = subprocess.run(["dbus-run-session", "--", sys.executable, str(script)], capture_output=True, text=True,
                            timeout=60, env=env, cwd=os.getcwd())
    assert "org.freedesktop.ScreenSaver" in result.stdout, result.stderr
    assert "locked screen_lock" in result.stdout, result.stdout + result.stderr


def test_review_lock_uses_the_clinic_setting_and_a_reviewer_signs_in_again(qtbot, review, workspace):
    from _people_helpers import THERAPIST_PIN, add_staff, audit_log, fast_people

    from kaproom.domain.people import AuditKind
    from kaproom.services.settings import ClinicSettings, save_settings
    from kaproom.ui.people.idle_lock import ReviewLock

    save_settings(workspace.folder, ClinicSettings(review_idle_minutes=3))
    people = fast_people(workspace)
    staff = add_staff(people)
    people.add_user(staff["admin"], "Rua", "supervisor", "slow tide rising")
    tries = iter([("Teo", THERAPIST_PIN), ("Rua", "slow tide rising")])

    def sign_in_dialog(dialog) -> bool:
        qtbot.addWidget(dialog)
        name, secret = next(tries)
        dialog.name_edit.setText(name)
        dialog.secret_edit.setText(secret)
        dialog.attempt()
        return dialog.user is not None

    lock = ReviewLock(workspace, review, staff["supervisor"], run=sign_in_dialog, watch_screen_lock=False)
    lock.people = people  # the cheap test hashes
    assert lock.timeout_s == 180
    workspace.clock.advance(180)
    lock.check()
    assert lock.is_locked
    assert audit_log(people, limit=1)[0].kind == AuditKind.REVIEW_LOCKED
    assert audit_log(people, limit=1)[0].author == "Sam"
    lock.request_unlock()  # a therapist may not unlock the review
    assert lock.is_locked and lock.user.name == "Sam"
    with qtbot.waitSignal(lock.user_changed) as changed:
        lock.request_unlock()
    assert not lock.is_locked and changed.args[0].name == "Rua" and lock.user.name == "Rua"


def test_a_closed_review_window_counts_no_idle_time_and_counts_again_when_shown_again(qtbot, workspace):
    """Closed, the review's lock stops (no timer, no app-wide filter left running in a process that
    goes on); the board shows the same window again later, and then it must lock as before."""
    from kaproom.ui.review.window import open_review
    window = open_review(workspace, "Dr Rao")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    lock = window.review_lock
    assert lock is not None and lock.watching
    window.close()
    assert not lock.watching
    workspace.clock.advance(3600)
    window.show()
    qtbot.waitExposed(window)
    assert lock.watching and not lock.is_locked  # an hour closed is not idle time
    workspace.clock.advance(lock.timeout_s + 1)
    with qtbot.waitSignal(lock.locked, timeout=3000):  # its timer runs again by itself
        pass
    assert lock.is_locked
