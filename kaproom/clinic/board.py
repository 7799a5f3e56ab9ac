"""What the live board shows, and the feed that keeps it fresh.

The server's insert trigger sends ``NOTIFY kaproom_board, '<session uid>'`` with every event it
accepts; the feed LISTENs and reads the board again when one arrives (and every few seconds, for
the clocks and whether each room is still connected). No tight poll.

The board shows state, never notes: room, therapist, client code, phase and time in it, time
since the dose, the last vitals with their statuses, when the next vitals check is due (overdue
or not), the urgent alerts nobody has acknowledged, and whether the room's computer is connected.

The next check and the open alerts are worked out from the session's own events with the rules
the room uses (:func:`kaproom.domain.vitals_schedule.due_for_session`,
:func:`kaproom.domain.vitals.acknowledged_alerts`), never with a second rule of the board's own.
Each session's events are read once: a :class:`Folds` keeps them and asks the server only for
those that arrived since.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from kaproom.clinic.errors import ClinicError
from kaproom.clinic.reader import stored_event
from kaproom.clinic.schema import BOARD_CHANNEL
from kaproom.clinic.server import connect
from kaproom.domain.events import Kind, RecordedEvent
from kaproom.domain.protocol import Protocol, builtin_protocol, parse_protocol
from kaproom.domain.protocol_error import ProtocolError
from kaproom.domain.session import SessionState, UnreadableHistory
from kaproom.domain.vitals import acknowledged_alerts
from kaproom.domain.vitals_schedule import VitalsDue, due_for_session

#: Re-read at least this often without a notification (clocks move; rooms disconnect).
REFRESH_S = 5.0
VITAL_FIELDS = ("systolic", "diastolic", "pulse", "spo2", "respiratory_rate", "temperature", "moaas")

BOARD_SQL = """
SELECT s.uid, s.room, s.therapist, s.client_code, s.state, s.current_phase, s.phase_since, s.started_at,
       s.created_at, s.dose_at_session_time, s.last_session_time, s.last_wall_time, s.last_vitals,
       s.last_vitals_at, s.demo, s.last_seq,
       EXISTS (SELECT FROM pg_stat_activity p JOIN kaproom.computers c ON c.db_role = p.usename
                WHERE c.name = s.room) AS reachable
  FROM kaproom.sessions s
 WHERE COALESCE(s.started_at, s.created_at) >= %s
 ORDER BY s.room, COALESCE(s.started_at, s.created_at) DESC
"""

#: The kinds a session's state, its vitals schedule and its open alerts are folded from.
WATCHED_KINDS = (Kind.SESSION_CREATED, Kind.SESSION_STARTED, Kind.PHASE_CHANGED, Kind.PHASE_EXTENDED,
                 Kind.AMENDMENT, Kind.DOSE, Kind.SESSION_ENDED, Kind.VITALS, Kind.ALERT, Kind.ALERT_ACK)
EVENTS_SINCE_SQL = """
SELECT e.id, e.session_uid, e.seq, e.wall_time, e.session_time, e.author, e.phase, e.kind, e.payload,
       e.prev_hash, e.hash
  FROM kaproom.events e JOIN unnest(%s::text[], %s::int[]) AS k(uid, after)
    ON e.session_uid = k.uid AND e.seq > k.after
 WHERE e.kind = ANY(%s)
 ORDER BY e.session_uid, e.seq
"""


@dataclass
class Fold:
    """One session's watched events, as far as the server had them (``seq``)."""

    seq: int = 0
    events: list[RecordedEvent] = field(default_factory=list)
    protocol: Protocol | None = None


@dataclass(frozen=True)
class OpenAlert:
    """An urgent alert the room has not acknowledged."""

    vital: str
    value: Any
    reason: str
    wall_time: str


@dataclass(frozen=True)
class Watch:
    """What the board adds from a session's events: its next check and its open urgent alerts."""

    due: VitalsDue | None
    open_urgent: list[OpenAlert]


def protocol_of(events: list[RecordedEvent]) -> Protocol | None:
    """The protocol as the session was created with it (kept in its first event)."""
    first = next((e for e in events if e.kind == Kind.SESSION_CREATED), None)
    if first is None:
        return None
    protocol = first.payload.get("protocol")
    protocol = protocol if isinstance(protocol, dict) else {}
    try:
        if protocol.get("text"):
            return parse_protocol(str(protocol["text"]), "the session's protocol")
        return builtin_protocol(str(protocol.get("id") or "lozenge-3h"))
    except (ProtocolError, OSError):
        return None


def open_urgent_alerts(events: list[RecordedEvent]) -> list[OpenAlert]:
    """Urgent alerts no ``alert_ack`` covers (the room's rule: only cautions give way by themselves)."""
    acked = {seq for e in events if e.kind == Kind.ALERT_ACK for seq in acknowledged_alerts(e.payload)}
    return [OpenAlert(str(e.payload.get("field", "")), e.payload.get("value"), str(e.payload.get("reason", "")),
                      e.wall_time)
            for e in events if e.kind == Kind.ALERT and e.payload.get("level") == "urgent" and e.seq not in acked]


