"""The stock register's SQL: an append-only, hash-chained table beside the sessions.

Each movement is one IMMEDIATE transaction: the register's lines are replayed through
:class:`kaproom.domain.register.RegisterState`, the new movement is checked against exactly
that history, and only then appended with its hash and the head moved; a refusal or a failure
leaves nothing behind. The chain is hashed like a session's (:func:`kaproom.domain.events.event_hash`,
chain name ``register``) and has one writer, this computer, so a clinic server can later hold a
copy of it the way it holds a room's sessions.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from kaproom.domain.events import GENESIS, ChainReport, RecordedEvent, canonical_json, event_hash_of_text
from kaproom.domain.register import (
    REGISTER_CHAIN,
    Line,
    Movement,
    RegisterRefused,
    RegisterState,
    Rule,
    verify_register,
)
from kaproom.store.errors import StoreError
from kaproom.store.rows import Row, SQLValue
from kaproom.store.store import Store

REGISTER_LABEL = "stock register"
REGISTER_COLUMNS = "id, seq, wall_time, actor, kind, lot, payload, prev_hash, hash"


def _event(row: Row) -> RecordedEvent:
    id_, seq, wall, actor, kind, _lot, payload, prev, digest = row
    try:
        decoded = json.loads(str(payload))
    except ValueError:
        decoded = {"unreadable_payload": str(payload)}
    if not isinstance(decoded, dict):
        decoded = {"unreadable_payload": str(payload)}
    return RecordedEvent.from_stored(int(id_), REGISTER_CHAIN, int(seq), str(wall), 0.0, str(actor), "", str(kind),
                                     decoded, str(prev), str(digest), str(payload))


@dataclass(frozen=True)
class _Known:
    """The register as last read through one Store: its state and the last line it holds."""

    state: RegisterState
    seq: int
    hash: str


#: Per open Store, the register as last read: the next read or write reads only the lines after it
#: (a dose in the room must not replay years of lines; 18,000 lines took 0.9 s to replay), after
#: checking that the line it ends at is still there with the same hash.
_KNOWN: WeakKeyDictionary[Store, _Known] = WeakKeyDictionary()

Read = Callable[[str, Sequence[SQLValue]], list[Row]]


class StockRegister:
    """The register inside one :class:`Store` (as :class:`kaproom.store.accounts.Accounts` is the users)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------------ reading
    def events(self) -> list[RecordedEvent]:
        return [_event(row) for row in self.store._read(f"SELECT {REGISTER_COLUMNS} FROM register ORDER BY seq")]

    def count(self) -> int:
        return int(self.store._read("SELECT count(*) FROM register")[0][0])

    def state(self) -> RegisterState:
        """Lots, balances, discrepancies and every line with the balances after it (a copy: the
        caller may keep it)."""
        known = self._current(self.store._read)
        _KNOWN[self.store] = known
        return known.state.copy()

    def _current(self, read: Read) -> _Known:
        """The register now: what was known, brought up to date with the lines added since (by this
        or another process), or every line read again when the known end is no longer there."""
        known = _KNOWN.get(self.store)
        if known is not None and known.seq:
            still = read("SELECT hash FROM register WHERE seq=?", (known.seq,))
            if not still or str(still[0][0]) != known.hash:
                known = None
        if known is None:
            known = _Known(RegisterState(), 0, "")
        rows = read(f"SELECT {REGISTER_COLUMNS} FROM register WHERE seq > ? ORDER BY seq", (known.seq,))
        if not rows:
            return known
        state = known.state.copy()
        _apply(state, rows)
        return _Known(state, int(rows[-1][1]), str(rows[-1][8]))

    # ------------------------------------------------------------------ writing
    def record(self, movement: Movement) -> Line:
        """Check ``movement`` against the register as it is now and append it, in one transaction.
        Raises RegisterRefused (nothing written) when a rule refuses it."""
        return self.record_all([movement])[0]

    def record_all(self, movements: Sequence[Movement]) -> list[Line]:
        """Several movements that belong together (a dose: dispensed, administered, the rest wasted),
        each checked against the register with the ones before it, all appended in one transaction:
        if a rule refuses any of them, none is written."""
        if not movements:
            return []
        action = f"record the {movements[0].kind} movement in the stock register"
        with self.store._write(action) as conn:
            known = self._current(lambda sql, params: conn.execute(sql, params).fetchall())
            _KNOWN[self.store] = known  # committed lines (by this or another process), kept if this is refused
            state = known.state.copy()  # the known state stays as it is if a rule refuses a movement
            head = conn.execute("SELECT last_seq, last_hash FROM register_head WHERE id=1").fetchone()
            seq, prev = (int(head[0]), str(head[1]) or GENESIS) if head else (0, GENESIS)
            lines = []
            for movement in movements:
                checked = state.check(movement)
                seq += 1
                try:
                    payload_text = canonical_json(checked.payload())
                    digest = event_hash_of_text(prev, REGISTER_CHAIN, seq, checked.kind, checked.at, 0.0, checked.by,
                                                "", payload_text)
                except (TypeError, ValueError, UnicodeEncodeError) as exc:
                    raise StoreError(f"This register line cannot be stored ({exc}); please retype it.") from None
                conn.execute("INSERT INTO register (seq, wall_time, actor, kind, lot, payload, prev_hash, hash)"
                             " VALUES (?,?,?,?,?,?,?,?)",
                             (seq, checked.at, checked.by, checked.kind, checked.lot, payload_text, prev, digest))
                lines.append(state.apply(seq, checked, digest))
                prev = digest
            conn.execute("UPDATE register_head SET last_seq=?, last_hash=? WHERE id=1", (seq, prev))
        _KNOWN[self.store] = _Known(state, seq, prev)  # committed
        return lines

    # ------------------------------------------------------------------ verification
    def verify(self) -> list[ChainReport]:
        """The register's chain and its head; nothing at all for a register never used."""
        rows = self.store._read(f"SELECT {REGISTER_COLUMNS} FROM register ORDER BY seq")
        events = [_event(row) for row in rows]
        head = self.store._read("SELECT last_seq, last_hash FROM register_head WHERE id=1")
        last = (int(head[0][0]), str(head[0][1])) if head else None
        if not events and last is not None and last[0] == 0:
            return []
        return [verify_register(REGISTER_LABEL, events, [str(row[5]) for row in rows], last,
                                holder="the register", arrived="were recorded", changed="changed outside KAP Room")]


def _apply(state: RegisterState, rows: list[Row]) -> None:
    """Add stored lines (rows of REGISTER_COLUMNS) to ``state``: accepted once, so applied without a
    check (a rule added later never hides history). Read straight from the rows: the first read of
    a register holds every line it ever had."""
    loads, read = json.loads, Movement.from_payload
    try:
        for _id, seq, wall, actor, kind, _lot, payload, _prev, digest in rows:
            try:
                decoded = loads(payload)
            except ValueError:
                decoded = None
            if not isinstance(decoded, dict):
                raise RegisterRefused(Rule.UNKNOWN_KIND, f"line {seq} is not readable JSON")
            state.apply(int(seq), read(str(kind), decoded, str(actor), str(wall)), str(digest))
    except RegisterRefused as exc:
        raise StoreError(f"The stock register cannot be read: {exc}. `kaproom verify` says where.") from None


__all__ = ["REGISTER_LABEL", "StockRegister"]
