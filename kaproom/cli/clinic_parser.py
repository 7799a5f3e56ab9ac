"""``kaproom clinic init|join|sync|status`` and ``kaproom board``: their command line.

This module is the parsing only, and loads neither psycopg nor Qt (``kaproom --help`` builds every
command's parser): what each command does is in :mod:`kaproom.cli.clinic`, imported when one of
them runs.
"""
from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

#: Where the clinic commands run: imported when one runs, never to build the command line or its
#: help (it loads psycopg, ~0.4 s; tests/test_cli.py holds it).
COMMANDS = "kaproom.cli.clinic"


def command(name: str) -> Callable[[argparse.Namespace], int]:
    """The command ``name`` of :data:`COMMANDS`, for ``set_defaults(func=...)``: its module is
    loaded when the command runs."""
    def run(args: argparse.Namespace) -> int:
        return int(getattr(importlib.import_module(COMMANDS), name)(args))
    run.__name__ = run.__qualname__ = name
    return run


def window_size(text: str) -> tuple[int, int]:
    """"1920x1080" -> (1920, 1080), for ``board --size``."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a size: write it as WIDTHxHEIGHT, e.g. 1920x1080") from None
    if not (320 <= width <= 10000 and 240 <= height <= 10000):
        raise argparse.ArgumentTypeError(f"{text} is not a window size this board can take")
    return width, height


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("clinic", parents=[common], help="the clinic server: init, join, sync, status",
                       description="Copy this computer's record to the clinic's PostgreSQL server. The room keeps "
                                   "working, and keeps every event, while the server cannot be reached.")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = actions.add_parser("init", parents=[common],
                           help="create or upgrade the clinic schema in a PostgreSQL database")
    a.add_argument("url", help="postgresql://OWNER@HOST/DATABASE (the database's owner)")
    a.set_defaults(func=command("cmd_init"))
    a = actions.add_parser("join", parents=[common], help="send this computer's records to that server from now on")
    a.add_argument("url", help="postgresql://ROLE@HOST/DATABASE (a password, where there is none, is read from stdin)")
    who = a.add_mutually_exclusive_group()
    who.add_argument("--room", metavar="NAME", help="this computer is the room NAME")
    who.add_argument("--office", metavar="NAME", help="this computer is the office computer NAME")
    a.set_defaults(func=command("cmd_join"))
    a = actions.add_parser("sync", parents=[common],
                           help="send everything not yet sent (exit 0 caught up, 1 server unreachable)")
    a.add_argument("--retry-register", action="store_true",
                   help="send a stock register the clinic refused again (once the cause is put right)")
    a.set_defaults(func=command("cmd_sync"))
    a = actions.add_parser("status", parents=[common], help="joined server, name, last send, events waiting")
    a.add_argument("--json", action="store_true", help="machine-readable output")
    a.set_defaults(func=command("cmd_status"))
    p = sub.add_parser("board", parents=[common], help="the live board: every room's session today",
                       description="One window listing every room with a session today: phase and time in it, "
                                   "time since the dose, the last vitals, open urgent alerts, whether the room is "
                                   "connected. Updates within seconds of an event in a room. Shows no notes.")
    p.add_argument("--dump-state", metavar="FILE", help="write what the board shows as JSON, then quit")
    p.add_argument("--screenshot", metavar="PNG", help="save a picture of the board, then quit")
    p.add_argument("--size", metavar="WxH", type=window_size, default=(1366, 768),
                   help="the window's size in pixels (default 1366x768)")
    p.set_defaults(func=command("cmd_board"))
