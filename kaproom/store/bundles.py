"""Storing events that arrive from another computer exactly as they were recorded there.

An imported event keeps its original seq, times, author and hashes, so both computers hold the
same chain and either can prove it. The caller (``kaproom.export.importer``) has already
verified the chain; here each write re-checks, inside the transaction, that the new events link
to what this database holds, so two imports running at once cannot interleave. Each import also
notes, in the same transaction, which events it added and which computer signed them
(``imported_events``): their authors are shown as recorded there, never as a sign-in here.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kaproom.domain.events import GENESIS, RecordedEvent, canonical_json
from kaproom.store.errors import StoreError
from kaproom.store.store import Store


class ChainMismatch(StoreError):
    """Events that do not continue this database's copy of the session."""


@dataclass(frozen=True)
class Signed:
    """Who vouched for imported events: the computer whose key signed the bundle's head, the room
    the session comes from, and that signature (over the head at ``last_seq``)."""

    recorded_by: str  # the signing computer, as the bundle names it (the room itself, or an office)
    origin: str
    public_key: str
    signature: str


@dataclass(frozen=True)
class ImportedRange:
    """Events ``first_seq`` to ``last_seq`` of a session came in one bundle, signed by ``signed``."""

    session_uid: str
    first_seq: int
    last_seq: int
    signed: Signed


def _record_range(conn: sqlite3.Connection, events: Sequence[RecordedEvent], signed: Signed | None) -> None:
    if signed is None or not events:
        return
    conn.execute(
        "INSERT INTO imported_events (session_uid, first_seq, last_seq, recorded_by, origin, public_key, signature)"
        " VALUES (?,?,?,?,?,?,?)",
        (events[0].session_uid, events[0].seq, events[-1].seq, signed.recorded_by, signed.origin, signed.public_key,
         signed.signature))


def imported_ranges(store: Store, uid: str) -> list[ImportedRange]:
    """The events of ``uid`` that came from other computers' bundles, oldest first."""
    rows = store._read("SELECT session_uid, first_seq, last_seq, recorded_by, origin, public_key, signature "
                       "FROM imported_events WHERE session_uid=? ORDER BY first_seq, id", (uid,))
    return [ImportedRange(str(r[0]), int(r[1]), int(r[2]), Signed(str(r[3]), str(r[4]), str(r[5]), str(r[6])))
            for r in rows]


def recorded_by(store: Store, uid: str) -> dict[int, str]:
    """seq -> the computer that recorded it, for every event of ``uid`` that was imported."""
    found: dict[int, str] = {}
    for part in imported_ranges(store, uid):
        for seq in range(part.first_seq, part.last_seq + 1):
            found.setdefault(seq, part.signed.recorded_by)
    return found


def carried_signature(store: Store, uid: str, last_seq: int) -> Signed | None:
    """The signature that came with the event ``last_seq`` of ``uid`` when the bundle that brought
    it ended there (a re-export of what arrived, unchanged, carries it on); otherwise None."""
    found = [part for part in imported_ranges(store, uid) if part.last_seq == last_seq]
    return found[-1].signed if found else None


def _insert(store: Store, conn: sqlite3.Connection, events: Sequence[RecordedEvent]) -> None:
    for event in events:
        payload_text = canonical_json(dict(event.payload))  # as the store writes its own
        conn.execute(
            "INSERT INTO events (session_uid, seq, wall_time, session_time, author, phase, kind, payload,"
            " prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (event.session_uid, event.seq, event.wall_time, round(float(event.session_time), 3), event.author,
             event.phase, event.kind, payload_text, event.prev_hash, event.hash))
        store._update_index(conn, event)  # same counters and states as events recorded here


def add_imported_session(store: Store, header: Mapping[str, object], events: Sequence[RecordedEvent],
                         origin: str, signed: Signed | None = None) -> None:
    """Create the session row (marked with ``origin``) and insert its whole verified chain."""
    if not events or events[0].seq != 1 or events[0].prev_hash != GENESIS:
        raise ChainMismatch("an imported session must start at its first event")
    uid = events[0].session_uid
    with store._write("import the session") as conn:
        if conn.execute("SELECT 1 FROM sessions WHERE uid=?", (uid,)).fetchone():
            raise ChainMismatch(f"session {uid} is already here")
        conn.execute(
            "INSERT INTO sessions (uid, created_at, protocol_id, protocol_name, client_code, therapist, room,"
            " demo, origin) VALUES (?,?,?,?,?,?,?,?,?)",
            (uid, str(header["created_at"]), str(header["protocol_id"]), str(header["protocol_name"]),
             str(header["client_code"]), str(header["therapist"]), str(header["room"]), int(bool(header["demo"])),
             origin))
        _insert(store, conn, events)
        _record_range(conn, events, signed)


def append_imported_events(store: Store, uid: str, events: Sequence[RecordedEvent],
                           signed: Signed | None = None) -> None:
    """Add events that continue this database's chain of ``uid`` (they must link to its last hash)."""
    if not events:
        return
    with store._write("import the new events") as conn:
        row = conn.execute("SELECT last_seq, last_hash FROM sessions WHERE uid=?", (uid,)).fetchone()
        if row is None:
            raise ChainMismatch(f"session {uid} is not here")
        last_seq, last_hash = row[0], row[1] or GENESIS
        if events[0].seq != last_seq + 1 or events[0].prev_hash != last_hash:
            raise ChainMismatch(f"event {events[0].seq} does not follow event {last_seq} held here")
        _insert(store, conn, events)
        _record_range(conn, events, signed)
