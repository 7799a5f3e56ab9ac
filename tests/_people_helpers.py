"""Shared helpers for the people and privacy tests."""
from __future__ import annotations

import io
import sqlite3
import sys
from pathlib import Path

from kaproom.cli.main import main
from kaproom.domain.people import ScryptParams, User
from kaproom.services.people import People

#: Cheap scrypt for tests that are about rules, not cost (the default is checked in test_people_domain).
FAST_KDF = ScryptParams(log2_n=4, r=1, p=1)
ADMIN_PIN = "583920"
SUPERVISOR_SECRET = "quiet river stones"
THERAPIST_PIN = "917364"


def fast_people(workspace) -> People:
    return People.of(workspace, kdf=FAST_KDF)


def add_staff(people: People) -> dict[str, User]:
    """The first admin, then a supervisor and a therapist added by that admin."""
    admin = people.add_user(None, "Ana", "admin", ADMIN_PIN)
    supervisor = people.add_user(admin, "Sam", "supervisor", SUPERVISOR_SECRET)
    therapist = people.add_user(admin, "Teo", "therapist", THERAPIST_PIN)
    return {"admin": admin, "supervisor": supervisor, "therapist": therapist}


def database_bytes(folder: Path) -> bytes:
    """Every byte SQLite keeps for the database: the file, its write-ahead log and shared memory."""
    data = b""
    for name in ("kaproom.sqlite3", "kaproom.sqlite3-wal", "kaproom.sqlite3-shm"):
        path = folder / name
        if path.exists():
            data += path.read_bytes()
    return data


def rows(folder: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(folder / "kaproom.sqlite3")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


class PipedStdin(io.StringIO):
    """Standard input as a script gives it: lines, not a terminal."""

    def isatty(self) -> bool:
        return False


def run(monkeypatch, capsys, *argv: str, stdin: str = "", user: str | None = None) -> tuple[int, str, str]:
    """``kaproom ARGV`` in this process, with piped standard input and optionally $KAPROOM_USER:
    (exit code, standard output, standard error)."""
    monkeypatch.setattr(sys, "stdin", PipedStdin(stdin))
    if user is None:
        monkeypatch.delenv("KAPROOM_USER", raising=False)
    else:
        monkeypatch.setenv("KAPROOM_USER", user)
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def audit_log(people: People, kinds: tuple[str, ...] | None = None, limit: int | None = None,
              newest_first: bool = True):
    """The audit events straight from the store (no sign-in), as a test inspects them."""
    return people.accounts.audit_events(kinds, limit, newest_first)


def try_wrong_pin_in_another_process(folder: str, barrier, results) -> None:
    """A separate process signing in as Teo with a wrong PIN at the same moment as the others."""
    from kaproom.services.people import AccessRefused as Refused
    from kaproom.services.workspace import Workspace
    with Workspace(Path(folder)) as workspace:
        people = People.of(workspace)
        barrier.wait(timeout=60)
        try:
            people.sign_in("Teo", "000001", via="cli")
            results.put("signed in")
        except Refused as exc:
            results.put(str(exc))
