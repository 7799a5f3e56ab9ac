"""The ``kaproom`` command: the GUI by default, and the same data without a screen.

Subcommands that belong to a feature area (the room screen, exports, users) register
themselves from their own module through ``register(subparsers)``, so this file stays small.
"""
from __future__ import annotations

import argparse
import gc
import importlib
import json
import sys
from collections.abc import Sequence

from kaproom import __version__
from kaproom.domain.clock import Clock, format_hms
from kaproom.domain.protocol_error import ProtocolError
from kaproom.services.paths import data_dir
from kaproom.services.workspace import Workspace
from kaproom.store import StoreError

#: Feature modules that add subcommands (each has ``register(subparsers, common)``) and the commands
#: each adds. A command line names one command, so only the module that owns it is imported: the
#: app starts without loading the exporters or the staff-accounts code (tests keep this table true).
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "kaproom.cli.app": ("demo", "resume", "start", "home"),
    "kaproom.cli.clinic": ("clinic", "board"),
    "kaproom.cli.export": ("export", "import"),
    "kaproom.cli.people": ("users", "audit", "settings"),
    "kaproom.cli.review": ("review",),
}
CORE_COMMANDS = ("sessions", "verify", "simulate")

EXIT_OK, EXIT_BROKEN, EXIT_ERROR = 0, 1, 2


def open_workspace(args: argparse.Namespace, clock: Clock | None = None) -> Workspace:
    """The data folder named by --data-dir / $KAPROOM_DATA_DIR / the user data folder."""
    workspace = Workspace(data_dir(getattr(args, "data_dir", None)), clock)
    for warning in workspace.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return workspace


def cmd_sessions(args: argparse.Namespace) -> int:
    if args.clinic:
        from kaproom.cli.clinic import cmd_sessions_clinic  # only with --clinic: psycopg is not loaded otherwise
        return cmd_sessions_clinic(args)
    from kaproom.cli.people import require, visible_sessions
    from kaproom.domain.people import Permission
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
            print(f"{row.id:>4}  {started:<20} {row.client_code[:10]:<10} {row.therapist[:14]:<14} "
                  f"{row.protocol_id[:14]:<14} {length:>8}  {row.state:<12} {'yes' if row.signed_at else 'no'}"
                  f"{'  DEMO' if row.demo else ''}")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    if args.clinic:
        from kaproom.cli.clinic import cmd_verify_clinic  # only with --clinic: psycopg is not loaded otherwise
        return cmd_verify_clinic(args)
    from kaproom.cli.people import require
    from kaproom.domain.people import Permission
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


def cmd_simulate(args: argparse.Namespace) -> int:
    from kaproom.services.simulate import main_simulate
    return main_simulate(lambda clock: open_workspace(args, clock), args.speed, args.protocol, args.notes,
                         args.vitals, args.tracks, args.seed, args.print_commits)


def extensions_for(argv: Sequence[str] | None) -> list[str]:
    """The extensions this command line needs: the one owning its command; every one for help,
    or for a word that is no command (so the error can list them all)."""
    if argv is None:
        return list(EXTENSIONS)
    args, command = list(argv), None
    while args:
        word = args.pop(0)
        if word == "--data-dir":
            args = args[1:]
        elif not word.startswith("-"):
            command = word
            break
        elif word in ("-h", "--help"):
            return list(EXTENSIONS)
    if command is None or command in CORE_COMMANDS:
        return []  # the app itself (kaproom.cli.app, imported to run) or a command defined here
    owners = [name for name, commands in EXTENSIONS.items() if command in commands]
    return owners or list(EXTENSIONS)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole command line, or (given ``argv``) only the part of it that ``argv`` needs."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS,  # before or after the command
                        help="data folder (default: $KAPROOM_DATA_DIR or the user data folder)")
    parser = argparse.ArgumentParser(
        prog="kaproom", parents=[common],
        description="KAP Room: timed session, music, observation log and vitals for the KAP room. "
                    "With no command, opens the app.")
    parser.add_argument("--version", action="version", version=f"KAP Room {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("sessions", parents=[common], help="list sessions")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--clinic", action="store_true", help="every room's sessions, from the clinic server")
    p.add_argument("--limit", type=int, default=200, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_sessions)

    p = sub.add_parser("verify", parents=[common], help="check that every session log is intact (exit 1 if not)")
    p.add_argument("session", nargs="?", help="one session (number or id); default: all")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary")
    p.add_argument("--clinic", action="store_true", help="check every log on the clinic server instead")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("simulate", parents=[common], help="run a whole protocol headless on a fast clock")
    p.add_argument("--speed", type=float, default=60.0, help="session seconds per real second (default 60)")
    p.add_argument("--protocol", default="lozenge-3h", help="protocol id (default lozenge-3h)")
    p.add_argument("--notes", type=int, default=20, help="observation notes to write")
    p.add_argument("--vitals", type=int, default=7, help="vitals check-ins to write")
    p.add_argument("--tracks", type=int, default=12, help="music track starts to log")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--print-commits", action="store_true", help="print a line as each event is committed")
    p.set_defaults(func=cmd_simulate)

    for name in extensions_for(argv):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
            continue
        module.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Starting the app builds a great many objects (Qt's types, the screen) and almost no garbage:
    # Python's collector walking them meanwhile only slows the first window (~25 ms). The app
    # turns it back on once its window is up (kaproom.ui.kit.after_start); other commands at once.
    gc.disable()
    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        if argv:
            args = build_parser(argv).parse_args(argv)
            func = getattr(args, "func", None)
        else:  # how the desktop launcher starts it: the app, without building the command line (~6 ms)
            args, func = argparse.Namespace(), None
        if func is None:  # no command: the app itself
            from kaproom.cli.app import main_gui
            func = main_gui
    except BaseException:
        gc.enable()
        raise
    app = sys.modules.get(f"{__package__}.app")  # loaded if the command is the app's
    if app is None or func is not app.main_gui:
        gc.enable()
    try:
        return int(func(args) or 0)
    except (StoreError, ProtocolError) as exc:
        print(f"kaproom: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    finally:
        gc.enable()  # the app may stop before its window is ever shown (sign-in cancelled)


if __name__ == "__main__":
    sys.exit(main())
