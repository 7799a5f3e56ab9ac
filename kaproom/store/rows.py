"""Rows as read from the database: the sessions index line, and an event rebuilt from its row."""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from kaproom.domain.events import RecordedEvent

#: A value as SQLite stores it, and a query parameter as the store passes it.
SQLValue = int | float | str | bytes | None
#: A row as sqlite3 returns it: each column holds what the schema says it holds.
Row = tuple[Any, ...]


@dataclass(frozen=True)
class SessionRow:
    """One line of the sessions index."""

    id: int
    uid: str
    created_at: str
    protocol_id: str
    protocol_name: str
    client_code: str
    therapist: str
    room: str
    demo: int
    origin: str
    state: str
    current_phase: str
    started_at: str | None
    ended_at: str | None
    duration_seconds: float | None
    end_reason: str
    cautions: int
    urgents: int
    music_errors: int
    amendments: int
    amended_after_signoff: int
    signed_at: str | None
    signed_by: str | None
    last_seq: int
    last_hash: str
    dose_time: float | None = None  # session seconds; None until a dose is recorded

    @property
    def is_open(self) -> bool:
        return self.state in ("created", "running")

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> SessionRow:
        return cls(**{f.name: row[f.name] for f in fields(cls)})


_decode_json = json.JSONDecoder().decode  # json.loads without its per-call checks: run once per event read


def event_from_row(row: sqlite3.Row | Row) -> RecordedEvent:
    (id_, uid, seq, wall, stime, author, phase, kind, payload, prev, digest) = row
    try:
        decoded = _decode_json(payload)
    except (TypeError, ValueError):
        decoded = None
    if type(decoded) is not dict:
        return unreadable_event(row)
    return RecordedEvent.from_stored(id_, uid, seq, wall, stime, author, phase, kind, decoded, prev, digest, payload)


def unreadable_event(row: sqlite3.Row | Row) -> RecordedEvent:
    """A payload that is not a JSON object (edited behind the app's back): the record still opens
    and shows what is there; the chain check recomputes this event's hash over the marker, so
    verification names it as broken however it was edited."""
    (id_, uid, seq, wall, stime, author, phase, kind, payload, prev, digest) = row
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)
    return RecordedEvent.from_stored(id_, uid, seq, wall, stime, author, phase, kind, {"unreadable_payload": text},
                                     prev, digest, None)


EVENT_COLUMNS = "id, session_uid, seq, wall_time, session_time, author, phase, kind, payload, prev_hash, hash"
