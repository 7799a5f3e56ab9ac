"""Staff accounts and the audit trail: the SQL behind :mod:`kaproom.services.people`.

The users table is ordinary mutable state (roles change, counters reset). Every change to it is
written in the same transaction as an event in the ``audit`` table, which is append-only
(triggers) and hash-chained with the same rules as session logs, so ``kaproom verify`` can
prove who signed in, viewed, exported or changed what, and notice an edit made behind our back.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from kaproom.domain.events import GENESIS, ChainReport, Event, RecordedEvent, event_hash, verify_chain
from kaproom.domain.people import (
    AccountVersion,
    AuditKind,
    Role,
    User,
    name_key,
    unauthorised_user_changes,
    users_disagreeing_with_audit,
)
from kaproom.store.errors import NotFound, StoreError
from kaproom.store.rows import Row, SQLValue
from kaproom.store.staff_marker import has_marker, read_marker, write_marker
from kaproom.store.store import Store

T = TypeVar("T")
AUDIT_CHAIN = "audit"
AUDIT_LABEL = "audit log"
USER_COLUMNS = "id, name, role, active, secret_kind, failed_count, locked_until, lockouts, created_at"
AUDIT_COLUMNS = "id, seq, wall_time, actor, kind, payload, prev_hash, hash"
#: Columns ``update`` may change; anything else is refused before SQL is built.
UPDATABLE = frozenset({"role", "active", "secret_hash", "secret_kind", "failed_count", "locked_until", "lockouts",
                       "updated_at"})


@dataclass(frozen=True)
class Tries:
    """Wrong sign-in tries of one name from one source (see migration 0005)."""

    failed_count: int = 0
    locked_until: str | None = None
    lockouts: int = 0


def _user(row: Row) -> User:
    id_, name, role, active, kind, failed, locked_until, lockouts, created_at = row
    return User(name=name, role=Role(role), active=bool(active), secret_kind=kind, failed_count=failed,
                locked_until=locked_until, lockouts=lockouts, created_at=created_at, id=id_)


def _audit_event(row: Row) -> RecordedEvent:
    id_, seq, wall, actor, kind, payload, prev, digest = row
    return RecordedEvent(kind=kind, payload=json.loads(payload), session_time=0.0, wall_time=wall, author=actor,
                         phase="", id=id_, session_uid=AUDIT_CHAIN, seq=seq, prev_hash=prev, hash=digest)


class Accounts:
    """Users and the audit log inside one :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------------ users
    def count(self) -> int:
        return int(self.store._read("SELECT count(*) FROM users")[0][0])

    def count_active(self, role: Role | None = None) -> int:
        sql, params = "SELECT count(*) FROM users WHERE active=1", []
        if role is not None:
            sql, params = sql + " AND role=?", [role.value]
        return int(self.store._read(sql, params)[0][0])

    def all(self) -> list[User]:
        return [_user(row) for row in self.store._read(f"SELECT {USER_COLUMNS} FROM users ORDER BY name_key")]

    def find(self, name: str) -> User | None:
        rows = self.store._read(f"SELECT {USER_COLUMNS} FROM users WHERE name_key=?", (name_key(name),))
        return _user(rows[0]) if rows else None

    def get(self, name: str) -> User:
        user = self.find(name)
        if user is None:
            raise NotFound(f"There is no user called '{name}'. `kaproom users list` shows them.")
        return user

    def secret_hash(self, name: str) -> str:
        rows = self.store._read("SELECT secret_hash FROM users WHERE name_key=?", (name_key(name),))
        return rows[0][0] if rows else ""

    def add(self, user: User, secret_hash: str, created_by: str, wall_time: str,
            audit: Sequence[Event] = ()) -> User:
        """Insert an account and (in the same transaction) its audit event."""
        with self.store._write("add the user") as conn:
            try:
                conn.execute(
                    "INSERT INTO users (name, name_key, role, secret_hash, secret_kind, active, created_at, created_by,"
                    " updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
                    (user.name, name_key(user.name), user.role.value, secret_hash, user.secret_kind,
                     int(user.active), wall_time, created_by, wall_time))
            except sqlite3.IntegrityError as exc:
                if "UNIQUE" in str(exc):
                    raise StoreError(f"Name: there is already a user called '{user.name}'.") from None
                raise
            for event in audit:
                self._append_audit_in(conn, event)
        write_marker(self.store.path, wall_time)  # from now on this folder never silently runs without sign-in
        return self.get(user.name)

    def update(self, name: str, changes: Mapping[str, SQLValue], audit: Sequence[Event] = ()) -> User:
        """Change some columns of one account, with its audit events, atomically."""
        with self.store._write("change the user") as conn:
            self._apply(conn, name, changes, audit)
        return self.get(name)

    def update_and_reset(self, name: str, changes: Mapping[str, SQLValue], audit: Sequence[Event],
                         key: str, source: str) -> User:
        """``update``, and the wrong tries of ``key`` from ``source`` start again from none (a right
        secret, or a try that was not a guess), in the same transaction."""
        with self.store._write("change the user") as conn:
            self._apply(conn, name, changes, audit)
            conn.execute("DELETE FROM sign_in_tries WHERE name_key=? AND source=?", (key, source))
        return self.get(name)

    def count_try(self, key: str, source: str, decide: Callable[[Tries], tuple[Tries | None, Sequence[Event], T]]) -> T:
        """Read the wrong tries of ``key`` (a name key, or ``#`` and a keyed hash for a name nobody
        has) from ``source`` and change them, with their audit events, in one write transaction, so
        tries made at the same moment from several processes are all counted."""
        with self.store._write("count the sign-in") as conn:
            row = conn.execute("SELECT failed_count, locked_until, lockouts FROM sign_in_tries "
                               "WHERE name_key=? AND source=?", (key, source)).fetchone()
            tries = Tries(int(row[0]), row[1], int(row[2])) if row else Tries()
            new, audit, result = decide(tries)
            if new is not None:
                conn.execute(
                    "INSERT INTO sign_in_tries (name_key, source, failed_count, locked_until, lockouts) "
                    "VALUES (?,?,?,?,?) ON CONFLICT (name_key, source) DO UPDATE SET "
                    "failed_count=excluded.failed_count, locked_until=excluded.locked_until, "
                    "lockouts=excluded.lockouts", (key, source, new.failed_count, new.locked_until, new.lockouts))
            for event in audit:
                self._append_audit_in(conn, event)
        return result

    def paused_until(self, key: str) -> list[str]:
        """When each pause of ``key`` ends, whatever its source (past ones included)."""
        return [str(row[0]) for row in self.store._read(
            "SELECT locked_until FROM sign_in_tries WHERE name_key=? AND locked_until IS NOT NULL", (key,))]

    def _apply(self, conn: sqlite3.Connection, name: str, changes: Mapping[str, SQLValue],
               audit: Sequence[Event]) -> None:
        unknown = set(changes) - UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        values = {key: (value.value if isinstance(value, Role) else value) for key, value in changes.items()}
        if "active" in values:
            values["active"] = int(bool(values["active"]))
        if values:
            assignments = ", ".join(f"{column}=?" for column in values)
            cursor = conn.execute(f"UPDATE users SET {assignments} WHERE name_key=?",
                                  (*values.values(), name_key(name)))
            if cursor.rowcount != 1:
                raise NotFound(f"There is no user called '{name}'.")
        if "locked_until" in values and values["locked_until"] is None:  # an admin ends every pause of the name
            conn.execute("DELETE FROM sign_in_tries WHERE name_key=?", (name_key(name),))
        for event in audit:
            self._append_audit_in(conn, event)

    # ------------------------------------------------------------------ clinic-wide accounts
    def from_clinic(self) -> dict[str, RecordedEvent]:
        """Each account this computer took from the clinic (name key -> the last account_from_clinic
        entry for it)."""
        return {name_key(str(event.payload.get("user", ""))): event
                for event in self.audit_events((AuditKind.ACCOUNT_FROM_CLINIC,))}

    def take_from_clinic(self, version: AccountVersion,
                         decide: Callable[[User | None, str, bool], Event]) -> RecordedEvent | None:
        """Make the account here what ``version`` says, with the audit entry ``decide`` builds from the
        account as it was (None: there was none), its secret's hash and whether it had come from the
        clinic before, in one write transaction. Nothing (None) when the last version taken for that
        name was this very one: receiving it twice changes nothing. Wrong tries stay as they are
        (they are counted per computer)."""
        key = name_key(version.name)
        with self.store._write("take the account from the clinic") as conn:
            taken_before = False
            for (payload_text,) in conn.execute("SELECT payload FROM audit WHERE kind=? ORDER BY seq DESC",
                                                (AuditKind.ACCOUNT_FROM_CLINIC,)):
                payload = json.loads(payload_text)
                if name_key(str(payload.get("user", ""))) == key:
                    if (payload.get("office"), payload.get("office_audit_seq"), payload.get("office_audit_hash")) \
                            == (version.office, version.audit_seq, version.audit_hash):
                        return None
                    taken_before = True
                    break
            row = conn.execute(f"SELECT {USER_COLUMNS}, secret_hash FROM users WHERE name_key=?", (key,)).fetchone()
            event = decide(_user(row[:-1]) if row else None, str(row[-1]) if row else "", taken_before)
            if row is None:
                conn.execute(
                    "INSERT INTO users (name, name_key, role, secret_hash, secret_kind, active, created_at, created_by,"
                    " updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
                    (version.name, key, version.role, version.secret_hash, version.secret_kind, int(version.active),
                     event.wall_time, event.author, event.wall_time))
            else:
                conn.execute("UPDATE users SET name=?, role=?, active=?, secret_hash=?, secret_kind=?, updated_at=? "
                             "WHERE name_key=?", (version.name, version.role, int(version.active), version.secret_hash,
                                                  version.secret_kind, event.wall_time, key))
            recorded = self._append_audit_in(conn, event)
        write_marker(self.store.path, event.wall_time)  # from now on this folder never silently runs without sign-in
        return recorded

    # ------------------------------------------------------------------ audit
    def append_audit(self, event: Event) -> RecordedEvent:
        """Commit one audit event (author = who did it); durable when this returns."""
        with self.store._write("save the audit entry") as conn:
            return self._append_audit_in(conn, event)

    def _append_audit_in(self, conn: sqlite3.Connection, event: Event) -> RecordedEvent:
        head = conn.execute("SELECT last_seq, last_hash FROM audit_head WHERE id=1").fetchone()
        seq, prev = (head[0] + 1, head[1] or GENESIS) if head else (1, GENESIS)
        try:
            payload_text = json.dumps(dict(event.payload), ensure_ascii=False, allow_nan=False, sort_keys=True)
            payload_text.encode("utf-8")
        except (TypeError, ValueError, UnicodeEncodeError) as exc:
            raise StoreError(f"This audit entry cannot be stored ({exc}).") from None
        payload = json.loads(payload_text)
        digest = event_hash(prev, AUDIT_CHAIN, seq, event.kind, event.wall_time, 0.0, event.author, "", payload)
        cursor = conn.execute(
            "INSERT INTO audit (seq, wall_time, actor, kind, payload, prev_hash, hash) VALUES (?,?,?,?,?,?,?)",
            (seq, event.wall_time, event.author, event.kind, payload_text, prev, digest))
        conn.execute("UPDATE audit_head SET last_seq=?, last_hash=? WHERE id=1", (seq, digest))
        return RecordedEvent(kind=event.kind, payload=payload, session_time=0.0, wall_time=event.wall_time,
                             author=event.author, phase="", id=int(cursor.lastrowid or 0), session_uid=AUDIT_CHAIN,
                             seq=seq, prev_hash=prev, hash=digest)

    def audit_events(self, kinds: tuple[str, ...] | None = None, limit: int | None = None,
                     newest_first: bool = False) -> list[RecordedEvent]:
        sql = f"SELECT {AUDIT_COLUMNS} FROM audit"
        params: list[SQLValue] = []
        if kinds:
            sql += f" WHERE kind IN ({','.join('?' * len(kinds))})"
            params.extend(kinds)
        sql += " ORDER BY seq DESC" if newest_first else " ORDER BY seq"
        if limit is not None:
            sql += f" LIMIT {max(0, int(limit))}"
        return [_audit_event(row) for row in self.store._read(sql, params)]

    def audit_count(self) -> int:
        return int(self.store._read("SELECT count(*) FROM audit")[0][0])

    # ------------------------------------------------------------------ verification
    def verify(self) -> list[ChainReport]:
        """The audit chain, its head, and the users table against what the chain recorded.

        An empty log in a database that never had users reports nothing, so a fresh install's
        ``kaproom verify`` speaks of session logs only.
        """
        events = self.audit_events()
        head = self.store._read("SELECT last_seq, last_hash FROM audit_head WHERE id=1")
        last_seq, last_hash = (head[0][0], head[0][1]) if head else (None, "")
        if not events and not self.count() and last_seq == 0:
            if has_marker(self.store.path):
                since = read_marker(self.store.path)
                return [ChainReport(AUDIT_LABEL, 0, 1, None,
                                    f"this data folder has had staff accounts{f' since {since}' if since else ''} "
                                    "(its staff marker says so), but the database has no accounts and no audit "
                                    "log: they were removed outside KAP Room")]
            return []
        report = verify_chain(AUDIT_LABEL, events)
        if report.intact and last_seq is None:
            report = ChainReport(AUDIT_LABEL, len(events), 1, None, "the audit log's head record was removed")
        elif report.intact and (len(events) != last_seq or (events and events[-1].hash != last_hash)):
            report = ChainReport(AUDIT_LABEL, len(events), len(events) + 1, None,
                                 f"the log ends at event {len(events)} but {last_seq} were recorded "
                                 "(events were removed from its end)")
        rows = self.store._read(f"SELECT {USER_COLUMNS}, secret_hash FROM users ORDER BY id")
        problems = users_disagreeing_with_audit([(_user(row[:-1]), row[-1]) for row in rows], events)
        if report.intact:  # who made each account change, by the log's own account of who could
            problems += unauthorised_user_changes(events)
        users = UsersReport("users", len(rows), 0 if problems else None, None, "; ".join(problems))
        return [report, users]


class UsersReport(ChainReport):
    """Whether the users table still says what the audit log recorded (not a chain itself)."""

    def describe(self) -> str:
        if self.intact:
            return f"users: agree with the audit log ({self.events} accounts)"
        return f"users: DO NOT AGREE with the audit log: {self.reason}"
