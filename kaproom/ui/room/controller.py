"""The room screen's one door to the session: commands in, committed events out, as Qt signals.

Widgets never call the runner directly. Every command goes through here so that a failed save
(locked database, full disk) always becomes one ``saveFailed`` message instead of an exception
in a slot, and every committed event (including phase changes the clock brings) reaches every
widget through ``eventRecorded``, after the store has returned.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from kaproom.domain.events import Kind, RecordedEvent
from kaproom.domain.medication import AdverseEventInput, RuleRefused, parse_amount
from kaproom.domain.protocol import Protocol
from kaproom.domain.session import DoseSupply, SessionError, SessionRunner, State
from kaproom.services.workspace import Workspace
from kaproom.store import SessionRow, StoreError
from kaproom.store.errors import RefusedByRule
from kaproom.ui.kit.errors import calm_message

#: The screen looks at the clock just after each whole second of session time turns (so the
#: clock never shows a second late, and an idle room wakes once a second), but at most every
#: FAST_TICK_MS when a demo's clock runs faster. Time itself always comes from the clock.
FAST_TICK_MS = 250
AFTER_THE_SECOND_MS = 5

if TYPE_CHECKING:
    from kaproom.services.stock import LotSummary, Person, Stock

T = TypeVar("T")

# The stock register (services.stock with domain and store .register, about 50 ms, python -X importtime) and
# the people service (about 40-55 ms) load when F10 or a waste first needs them: a room resumed before its
# first paint loads neither (tests/test_cli.py, bench/bench_startup.py), and most clinics use no register.


class SessionController(QObject):
    """Runs one open session for the room screen."""

    eventRecorded = Signal(object)  # RecordedEvent, after it is committed
    ticked = Signal(float)  # elapsed session seconds, after runner.tick()
    saveFailed = Signal(str)  # a StoreError message; what the user typed must be kept
    sessionEnded = Signal(object)  # the session_ended RecordedEvent
    refused = Signal(str)  # a command that does not fit the session's state (e.g. advancing the last phase)

    def __init__(self, workspace: Workspace, runner: SessionRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.runner = runner
        self.clock = workspace.clock
        self.last_error = ""
        self._tick_error = ""
        self._stock: Stock | None = None
        runner.subscribe(self._on_committed)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse timer may wake 5 % early
        self._timer.timeout.connect(self._on_timer)
        self._ticking = False

    # ---------------------------------------------------------------- facts
    @property
    def protocol(self) -> Protocol:
        return self.runner.protocol

    @property
    def state(self) -> State:
        return self.runner.state.state

    @property
    def is_running(self) -> bool:
        return self.runner.state.state == State.RUNNING

    def elapsed(self) -> float:
        return self.runner.elapsed()

    def session_row(self) -> SessionRow:
        return self.workspace.store.session(self.runner.session_uid)

    # ---------------------------------------------------------------- time
    def start_ticking(self) -> None:
        self._ticking = True
        self._arm()

    def stop_ticking(self) -> None:
        self._ticking = False
        self._timer.stop()

    @property
    def ticking(self) -> bool:
        return self._ticking

    def next_tick_ms(self) -> int:
        """Milliseconds until just after the next whole second of session time (a second, once the
        session's clock has stopped at its end)."""
        if not self.is_running:
            return 1000
        elapsed = self.runner.elapsed()
        speed = max(float(getattr(self.clock, "speed", 1.0)), 1e-6)
        wait = (math.floor(elapsed) + 1.0 - elapsed) / speed * 1000.0 + AFTER_THE_SECOND_MS
        return round(max(wait, FAST_TICK_MS if speed > 1 else 1.0))

    def _arm(self) -> None:
        if self._ticking:
            self._timer.start(self.next_tick_ms())

    @Slot()
    def _on_timer(self) -> None:
        try:
            self.tick()
        finally:
            self._arm()

    @Slot()
    def tick(self) -> None:
        """Let the runner record due phase changes, then tell the screen the time."""
        try:
            self.runner.tick()
        except StoreError as exc:
            message = f"An automatic phase change could not be saved yet; it will be retried. {calm_message(exc)}"
            if message != self._tick_error:  # one message per problem, not four a second
                self._tick_error = message
                self._failed(message)
        else:
            if self._tick_error:
                self._tick_error = ""
        self.ticked.emit(self.runner.elapsed())

    # ---------------------------------------------------------------- commands
    def _attempt(self, command: Callable[[], T]) -> T | None:
        try:
            event = command()
        except (SessionError, RefusedByRule) as exc:  # refused by a rule: said, nothing written
            self.last_error = str(exc)
            self.refused.emit(str(exc))
            return None
        except StoreError as exc:
            self._failed(calm_message(exc))
            return None
        self.last_error = ""
        return event

    def _failed(self, message: str) -> None:
        self.last_error = message
        self.saveFailed.emit(message)

    def record(self, kind: str, payload: Mapping[str, Any] | dict) -> RecordedEvent | None:
        return self._attempt(lambda: self.runner.record(kind, dict(payload)))

    def record_with(self, kind: str, payload: Mapping[str, Any] | dict,
                    followers: Callable[[RecordedEvent], Iterable[tuple[str, Mapping[str, Any]]]]
                    ) -> list[RecordedEvent] | None:
        """One event and those that follow from it, in one transaction (see SessionRunner.record_with)."""
        return self._attempt(lambda: self.runner.record_with(kind, payload, followers))

    # ---------------------------------------------------------------- the stock register
    @property
    def stock(self) -> Stock:
        if self._stock is None:
            from kaproom.services.stock import Stock  # noqa: PLC0415 - start-up time, see the top
            self._stock = Stock.of(self.workspace)
        return self._stock

    def register_in_use(self) -> bool:
        """Whether F10 asks for a lot: the register has ever received one (Stock.in_use). A register
        that cannot be read counts as in use, so the dose is not recorded without its lot unseen."""
        try:
            return self.stock.in_use()
        except StoreError:
            return True

    def usable_lots(self) -> list[LotSummary]:
        try:
            return self.stock.usable_lots()
        except StoreError:
            return []

    def dose_supply(self, lot: str, amount: str) -> DoseSupply | None:
        """The lot and amount typed, checked against the register; None (``last_error`` naming the
        rule) when refused."""
        return self._attempt(lambda: self.stock.dose_supply(lot, amount))

    def recorder(self) -> Person:
        """Who records a register line from the room: the session's author, verified where staff
        accounts exist (the room was opened by a signed-in user)."""
        from kaproom.services.stock import Person  # noqa: PLC0415 - start-up time, see the top
        return Person(self.runner.author, self.workspace.store.has_users())

    def identify_witness(self, name: str, secret: str) -> Person | None:
        """A witness: a second staff member's name and PIN checked where accounts exist, else the
        typed name (unverified); None (``last_error``) when refused."""
        from kaproom.domain.register import Rule  # noqa: PLC0415 - start-up time, see the top
        from kaproom.services.people import AccessRefused, People  # noqa: PLC0415 - start-up time, see the top
        from kaproom.services.stock import StockRefused, identify  # noqa: PLC0415 - as above

        def command() -> Person:
            try:
                return identify(People.of(self.workspace), name, secret, purpose="witness a waste in the room")
            except AccessRefused as exc:  # a wrong PIN, a paused account: the witness is refused, said as such
                raise StockRefused(f"Witness: {exc}", Rule.NO_WITNESS) from None
        return self._attempt(command)

    def give_dose(self, route: str, without_baseline: bool = False, given_at: float | None = None,
                  despite: Sequence[str] = (), supply: DoseSupply | None = None) -> RecordedEvent | None:
        """The dose (and, before the dose phase, the move into it); the dose event, or None if refused.
        With ``supply`` the register's dispensed and administered lines go in the same transaction."""
        def command() -> list[RecordedEvent]:
            alongside = None if supply is None else self.stock.room_dose(self.recorder(), supply,
                                                                         self.runner.session_uid)
            return self.runner.give_dose(route, without_baseline, given_at, despite, supply=supply,
                                         alongside=alongside)
        events = self._attempt(command)
        return events[0] if events else None

    def give_booster(self, despite: Sequence[str] = (), without_check: bool = False,
                     supply: DoseSupply | None = None) -> RecordedEvent | None:
        """A further dose where the protocol allows it; None (``last_error`` naming the rule) if refused."""
        def command() -> RecordedEvent:
            alongside = None if supply is None else self.stock.room_dose(self.recorder(), supply,
                                                                         self.runner.session_uid)
            return self.runner.give_booster(despite, without_check, supply=supply, alongside=alongside)
        return self._attempt(command)

    def record_waste(self, witness: Person, amount: str, reason: str, lot: str = "") -> RecordedEvent | None:
        """A waste with its witness; with a lot (the register in use) it is wasted in the register in
        the same transaction. ``amount`` is units of the lot's product with a lot, else mg."""
        def command() -> RecordedEvent:
            if not lot:
                try:
                    amount_mg = parse_amount(amount, "mg") if amount.strip() else None
                except RuleRefused as exc:
                    raise SessionError(str(exc)) from None
                return self.runner.record_waste(witness.name, amount_mg, reason, self._last_dose_seq(),
                                                witness_verified=witness.verified)
            wasted, write = self.stock.room_waste(self.recorder(), witness, lot, amount, reason=reason,
                                                  session=self.runner.session_uid)
            return self.runner.record_waste(witness.name, wasted.amount_mg, reason, self._last_dose_seq(),
                                            wasted.product, wasted.lot, witness_verified=witness.verified,
                                            units=wasted.units, alongside=write)
        return self._attempt(command)

    def _last_dose_seq(self) -> int | None:
        doses = self.workspace.store.events(self.runner.session_uid, (Kind.DOSE,))
        return doses[-1].seq if doses else None

    def give_medication(self, name: str, amount: float | None = None, reason: str = "",
                        route: str = "") -> RecordedEvent | None:
        return self._attempt(lambda: self.runner.give_medication(name, amount, reason, route))

    def medication_effect(self, target: RecordedEvent, effect: str) -> RecordedEvent | None:
        return self._attempt(lambda: self.runner.medication_effect(target, effect))

    def record_adverse_event(self, answers: AdverseEventInput) -> RecordedEvent | None:
        return self._attempt(lambda: self.runner.record_adverse_event(answers))

    def note(self, text: str) -> RecordedEvent | None:
        return self._attempt(lambda: self.runner.note(text))

    def tag(self, label: str) -> RecordedEvent | None:
        return self._attempt(lambda: self.runner.tag(label))

    def amend(self, event: RecordedEvent, text: str) -> RecordedEvent | None:
        return self._attempt(lambda: self.runner.amend(event, text))

    def advance(self, reason: str = "", from_index: int | None = None) -> RecordedEvent | None:
        return self._attempt(lambda: self.runner.advance(reason.strip(), from_index))

    def undo_phase_change(self) -> RecordedEvent | None:
        return self._attempt(self.runner.undo_phase_change)

    def extend(self, minutes: float) -> RecordedEvent | None:
        return self._attempt(lambda: self.runner.extend(minutes))

    def end(self, outcome: str | State, reason: str = "", details: Mapping[str, Any] | None = None
            ) -> RecordedEvent | None:
        def command() -> RecordedEvent:
            return self.runner.end(State(outcome), reason, details)
        return self._attempt(command)

    def record_resumed(self) -> RecordedEvent | None:
        """Note in the record that the app came back, and how long it was away."""
        return self._attempt(self.runner.mark_resumed)

    def record_problem(self) -> str:
        """What is wrong with this session's stored record (its hash chain), or '' if it verifies.
        Asked when a session is resumed: its record may have been edited while the app was away."""
        try:
            report = self.workspace.store.verify(self.runner.session_uid)[0]
        except StoreError:
            return ""  # the file cannot be read: the next save says so, with what to do
        if report.intact:
            return ""
        return (f"This session's record was changed outside KAP Room (at event {report.broken_at}). What you "
                "enter is still saved. Tell your supervisor: the review shows where.")

    def start_if_needed(self) -> RecordedEvent | None:
        """A session created but never started (the app stopped in between) starts now."""
        if self.runner.state.state != State.CREATED:
            return None
        def start() -> RecordedEvent | None:
            self.runner.start()
            return self.runner.state.last
        return self._attempt(start)

    # ---------------------------------------------------------------- events
    def _on_committed(self, event: RecordedEvent) -> None:
        self.eventRecorded.emit(event)
        if event.kind == Kind.SESSION_ENDED:
            self.sessionEnded.emit(event)
