"""Session-list queries for the review window: filters, sorting, counting and paging.

The review list must stay quick with thousands of sessions, so it never loads them all: the
Qt model asks for one page at a time. Every sort key maps to a fixed SQL expression (never text
from the user), and ties are broken by id so pages never overlap or skip a row.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta

from kaproom.domain.clock import to_iso
from kaproom.domain.events import Kind
from kaproom.domain.protocol_settings import DEFAULT_ALERTS
from kaproom.store.index_check import HEADER_FACTS, differences, index_from_events
from kaproom.store.rows import SessionRow, SQLValue
from kaproom.store.store import Store

#: Sort keys the review list offers, each with the column it sorts by (fixed SQL, never the user's text).
SORT_KEYS: dict[str, str] = {
    "date": "COALESCE(started_at, created_at)",
    "room": "room",
    "therapist": "therapist",
    "client": "client_code",
    "protocol": "protocol_name",
    "duration": "duration_seconds",
    "ended": "state",
    "cautions": "cautions",
    "urgents": "urgents",
    "music_errors": "music_errors",
    "amendments": "amendments",
    "signed": "signed_at",
    "origin": "origin",
}
DEFAULT_SORT = "date"
#: The sort keys of text, sorted case aside (:attr:`ListSQL.text_order`).
TEXT_SORTS = frozenset({"room", "therapist", "client", "protocol"})
#: The observation minimum of a protocol this computer does not have (the default protocol's).
DEFAULT_OBSERVATION_MINUTES = DEFAULT_ALERTS["discharge_observation_minutes"]
SESSION_COLUMNS = ", ".join(f.name for f in fields(SessionRow))


@dataclass(frozen=True)
class SessionFilter:
    """What the supervisor narrowed the list to; empty fields mean "any".

    Dates are calendar days as the supervisor sees them (local time); a session belongs to the
    day it started (or was created, if it never started).
    """

    date_from: date | None = None
    date_to: date | None = None
    therapist: str = ""
    room: str = ""
    client: str = ""  # part of a client code
    has_alerts: bool = False
    not_signed: bool = False
    include_demo: bool = True
    short_observation: bool = False  # discharged sooner after the dose than its protocol's minimum
    #: (protocol id, minimum minutes) for ``short_observation``; any other protocol: DEFAULT_OBSERVATION_MINUTES
    observation_minutes: tuple[tuple[str, float], ...] = ()
    has_adverse_events: bool = False
    booster_given: bool = False  # a second dose or more
    has_waste: bool = False


def day_start_utc(day: date) -> str:
    """The stored (UTC ISO) form of local midnight at the start of ``day``."""
    return to_iso(datetime.combine(day, time(0)).astimezone())


def _like_pattern(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass(frozen=True)
class ListSQL:
    """How one database says the list's conditions and order; :func:`where_clause` says which
    conditions a filter makes, :func:`order_clause` how a sort key orders. The defaults are
    SQLite's (:data:`SQLITE`); the clinic server's PostgreSQL words are
    :data:`kaproom.services.clinic_review.POSTGRESQL`. Every fragment is fixed SQL: what the
    supervisor typed only ever goes in as a parameter."""

    #: a parameter
    mark: str = "?"
    #: the condition of an empty filter
    everything: str = "1"
    #: the column ``{}`` equals a parameter, case aside
    same_text: str = "{} = ? COLLATE NOCASE"
    #: the column ``{}`` contains a parameter, case aside; ``pattern`` makes that parameter of the text typed
    contains_text: str = "{} LIKE ? ESCAPE '\\'"
    pattern: Callable[[str], str] = _like_pattern
    #: the session has an event meeting ``{}`` (a condition on its kind and payload)
    has_event: str = "EXISTS (SELECT 1 FROM events WHERE events.session_uid = sessions.uid AND {})"
    #: that condition for a dose numbered two or more
    second_dose: str = "kind = 'dose' AND json_extract(payload, '$.number') >= 2"
    #: the minimum minutes ``{}`` (an expression of parameters) as a number to multiply by 60
    minutes: str = "{}"
    #: the text column ``{}`` as it sorts, case aside
    text_order: str = "{} COLLATE NOCASE"


SQLITE = ListSQL()


def where_clause(flt: SessionFilter, sql: ListSQL = SQLITE) -> tuple[str, list[SQLValue]]:
    """SQL condition and its parameters for a filter, in ``sql``'s words (``sql.everything`` when
    nothing is filtered)."""
    parts: list[str] = []
    params: list[SQLValue] = []
    when = SORT_KEYS["date"]  # the same expression in every database
    if flt.date_from is not None:
        parts.append(f"{when} >= {sql.mark}")
        params.append(day_start_utc(flt.date_from))
    if flt.date_to is not None:
        parts.append(f"{when} < {sql.mark}")
        params.append(day_start_utc(flt.date_to + timedelta(days=1)))
    for column, text in (("therapist", flt.therapist), ("room", flt.room)):
        if text.strip():
            parts.append(sql.same_text.format(column))
            params.append(text.strip())
    if flt.client.strip():
        parts.append(sql.contains_text.format("client_code"))
        params.append(sql.pattern(flt.client.strip()))
    if flt.has_alerts:
        parts.append("(cautions + urgents) > 0")
    if flt.not_signed:
        parts.append("signed_at IS NULL")
    if not flt.include_demo:
        parts.append("demo = 0")
    # The medication record's flags, read from the events themselves (events_kind index): no column to keep.
    if flt.has_adverse_events:
        parts.append(sql.has_event.format("kind = 'adverse_event'"))
    if flt.booster_given:
        parts.append(sql.has_event.format(sql.second_dose))
    if flt.has_waste:
        parts.append(sql.has_event.format("kind = 'waste'"))
    if flt.short_observation:
        condition, more = too_soon_condition(flt, sql)
        parts.append(condition)
        params += more
    return (" AND ".join(parts) or sql.everything), params


def too_soon_condition(flt: SessionFilter, sql: ListSQL = SQLITE) -> tuple[str, list[SQLValue]]:
    """SQL true for a session discharged sooner after its dose than its protocol's observation time."""
    cases = "".join(f" WHEN {sql.mark} THEN {sql.mark}" for _ in flt.observation_minutes)
    minimum = f"CASE protocol_id{cases} ELSE {sql.mark} END" if cases else sql.mark
    params: list[SQLValue] = [value for protocol_id, minutes in flt.observation_minutes
                              for value in (protocol_id, float(minutes))]
    params.append(float(DEFAULT_OBSERVATION_MINUTES))
    return ("(state = 'discharged' AND dose_time IS NOT NULL AND duration_seconds - dose_time < "
            f"{sql.minutes.format(minimum)} * 60)", params)


