"""The sender: this computer's committed events, shipped in order to the clinic server.

The room commits every event to its own SQLite first; the sender reads what was committed (a
:class:`Source`) and copies it to PostgreSQL, a batch per transaction. The position ("the
server has everything up to event row N") moves only after the server has committed the batch,
so a server killed in the middle of a send loses nothing: the batch is sent again, and what the
server already holds is skipped there (the same event twice changes nothing). A server that is
down never delays the room: the sender runs on its own thread with its own connections, and
retries with a growing pause.

A session whose history differs from the clinic's is refused by the server, naming the event;
the sender then sets that session aside (reported, never merged) and goes on with the others.

The computer's stock register (its own chain, one writer) is sent the same way, after the
sessions and the audit log of each batch and in its own transaction: a register the clinic
refuses (its history differs) is set aside, said, and never holds back a session's events.

One writer per chain: a computer sends only the chains it writes. A room sends the sessions it
recorded; a session imported from another room's JSON bundle (a clinic room without the server)
is that room's chain, so it is not sent from here (it would make this computer a second writer
of it, or be refused by the clinic). An office computer sends no session at all (only rooms add
sessions to the clinic): its own chains are its audit log and its stock register. What is held
here and not sent is said quietly (:meth:`Sender.not_sent`), never retried as a refusal.
"""
from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import psycopg

from kaproom.clinic.errors import ClinicError, ClinicRefused, ClinicUnreachable, HistoryDiffers
from kaproom.clinic.server import KeptConnection, connect, translate
from kaproom.domain.events import RecordedEvent, canonical_json, event_hash_of_text

BATCH = 500
#: How often the thread looks for new committed events (a cheap read of the local file).
LOOK_EVERY_S = 0.25
#: After a commit, how long the room must have been quiet before the thread reads and sends (and the
#: most it waits in a burst of notes): a note typed right after another is committed without this
#: thread working beside it (they share the GIL: back to back, Enter took twice as long; bench_clinic).
QUIET_S = 0.2
MOST_WAIT_S = 2.0
#: How often the thread receives what the clinic added for this computer (office sign-offs on its
#: sessions, and the like) while all is sent: calm, a query every so often, never on each event.
RECEIVE_EVERY_S = 20.0
#: Pauses between tries while the server cannot be reached.
BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
HISTORY_DIFFERS = "KR001"
NOT_ITS_SESSION = "KR003"
#: The server lacks events before the ones sent (it lost them: restored from an older backup).
GAP = "KR002"
#: Refusals that concern one session: it is set aside (and reported), the others go on.
SET_ASIDE = frozenset({HISTORY_DIFFERS, NOT_ITS_SESSION})
_UID = re.compile(r"session ([0-9A-Za-z-]+)")
#: A session's origin when it was recorded on this computer (else: the room it was imported from).
LOCAL_ORIGIN = "local"

