"""``kaproom export`` and ``kaproom import``: the review's files without a screen.

Both ask for sign-in like every command that touches health information (a supervisor may
export; supervisors and admins may import). Failures are one clear line on stderr and exit 2.
"""
from __future__ import annotations

import argparse
import sys

from kaproom.cli.common import EXIT_ERROR, EXIT_OK, open_workspace, require, shown
from kaproom.domain.people import Permission
from kaproom.export.importer import import_bundle
from kaproom.export.json_bundle import BundleRefused
from kaproom.export.output import FORMATS
from kaproom.export.session_export import export_session


def cmd_export(args: argparse.Namespace) -> int:
    with open_workspace(args) as workspace:
        user = require(args, workspace, Permission.EXPORT)
        result = export_session(workspace, args.session, args.format, args.output or ".", user=user,
                                monochrome=args.black_and_white, replace=args.force)
    print(f"Exported session {result.number} as {result.format} to {result.path} ({result.size:,} bytes, "
          "readable by you only). It contains health information: keep it safe.")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    refused = 0
    with open_workspace(args) as workspace:
        user = require(args, workspace, Permission.IMPORT)
        for path in args.bundles:
            try:
                result = import_bundle(workspace, path, user)
            except BundleRefused as exc:
                print(f"kaproom: {shown(exc)}", file=sys.stderr)
                refused += 1
                continue
            print(shown(result.message))
    return EXIT_ERROR if refused else EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("export", parents=[common], help="write one session as PDF, CSV, FHIR R4 or a JSON bundle",
                       description="Write one session to a file readable by you only, and record the export in "
                                   "the session and the audit trail.")
    p.add_argument("session", help="session number or id (see `kaproom sessions`)")
    p.add_argument("--format", "-f", choices=sorted(FORMATS), default="pdf",
                   help="pdf: printable report; csv: one row per event; fhir: FHIR R4 Bundle of vital signs; "
                        "json: the full record with hashes, for `kaproom import` on another computer")
    p.add_argument("-o", "--output", metavar="PATH",
                   help="file to write, or a folder to write it in (default: the current folder)")
    p.add_argument("--black-and-white", action="store_true", help="PDF chart without colour")
    p.add_argument("--force", action="store_true", help="replace the file if it exists (only a regular file)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", parents=[common], help="add sessions from JSON bundles made on another computer",
                       description="Re-verify each bundle's hash chain and add its session (or the events it has "
                                   "beyond this computer's copy). A broken or diverging bundle is refused and "
                                   "nothing of it is added; importing the same bundle twice adds nothing.")
    p.add_argument("bundles", nargs="+", metavar="BUNDLE",
                   help="a .kaproom.json file from `kaproom export --format json`")
    p.set_defaults(func=cmd_import)
