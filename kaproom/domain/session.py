"""The session state machine, derived from its events.

Everything the room screen shows (phase, time in phase, whether it has ended) is computed by
folding the stored events, never kept in a counter, so the state after a crash is exactly the
state before it. Elapsed time comes from a (session time, monotonic) anchor while the app runs,
and is re-anchored on the last stored wall time after a restart.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Protocol as TypingProtocol

from kaproom.domain.clock import Clock, boot_reading, format_hms, from_iso, to_iso
from kaproom.domain.events import Event, JSONDict, JSONMapping, Kind, RecordedEvent, stored_number
from kaproom.domain.medication import (
    AdverseEventInput,
    RuleRefused,
    adverse_event_payload,
    booster_refusal,
    medication_payload,
    waste_payload,
)
from kaproom.domain.protocol import Protocol
from kaproom.domain.protocol_settings import Phase, duration_words

#: A wall-clock change larger than this, against the monotonic clock, is recorded as a jump.
CLOCK_JUMP_TOLERANCE_S = 2.0


class State(str, Enum):
    CREATED = "created"
    RUNNING = "running"
    DISCHARGED = "discharged"
    ENDED_EARLY = "ended_early"

    @property
    def is_open(self) -> bool:
        return self in (State.CREATED, State.RUNNING)


class SessionError(RuntimeError):
    """A command that does not fit the session's state (e.g. advancing an ended session)."""


class UnreadableHistory(SessionError):
    """A stored event that the session's state is folded from cannot be read (edited outside the app)."""


class EventSink(TypingProtocol):
    """Where events go: the store, bound to one session. Must commit before returning."""

    def append(self, event: Event) -> RecordedEvent: ...

    def append_group(self, first: Event, then: Callable[[RecordedEvent], Iterable[Event]]) -> list[RecordedEvent]:
        """``first`` and the events ``then`` derives from it, in one transaction: all or none."""
        ...


@dataclass
class SessionState:
    """The fold of a session's events. Pure: no clock, no storage."""

    protocol: Protocol
    state: State = State.CREATED
    phase_index: int = -1
    phase_started: float = 0.0  # session seconds at which the current phase began
    extension: float = 0.0  # seconds added to the current phase
    dose_time: float | None = None  # the first dose (see kaproom.domain.medication for which dose counts for what)
    dose_times: list[float] = field(default_factory=list)  # every dose, the first and any booster
    prescribed_dose_mg: float | None = None  # typed on the start page; the dose event carries it
    ended_time: float | None = None
    outcome_reason: str = ""
    phase_history: list[tuple[str, float, str]] = field(default_factory=list)  # (phase id, start, how)
    #: The phase (index, start, extension) the last phase change left, while it can be undone.
    before_change: tuple[int, float, float] | None = None
    last_phase_change: RecordedEvent | None = None  # the event that made it, once stored
    last: RecordedEvent | None = None

    @property
    def last_dose_time(self) -> float | None:
        """The latest dose (a booster, once given): the schedule, the time since the dose and the
        observation before discharge count from it (kaproom.domain.medication)."""
        return max(self.dose_times) if self.dose_times else None

    @property
    def phase(self) -> Phase | None:
        if 0 <= self.phase_index < len(self.protocol.phases):
            return self.protocol.phases[self.phase_index]
        return None

    @property
    def phase_id(self) -> str:
        return self.phase.id if self.phase else ""

    @property
    def is_last_phase(self) -> bool:
        return self.phase_index == len(self.protocol.phases) - 1

    def phase_began(self, phase_id: str) -> float | None:
        """When the session entered phase ``phase_id`` (session seconds), or None if it has not."""
        return next((start for pid, start, _how in self.phase_history if pid == phase_id), None)

    @property
    def phase_end(self) -> float | None:
        """Planned end of the current phase in session seconds (moved by extensions)."""
        phase = self.phase
        return None if phase is None else self.phase_started + phase.seconds + self.extension

    def apply(self, event: Event) -> None:
        kind, payload = event.kind, event.payload
        if kind == Kind.SESSION_STARTED:
            self.state = State.RUNNING
        elif kind == Kind.SESSION_CREATED:
            self.prescribed_dose_mg = stored_number(payload.get("prescribed_dose_mg"))
        elif kind == Kind.PHASE_CHANGED:
            self.before_change = (self.phase_index, self.phase_started, self.extension)
            self.last_phase_change = event if isinstance(event, RecordedEvent) else None
            self.phase_index = int(payload["index"])
            self.phase_started = float(payload.get("effective_time", event.session_time))
            self.extension = 0.0
            self.phase_history.append((self.phase_id, self.phase_started, str(payload.get("how", ""))))
        elif kind == Kind.AMENDMENT and payload.get("amends_kind") == Kind.PHASE_CHANGED:
            self._undo_phase_change()
        elif kind == Kind.PHASE_EXTENDED:
            self.extension += float(payload["minutes"]) * 60.0
        elif kind == Kind.DOSE:
            given = float(payload.get("effective_time", event.session_time))
            self.dose_times.append(given)
            if self.dose_time is None:
                self.dose_time = given
        elif kind == Kind.SESSION_ENDED:
            self.state = State(payload["outcome"])
            self.ended_time = event.session_time
            self.outcome_reason = str(payload.get("reason", ""))
        if isinstance(event, RecordedEvent):
            self.last = event

    def _undo_phase_change(self) -> None:
        """A correction of a phase change undoes it: the session is back in the phase it left, as
        it was (start and extensions). Both events stay in the record."""
        if self.before_change is None:
            raise ValueError("no phase change to undo")
        self.phase_index, self.phase_started, self.extension = self.before_change
        self.before_change = self.last_phase_change = None
        if self.phase_history:
            self.phase_history.pop()

    @classmethod
    def replay(cls, protocol: Protocol, events: Iterable[Event]) -> SessionState:
        state = cls(protocol)
        for event in events:
            try:
                state.apply(event)
            except (KeyError, ValueError, TypeError, IndexError) as exc:  # a payload edited outside the app
                seq = getattr(event, "seq", None)
                raise UnreadableHistory(f"event {seq} ({event.kind.replace('_', ' ')}) cannot be read") from exc
        return state


