"""``kaproom review``: open the supervisor's review window straight away (optionally on one session).

Once the clinic has users, a reviewer signs in first (the same dialog as the app); before that,
like every other command, it runs unsigned and says so, with ``--as NAME`` naming who signs off.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any, cast

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from kaproom.cli.common import EXIT_BROKEN, EXIT_ERROR, EXIT_OK, open_workspace, say_no_users_once
from kaproom.clinic.errors import ClinicError
from kaproom.domain.people import Permission
from kaproom.services.people import People
from kaproom.services.workspace import Workspace
from kaproom.store import StoreError
from kaproom.ui.kit.theme import apply_theme, new_application
from kaproom.ui.people.signin import sign_in
from kaproom.ui.review.window import open_review


def clinic_records(workspace: Workspace) -> Any:
    """The clinic server's copies for ``review --clinic``, once the server has answered (a server
    that cannot be reached raises ClinicError within the connect timeout)."""
    # psycopg and the clinic code load only with --clinic: a computer that never joined opens no socket.
    from kaproom.export.records import ClinicRecords  # noqa: PLC0415
    from kaproom.services.clinic_review import ClinicReader  # noqa: PLC0415
    reader = ClinicReader.of(workspace.folder)
    try:
        reader.count()
    except BaseException:
        reader.close()
        raise
    return ClinicRecords(workspace, reader)


def cmd_review(args: argparse.Namespace) -> int:
    workspace = open_workspace(args)
    records = None
    try:
        if args.clinic:  # before any window: a server that is down is one line, within seconds
            try:
                records = clinic_records(workspace)
            except ClinicError as exc:
                print(f"kaproom: {exc}", file=sys.stderr)
                return EXIT_BROKEN  # 1: nothing shown, nothing lost
        app = cast(QApplication, QApplication.instance() or new_application(sys.argv[:1]))
        app.setApplicationName("KAP Room")
        apply_theme(app)
        user = None
        if People.of(workspace).has_users():
            user = sign_in(workspace, None, permission=Permission.VIEW_ALL_SESSIONS, purpose="review sessions")
            if user is None:
                return EXIT_OK  # sign-in cancelled
        else:
            say_no_users_once(workspace)
        window = open_review(workspace, args.as_name, user, records=records)
        if args.session and not window.open_session(args.session):
            print(f"kaproom: {window.message.text()}", file=sys.stderr)
        window.show()
        if args.screenshot:
            def take() -> None:
                saved = window.grab().save(args.screenshot)
                if not saved:
                    print(f"kaproom: could not save the screenshot to {args.screenshot}", file=sys.stderr)
                app.exit(EXIT_OK if saved else EXIT_ERROR)
            QTimer.singleShot(500, take)
        return app.exec()
    except StoreError as exc:
        print(f"kaproom: {exc}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        if records is not None:
            records.close()
        workspace.close()


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
