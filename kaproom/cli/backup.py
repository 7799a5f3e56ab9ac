"""``kaproom backup`` (make, keygen, list, verify), ``kaproom restore``, and ``verify --witness``.

Names are fixed (clinic scripts use them)::

    kaproom backup [--to DIR] [--recipient AGE_PUBLIC_KEY ...]
    kaproom backup keygen -o KEYFILE
    kaproom backup list [--json]
    kaproom backup verify BACKUP --identity KEYFILE
    kaproom restore BACKUP --identity KEYFILE [--data-dir DIR]

None of them asks for a sign-in: a backup is encrypted to the clinic's keys and reveals nothing
to whoever runs it (so it can run unattended), and reading or restoring one needs the clinic's
secret key, which is the authority here.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from kaproom.services.age_crypto import AgeError, split_recipients, write_identity_file
from kaproom.services.backup import (
    BackupError,
    auto_backup,
    list_backups,
    make_backup,
    restore,
    thin,
    trust_here,
    verify_backup,
)
from kaproom.services.backup_manifest import is_session_chain
from kaproom.services.backup_status import record_status
from kaproom.services.paths import data_dir
from kaproom.services.settings import load_settings

EXIT_OK, EXIT_BROKEN, EXIT_ERROR = 0, 1, 2


def _fail(message: str) -> int:
    print(f"kaproom: {message}", file=sys.stderr)
    return EXIT_ERROR


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def cmd_backup(args: argparse.Namespace) -> int:
    folder = data_dir(getattr(args, "data_dir", None))
    if args.auto:  # the app's automatic backup, in its own process: the outcome goes to the status file
        if hasattr(os, "nice"):
            os.nice(10)  # beside a running session: the room's process comes first
        result = auto_backup(folder)
        return EXIT_OK if result is not None or not load_settings(folder)[0].backup_to else EXIT_BROKEN
    settings, warnings = load_settings(folder)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    destination = args.to or settings.backup_to
    if not destination:
        return _fail("No backup folder: give --to DIR, or set it once with `kaproom settings backup_to DIR`.")
    recipients = list(args.recipient or split_recipients(settings.backup_recipients))
    try:
        result = make_backup(folder, destination, recipients)
        removed = thin(result.path.parent, result.manifest.record, settings)
    except (BackupError, AgeError) as exc:
        record_status(folder, ok=False, message=str(exc), destination=str(destination))
        return _fail(str(exc))
    record_status(folder, ok=True, message="checked", destination=str(destination), good_file=str(result.path),
                  good_at=result.manifest.created_at)
    manifest = result.manifest
    print(f"Backup written and checked: {result.path} ({manifest.sessions} sessions, {manifest.events} events, "
          f"{_megabytes(manifest.size)}, encrypted to {len(manifest.recipients)} "
          f"key{'s' if len(manifest.recipients) != 1 else ''}).")
    print(f"Manifest: {result.manifest_path}")
    if removed:
        print(f"Older generations removed (retention): {len(removed) // 2}")
    return EXIT_OK


def cmd_keygen(args: argparse.Namespace) -> int:
    try:
        public = write_identity_file(Path(args.output))
    except AgeError as exc:
        return _fail(str(exc))
    print(public)
    print(f"The secret key is in {args.output}. Keep it (printed, in the clinic's safe) and NOT on the room "
          f"computer: whoever holds it can read every backup. Put the public key above on each room computer:\n"
          f"  kaproom settings backup_recipients {public}", file=sys.stderr)
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    folder = data_dir(getattr(args, "data_dir", None))
    destination = args.to or load_settings(folder)[0].backup_to
    if not destination:
        return _fail("No backup folder: give --to DIR, or set it with `kaproom settings backup_to DIR`.")
    try:
        entries = list_backups(destination, check=args.check)
    except BackupError as exc:
        return _fail(str(exc))
    if args.json:
        print(json.dumps([entry.as_json() for entry in entries], indent=2))
        return EXIT_OK
    if not entries:
        print(f"No KAP Room backups in {destination}.")
        return EXIT_OK
    for entry in entries:
        manifest = entry.manifest
        if manifest is None:
            print(f"{entry.path.name}  PROBLEM: {entry.problem}")
            continue
        trust = trust_here(manifest, folder)
        state = f"PROBLEM: {entry.problem}" if entry.problem else ("checked" if args.check else "ok")
        if trust.refused or trust.state == "unsigned":
            state += f" ({'REFUSED as a witness: ' if trust.refused else ''}{trust.words})"
        print(f"{manifest.created_at[:19].replace('T', ' ')} UTC  {entry.path.name}  {manifest.sessions} sessions, "
              f"{manifest.events} events, {_megabytes(manifest.size)}  {state}")
    return EXIT_BROKEN if any(entry.problem for entry in entries) else EXIT_OK


def cmd_verify_backup(args: argparse.Namespace) -> int:
    try:
        opened = verify_backup(Path(args.backup), Path(args.identity), data_dir(getattr(args, "data_dir", None)))
    except BackupError as exc:
        print(f"BACKUP REFUSED: {exc}", file=sys.stderr)
        return EXIT_BROKEN
    for warning in opened.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    sessions = sum(1 for chain in opened.heads if is_session_chain(chain))
    print(f"The backup {args.backup} decrypts, matches its manifest, and all {len(opened.reports)} logs in it are "
          f"intact ({sessions} sessions).")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    folder = data_dir(getattr(args, "data_dir", None))
    try:
        result = restore(Path(args.backup), Path(args.identity), folder, beside=args.beside)
    except BackupError as exc:
        return _fail(str(exc))
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"Restored into {result.folder}: {result.sessions} sessions, every log verified.")
    if result.kept_aside is not None:
        print(f"The record that was there is kept, unchanged, in {result.kept_aside}.")
    if args.beside:
        print(f"Open it with: kaproom --data-dir '{result.folder}'")
    return EXIT_OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("backup", parents=[common],
                       help="make an encrypted, checked backup of the record (keygen, list, verify: see -h)")
    p.add_argument("--to", metavar="DIR", help="the backup folder (default: the backup_to setting)")
    p.add_argument("--recipient", metavar="AGE_PUBLIC_KEY", action="append",
                   help="encrypt to this public key instead of backup_recipients (repeatable)")
    p.add_argument("--auto", action="store_true", help=argparse.SUPPRESS)  # the app's automatic backup
    p.set_defaults(func=cmd_backup)
    actions = p.add_subparsers(dest="backup_action", metavar="ACTION")
    q = actions.add_parser("keygen", parents=[common], help="make the clinic's key pair; prints the public key")
    q.add_argument("-o", "--output", metavar="KEYFILE", required=True, help="where to write the secret key file")
    q.set_defaults(func=cmd_keygen)
    q = actions.add_parser("list", parents=[common], help="list the backups in the backup folder")
    q.add_argument("--to", metavar="DIR", help="the backup folder (default: the backup_to setting)")
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q.add_argument("--check", action="store_true", help="read each file back against its manifest's checksum")
    q.set_defaults(func=cmd_list)
    q = actions.add_parser("verify", parents=[common], help="decrypt a backup and verify every log in it")
    q.add_argument("backup", metavar="BACKUP")
    q.add_argument("--identity", metavar="KEYFILE", required=True, help="the clinic's secret key file")
    q.set_defaults(func=cmd_verify_backup)

    p = sub.add_parser("restore", parents=[common],
                       help="restore a backup into the data folder (never over a record that holds more)")
    p.add_argument("backup", metavar="BACKUP")
    p.add_argument("--identity", metavar="KEYFILE", required=True, help="the clinic's secret key file")
    p.add_argument("--beside", action="store_true",
                   help="restore into a new folder beside the data folder, leaving the record as it is")
    p.set_defaults(func=cmd_restore)
