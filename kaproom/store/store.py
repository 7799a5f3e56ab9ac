"""The one small object that owns the SQLite file.

Everything that reads or writes the database goes through :class:`Store`. It keeps SQLite in
WAL mode with ``synchronous=FULL``, so an event is on disk when ``append`` returns; the UI only
says "saved" after that. Events are append-only (triggers refuse UPDATE and DELETE) and chained
by hash; the ``sessions`` table is an index kept up to date in the same transaction.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kaproom.domain.clock import to_iso
from kaproom.domain.events import (
    GENESIS,
    ChainReport,
    Event,
    JSONDict,
    JSONMapping,
    Kind,
    RecordedEvent,
    canonical_json,
    event_hash_of_text,
    stored_number,
    verify_chain,
)
from kaproom.store.errors import (
    DatabaseCorrupt,
    IndexMismatch,
    NotADatabase,
    NotFound,
    SchemaTooNew,
    StoreError,
    translate,
)
from kaproom.store.file_guard import FileGuard
from kaproom.store.index_check import HEADER_FACTS, describe_differences, differences
from kaproom.store.last_backup import restore_advice
from kaproom.store.rows import EVENT_COLUMNS, Row, SessionRow, SQLValue, event_from_row
from kaproom.store.schema import MIGRATIONS_TABLE, SCHEMA_VERSION
from kaproom.store.seal import forget_seal, needs_full_check, write_seal
from kaproom.store.staff_marker import StaffMissing, has_marker, missing_staff_message, write_marker

if TYPE_CHECKING:
    from kaproom.domain.protocol import Protocol
    from kaproom.store.seal import Seal

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 3000
DB_FILENAME = "kaproom.sqlite3"
OUR_TABLES = frozenset({"sessions", "events", MIGRATIONS_TABLE})


_MOVE_HEAD = "UPDATE sessions SET last_seq=?, last_hash=? WHERE uid=?"
#: A reference of this many digits or more may be the start of a uid (uid[:8] as listed), not a number.
UID_PREFIX_DIGITS = 8
def following_text(prefix: str) -> str | None:
    """The first text after every text that begins with ``prefix`` in SQLite's binary order (UTF-8
    bytes, which is code-point order), or None when there is none (the prefix is all U+10FFFF)."""
    for end in range(len(prefix) - 1, -1, -1):
        point = ord(prefix[end]) + 1
        if 0xD800 <= point <= 0xDFFF:  # surrogates are not text: the next character is U+E000
            point = 0xE000
        if point <= 0x10FFFF:
            return prefix[:end] + chr(point)
    return None


#: Kinds that change more of the sessions index than its head (see _update_index).
_INDEXED_KINDS = frozenset({Kind.SESSION_STARTED, Kind.PHASE_CHANGED, Kind.SESSION_ENDED, Kind.ALERT, Kind.MUSIC,
                            Kind.AMENDMENT, Kind.SIGNOFF, Kind.DOSE})


class Store:
    """The KAP Room database: sessions, their append-only events, and verification."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        #: None once closed: a late call then raises StoreError (see _read and _write).
        self._conn: sqlite3.Connection | None = None
        #: When SQLite's full check of the file last passed (this open, or before a clean close);
        #: None until the file is known good. See :mod:`kaproom.store.seal`.
        self.checked_at: datetime | None = None
        self.fully_checked_now = False
        #: The thread whose write transaction is open (see _write): its further writes join it.
        self._writer: int | None = None
        full_check, seal = self._check_file_before_open()
        try:
            conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False,
                                   timeout=BUSY_TIMEOUT_MS / 1000)
            self._conn = conn
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            tables = self._check_integrity(conn, full_check)  # before WAL mode, which writes to the file
            self._configure(conn)
            self._migrate(conn, tables)
            self.checked_at = datetime.now(UTC) if full_check or seal is None else seal.checked_at
            self.fully_checked_now = full_check
            if seal is not None:
                forget_seal(self.path)  # from now on only a clean close vouches for the file
            self._guard = FileGuard(self.path)
            self._guard.note_own_write(conn)
        except sqlite3.Error as exc:
            self._close_quietly()
            raise translate(exc, str(self.path), "open the database") from None
        except StoreError:
            self._close_quietly()
            raise

    # ------------------------------------------------------------------ opening
    def _check_file_before_open(self) -> tuple[bool, Seal | None]:
        """Refuse non-SQLite files before SQLite can touch them; create new files as 0600. Returns
        whether SQLite's full check is due (the file is not as a clean close left it), and the seal."""
        if self.path.exists():
            if self.path.is_dir():
                raise NotADatabase(f"{self.path} is a folder, not a KAP Room database. Nothing was changed.")
            try:
                with open(self.path, "rb") as handle:
                    head = handle.read(16)
                    stat = os.fstat(handle.fileno())
            except OSError as exc:
                raise translate(exc, str(self.path), "open the database") from None
            if head and head != SQLITE_HEADER:
                raise NotADatabase(
                    f"{self.path} is not a KAP Room database (it is not an SQLite file). It was left untouched. "
                    "Move it aside or choose another data folder with --data-dir.")
            return needs_full_check(self.path, stat)
        try:
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        except OSError as exc:
            raise translate(exc, str(self.path), "create the database") from None
        return True, None

    def _configure(self, conn: sqlite3.Connection) -> None:
        """WAL and full durability. Only once the file is known to be ours and sound: switching an
        SQLite file to WAL rewrites its header, so a refused file would no longer be as it was."""
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"{self.path}: SQLite would not switch to WAL mode (got {mode}); "
                             "the data folder may be on a network drive, which KAP Room does not support.")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")

    def _check_integrity(self, conn: sqlite3.Connection, full: bool = True) -> set[str]:
        """The file's tables, once SQLite's quick check passed (when ``full``) and they are ours."""
        result = conn.execute("PRAGMA quick_check").fetchall() if full else [("ok",)]
        if result != [("ok",)]:
            problems = "; ".join(str(r[0]) for r in result[:3])
            raise DatabaseCorrupt(
                f"The database {self.path} is damaged ({problems}). It was left untouched, not repaired. "
                f"Keep a copy of the file and {restore_advice(self.path)}.")
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and not tables & OUR_TABLES:
            raise NotADatabase(
                f"{self.path} is an SQLite file but not a KAP Room database (it has tables "
                f"{', '.join(sorted(tables)[:5])}). It was left untouched. Choose another data folder.")
        return tables

    def _migrate(self, conn: sqlite3.Connection, tables: set[str]) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"{self.path} was written by a newer KAP Room (schema {version}; this version knows up to "
                f"{SCHEMA_VERSION}). Nothing was changed. Install the newer KAP Room to open it.")
        if version == SCHEMA_VERSION and tables >= OUR_TABLES:
            return  # up to date: the usual case, without loading the migrations
        # sqlite-utils and the migrations: about 100 ms to import (python -X importtime), against the
        # home page's 0.166 s start (bench_startup.py, bench/README.md), which opens an up-to-date file.
        from sqlite_utils import Database  # noqa: PLC0415 - start-up time, see above

        from kaproom.store.migrations import migrations  # noqa: PLC0415 - start-up time, see above
        database = Database(conn)
        if migrations.pending(database):
            migrations.apply(database)
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @property
    def schema_version(self) -> int:
        return int(self._read("PRAGMA user_version")[0][0])

    def close(self) -> None:
        """Close, and seal the file as it is now if it was known good and still is ours."""
        conn = self._conn
        if conn is None:
            return
        guard = getattr(self, "_guard", None)
        checked = self.checked_at
        good = checked is not None and guard is not None and guard.rescued is None and guard.untouched(conn)
        try:
            conn.close()
        except sqlite3.Error:
            good = False
        self._conn = None
        if good and checked is not None:
            write_seal(self.path, checked)

    def _close_quietly(self) -> None:
        conn = self._conn
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error:
                pass
            self._conn = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writing
    @contextmanager
    def _write(self, action: str) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction; any failure rolls back and becomes a StoreError.

        A write asked for while this thread's transaction is open (a dose's stock register lines,
        written from inside the session's append) joins that transaction: it commits with it, and
        its failure rolls back everything, so the two are recorded together or not at all."""
        conn = self._conn
        if conn is None:
            raise StoreError(f"Could not {action}: the database {self.path} has been closed. What you typed is kept.")
        if self._writer is not None and self._writer == threading.get_ident() and conn.in_transaction:
            try:
                yield conn
            except (sqlite3.Error, OSError) as exc:
                raise translate(exc, str(self.path), action) from None
            return
        self._guard.check(conn, action)  # never write into a deleted or replaced file
        try:
            conn.execute("BEGIN IMMEDIATE")
            self._writer = threading.get_ident()
            try:
                yield conn
                conn.execute("COMMIT")
                self._guard.note_own_write(conn)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            finally:
                self._writer = None
        except (sqlite3.Error, OSError) as exc:
            raise translate(exc, str(self.path), action) from None

    @contextmanager
    def atomic(self, action: str) -> Iterator[None]:
        """Several writes (a session's events and the stock register's lines) in one transaction:
        all are durable when the block ends, or, if anything in it raises, none was written. A
        SessionRunner applies an event to its state as soon as it is appended, so a session's
        event that must go with other writes is better written through the runner's ``alongside``
        (its state changes only after the commit), as the room's dose and waste are."""
        with self._write(action):
            yield

    def create_session(self, protocol: Protocol, client_code: str, therapist: str, room: str = "",
                       *, demo: bool = False, wall_time: str | None = None, author: str | None = None,
                       extra: JSONMapping | None = None, uid: str | None = None,
                       origin: str = "local") -> str:
        """Add a session and its first event (which records the protocol it runs)."""
        if not uid:
            # uuid: 5 ms to import (python -X importtime), against the home page's 0.166 s start
            # (bench_startup.py, bench/README.md), which creates no session.
            import uuid  # noqa: PLC0415 - start-up time, see above
            uid = str(uuid.uuid4())
        wall = wall_time or to_iso(datetime.now(UTC))
        payload: JSONDict = {
            "client_code": client_code, "therapist": therapist, "room": room, "demo": bool(demo),
            "protocol": {"id": protocol.id, "name": protocol.name, "text": protocol.text},
        }
        payload.update(extra or {})
        with self._write("create the session") as conn:
            conn.execute(
                "INSERT INTO sessions (uid, created_at, protocol_id, protocol_name, client_code, therapist, room,"
                " demo, origin) VALUES (?,?,?,?,?,?,?,?,?)",
                (uid, wall, protocol.id, protocol.name, client_code, therapist, room, int(demo), origin))
            self._append_in(conn, uid, Event(Kind.SESSION_CREATED, payload, 0.0, wall, author or therapist, ""))
        return uid

    def log(self, session_uid: str) -> SessionLog:
        """The event sink for one session, as the session runner wants it."""
        self.session(session_uid)
        return SessionLog(self, session_uid)

    def append(self, session_uid: str, event: Event) -> RecordedEvent:
        """Commit one event to the end of a session's chain; durable when this returns."""
        with self._write(f"save the {event.kind.replace('_', ' ')}") as conn:
            return self._append_in(conn, session_uid, event)

    def append_group(self, session_uid: str, first: Event,
                     then: Callable[[RecordedEvent], Iterable[Event]]) -> list[RecordedEvent]:
        """Commit ``first`` and the events ``then`` derives from it (alerts that cite a check-in's
        number) in one transaction: all are durable when this returns, or none was written."""
        with self._write(f"save the {first.kind.replace('_', ' ')}") as conn:
            saved = [self._append_in(conn, session_uid, first)]
            for event in then(saved[0]):
                saved.append(self._append_in(conn, session_uid, event))
        return saved

    def _append_in(self, conn: sqlite3.Connection, uid: str, event: Event) -> RecordedEvent:
        last = conn.execute("SELECT last_seq, last_hash FROM sessions WHERE uid=?", (uid,)).fetchone()
        if last is None:
            raise NotFound(f"There is no session {uid} in {self.path}.")
        seq, prev = last[0] + 1, last[1] or GENESIS
        session_time = round(float(event.session_time), 3)
        try:  # stored in the form the hash is computed over, so it is encoded once and checked as it is
            payload_text = canonical_json(dict(event.payload))
            digest = event_hash_of_text(prev, uid, seq, event.kind, event.wall_time, session_time, event.author,
                                        event.phase, payload_text)  # encodes it as UTF-8: a lone surrogate fails here
        except (TypeError, ValueError, UnicodeEncodeError) as exc:
            raise StoreError(f"This entry cannot be stored ({exc}); please retype it.") from None
        cursor = conn.execute(
            "INSERT INTO events (session_uid, seq, wall_time, session_time, author, phase, kind, payload,"
            " prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (uid, seq, event.wall_time, session_time, event.author, event.phase, event.kind, payload_text,
             prev, digest))
        recorded = RecordedEvent.from_stored(int(cursor.lastrowid or 0), uid, seq, event.wall_time, session_time,
                                             event.author, event.phase, event.kind,
                                             json.loads(payload_text), prev, digest, payload_text)
        self._update_index(conn, recorded)
        return recorded

    def _update_index(self, conn: sqlite3.Connection, event: RecordedEvent) -> None:
        if event.kind not in _INDEXED_KINDS:  # most events (notes, tags, vitals) only move the head
            conn.execute(_MOVE_HEAD, (event.seq, event.hash, event.session_uid))
            return
        sets = {"last_seq": event.seq, "last_hash": event.hash}
        increments: list[str] = []
        kind, payload = event.kind, event.payload
        if kind == Kind.SESSION_STARTED:
            sets.update(state="running", started_at=event.wall_time)
        elif kind == Kind.PHASE_CHANGED:
            sets["current_phase"] = str(payload.get("to", ""))
        elif kind == Kind.SESSION_ENDED:
            sets.update(state=str(payload.get("outcome", "ended_early")), ended_at=event.wall_time,
                        duration_seconds=event.session_time, end_reason=str(payload.get("reason", "")))
        elif kind == Kind.ALERT:
            level = payload.get("level")
            if level == "urgent":
                increments.append("urgents")
            elif level == "caution":
                increments.append("cautions")
        elif kind == Kind.MUSIC and payload.get("action") == "error":
            increments.append("music_errors")
        elif kind == Kind.AMENDMENT:
            increments.append("amendments")
            signed = conn.execute("SELECT signed_at FROM sessions WHERE uid=?", (event.session_uid,)).fetchone()
            if signed and signed[0]:
                increments.append("amended_after_signoff")
        elif kind == Kind.SIGNOFF:
            sets.update(signed_at=event.wall_time, signed_by=event.author)
        elif kind == Kind.DOSE:  # when it was given, which a dose recorded late says apart from its own time
            given = stored_number(payload.get("effective_time"))
            sets["dose_time"] = event.session_time if given is None else given
        assignments = [f"{column}=?" for column in sets] + [f"{column}={column}+1" for column in increments]
        conn.execute(f"UPDATE sessions SET {', '.join(assignments)} WHERE uid=?",
                     (*sets.values(), event.session_uid))

    # ------------------------------------------------------------------ reading
    def _read(self, sql: str, params: Sequence[SQLValue] = ()) -> list[Row]:
        conn = self._conn
        if conn is None:  # a late caller (a timer after the app closed the store) gets a StoreError too
            raise StoreError(f"Could not read the database {self.path}: it has been closed.")
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise translate(exc, str(self.path), "read the database") from None

    def events(self, session_uid: str, kinds: tuple[str, ...] | None = None) -> list[RecordedEvent]:
        sql, params = f"SELECT {EVENT_COLUMNS} FROM events WHERE session_uid=?", [session_uid]
        if kinds:
            sql += f" AND kind IN ({','.join('?' * len(kinds))})"
            params.extend(kinds)
        return [event_from_row(row) for row in self._read(sql + " ORDER BY seq", params)]

    def events_of(self, session_uids: Sequence[str], kinds: tuple[str, ...]) -> dict[str, list[RecordedEvent]]:
        """The events of ``kinds`` of several sessions, by session, in order: one query for a page of
        the review list instead of one a session (200 a page)."""
        found: dict[str, list[RecordedEvent]] = {uid: [] for uid in session_uids}
        uids = list(found)
        for start in range(0, len(uids), 400):  # well under SQLite's limit on parameters
            chunk = uids[start:start + 400]
            sql = (f"SELECT {EVENT_COLUMNS} FROM events WHERE session_uid IN ({','.join('?' * len(chunk))}) "
                   f"AND kind IN ({','.join('?' * len(kinds))}) ORDER BY session_uid, seq")
            for row in self._read(sql, [*chunk, *kinds]):
                event = event_from_row(row)
                found[event.session_uid].append(event)
        return found

    def event(self, event_id: int) -> RecordedEvent:
        rows = self._read(f"SELECT {EVENT_COLUMNS} FROM events WHERE id=?", (event_id,))
        if not rows:
            raise NotFound(f"There is no event {event_id}.")
        return event_from_row(rows[0])

    def _session_rows(self, where: str = "", params: Sequence[SQLValue] = (), order: str = "created_at DESC, id DESC",
                      limit: int | None = None) -> list[SessionRow]:
        names = [f.name for f in fields(SessionRow)]
        sql = f"SELECT {', '.join(names)} FROM sessions"
        if where:
            sql += f" WHERE {where}"
        sql += f" ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [SessionRow(*row) for row in self._read(sql, params)]

    def sessions(self, include_demo: bool = True) -> list[SessionRow]:
        return self._session_rows("" if include_demo else "demo=0")

    def open_sessions(self) -> list[SessionRow]:
        """Sessions that were never ended: candidates to resume after a crash."""
        return self._session_rows("state IN ('created','running')")

    def session(self, ref: str | int) -> SessionRow:
        """A session by its number, its uid or a unique uid prefix (as typed at the command line), once its
        header facts are known to be what its hashed events say (IndexMismatch otherwise)."""
        return self._checked_header(self._index_row(ref))

    def _index_row(self, ref: str | int) -> SessionRow:
        """The sessions index line for ``ref``, as stored (unchecked)."""
        text = str(ref).strip().lstrip("#")
        rows = self._session_rows("id=?", (int(text),)) if text.isdigit() else []
        if not rows and (not text.isdigit() or len(text) >= UID_PREFIX_DIGITS):
            # A uid prefix; one of 8 digits or more (a uid may begin with eight digits) when no
            # session has that number. Compared as text, so '%' or '_' typed match only themselves.
            # A whole uid that also begins another session's uid matches both: refused as ambiguous,
            # never settled in favour of the shorter one (an imported id could shadow a local one).
            rows = self._uid_prefix_rows(text) if text else []
        if len(rows) != 1:
            what = ("matches several sessions; type more of it, or use the session's number" if rows
                    else "is not a session here")
            raise NotFound(f"'{ref}' {what}. `kaproom sessions` lists them.")
        return rows[0]

    def _uid_prefix_rows(self, prefix: str) -> list[SessionRow]:
        """Sessions whose uid begins with ``prefix``, found through the uid index: a range from the
        prefix to the first text after every text that begins with it (without the range, SQLite
        compared every uid: 57 ms at 100,000 sessions, on each session opened by uid)."""
        after = following_text(prefix)
        if after is None:
            return self._session_rows("uid >= ? AND substr(uid, 1, ?)=?", (prefix, len(prefix), prefix))
        return self._session_rows("uid >= ? AND uid < ? AND substr(uid, 1, ?)=?", (prefix, after, len(prefix), prefix))

    def _checked_header(self, row: SessionRow) -> SessionRow:
        """``row`` if its header facts (client, therapist, room, protocol, signature) are what its hashed
        events say; otherwise IndexMismatch, so no screen, export or permission check believes a hand edit."""
        events = self.events(row.uid, (Kind.SESSION_CREATED, Kind.SIGNOFF))
        wrong = differences(row, events, HEADER_FACTS) if events else []
        if wrong:
            raise IndexMismatch(
                f"Session {row.id} ({row.uid[:8]}) cannot be opened: {describe_differences(row, events, wrong)}. "
                "Nothing was changed. Keep a copy of the data folder, tell your supervisor, and restore the last "
                "backup; `kaproom verify` lists every difference.")
        return row

    def has_users(self) -> bool:
        """Whether the clinic has registered staff (then sign-in is required); the accounts
        themselves live in :mod:`kaproom.store.accounts`. A folder whose staff marker says it had
        staff and whose database has none raises StaffMissing: never silently an open install."""
        if self._read("SELECT EXISTS (SELECT 1 FROM users)")[0][0]:
            write_marker(self.path, to_iso(datetime.now(UTC)))  # a folder with staff from before the marker
            return True
        if has_marker(self.path):
            raise StaffMissing(missing_staff_message(self.path))
        return False

    def count_sessions(self) -> int:
        return int(self._read("SELECT count(*) FROM sessions")[0][0])

    # ------------------------------------------------------------------ verification
    def verify(self, session_uid: str | None = None) -> list[ChainReport]:
        """Check every session's chain (or one), that no event is missing from its end, that its index
        line says what its events say, and (for all) every event in the file, even one whose session's
        index line is gone."""
        if session_uid:  # the line as stored: verify names what disagrees instead of refusing it
            row = self._index_row(session_uid)
            return [self.check_chain(row, self.events(row.uid))]
        reports = [self.check_chain(row, self.events(row.uid)) for row in self._session_rows(order="id")]
        orphans = self._read("SELECT session_uid, min(id) FROM events WHERE session_uid NOT IN "
                             "(SELECT uid FROM sessions) GROUP BY session_uid ORDER BY min(id)")
        for uid, _ in orphans:
            events = self.events(str(uid))
            chain = verify_chain(f"session {uid}", events)
            reason = ("its line in the sessions table was deleted outside KAP Room, so it no longer shows in the "
                      "list" + ("" if chain.intact else f"; and its log is broken: {chain.reason}"))
            reports.append(ChainReport(f"session {uid} (not in the sessions list)", len(events),
                                       chain.broken_at or 1, chain.event_id if not chain.intact else events[0].id,
                                       reason))
        return reports

    @staticmethod
    def check_chain(row: SessionRow, events: list[RecordedEvent]) -> ChainReport:
        """Verify events already read for ``row`` (the review reads them once for both uses)."""
        label = f"session {row.id} ({row.uid[:8]})"
        report = verify_chain(label, events)
        if report.intact and (len(events) != row.last_seq or (events and events[-1].hash != row.last_hash)):
            report = ChainReport(label, len(events), len(events) + 1, None,
                                 f"the log ends at event {len(events)} but {row.last_seq} were recorded "
                                 "(events were removed from its end)")
        if report.intact and events:
            wrong = differences(row, events)
            if wrong:
                report = ChainReport(label, len(events), 1, events[0].id, describe_differences(row, events, wrong))
        return report


class SessionLog:
    """One session's end of the store: ``append`` commits an event to that session's chain."""

    def __init__(self, store: Store, session_uid: str) -> None:
        self.store, self.session_uid = store, session_uid

    def append(self, event: Event) -> RecordedEvent:
        return self.store.append(self.session_uid, event)

    def append_group(self, first: Event, then: Callable[[RecordedEvent], Iterable[Event]]) -> list[RecordedEvent]:
        return self.store.append_group(self.session_uid, first, then)
