"""The controlled-substance stock register: products, lots, movements and their rules.

Pure Python (no database): the store replays the register's movements through
:class:`RegisterState` inside the same write transaction that appends the next one, so a rule
is checked against exactly the history the new movement joins.

Units. Every quantity is a count of **units** (lozenges, troches, tablets) of one lot's product,
with at most two decimals, so half a lozenge spat out is ``0.5``. A product has a strength in mg
per unit; the mg a quantity holds is ``units x strength_mg``. Internally quantities are whole
hundredths of a unit (``int``), so no sum of movements ever drifts; :func:`parse_quantity` and
:func:`quantity_text` convert at the edges, and payloads store units as JSON numbers.

Two balances per lot:

- **in stock**: in the safe. received +, dispensed -, returned +, destroyed -, adjusted +/-, a
  discrepancy resolved by accepting the count +/- the difference.
- **out**: dispensed to a session and not yet accounted for. dispensed +, administered -,
  wasted -, returned - (the unused units go back into stock).

A count records what was physically counted and by whom; if it differs from the stock balance
the difference is a **discrepancy**, open until a supervisor resolves it with a reason (either
accepting the count, which moves the balance to it, or not, after a recount found the book right).

The register is one hash chain with one writer (this computer), like a session's chain: a
clinic server can later keep a copy of it without merging anything.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from kaproom.domain.events import ChainReport, RecordedEvent, verify_chain

#: Hundredths of a unit per unit: quantities are whole hundredths.
CENTS = 100
#: The name of the register's chain (its events' ``session_uid``), as the audit log's is "audit".
REGISTER_CHAIN = "register"


class MovementKind:
    """Movement kinds: plain strings, so the table stays readable with any SQLite tool.

    Payloads (JSON objects) by kind, besides the movement's time and author (``by``); fields
    marked ? may be absent. ``quantity`` is in units (see the module's docstring):

    - received: lot, quantity, product {name, strength_mg, form}, expiry (YYYY-MM-DD), supplier,
      by_verified
    - dispensed / administered: lot, quantity, session?, by_verified, reason?. An administered
      quantity below zero is a **correction**: part of what a session was recorded as given was
      not taken after all (a lozenge partly spat out, found at the end of the dose phase); it
      needs the session and a reason, may not exceed what that session was given from the lot,
      and puts the units back among those "out", where the witnessed waste that follows it in the
      same transaction accounts for them.
    - wasted: lot, quantity, witness, witness_verified, session?, by_verified, reason?
    - returned: lot, quantity, session?, by_verified, reason?
    - destroyed: lot, quantity, witness, witness_verified, by_verified, reason?
    - adjusted: lot, quantity (signed: + adds to stock), reason, by_verified
    - counted: lot, quantity (what was counted), expected (the stock balance then), by_verified
    - resolved: lot, resolves (the count's seq), reason, accept_count, by_verified
    """

    RECEIVED = "received"
    DISPENSED = "dispensed"
    ADMINISTERED = "administered"
    WASTED = "wasted"
    RETURNED = "returned"
    DESTROYED = "destroyed"
    ADJUSTED = "adjusted"
    COUNTED = "counted"
    RESOLVED = "resolved"


ALL_KINDS = (MovementKind.RECEIVED, MovementKind.DISPENSED, MovementKind.ADMINISTERED, MovementKind.WASTED,
             MovementKind.RETURNED, MovementKind.DESTROYED, MovementKind.ADJUSTED, MovementKind.COUNTED,
             MovementKind.RESOLVED)
#: Kinds that need a second person who saw it.
WITNESSED = frozenset({MovementKind.WASTED, MovementKind.DESTROYED})
#: Kinds that give the substance out: refused for an expired lot.
GIVES_OUT = frozenset({MovementKind.DISPENSED, MovementKind.ADMINISTERED})
#: Kinds that take from what was dispensed (the "out" balance).
FROM_OUT = frozenset({MovementKind.ADMINISTERED, MovementKind.WASTED, MovementKind.RETURNED})


class Rule:
    """The rules a movement may break; each refusal names one (scripts and tests match on it)."""

    UNKNOWN_LOT = "unknown lot"
    LOT_MISMATCH = "lot already received as another product"
    EXPIRED = "expired lot"
    OVER_BALANCE = "amount larger than the balance"
    NOT_POSITIVE = "amount must be more than zero"
    BAD_AMOUNT = "amount not a number of units"
    NO_WITNESS = "witness required"
    SAME_WITNESS = "witness must be another person"
    NO_REASON = "reason required"
    NO_PERSON = "person required"
    BAD_PRODUCT = "product incomplete"
    BAD_DATE = "date not valid"
    NO_DISCREPANCY = "no such open discrepancy"
    UNKNOWN_KIND = "unknown movement"
    NO_SESSION = "correction names its session"


class RegisterRefused(ValueError):
    """A movement the register's rules refuse; ``str()`` is the message, naming the rule."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{message} (rule: {rule})")
        self.rule = rule


# ---------------------------------------------------------------------------- quantities
_QUANTITY = re.compile(r"^\s*([+-]?)(\d+)(?:[.,](\d{1,2}))?\s*$")


def parse_quantity(text: str | float | int, *, signed: bool = False, zero_ok: bool = False) -> int:
    """Units as typed ("2", "0.5", "1,25") to hundredths; at most two decimals, more than zero
    unless ``signed`` (then nonzero, with a sign) or ``zero_ok`` (a count: zero or more)."""
    if isinstance(text, bool):
        raise RegisterRefused(Rule.BAD_AMOUNT, f"Amount: '{text}' is not a number of units.")
    if isinstance(text, int | float):
        if not math.isfinite(text):
            raise RegisterRefused(Rule.BAD_AMOUNT, f"Amount: '{text}' is not a number of units.")
        cents = round(text * CENTS)
        if abs(cents - text * CENTS) > 1e-6:
            raise RegisterRefused(Rule.BAD_AMOUNT, f"Amount: {text} has more than two decimals.")
    else:
        match = _QUANTITY.match(str(text))
        if not match:
            raise RegisterRefused(Rule.BAD_AMOUNT,
                                  f"Amount: '{text}' is not a number of units (e.g. 2, or 0.5 for half a lozenge).")
        sign, whole, part = match.groups()
        cents = int(whole) * CENTS + int((part or "0").ljust(2, "0"))
        cents = -cents if sign == "-" else cents
    if zero_ok and cents >= 0:
        return cents
    if signed:
        if cents == 0:
            raise RegisterRefused(Rule.NOT_POSITIVE, "Amount: an adjustment of zero changes nothing.")
    elif cents <= 0:
        raise RegisterRefused(Rule.NOT_POSITIVE, f"Amount: {quantity_text(cents)} is not more than zero.")
    return cents


def quantity_text(cents: int) -> str:
    """Hundredths of a unit as units: 250 -> "2.5", 200 -> "2", -25 -> "-0.25"."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), CENTS)
    return f"{sign}{whole}" if part == 0 else f"{sign}{whole}.{part:02d}".rstrip("0")


def units_number(cents: int) -> float | int:
    """Hundredths as the JSON number a payload stores (an int when whole)."""
    return cents // CENTS if cents % CENTS == 0 else cents / CENTS


def parse_date(text: str, what: str = "Date") -> date:
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise RegisterRefused(Rule.BAD_DATE, f"{what}: '{text}' is not a date (YYYY-MM-DD).") from None


# ---------------------------------------------------------------------------- products and lots
@dataclass(frozen=True)
class Product:
    name: str
    strength_mg: float
    form: str

    @property
    def label(self) -> str:
        """'ketamine 100 mg sublingual troche'."""
        strength = f"{self.strength_mg:g}"
        return f"{self.name} {strength} mg {self.form}".strip()

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "strength_mg": self.strength_mg, "form": self.form}

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Product:
        return Product(str(data.get("name", "")), float(data.get("strength_mg", 0) or 0), str(data.get("form", "")))


@dataclass(frozen=True)
class Lot:
    number: str
    product: Product
    expiry: date
    supplier: str
    received: int  # hundredths, every delivery of this lot
    received_by: str
    received_at: str

    def expired_on(self, day: date) -> bool:
        """A lot may be used up to and including its expiry date."""
        return day > self.expiry


@dataclass(frozen=True)
class Balance:
    stock: int = 0  # in the safe, hundredths
    out: int = 0  # dispensed, not yet accounted for, hundredths


#: The balances of a lot with no movement yet.
_NOTHING = Balance()


@dataclass(frozen=True)
class Discrepancy:
    seq: int  # the count's place in the register
    lot: str
    counted: int
    expected: int
    by: str
    at: str
    resolved_by: str = ""
    resolved_at: str = ""
    reason: str = ""
    accepted: bool = False

    @property
    def difference(self) -> int:
        """counted - expected (negative: units missing)."""
        return self.counted - self.expected

    @property
    def open(self) -> bool:
        return not self.resolved_by


# ---------------------------------------------------------------------------- movements
@dataclass(frozen=True)
class Movement:
    """One line of the register, as asked for (before it has a place in the chain)."""

    kind: str
    lot: str
    quantity: int  # hundredths; signed for an adjustment; what was counted for a count
    by: str
    at: str  # ISO wall time, with its zone
    by_verified: bool = False
    witness: str = ""
    witness_verified: bool = False
    reason: str = ""
    session: str = ""
    product: Product | None = None  # received
    expiry: str = ""  # received, YYYY-MM-DD
    supplier: str = ""  # received
    resolves: int = 0  # resolved: the count's seq
    accept_count: bool = False  # resolved
    expected: int = 0  # counted: filled in by RegisterState.check

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {"lot": self.lot, "by_verified": self.by_verified}
        if self.kind != MovementKind.RESOLVED:
            data["quantity"] = units_number(self.quantity)
        if self.kind == MovementKind.RECEIVED:
            data.update(product=self.product.as_json() if self.product else {}, expiry=self.expiry,
                        supplier=self.supplier)
        if self.kind in WITNESSED:
            data.update(witness=self.witness, witness_verified=self.witness_verified)
        if self.kind == MovementKind.COUNTED:
            data["expected"] = units_number(self.expected)
        if self.kind == MovementKind.RESOLVED:
            data.update(resolves=self.resolves, accept_count=self.accept_count)
        if self.session:
            data["session"] = self.session
        if self.reason or self.kind in (MovementKind.ADJUSTED, MovementKind.RESOLVED):
            data["reason"] = self.reason
        return data

    @staticmethod
    def from_payload(kind: str, payload: Mapping[str, Any], by: str, at: str) -> Movement:
        """The movement a stored payload describes (``RegisterRefused`` if it cannot be read).

        Every stored line is read this way when a register is first opened (18,000 lines after a
        few busy years), so the frozen object's fields are filled directly, as
        :meth:`kaproom.domain.events.RecordedEvent.from_stored` does, at a third of the cost."""
        get = payload.get
        try:
            raw = get("quantity", 0)
            product = get("product")
            movement = object.__new__(Movement)
            movement.__dict__.update(
                kind=kind, lot=str(get("lot", "")), quantity=round(float(raw) * CENTS) if raw is not None else 0,
                by=by, at=at, by_verified=bool(get("by_verified", False)), witness=str(get("witness", "")),
                witness_verified=bool(get("witness_verified", False)), reason=str(get("reason", "")),
                session=str(get("session", "")),
                product=Product.from_json(product) if isinstance(product, Mapping) else None,
                expiry=str(get("expiry", "")), supplier=str(get("supplier", "")),
                resolves=int(get("resolves", 0) or 0), accept_count=bool(get("accept_count", False)),
                expected=round(float(get("expected", 0) or 0) * CENTS))
            return movement
        except (TypeError, ValueError) as exc:
            raise RegisterRefused(Rule.UNKNOWN_KIND, f"A {kind} line of the register cannot be read ({exc}).") from None

    @property
    def day(self) -> date:
        """The movement's date where the computer is (an expiry date is a local date)."""
        return datetime.fromisoformat(self.at.replace("Z", "+00:00")).astimezone().date()


@dataclass(frozen=True)
class Line:
    """A movement with its place in the chain and the lot's balances after it."""

    seq: int
    movement: Movement
    after: Balance
    hash: str = ""  # the register line's hash, once stored


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


@dataclass
class RegisterState:
    """The register so far: lots, balances, discrepancies. ``check`` then ``apply`` each movement."""

    lots: dict[str, Lot] = field(default_factory=dict)
    balances: dict[str, Balance] = field(default_factory=dict)
    discrepancies: dict[int, Discrepancy] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)

    @staticmethod
    def replay(movements: Iterable[tuple[int, Movement]]) -> RegisterState:
        """The state after stored movements (already accepted once: applied without a check, so a
        rule added later never hides history)."""
        state = RegisterState()
        for seq, movement in movements:
            state.apply(seq, movement)
        return state

    def copy(self) -> RegisterState:
        """Another state to apply movements to, leaving this one as it is (lots, lines and
        discrepancies are immutable: the containers are copied, not what they hold)."""
        return RegisterState(dict(self.lots), dict(self.balances), dict(self.discrepancies), list(self.lines))

    def lot(self, number: str) -> Lot:
        lot = self.lots.get(number.strip())
        if lot is None:
            known = ", ".join(sorted(self.lots)) or "none yet"
            raise RegisterRefused(Rule.UNKNOWN_LOT, f"Lot: there is no lot '{number}' in the register "
                                                    f"(lots: {known}).")
        return lot

    def balance(self, number: str) -> Balance:
        return self.balances.get(number.strip(), _NOTHING)

    def open_discrepancies(self) -> list[Discrepancy]:
        return [d for d in self.discrepancies.values() if d.open]

    def check(self, movement: Movement) -> Movement:
        """The movement as it will be stored (a count gets its expected figure), or RegisterRefused."""
        kind = movement.kind
        if kind not in ALL_KINDS:
            raise RegisterRefused(Rule.UNKNOWN_KIND, f"'{kind}' is not a kind of register movement.")
        if not movement.by.strip():
            raise RegisterRefused(Rule.NO_PERSON, "By: who did this? Please give a name.")
        try:
            day = movement.day
        except ValueError:
            raise RegisterRefused(Rule.BAD_DATE, f"Time: '{movement.at}' is not a date and time.") from None
        if kind == MovementKind.RECEIVED:
            return self._check_received(movement)
        lot = self.lot(movement.lot)
        balance = self.balance(lot.number)
        if kind == MovementKind.RESOLVED:
            found = self.discrepancies.get(movement.resolves)
            if found is None or not found.open or found.lot != lot.number:
                raise RegisterRefused(Rule.NO_DISCREPANCY, f"There is no open discrepancy {movement.resolves} "
                                                           f"for lot {lot.number}.")
            if not movement.reason.strip():
                raise RegisterRefused(Rule.NO_REASON, "Reason: say why the discrepancy is resolved.")
            if movement.accept_count and balance.stock + found.difference < 0:
                raise RegisterRefused(Rule.OVER_BALANCE, f"Accepting the count would leave lot {lot.number} "
                                                         "below zero in stock.")
            return movement
        if kind == MovementKind.COUNTED:
            if movement.quantity < 0:
                raise RegisterRefused(Rule.NOT_POSITIVE, "Counted: a count cannot be below zero.")
            return replace(movement, expected=balance.stock)
        if kind == MovementKind.ADJUSTED:
            if movement.quantity == 0:
                raise RegisterRefused(Rule.NOT_POSITIVE, "Amount: an adjustment of zero changes nothing.")
            if not movement.reason.strip():
                raise RegisterRefused(Rule.NO_REASON, "Reason: an adjustment needs a reason.")
            if balance.stock + movement.quantity < 0:
                raise RegisterRefused(Rule.OVER_BALANCE,
                                      f"Amount: lot {lot.number} has {quantity_text(balance.stock)} in stock; "
                                      f"taking {quantity_text(-movement.quantity)} would leave it below zero.")
            return movement
        if kind == MovementKind.ADMINISTERED and movement.quantity < 0:
            return self._check_correction(lot, movement)
        if movement.quantity <= 0:
            raise RegisterRefused(Rule.NOT_POSITIVE, f"Amount: {quantity_text(movement.quantity)} is not more "
                                                     "than zero.")
        if kind in GIVES_OUT and lot.expired_on(day):
            raise RegisterRefused(Rule.EXPIRED, f"Lot {lot.number} expired on {lot.expiry.isoformat()}: "
                                                "it cannot be dispensed or administered.")
        if kind in WITNESSED:
            if not movement.witness.strip():
                raise RegisterRefused(Rule.NO_WITNESS, f"Witness: a {kind} amount needs a witness.")
            if _same(movement.witness, movement.by):
                raise RegisterRefused(Rule.SAME_WITNESS, "Witness: the witness must be someone other than "
                                                         f"{movement.by}.")
        available, where = (balance.out, "dispensed and not yet accounted for") if kind in FROM_OUT \
            else (balance.stock, "in stock")
        if movement.quantity > available:
            raise RegisterRefused(Rule.OVER_BALANCE,
                                  f"Amount: {quantity_text(movement.quantity)} is more than lot {lot.number}'s "
                                  f"{quantity_text(available)} {where}.")
        return movement

    def administered_to(self, lot: str, session: str) -> int:
        """What the register says ``session`` was given from ``lot`` (hundredths; corrections taken off)."""
        return sum(line.movement.quantity for line in self.lines
                   if line.movement.kind == MovementKind.ADMINISTERED and line.movement.lot == lot
                   and line.movement.session == session)

    def _check_correction(self, lot: Lot, movement: Movement) -> Movement:
        """A negative administered quantity: see :class:`MovementKind`."""
        if not movement.session.strip():
            raise RegisterRefused(Rule.NO_SESSION, "A correction of what was administered names its session.")
        if not movement.reason.strip():
            raise RegisterRefused(Rule.NO_REASON, "Reason: say why less was taken than was recorded as given.")
        given = self.administered_to(lot.number, movement.session.strip())
        if -movement.quantity > given:
            raise RegisterRefused(Rule.OVER_BALANCE,
                                  f"Amount: {quantity_text(-movement.quantity)} is more than the "
                                  f"{quantity_text(given)} of lot {lot.number} recorded as given in this session.")
        return replace(movement, session=movement.session.strip())

    def _check_received(self, movement: Movement) -> Movement:
        product = movement.product
        if product is None or not product.name.strip() or not product.form.strip() \
                or not (math.isfinite(product.strength_mg) and product.strength_mg > 0):
            raise RegisterRefused(Rule.BAD_PRODUCT, "Product: give its name, strength in mg (more than zero) "
                                                    "and form.")
        if not movement.lot.strip():
            raise RegisterRefused(Rule.UNKNOWN_LOT, "Lot: give the lot number printed on the package.")
        expiry = parse_date(movement.expiry, "Expiry")
        if movement.quantity <= 0:
            raise RegisterRefused(Rule.NOT_POSITIVE, f"Amount: {quantity_text(movement.quantity)} is not more "
                                                     "than zero.")
        known = self.lots.get(movement.lot.strip())
        if known is not None and (known.product != product or known.expiry != expiry):
            raise RegisterRefused(Rule.LOT_MISMATCH,
                                  f"Lot {known.number} is already in the register as {known.product.label}, "
                                  f"expiring {known.expiry.isoformat()}.")
        return replace(movement, lot=movement.lot.strip())

    def apply(self, seq: int, movement: Movement, digest: str = "") -> Line:
        """Add an accepted movement (``check`` first for a new one); ``digest`` is its stored hash."""
        kind, number, q = movement.kind, movement.lot.strip(), movement.quantity
        before = self.balance(number)
        stock, out = before.stock, before.out
        if kind == MovementKind.RECEIVED:
            known = self.lots.get(number)
            product = movement.product or Product("", 0.0, "")
            expiry = parse_date(movement.expiry, "Expiry") if movement.expiry else date.max
            self.lots[number] = Lot(number, product, expiry, movement.supplier, q, movement.by, movement.at) \
                if known is None else replace(known, received=known.received + q)
            stock += q
        elif kind == MovementKind.DISPENSED:
            stock, out = stock - q, out + q
        elif kind in (MovementKind.ADMINISTERED, MovementKind.WASTED):
            out -= q
        elif kind == MovementKind.RETURNED:
            stock, out = stock + q, out - q
        elif kind in (MovementKind.DESTROYED,):
            stock -= q
        elif kind == MovementKind.ADJUSTED:
            stock += q
        elif kind == MovementKind.COUNTED:
            if q != movement.expected:
                self.discrepancies[seq] = Discrepancy(seq, number, q, movement.expected, movement.by, movement.at)
        elif kind == MovementKind.RESOLVED:
            found = self.discrepancies.get(movement.resolves)
            if found is not None:
                self.discrepancies[movement.resolves] = replace(
                    found, resolved_by=movement.by, resolved_at=movement.at, reason=movement.reason,
                    accepted=movement.accept_count)
                if movement.accept_count:
                    stock += found.difference
        after = Balance(stock, out)
        self.balances[number] = after
        line = Line(seq, movement, after, digest)
        self.lines.append(line)
        return line

    def expiring(self, today: date, within_days: int) -> list[Lot]:
        """Lots with units in stock or out that expire within ``within_days`` of ``today`` (or have expired)."""
        return sorted((lot for lot in self.lots.values()
                       if (lot.expiry - today).days <= within_days
                       and (self.balance(lot.number).stock or self.balance(lot.number).out)),
                      key=lambda lot: lot.expiry)


# ---------------------------------------------------------------------------- checking a stored copy
def verify_register(label: str, events: Sequence[RecordedEvent], lots: Sequence[str], head: tuple[int, str] | None,
                    *, holder: str, arrived: str, changed: str) -> ChainReport:
    """One stock register's lines as a store holds them (this computer's file, or the clinic
    server's copy), checked: every line's hash and link, no line missing from its end (``head``:
    the last seq and hash recorded, None where the head record itself is gone), and each line's
    lot column (``lots``, kept beside the line for searching) against its hashed line.

    The words are the holder's: ``holder`` names it, ``arrived`` says how its lines came
    ("were recorded"), ``changed`` where a lot column must have been changed.
    """
    report = verify_chain(label, events)
    if not report.intact:
        return report
    if head is None:
        return ChainReport(label, len(events), 1, None, "the register's head record was removed")
    last_seq, last_hash = head
    if len(events) != last_seq or (events and events[-1].hash != last_hash):
        return ChainReport(label, len(events), len(events) + 1, None,
                           f"{holder} ends at line {len(events)} but {last_seq} {arrived} "
                           "(lines were removed from its end)")
    for lot, event in zip(lots, events, strict=True):
        if lot != str(event.payload.get("lot", "")):
            return ChainReport(label, len(events), event.seq, event.id,
                               f"its lot column says '{lot}' but its hashed line says "
                               f"'{event.payload.get('lot', '')}' ({changed})")
    return report
