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

from kaproom.clinic.errors import ClinicError, ClinicUnreachable
from kaproom.clinic.server import connect, connection_params, init_schema, role_instructions
from kaproom.services import clinic_sync
from kaproom.services.paths import data_dir, ensure_private_dir

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
