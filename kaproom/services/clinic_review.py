"""Reading the clinic server's copies for a review on an office computer: the session list (filtered,
sorted and paged on the server, as the local list is in SQLite), and one session's chain, verified.

The copies are read-only: the record is the room's. A session opened from the server is its
events as the room sent them, checked here link by link and against the head the server holds;
its index line is worked out from those events (:func:`kaproom.store.index_check.index_from_events`),
never taken from the server's own columns, so the review shows what the hashed events say.

What the events do not say, the room told the server when it sent the session: its number in the
room and its origin. A report made here therefore reads, byte for byte, as the room's own.

Every call has the connection's short connect timeout (:data:`kaproom.clinic.server.CONNECT_TIMEOUT_S`):
a server that is down is a :class:`kaproom.clinic.errors.ClinicUnreachable` in seconds.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from kaproom.clinic import reader
from kaproom.clinic.errors import ClinicError
from kaproom.clinic.server import KeptConnection, translate
from kaproom.domain.events import GENESIS, ChainReport, RecordedEvent, canonical_json, event_hash_of_text
from kaproom.services.clinic_sync import ClinicConfig, required_config
from kaproom.services.office_actions import OFFICE_CHAIN_PREFIX, OfficeAction, office_action
from kaproom.store import NotFound, SessionRow, Store
from kaproom.store.index_check import index_from_events
from kaproom.store.queries import (
    DEFAULT_SORT,
    ListSQL,
    ListTotals,
    SessionFilter,
    order_clause,
    too_soon_condition,
    where_clause,
)

#: The list's columns: the server's, with the room's origin for the session (local, or imported there).
LIST_COLUMNS = ", ".join("COALESCE(origin_in_room, 'local') AS origin" if f.name == "origin" else f.name
                         for f in fields(SessionRow))


NO_FILTER = SessionFilter()
#: The list's conditions and order in PostgreSQL's words (:func:`kaproom.store.queries.where_clause`
#: and :func:`~kaproom.store.queries.order_clause` say which).
#: A dose's payload is read as JSON only once its kind says it is a dose (CASE); the events_kind index
#: serves the event conditions.
POSTGRESQL = ListSQL(
    mark="%s",
    everything="TRUE",
    same_text="lower({}) = lower(%s)",
    contains_text="strpos(lower({}), lower(%s)) > 0",
    pattern=str,
    has_event="EXISTS (SELECT FROM kaproom.events e WHERE e.session_uid = kaproom.sessions.uid AND {})",
    second_dose="kind = 'dose' AND CASE WHEN kind = 'dose' THEN (payload::jsonb -> 'number') >= '2'::jsonb"
                " ELSE false END",
    minutes="({})::float8",
    text_order="lower({})",
)


@dataclass(frozen=True)
class ServerSession:
    """One session read from the clinic server: its index line (from its events), its events, and
    how its chain verified (links, hashes, and the head the server holds)."""

    row: SessionRow
    events: list[RecordedEvent]
    chain: ChainReport
    room: str  # the computer that sent it


class ClinicReader:
    """An office computer's reading of the clinic server. One connection, opened when first needed
    and opened again when it broke (the server restarted); closed with :meth:`close`."""

    def __init__(self, config: ClinicConfig) -> None:
        self.config = config
        self.params = config.params()
        self._kept = KeptConnection(self.params, autocommit=True)

    @classmethod
    def of(cls, folder: Path) -> ClinicReader:
        return cls(required_config(folder))

    @property
    def server(self) -> str:
        return self.config.server

    def close(self) -> None:
        self._kept.close()

    def __enter__(self) -> ClinicReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rows(self, sql: str, params: list[Any] | tuple[Any, ...] = (), *, as_dicts: bool = False) -> list[Any]:
        for attempt in (1, 2):
            conn = self._kept.get()
            try:
                with conn.cursor(row_factory=dict_row) if as_dicts else conn.cursor() as cursor:
                    return list(cursor.execute(sql, params).fetchall())
            except psycopg.OperationalError as exc:  # the connection broke: once more on a new one
                self.close()
                if attempt == 2:
                    raise translate(exc, self.params) from None
            except psycopg.Error as exc:
                raise translate(exc, self.params) from None
        raise ClinicError("unreachable")  # pragma: no cover - the loop returns or raises

    # ---------------------------------------------------------------- the list
    def count(self, flt: SessionFilter = NO_FILTER) -> int:
        where, params = where_clause(flt, POSTGRESQL)
        return int(self._rows(f"SELECT count(*) FROM kaproom.sessions WHERE {where}", params)[0][0])

    def page(self, flt: SessionFilter = NO_FILTER, sort: str = DEFAULT_SORT, descending: bool = True,
             offset: int = 0, limit: int | None = 200) -> list[SessionRow]:
        where, params = where_clause(flt, POSTGRESQL)
        order = order_clause(sort, descending, POSTGRESQL)
        sql = f"SELECT {LIST_COLUMNS} FROM kaproom.sessions WHERE {where} ORDER BY {order}"
        if limit is not None:
            sql += " LIMIT %s OFFSET %s"
            params = [*params, int(limit), max(0, int(offset))]
        return [SessionRow(**row) for row in self._rows(sql, params, as_dicts=True)]

    def therapists(self) -> list[str]:
        rows = self._rows("SELECT DISTINCT therapist FROM kaproom.sessions WHERE therapist <> '' ORDER BY 1")
        return sorted((str(r[0]) for r in rows), key=str.lower)

    def rooms(self) -> list[str]:
        rows = self._rows("SELECT DISTINCT room FROM kaproom.sessions WHERE room <> '' ORDER BY 1")
        return sorted((str(r[0]) for r in rows), key=str.lower)

    def totals(self, flt: SessionFilter = NO_FILTER) -> ListTotals:
        where, params = where_clause(flt, POSTGRESQL)
        too_soon, too_soon_params = too_soon_condition(flt, POSTGRESQL)
        row = self._rows(
            "SELECT count(*), count(*) FILTER (WHERE cautions + urgents > 0),"
            " count(*) FILTER (WHERE signed_at IS NULL), count(*) FILTER (WHERE amended_after_signoff > 0),"
            f" count(*) FILTER (WHERE {too_soon})"
            f" FROM kaproom.sessions WHERE {where}", [*too_soon_params, *params])[0]
        return ListTotals(*(int(value) for value in row))

    # ---------------------------------------------------------------- one session
    def find(self, ref: str | int) -> dict[str, Any]:
        """The server's line for a session: by the number ``sessions --clinic`` shows, its uid, or a
        unique beginning of its uid."""
        text = str(ref).strip().lstrip("#")
        columns = "id, uid, room, last_seq, last_hash, number_in_room, origin_in_room"
        rows = self._rows(f"SELECT {columns} FROM kaproom.sessions WHERE id = %s", [int(text)],
                          as_dicts=True) if text.isdigit() and len(text) < 18 else []
        if not rows and text:
            rows = self._rows(f"SELECT {columns} FROM kaproom.sessions WHERE uid LIKE %s LIMIT 2",
                              [text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"],
                              as_dicts=True)
        if len(rows) != 1:
            what = ("matches several sessions on the clinic server; type more of it" if rows
                    else "is not a session on the clinic server")
            raise NotFound(f"'{ref}' {what}. `kaproom sessions --clinic` lists them.")
        return dict(rows[0])

    def session(self, ref: str | int) -> ServerSession:
        """A session's chain from the server, verified, with the index line its events imply."""
        head = self.find(ref)
        rows = self._rows(f"SELECT {reader.EVENT_COLUMNS} FROM kaproom.events WHERE session_uid = %s ORDER BY seq",
                          [head["uid"]])
        events = [reader.stored_event(row) for row in rows]
        number = head["number_in_room"] if head["number_in_room"] is not None else head["id"]
        line = index_from_events(events)
        row = SessionRow.from_row({**line, "id": int(number), "uid": str(head["uid"]),
                                   "origin": str(head["origin_in_room"] or "local")})
        # The head the server holds, so that events missing from the end of its copy are caught.
        checked = replace(row, last_seq=int(head["last_seq"]), last_hash=str(head["last_hash"]))
        chain = Store.check_chain(checked, events)
        label = f"session {number} of {head['room']} on the clinic server"
        chain = replace(chain, chain=label)
        return ServerSession(row, events, chain, str(head["room"]))

    # ---------------------------------------------------------------- the office's own chain
    def office_actions(self, uids: list[str]) -> list[OfficeAction]:
        """The office computers' actions (sign-offs, comments) on these sessions, each checked
        against its own hash; oldest first."""
        if not uids:
            return []
        rows = self._rows("SELECT computer, seq, session_uid, wall_time, author, kind, payload, prev_hash, hash"
                          " FROM kaproom.office_events WHERE session_uid = ANY(%s) ORDER BY wall_time, computer, seq",
                          [list(uids)])
        return [action for action in (office_action(*row) for row in rows) if action is not None]

    def sign_off(self, session_uid: str, comment: str, author: str, role: str, wall_time: str) -> OfficeAction:
        """Add a sign-off to this office computer's own chain on the server (never to the room's
        session chain: one writer per chain). Refused when this computer is not an office."""
        if self.config.kind != "office":
            raise ClinicError(f"'{self.config.computer}' joined the clinic as a {self.config.kind}: sign-offs of the "
                              "clinic's sessions are made from an office computer (clinic join URL --office NAME).")
        chain = OFFICE_CHAIN_PREFIX + self.config.computer
        payload = canonical_json({"session_uid": session_uid, "comment": comment, "role": role})
        for attempt in (1, 2):
            conn = self._kept.get()
            try:
                with conn.transaction():
                    head = conn.execute("SELECT last_seq, last_hash FROM kaproom.chain_heads WHERE chain = %s",
                                        (chain,)).fetchone()
                    seq = int(head[0]) + 1 if head else 1
                    prev = str(head[1]) if head else GENESIS
                    digest = event_hash_of_text(prev, chain, seq, "signoff", wall_time, 0.0, author, "", payload)
                    conn.execute("INSERT INTO kaproom.office_events (computer, seq, wall_time, author, kind, payload,"
                                 " prev_hash, hash) VALUES (%s, %s, %s, %s, 'signoff', %s, %s, %s)",
                                 (self.config.computer, seq, wall_time, author, payload, prev, digest))
                return OfficeAction(self.config.computer, seq, session_uid, wall_time, author, "signoff", comment,
                                    role, digest)
            except psycopg.OperationalError as exc:
                self.close()
                if attempt == 2:
                    raise translate(exc, self.params) from None
            except psycopg.Error as exc:
                raise translate(exc, self.params) from None
        raise ClinicError("unreachable")  # pragma: no cover
