"""Helpers for the review tests: sessions with chosen therapists, days, alerts and endings."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from kaproom.domain.events import Event, Kind, RecordedEvent
from kaproom.domain.protocol import Protocol
from kaproom.store import Store


def add_session(store: Store, protocol: Protocol, *, therapist: str = "Ana", room: str = "Room 1",
                client: str = "C-001", when: str = "2026-03-02T09:00:00.000Z", cautions: int = 0,
                urgents: int = 0, music_errors: int = 0, duration: float | None = 3600.0, demo: bool = False,
                outcome: str = "discharged", dose_at: float | None = None) -> str:
    """A session written straight through the store, with the counts the list shows."""
    uid = store.create_session(protocol, client, therapist, room, demo=demo, wall_time=when)
    store.append(uid, Event(Kind.SESSION_STARTED, {"protocol": protocol.id, "clock_speed": 1.0}, 0.0, when,
                            therapist, ""))
    first = protocol.phases[0]
    store.append(uid, Event(Kind.PHASE_CHANGED, {"index": 0, "to": first.id, "from": "", "how": "start",
                                                 "effective_time": 0.0, "planned_minutes": first.minutes},
                            0.0, when, therapist, first.id))
    for level, count in (("caution", cautions), ("urgent", urgents)):
        for _ in range(count):
            store.append(uid, Event(Kind.ALERT, {"level": level, "field": "systolic", "value": 170,
                                                 "reason": "systolic above range"}, 60.0, when, therapist, first.id))
    if dose_at is not None:
        store.append(uid, Event(Kind.DOSE, {"route": "lozenge", "effective_time": dose_at}, dose_at, when, therapist,
                                first.id))
    for _ in range(music_errors):
        store.append(uid, Event(Kind.MUSIC, {"action": "error", "message": "file missing"}, 90.0, when, therapist,
                                first.id))
    if duration is not None:
        store.append(uid, Event(Kind.SESSION_ENDED, {"outcome": outcome, "reason": "" if outcome == "discharged"
                                                     else "client asked to stop"}, duration, when, therapist,
                                first.id))
    return uid


def note(store: Store, uid: str, text: str, at: float = 120.0, when: str = "2026-03-02T09:02:00.000Z") -> RecordedEvent:
    return store.append(uid, Event(Kind.NOTE, {"text": text}, at, when, "Ana", "onset"))


def amend(store: Store, uid: str, target: RecordedEvent, text: str, at: float = 600.0,
          when: str = "2026-03-02T09:10:00.000Z") -> RecordedEvent:
    return store.append(uid, Event(Kind.AMENDMENT, {"amends_seq": target.seq, "amends_id": target.id,
                                                    "amends_kind": target.kind, "text": text}, at, when, "Ana",
                                   "onset"))


def tamper_payload(db_path: Path, uid: str, seq: int, new_payload: str) -> None:
    """What someone with a plain SQLite tool could do: drop the guard triggers and edit an event."""
    conn = sqlite3.connect(str(db_path))
    try:
        conn.execute("DROP TRIGGER IF EXISTS events_no_update")
        conn.execute("UPDATE events SET payload=? WHERE session_uid=? AND seq=?", (new_payload, uid, seq))
        conn.commit()
    finally:
        conn.close()
