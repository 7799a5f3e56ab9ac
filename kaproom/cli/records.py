"""``kaproom sessions`` and ``kaproom verify``: the record, listed and checked, without a screen."""
from __future__ import annotations

import argparse
import json
import sys

from kaproom.cli.common import EXIT_BROKEN, EXIT_ERROR, EXIT_OK, open_workspace, require, shown, visible_sessions
from kaproom.domain.clock import format_hms
from kaproom.domain.people import Permission
from kaproom.store.queries import index_marks, unindexed_sessions


def cmd_sessions(args: argparse.Namespace) -> int:
    if args.clinic:
        return sessions_on_the_clinic_server(args)
    with open_workspace(args) as workspace:
        user = require(args, workspace, Permission.VIEW_OWN_SESSIONS)
        store = workspace.store
        rows = visible_sessions(workspace, user, [*unindexed_sessions(store), *store.sessions()])
        marks = index_marks(store, rows)  # a line edited or deleted by hand is listed, and said to be
        if args.json:
            print(json.dumps([{**row.__dict__, "index_problem": marks.get(row.uid, "")} for row in rows],
                             indent=2, ensure_ascii=False))
            return EXIT_OK
        if not rows:
            print(f"No sessions yet in {workspace.folder}.")
            return EXIT_OK
        table: list[tuple[str, ...]] = [("#", "started (UTC)", "client", "therapist", "protocol", "length", "state",
                                         "signed", "")]
        for row in rows:
            length = format_hms(row.duration_seconds) if row.duration_seconds is not None else "-"
            started = (row.started_at or row.created_at)[:19].replace("T", " ")
            notes = " ".join(note for note in ("DEMO" if row.demo else "", marks.get(row.uid, "")) if note)
            table.append((str(row.id) if row.id else "-", started, shown(row.client_code), shown(row.therapist),
                          shown(row.protocol_id), length, row.state, "yes" if row.signed_at else "no", notes))
        for line in columns(table, right=(0, 5)):
            print(line)
    return EXIT_OK


def sessions_on_the_clinic_server(args: argparse.Namespace) -> int:
    """``kaproom sessions --clinic``: every room's sessions, from the server, with the same roles and audit."""
    # psycopg and the clinic code load only with --clinic: a computer that never joined opens no socket.
    from kaproom.clinic.errors import ClinicError  # noqa: PLC0415
    from kaproom.services.clinic_sync import server_sessions  # noqa: PLC0415
    try:
        with open_workspace(args) as workspace:
            user = require(args, workspace, Permission.VIEW_OWN_SESSIONS)
            rows = visible_sessions(workspace, user, server_sessions(workspace.folder, args.limit), via="cli --clinic")
    except ClinicError as exc:
        print(f"kaproom: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.json:
        print(json.dumps([row.__dict__ for row in rows], indent=2, ensure_ascii=False))
        return EXIT_OK
    if not rows:
        print("No sessions on the clinic server yet.")
        return EXIT_OK
    table: list[tuple[str, ...]] = [("#", "room", "started (UTC)", "client", "therapist", "length", "state",
                                     "signed", "")]
    for row in rows:
        length = format_hms(row.duration_seconds) if row.duration_seconds is not None else "-"
        started = (row.started_at or row.created_at)[:19].replace("T", " ")
        table.append((str(row.id), shown(row.room), started, shown(row.client_code), shown(row.therapist), length,
                      row.state,
                      "yes" if row.signed_at else "no", "DEMO" if row.demo else ""))
    for line in columns(table, right=(0, 5)):
        print(line)
    return EXIT_OK


def verify_on_the_clinic_server(args: argparse.Namespace) -> int:
    """``kaproom verify --clinic``: every chain on the server, and this room's record against it."""
    from kaproom.clinic.errors import ClinicError  # noqa: PLC0415 - as above: only with --clinic
    from kaproom.services.clinic_sync import server_reports  # noqa: PLC0415
    try:
        with open_workspace(args) as workspace:
            require(args, workspace, Permission.VERIFY)
            reports = server_reports(workspace.folder, workspace.store)
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
        return EXIT_BROKEN
    print(f"All {len(reports)} logs on the clinic server intact." if reports else
          "The clinic server holds no logs yet.")
    return EXIT_OK


def columns(table: list[tuple[str, ...]], right: tuple[int, ...] = ()) -> list[str]:
    """The rows as lines of columns, each as wide as its widest cell and two spaces apart, so no
    value (a long therapist's name) runs into the next column or is cut."""
    widths = [max(len(cells[i]) for cells in table) for i in range(len(table[0]))]
    return ["  ".join(cell.rjust(width) if i in right else cell.ljust(width)
                      for i, (cell, width) in enumerate(zip(cells, widths, strict=True))).rstrip()
            for cells in table]


def cmd_verify(args: argparse.Namespace) -> int:
    if args.clinic:
        return verify_on_the_clinic_server(args)
    with open_workspace(args) as workspace:
        require(args, workspace, Permission.VERIFY)
        reports = [*workspace.store.verify(args.session), *workspace.verify_extra()]
        # pyrage, tarfile and the manifests load only when verify runs (bench/bench_startup.py);
        # psycopg only when this computer joined a clinic server.
        from kaproom.services.witnesses import reachable_witnesses  # noqa: PLC0415
        witnesses = reachable_witnesses(workspace.folder, workspace.store, args.witness)
        checked = witnesses.reports
        broken = [r for r in [*reports, *checked] if not r.intact]
        if not args.quiet:
            for report in [*reports, *checked]:
                print(report.describe())
        for unreachable in witnesses.unreachable:
            print(f"Not reachable (not a fault of the record): {unreachable}")
        for skipped in witnesses.not_compared:
            print(f"Not compared: {skipped}")
        compared = (witnesses.compared_line() if witnesses.compared else
                    "Compared with: no witness outside this file, so a copy of it rolled back or rewritten as a "
                    "whole would not be noticed. Set a backup folder (kaproom settings backup_to DIR) or join a "
                    "clinic server to have one.")
        if broken:
            print(compared)
            print(f"VERIFY FAILED: {len(broken)} of {len(reports) + len(checked)} logs and witnesses do not hold; "
                  f"first: {broken[0].describe()}", file=sys.stderr)
            return EXIT_BROKEN
        count = len(reports)
        print("Nothing to verify yet: there are no session logs." if count == 0 else
              "The one log is intact." if count == 1 else f"All {count} logs intact.")
        print(compared)
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("sessions", parents=[common], help="list sessions")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--clinic", action="store_true", help="every room's sessions, from the clinic server")
    p.add_argument("--limit", type=int, default=200, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_sessions)

    p = sub.add_parser("verify", parents=[common], help="check that every session log is intact (exit 1 if not)")
    p.add_argument("session", nargs="?", help="one session (number or id); default: all")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary")
    p.add_argument("--witness", metavar="DIR", action="append",
                   help="also compare the record with the newest backup manifest in DIR (repeatable)")
    p.add_argument("--clinic", action="store_true", help="check every log on the clinic server instead")
    p.set_defaults(func=cmd_verify)
