"""The stock register, clinic-wide: every computer's register as the clinic server holds it.

Each room keeps its own register (its own stock, its own chain, one writer); the sender copies
that chain to the server (:mod:`kaproom.clinic.sender`). Reading "the clinic's register" reads
those copies, one per computer, each checked as it is read (every line's hash and link, and
none missing from its end): a copy that is not intact is refused by name, never shown as if it
were. Nothing here merges two rooms' registers: a lot received in two rooms is two lots, one
in each room's register, with its own balances.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from kaproom.clinic import reader
from kaproom.clinic.errors import ClinicError
from kaproom.clinic.server import connect, translate
from kaproom.domain.register import Movement, RegisterRefused, RegisterState
from kaproom.services.clinic_sync import required_config

#: The longest one read of the registers may run on the server (the connection itself gives up
#: after its connect timeout, 5 s): a server that answers but hangs is not waited on for ever.
STATEMENT_TIMEOUT_MS = 30_000


class RegisterCopyBroken(ClinicError):
    """A computer's register on the clinic server is not intact: nothing is shown from it."""


@dataclass(frozen=True)
class RoomRegister:
    """One computer's stock register as the clinic server holds it, checked."""

    computer: str
    state: RegisterState
    head_seq: int
    head_hash: str


def _params(folder: Path) -> dict[str, Any]:
    params = required_config(folder).params()
    return {**params, "options": f"{params.get('options', '')} -c statement_timeout={STATEMENT_TIMEOUT_MS}".strip()}


def clinic_registers(folder: Path) -> list[RoomRegister]:
    """Every computer's register on the server, each verified as read. Raises ClinicUnreachable
    (within the connect timeout), ClinicRefused, or RegisterCopyBroken naming the copy and the line."""
    params = _params(folder)
    rooms = []
    try:
        with connect(params) as conn:
            for computer in reader.register_computers(conn):
                events, report = reader.register_copy(conn, computer)
                if not report.intact:
                    raise RegisterCopyBroken(f"{report.describe()}. Nothing is shown from it; "
                                             "`kaproom verify --clinic` checks every copy.")
                state = RegisterState()
                try:
                    for event in events:
                        state.apply(event.seq, Movement.from_payload(event.kind, event.payload, event.author,
                                                                     event.wall_time), event.hash)
                except RegisterRefused as exc:
                    raise RegisterCopyBroken(f"The stock register of {computer} on the clinic server cannot be "
                                             f"read: {exc}.") from None
                last = events[-1] if events else None
                rooms.append(RoomRegister(computer, state, last.seq if last else 0, last.hash if last else ""))
    except psycopg.Error as exc:
        raise translate(exc, params) from None
    return rooms


__all__ = ["RegisterCopyBroken", "RoomRegister", "clinic_registers"]
