"""What the ``kaproom stock`` commands and the supervisor's register window do alike (no Qt).

Input arrives as typed (quantities and dates as text) and is checked here, so the command line
and a window refuse the same things with the same words. Every refusal is a
:class:`StockRefused` (a StoreError: the command line prints it on one line, exit 2), naming the
rule it breaks; nothing is half-recorded (each movement is one transaction, see
:mod:`kaproom.store.register`).

People. Where the clinic has staff accounts, the person recording a movement is the signed-in
user, and a witness is a second staff member who types their own name and PIN
(:func:`identify`); both are marked verified in the register. On a computer without accounts the
names are as typed and the register marks them unverified.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from kaproom.domain.clock import Clock, SystemClock, to_iso
from kaproom.domain.people import InputRefused, Role, User, check_name
from kaproom.domain.register import (
    CENTS,
    Discrepancy,
    Line,
    Movement,
    MovementKind,
    Product,
    RegisterRefused,
    RegisterState,
    Rule,
    parse_date,
    parse_quantity,
    quantity_text,
    units_number,
)
from kaproom.domain.session import DoseSupply
from kaproom.store import Store
from kaproom.store.errors import RefusedByRule
from kaproom.store.register import StockRegister

if TYPE_CHECKING:  # the room's F10 imports this module, and a room resumed before its first paint loads no
    # staff code (services.people: about 40-55 ms, python -X importtime; tests/test_cli.py, bench/bench_startup.py)
    from kaproom.services.people import People
    from kaproom.services.workspace import Workspace

#: A lot is "expiring soon" within this many days of its expiry (the register window, ``stock list``).
EXPIRING_SOON_DAYS = 30


class StockRefused(RefusedByRule):
    """A movement or a request the register refuses; ``str()`` is the message, ``rule`` its rule."""

    def __init__(self, message: str, rule: str = "") -> None:
        named = f"(rule: {rule})"
        super().__init__(message if not rule or named in message else f"{message} {named}")
        self.rule = rule


@dataclass(frozen=True)
class Person:
    """Who did or witnessed a movement; ``verified`` when they signed in with their own PIN."""

    name: str
    verified: bool = False

    @staticmethod
    def of(user: User) -> Person:
        return Person(user.name, True)


def identify(people: People, name: str, secret: str | None, purpose: str = "witness a stock movement") -> Person:
    """A second person (a witness): with staff accounts, their name and PIN are checked (and the
    sign-in audited); without, the typed name, marked unverified."""
    typed = (name or "").strip()
    if not typed:
        raise StockRefused("Witness: please give the witness's name.", Rule.NO_WITNESS)
    if not people.has_users():
        return Person(typed, False)
    if not secret:
        raise StockRefused(f"Witness: {typed} must type their own PIN or passphrase.", Rule.NO_WITNESS)
    try:
        user = people.sign_in(typed, secret, via="witness", purpose=purpose)
    except InputRefused as exc:
        raise StockRefused(f"Witness: {exc}", Rule.NO_WITNESS) from None
    return Person.of(user)


def typed_person(name: str) -> Person:
    """Someone named without staff accounts: the name as typed, unverified."""
    try:
        return Person(check_name(name), False)
    except InputRefused as exc:
        words = str(exc).removeprefix("Name: ")
        raise StockRefused(f"By (your name): {words}", Rule.NO_PERSON) from None


def require_supervisor(user: User | None) -> None:
    """Adjustments and resolving a discrepancy are a supervisor's (when staff accounts exist)."""
    # services.people: about 40-55 ms (python -X importtime), kept out of the room's first paint (see above)
    from kaproom.services.people import AccessRefused  # noqa: PLC0415 - start-up time, see above
    if user is not None and user.role != Role.SUPERVISOR:
        raise AccessRefused(f"{user.name} is {'an' if user.role == Role.ADMIN else 'a'} {user.role.value}: "
                            "adjusting the register or resolving a discrepancy needs a supervisor.")


@dataclass(frozen=True)
class LotSummary:
    """One lot as the list and the window show it."""

    lot: str
    product: str
    strength_mg: float
    expiry: date
    supplier: str
    received: int
    stock: int
    out: int
    expired: bool
    expiring_soon: bool
    open_discrepancies: int


def _refused(exc: RegisterRefused) -> StockRefused:
    return StockRefused(str(exc), exc.rule)