def session_time_now(events: list[RecordedEvent], last_session_time: float, last_wall: datetime | None,
                     now: datetime) -> float:
    """The room's session clock now, estimated from the last event the server holds (a room's
    clock runs at the speed its session started with: a demo may run faster)."""
    if last_wall is None:
        return float(last_session_time)
    started = next((e for e in events if e.kind == Kind.SESSION_STARTED), None)
    speed = started.payload.get("clock_speed", 1.0) if started else 1.0
    speed = float(speed) if isinstance(speed, (int, float)) and not isinstance(speed, bool) and speed > 0 else 1.0
    return float(last_session_time) + max(0.0, (now - last_wall).total_seconds()) * speed


def watch(fold: Fold, session_time: float) -> Watch:
    """The next vitals check (by the room's own schedule rule) and the open urgent alerts."""
    due = None
    if fold.protocol is not None:
        try:
            state = SessionState.replay(fold.protocol, fold.events)
        except UnreadableHistory:  # a history the room itself could not fold: no due time
            state = None
        if state is not None and state.state.is_open:
            due = due_for_session(fold.protocol, state, session_time, fold.events)
    return Watch(due, open_urgent_alerts(fold.events))


class Folds:
    """Every watched session's events, kept between readings of the board: each reading asks the
    server only for the events that arrived since the last."""

    def __init__(self) -> None:
        self.by_uid: dict[str, Fold] = {}

    def update(self, conn: psycopg.Connection[Any], heads: dict[str, int]) -> None:
        """Bring the folds of these sessions (uid -> the server's last seq) up to date."""
        self.by_uid = {uid: self.by_uid.get(uid) or Fold() for uid in heads}
        behind = [uid for uid, seq in heads.items() if self.by_uid[uid].seq < seq]
        if not behind:
            return
        rows = conn.execute(EVENTS_SINCE_SQL, (behind, [self.by_uid[uid].seq for uid in behind],
                                               list(WATCHED_KINDS))).fetchall()
        for row in rows:
            event = stored_event(row)
            fold = self.by_uid[event.session_uid]
            fold.events.append(event)
        for uid in behind:
            fold = self.by_uid[uid]
            fold.seq = heads[uid]
            if fold.protocol is None:
                fold.protocol = protocol_of(fold.events)


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
    #: The next vitals check, by the room's schedule: "Vitals (40 min after dose) overdue 3 min".
    vitals_due: str = ""
    vitals_due_kind: str = ""  # baseline | after_dose | repeat | recheck | none
    vitals_due_level: str = ""  # ok | soon | overdue ("" once the session has ended)
    vitals_due_in_seconds: float | None = None  # negative: overdue by that much
    #: The urgent alerts not acknowledged in the room, oldest first: {field, value, reason, wall_time}.
    urgent_alerts: tuple[dict[str, Any], ...] = ()
    urgent_minutes_ago: float | None = None  # the oldest open one

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


def board_rows(conn: psycopg.Connection[Any], now: datetime, day_start: datetime | None = None,
               folds: Folds | None = None) -> list[BoardRow]:
    """Every session of the day (since local midnight), one row each, newest first per room.
    ``folds`` keeps the sessions' events between calls (a new one is made when none is given)."""
    start = day_start or now.astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
    rows = conn.execute(BOARD_SQL, (start.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),))
    fetched = rows.fetchall()
    folds = folds if folds is not None else Folds()
    folds.update(conn, {row[0]: int(row[15]) for row in fetched})
    found = []
    for (uid, room, therapist, client, state, phase, phase_since, _started, _created, dose_at, last_time,
         last_wall, vitals_text, vitals_at, demo, _last_seq, reachable) in fetched:
        since_phase = _parse_time(phase_since)
        last = _parse_time(last_wall)
        open_now = state in ("created", "running")
        fold = folds.by_uid[uid]
        seen = watch(fold, session_time_now(fold.events, float(last_time), last, now) if open_now
                     else float(last_time))
        due = seen.due
        oldest = _parse_time(seen.open_urgent[0].wall_time) if seen.open_urgent else None
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
            open_urgent_alerts=len(seen.open_urgent), reachable=bool(reachable), demo=bool(demo),
            vitals_due=due.text if due else "", vitals_due_kind=due.kind if due else "",
            vitals_due_level=due.level if due else "", vitals_due_in_seconds=due.seconds_left if due else None,
            urgent_alerts=tuple({"field": a.vital, "value": a.value, "reason": a.reason, "wall_time": a.wall_time}
                                for a in seen.open_urgent),
            urgent_minutes_ago=max(0.0, (now - oldest).total_seconds() / 60) if oldest else None))
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
                    folds = Folds()
                    while not self._stopping.is_set():
                        self.on_rows(board_rows(conn, self.now(), folds=folds))
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
