"""Reading the record from the clinic server: the session list (paged on the server), chains to
verify, and what the live board shows.

Session rows come back as plain dicts with the columns of the room's sessions index
(:class:`kaproom.store.SessionRow`), so the same screens and commands read either.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg.rows import dict_row

from kaproom.domain.events import ChainReport, RecordedEvent, verify_chain
from kaproom.domain.register import REGISTER_CHAIN, verify_register

SESSION_COLUMNS = ("id", "uid", "created_at", "protocol_id", "protocol_name", "client_code", "therapist", "room",
                   "demo", "origin", "state", "current_phase", "started_at", "ended_at", "duration_seconds",
                   "end_reason", "cautions", "urgents", "music_errors", "amendments", "amended_after_signoff",
                   "signed_at", "signed_by", "last_seq", "last_hash", "dose_time")
EVENT_COLUMNS = "id, session_uid, seq, wall_time, session_time, author, phase, kind, payload, prev_hash, hash"
PAGE = 200


def list_sessions(conn: psycopg.Connection[Any], limit: int | None = PAGE, offset: int = 0,
                  since: str | None = None) -> list[dict[str, Any]]:
    """One page of the clinic's sessions, newest first (an index serves the order: quick at 100,000)."""
    sql = f"SELECT {', '.join(SESSION_COLUMNS)} FROM kaproom.sessions"
    params: list[Any] = []
    if since is not None:
        sql += " WHERE COALESCE(started_at, created_at) >= %s"
        params.append(since)
    sql += " ORDER BY COALESCE(started_at, created_at) DESC, id DESC"
    if limit is not None:
        sql += " LIMIT %s OFFSET %s"
        params += [int(limit), max(0, int(offset))]
    with conn.cursor(row_factory=dict_row) as cursor:
        return list(cursor.execute(sql, params).fetchall())


