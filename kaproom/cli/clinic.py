"""``kaproom clinic init|join|sync|status``, ``kaproom board``, and the ``--clinic`` readings of
``sessions`` and ``verify``: this computer and the clinic's PostgreSQL server. Their command line
is :mod:`kaproom.cli.clinic_parser`, which imports this module only when one of them runs.

Nothing here runs unless the command is given: a computer that never joined loads no psycopg and
opens no socket.
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from kaproom.cli.common import require
from kaproom.clinic.board import BoardFeed
from kaproom.clinic.errors import ClinicError, ClinicUnreachable
from kaproom.clinic.server import connect, connection_params, init_schema, role_instructions
from kaproom.domain.clock import Clock, SystemClock
from kaproom.domain.people import Permission
from kaproom.services import clinic_sync
from kaproom.services.paths import data_dir, ensure_private_dir
from kaproom.services.workspace import Workspace

if TYPE_CHECKING:
    from kaproom.domain.people import User
    from kaproom.export.records import Records
    from kaproom.ui.board.window import BoardWindow
    from kaproom.ui.review.window import ReviewWindow

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2
#: ``board --dump-state/--screenshot`` gives up after this long when the server never answers.
BOARD_GIVE_UP_MS = 15000


def _folder(args: argparse.Namespace) -> Any:
    folder = data_dir(getattr(args, "data_dir", None))
    for warning in ensure_private_dir(folder):
        print(f"warning: {warning}", file=sys.stderr)
    return folder


def read_password(prompt: str) -> str:
    """From standard input: the terminal (not echoed) or a pipe (its first line)."""
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\n")


def cmd_init(args: argparse.Namespace) -> int:
    try:
        params = connection_params(args.url)
        with connect(params) as conn:
            applied = init_schema(conn)
            database = conn.info.dbname
    except ClinicError as exc:
        print(f"kaproom: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print("Created the clinic schema: " + ", ".join(applied) if applied else "The clinic schema is up to date.")
    print()
    print(role_instructions(database))
    return EXIT_OK


def cmd_join(args: argparse.Namespace) -> int:
    folder = _folder(args)
    kind, name = ("office", args.office) if args.office else ("room", args.room)
    if not name:
        print("kaproom: name this computer: --room NAME (a room) or --office NAME (an office computer)",
              file=sys.stderr)
        return EXIT_ERROR
    password = None if clinic_sync.url_has_password(args.url) else read_password("Password for the clinic server: ")
    try:
        config = clinic_sync.join_clinic(folder, args.url, name, kind, password or None)
    except ClinicError as exc:
        print(f"kaproom: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(f"Joined {config.server} as the {kind} '{config.computer}'. The password is kept in "
          f"{folder / clinic_sync.CONFIG_FILE} (readable by you only).")
    if kind == "room":
        return _sync(folder)
    return EXIT_OK


def _sync(folder: Any, retry_register: bool = False) -> int:
    try:
        if retry_register:
            clinic_sync.retry_register(folder)
        result = clinic_sync.sync_now(folder)
    except ClinicUnreachable as exc:
        status = clinic_sync.status(folder)
        print(f"kaproom: {exc} {status.get('waiting', 0)} events waiting here.", file=sys.stderr)
        return EXIT_FAILED
    except ClinicError as exc:
        print(f"kaproom: {exc}", file=sys.stderr)
        return EXIT_FAILED
    for uid, reason in result.position.refused:
        print(f"REFUSED by the clinic: session {uid}: {reason}", file=sys.stderr)
    if result.position.register_refused:
        print(f"REFUSED by the clinic: the stock register: {result.position.register_refused}", file=sys.stderr)
        print(f"The stock register is set aside, nothing lost here: {clinic_sync.RETRY_REGISTER}", file=sys.stderr)
    refused = result.position.refused or result.position.register_refused
    print(f"Caught up: {result.sent} sent; the clinic server has everything recorded here"
          + (" except what was refused above." if refused else "."))
    held = clinic_sync.status(folder)
    if held["not_sent_sessions"]:
        print(clinic_sync.not_sent_words(held["not_sent_sessions"], held["not_sent_all_imported"], held["kind"]))
    if result.office_actions:
        print(f"{result.office_actions} sign-off{'s' if result.office_actions != 1 else ''} made at office computers "
              "on this room's sessions, shown in the review and the exports (kept in the offices' own chains).")
    _say_accounts(result)
    return EXIT_FAILED if refused or result.accounts_refused else EXIT_OK


def _say_accounts(result: clinic_sync.SyncResult) -> None:
    """What the sync did with the clinic's accounts: published (an office) and taken here."""
    plural = "s" if result.accounts != 1 else ""
    if result.accounts_published:
        print(f"{result.accounts_published} clinic account version{'s' if result.accounts_published != 1 else ''} "
              "published: each room takes it at its next sync.")
    for said in result.accounts_said:
        print(f"Clinic accounts: {said}.")
    for refused in result.accounts_refused:
        print(f"REFUSED: {refused}", file=sys.stderr)
    if result.accounts:
        print(f"{result.accounts} clinic account{plural} changed here (sign-in with them works offline).")


def cmd_sync(args: argparse.Namespace) -> int:
    return _sync(_folder(args), args.retry_register)


