"""Storing events that arrive from another computer exactly as they were recorded there.

An imported event keeps its original seq, times, author and hashes, so both computers hold the
same chain and either can prove it. The caller (``kaproom.export.importer``) has already
verified the chain; here each write re-checks, inside the transaction, that the new events link
to what this database holds, so two imports running at once cannot interleave.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence

from kaproom.domain.events import GENESIS, RecordedEvent, canonical_json
from kaproom.store.errors import StoreError
from kaproom.store.store import Store


class ChainMismatch(StoreError):
    """Events that do not continue this database's copy of the session."""


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
                         origin: str) -> None:
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


def append_imported_events(store: Store, uid: str, events: Sequence[RecordedEvent]) -> None:
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
