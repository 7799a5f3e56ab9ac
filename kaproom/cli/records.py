"""``kaproom sessions`` and ``kaproom verify``: the record, listed and checked, without a screen."""
from __future__ import annotations

import argparse
import json
import sys

from kaproom.cli.common import EXIT_BROKEN, EXIT_OK, open_workspace, require, shown, visible_sessions
from kaproom.domain.clock import format_hms
from kaproom.domain.people import Permission


def cmd_sessions(args: argparse.Namespace) -> int:
    with open_workspace(args) as workspace:
        user = require(args, workspace, Permission.VIEW_OWN_SESSIONS)
        rows = visible_sessions(workspace, user, workspace.store.sessions())
        if args.json:
            print(json.dumps([row.__dict__ for row in rows], indent=2, ensure_ascii=False))
            return EXIT_OK
        if not rows:
            print(f"No sessions yet in {workspace.folder}.")
            return EXIT_OK
        print(f"{'#':>4}  {'started (UTC)':<20} {'client':<10} {'therapist':<14} {'protocol':<14} "
              f"{'length':>8}  {'state':<12} signed")
        for row in rows:
            length = format_hms(row.duration_seconds) if row.duration_seconds is not None else "-"
            started = (row.started_at or row.created_at)[:19].replace("T", " ")
            print(f"{row.id:>4}  {shown(started):<20} {shown(row.client_code)[:10]:<10} "
                  f"{shown(row.therapist)[:14]:<14} {shown(row.protocol_id)[:14]:<14} "
                  f"{length:>8}  {row.state:<12} {'yes' if row.signed_at else 'no'}"
                  f"{'  DEMO' if row.demo else ''}")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    with open_workspace(args) as workspace:
        require(args, workspace, Permission.VERIFY)
        reports = [*workspace.store.verify(args.session), *workspace.verify_extra()]
        broken = [r for r in reports if not r.intact]
        if not args.quiet:
            for report in reports:
                print(report.describe())
        if broken:
            print(f"VERIFY FAILED: {len(broken)} of {len(reports)} logs are not intact; "
                  f"first: {broken[0].describe()}", file=sys.stderr)
            return EXIT_BROKEN
        count = len(reports)
        print("Nothing to verify yet: there are no session logs." if count == 0 else
              "The one log is intact." if count == 1 else f"All {count} logs intact.")
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("sessions", parents=[common], help="list sessions")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_sessions)

    p = sub.add_parser("verify", parents=[common], help="check that every session log is intact (exit 1 if not)")
    p.add_argument("session", nargs="?", help="one session (number or id); default: all")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary")
    p.set_defaults(func=cmd_verify)
