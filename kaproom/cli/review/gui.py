"""``kaproom review``'s window (:mod:`kaproom.cli.review` has its command line): Qt, sign-in
and the review window load here, when the command runs."""
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


def open_review_window(args: argparse.Namespace) -> int:
    workspace = open_workspace(args)
    records, window = None, None
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
        if window is not None:  # nothing of it runs on inside a process that goes on (its idle lock's timer)
            window.close()
        if records is not None:
            records.close()
        workspace.close()


__all__ = ["clinic_records", "open_review_window"]