class Stock:
    """The stock register of one data folder."""

    def __init__(self, store: Store, clock: Clock | None = None) -> None:
        self.register = StockRegister(store)
        self.clock: Clock = clock or SystemClock()

    @classmethod
    def of(cls, workspace: Workspace) -> Stock:
        return cls(workspace.store, workspace.clock)

    def now(self) -> str:
        return to_iso(self.clock.now())

    def today(self) -> date:
        return self.clock.now().astimezone().date()

    # ------------------------------------------------------------------ reading
    def state(self) -> RegisterState:
        return self.register.state()

    def lots(self, state: RegisterState | None = None) -> list[LotSummary]:
        state = state or self.state()
        today, summaries = self.today(), []
        for lot in sorted(state.lots.values(), key=lambda lot: (lot.expiry, lot.number)):
            balance = state.balance(lot.number)
            summaries.append(LotSummary(
                lot.number, lot.product.label, lot.product.strength_mg, lot.expiry, lot.supplier, lot.received,
                balance.stock, balance.out, lot.expired_on(today),
                not lot.expired_on(today) and (lot.expiry - today).days <= EXPIRING_SOON_DAYS,
                sum(1 for d in state.open_discrepancies() if d.lot == lot.number)))
        return summaries

    def usable_lots(self, state: RegisterState | None = None) -> list[LotSummary]:
        """Lots a dose may come from today: not expired, with units in stock or out; the one that
        expires first first (what the room offers for a dose)."""
        return [lot for lot in self.lots(state) if not lot.expired and (lot.stock > 0 or lot.out > 0)]

    def in_use(self, state: RegisterState | None = None) -> bool:
        """Whether this clinic keeps its register here: a lot has ever been received. A clinic that
        does not (no lot at all) doses as before, and its record names no lot."""
        return bool((state or self.state()).lots)

    def dose_supply(self, lot_text: str, amount_text: str, state: RegisterState | None = None) -> DoseSupply:
        """The lot and amount typed for a dose in the room, checked against the register now: a
        lot not in the register, an expired lot, a bad amount or more than the lot holds in stock
        is refused naming its rule. (The transaction that records the dose checks again.)"""
        state = state or self.state()
        typed = lot_text.strip()
        if not typed:
            raise StockRefused("Lot: type the lot number printed on the package (the list shows the usable lots).",
                               Rule.UNKNOWN_LOT)
        try:
            lot = state.lot(typed)
            units = parse_quantity(amount_text)
        except RegisterRefused as exc:
            raise _refused(exc) from None
        if lot.expired_on(self.today()):
            raise StockRefused(f"Lot {lot.number} expired on {lot.expiry.isoformat()}: it cannot be dispensed or "
                               "administered.", Rule.EXPIRED)
        stock = state.balance(lot.number).stock
        if units > stock:
            raise StockRefused(f"Amount: {quantity_text(units)} is more than lot {lot.number}'s "
                               f"{quantity_text(stock)} in stock.", Rule.OVER_BALANCE)
        return DoseSupply(lot.product.label, lot.number, lot.expiry.isoformat(), units_number(units),
                          round(units / CENTS * lot.product.strength_mg, 3))

    def room_dose(self, by: Person, supply: DoseSupply, session: str) -> Callable[[object], list[Line]]:
        """The register's lines for a dose given in the room (dispensed and administered), written
        when called: pass it as the session's ``alongside``, so they share the dose's transaction."""
        units = quantity_text(round(supply.units * CENTS))
        return lambda _dose: self.give_dose(by, supply.lot, dispensed=units, administered=units, session=session)

    def room_waste(self, by: Person, witness: Person, lot: str, amount_text: str, session: str,
                   reason: str) -> tuple[DoseSupply, Callable[[object], list[Line]]]:
        """A waste recorded in the room: what was wasted (the lot's product, the units and their mg,
        checked) and the register's lines, written when called (the session's ``alongside``). What
        was dispensed and not yet administered is wasted from it; what the session was recorded as
        given (F10 records the whole lozenge as given) is first corrected by the same amount, with
        the reason, in the same transaction."""
        try:
            units = parse_quantity(amount_text)
            found = self.state().lot(lot)
        except RegisterRefused as exc:
            raise _refused(exc) from None
        if _same_person(witness.name, by.name):
            raise StockRefused(f"Witness: the witness must be someone other than {by.name}.", Rule.SAME_WITNESS)

        def write(_event: object) -> list[Line]:
            state = self.state()
            number = lot.strip()
            why = reason.strip() or "not taken"
            from_out = min(units, state.balance(number).out)
            parts = []
            if units > from_out:
                parts.append(Movement(MovementKind.ADMINISTERED, number, -(units - from_out), by.name, self.now(),
                                      by.verified, session=session, reason=f"not taken: {why}"))
            parts.append(Movement(MovementKind.WASTED, number, units, by.name, self.now(), by.verified,
                                  witness=witness.name, witness_verified=witness.verified, session=session,
                                  reason=why))
            try:
                return self.register.record_all(parts)
            except RegisterRefused as exc:
                raise _refused(exc) from None
        wasted = DoseSupply(found.product.label, found.number, found.expiry.isoformat(), units_number(units),
                            round(units / CENTS * found.product.strength_mg, 3))
        return wasted, write

    def open_discrepancies(self, state: RegisterState | None = None) -> list[Discrepancy]:
        return (state or self.state()).open_discrepancies()

    @staticmethod
    def period(start: str | date | None, end: str | date | None) -> tuple[date | None, date | None]:
        """The report's first and last days as typed (None: from the first line, to the last)."""
        first = _day(start, "From") if start else None
        last = _day(end, "To") if end else None
        if first and last and first > last:
            raise StockRefused(f"From {first.isoformat()} is after To {last.isoformat()}.", Rule.BAD_DATE)
        return first, last

    def report(self, start: str | date | None, end: str | date | None,
               state: RegisterState | None = None) -> list[Line]:
        """Every line whose (local) date is from ``start`` to ``end`` inclusive, with balances after it."""
        first, last = self.period(start, end)
        return [line for line in (state or self.state()).lines
                if (first or date.min) <= line.movement.day <= (last or date.max)]

    # ------------------------------------------------------------------ recording
    def _record(self, movement: Movement) -> Line:
        try:
            return self.register.record(movement)
        except RegisterRefused as exc:
            raise _refused(exc) from None

    def receive(self, by: Person, *, product: str, strength_mg: str | float, form: str, lot: str, expiry: str,
                supplier: str, quantity: str | float) -> Line:
        try:
            strength = float(strength_mg)
        except (TypeError, ValueError):
            raise StockRefused(f"Strength: '{strength_mg}' is not a number of mg.",
                               Rule.BAD_PRODUCT) from None
        if not supplier.strip():
            raise StockRefused("Supplier: say which supplier or pharmacy it came from.",
                               Rule.BAD_PRODUCT)
        return self._checked(lambda: Movement(
            MovementKind.RECEIVED, lot.strip(), parse_quantity(quantity), by.name, self.now(), by.verified,
            product=Product(" ".join(product.split()), strength, " ".join(form.split())),
            expiry=parse_date(expiry, "Expiry").isoformat(), supplier=supplier.strip()))

    def dispense(self, by: Person, lot: str, quantity: str | float, session: str = "") -> Line:
        return self._simple(MovementKind.DISPENSED, by, lot, quantity, session)

    def administer(self, by: Person, lot: str, quantity: str | float, session: str = "") -> Line:
        return self._simple(MovementKind.ADMINISTERED, by, lot, quantity, session)

    def return_unused(self, by: Person, lot: str, quantity: str | float, session: str = "", reason: str = "") -> Line:
        return self._simple(MovementKind.RETURNED, by, lot, quantity, session, reason)

    def waste(self, by: Person, witness: Person, lot: str, quantity: str | float, session: str = "",
              reason: str = "") -> Line:
        return self._witnessed(MovementKind.WASTED, by, witness, lot, quantity, session, reason)

    def destroy(self, by: Person, witness: Person, lot: str, quantity: str | float, reason: str = "") -> Line:
        return self._witnessed(MovementKind.DESTROYED, by, witness, lot, quantity, "", reason)

    def give_dose(self, by: Person, lot: str, *, dispensed: str | float | None, administered: str | float | None,
                  wasted: str | float | None = None, witness: Person | None = None, returned: str | float | None = None,
                  session: str = "", reason: str = "") -> list[Line]:
        """A dose as the room records it, in one transaction: the units taken from the safe
        (``dispensed``; None when they were dispensed before), what was given, what was spat out or
        not used (``wasted``, with a ``witness``) and what went back unused (``returned``). If any
        part is refused (an expired lot, more than the balance, a waste without a witness), none
        of it is recorded."""
        def build() -> list[Movement]:
            now, where, why = self.now(), session.strip(), reason.strip()
            parts = []
            for kind, amount in ((MovementKind.DISPENSED, dispensed), (MovementKind.ADMINISTERED, administered),
                                 (MovementKind.WASTED, wasted), (MovementKind.RETURNED, returned)):
                if amount is None or str(amount).strip() in ("", "0"):
                    continue
                seen = witness if kind == MovementKind.WASTED and witness is not None else Person("")
                parts.append(Movement(kind, lot.strip(), parse_quantity(amount), by.name, now, by.verified,
                                      witness=seen.name, witness_verified=seen.verified, session=where,
                                      reason=why if kind == MovementKind.WASTED else ""))
            if not parts:
                raise RegisterRefused(Rule.NOT_POSITIVE, "Amount: give the amount given (or dispensed).")
            return parts
        try:
            movements = build()
            return self.register.record_all(movements)
        except RegisterRefused as exc:
            raise _refused(exc) from None

    def adjust(self, by: Person, lot: str, quantity: str | float, reason: str) -> Line:
        return self._checked(lambda: Movement(MovementKind.ADJUSTED, lot.strip(), parse_quantity(quantity, signed=True),
                                              by.name, self.now(), by.verified, reason=reason.strip()))

    def count(self, by: Person, lot: str, counted: str | float) -> Line:
        def build() -> Movement:
            units = parse_quantity(counted, zero_ok=True)
            return Movement(MovementKind.COUNTED, lot.strip(), units, by.name, self.now(), by.verified)
        return self._checked(build)

    def resolve(self, by: Person, discrepancy: int, reason: str, accept_count: bool) -> Line:
        state = self.state()
        found = state.discrepancies.get(int(discrepancy))
        if found is None or not found.open:
            raise StockRefused(f"There is no open discrepancy {discrepancy}; `kaproom stock list` shows the open "
                               "ones.", Rule.NO_DISCREPANCY)
        return self._checked(lambda: Movement(MovementKind.RESOLVED, found.lot, 0, by.name, self.now(), by.verified,
                                              reason=reason.strip(), resolves=found.seq, accept_count=accept_count))

    def _simple(self, kind: str, by: Person, lot: str, quantity: str | float, session: str,
                reason: str = "") -> Line:
        return self._checked(lambda: Movement(kind, lot.strip(), parse_quantity(quantity), by.name, self.now(),
                                              by.verified, session=session.strip(), reason=reason.strip()))

    def _witnessed(self, kind: str, by: Person, witness: Person, lot: str, quantity: str | float, session: str,
                   reason: str) -> Line:
        return self._checked(lambda: Movement(kind, lot.strip(), parse_quantity(quantity), by.name, self.now(),
                                              by.verified, witness=witness.name, witness_verified=witness.verified,
                                              session=session.strip(), reason=reason.strip()))

    def _checked(self, build: Callable[[], Movement]) -> Line:
        try:
            movement = build()
        except RegisterRefused as exc:
            raise _refused(exc) from None
        return self._record(movement)


