"""The witnesses ``kaproom verify`` reaches without being told (DESIGN.md §7.1).

A chain head that has left this file witnesses the history up to it: the newest manifest in the
clinic's backup destination (settings ``backup_to``) and, when this computer joined one, the
clinic server (a room's sessions, and any computer's own audit log and stock register: an office's too;
and the office chains a room received, checked whole in its copy and against the server's heads).
``verify`` compares the record with each witness it can reach; a witness that
cannot be reached (the USB disk unplugged, the server down) is said, never taken for a fault of
the record, and never waited on for more than a few seconds.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from kaproom.domain.events import ChainReport
from kaproom.services.backup import BackupError, witness_manifest, witness_reports
from kaproom.services.office_actions import held_against_server, held_chain_reports, load_received
from kaproom.services.settings import load_settings
from kaproom.store import Store

#: The longest ``verify`` waits for the clinic server (its connect timeout is 5 s).
SERVER_DEADLINE_S = 6.0
#: The connect timeout used for the server here: a server that is down answers nothing.
SERVER_CONNECT_TIMEOUT_S = 4
#: The file that says this computer joined a clinic server (kaproom.services.clinic_sync.CONFIG_FILE,
#: not imported from there: that module loads psycopg).
CLINIC_CONFIG = "clinic.json"


@dataclass
class WitnessCheck:
    """What the reachable witnesses say about the record, and which ones they were."""

    reports: list[ChainReport] = field(default_factory=list)
    compared: list[str] = field(default_factory=list)  # "backup manifest of 2026-12-07 14:02 in /media/usb"
    unreachable: list[str] = field(default_factory=list)  # "clinic server db.clinic.lan (why)"
    not_compared: list[str] = field(default_factory=list)  # reachable, but holding no head of this record

    def extend(self, other: WitnessCheck) -> None:
        self.reports += other.reports
        self.compared += other.compared
        self.unreachable += other.unreachable
        self.not_compared += other.not_compared

    def compared_line(self) -> str:
        if not self.compared:
            return "Compared with: no witness outside this file."
        return "Compared with: " + "; ".join(self.compared) + "."


def local_time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def backup_witness(store: Store, destination: str) -> WitnessCheck:
    """The record against the newest manifest in ``destination``; a folder that is not there or
    holds no manifest is unreachable, not broken (a folder named with ``--witness DIR`` is made a
    broken report by :func:`reachable_witnesses`)."""
    check = WitnessCheck()
    folder = Path(destination).expanduser()
    try:
        choice = witness_manifest(store, folder)
    except (BackupError, OSError) as exc:
        check.unreachable.append(f"backup manifests in {folder} ({exc})")
        return check
    check.reports += witness_reports(store, folder, choice)
    if choice.manifest is not None:
        unsigned = " (unsigned)" if choice.trust is not None and choice.trust.state == "unsigned" else ""
        check.compared.append(f"backup manifest of {local_time(choice.manifest.created_at)} in {folder}{unsigned}")
    return check


def server_witness(folder: Path, store: Store, deadline: float = SERVER_DEADLINE_S) -> WitnessCheck:
    """This room's record against the clinic server, in bounded time."""
    check = WitnessCheck()
    if not (Path(folder) / CLINIC_CONFIG).exists():
        return check
    # psycopg loads only for a computer that joined (bench/bench_startup.py: `kaproom verify` without
    # a clinic stays under its import figure, and opens no socket).
    from kaproom.clinic.errors import ClinicError  # noqa: PLC0415
    from kaproom.clinic.reader import audit_head_of, heads_of_room, office_heads, register_head_of  # noqa: PLC0415
    from kaproom.clinic.server import connect  # noqa: PLC0415
    from kaproom.services.clinic_sync import (  # noqa: PLC0415
        audit_against_head,
        load_config,
        register_against_head,
        room_against_heads,
    )
    try:
        config = load_config(folder)
        params = {**config.params(), "connect_timeout": SERVER_CONNECT_TIMEOUT_S} if config else {}
    except ClinicError as exc:
        check.unreachable.append(f"clinic server ({exc})")
        return check
    if config is None:
        return check
    host = str(params.get("host") or "localhost")
    name = f"clinic server {host}"
    is_room = config.kind == "room"
    # The office chains this computer received (a room): whole, from entry 1, each link holding.
    received = load_received(folder)
    check.reports += held_chain_reports(received)
    held = {computer: links[-1].seq for computer, links in received.chains.items() if links}
    outcome: list[tuple[dict[str, tuple[int, str]], tuple[int, str] | None, tuple[int, str] | None,
                        dict[str, tuple[int, str | None]]]] = []
    failure: list[str] = []

    def fetch() -> None:  # only the server is read in the thread; the record is read here
        try:
            with connect(params) as conn:  # a room's sessions, and any computer's own audit log and register
                outcome.append((heads_of_room(conn, config.computer) if is_room else {},
                                audit_head_of(conn, config.computer), register_head_of(conn, config.computer),
                                office_heads(conn, held)))
        except ClinicError as exc:
            failure.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - any other trouble with the server is "not reachable"
            failure.append(f"{type(exc).__name__}: {exc}")

    worker = threading.Thread(target=fetch, name="kaproom-verify-server", daemon=True)
    worker.start()
    worker.join(deadline)
    if worker.is_alive():
        check.unreachable.append(f"{name} (no answer within {deadline:.0f} s)")
    elif failure:
        check.unreachable.append(f"{name} ({failure[0]})")
    else:
        sessions, audit, register, offices = outcome[0]
        check.reports += (room_against_heads(store, sessions) + audit_against_head(store, audit)
                          + register_against_head(store, register) + held_against_server(received, offices))
        check.compared.append(name)
    return check


def reachable_witnesses(folder: Path, store: Store, named: list[str] | None = None) -> WitnessCheck:
    """Every witness ``verify`` can reach without being told: the backup destination in the
    clinic's settings and the clinic server this computer joined; plus the backup folders named
    with ``--witness DIR``, where a folder without a manifest is a broken report (a witness the
    person asked for never passes silently)."""
    check = WitnessCheck()
    folders = [Path(name).expanduser() for name in named or []]
    for asked in folders:
        found = backup_witness(store, str(asked))
        check.reports += found.reports
        check.compared += found.compared
        check.reports += [ChainReport(f"witness {asked}", 0, 0, None, why) for why in found.unreachable]
    settings, _ = load_settings(folder)
    if settings.backup_to and Path(settings.backup_to).expanduser() not in folders:
        check.extend(backup_witness(store, settings.backup_to))
    check.extend(server_witness(folder, store))
    return check
