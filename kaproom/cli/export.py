"""``kaproom export`` and ``kaproom import``: the review's files without a screen.

Both ask for sign-in like every command that touches health information (only a supervisor may
export or import: an admin does not handle records). Failures are one clear line on stderr and exit 2.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from kaproom.cli.common import EXIT_ERROR, EXIT_OK, open_workspace, require, shown
from kaproom.domain.people import Permission
from kaproom.export.importer import import_bundle
from kaproom.export.json_bundle import BundleRefused
from kaproom.export.output import FORMATS
from kaproom.export.records import LocalRecords
from kaproom.export.session_export import EXPORTS_FOLDER
from kaproom.services.paths import ensure_private_dir
from kaproom.services.room_key import fingerprint, load_or_create
from kaproom.services.workspace import Workspace

EXIT_FAILED = 1  # the clinic server could not be reached (or refused): nothing was written


def output_of(args: argparse.Namespace, workspace: Workspace) -> Path:
    """The absolute path to write to (the audit log records it as written): ``-o`` as given, or
    the data folder's private exports folder."""
    if args.output:
        return Path(os.path.abspath(Path(args.output).expanduser()))
    folder = workspace.folder.absolute() / EXPORTS_FOLDER
    ensure_private_dir(folder)
    return folder


def cmd_export(args: argparse.Namespace) -> int:
    if args.clinic:
        return export_from_the_clinic_server(args)
    with open_workspace(args) as workspace:
        user = require(args, workspace, Permission.EXPORT)
        # With the sign-offs made at office computers that `clinic sync` brought (none if never joined).
        result = LocalRecords(workspace).export(args.session, args.format, output_of(args, workspace), user=user,
                                                monochrome=args.black_and_white, replace=args.force)
    print(f"Exported session {result.number} as {result.format} to {result.path} ({result.size:,} bytes, "
          "readable by you only). It contains health information: keep it safe.")
    return EXIT_OK


def export_from_the_clinic_server(args: argparse.Namespace) -> int:
    """``kaproom export SESSION --clinic``: the clinic server's copy, as the room would write it.
    A server that cannot be reached is one line on stderr within seconds, and exit 1."""
    # psycopg and the clinic code load only with --clinic: a computer that never joined opens no socket.
    from kaproom.clinic.errors import ClinicError  # noqa: PLC0415
    from kaproom.export.records import ClinicRecords  # noqa: PLC0415
    from kaproom.services.clinic_review import ClinicReader  # noqa: PLC0415
    with open_workspace(args) as workspace:
        user = require(args, workspace, Permission.EXPORT)
        try:
            with ClinicReader.of(workspace.folder) as reader:
                result = ClinicRecords(workspace, reader).export(
                    args.session, args.format, output_of(args, workspace), user=user,
                    monochrome=args.black_and_white, replace=args.force)
        except ClinicError as exc:
            print(f"kaproom: {shown(exc)}", file=sys.stderr)
            return EXIT_FAILED
    print(f"Exported session {result.number} from the clinic server as {result.format} to {result.path} "
          f"({result.size:,} bytes, readable by you only). It contains health information: keep it safe.")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    refused = 0
    with open_workspace(args) as workspace:
        user = require(args, workspace, Permission.IMPORT)
        for path in args.bundles:
            try:
                result = import_bundle(workspace, path, user, trust_new=args.trust_new_room or _ask_trust)
            except BundleRefused as exc:
                print(f"kaproom: {shown(exc)}", file=sys.stderr)
                refused += 1
                continue
            print(shown(result.message))
    return EXIT_ERROR if refused else EXIT_OK


def cmd_room_key(args: argparse.Namespace) -> int:
    """This computer's room key fingerprint: what an office compares before trusting its bundles."""
    with open_workspace(args) as workspace:
        key = load_or_create(workspace.folder)
        print(f"Room key of {workspace.folder}: fingerprint {fingerprint(key.public_key)}\n"
              f"public key {key.public_key}")
    return EXIT_OK


def _ask_trust(room: str, fingerprint: str) -> bool:
    """On a terminal: show the new room's key fingerprint and ask; in a script: no (--trust-new-room)."""
    if not sys.stdin.isatty():
        return False
    print(f"This bundle comes from {shown(room)}, which this computer has not imported from before. Its room key's "
          f"fingerprint is {fingerprint}: check it with the room (`kaproom room-key` there).", file=sys.stderr)
    print("Trust this key for every bundle from that room from now on? [y/N] ", end="", file=sys.stderr, flush=True)
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("export", parents=[common], help="write one session as PDF, CSV, FHIR R4 or a JSON bundle",
                       description="Write one session to a file readable by you only, and record the export in "
                                   "the session and the audit trail.")
    p.add_argument("session", help="session number or id (see `kaproom sessions`)")
    p.add_argument("--format", "-f", choices=sorted(FORMATS), default="pdf",
                   help="pdf: printable report; csv: one row per event; fhir: FHIR R4 Bundle of vital signs; "
                        "json: the full record with hashes, for `kaproom import` on another computer")
    p.add_argument("-o", "--output", metavar="PATH",
                   help="file to write, or a folder to write it in (default: the folder 'exports' in the data "
                        "folder, readable by you only: health information is not left in the current folder)")
    p.add_argument("--black-and-white", action="store_true", help="PDF chart without colour")
    p.add_argument("--force", action="store_true", help="replace the file if it exists (only a regular file)")
    p.add_argument("--clinic", action="store_true",
                   help="the clinic server's copy of the session (SESSION as `kaproom sessions --clinic` numbers it, "
                        "or its id); exit 1 when the server cannot be reached")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", parents=[common], help="add sessions from JSON bundles made on another computer",
                       description="Re-verify each bundle's hash chain and add its session (or the events it has "
                                   "beyond this computer's copy). A broken or diverging bundle is refused and "
                                   "nothing of it is added; importing the same bundle twice adds nothing.")
    p.add_argument("bundles", nargs="+", metavar="BUNDLE",
                   help="a .kaproom.json file from `kaproom export --format json`")
    p.add_argument("--trust-new-room", action="store_true",
                   help="trust the room key of a room not imported from before (check its fingerprint first)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("room-key", parents=[common], help="show this computer's room key fingerprint",
                       description="The fingerprint an office compares before it trusts this room's bundles.")
    p.set_defaults(func=cmd_room_key)
