"""What a copy elsewhere (the clinic server) is sent: committed events, in commit order.

The reader has its own read-only SQLite connection, never the store's: the room writes on its
connection inside transactions, and a reader sharing it could see, and send, an event that is
then rolled back. Through its own connection it sees committed rows only (WAL readers never
block the writer, so sending never delays Enter).

Events are read by their row id, which grows with every commit (rows are never deleted), so
"every event after id N" is the backlog whatever the sessions.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from kaproom.domain.events import RecordedEvent
from kaproom.domain.register import REGISTER_CHAIN
from kaproom.store.accounts import AUDIT_CHAIN, AUDIT_COLUMNS
from kaproom.store.errors import StoreError, translate
from kaproom.store.rows import EVENT_COLUMNS, event_from_row

#: The read-only reader waits this long for the writer's checkpoint, at most.
BUSY_TIMEOUT_S = 2.0


class Outbox:
    """Committed events and audit entries of one database, read-only, from any thread."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self._conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False,
                                         timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise translate(exc, str(self.path), "read the record to send") from None

    def close(self) -> None:
        self._conn.close()

    def _rows(self, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise translate(exc, str(self.path), "read the record to send") from None

    def events_after(self, event_id: int, limit: int = 500) -> list[RecordedEvent]:
        """Committed session events with a row id above ``event_id``, oldest first."""
        rows = self._rows(f"SELECT {EVENT_COLUMNS} FROM events WHERE id > ? ORDER BY id LIMIT ?", (event_id, limit))
        return [event_from_row(row) for row in rows]

    def last_event_id(self) -> int:
        return _int(self._rows("SELECT coalesce(max(id), 0) FROM events", ())[0][0])

    def count_events_after(self, event_id: int) -> int:
        return _int(self._rows("SELECT count(*) FROM events WHERE id > ?", (event_id,))[0][0])

    def count_local_events_after(self, event_id: int) -> int:
        """Committed events after ``event_id`` of the sessions recorded here (not imported)."""
        return _int(self._rows("SELECT count(*) FROM events e JOIN sessions s ON s.uid = e.session_uid"
                               " WHERE e.id > ? AND s.origin = 'local'", (event_id,))[0][0])

    def session_origins(self) -> dict[str, int]:
        """How many sessions this record holds by origin ('local': recorded here; else the room
        an imported session came from)."""
        return {str(origin): _int(n) for origin, n in self._rows("SELECT origin, count(*) FROM sessions"
                                                                 " GROUP BY origin", ())}

    def audit_after(self, seq: int, limit: int = 500) -> list[RecordedEvent]:
        """This computer's audit entries after ``seq``, oldest first."""
        rows = self._rows(f"SELECT {AUDIT_COLUMNS} FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit))
        entries = []
        for id_, entry_seq, wall, actor, kind, payload, prev, digest in rows:
            try:
                decoded = json.loads(str(payload))
            except ValueError:
                decoded = {"unreadable_payload": str(payload)}
            entries.append(RecordedEvent(kind=str(kind), payload=decoded, session_time=0.0, wall_time=str(wall),
                                         author=str(actor), phase="", id=int(id_),
                                         session_uid=AUDIT_CHAIN, seq=int(entry_seq),
                                         prev_hash=str(prev), hash=str(digest)))
        return entries

    def session_names(self, uids: list[str]) -> dict[str, tuple[int, str]]:
        """What this computer calls these sessions: uid -> (its number here, its origin)."""
        found: dict[str, tuple[int, str]] = {}
        for start in range(0, len(uids), 500):
            part = uids[start:start + 500]
            marks = ",".join("?" * len(part))
            for uid, number, origin in self._rows(f"SELECT uid, id, origin FROM sessions WHERE uid IN ({marks})",
                                                  tuple(part)):
                found[str(uid)] = (_int(number), str(origin))
        return found

    def count_audit_after(self, seq: int) -> int:
        return _int(self._rows("SELECT count(*) FROM audit WHERE seq > ?", (seq,))[0][0])

    def _has_register(self) -> bool:
        """Whether the record has a stock register table (a record from before it has none)."""
        return bool(self._rows("SELECT 1 FROM sqlite_master WHERE type='table' AND name='register'", ()))

    def register_after(self, seq: int, limit: int = 500) -> list[RecordedEvent]:
        """This computer's stock register lines after ``seq``, oldest first, each with the payload
        text its hash covers (chain ``register``); ``lot`` is in the payload, as the hash has it."""
        if not self._has_register():
            return []
        rows = self._rows("SELECT id, seq, wall_time, actor, kind, payload, prev_hash, hash FROM register"
                          " WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit))
        lines = []
        for id_, line_seq, wall, actor, kind, payload, prev, digest in rows:
            try:
                decoded = json.loads(str(payload))
            except ValueError:
                decoded = None
            if not isinstance(decoded, dict):
                decoded = {"unreadable_payload": str(payload)}
            lines.append(RecordedEvent.from_stored(int(id_), REGISTER_CHAIN, int(line_seq), str(wall), 0.0,
                                                   str(actor), "", str(kind), decoded, str(prev), str(digest),
                                                   str(payload)))
        return lines

    def count_register_after(self, seq: int) -> int:
        if not self._has_register():
            return 0
        return _int(self._rows("SELECT count(*) FROM register WHERE seq > ?", (seq,))[0][0])


def _int(value: Any) -> int:
    return int(value)


__all__ = ["Outbox", "StoreError"]
