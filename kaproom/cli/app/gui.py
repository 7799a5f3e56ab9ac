"""Starts Qt for the app's commands (:mod:`kaproom.cli.app` has their command line): the home
page, the start page, the room screen (resumed or new) and the demo. How the windows are wired to
sign-in, staff and the review is :mod:`kaproom.ui.shell.wiring`.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import cast

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from kaproom.domain.clock import Clock, ScaledClock, SystemClock
from kaproom.domain.protocol_error import ProtocolError
from kaproom.services.paths import data_dir, data_folder_problem, make_demo_dir
from kaproom.services.workspace import Workspace
from kaproom.store import StoreError
from kaproom.ui.kit.after_start import after_start_up, collect_garbage_from_now_on
from kaproom.ui.kit.theme import apply_theme, new_application
from kaproom.ui.shell.clinic_link import make_clinic_link
from kaproom.ui.shell.launcher import Launcher
from kaproom.ui.shell.single_instance import acquire_single_instance, bring_to_front
from kaproom.ui.shell.start_failure import show_start_failure
from kaproom.ui.shell.wiring import describe_running, make_launcher

DESKTOP_ID = "org.kaproom.KAPRoom"
#: In the data folder: libvlc's and ALSA's messages, which would otherwise fill the terminal.
SOUND_LOG = "sound.log"


def _sound_noise_to_a_file(folder: Path) -> Callable[[], None]:
    """What the launcher does before a room makes its players: libvlc's and ALSA's messages go to
    ``sound.log`` in the data folder, and a missing sound device is said in one line."""
    log = folder / SOUND_LOG

    def say() -> None:  # on libvlc's thread, once: one line, nothing else
        print(f"kaproom: no sound device could be opened, so the room runs without sound (music is off). "
              f"What libvlc and ALSA said is in {log}", file=sys.stderr, flush=True)

    def start() -> None:
        # Here, not at the top: kaproom.playback costs the home page 10-15 ms of start-up
        # (bench/bench_startup.py, home page); the room loads it anyway.
        from kaproom.playback.vlc_player import log_noise_to  # noqa: PLC0415 - start-up figure above
        log_noise_to(log, say)
    return start


def _schedule_screenshot(app: QApplication, launcher: Launcher, path: str, delay_ms: int) -> None:
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


def start_app(args: argparse.Namespace) -> int:
    """The app for ``args`` (from :mod:`kaproom.cli.app`'s command line; none: the home page)."""
    command = getattr(args, "command", None)
    demo = command == "demo"
    speed = float(args.speed) if demo else 1.0
    if demo and not 0 < speed <= 1000:
        print("kaproom: --speed must be above 0 and at most 1000", file=sys.stderr)
        return 2
    app = cast(QApplication, QApplication.instance() or new_application(sys.argv[:1]))
    app.setApplicationName("KAP Room")
    QGuiApplication.setDesktopFileName(DESKTOP_ID)  # matches packaging/org.kaproom.KAPRoom.desktop
    apply_theme(app)
    after_start_up(collect_garbage_from_now_on)  # kaproom.cli.main paused the collector for start-up

    folder = data_dir(getattr(args, "data_dir", None))
    problem = data_folder_problem(folder)
    if problem is not None:
        print(f"kaproom: {problem}", file=sys.stderr)
        if not (getattr(args, "screenshot", None) or getattr(args, "dump_state", None)):  # not for scripts
            show_start_failure(problem, folder)
        return 2
    if demo:
        try:
            folder = make_demo_dir(folder)  # the demo never writes into the real database
        except OSError as exc:
            print(f"kaproom: the demo's folder in {folder} could not be made: {exc.strerror or exc}", file=sys.stderr)
            return 2
    clock: Clock = ScaledClock(speed) if demo else SystemClock()
    launcher_box: list[Launcher] = []
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
            show_start_failure(str(exc), folder)  # from the desktop launcher, the terminal is nowhere
        return 2
    for warning in workspace.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    launcher = make_launcher(workspace, demo, dump_state=getattr(args, "dump_state", None),
                             before_room=_sound_noise_to_a_file(folder))
    launcher_box.append(launcher)
    # A computer that joined a clinic server sends its record in the background; one that never
    # joined makes no link and opens no socket. Not the demo: its records stay on this computer.
    clinic_link = None if demo else make_clinic_link(folder)
    if clinic_link is not None:
        launcher.clinic_link = clinic_link
        after_start_up(clinic_link.start)
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

    def raise_window() -> None:
        if launcher.window is not None:
            bring_to_front(launcher.window)

    instance.raise_requested.connect(raise_window)
    screenshot = getattr(args, "screenshot", None)
    if screenshot:
        _schedule_screenshot(app, launcher, screenshot, int(args.screenshot_delay))
    try:
        return app.exec()
    finally:
        for auto in auto_backups:
            auto.stop()
        if clinic_link is not None:
            clinic_link.stop()
        workspace.close()
        instance.release()


def start_auto_backups(launcher: Launcher, started: list[object]) -> None:
    """Automatic backups, wired once start-up is over (the settings' reader is not part of it)."""
    from kaproom.ui.shell.auto_backup import start_auto_backups  # noqa: PLC0415 - after start-up (bench_startup)
    started.append(start_auto_backups(launcher))


__all__ = ["start_app"]
