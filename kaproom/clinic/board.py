"""What the live board shows, and the feed that keeps it fresh.

The server's insert trigger sends ``NOTIFY kaproom_board, '<session uid>'`` with every event it
accepts; the feed LISTENs and reads the board again when one arrives (and every few seconds, for
the clocks and whether each room is still connected). No tight poll.

The board shows state, never notes: room, therapist, client code, phase and time in it, time
since the dose, the last vitals with their statuses, open urgent alerts, and whether the room's
computer is connected now.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from kaproom.clinic.errors import ClinicError
from kaproom.clinic.schema import BOARD_CHANNEL
from kaproom.clinic.server import connect

#: Re-read at least this often without a notification (clocks move; rooms disconnect).
REFRESH_S = 5.0
VITAL_FIELDS = ("systolic", "diastolic", "pulse", "spo2", "respiratory_rate", "temperature", "moaas")

BOARD_SQL = """
SELECT s.uid, s.room, s.therapist, s.client_code, s.state, s.current_phase, s.phase_since, s.started_at,
       s.created_at, s.dose_at_session_time, s.last_session_time, s.last_wall_time, s.last_vitals,
       s.last_vitals_at, s.demo,
       (SELECT count(*) FROM kaproom.events a
         WHERE a.session_uid = s.uid AND a.kind = 'alert' AND a.payload::jsonb ->> 'level' = 'urgent'
           AND NOT EXISTS (SELECT FROM kaproom.events k WHERE k.session_uid = s.uid AND k.kind = 'alert_ack'
                             AND (k.payload::jsonb ->> 'alert_seq')::int = a.seq)) AS open_urgent,
       EXISTS (SELECT FROM pg_stat_activity p JOIN kaproom.computers c ON c.db_role = p.usename
                WHERE c.name = s.room) AS reachable
  FROM kaproom.sessions s
 WHERE COALESCE(s.started_at, s.created_at) >= %s
 ORDER BY s.room, COALESCE(s.started_at, s.created_at) DESC
"""


@dataclass(frozen=True)
class BoardRow:
    session_uid: str
    room: str
    therapist: str
    client_code: str
    state: str
    phase: str
    seconds_in_phase: float | None
    seconds_since_dose: float | None
    vitals: dict[str, Any]  # field -> value, as last taken
    vitals_status: dict[str, str]  # field -> ok | caution | urgent
    vitals_minutes_ago: float | None
    open_urgent_alerts: int
    reachable: bool
    demo: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def board_rows(conn: psycopg.Connection[Any], now: datetime, day_start: datetime | None = None) -> list[BoardRow]:
    """Every session of the day (since local midnight), one row each, newest first per room."""
    start = day_start or now.astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
    rows = conn.execute(BOARD_SQL, (start.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),))
    found = []
    for (uid, room, therapist, client, state, phase, phase_since, _started, _created, dose_at, last_time,
         last_wall, vitals_text, vitals_at, demo, open_urgent, reachable) in rows.fetchall():
        since_phase = _parse_time(phase_since)
        last = _parse_time(last_wall)
        open_now = state in ("created", "running")
        seconds_since_dose = None
        if dose_at is not None and last is not None:
            dose_wall = last - timedelta(seconds=float(last_time) - float(dose_at))
            end = now if open_now else last
            seconds_since_dose = max(0.0, (end - dose_wall).total_seconds())
        vitals: dict[str, Any] = {}
        statuses: dict[str, str] = {}
        if vitals_text:
            try:
                payload = json.loads(vitals_text)
            except ValueError:
                payload = {}
            vitals = {name: payload.get(name) for name in VITAL_FIELDS if payload.get(name) is not None}
            raw = payload.get("statuses") or {}
            statuses = {name: str(value.get("level", "")) for name, value in raw.items() if isinstance(value, dict)}
        taken = _parse_time(vitals_at)
        found.append(BoardRow(
            session_uid=uid, room=room, therapist=therapist, client_code=client, state=state, phase=phase,
            seconds_in_phase=max(0.0, (now - since_phase).total_seconds()) if since_phase and open_now else None,
            seconds_since_dose=seconds_since_dose, vitals=vitals, vitals_status=statuses,
            vitals_minutes_ago=max(0.0, (now - taken).total_seconds() / 60) if taken else None,
            open_urgent_alerts=int(open_urgent), reachable=bool(reachable), demo=bool(demo)))
    return found


class BoardFeed(threading.Thread):
    """LISTENs for the rooms' events and hands fresh rows to ``on_rows`` (on this thread: the
    board's window passes them to the Qt main thread with a queued signal)."""

    def __init__(self, params: dict[str, Any], on_rows: Callable[[list[BoardRow]], None],
                 on_problem: Callable[[str], None] = lambda m: None,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC), refresh_s: float = REFRESH_S) -> None:
        super().__init__(name="kaproom-board-feed", daemon=True)
        self.params, self.on_rows, self.on_problem = params, on_rows, on_problem
        self.now, self.refresh_s = now, refresh_s
        self._stopping = threading.Event()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self.join(timeout)

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                with connect(self.params, autocommit=True) as conn:
                    conn.execute(f"LISTEN {BOARD_CHANNEL}")
                    while not self._stopping.is_set():
                        self.on_rows(board_rows(conn, self.now()))
                        self._wait_for_news(conn)
            except (ClinicError, psycopg.Error) as exc:
                if not self._stopping.is_set():
                    self.on_problem(f"clinic server unreachable: {str(exc).splitlines()[0] if str(exc) else exc}")
                self._stopping.wait(2.0)

    def _wait_for_news(self, conn: psycopg.Connection[Any]) -> None:
        """Until a room's event is notified, or the refresh time passes (in short waits, so that
        :meth:`stop` is quick)."""
        waited = 0.0
        while not self._stopping.is_set() and waited < self.refresh_s:
            if list(conn.notifies(timeout=0.5, stop_after=1)):
                return
            waited += 0.5