def _product(payload: JSONDict, product: str, lot: str, supply: DoseSupply | None = None) -> None:
    """A dose's product and lot, as typed or (``supply``) as the stock register holds them."""
    if supply is not None:
        product, lot = supply.product, supply.lot
        payload["amount_mg"] = supply.amount_mg
        payload["units"] = supply.units
        if supply.expiry:
            payload["lot_expiry"] = supply.expiry
    if product.strip():
        payload["product"] = product.strip()
    if lot.strip():
        payload["lot"] = lot.strip()


@dataclass(frozen=True)
class DoseSupply:
    """Where a dose came from in the stock register: the lot's product (its label), the lot and its
    expiry (YYYY-MM-DD), the units given and what they hold in mg. The dose event keeps them, so
    the record and its exports name the lot without the register beside them."""

    product: str
    lot: str
    expiry: str
    units: float
    amount_mg: float


#: Written in the same transaction as a dose or a waste (the stock register's lines): called with
#: the session's event once it is appended and before anything is committed; raising refuses both.
Alongside = Callable[[RecordedEvent], object]


def resumed_elapsed(last: RecordedEvent, now: datetime) -> tuple[float, float]:
    """Elapsed session time after a restart: last stored session time plus the wall gap since.

    Returns (elapsed, gap). A wall clock that went backwards gives a gap of 0, never negative time.
    """
    gap = (now - from_iso(last.wall_time)).total_seconds()
    return last.session_time + max(0.0, gap), gap


@dataclass(frozen=True)
class ResumeDoubt:
    """A resume whose wall-clock gap is more than can have passed in the room.

    ``wall_gap``: seconds between the last stored entry and now by the wall clock; ``room_gap``: the
    most that can have passed by the computer's own count (since the last anchor on the same boot),
    or the wall gap less the clock changes recorded during the session (after a restart of the
    computer, when its count began again). Until the therapist says otherwise, the session counts
    ``room_gap``, so no automatic phase change is written for time that did not pass in the room.
    """

    wall_gap: float
    room_gap: float
    reason: str

    @property
    def unexplained(self) -> float:
        return self.wall_gap - self.room_gap


def _anchor_payload(clock: Clock) -> JSONDict:
    """The boot reading stored with an event from which elapsed time is counted (start, resume, jump)."""
    reading = boot_reading(clock)
    return {} if reading is None else {"boot_id": reading[0], "since_boot": round(reading[1], 3)}


