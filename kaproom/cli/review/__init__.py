"""``kaproom review``: open the supervisor's review window straight away (optionally on one session).

Once the clinic has users, a reviewer signs in first (the same dialog as the app); before that,
like every other command, it runs unsigned and says so, with ``--as NAME`` naming who signs off.

This module is the command line and loads no Qt (``kaproom --help`` builds it);
:mod:`kaproom.cli.review.gui` opens the window.
"""
from __future__ import annotations

import argparse


def cmd_review(args: argparse.Namespace) -> int:
    # Here, not at the top: `kaproom --help` builds every command's parser and must not load Qt
    # (PySide6 and the window modules: 0.6-0.8 s on the 2-core VM; tests/test_cli.py).
    from kaproom.cli.review.gui import open_review_window  # noqa: PLC0415 - figure above
    return open_review_window(args)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("review", parents=[common], help="open the review window (session list, timeline, sign-off)",
                       description="Review past sessions: filter the list, read a session's timeline and vitals "
                                   "chart, sign it off, export it. Asks for sign-in once the clinic has users.")
    p.add_argument("session", nargs="?", help="open this session (number or id) straight away")
    p.add_argument("--as", dest="as_name", default="supervisor", metavar="NAME",
                   help="who signs off while the clinic has no users yet (default: supervisor)")
    p.add_argument("--screenshot", metavar="PNG", help="save a picture of the window after it opens, then quit")
    p.add_argument("--clinic", action="store_true",
                   help="every room's sessions on the clinic server (read-only copies; a sign-off goes into this "
                        "office computer's own chain there); exit 1 when the server cannot be reached")
    p.set_defaults(func=cmd_review)


__all__ = ["cmd_review", "register"]
