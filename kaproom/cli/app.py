"""Starts Qt: the home page, the start page, the room screen (resumed or new) and the demo.

``kaproom``            home: resume the open session, start a new one, review (also ``kaproom home``)
``kaproom start``      straight to the start page
``kaproom resume``     straight back into the open session (after a crash or reboot)
``kaproom demo``       a demo session on a fast clock in its own database, no sign-in

The GUI commands share ``--dump-state FILE`` (what the room shows, as JSON, whenever it
changes) and ``--screenshot FILE`` (save a picture of the screen, then quit) so the app can be
checked from outside, by scripts and tests, exactly as it runs.
"""
from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from kaproom.services.paths import data_dir, demo_dir

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from kaproom.services.workspace import Workspace
    from kaproom.ui.shell.launcher import Launcher

DEFAULT_DEMO_SPEED = 30.0
DESKTOP_ID = "org.kaproom.KAPRoom"
DEFAULT_SCREENSHOT_DELAY_MS = 2500


def open_review(workspace: Workspace, parent: QWidget | None = None) -> QWidget | None:
    """Open the review of past sessions; return its window (kept alive by the caller).

    Once the clinic has users, the reviewer signs in first (therapists see only their own
    sessions; supervisors all of them). The review locks itself after the clinic's idle time.
    """
    from kaproom.domain.people import Permission
    from kaproom.services.people import People
    from kaproom.ui.review import open_review as review_window

    user = None
    if People.of(workspace).has_users():
        from kaproom.ui.people.signin import sign_in
        user = sign_in(workspace, parent, permission=Permission.VIEW_OWN_SESSIONS, purpose="review sessions")
        if user is None:
            return None
    return review_window(workspace, user.name if user else "supervisor", user)


def set_up_sign_in(workspace: Workspace, parent: QWidget | None = None) -> bool:
    """The guided first step on a fresh install: create the first admin, then add the staff."""
    from kaproom.services.people import People
    from kaproom.ui.people.signin import first_admin_setup
    return first_admin_setup(People.of(workspace), parent) is not None


def change_own_pin(workspace: Workspace, parent: QWidget | None = None) -> bool:
    """A member of staff changes their own PIN or passphrase (the current one first)."""
    from kaproom.ui.people.signin import change_own_secret
    return change_own_secret(workspace, parent) is not None


def staff_and_audit(workspace: Workspace, parent: QWidget | None = None) -> object:
    """Staff accounts (admins) and the audit log (admins and supervisors), after signing in."""
    from kaproom.ui.people.staff import open_staff_and_audit
    return open_staff_and_audit(workspace, parent)


def identify_for_session(workspace: Workspace, parent: QWidget | None = None) -> tuple[str, bool] | None:
    """Who is about to run a session: (name, fixed). Once the clinic has registered users, that
    person signs in and the therapist field is their name; before that the name is typed.
    None means the sign-in was cancelled."""
    if not workspace.store.has_users():  # the staff code loads only when there is staff to sign in
        return "", False
    from kaproom.domain.people import Permission
    from kaproom.ui.people.signin import sign_in
    user = sign_in(workspace, parent, permission=Permission.RUN_SESSION, purpose="run a session")
    return None if user is None else (user.name, True)


def _schedule_screenshot(app, launcher, path: str, delay_ms: int) -> None:
    from PySide6.QtCore import QTimer

    def take() -> None:
        window = launcher.window
        picture = None
        if window is not None and app.platformName() == "xcb":
            screen = window.screen()
            picture = screen.grabWindow(0) if screen is not None else None  # the whole screen, as seen
        if (picture is None or picture.isNull()) and window is not None:
            picture = window.grab()
        if picture is None or not picture.save(path):
            print(f"kaproom: could not save the screenshot to {path}", file=sys.stderr)
            app.exit(2)
            return
        if launcher.room is not None:
            launcher.room.close_now()
        app.quit()

    QTimer.singleShot(delay_ms, take)