def resume_doubt(history: Sequence[RecordedEvent], gap: float, clock: Clock) -> ResumeDoubt | None:
    """Whether a resume's wall gap is implausible, judged by the stored anchors and the boot reading."""
    tolerance = CLOCK_JUMP_TOLERANCE_S * max(1.0, clock.speed)
    if not history or gap <= tolerance:
        return None
    last = history[-1]
    reading = boot_reading(clock)
    since_restart: list[RecordedEvent] = []
    for event in reversed(history):
        anchor = event.payload
        if reading is not None and isinstance(anchor.get("since_boot"), int | float) \
                and anchor.get("boot_id") == reading[0]:
            room = (reading[1] - float(anchor["since_boot"])) * clock.speed - (last.session_time - event.session_time)
            room = max(0.0, room)
            if gap > room + tolerance:
                return ResumeDoubt(gap, room, f"the computer has not been restarted, and its own clock counts only "
                                              f"{format_hms(room)} since the last entry")
            return None
        if event.kind in (Kind.SESSION_STARTED, Kind.SESSION_RESUMED):
            break
        since_restart.append(event)
    recorded = sum(float(e.payload.get("jump_seconds", 0.0)) for e in since_restart
                   if e.kind == Kind.CLOCK_JUMP and "on_resume" not in e.payload
                   and isinstance(e.payload.get("jump_seconds"), int | float))
    if recorded < -tolerance and gap - max(0.0, gap + recorded) > tolerance:
        room = max(0.0, gap + recorded)
        return ResumeDoubt(gap, room, f"the wall clock was set back {format_hms(-recorded)} during the session "
                                      "and has been put right since")
    return None