def order_clause(sort: str = DEFAULT_SORT, descending: bool = True, sql: ListSQL = SQLITE) -> str:
    """ORDER BY text for a known sort key, in ``sql``'s words; unknown keys fall back to the date."""
    column = SORT_KEYS.get(sort, SORT_KEYS[DEFAULT_SORT])
    expression = sql.text_order.format(column) if sort in TEXT_SORTS else column
    direction = "DESC" if descending else "ASC"
    # Sessions without a value (open sessions have no duration) go last either way.
    nulls = "NULLS LAST"
    return f"{expression} {direction} {nulls}, id {direction}"


def count_sessions(store: Store, flt: SessionFilter = SessionFilter(),
                   unindexed: Sequence[SessionRow] | None = None) -> int:
    """How many sessions the list shows. ``unindexed``: :func:`unindexed_sessions` for ``flt``, when
    the caller already has it (finding them visits every session's events: once per reload, not per page)."""
    where, params = where_clause(flt)
    listed = int(store._read(f"SELECT count(*) FROM sessions WHERE {where}", params)[0][0])
    return listed + len(unindexed_sessions(store, flt) if unindexed is None else unindexed)


def list_sessions(store: Store, flt: SessionFilter = SessionFilter(), sort: str = DEFAULT_SORT,
                  descending: bool = True, offset: int = 0, limit: int | None = 200,
                  unindexed: Sequence[SessionRow] | None = None) -> list[SessionRow]:
    """One page of the filtered, sorted session list. Sessions whose index line was deleted (their
    events remain) come first, rebuilt from their events; :func:`index_marks` says which they are.
    ``unindexed`` as for :func:`count_sessions`."""
    offset = max(0, int(offset))
    missing = list(unindexed_sessions(store, flt) if unindexed is None else unindexed)
    first = missing[offset:] if limit is None else missing[offset:offset + int(limit)]
    if limit is not None and len(first) >= int(limit):
        return first
    where, params = where_clause(flt)
    sql = f"SELECT {SESSION_COLUMNS} FROM sessions WHERE {where} ORDER BY {order_clause(sort, descending)}"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params = [*params, int(limit) - len(first), max(0, offset - len(missing))]
    elif offset > len(missing):
        sql += " LIMIT -1 OFFSET ?"
        params = [*params, offset - len(missing)]
    return first + [SessionRow(*row) for row in store._read(sql, params)]


