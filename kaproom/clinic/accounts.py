"""Clinic-wide staff accounts on the server (migration 0004, ``kaproom.account_versions``).

An office computer publishes each version of an account it manages clinic-wide: the account after a
change and the office's own audit entry that made it (which the server requires to be there first,
and to record the same account). Rooms read every version with that entry beside it, check it
again themselves (:func:`kaproom.domain.people.account_version_problem`) and keep a copy, so that
sign-in works when the server cannot be reached. Nothing here is ever updated or deleted.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from kaproom.clinic.errors import ClinicRefused
from kaproom.clinic.server import translate
from kaproom.domain.people import AccountVersion, OfficeEntry

INSERT_VERSION = ("INSERT INTO kaproom.account_versions (name, role, active, secret_hash, secret_kind, computer,"
                  " audit_seq, audit_hash, wall_time) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)")
VERSIONS = """
SELECT v.id, v.name, v.role, v.active, v.secret_hash, v.secret_kind, v.computer, v.audit_seq, v.audit_hash,
       v.wall_time, a.seq, a.wall_time, a.actor, a.kind, a.payload, a.prev_hash, a.hash
  FROM kaproom.account_versions v
  LEFT JOIN kaproom.audit a ON a.computer = v.computer AND a.seq = v.audit_seq
 ORDER BY v.id
"""


class NoAccountsYet(ClinicRefused):
    """The clinic server's schema predates clinic accounts: ``kaproom clinic init`` upgrades it."""


def versions(conn: psycopg.Connection[Any], params: dict[str, Any]) -> list[tuple[AccountVersion, OfficeEntry | None]]:
    """Every account version on the server, oldest first, each with the office audit entry it names
    as the server holds it (None: the server has no such entry)."""
    result = []
    try:
        rows = conn.execute(VERSIONS).fetchall()
    except psycopg.errors.UndefinedTable:
        raise NoAccountsYet("The clinic server does not hold clinic accounts yet: run  kaproom clinic init URL  "
                            "there (as its owner) to upgrade its schema.") from None
    except psycopg.Error as exc:
        raise translate(exc, params) from None
    for row in rows:
        version = AccountVersion(name=str(row[1]), role=str(row[2]), active=bool(row[3]), secret_hash=str(row[4]),
                                 secret_kind=str(row[5]), office=str(row[6]), audit_seq=int(row[7]),
                                 audit_hash=str(row[8]), wall_time=str(row[9]), id=int(row[0]))
        entry = None if row[10] is None else OfficeEntry(int(row[10]), str(row[11]), str(row[12]), str(row[13]),
                                                         str(row[14]), str(row[15]), str(row[16]))
        result.append((version, entry))
    return result


def publish(conn: psycopg.Connection[Any], params: dict[str, Any], new: Sequence[AccountVersion]) -> None:
    """Add these versions in one transaction (the server checks each against the office's audit entry)."""
    try:
        with conn.transaction(), conn.cursor() as cursor:
            cursor.executemany(INSERT_VERSION, [(v.name, v.role, v.active, v.secret_hash, v.secret_kind, v.office,
                                                 v.audit_seq, v.audit_hash, v.wall_time) for v in new])
    except psycopg.Error as exc:
        if getattr(exc, "sqlstate", None) in ("KR001", "KR002"):
            raise ClinicRefused((exc.diag.message_primary or str(exc)).removeprefix("kaproom: ")) from None
        raise translate(exc, params) from None
