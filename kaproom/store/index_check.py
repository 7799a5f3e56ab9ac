"""The sessions table checked against the hashed events it indexes.

The ``sessions`` table is an index kept for speed (the review list sorts and filters thousands of
sessions without reading their events); it is not under the hash chain, so a hand edit there
(another therapist's name, a client code, a signature) must not be believed. This module folds a
session's events into the index line they imply, the same way :meth:`Store._update_index` keeps
it, so ``verify`` can name every column that disagrees, and :meth:`Store.session` can refuse a
line whose header facts (who, whom, which protocol, signed or not) are not what the events say.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from kaproom.domain.events import Kind, RecordedEvent, stored_number
from kaproom.store.rows import SessionRow, SQLValue

#: Columns the events do not decide: the row's number, and where it came from (not hashed; see issue 23 point 4).
NOT_FROM_EVENTS = frozenset({"id", "origin"})
#: What a reader of one session is told about it: these are checked on every :meth:`Store.session`.
HEADER_FACTS = ("created_at", "protocol_id", "protocol_name", "client_code", "therapist", "room", "demo",
                "signed_at", "signed_by")
#: Names a person reads in verify's report.
COLUMN_NAMES = {"created_at": "created at", "protocol_id": "protocol", "protocol_name": "protocol name",
                "client_code": "client code", "current_phase": "current phase", "started_at": "started at",
                "ended_at": "ended at", "duration_seconds": "length", "end_reason": "end reason",
                "music_errors": "music errors", "amended_after_signoff": "amended after sign-off",
                "signed_at": "signed at", "signed_by": "signed by", "last_seq": "event count",
                "last_hash": "last hash", "dose_time": "dose time"}


def header_from_events(events: Iterable[RecordedEvent]) -> dict[str, SQLValue]:
    """The header facts the events say (from the session's first event and its sign-offs)."""
    facts: dict[str, SQLValue] = {"signed_at": None, "signed_by": None}
    for event in events:
        if event.kind == Kind.SESSION_CREATED and event.seq == 1:
            payload = event.payload
            protocol = payload.get("protocol")
            protocol = protocol if isinstance(protocol, Mapping) else {}
            facts.update(created_at=event.wall_time, protocol_id=str(protocol.get("id", "")),
                         protocol_name=str(protocol.get("name", "")), client_code=str(payload.get("client_code", "")),
                         therapist=str(payload.get("therapist", "")), room=str(payload.get("room", "")),
                         demo=int(bool(payload.get("demo", False))))
        elif event.kind == Kind.SIGNOFF:
            facts.update(signed_at=event.wall_time, signed_by=event.author)
    return facts


def index_from_events(events: Sequence[RecordedEvent]) -> dict[str, SQLValue]:
    """The whole index line (but its number and origin) that these events imply."""
    line: dict[str, SQLValue] = {
        "state": "created", "current_phase": "", "started_at": None, "ended_at": None, "duration_seconds": None,
        "end_reason": "", "cautions": 0, "urgents": 0, "music_errors": 0, "amendments": 0,
        "amended_after_signoff": 0, "last_seq": 0, "last_hash": "", "dose_time": None}
    line.update(header_from_events(events))
    signed = False
    for event in events:
        kind, payload = event.kind, event.payload
        line.update(last_seq=event.seq, last_hash=event.hash)
        if kind == Kind.SESSION_STARTED:
            line.update(state="running", started_at=event.wall_time)
        elif kind == Kind.PHASE_CHANGED:
            line["current_phase"] = str(payload.get("to", ""))
        elif kind == Kind.SESSION_ENDED:
            line.update(state=str(payload.get("outcome", "ended_early")), ended_at=event.wall_time,
                        duration_seconds=event.session_time, end_reason=str(payload.get("reason", "")))
        elif kind == Kind.ALERT and payload.get("level") in ("urgent", "caution"):
            column = "urgents" if payload.get("level") == "urgent" else "cautions"
            line[column] = int(line[column] or 0) + 1
        elif kind == Kind.MUSIC and payload.get("action") == "error":
            line["music_errors"] = int(line["music_errors"] or 0) + 1
        elif kind == Kind.AMENDMENT:
            line["amendments"] = int(line["amendments"] or 0) + 1
            if signed:
                line["amended_after_signoff"] = int(line["amended_after_signoff"] or 0) + 1
        elif kind == Kind.SIGNOFF:
            signed = True
        elif kind == Kind.DOSE:
            given = stored_number(payload.get("effective_time"))
            line["dose_time"] = event.session_time if given is None else given
    return line


def _first_dose_time(events: Iterable[RecordedEvent]) -> SQLValue:
    """The dose time as schema migration 0003 filled it in for sessions recorded before it (their first dose)."""
    for event in events:
        if event.kind == Kind.DOSE:
            given = stored_number(event.payload.get("effective_time"))
            return event.session_time if given is None else given
    return None


def _same(stored: object, derived: object) -> bool:
    if isinstance(stored, int | float) and isinstance(derived, int | float) and not isinstance(stored, bool):
        return abs(float(stored) - float(derived)) < 1e-6
    return stored == derived


def differences(row: SessionRow, events: Sequence[RecordedEvent], columns: Iterable[str] | None = None) -> list[str]:
    """The names of the index columns of ``row`` that its events contradict (all, or ``columns``)."""
    derived = index_from_events(events)
    wanted = list(columns) if columns is not None else [c for c in derived if c not in NOT_FROM_EVENTS]
    found = []
    for column in wanted:
        stored = getattr(row, column)
        if _same(stored, derived[column]):
            continue
        if column == "dose_time" and _same(stored, _first_dose_time(events)):
            continue
        found.append(column)
    return found


def describe_differences(row: SessionRow, events: Sequence[RecordedEvent], columns: Sequence[str]) -> str:
    derived = index_from_events(events)
    parts = [f"{COLUMN_NAMES.get(c, c)} (the index says {getattr(row, c)!r}, the events say {derived[c]!r})"
             for c in columns]
    return ("the sessions index disagrees with the session's hashed events, so it was changed outside KAP Room: "
            + "; ".join(parts))
