"""``kaproom clinic init|join|sync|status``, ``kaproom board``, and the ``--clinic`` readings of
``sessions`` and ``verify``: this computer and the clinic's PostgreSQL server.

Nothing here runs unless the command is given: a computer that never joined loads no psycopg and
opens no socket.
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from kaproom.cli.people import require, visible_sessions
from kaproom.clinic import reader
from kaproom.clinic.board import BoardFeed
from kaproom.clinic.errors import ClinicError, ClinicUnreachable
from kaproom.clinic.server import connect, connection_params, init_schema, role_instructions
from kaproom.domain.clock import format_hms
from kaproom.domain.events import ChainReport
from kaproom.domain.people import Permission
from kaproom.services import clinic_sync
from kaproom.services.paths import data_dir, ensure_private_dir
from kaproom.services.workspace import Workspace
from kaproom.store import SessionRow

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2


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


def _sync(folder: Any) -> int:
    try:
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
    print(f"Caught up: {result.sent} sent; the clinic server has everything recorded here"
          + (" except the refused sessions above." if result.position.refused else "."))
    return EXIT_FAILED if result.position.refused else EXIT_OK


def cmd_sync(args: argparse.Namespace) -> int:
    return _sync(_folder(args))


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
    for refused in status["refused"]:
        print(f"REFUSED:    session {refused['session_uid']}: {refused['reason']}")
    return EXIT_OK


def open_workspace(args: argparse.Namespace) -> Workspace:
    return Workspace(_folder(args))


def _server_connection(args: argparse.Namespace) -> Any:
    config = clinic_sync.required_config(_folder(args))
    return connect(config.params())


def cmd_sessions_clinic(args: argparse.Namespace) -> int:
    """``kaproom sessions --clinic``: every room's sessions, from the server, with the same roles and audit."""
    try:
        with open_workspace(args) as workspace:
            user = require(args, workspace, Permission.VIEW_OWN_SESSIONS)
            with _server_connection(args) as conn:
                found = [SessionRow(**row) for row in reader.list_sessions(conn, limit=args.limit)]
            rows = visible_sessions(workspace, user, found, via="cli --clinic")
    except ClinicError as exc:
        print(f"kaproom: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.json:
        print(json.dumps([row.__dict__ for row in rows], indent=2, ensure_ascii=False))
        return EXIT_OK
    if not rows:
        print("No sessions on the clinic server yet.")
        return EXIT_OK
    print(f"{'#':>6}  {'room':<12} {'started (UTC)':<20} {'client':<10} {'therapist':<14} {'length':>8}  "
          f"{'state':<12} signed")
    for row in rows:
        length = format_hms(row.duration_seconds) if row.duration_seconds is not None else "-"
        started = (row.started_at or row.created_at)[:19].replace("T", " ")
        print(f"{row.id:>6}  {row.room[:12]:<12} {started:<20} {row.client_code[:10]:<10} {row.therapist[:14]:<14} "
              f"{length:>8}  {row.state:<12} {'yes' if row.signed_at else 'no'}{'  DEMO' if row.demo else ''}")
    return EXIT_OK


def witness_reports(workspace: Any, conn: Any, room: str) -> list[ChainReport]:
    """This room's sessions against what the server holds of them: a chain rewritten or cut short
    here, after the server received it, is caught by the server's copy (a witness)."""
    reports = []
    for uid, (server_seq, server_hash) in reader.heads_of_room(conn, room).items():
        try:
            row = workspace.store.session(uid)
        except Exception:  # noqa: BLE001 - NotFound: a session the server has and this file does not
            reports.append(ChainReport(f"session {uid[:8]} (on the clinic server)", server_seq, 1, None,
                                       "the clinic server holds it and this computer's record does not"))
            continue
        label = f"session {row.id} ({uid[:8]}) against the clinic server"
        local = {e.seq: e.hash for e in workspace.store.events(uid)}
        if server_seq > len(local):
            reports.append(ChainReport(label, len(local), len(local) + 1, None,
                                       f"the clinic server holds {server_seq} events and this record only "
                                       f"{len(local)} (events were removed here)"))
        elif local.get(server_seq) != server_hash:
            reports.append(ChainReport(label, len(local), server_seq, None,
                                       f"event {server_seq} here is not the event the clinic server holds "
                                       "(this record was rewritten)"))
        else:
            reports.append(ChainReport(label, len(local)))
    return reports


def cmd_verify_clinic(args: argparse.Namespace) -> int:
    """``kaproom verify --clinic``: every chain on the server, and this room's record against it."""
    try:
        config = clinic_sync.required_config(_folder(args))
        with open_workspace(args) as workspace:
            require(args, workspace, Permission.VERIFY)
            with connect(config.params()) as conn:
                reports = [*reader.verify_sessions(conn), *reader.verify_entry_chains(conn)]
                if config.kind == "room":
                    reports += witness_reports(workspace, conn, config.computer)
    except ClinicError as exc:
        print(f"kaproom: {exc}", file=sys.stderr)
        return EXIT_ERROR
    broken = [r for r in reports if not r.intact]
    if not args.quiet:
        for report in reports:
            print(report.describe())
    if broken:
        print(f"VERIFY FAILED: {len(broken)} of {len(reports)} logs are not intact; first: {broken[0].describe()}",
              file=sys.stderr)
        return EXIT_FAILED
    print(f"All {len(reports)} logs on the clinic server intact." if reports else
          "The clinic server holds no logs yet.")
    return EXIT_OK


def cmd_board(args: argparse.Namespace) -> int:
    """``kaproom board``: the live board of every room's session today."""
    # Qt only for the board: `clinic sync` (from cron or a script) starts without loading it (bench_startup).
    from PySide6.QtCore import QTimer  # noqa: PLC0415
    from PySide6.QtWidgets import QApplication  # noqa: PLC0415

    from kaproom.ui.board.window import BoardWindow  # noqa: PLC0415
    from kaproom.ui.kit.theme import apply_theme, new_application  # noqa: PLC0415
    try:
        config = clinic_sync.required_config(_folder(args))
        with open_workspace(args) as workspace:
            require(args, workspace, Permission.VIEW_ALL_SESSIONS)
        params = config.params()
    except ClinicError as exc:
        print(f"kaproom: {exc}", file=sys.stderr)
        return EXIT_ERROR
    app = QApplication.instance() or new_application(sys.argv[:1])
    apply_theme(app)
    window = BoardWindow()
    window.resize(1366, 768)
    window.sessionChosen.connect(lambda uid: window.status.setText(
        f"Session {uid[:8]}: open it with  kaproom review --clinic {uid}"))
    feed = BoardFeed(params, window.rowsArrived.emit, window.problem.emit)
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
                QTimer.singleShot(300, finish)
            else:
                QTimer.singleShot(100, finish_once_shown)
        QTimer.singleShot(100, finish_once_shown)
        QTimer.singleShot(15000, lambda: app.exit(EXIT_FAILED))  # the server never answered
    window.show()
    feed.start()
    try:
        return int(app.exec())
    finally:
        feed.stop(timeout=1.0)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("clinic", parents=[common], help="the clinic server: init, join, sync, status",
                       description="Copy this computer's record to the clinic's PostgreSQL server. The room keeps "
                                   "working, and keeps every event, while the server cannot be reached.")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = actions.add_parser("init", parents=[common],
                           help="create or upgrade the clinic schema in a PostgreSQL database")
    a.add_argument("url", help="postgresql://OWNER@HOST/DATABASE (the database's owner)")
    a.set_defaults(func=cmd_init)
    a = actions.add_parser("join", parents=[common], help="send this computer's records to that server from now on")
    a.add_argument("url", help="postgresql://ROLE@HOST/DATABASE (a password, where there is none, is read from stdin)")
    who = a.add_mutually_exclusive_group()
    who.add_argument("--room", metavar="NAME", help="this computer is the room NAME")
    who.add_argument("--office", metavar="NAME", help="this computer is the office computer NAME")
    a.set_defaults(func=cmd_join)
    a = actions.add_parser("sync", parents=[common],
                           help="send everything not yet sent (exit 0 caught up, 1 server unreachable)")
    a.set_defaults(func=cmd_sync)
    a = actions.add_parser("status", parents=[common], help="joined server, name, last send, events waiting")
    a.add_argument("--json", action="store_true", help="machine-readable output")
    a.set_defaults(func=cmd_status)
    p = sub.add_parser("board", parents=[common], help="the live board: every room's session today",
                       description="One window listing every room with a session today: phase and time in it, "
                                   "time since the dose, the last vitals, open urgent alerts, whether the room is "
                                   "connected. Updates within seconds of an event in a room. Shows no notes.")
    p.add_argument("--dump-state", metavar="FILE", help="write what the board shows as JSON, then quit")
    p.add_argument("--screenshot", metavar="PNG", help="save a picture of the board, then quit")
    p.set_defaults(func=cmd_board)
