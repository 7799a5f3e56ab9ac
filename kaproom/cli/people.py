"""``kaproom users``, ``kaproom audit`` and ``kaproom settings``: staff accounts, the audit log and
the clinic's settings, without a screen (sign-in as every command asks for it: kaproom.cli.common).
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from kaproom.cli.common import EXIT_OK, Prompter, open_workspace, refuse, require
from kaproom.domain.people import PASSPHRASE_MIN, PIN_MIN, AuditKind, InputRefused, Permission, Role, name_key
from kaproom.services.people import AccessRefused, People
from kaproom.services.settings import HELP as SETTINGS_HELP
from kaproom.services.settings import load_settings, parse_value, save_settings

CLINIC_HELP = ("clinic-wide (at an office computer that joined the clinic): made here and published to the clinic "
               "server; every room takes it at its next sync and signs it in offline")


EXIT_FAILED = 1


def _clinic_office(folder: Path) -> str:
    """The office computer's name, for a --clinic change; refused (before anything is changed) on a
    computer that has not joined the clinic as an office computer."""
    # psycopg loads only for a --clinic change, not for every `kaproom users` command (bench/bench_startup.py).
    from kaproom.services import clinic_sync  # noqa: PLC0415
    config = clinic_sync.load_config(folder)
    if config is None or config.kind != "office":
        where = f"joined as the room '{config.computer}'" if config else "has not joined a clinic server"
        raise InputRefused(f"--clinic: clinic-wide accounts are managed at an office computer; this computer {where} "
                           "(kaproom clinic join URL --office NAME).")
    return config.computer


def _publish(folder: Path, what: str) -> int:
    """Send this office's audit log and publish the change to the clinic server now; when it cannot
    be reached, the change stays made here and is published by the next ``kaproom clinic sync``."""
    from kaproom.clinic.errors import ClinicError  # noqa: PLC0415 - as in _clinic_office
    from kaproom.services import clinic_sync  # noqa: PLC0415 - as in _clinic_office
    try:
        clinic_sync.sync_now(folder)
    except ClinicError as exc:
        print(f"kaproom: {what} here, but not yet for the clinic: {exc} It is published at the next "
              "`kaproom clinic sync` on this computer.", file=sys.stderr)
        return EXIT_FAILED
    print("Published to the clinic: each room takes it at its next `kaproom clinic sync`.")
    return EXIT_OK


def cmd_users_add(args: argparse.Namespace) -> int:
    with open_workspace(args) as workspace:
        people = People.of(workspace)
        try:
            if args.clinic:
                _clinic_office(workspace.folder)
            actor = require(args, workspace, Permission.MANAGE_USERS) if people.has_users() else None
            prompter = Prompter()
            if prompter.interactive:
                print(f"Choose a PIN ({PIN_MIN}+ digits) or a passphrase ({PASSPHRASE_MIN}+ characters) for "
                      f"{args.name}.", file=sys.stderr)
            secret, repeat = prompter.secret(confirm=True)
            user = people.add_user(actor, args.name, args.role, secret, repeat, clinic=args.clinic)
        except InputRefused as exc:
            return refuse(exc)
        first = " (the first admin: sign in with this name from now on)" if actor is None else ""
        print(f"Added {user.name} as {user.role.value}{first}{' (clinic-wide)' if args.clinic else ''}.")
        if args.clinic:
            return _publish(workspace.folder, f"{user.name} was added")
    return EXIT_OK


def cmd_users_list(args: argparse.Namespace) -> int:
    with open_workspace(args) as workspace:
        people = People.of(workspace)
        require(args, workspace, Permission.MANAGE_USERS)
        users = people.users()
        if args.json:
            print(json.dumps([{"name": u.name, "role": u.role.value, "active": u.active, "signs_in_with": u.secret_kind,
                               "paused_seconds": round(people.lock_remaining(u)), "created_at": u.created_at}
                              for u in users], indent=2, ensure_ascii=False))
            return EXIT_OK
        if not users:
            print("No users yet. Add the first admin with `kaproom users add NAME --role admin`.")
            return EXIT_OK
        clinic_wide = people.clinic_wide()
        print(f"{'name':<24} {'role':<11} {'state':<9} {'secret':<11} created (UTC)")
        for u in users:
            state = "paused" if people.lock_remaining(u) > 0 else ("active" if u.active else "disabled")
            added = u.created_at[:16].replace("T", " ")
            wide = "  clinic-wide" if name_key(u.name) in clinic_wide else ""
            print(f"{u.name:<24} {u.role.value:<11} {state:<9} {u.secret_kind:<11} {added}{wide}")
    return EXIT_OK


def _change(action: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        with open_workspace(args) as workspace:
            people = People.of(workspace)
            clinic = bool(getattr(args, "clinic", False))
            try:
                if clinic:
                    _clinic_office(workspace.folder)
                actor = require(args, workspace, Permission.MANAGE_USERS)
                if action == "reset":
                    prompter = Prompter()
                    secret, repeat = prompter.secret("New PIN or passphrase: ", confirm=True)
                    user = people.reset_secret(actor, args.name, secret, repeat, clinic=clinic)
                elif action == "role":
                    user = people.change_role(actor, args.name, args.role, clinic=clinic)
                elif action == "unlock":
                    user = people.unlock(actor, args.name)
                else:
                    user = getattr(people, action)(actor, args.name, clinic=clinic)
            except InputRefused as exc:
                return refuse(exc)
            words = {"disable": "disabled", "enable": "enabled", "unlock": "unlocked",
                     "reset": "given a new PIN or passphrase", "role": f"now a {user.role.value}"}
            print(f"{user.name} {words[action]}.")
            if clinic:
                return _publish(workspace.folder, f"{user.name} was {words[action]}")
        return EXIT_OK
    return run


def cmd_change_own_secret(args: argparse.Namespace, prompter: Prompter | None = None) -> int:
    """``kaproom users change-pin NAME``: the current secret, then the new one (twice on a terminal;
    piped: one line each for the current and the new)."""
    prompter = prompter or Prompter()
    with open_workspace(args) as workspace:
        people = People.of(workspace)
        if not people.has_users():
            return refuse(InputRefused("There are no users yet, so there is no PIN to change."))
        try:
            current, _ = prompter.secret("Current PIN or passphrase: ")
            new, repeat = prompter.secret("New PIN or passphrase: ", confirm=True)
            user = people.change_own_secret(args.name, current, new, repeat)
        except (InputRefused, AccessRefused) as exc:
            return refuse(exc)
        print(f"{user.name}'s PIN or passphrase is changed. Use the new one from now on.")
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    with open_workspace(args) as workspace:
        viewer = require(args, workspace, Permission.VIEW_AUDIT)
        kinds = tuple(args.kind) if args.kind else None
        events = People.of(workspace).audit(kinds, args.limit, newest_first=True, viewer=viewer)
        if args.json:
            print(json.dumps([{"seq": e.seq, "time": e.wall_time, "actor": e.author, "kind": e.kind,
                               **e.payload} for e in events], indent=2, ensure_ascii=False))
            return EXIT_OK
        if not events:
            print("The audit log is empty.")
        for event in events:
            details = " ".join(f"{key}={value}" for key, value in sorted(event.payload.items()))
            print(f"{event.seq:>6}  {event.wall_time[:19].replace('T', ' ')}  {event.author or '-':<16} "
                  f"{event.kind:<22} {details}")
    return EXIT_OK


def cmd_settings(args: argparse.Namespace) -> int:
    with open_workspace(args) as workspace:
        settings, warnings = load_settings(workspace.folder)
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        if args.key is None:
            for key, text in SETTINGS_HELP.items():
                print(f"{key} = {json.dumps(getattr(settings, key))}    # {text}")
            return EXIT_OK
        try:
            actor = require(args, workspace, Permission.MANAGE_SETTINGS)
            if args.value is None:
                hint = SETTINGS_HELP.get(args.key, "")
                raise InputRefused(f"Give a value: kaproom settings {args.key} VALUE ({hint}).")
            value = parse_value(args.key, args.value)
        except InputRefused as exc:
            return refuse(exc)
        old = getattr(settings, args.key)
        save_settings(workspace.folder, replace(settings, **{args.key: value}))
        People.of(workspace).record(actor, AuditKind.SETTINGS_CHANGED, {"key": args.key, "old": old, "new": value})
        print(f"{args.key} = {json.dumps(value)}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    users = sub.add_parser("users", help="staff accounts: add, list, disable, enable, unlock, reset (admins); "
                                         "change-pin (anyone, their own)")
    actions = users.add_subparsers(dest="users_action", metavar="ACTION", required=True)
    p = actions.add_parser("add", parents=[common], help="add a user; the secret is read from stdin when piped")
    p.add_argument("name")
    p.add_argument("--role", required=True, help="therapist, supervisor or admin (the first user: admin)")
    p.add_argument("--clinic", action="store_true", help=CLINIC_HELP)
    p.set_defaults(func=cmd_users_add)
    p = actions.add_parser("list", parents=[common], help="list users, their roles and states")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_users_list)
    for action, text in (("disable", "stop a user from signing in"), ("enable", "let a disabled user sign in again"),
                         ("unlock", "end a pause after wrong tries"),
                         ("reset", "give a user a new PIN or passphrase (read from stdin when piped)")):
        p = actions.add_parser(action, parents=[common], help=text)
        p.add_argument("name")
        if action != "unlock":  # wrong tries are counted per computer
            p.add_argument("--clinic", action="store_true", help=CLINIC_HELP)
        p.set_defaults(func=_change(action))
    p = actions.add_parser("change-pin", parents=[common],
                           help="change your own PIN or passphrase (asks for the current one; no admin needed)")
    p.add_argument("name")
    p.set_defaults(func=cmd_change_own_secret)
    p = actions.add_parser("role", parents=[common], help="change a user's role")
    p.add_argument("name")
    p.add_argument("role", help=", ".join(r.value for r in Role))
    p.add_argument("--clinic", action="store_true", help=CLINIC_HELP)
    p.set_defaults(func=_change("role"))

    p = sub.add_parser("audit", parents=[common], help="show the audit log: sign-ins, views, exports, changes")
    p.add_argument("--limit", type=int, default=200, help="newest entries to show (default 200)")
    p.add_argument("--kind", action="append", help="only this kind (repeatable), e.g. sign_in_failed")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("settings", parents=[common], help="show clinic settings, or set one (admins)")
    p.add_argument("key", nargs="?", help=", ".join(SETTINGS_HELP))
    p.add_argument("value", nargs="?")
    p.set_defaults(func=cmd_settings)
