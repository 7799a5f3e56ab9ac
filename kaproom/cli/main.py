"""The ``kaproom`` command: the GUI by default, and the same data without a screen.

This module is the parser and the dispatch only. Each command group lives in its own module
(records, simulate, app, export, people, review, music) and registers its subcommands through
``register(subparsers, common)``; what they share is in :mod:`kaproom.cli.common`.
"""
from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Sequence

from kaproom import __version__
from kaproom.domain.protocol_error import ProtocolError
from kaproom.store import StoreError

#: Modules that add subcommands (each has ``register(subparsers, common)``) and the commands each
#: adds. A command line names one command, so only the module that owns it is imported: the app
#: starts without loading the exporters or the staff-accounts code (tests keep these tables true).
#: The core commands are always offered; the extensions are the feature areas' commands.
CORE: dict[str, tuple[str, ...]] = {
    "kaproom.cli.records": ("sessions", "verify"),
    "kaproom.cli.simulate": ("simulate",),
}
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "kaproom.cli.app": ("demo", "resume", "start", "home"),
    "kaproom.cli.backup": ("backup", "restore"),
    "kaproom.cli.clinic_parser": ("clinic", "board"),  # the commands run in kaproom.cli.clinic
    "kaproom.cli.export": ("export", "import", "room-key"),
    "kaproom.cli.music": ("music",),
    "kaproom.cli.people": ("users", "audit", "settings"),
    "kaproom.cli.review": ("review",),
    "kaproom.cli.stock": ("stock",),
}
CORE_COMMANDS = tuple(command for commands in CORE.values() for command in commands)
EXIT_ERROR = 2


def command_of(argv: Sequence[str]) -> str | None:
    """The command a command line names: None for none, "--help" for a request for help."""
    args = list(argv)
    while args:
        word = args.pop(0)
        if word == "--data-dir":
            args = args[1:]
        elif not word.startswith("-"):
            return word
        elif word in ("-h", "--help"):
            return "--help"
    return None


def _owners(table: dict[str, tuple[str, ...]], argv: Sequence[str] | None) -> list[str]:
    """The modules of ``table`` this command line needs: the one owning its command; every one
    for help, or for a word that is no command (so the error can list them all)."""
    if argv is None:
        return list(table)
    command = command_of(argv)
    if command is None:
        return []  # the app itself (kaproom.cli.app, imported to run)
    if command in CORE_COMMANDS or any(command in commands for commands in EXTENSIONS.values()):
        return [name for name, commands in table.items() if command in commands]
    return list(table)


def extensions_for(argv: Sequence[str] | None) -> list[str]:
    """The extension modules this command line needs."""
    return _owners(EXTENSIONS, argv)


def core_for(argv: Sequence[str] | None) -> list[str]:
    """The core command modules this command line needs."""
    return _owners(CORE, argv)


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

    for name in core_for(argv):
        importlib.import_module(name).register(sub, common)
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
            # Qt and the app load only when the app is wanted, never for a command (see EXTENSIONS).
            from kaproom.cli.app import main_gui  # noqa: PLC0415
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