def cmd_status(args: argparse.Namespace) -> int:
    try:
        status = clinic_sync.status(_folder(args))
    except ClinicError as exc:
        print(f"kaproom: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.json:
        print(json.dumps(status, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not status["joined"]:
        print("Not joined to a clinic server: this computer keeps its record to itself and opens no network "
              "connection.")
        return EXIT_OK
    print(f"server:     {status['server']}")
    print(f"{status['kind']}:{' ' * (11 - len(status['kind']))}{status['computer']}")
    print(f"last sent:  {status['last_sent_at'] or 'never'}")
    print(f"waiting:    {status['waiting']} events")
    if status["not_sent_sessions"]:
        count = status["not_sent_sessions"]
        print(f"not sent:   {count} {'imported ' if status['not_sent_all_imported'] else ''}"
              f"session{'s' if count != 1 else ''} (each session is sent by the room that recorded it)")
    for refused in status["refused"]:
        print(f"REFUSED:    session {refused['session_uid']}: {refused['reason']}")
    if status.get("register_refused"):
        print(f"REFUSED:    the stock register: {status['register_refused']}")
        print(f"            {clinic_sync.RETRY_REGISTER}")
    if status.get("kind") in ("room", "office"):
        received = status.get("accounts_received_at")
        accounts = f"{status.get('accounts') or 0} from the clinic, last received {received}" if received \
            else "never received from the clinic"
        print(f"accounts:   {accounts}")
        for refused in status.get("accounts_refused") or []:
            print(f"REFUSED:    {refused}")
    return EXIT_OK


def open_workspace(args: argparse.Namespace, clock: Clock | None = None) -> Workspace:
    return Workspace(_folder(args), clock)


class BoardReviews:
    """What a double-click on the board opens: that session's review, read from the clinic server,
    as ``kaproom review --clinic SESSION`` shows it. One review window serves the board (opened at
    the first double-click, raised at the next). Connected to the board's ``sessionChosen``."""

    def __init__(self, board: BoardWindow, workspace: Workspace, user: User | None, records: Records) -> None:
        self.board, self.workspace, self.user, self.records = board, workspace, user, records
        self.review: ReviewWindow | None = None
        board.sessionChosen.connect(self.open)

    def open(self, session_uid: str) -> bool:
        # The review's window code loads at the first double-click, as the board itself does (bench_startup).
        from kaproom.ui.review.window import open_review  # noqa: PLC0415
        try:
            if self.review is None:
                self.review = open_review(self.workspace, self.user.name if self.user else "supervisor", self.user,
                                          records=self.records)
            opened = self.review.open_session(session_uid)
        except ClinicError as exc:
            self.board.status.setText(str(exc))
            return False
        self.board.status.setText(f"Opened session {session_uid[:8]} in the review." if opened
                                  else self.review.message.text())
        self.review.show()
        self.review.raise_()
        return opened

    def close(self) -> None:
        if self.review is not None:
            self.review.close()


def cmd_board(args: argparse.Namespace, clock: Clock | None = None) -> int:
    """``kaproom board``: the live board of every room's session today. Double-clicking a row opens
    that session's review from the clinic server (as ``kaproom review --clinic SESSION``).
    ``clock``: what "today" and "now" are (the system's; a test gives its own)."""
    clock = clock or SystemClock()
    # Qt only for the board: `clinic sync` (from cron or a script) starts without loading it (bench_startup).
    from PySide6.QtCore import QTimer  # noqa: PLC0415
    from PySide6.QtWidgets import QApplication  # noqa: PLC0415

    from kaproom.export.records import ClinicRecords  # noqa: PLC0415
    from kaproom.services.clinic_review import ClinicReader  # noqa: PLC0415
    from kaproom.ui.board.window import BoardWindow  # noqa: PLC0415
    from kaproom.ui.kit.theme import apply_theme, new_application  # noqa: PLC0415
    workspace = open_workspace(args, clock)
    try:
        config = clinic_sync.required_config(workspace.folder)
        user = require(args, workspace, Permission.VIEW_ALL_SESSIONS)
        params = config.params()
    except ClinicError as exc:
        workspace.close()
        print(f"kaproom: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BaseException:
        workspace.close()
        raise
    app = cast(QApplication, QApplication.instance() or new_application(sys.argv[:1]))
    apply_theme(app)
    window = BoardWindow()
    window.resize(*args.size)
    reader = ClinicReader(config)
    reviews = BoardReviews(window, workspace, user, ClinicRecords(workspace, reader))
    feed = BoardFeed(params, window.rowsArrived.emit, window.problem.emit, now=clock.now)
    timers: list[QTimer] = []

    def later(ms: int, action: Callable[[], object]) -> None:
        """A timer of this command's own, stopped when it returns: one left running would, fired
        later, end whatever event loop the process runs then (a dialog's, another command's)."""
        timer = QTimer(window)
        timer.setSingleShot(True)
        timer.timeout.connect(action)
        timer.start(ms)
        timers.append(timer)

    if args.dump_state or args.screenshot:
        def finish() -> None:
            ok = True
            if args.dump_state:
                with open(args.dump_state, "w", encoding="utf-8") as out:
                    json.dump(window.state(), out, indent=2, ensure_ascii=False)
            if args.screenshot:
                ok = window.grab().save(args.screenshot)
            app.exit(0 if ok else EXIT_ERROR)
        def finish_once_shown() -> None:
            if window.updates:
                later(300, finish)
            else:
                later(100, finish_once_shown)
        later(100, finish_once_shown)
        later(BOARD_GIVE_UP_MS, lambda: app.exit(EXIT_FAILED))  # the server never answered
    window.show()
    feed.start()
    try:
        return int(app.exec())
    finally:
        for timer in timers:
            timer.stop()
        feed.stop(timeout=1.0)
        reviews.close()
        reader.close()
        workspace.close()
