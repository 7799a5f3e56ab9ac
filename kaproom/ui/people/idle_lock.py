"""Locks the review side after a while without input, and when the computer's screen locks.

Only the review side uses this: the session screen never locks itself (the clock must stay
visible; it has the privacy key instead). Idle time is measured on the injected clock, so tests
advance a FakeClock; the timer only decides how often to look. While locked an opaque cover
hides the content, the content is disabled (so neither clicks, keys nor shortcuts reach it), and
only the cover's "Unlock" button works, which asks ``unlocker`` (e.g. the sign-in dialog).

Screen-lock signals come over D-Bus (QtDBus, part of PySide6-Essentials): logind's session
``Lock`` on the system bus and the freedesktop/GNOME ``ScreenSaver.ActiveChanged`` on the session
bus. Neither exists on Windows or macOS: there the idle timeout is the only trigger (a known gap).
"""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication, QFrame, QLabel, QPushButton, QVBoxLayout, QWidget

from kaproom.domain.clock import Clock, SystemClock
from kaproom.domain.people import Permission
from kaproom.services.people import People
from kaproom.services.settings import load_settings
from kaproom.ui.people.signin import run_modal, sign_in

try:
    from PySide6.QtDBus import QDBusConnection
except ImportError:  # a Qt build without D-Bus (Windows, macOS wheels may differ): the idle timeout only
    QDBusConnection = None  # type: ignore[assignment,misc]

DEFAULT_TIMEOUT_S = 10 * 60
CHECK_INTERVAL_MS = 1000
INPUT_EVENTS = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick, QEvent.Type.MouseMove,
    QEvent.Type.Wheel, QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate, QEvent.Type.TabletPress,
})


class LockCover(QFrame):
    """What a locked review shows: no data, one way back."""

    def __init__(self, parent: QWidget, on_unlock: Callable[[], None]) -> None:
        super().__init__(parent)
        self.setObjectName("lockCover")
        self.setAutoFillBackground(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.reason = QLabel("Locked")
        self.reason.setObjectName("lockReason")
        self.reason.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.button = QPushButton("Unlock…")
        self.button.setObjectName("lockUnlock")
        self.button.setAutoDefault(True)  # it has the focus while locked: Enter presses it, as Space does
        self.button.clicked.connect(on_unlock)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.reason)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)
        self.hide()


class IdleLock(QObject):
    """``IdleLock(review_widget, timeout_s, clock)``; ``locked(reason)`` / ``unlocked()`` for the audit."""

    locked = Signal(str)
    unlocked = Signal()

    def __init__(self, widget: QWidget, timeout_s: float = DEFAULT_TIMEOUT_S, clock: Clock | None = None,
                 unlocker: Callable[[], object] | None = None, watch_screen_lock: bool = True,
                 check_interval_ms: int = CHECK_INTERVAL_MS) -> None:
        super().__init__(widget)
        if timeout_s <= 0:
            raise ValueError("the idle timeout must be positive")
        self.widget, self.timeout_s = widget, float(timeout_s)
        self.clock: Clock = clock or SystemClock()
        self.unlocker = unlocker
        self.is_locked = False
        self.reason = ""
        self._last_input = self.clock.monotonic()
        self._disabled: list[QWidget] = []
        self.cover = LockCover(widget, self.request_unlock)
        widget.installEventFilter(self)  # to follow its size
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self._timer = QTimer(self)
        self._timer.setInterval(check_interval_ms)
        self._timer.timeout.connect(self.check)
        self._timer.start()
        self.screen_lock = ScreenLockWatcher(self) if watch_screen_lock else None
        if self.screen_lock is not None:
            self.screen_lock.screen_locked.connect(lambda: self.lock("screen_lock"))

    # ------------------------------------------------------------------ watching
    @property
    def watching(self) -> bool:
        """Whether idle time is being counted (not once :meth:`stop` was called)."""
        return self._timer.isActive()

    def stop(self) -> None:
        """Stop counting while the guarded window is closed: no timer and no app-wide event filter are
        left behind it, so a closed review never locks later (nor writes its lock into the audit log)
        inside a process that goes on, such as the board, a test run, or the home page."""
        self._timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def start(self) -> None:
        """Count again, from now, when the window is shown again (a lock in place stays in place)."""
        if self.watching:
            return
        self._last_input = self.clock.monotonic()
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self._timer.start()

    # ------------------------------------------------------------------ time
    def idle_seconds(self) -> float:
        return max(0.0, self.clock.monotonic() - self._last_input)

    def set_timeout(self, seconds: float) -> None:
        if seconds > 0:
            self.timeout_s = float(seconds)

    @Slot()
    def check(self) -> None:
        if not self.is_locked and self.idle_seconds() >= self.timeout_s:
            self.lock("idle")

    def _ours(self, obj: QObject) -> bool:
        return isinstance(obj, QWidget) and (obj is self.widget or self.widget.isAncestorOf(obj))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        kind = event.type()
        if obj is self.widget and kind == QEvent.Type.Resize and self.is_locked:
            self.cover.setGeometry(self.widget.rect())
        elif kind in INPUT_EVENTS and self._ours(obj):
            in_cover = obj is self.cover or self.cover.isAncestorOf(obj)  # type: ignore[arg-type]
            if self.is_locked and not in_cover:
                return True  # nothing behind the cover gets input
            if not self.is_locked:
                if self.idle_seconds() >= self.timeout_s:  # the timer has not looked yet: too late
                    self.lock("idle")
                    return True
                self._last_input = self.clock.monotonic()
        return False

    # ------------------------------------------------------------------ locking
    def lock(self, reason: str = "by_hand") -> None:
        if self.is_locked or (reason == "screen_lock" and not self.watching):  # a closed window's: nothing to hide
            return
        self.is_locked, self.reason = True, reason
        children = self.widget.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
        self._disabled = [child for child in children if child is not self.cover and child.isEnabled()]
        for child in self._disabled:
            child.setEnabled(False)
        words = {"idle": "Locked after a while without use.", "screen_lock": "Locked because the screen was locked."}
        self.cover.reason.setText(f"{words.get(reason, 'Locked.')} Sign in again to continue.")
        self.cover.setGeometry(self.widget.rect())
        self.cover.show()
        self.cover.raise_()
        self.cover.button.setFocus()
        self.locked.emit(reason)

    @Slot()
    def request_unlock(self) -> None:
        """Ask ``unlocker`` (the sign-in dialog); a falsy answer keeps the lock."""
        if self.unlocker is None or self.unlocker():
            self.unlock()

    def unlock(self) -> None:
        if not self.is_locked:
            return
        for child in self._disabled:
            child.setEnabled(True)
        self._disabled = []
        self.cover.hide()
        self.is_locked, self.reason = False, ""
        self._last_input = self.clock.monotonic()
        self.unlocked.emit()