def main_gui(args: argparse.Namespace) -> int:
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from kaproom.domain.clock import Clock, ScaledClock, SystemClock
    from kaproom.domain.protocol_error import ProtocolError
    from kaproom.services.workspace import Workspace
    from kaproom.store import StoreError
    from kaproom.ui.kit.after_start import after_start_up, collect_garbage_from_now_on
    from kaproom.ui.kit.theme import apply_theme, new_application
    from kaproom.ui.shell.single_instance import acquire_single_instance

    command = getattr(args, "command", None)
    demo = command == "demo"
    speed = float(getattr(args, "speed", DEFAULT_DEMO_SPEED))
    if demo and not 0 < speed <= 1000:
        print("kaproom: --speed must be above 0 and at most 1000", file=sys.stderr)
        return 2
    app = QApplication.instance() or new_application(sys.argv[:1])
    app.setApplicationName("KAP Room")
    QGuiApplication.setDesktopFileName(DESKTOP_ID)  # matches packaging/org.kaproom.KAPRoom.desktop
    apply_theme(app)
    after_start_up(collect_garbage_from_now_on)  # kaproom.cli.main paused the collector for start-up

    folder = data_dir(getattr(args, "data_dir", None))
    if demo:
        folder = demo_dir(folder)  # the demo never writes into the real database
    clock: Clock = ScaledClock(speed) if demo else SystemClock()
    launcher_box: list = []
    instance = acquire_single_instance(folder, lambda: describe_running(launcher_box), listen=False)
    if isinstance(instance, str):  # another KAP Room has this data folder: say which session, then stop
        print(f"kaproom: {instance}", file=sys.stderr)
        return 3
    try:
        workspace = Workspace(folder, clock)
    except StoreError as exc:
        instance.release()
        print(f"kaproom: {exc}", file=sys.stderr)
        if not (getattr(args, "screenshot", None) or getattr(args, "dump_state", None)):  # not for scripts
            from kaproom.ui.shell.start_failure import show_start_failure
            show_start_failure(str(exc), folder)  # from the desktop launcher, the terminal is nowhere
        return 2
    for warning in workspace.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    launcher = make_launcher(workspace, demo, dump_state=getattr(args, "dump_state", None))
    launcher_box.append(launcher)
    auto_backups: list = []  # after each session ends and at the first start of a day; not for the demo
    if not demo:
        after_start_up(lambda: start_auto_backups(launcher, auto_backups))
    instance.listen_after_first_paint()  # the lock already refuses others; this lets them be told why
    try:
        if demo:
            launcher.start_demo(getattr(args, "protocol", "lozenge-3h"), resume=getattr(args, "resume", False))
        elif command == "resume":
            launcher.resume_latest()
        elif command == "start":
            launcher.show_start()
        else:
            launcher.show_home()
    except (StoreError, ProtocolError) as exc:
        launcher.show_home(str(exc))
    if launcher.window is None:  # sign-in cancelled
        workspace.close()
        instance.release()
        return 0
    from kaproom.ui.shell.single_instance import bring_to_front
    instance.raise_requested.connect(lambda: launcher.window is not None and bring_to_front(launcher.window))
    screenshot = getattr(args, "screenshot", None)
    if screenshot:
        _schedule_screenshot(app, launcher, screenshot, int(getattr(args, "screenshot_delay", DEFAULT_SCREENSHOT_DELAY_MS)))
    try:
        return app.exec()
    finally:
        for auto in auto_backups:
            auto.stop()
        workspace.close()
        instance.release()


def start_auto_backups(launcher: Launcher, started: list) -> None:
    """Automatic backups, wired once start-up is over (the settings' reader is not part of it)."""
    from kaproom.ui.shell.auto_backup import start_auto_backups  # noqa: PLC0415 - after start-up (bench_startup)
    started.append(start_auto_backups(launcher))


def make_launcher(workspace: Workspace, demo: bool, dump_state: str | None = None,
                  **options: object) -> Launcher:
    """The app's windows as the command opens them. The demo has no sign-in, and its review
    shows the demo's own sessions (a person trying KAP Room sees what a supervisor would)."""
    from kaproom.ui.shell.launcher import Launcher
    return Launcher(workspace, demo=demo, dump_state=dump_state,
                    identify=None if demo else identify_for_session, open_review=open_review,
                    review_available=True,  # the demo too: its review shows the demo's own sessions
                    set_up_sign_in=None if demo else set_up_sign_in,
                    change_pin=None if demo else change_own_pin,
                    staff=None if demo else staff_and_audit, **options)  # type: ignore[arg-type]


def describe_running(launcher_box: list) -> str:
    """What this instance has open, for the message a refused second start shows."""
    from kaproom.ui.shell.single_instance import describe_room
    return describe_room(launcher_box[0].room if launcher_box else None)


def _gui_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dump-state", metavar="FILE",
                        help="write what the room screen shows to FILE as JSON whenever it changes (for checks)")
    parser.add_argument("--screenshot", metavar="PNG", help="save a picture of the screen after it opens, then quit")
    parser.add_argument("--screenshot-delay", metavar="MS", type=int, default=DEFAULT_SCREENSHOT_DELAY_MS,
                        help=f"wait this long before --screenshot (default {DEFAULT_SCREENSHOT_DELAY_MS} ms)")
    parser.set_defaults(func=main_gui)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("demo", parents=[common],
                       help="open a demo session on a fast clock, in its own demo database (no sign-in)")
    p.add_argument("--speed", type=float, default=DEFAULT_DEMO_SPEED,
                   help=f"session seconds per real second (default {DEFAULT_DEMO_SPEED:g}: three hours in six minutes)")
    p.add_argument("--protocol", default="lozenge-3h", help="protocol id (default lozenge-3h; short-check is 12 min)")
    p.add_argument("--resume", action="store_true", help="continue the open demo session instead of a new one")
    _gui_options(p)
    p = sub.add_parser("resume", parents=[common], help="open the room screen on the open session (after a crash)")
    _gui_options(p)
    p = sub.add_parser("start", parents=[common], help="open the start page for a new session")
    _gui_options(p)
    p = sub.add_parser("home", parents=[common], help="open the home page (the same as no command)")
    _gui_options(p)


__all__ = ["identify_for_session", "main_gui", "open_review", "register"]
