"""What the room screen offers the parts that plug into it: the music strip, the vitals panel and
the room's own commands are written against ``RoomHost`` and ``RoomSession``, never against the
window's class.

So the imports run one way: the music and vitals packages import the kit (this module), not the
room; the room window loads them by module name and hands itself to each one's ``install(host)``.
A stand-in host (tests/_music_helpers.py) can carry a part on its own.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance
    from PySide6.QtWidgets import QWidget

    from kaproom.domain.clock import Clock
    from kaproom.domain.events import RecordedEvent
    from kaproom.domain.medication import AdverseEventInput
    from kaproom.domain.protocol import Protocol as SessionProtocol
    from kaproom.domain.session import DoseSupply, SessionRunner, State
    from kaproom.services.stock import LotSummary, Person
    from kaproom.services.workspace import Workspace
    from kaproom.ui.kit.prompt import RoomPrompt

#: Said once a session has ended (by the room, and after the discharge and the early end).
LEAVE_HINT = "Ctrl+W goes to the home page when you are done."


class RoomSession(Protocol):
    """The session as the room's parts see it (the room's ``SessionController``): commands in,
    committed events out as signals (``eventRecorded`` each RecordedEvent once committed,
    ``ticked`` the elapsed session seconds, ``sessionEnded`` the session_ended event). A command
    returns None when it was not saved; then ``last_error`` says why."""

    @property
    def eventRecorded(self) -> SignalInstance: ...  # noqa: N802 - Qt's signal name

    @property
    def ticked(self) -> SignalInstance: ...

    @property
    def sessionEnded(self) -> SignalInstance: ...  # noqa: N802 - Qt's signal name

    @property
    def runner(self) -> SessionRunner: ...

    @property
    def protocol(self) -> SessionProtocol: ...

    @property
    def workspace(self) -> Workspace: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def last_error(self) -> str: ...

    @property
    def is_running(self) -> bool: ...

    def elapsed(self) -> float: ...

    def record(self, kind: str, payload: Mapping[str, Any]) -> RecordedEvent | None: ...

    def record_with(self, kind: str, payload: Mapping[str, Any],
                    followers: Callable[[RecordedEvent], Iterable[tuple[str, Mapping[str, Any]]]]
                    ) -> list[RecordedEvent] | None: ...

    def give_dose(self, route: str, without_baseline: bool = False, given_at: float | None = None,
                  despite: Sequence[str] = (), supply: DoseSupply | None = None) -> RecordedEvent | None: ...

    def give_booster(self, despite: Sequence[str] = (), without_check: bool = False,
                     supply: DoseSupply | None = None) -> RecordedEvent | None: ...

    def register_in_use(self) -> bool: ...

    def usable_lots(self) -> list[LotSummary]: ...

    def dose_supply(self, lot: str, amount: str) -> DoseSupply | None: ...

    def recorder(self) -> Person: ...

    def identify_witness(self, name: str, secret: str) -> Person | None: ...

    def record_waste(self, witness: Person, amount: str, reason: str, lot: str = "") -> RecordedEvent | None: ...

    def give_medication(self, name: str, amount: float | None = None, reason: str = "",
                        route: str = "") -> RecordedEvent | None: ...

    def record_adverse_event(self, answers: AdverseEventInput) -> RecordedEvent | None: ...

    def medication_effect(self, target: RecordedEvent, effect: str) -> RecordedEvent | None: ...

    def advance(self, reason: str = "", from_index: int | None = None) -> RecordedEvent | None: ...

    def undo_phase_change(self) -> RecordedEvent | None: ...

    def extend(self, minutes: float) -> RecordedEvent | None: ...

    def end(self, outcome: str | State, reason: str = "", details: Mapping[str, Any] | None = None
            ) -> RecordedEvent | None: ...

    def amend(self, event: RecordedEvent, text: str) -> RecordedEvent | None: ...


class LogChoice(Protocol):
    """The room's log, as far as a correction needs it: which entry is meant."""

    def selected_event(self) -> RecordedEvent | None: ...

    def latest_amendable(self) -> RecordedEvent | None: ...


class RoomHost(Protocol):
    """The room screen, as its parts see it. Each part's ``install(host)`` adds its widgets with
    the ``add_``/``set_`` methods and its keys with ``add_shortcut``; everything it records goes
    through ``controller``, and it speaks to the therapist on the status line."""

    @property
    def controller(self) -> RoomSession: ...

    @property
    def prompt(self) -> RoomPrompt: ...  # the one-line question above the note field

    @property
    def private(self) -> bool: ...  # under the privacy cover: no question may open

    @property
    def log_view(self) -> LogChoice: ...

    def window(self) -> QWidget: ...  # the room's top-level widget (Qt's own QWidget.window)

    def add_shortcut(self, key: str, description: str, callback: Callable[[], object], /) -> object: ...

    def add_banner(self, widget: QWidget, /) -> None: ...  # a persistent line under the clock

    def add_panel(self, widget: QWidget, /) -> None: ...  # a panel in the column beside the log

    def panels_resized(self) -> None: ...  # a panel beside the log changed what it shows

    def set_music_strip(self, widget: QWidget, /) -> None: ...

    def add_quiet_line(self, widget: QWidget, /) -> None: ...  # a small line beside the music strip (F12 hides it)

    def set_vitals_due(self, text: str, level: str, /) -> None: ...  # replaces the room's own next-check line

    def set_discharge_handler(self, handler: Callable[[], None], /) -> None: ...

    def show_status(self, text: str, level: str = "info", /) -> None: ...

    def focus_note(self) -> None: ...

    def dose_end_reminder(self, phase_change: RecordedEvent | None, /) -> str: ...

    def will_close(self) -> bool: ...  # a close asked for now goes through (a running session asks first)

    def close_now(self) -> bool: ...