class SessionRunner:
    """Runs one session: turns commands and the passing of time into committed events.

    Every command commits its event through the sink *before* the state changes or listeners
    hear of it, so whatever the screen shows as saved is in the database.
    """

    def __init__(self, protocol: Protocol, clock: Clock, sink: EventSink, author: str,
                 history: Iterable[RecordedEvent] = ()) -> None:
        self.protocol, self.clock, self.sink, self.author = protocol, clock, sink, author
        self.session_uid: str = getattr(sink, "session_uid", "")
        history = list(history)
        self.state = SessionState.replay(protocol, history)
        self._listeners: list[Callable[[RecordedEvent], None]] = []
        self._anchor_elapsed = 0.0
        self._anchor_mono = clock.monotonic()
        self._anchor_wall = clock.now()
        self.resumed_gap: float | None = None
        #: Set when the wall clock claims more time passed than can have (see ResumeDoubt); the room asks
        #: the therapist (keep_wall_clock / keep_room_clock); until then the room's count is used.
        self.resume_doubt: ResumeDoubt | None = None
        self._doubt_recorded = False
        if self.state.last is not None and self.state.state == State.RUNNING:
            self._anchor_elapsed, self.resumed_gap = resumed_elapsed(self.state.last, self._anchor_wall)
            self.resume_doubt = resume_doubt(history, self.resumed_gap, clock)
            if self.resume_doubt is not None:
                self._anchor_elapsed = self.state.last.session_time + self.resume_doubt.room_gap
        elif self.state.last is not None:
            self._anchor_elapsed = self.state.last.session_time

    # ---------------------------------------------------------------- time
    def elapsed(self) -> float:
        """Session seconds since start, from the monotonic clock (0 before the start)."""
        if self.state.state == State.CREATED:
            return 0.0
        if self.state.ended_time is not None:
            return self.state.ended_time
        return self._anchor_elapsed + (self.clock.monotonic() - self._anchor_mono)

    def time_in_phase(self) -> float:
        return max(0.0, self.elapsed() - self.state.phase_started) if self.state.phase else 0.0

    def time_left_in_phase(self) -> float | None:
        """Seconds until the phase's planned end; negative when running over."""
        end = self.state.phase_end
        return None if end is None else end - self.elapsed()

    # ---------------------------------------------------------------- listening
    def subscribe(self, listener: Callable[[RecordedEvent], None]) -> None:
        self._listeners.append(listener)

    # ---------------------------------------------------------------- recording
    def record(self, kind: str, payload: JSONMapping | None = None) -> RecordedEvent:
        """Commit one event at the current session time (after any phase change that is due)."""
        if kind not in (Kind.SIGNOFF, Kind.VIEWED, Kind.EXPORTED):
            self._catch_up()
        return self._commit(kind, dict(payload or {}))

    def record_with(self, kind: str, payload: JSONMapping,
                    followers: Callable[[RecordedEvent], Iterable[tuple[str, JSONMapping]]]
                    ) -> list[RecordedEvent]:
        """Commit one event and the events that follow from it (a check-in and the alerts that
        name its number) in one transaction: a check-in is never on record without its alerts.
        Listeners hear of them once all are on disk."""
        self._catch_up()
        first = self._event(kind, dict(payload))

        def then(recorded: RecordedEvent) -> list[Event]:
            return [self._event(k, dict(p), recorded.session_time) for k, p in followers(recorded)]

        saved = self.sink.append_group(first, then)
        for recorded in saved:
            self._applied(recorded)
        return saved

    def _event(self, kind: str, payload: JSONDict, session_time: float | None = None) -> Event:
        return Event(kind=kind, payload=payload,
                     session_time=round(self.elapsed() if session_time is None else session_time, 3),
                     wall_time=to_iso(self.clock.now()), author=self.author,
                     phase=self._phase_after(kind, payload))

    def _commit(self, kind: str, payload: JSONDict, session_time: float | None = None) -> RecordedEvent:
        return self._applied(self.sink.append(self._event(kind, payload, session_time)))

    def _applied(self, recorded: RecordedEvent) -> RecordedEvent:
        self.state.apply(recorded)
        for listener in list(self._listeners):
            listener(recorded)
        return recorded

    def _phase_after(self, kind: str, payload: JSONMapping) -> str:
        if kind == Kind.PHASE_CHANGED:
            return self.protocol.phases[int(payload["index"])].id
        if kind == Kind.AMENDMENT and payload.get("amends_kind") == Kind.PHASE_CHANGED and self.state.before_change:
            return self.protocol.phases[self.state.before_change[0]].id
        return self.state.phase_id

    # ---------------------------------------------------------------- commands
    def start(self) -> None:
        if self.state.state != State.CREATED:
            raise SessionError("this session has already started")
        self._anchor_mono, self._anchor_wall, self._anchor_elapsed = self.clock.monotonic(), self.clock.now(), 0.0
        self._commit(Kind.SESSION_STARTED, {"protocol": self.protocol.id, "clock_speed": self.clock.speed,
                                            **_anchor_payload(self.clock)}, 0.0)
        first = self.protocol.phases[0]
        self._commit(Kind.PHASE_CHANGED, {"index": 0, "to": first.id, "from": "", "how": "start",
                                          "effective_time": 0.0, "planned_minutes": first.minutes}, 0.0)

    def mark_resumed(self) -> RecordedEvent | None:
        """Record that the app came back after an interruption, with how long it was away."""
        if self.state.state != State.RUNNING or self.resumed_gap is None:
            return None
        self._record_doubt()
        return self.record(Kind.SESSION_RESUMED, {
            "gap_seconds": round(self.resumed_gap, 3),
            "wall_clock_went_back": self.resumed_gap < 0,
            "last_event_seq": self.state.last.seq if self.state.last else 0,
            **_anchor_payload(self.clock),
        })

    def _record_doubt(self) -> RecordedEvent | None:
        """Record, once, that the wall clock claimed time the room did not count (before any other entry)."""
        doubt = self.resume_doubt
        if doubt is None or self._doubt_recorded or self.state.state != State.RUNNING:
            return None
        self._doubt_recorded = True
        return self._commit(Kind.CLOCK_JUMP, {"jump_seconds": round(doubt.unexplained, 3), "on_resume": True,
                                       "wall_gap_seconds": round(doubt.wall_gap, 3),
                                       "counted_seconds": round(doubt.room_gap, 3), "reason": doubt.reason})

    def keep_room_clock(self) -> RecordedEvent | None:
        """The therapist confirms the room's count after a doubtful resume: nothing more is added."""
        return self._answer_doubt("room", 0.0)

    def keep_wall_clock(self) -> RecordedEvent | None:
        """The therapist confirms the wall clock: the time it claims did pass, and phases catch up."""
        doubt = self.resume_doubt
        return None if doubt is None else self._answer_doubt("wall", doubt.unexplained)

    def _answer_doubt(self, kept: str, added: float) -> RecordedEvent | None:
        if self.resume_doubt is None or self.state.state != State.RUNNING:
            return None
        self._record_doubt()
        self.resume_doubt = None
        self._anchor_elapsed += added
        return self._commit(Kind.CLOCK_JUMP, {"jump_seconds": 0.0, "on_resume": True, "kept": kept,
                                              "added_seconds": round(added, 3)})

    def _require_running(self) -> None:
        if self.state.state != State.RUNNING:
            raise SessionError(f"the session is {self.state.state.value.replace('_', ' ')}, not running")

    def advance(self, reason: str = "", from_index: int | None = None) -> RecordedEvent:
        """Move to the next phase now, earlier or later than planned. ``from_index`` is the phase
        the therapist saw when asking: if the session has moved on since (by itself), nothing is
        skipped and the move is refused."""
        self._require_running()
        self._catch_up()
        if from_index is not None and from_index != self.state.phase_index:
            now_in = self.state.phase.name if self.state.phase else ""
            raise SessionError(f"the session has already moved on to {now_in}; nothing was skipped")
        if self.state.is_last_phase:
            raise SessionError("this is the last phase: end the session with discharge")
        return self._change_phase("manual", self.elapsed(), reason)

    def undoable_phase_change(self) -> RecordedEvent | None:
        """The phase change made by hand that can still be undone: the last event that changed
        the phase, moved on by hand less than the protocol's ``undo_phase_minutes`` ago."""
        change = self.state.last_phase_change
        if self.state.state != State.RUNNING or self.state.before_change is None:
            return None
        if change is None or change.payload.get("how") != "manual":
            return None
        if self.elapsed() - change.session_time > self.protocol.undo_phase_minutes * 60.0:
            return None
        return change

    def undo_phase_change(self) -> RecordedEvent:
        """Undo the last phase change made by hand, within the protocol's time: recorded as a
        correction pointing at it (the original stays), and the session is back in the phase it left."""
        self._require_running()
        self._catch_up()
        change = self.undoable_phase_change()
        if change is None:
            minutes = duration_words(self.protocol.undo_phase_minutes)
            raise SessionError(f"only a phase change made by hand in the last {minutes} can be undone")
        back = self.protocol.phases[self.state.before_change[0]] if self.state.before_change else None
        left = self.protocol.phases[int(change.payload["index"])]
        text = f"Undid the move to {left.name}; back in {back.name if back else ''}"
        return self._commit(Kind.AMENDMENT, {"amends_seq": change.seq, "amends_id": change.id,
                                             "amends_kind": change.kind, "text": text})

    def _change_phase(self, how: str, at: float, reason: str = "") -> RecordedEvent:
        return self._commit(Kind.PHASE_CHANGED, self._phase_change(self.state.phase_index + 1, how, at, reason))

    def _phase_change(self, index: int, how: str, at: float, reason: str = "") -> JSONDict:
        """The payload of a move from the current phase to phase ``index`` at session time ``at``."""
        old = self.state.phase
        new = self.protocol.phases[index]
        planned_end = self.state.phase_end
        payload: JSONDict = {"index": index, "to": new.id, "from": old.id if old else "", "how": how,
                             "effective_time": round(at, 3), "planned_minutes": new.minutes}
        if planned_end is not None:
            payload["early_by_seconds"] = round(planned_end - at, 3)
        if reason:
            payload["reason"] = reason
        return payload

    def give_dose(self, route: str, without_baseline: bool = False, given_at: float | None = None,
                  despite: Sequence[str] = (), product: str = "", lot: str = "", supply: DoseSupply | None = None,
                  alongside: Alongside | None = None) -> list[RecordedEvent]:
        """Record the dose. Given before the protocol's dose phase, the session moves to that phase
        at the same moment, in the same transaction: the dose phase is the lozenge's hold time and
        the phases after it the onset it leads to, so they are timed from the dose, not from a
        clock that had not reached it yet.

        ``given_at`` (session seconds) records a dose given earlier than now, once the dose phase
        has begun: a forgotten F10 pressed late would otherwise move the 40-minute check and the
        observation time on by however late it was. The event keeps both times. ``despite`` is
        what the last check-in said against dosing, when the therapist confirmed the dose over it.

        ``supply``: the lot it came from, from the stock register (its amount replaces the
        prescribed one); ``alongside`` writes the register's lines in the dose's transaction."""
        self._require_running()
        if self.state.dose_time is not None:
            raise SessionError(f"the dose is already recorded (at {format_hms(self.state.dose_time)})")
        self._catch_up()
        now = round(self.elapsed(), 3)
        at = now if given_at is None else round(given_at, 3)
        if given_at is not None:
            if self.state.phase_began(self.protocol.dose_phase) is None:
                raise SessionError("a dose given earlier than now can be recorded once the dose phase has begun")
            if not 0.0 <= at <= now:
                raise SessionError(f"the dose time must be between 0:00:00 and now ({format_hms(now)})")
        payload: JSONDict = {"route": route, "effective_time": at}
        if at < now:
            payload["recorded_late"] = True
        if self.state.prescribed_dose_mg is not None:
            payload["amount_mg"] = self.state.prescribed_dose_mg
        if without_baseline:
            payload["without_baseline"] = True
        if despite:  # what the last check said against dosing, confirmed by the therapist (dose.dose_concerns)
            payload["despite"] = [str(reason) for reason in despite]
        _product(payload, product, lot, supply)
        target = self.protocol.dose_phase_index
        if self.state.phase_index >= target and alongside is None:
            return [self._commit(Kind.DOSE, payload)]
        change = self._phase_change(target, "dose", at) if self.state.phase_index < target else None

        def followers(dose: RecordedEvent) -> list[tuple[str, JSONMapping]]:
            if alongside is not None:
                alongside(dose)
            return [] if change is None else [(Kind.PHASE_CHANGED, change)]
        return self.record_with(Kind.DOSE, payload, followers)

    # ---------------------------------------------------------------- further doses and medications
    def booster_refusal(self) -> RuleRefused | None:
        """Why a further dose cannot be given now (the protocol's ``[doses]`` rules), or None."""
        names = {phase.id: phase.name for phase in self.protocol.phases}
        return booster_refusal(self.protocol.doses, self.state.dose_times, self.elapsed(), self.state.phase_id, names)

    def give_booster(self, despite: Sequence[str] = (), without_check: bool = False, product: str = "",
                     lot: str = "", supply: DoseSupply | None = None,
                     alongside: Alongside | None = None) -> RecordedEvent:
        """A further dose (``number`` 2, 3 ...), where the protocol allows it: refused, naming the
        rule, beyond ``max_doses``, before ``min_interval_minutes`` after the last dose, or outside
        ``booster_phases``. It moves no phase: the session's arc is timed from the first dose."""
        self._require_running()
        self._catch_up()
        refused = self.booster_refusal()
        if refused is not None:
            raise SessionError(str(refused))
        payload: JSONDict = {"route": self.protocol.dose_route, "effective_time": round(self.elapsed(), 3),
                             "number": len(self.state.dose_times) + 1}
        amount = self.protocol.doses.booster_mg or self.state.prescribed_dose_mg
        if amount is not None:
            payload["amount_mg"] = amount
        if without_check:
            payload["without_check"] = True
        if despite:
            payload["despite"] = [str(reason) for reason in despite]
        _product(payload, product, lot, supply)
        return self._commit_with(Kind.DOSE, payload, alongside)

    def give_medication(self, name: str, amount: float | None = None, reason: str = "",
                        route: str = "") -> RecordedEvent:
        """A drug from the protocol's standing orders (by id or name), now; an unknown drug or an
        amount outside the order is refused, naming the rule."""
        self._require_running()
        self._catch_up()
        try:
            payload = medication_payload(self.protocol.standing_orders, name, amount, reason, self.elapsed(), route)
        except RuleRefused as exc:
            raise SessionError(str(exc)) from None
        return self._commit(Kind.MEDICATION, payload)

    def medication_effect(self, target: RecordedEvent, effect: str) -> RecordedEvent:
        """What a medication given earlier did ("nausea settled"), pointing at it."""
        if target.kind != Kind.MEDICATION:
            raise SessionError("an effect is recorded for a medication entry")
        if not effect.strip():
            raise SessionError("say what the effect was")
        return self.record(Kind.MEDICATION_EFFECT, {"medication_seq": target.seq, "effect": effect.strip()})

    def record_waste(self, witness: str, amount_mg: float | None = None, reason: str = "",
                     dose_seq: int | None = None, product: str = "", lot: str = "", *,
                     witness_verified: bool = False, units: float | None = None,
                     alongside: Alongside | None = None) -> RecordedEvent:
        """What of a dose was not taken, with a witness: a typed name, marked unverified, unless a
        second staff member signed in with their own PIN (``witness_verified``). ``alongside``
        writes the stock register's waste in the same transaction."""
        self._require_running()
        self._catch_up()
        try:
            payload = waste_payload(amount_mg, witness, self.author, reason, self.elapsed(), dose_seq, product, lot,
                                    witness_verified=witness_verified, units=units)
        except RuleRefused as exc:
            raise SessionError(str(exc)) from None
        return self._commit_with(Kind.WASTE, payload, alongside)

    def _commit_with(self, kind: str, payload: JSONDict, alongside: Alongside | None) -> RecordedEvent:
        """One event, and what ``alongside`` writes with it, in one transaction."""
        if alongside is None:
            return self._commit(kind, payload)

        def followers(event: RecordedEvent) -> list[tuple[str, JSONMapping]]:
            alongside(event)
            return []
        return self.record_with(kind, payload, followers)[0]

    def record_adverse_event(self, answers: AdverseEventInput) -> RecordedEvent:
        """A structured adverse event; without a kind or a severity it is refused, naming the rule."""
        self._require_running()
        self._catch_up()
        try:
            payload = adverse_event_payload(self.protocol.adverse_event_kinds, answers, self.elapsed())
        except RuleRefused as exc:
            raise SessionError(str(exc)) from None
        return self._commit(Kind.ADVERSE_EVENT, payload)

    def extend(self, minutes: float) -> RecordedEvent:
        self._require_running()
        if not 0 < minutes <= 120:
            raise SessionError("extend by 1 to 120 minutes")
        return self.record(Kind.PHASE_EXTENDED, {"minutes": minutes, "phase": self.state.phase_id})

    def note(self, text: str) -> RecordedEvent:
        text = text.strip()
        if not text:
            raise SessionError("an empty note is not saved")
        return self.record(Kind.NOTE, {"text": text})

    def tag(self, label: str) -> RecordedEvent:
        return self.record(Kind.TAG, {"label": label})

    def amend(self, target: RecordedEvent, text: str) -> RecordedEvent:
        """A correction is a new event pointing at the one it corrects; the original stays."""
        text = text.strip()
        if not text:
            raise SessionError("an amendment needs the corrected text or a reason")
        if target.kind == Kind.PHASE_CHANGED:
            raise SessionError("a phase change is corrected by undoing it (Ctrl+Z), within minutes of it")
        return self.record(Kind.AMENDMENT, {"amends_seq": target.seq, "amends_id": target.id,
                                            "amends_kind": target.kind, "text": text})

    def end(self, outcome: State, reason: str = "", details: JSONMapping | None = None) -> RecordedEvent:
        self._require_running()
        if outcome not in (State.DISCHARGED, State.ENDED_EARLY):
            raise SessionError("a session ends as discharged or ended early")
        if outcome == State.ENDED_EARLY and not reason.strip():
            raise SessionError("ending early needs a reason")
        payload: JSONDict = {"outcome": outcome.value, "reason": reason.strip()}
        payload.update(details or {})
        return self.record(Kind.SESSION_ENDED, payload)

    # ---------------------------------------------------------------- the passing of time
    def tick(self) -> list[RecordedEvent]:
        """Called often by the UI or simulator: records due phase changes and wall-clock jumps."""
        written: list[RecordedEvent] = []
        if self.state.state != State.RUNNING:
            return written
        doubt = self._record_doubt()
        if doubt is not None:
            written.append(doubt)
        jump = self._wall_jump()
        if jump is not None:
            written.append(self._commit(Kind.CLOCK_JUMP, {"jump_seconds": round(jump, 3),
                                                          **_anchor_payload(self.clock)}))
        written.extend(self._catch_up())
        return written

    def _wall_jump(self) -> float | None:
        mono_passed = self.clock.monotonic() - self._anchor_mono
        wall_passed = (self.clock.now() - self._anchor_wall).total_seconds()
        drift = wall_passed - mono_passed
        if abs(drift) <= CLOCK_JUMP_TOLERANCE_S * max(1.0, self.clock.speed):
            return None
        # Keep session time on the monotonic clock; move only the wall anchor.
        self._anchor_elapsed += mono_passed
        self._anchor_mono, self._anchor_wall = self.clock.monotonic(), self.clock.now()
        return drift

    def _catch_up(self) -> list[RecordedEvent]:
        written = []
        while self.state.state == State.RUNNING and not self.state.is_last_phase:
            phase, end = self.state.phase, self.state.phase_end
            if phase is None or end is None or not phase.auto_advance or self.elapsed() < end:
                break
            written.append(self._change_phase("auto", end))
        return written