INSERT_EVENT = ("INSERT INTO kaproom.events (session_uid, seq, wall_time, session_time, author, phase, kind, payload,"
                " prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
NAME_SESSION = "SELECT kaproom.name_session(%s, %s, %s)"
UNNAMED = "SELECT uid FROM kaproom.sessions WHERE room = %s AND number_in_room IS NULL"
INSERT_REGISTER = ("INSERT INTO kaproom.register_events (computer, seq, wall_time, actor, kind, lot, payload,"
                   " prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)")
REGISTER_HEAD = "SELECT last_seq FROM kaproom.chain_heads WHERE chain = %s"
INSERT_AUDIT = ("INSERT INTO kaproom.audit (computer, seq, wall_time, actor, kind, payload, prev_hash, hash)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)")


class _ServerBehind(Exception):
    """The server holds less than this computer was told it had: send everything again."""


class Source(Protocol):
    """This computer's committed record, read-only (kaproom.store.outbox.Outbox)."""

    def events_after(self, event_id: int, limit: int = BATCH) -> list[RecordedEvent]: ...
    def count_events_after(self, event_id: int) -> int: ...
    def count_local_events_after(self, event_id: int) -> int: ...
    def session_origins(self) -> dict[str, int]: ...
    def audit_after(self, seq: int, limit: int = BATCH) -> list[RecordedEvent]: ...
    def count_audit_after(self, seq: int) -> int: ...
    def session_names(self, uids: list[str]) -> dict[str, tuple[int, str]]: ...
    def register_after(self, seq: int, limit: int = BATCH) -> list[RecordedEvent]: ...
    def count_register_after(self, seq: int) -> int: ...


@dataclass(frozen=True)
class Position:
    """How far the clinic server has this computer's record; ``refused``: sessions set aside."""

    event_id: int = 0
    audit_seq: int = 0
    refused: tuple[tuple[str, str], ...] = ()  # (session uid, the server's words)
    last_sent_at: str | None = None  # ISO UTC of the last send the server confirmed
    register_seq: int = 0  # the stock register's lines the server has
    register_refused: str = ""  # the server's words when it refused this computer's register

    @property
    def refused_uids(self) -> frozenset[str]:
        return frozenset(uid for uid, _ in self.refused)

    def to_json(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "audit_seq": self.audit_seq,
                "refused": [list(pair) for pair in self.refused], "last_sent_at": self.last_sent_at,
                "register_seq": self.register_seq, "register_refused": self.register_refused}

    @classmethod
    def from_json(cls, data: Any) -> Position:
        if not isinstance(data, dict):
            return cls()
        refused = tuple((str(pair[0]), str(pair[1])) for pair in data.get("refused", [])
                        if isinstance(pair, list) and len(pair) == 2)
        last = data.get("last_sent_at")
        return cls(int(data.get("event_id", 0)), int(data.get("audit_seq", 0)), refused,
                   str(last) if last else None, int(data.get("register_seq", 0) or 0),
                   str(data.get("register_refused", "") or ""))


def wire_payload(event: RecordedEvent) -> str:
    """The payload as the hash covers it: the stored text when it is that (always, for what KAP Room
    wrote), else the canonical form of what was read (an older record, or the audit log)."""
    text = event.payload_text
    if text is not None and event_hash_of_text(event.prev_hash, event.session_uid, event.seq, event.kind,
                                               event.wall_time, event.session_time, event.author, event.phase,
                                               text) == event.hash:
        return text
    return canonical_json(dict(event.payload))


def join(params: dict[str, Any], computer: str, kind: str) -> None:
    """Register this computer (its database role) as a room or an office computer, once."""
    with connect(params, autocommit=True) as conn:
        try:
            conn.execute("INSERT INTO kaproom.computers (name, db_role, kind) VALUES (%s, session_user, %s)"
                         " ON CONFLICT DO NOTHING", (computer, kind))
            by_name = conn.execute("SELECT db_role, kind FROM kaproom.computers WHERE name = %s",
                                   (computer,)).fetchone()
            by_role = conn.execute("SELECT name FROM kaproom.computers WHERE db_role = session_user").fetchone()
        except psycopg.errors.UndefinedTable:
            raise ClinicRefused("The clinic database has no KAP Room schema yet: run  kaproom clinic init URL  "
                                "there first (as its owner).") from None
        except psycopg.Error as exc:
            raise translate(exc, params) from None
        role = conn.info.user
    if by_role and by_role[0] != computer:
        raise ClinicRefused(f"The database role {role} has already joined as '{by_role[0]}'. Each room and office "
                            "computer needs its own role.")
    if by_name is None or by_name[0] != role:
        holder = by_name[0] if by_name else "?"
        raise ClinicRefused(f"The name '{computer}' is taken by another computer (role {holder}). Choose another name.")
    if by_name[1] != kind:
        raise ClinicRefused(f"'{computer}' joined as {by_name[1]}, not as {kind}.")


class Sender:
    """Sends what a :class:`Source` holds after a :class:`Position`, batch by batch."""

    def __init__(self, params: dict[str, Any], computer: str, source: Source, batch: int = BATCH,
                 kind: str = "room") -> None:
        self.params, self.computer, self.source, self.batch = params, computer, source, batch
        self.kind = kind  # "room" | "office"
        self._kept = KeptConnection(params)
        self._origins: dict[str, str] = {}  # session uid -> its origin, as this record says

    def sends_sessions_of(self, origin: str) -> bool:
        """Whether this computer writes the chains of sessions of that origin (one writer per chain):
        a room those it recorded, never one imported from another room; an office none."""
        return self.kind == "room" and origin == LOCAL_ORIGIN

    def not_sent(self) -> tuple[int, bool]:
        """The sessions held here that are not this computer's to send, and whether all of them
        were imported (rather than recorded on an office computer)."""
        origins = self.source.session_origins()
        held = {origin: n for origin, n in origins.items() if not self.sends_sessions_of(origin)}
        return sum(held.values()), LOCAL_ORIGIN not in held

    def _sent_events_after(self, event_id: int) -> int:
        return self.source.count_local_events_after(event_id) if self.kind == "room" else 0

    def _own(self, events: Sequence[RecordedEvent]) -> list[RecordedEvent]:
        """The events of ``events`` on sessions whose chain this computer writes."""
        unknown = sorted({e.session_uid for e in events} - set(self._origins))
        if unknown:
            named = self.source.session_names(unknown)
            self._origins.update({uid: named[uid][1] if uid in named else LOCAL_ORIGIN for uid in unknown})
        return [e for e in events if self.sends_sessions_of(self._origins[e.session_uid])]

    def close(self) -> None:
        self._kept.close()

    def _connection(self) -> psycopg.Connection[Any]:
        return self._kept.get()

    def waiting(self, position: Position) -> int:
        """Events, audit entries and register lines committed here and not yet on the server (a
        register the clinic refused is not waiting: it is set aside)."""
        register = 0 if position.register_refused else self.source.count_register_after(position.register_seq)
        return (self._sent_events_after(position.event_id) + self.source.count_audit_after(position.audit_seq)
                + register)

    def reconcile(self, position: Position) -> Position:
        """The position, or the start again when the server holds fewer of this room's events than it
        confirmed (restored from an older backup): what it still has is skipped, the gap is filled.
        The same for the stock register's lines."""
        position = self._reconcile_register(position)
        position = self._own_refusals(position)
        if position.refused or position.event_id == 0:
            return position
        sent_here = self._sent_events_after(0) - self._sent_events_after(position.event_id)
        try:
            row = self._connection().execute(
                "SELECT coalesce(sum(last_seq), 0) FROM kaproom.sessions WHERE room = %s", (self.computer,)).fetchone()
            self._connection().rollback()
        except psycopg.Error as exc:
            self.close()
            raise translate(exc, self.params) from None
        held = int(row[0]) if row else 0
        self.name_unnamed()
        return replace(position, event_id=0) if held < sent_here else position

    def _own_refusals(self, position: Position) -> Position:
        """The position without the refusals of sessions this computer does not send (an imported
        session an older KAP Room tried to send, and the clinic refused as another room's)."""
        if not position.refused:
            return position
        names = self.source.session_names(sorted(position.refused_uids))
        kept = tuple((uid, why) for uid, why in position.refused
                     if uid not in names or self.sends_sessions_of(names[uid][1]))
        return position if kept == position.refused else replace(position, refused=kept)

    def _reconcile_register(self, position: Position) -> Position:
        """The register's position, or its start again: when this computer holds fewer lines than the
        server confirmed (its record was put back to an older copy: what is written next is then
        compared with the clinic's copy line by line, and refused by name if it differs), or when the
        server holds fewer than it confirmed (restored from an older backup: the gap is filled)."""
        if position.register_refused or position.register_seq == 0:
            return position
        if self.source.count_register_after(0) < position.register_seq:
            return replace(position, register_seq=0)
        try:
            row = self._connection().execute(REGISTER_HEAD, (f"register:{self.computer}",)).fetchone()
            self._connection().rollback()
        except psycopg.Error as exc:
            self.close()
            raise translate(exc, self.params) from None
        held = int(row[0]) if row else 0
        return replace(position, register_seq=0) if held < position.register_seq else position

    def name_unnamed(self) -> None:
        """Tell the server what this room calls each of its sessions the server holds unnamed (sent
        before the server knew names, or named in a batch whose naming was cut short)."""
        conn = self._connection()
        try:
            with conn.transaction():
                uids = [str(r[0]) for r in conn.execute(UNNAMED, (self.computer,)).fetchall()]
                self._name(conn, uids)
        except psycopg.Error as exc:
            self.close()
            raise translate(exc, self.params) from None

    def _name(self, conn: psycopg.Connection[Any], uids: list[str]) -> None:
        if not uids:
            return
        names = self.source.session_names(uids)
        with conn.cursor() as cursor:
            cursor.executemany(NAME_SESSION, [(uid, number, origin) for uid, (number, origin) in names.items()])

    def send_pending(self, position: Position, saved: Callable[[Position], None] = lambda p: None) -> Position:
        """Send everything after ``position``; ``saved`` is called after each batch the server committed.
        Raises ClinicUnreachable (retry later) or ClinicRefused; what was confirmed is in ``saved``."""
        rewound = register_rewound = False
        while True:
            events = self.source.events_after(position.event_id, self.batch)
            entries = self.source.audit_after(position.audit_seq, self.batch)
            lines = [] if position.register_refused else self.source.register_after(position.register_seq, self.batch)
            if not events and not entries and not lines:
                return position
            if events or entries:
                try:
                    position = self._send_batch(position, events, entries)
                except _ServerBehind:
                    if rewound:
                        raise ClinicRefused("The clinic server lacks events this computer sent before, even after "
                                            "sending everything again. Nothing was lost here.") from None
                    # Everything again, from the start: the server skips what it holds and fills the gap.
                    position, rewound = replace(position, event_id=0, audit_seq=0), True
                    continue
                saved(position)
            if lines:
                try:
                    position = self._send_register(position, lines)
                except _ServerBehind:
                    if register_rewound:
                        raise ClinicRefused("The clinic server lacks stock register lines this computer sent "
                                            "before, even after sending them all again. Nothing was lost here.") \
                            from None
                    position, register_rewound = replace(position, register_seq=0), True
                    continue
                saved(position)

    def _send_register(self, position: Position, lines: Sequence[RecordedEvent]) -> Position:
        """One batch of the stock register's lines, in its own transaction. A register whose history
        differs from the clinic's copy is set aside (``register_refused``), never merged."""
        rows = [(self.computer, e.seq, e.wall_time, e.author, e.kind, str(e.payload.get("lot", "")), wire_payload(e),
                 e.prev_hash, e.hash) for e in lines]
        conn = self._connection()
        try:
            with conn.transaction(), conn.cursor() as cursor:
                cursor.executemany(INSERT_REGISTER, rows)
        except psycopg.Error as exc:
            state = getattr(exc, "sqlstate", None)
            if state == GAP:
                raise _ServerBehind() from None
            if state == HISTORY_DIFFERS:
                message = (exc.diag.message_primary or str(exc)).removeprefix("kaproom: ")
                return replace(position, register_refused=message)
            if conn.broken or isinstance(exc, psycopg.OperationalError):
                self.close()
            raise translate(exc, self.params) from None
        return replace(position, register_seq=lines[-1].seq,
                       last_sent_at=datetime.now(UTC).isoformat(timespec="seconds"))

    def _send_batch(self, position: Position, events: Sequence[RecordedEvent],
                    entries: Sequence[RecordedEvent]) -> Position:
        refused = dict(position.refused)
        while True:
            rows = [(e.session_uid, e.seq, e.wall_time, e.session_time, e.author, e.phase, e.kind, wire_payload(e),
                     e.prev_hash, e.hash) for e in self._own(events) if e.session_uid not in refused]
            audit_rows = [(self.computer, e.seq, e.wall_time, e.author, e.kind, wire_payload(e), e.prev_hash, e.hash)
                          for e in entries]
            conn = self._connection()
            try:
                with conn.transaction(), conn.cursor() as cursor:
                    if rows:
                        cursor.executemany(INSERT_EVENT, rows)
                        self._name(conn, sorted({row[0] for row in rows if row[1] == 1}))
                    if audit_rows:
                        cursor.executemany(INSERT_AUDIT, audit_rows)
            except psycopg.Error as exc:
                if getattr(exc, "sqlstate", None) == GAP:
                    raise _ServerBehind() from None
                if getattr(exc, "sqlstate", None) not in SET_ASIDE:
                    if conn.broken or isinstance(exc, psycopg.OperationalError):
                        self.close()
                    raise translate(exc, self.params) from None
                message = (exc.diag.message_primary or str(exc)).removeprefix("kaproom: ")
                uid = next((m for m in _UID.findall(message) if any(e.session_uid == m for e in events)), None)
                if uid is None:  # the audit chain itself differs: nothing can be set aside
                    raise HistoryDiffers(message) from None
                refused[uid] = message
                continue  # the same batch again, without the refused session
            break
        return replace(
            position,
            event_id=events[-1].id if events else position.event_id,
            audit_seq=entries[-1].seq if entries else position.audit_seq,
            refused=tuple(sorted(refused.items())),
            last_sent_at=datetime.now(UTC).isoformat(timespec="seconds"))


@dataclass(frozen=True)
class SendStatus:
    """What the room shows, quietly: sent how long ago, or unreachable since when, how many waiting."""

    waiting: int = 0
    last_sent_at: str | None = None
    unreachable_since: str | None = None
    problem: str = ""
    refused: tuple[tuple[str, str], ...] = field(default=())


class SenderThread(threading.Thread):
    """Runs a :class:`Sender` in the background until :meth:`stop`. ``report`` receives a
    :class:`SendStatus` on this thread: hand it to the Qt main thread with a queued signal.

    ``receive`` (when given) brings what the clinic added for this computer: it runs on this thread
    once everything here is sent, right after the thread first catches up (at its start, and again
    after the server was unreachable), then every ``receive_every_s``. A server that is down while
    receiving is said as while sending, in the same status; nothing waits on it but this thread."""

    def __init__(self, sender: Sender, position: Position, save: Callable[[Position], None],
                 report: Callable[[SendStatus], None] = lambda s: None, look_every_s: float = LOOK_EVERY_S,
                 receive: Callable[[], object] | None = None, receive_every_s: float = RECEIVE_EVERY_S,
                 reload: Callable[[], Position] | None = None, quiet_s: float = QUIET_S) -> None:
        super().__init__(name="kaproom-clinic-sender", daemon=True)
        self.quiet_s = quiet_s
        self.sender, self.position, self.save, self.report = sender, position, save, report
        self.look_every_s = look_every_s
        self.receive, self.receive_every_s = receive, receive_every_s
        self.reload = reload  # the position as saved (``clinic sync --retry-register`` may have changed it)
        #: time.monotonic() of the last receive that completed (None: not since the start or an outage).
        self.received_at: float | None = None
        self._wake = threading.Event()
        self._stopping = False
        self.status = SendStatus(last_sent_at=position.last_sent_at, refused=position.refused)

    def nudge(self) -> None:
        """Something was committed: look now rather than at the next tick."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping = True
        self._wake.set()
        self.join(timeout)

    def _saved(self, position: Position) -> None:
        self.position = position
        self.save(position)

    def _set(self, status: SendStatus) -> None:
        if status != self.status:
            self.status = status
            self.report(status)

    def run(self) -> None:
        failures, reconciled = 0, False
        try:
            while not self._stopping:
                pause = self.look_every_s
                try:
                    self._register_retried()
                    if not reconciled:
                        reconciled_position = self.sender.reconcile(self.position)
                        if reconciled_position.refused != self.position.refused:
                            self._saved(reconciled_position)  # refusals of sessions not sent from here dropped
                        self.position = reconciled_position
                        reconciled = True
                    if self.sender.waiting(self.position):
                        self.sender.send_pending(self.position, self._saved)
                    self._receive_when_due()
                    failures = 0
                    problem = (f"the stock register was refused: {self.position.register_refused}"
                               if self.position.register_refused else "")
                    self._set(SendStatus(0, self.position.last_sent_at, None, problem, self.position.refused))
                except ClinicUnreachable as exc:
                    reconciled = False  # the server may come back from a backup
                    self.received_at = None  # receive again as soon as it is back and caught up
                    pause = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
                    failures += 1
                    since = self.status.unreachable_since or datetime.now(UTC).isoformat(timespec="seconds")
                    self._set(SendStatus(self._waiting_quietly(), self.position.last_sent_at, since, str(exc),
                                         self.position.refused))
                except ClinicError as exc:  # refused (password, role, a differing audit log): said, retried slowly
                    pause = BACKOFF_S[-1]
                    self._set(SendStatus(self._waiting_quietly(), self.position.last_sent_at, None, str(exc),
                                         self.position.refused))
                except Exception as exc:  # noqa: BLE001 - a failure to read the local file: said, retried
                    pause = BACKOFF_S[-1]
                    self._set(replace(self.status, problem=f"could not read the record to send: {exc}"))
                if self._wake.wait(pause):
                    self._quiet_moment()
                self._wake.clear()
            if failures == 0 and reconciled:  # quitting: what the last quiet moment held back goes now
                self._send_last()
        finally:
            self.sender.close()

    def _send_last(self) -> None:
        try:
            if self.sender.waiting(self.position):
                self.sender.send_pending(self.position, self._saved)
        except Exception:  # noqa: BLE001 - sent at the next start: nothing is lost
            pass

    def _quiet_moment(self) -> None:
        """Woken by a commit: wait until no other commit came for ``quiet_s`` (at most MOST_WAIT_S),
        so that a burst of notes is committed first and sent in one go after it."""
        deadline = time.monotonic() + MOST_WAIT_S
        while not self._stopping:
            self._wake.clear()
            left = deadline - time.monotonic()
            if left <= 0 or not self._wake.wait(min(self.quiet_s, left)):
                return

    def _register_retried(self) -> None:
        """A register this thread holds as refused that ``clinic sync --retry-register`` sent again
        meanwhile (the saved position no longer says refused): this thread goes on from there,
        rather than marking it refused again at its next save."""
        if not self.position.register_refused or self.reload is None:
            return
        saved = self.reload()
        if not saved.register_refused:
            self.position = replace(self.position, register_refused="", register_seq=saved.register_seq)

    def _receive_when_due(self) -> None:
        """Receive what the clinic added, when it is time (the backlog, if any, was sent first)."""
        if self.receive is None:
            return
        if self.received_at is not None and time.monotonic() - self.received_at < self.receive_every_s:
            return
        self.receive()
        self.received_at = time.monotonic()

    def _waiting_quietly(self) -> int:
        try:
            return self.sender.waiting(self.position)
        except Exception:  # noqa: BLE001 - the count is only for the status line
            return self.status.waiting