class ScreenLockWatcher(QObject):
    """Emits ``screen_locked`` when the desktop locks (logind or a ScreenSaver service), where D-Bus exists."""

    screen_locked = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sources: list[str] = []
        if QDBusConnection is None:
            return
        # Only buses that are plainly there: never start a bus daemon just to listen.
        if os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
            bus = QDBusConnection.sessionBus()
            if bus.isConnected():
                for service in ("org.freedesktop.ScreenSaver", "org.gnome.ScreenSaver"):
                    path = "/" + service.replace(".", "/")
                    # The slot's signature as str: PySide6's stubs say bytes, but only str is taken at
                    # run time (checked with dbus-run-session and dbus-send).
                    if bus.connect(service, path, service, "ActiveChanged", self,  # type: ignore[call-overload]
                                   "1on_screensaver(bool)"):
                        self.sources.append(service)
        if os.environ.get("DBUS_SYSTEM_BUS_ADDRESS") or os.path.exists("/run/dbus/system_bus_socket"):
            bus = QDBusConnection.systemBus()
            if bus.isConnected() and bus.connect(  # type: ignore[call-overload]  # str, as above
                    "org.freedesktop.login1", "", "org.freedesktop.login1.Session", "Lock", self,
                    "1on_session_lock()"):
                self.sources.append("org.freedesktop.login1")

    @Slot(bool)
    def on_screensaver(self, active: bool) -> None:
        if active:
            self.screen_locked.emit()

    @Slot()
    def on_session_lock(self) -> None:
        self.screen_locked.emit()


class ReviewLock(IdleLock):
    """The review side's lock as the clinic set it: idle minutes from settings.toml, unlocking by
    signing in again (a reviewer), every lock in the audit log. ``user`` is who is reviewing now:
    another supervisor may unlock, and from then on sign-offs are theirs."""

    user_changed = Signal(object)

    def __init__(self, workspace: Any, widget: QWidget, user: Any, run: Any = None,
                 watch_screen_lock: bool = True) -> None:
        settings, _ = load_settings(workspace.folder)
        self.workspace, self.user, self._run = workspace, user, run
        self.people = People.of(workspace)
        self._permission = Permission.VIEW_ALL_SESSIONS
        super().__init__(widget, settings.review_idle_minutes * 60, workspace.clock, self._sign_in_again,
                         watch_screen_lock)
        self.locked.connect(lambda reason: self.people.record_lock(self.user, reason))

    def _sign_in_again(self) -> bool:
        if not self.people.has_users():  # an open install: nobody to sign in as
            return True
        user = sign_in(self.workspace, self.widget, permission=self._permission, purpose="unlock the review",
                       run=self._run or run_modal, people=self.people)
        if user is None:
            return False
        if self.user is None or user.name != self.user.name:
            self.user = user
            self.user_changed.emit(user)
        return True
