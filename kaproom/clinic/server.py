"""Connecting to the clinic's PostgreSQL, and creating or upgrading its schema.

Connections to another computer must use TLS with the server's certificate verified
(``sslmode=verify-full``, the default we add); a server on this computer (a Unix socket,
localhost) may be reached without. Every connection has a short connect timeout, so a server
that is down is noticed in seconds, never waited on.
"""
from __future__ import annotations

import re
from typing import Any

import psycopg
from psycopg import conninfo

from kaproom.clinic.errors import ClinicError, ClinicRefused, ClinicUnreachable, InsecureConnection
from kaproom.clinic.schema import MIGRATIONS, OFFICE_GROUP, ROOM_GROUP, SCHEMA_VERSION

CONNECT_TIMEOUT_S = 5
LOCAL_HOSTS = frozenset({"", "localhost", "127.0.0.1", "::1"})
VERIFYING_MODES = frozenset({"verify-full", "verify-ca"})
#: Taken by ``clinic init`` while it migrates (any 64-bit number of our own).
MIGRATION_LOCK = 0x4B4150524F4F4D


def is_local(params: dict[str, Any]) -> bool:
    hosts = str(params.get("host") or "").split(",")
    addresses = str(params.get("hostaddr") or "").split(",")
    return all(h.strip() in LOCAL_HOSTS or h.strip().startswith("/") for h in hosts) and all(
        a.strip() in LOCAL_HOSTS for a in addresses)


def connection_params(url: str, password: str | None = None) -> dict[str, Any]:
    """The connection's parameters, with TLS verification required for another computer."""
    try:
        params: dict[str, Any] = conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise ClinicError(f"'{redact(url)}' is not a PostgreSQL address ({exc}). "
                          "Write it as postgresql://ROLE@HOST/DATABASE.") from None
    if password is not None and not params.get("password"):
        params["password"] = password
    if not is_local(params):
        mode = params.get("sslmode")
        if mode is None:
            params["sslmode"] = "verify-full"
        elif mode not in VERIFYING_MODES:
            raise InsecureConnection(
                f"The clinic server {params.get('host')} is another computer: its connection must be encrypted "
                f"and its certificate checked (sslmode=verify-full), not sslmode={mode}. Nothing was sent.")
    params.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
    params.setdefault("application_name", "kaproom")
    return params


def redact(url: str) -> str:
    """The address without its password, for messages and the status line."""
    try:
        params = conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(an address that could not be read)"
    params.pop("password", None)
    return describe(params)


def describe(params: dict[str, Any]) -> str:
    host = params.get("host") or "localhost"
    port = f":{params['port']}" if params.get("port") else ""
    user = f"{params['user']}@" if params.get("user") else ""
    return f"postgresql://{user}{host}{port}/{params.get('dbname') or ''}"


def connect(params: dict[str, Any], *, autocommit: bool = False) -> psycopg.Connection[Any]:
    """A connection, or ClinicUnreachable / ClinicRefused with words for the person."""
    try:
        return psycopg.connect(**params, autocommit=autocommit)
    except psycopg.OperationalError as exc:
        raise translate(exc, params) from None