def count_sessions(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT count(*) FROM kaproom.sessions").fetchone()
    return int(row[0]) if row else 0


def stored_event(row: tuple[Any, ...] | Any) -> RecordedEvent:
    """An event as read from the server (a payload that is not JSON is kept, as the store keeps it)."""
    id_, uid, seq, wall, stime, author, phase, kind, payload, prev, digest = row
    try:
        decoded = json.loads(payload)
    except ValueError:
        decoded = None
    if not isinstance(decoded, dict):
        decoded = {"unreadable_payload": str(payload)}
        payload = None
    return RecordedEvent.from_stored(id_, uid, seq, wall, stime, author, phase, kind, decoded, prev, digest, payload)


def session_events(conn: psycopg.Connection[Any], uid: str) -> list[RecordedEvent]:
    rows = conn.execute(f"SELECT {EVENT_COLUMNS} FROM kaproom.events WHERE session_uid = %s ORDER BY seq",
                        (uid,)).fetchall()
    return [stored_event(row) for row in rows]


def verify_sessions(conn: psycopg.Connection[Any]) -> Iterator[ChainReport]:
    """Every session chain on the server, checked as ``kaproom verify`` checks the room's, and that
    no event is missing from its end (the server's own head for it)."""
    heads = conn.execute("SELECT uid, id, room, last_seq, last_hash FROM kaproom.sessions ORDER BY id").fetchall()
    for uid, number, room, last_seq, last_hash in heads:
        events = session_events(conn, uid)
        label = f"clinic session {number} ({uid[:8]}, {room})"
        report = verify_chain(label, events)
        if report.intact and (len(events) != last_seq or (events and events[-1].hash != last_hash)):
            report = ChainReport(label, len(events), len(events) + 1, None,
                                 f"the server's log ends at event {len(events)} but {last_seq} arrived "
                                 "(events were removed from its end)")
        yield report


def verify_entry_chains(conn: psycopg.Connection[Any]) -> Iterator[ChainReport]:
    """The office chains and every computer's audit chain on the server."""
    for table, chain_of, author, session_time in (("office_events", "'office:' || computer", "author", "0.0"),
                                                  ("audit", "'audit'", "actor", "0.0")):
        computers = [r[0] for r in conn.execute(f"SELECT DISTINCT computer FROM kaproom.{table} ORDER BY 1")]
        for computer in computers:
            rows = conn.execute(
                f"SELECT id, {chain_of}, seq, wall_time, {session_time}, {author}, '', kind, payload, prev_hash, hash"
                f" FROM kaproom.{table} WHERE computer = %s ORDER BY seq", (computer,)).fetchall()
            label = f"{'office chain' if table == 'office_events' else 'audit log'} of {computer} on the clinic server"
            yield verify_chain(label, [stored_event(row) for row in rows])


def heads_of_room(conn: psycopg.Connection[Any], room: str) -> dict[str, tuple[int, str]]:
    """What the server holds of one room's sessions: uid -> (last seq, last hash)."""
    rows = conn.execute("SELECT uid, last_seq, last_hash FROM kaproom.sessions WHERE room = %s", (room,)).fetchall()
    return {str(uid): (int(seq), str(digest)) for uid, seq, digest in rows}


def audit_head_of(conn: psycopg.Connection[Any], computer: str) -> tuple[int, str] | None:
    """The last entry the server holds of one computer's audit log: (seq, hash), or None."""
    row = conn.execute("SELECT seq, hash FROM kaproom.audit WHERE computer = %s ORDER BY seq DESC LIMIT 1",
                       (computer,)).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def office_heads(conn: psycopg.Connection[Any], held: dict[str, int]) -> dict[str, tuple[int, str | None]]:
    """Each office chain's head on the server (its last seq) and the hash of its entry at the seq
    given (the last one another computer holds of it; None when the server has no such entry)."""
    found: dict[str, tuple[int, str | None]] = {}
    for computer, seq in held.items():
        head = conn.execute("SELECT last_seq FROM kaproom.chain_heads WHERE chain = %s",
                            (f"office:{computer}",)).fetchone()
        entry = conn.execute("SELECT hash FROM kaproom.office_events WHERE computer = %s AND seq = %s",
                             (computer, seq)).fetchone()
        found[computer] = (int(head[0]) if head else 0, str(entry[0]) if entry else None)
    return found


def event_hash_at(conn: psycopg.Connection[Any], uid: str, seq: int) -> str | None:
    row = conn.execute("SELECT hash FROM kaproom.events WHERE session_uid = %s AND seq = %s", (uid, seq)).fetchone()
    return str(row[0]) if row else None


def register_computers(conn: psycopg.Connection[Any]) -> list[str]:
    """The computers whose stock register the server holds a copy of (by the chain heads, so a copy
    whose lines were all removed on the server is still listed, and reported)."""
    rows = conn.execute("SELECT substr(chain, 10) FROM kaproom.chain_heads WHERE chain LIKE 'register:%'"
                        " UNION SELECT computer FROM kaproom.register_events ORDER BY 1").fetchall()
    return [str(row[0]) for row in rows]


def register_head_of(conn: psycopg.Connection[Any], computer: str) -> tuple[int, str] | None:
    """The last line the server holds of one computer's stock register: (seq, hash), or None."""
    row = conn.execute("SELECT last_seq, last_hash FROM kaproom.chain_heads WHERE chain = %s",
                       (f"register:{computer}",)).fetchone()
    return (int(row[0]), str(row[1])) if row and int(row[0]) > 0 else None


def register_copy(conn: psycopg.Connection[Any], computer: str) -> tuple[list[RecordedEvent], ChainReport]:
    """One computer's stock register as the server holds it, and its check as read: every line's
    hash and link (chain ``register``, as the computer's own verify checks it), the lot column
    against the hashed line, and no line missing from its end (the server's head for it)."""
    rows = conn.execute("SELECT id, %s, seq, wall_time, 0.0, actor, '', kind, payload, prev_hash, hash, lot"
                        " FROM kaproom.register_events WHERE computer = %s ORDER BY seq",
                        (REGISTER_CHAIN, computer)).fetchall()
    events = [stored_event(row[:11]) for row in rows]
    report = verify_register(f"stock register of {computer} on the clinic server", events,
                             [str(row[11]) for row in rows], register_head_of(conn, computer) or (0, ""),
                             holder="the server's copy", arrived="arrived", changed="changed on the server")
    return events, report


def verify_registers(conn: psycopg.Connection[Any]) -> Iterator[ChainReport]:
    """Every computer's stock register on the server, checked."""
    for computer in register_computers(conn):
        yield register_copy(conn, computer)[1]