# ---------------------------------------------------------------- the index checked against the events
#: The mark of a listed line whose index disagrees with the session's hashed events.
INDEX_EDITED = "index edited: open to see the record's own values"
#: The mark of a session whose index line was deleted; it is listed from its own events.
INDEX_DELETED = "index line deleted: listed from the session's own events"
#: What a listed line shows, checked against these events (found through the (session, kind) index).
_LISTED_FACTS = (*HEADER_FACTS, "state")
_LISTED_KINDS = (Kind.SESSION_CREATED, Kind.SESSION_STARTED, Kind.SESSION_ENDED, Kind.SIGNOFF)
#: Every session uid that has events, one index seek per session (SQLite would otherwise read every event).
_EVENT_SESSIONS = ("WITH RECURSIVE u(uid) AS (SELECT min(session_uid) FROM events UNION ALL "
                   "SELECT (SELECT min(session_uid) FROM events WHERE session_uid > u.uid) FROM u "
                   "WHERE u.uid IS NOT NULL) SELECT uid FROM u WHERE uid IS NOT NULL "
                   "AND NOT EXISTS (SELECT 1 FROM sessions WHERE sessions.uid = u.uid)")


def unindexed_sessions(store: Store, flt: SessionFilter = SessionFilter()) -> list[SessionRow]:
    """Sessions whose events remain but whose index line was deleted, rebuilt from their events
    (number 0: they have no line), newest first. Only the therapist and demo filters apply: the
    list shows them whatever else it is narrowed to, so that they cannot be missed."""
    found = []
    for (uid,) in store._read(_EVENT_SESSIONS):
        line = index_from_events(store.events(str(uid)))
        row = SessionRow(id=0, uid=str(uid), origin="", **line)  # type: ignore[arg-type]
        if flt.therapist.strip() and row.therapist.casefold() != flt.therapist.strip().casefold():
            continue
        if not flt.include_demo and row.demo:
            continue
        found.append(row)
    return sorted(found, key=lambda r: (r.started_at or r.created_at or "", r.uid), reverse=True)


def index_marks(store: Store, rows: list[SessionRow]) -> dict[str, str]:
    """A mark for each of ``rows`` (one page) the list must not be believed about, by uid: its line
    disagrees with the session's hashed events (who, whom, protocol, state, signature), or was deleted."""
    marks = {}
    listed = store.events_of([row.uid for row in rows if row.id != 0], _LISTED_KINDS)
    for row in rows:
        if row.id == 0:
            marks[row.uid] = INDEX_DELETED
            continue
        events = listed[row.uid]
        if not events or differences(row, events, _LISTED_FACTS):
            marks[row.uid] = INDEX_EDITED
    return marks


def therapists(store: Store) -> list[str]:
    """Every therapist name in the list, for the filter's drop-down."""
    rows = store._read("SELECT DISTINCT therapist FROM sessions WHERE therapist != '' "
                       "ORDER BY therapist COLLATE NOCASE")
    return [str(row[0]) for row in rows]


def rooms(store: Store) -> list[str]:
    rows = store._read("SELECT DISTINCT room FROM sessions WHERE room != '' ORDER BY room COLLATE NOCASE")
    return [str(row[0]) for row in rows]


@dataclass(frozen=True)
class ListTotals:
    """Headline figures over the filtered list, for the line above it."""

    sessions: int
    with_alerts: int
    not_signed: int
    amended_after_signoff: int
    discharged_too_soon: int = 0


def totals(store: Store, flt: SessionFilter = SessionFilter()) -> ListTotals:
    where, params = where_clause(flt)
    too_soon, too_soon_params = too_soon_condition(flt)
    row = store._read(
        "SELECT count(*), coalesce(sum((cautions + urgents) > 0), 0), coalesce(sum(signed_at IS NULL), 0),"
        f" coalesce(sum(amended_after_signoff > 0), 0), coalesce(sum({too_soon}), 0) FROM sessions WHERE {where}",
        [*too_soon_params, *params])[0]
    return ListTotals(*(int(value) for value in row))