class KeptConnection:
    """One connection to the clinic server, opened when first needed and opened again when it was
    closed or broke (the server restarted): what the sender and the office's reader each keep."""

    def __init__(self, params: dict[str, Any], *, autocommit: bool = False) -> None:
        self.params, self.autocommit = params, autocommit
        self._conn: psycopg.Connection[Any] | None = None

    def get(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self.close()
            self._conn = connect(self.params, autocommit=self.autocommit)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except psycopg.Error:
                pass
            self._conn = None


#: libpq's words for a TLS connection it would not make (read for the names in them).
_CERT_FOR = re.compile(r'server certificate for "([^"]*)"(?: \(and \d+ other names?\))? '
                       r'does not match host name "([^"]*)"')
_ROOT_FILE = re.compile(r'root certificate file "([^"]*)" does not exist|'
                        r'could not read root certificate file "([^"]*)"')
KEPT = "Nothing was sent: this computer keeps every event until it can send them to a server it trusts."


def tls_problem(exc: BaseException, params: dict[str, Any]) -> str | None:
    """Why this computer would not talk to the server over TLS, in words for the clinic's IT person
    (None: not a TLS problem)."""
    message = str(exc)
    authority = params.get("sslrootcert") or "none named, so ~/.postgresql/root.crt"
    if "server does not support SSL" in message:
        return ("it does not offer encrypted connections (TLS), and KAP Room sends the record to another computer "
                "only encrypted, never in plain text. Turn TLS on at the server (ssl = on in postgresql.conf, with "
                "a certificate for this name). " + KEPT)
    named = _CERT_FOR.search(message)
    if named:
        return (f"its certificate is for '{named.group(1)}', not for '{named.group(2)}', the name in the address. "
                f"Use the name the certificate was made for, or give the server a certificate for "
                f"'{named.group(2)}'. " + KEPT)
    missing = _ROOT_FILE.search(message)
    if missing:
        return (f"this computer has no certificate authority to check its certificate with "
                f"({missing.group(1) or missing.group(2)} cannot be read). Add the clinic's CA certificate file to "
                "the address: ...?sslrootcert=/path/to/clinic-ca.crt. " + KEPT)
    if "certificate verify failed" in message:
        return (f"its certificate was not signed by the certificate authority this computer trusts ({authority}), "
                "or it has expired: it may not be the clinic's server. Check the sslrootcert= file in the address "
                "and the server's certificate. " + KEPT)
    return None


def translate(exc: BaseException, params: dict[str, Any]) -> ClinicError:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    where = describe(params)
    lowered = str(exc).lower()
    tls = tls_problem(exc, params) if isinstance(exc, psycopg.OperationalError) else None
    if tls:
        return ClinicRefused(f"Did not connect to the clinic server {where}: {tls}")
    if isinstance(exc, psycopg.OperationalError) and any(
            word in lowered for word in ("password authentication failed", "no pg_hba.conf entry",
                                         "role \"", "does not exist", "certificate", "ssl")):
        return ClinicRefused(f"The clinic server {where} refused the connection: {text}")
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return ClinicRefused(f"The clinic server {where} refused: {text}")
    if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
        return ClinicUnreachable(f"The clinic server {where} cannot be reached ({text}). "
                                 "Nothing is lost: the room keeps every event and sends it when the server is back.")
    return ClinicError(f"The clinic server {where}: {text}")


def schema_version(conn: psycopg.Connection[Any]) -> int:
    """How many migrations the database has (0: not a clinic database yet)."""
    row = conn.execute("SELECT to_regclass('kaproom.schema_migrations') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return 0
    found = conn.execute("SELECT coalesce(max(version), 0) FROM kaproom.schema_migrations").fetchone()
    return int(found[0]) if found else 0


def init_schema(conn: psycopg.Connection[Any]) -> list[str]:
    """Apply the migrations the database lacks; return their names (none: it was up to date)."""
    applied: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute("CREATE SCHEMA IF NOT EXISTS kaproom")
        conn.execute("CREATE TABLE IF NOT EXISTS kaproom.schema_migrations ("
                     " version integer PRIMARY KEY, name text NOT NULL,"
                     " applied_at timestamptz NOT NULL DEFAULT now())")
        have = schema_version(conn)
        if have > SCHEMA_VERSION:
            raise ClinicRefused(f"The clinic database has schema {have}; this KAP Room knows up to "
                                f"{SCHEMA_VERSION}. Nothing was changed. Install the newer KAP Room here.")
        for number, (name, sql) in enumerate(MIGRATIONS, start=1):
            if number <= have:
                continue
            conn.execute(sql.encode())  # bytes: several statements, sent as they are
            conn.execute("INSERT INTO kaproom.schema_migrations (version, name) VALUES (%s, %s)", (number, name))
            applied.append(name)
    return applied


def role_instructions(database: str) -> str:
    """What the clinic's administrator runs (as a PostgreSQL superuser) for each computer."""
    return "\n".join([
        "Create one database role for each room and each office computer, with its own password:",
        "",
        f"  CREATE ROLE room_1 LOGIN PASSWORD '…' IN ROLE {ROOM_GROUP};      -- a room (adds its own sessions)",
        f"  CREATE ROLE office_1 LOGIN PASSWORD '…' IN ROLE {OFFICE_GROUP};  -- an office computer (reviews,"
        " signs off)",
        f"  GRANT CONNECT ON DATABASE {database} TO {ROOM_GROUP}, {OFFICE_GROUP};",
        "",
        f"The group roles {ROOM_GROUP} and {OFFICE_GROUP} exist now; they may read the record and add to it, "
        "never change or delete it.",
        "Then, on each computer:  kaproom clinic join postgresql://room_1@HOST/DATABASE --room 'Room 1'",
    ])
