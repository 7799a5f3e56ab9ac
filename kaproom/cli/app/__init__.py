"""The app's commands: with no command, and ``home``, ``start``, ``resume`` and ``demo``.

``kaproom``            home: resume the open session, start a new one, review (also ``kaproom home``)
``kaproom start``      straight to the start page
``kaproom resume``     straight back into the open session (after a crash or reboot)
``kaproom demo``       a demo session on a fast clock in its own database, no sign-in (``--speed 1``: real time)

The GUI commands share ``--dump-state FILE`` (what the room shows, as JSON, whenever it
changes) and ``--screenshot FILE`` (save a picture of the screen, then quit) so the app can be
checked from outside, by scripts and tests, exactly as it runs.

This module is their command line and loads no Qt, so ``kaproom --help`` does not either; Qt and
the windows load with :mod:`kaproom.cli.app.gui` when the app starts.
"""
from __future__ import annotations

import argparse

DEFAULT_DEMO_SPEED = 30.0
DEFAULT_SCREENSHOT_DELAY_MS = 2500


def main_gui(args: argparse.Namespace) -> int:
    """Start the app (Qt, the data folder, the first window) for ``args``."""
    # Here, not at the top: `kaproom --help` builds every command's parser and must not load Qt
    # (PySide6 and the window modules: 0.6-0.8 s on the 2-core VM; tests/test_cli.py).
    from kaproom.cli.app.gui import start_app  # noqa: PLC0415 - figure above
    return start_app(args)


def _gui_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dump-state", metavar="FILE",
                        help="write what the room screen shows to FILE as JSON whenever it changes (for checks)")
    parser.add_argument("--screenshot", metavar="PNG", help="save a picture of the screen after it opens, then quit")
    parser.add_argument("--screenshot-delay", metavar="MS", type=int, default=DEFAULT_SCREENSHOT_DELAY_MS,
                        help=f"wait this long before --screenshot (default {DEFAULT_SCREENSHOT_DELAY_MS} ms)")
    parser.set_defaults(func=main_gui)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("demo", parents=[common],
                       help="open a demo session on a fast clock, in its own demo database (no sign-in)")
    p.add_argument("--speed", type=float, default=DEFAULT_DEMO_SPEED,
                   help=f"session seconds per real second (default {DEFAULT_DEMO_SPEED:g}: three hours in six "
                        "minutes; 1 is real time, to follow the session by hand). The demo's home page offers both")
    p.add_argument("--protocol", default="lozenge-3h", help="protocol id (default lozenge-3h; short-check is 12 min)")
    p.add_argument("--resume", action="store_true", help="continue the open demo session instead of a new one")
    _gui_options(p)
    p = sub.add_parser("resume", parents=[common], help="open the room screen on the open session (after a crash)")
    _gui_options(p)
    p = sub.add_parser("start", parents=[common], help="open the start page for a new session")
    _gui_options(p)
    p = sub.add_parser("home", parents=[common], help="open the home page (the same as no command)")
    _gui_options(p)


__all__ = ["DEFAULT_DEMO_SPEED", "DEFAULT_SCREENSHOT_DELAY_MS", "main_gui", "register"]