def _same_person(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _day(value: str | date, what: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return parse_date(value, what)
    except RegisterRefused as exc:
        raise _refused(exc) from None


def movement_details(line: Line) -> str:
    """What a line says besides its kind, amount and people, in words (the window, the report)."""
    m = line.movement
    parts = []
    if m.kind == MovementKind.RECEIVED:
        parts.append(f"from {m.supplier}, expires {m.expiry}")
    if m.kind == MovementKind.COUNTED:
        difference = m.quantity - m.expected
        parts.append(f"register said {quantity_text(m.expected)}"
                     + (f": DISCREPANCY {quantity_text(difference)}" if difference else ": agrees"))
    if m.kind == MovementKind.RESOLVED:
        parts.append(f"count {m.resolves} {'accepted' if m.accept_count else 'not accepted'}")
    if m.session:
        parts.append(f"session {m.session[:8]}")
    if m.reason:
        parts.append(m.reason)
    return "; ".join(parts)


def local_time(at: str) -> str:
    """'2026-12-07 10:00' where the computer is, for a stored time."""
    try:
        return datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return at


__all__: Sequence[str] = ["EXPIRING_SOON_DAYS", "LotSummary", "Person", "Stock", "StockRefused", "identify",
                          "local_time", "movement_details", "require_supervisor", "typed_person"]
