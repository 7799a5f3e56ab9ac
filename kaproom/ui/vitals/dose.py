"""F10 in the room: the dose, with the questions it may need first (no baseline yet; the dosing
phase already over, so when was it given?), and a further dose (a booster) where the protocol
allows one: F10 once the dose is recorded asks before it gives the booster, every time (it is
a second dose of a controlled drug), naming the last check before it, or that there is none in
the protocol's ``check_before_booster_minutes``, as the first dose names a missing baseline.
Owned by the vitals panel (``RoomVitals``) and kept apart because the dose is its own clinical
moment; it asks its questions in the panel's form and in the room's question bar."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QScrollArea, QVBoxLayout

from kaproom.domain.clock import format_hms
from kaproom.domain.dose import dose_concerns, parse_session_time
from kaproom.domain.events import RecordedEvent
from kaproom.domain.medication import product_words
from kaproom.domain.session import DoseSupply, State
from kaproom.ui.kit.host import RoomHost
from kaproom.ui.kit.theme import set_level
from kaproom.ui.vitals.form import EscapeCatcher, VitalsForm

if TYPE_CHECKING:
    from kaproom.ui.vitals.dose_lot import DoseLotFields

#: F10's question where the stock register is in use (what="dose" or "booster").
LOT_QUESTION = "The {what}: which lot, and how much? (Enter records.)"


class DoseEntry:
    """Records the dose for one session, asking first where the record calls for it."""

    def __init__(self, room: RoomHost, form: VitalsForm, scroll: QScrollArea,
                 vitals_events: Callable[[], Sequence[RecordedEvent]], running: Callable[[str], bool]) -> None:
        """``form`` holds the dose question, ``scroll`` the side panel it sits in; ``vitals_events``
        gives the session's check-ins so far, and ``running(what)`` says whether the session is
        running (and, when not, why ``what`` cannot happen)."""
        self.room, self.form, self.scroll = room, form, scroll
        self.controller = room.controller
        self.runner = self.controller.runner
        self.protocol = self.runner.protocol
        self._vitals_events = vitals_events
        self._running = running
        self._booster_pending = False  # the question open in the form is the booster's
        self._first_yes = self.form.dose_yes.text()
        # Where the register is in use (Stock.in_use): the lot and amount, in F10's question.
        self._lot_fields: DoseLotFields | None = None
        self._late_at: float | None = None  # a late dose's time, kept while its lot is asked for

    @property
    def lot_fields(self) -> DoseLotFields:
        """Made on the first F10 with the register in use: with them load the register's modules
        (about 50 ms, python -X importtime), which a room resumed before its first paint does not
        load (tests/test_cli.py, bench/bench_startup.py) and a clinic without a register never needs."""
        if self._lot_fields is None:
            from kaproom.ui.vitals.dose_lot import DoseLotFields  # noqa: PLC0415 - start-up time, see above
            fields = DoseLotFields(self.form.dose_confirm)
            confirm = self.form.dose_confirm.layout()
            if isinstance(confirm, QVBoxLayout):
                confirm.insertWidget(1, fields)
            fields.accepted.connect(lambda: self.record_dose())
            EscapeCatcher(self.cancel, fields).watch(fields)  # Esc in them closes the question, as in the form
            self._lot_fields = fields
        return self._lot_fields

    @property
    def vitals_events(self) -> Sequence[RecordedEvent]:
        return self._vitals_events()

    @property
    def _baseline_missing(self) -> bool:
        """The protocol wants a check before the dose, and the record has none."""
        return self.protocol.vitals_schedule.baseline_before_dose and not self.vitals_events

    def _concerns(self) -> tuple[float | None, list[str]]:
        """When the last check-in was taken, and what it says against dosing now (dose_concerns)."""
        last = self.vitals_events[-1] if self.vitals_events else None
        return (last.session_time, dose_concerns(last.payload)) if last is not None else (None, [])

    def _ask_first(self, question: str, status: str, no_text: str, yes_text: str = "") -> None:
        """F10's question in the vitals panel: F10 again or Enter records the dose, Esc does not.
        Where the register is in use it holds the lot and amount, and the focus goes to them."""
        self.form.dose_yes.setText(yes_text or self._first_yes)
        self.form.show()
        with_lot = self._ask_lot(self._planned_mg())
        if with_lot:
            question = f"{question} {LOT_QUESTION.format(what='booster' if self._booster_pending else 'dose')}"
            if not self.lot_fields.lots:
                question += (" No lot in the register can be given from (none in date with units left): receive the "
                             "delivery in the register window first.")
        self.form.dose_question.setText(question.strip())
        set_level(self.form.dose_question, "caution")
        self.form.dose_no.setText(no_text)
        self.form.dose_confirm.show()
        if with_lot:
            self.lot_fields.focus()
        else:
            self.form.dose_yes.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.scroll.verticalScrollBar().setValue(0)
        self.room.show_status(status, "caution")

    # ---------------------------------------------------------------- the lot (the stock register)
    def _ask_lot(self, planned_mg: float | None) -> bool:
        """Show the lot and amount in the question when the register is in use; whether it is."""
        if not self.controller.register_in_use():
            if self._lot_fields is not None:
                self._lot_fields.hide()
            return False
        if not self.lot_fields.isVisible():
            self.lot_fields.load(self.controller.usable_lots(), planned_mg)
        return True

    def _supply(self) -> DoseSupply | bool | None:
        """The lot and amount typed, checked (False when refused: said in the question, the typed
        text kept); None when the register is not in use (the dose names no lot)."""
        if not self.controller.register_in_use():
            return None
        if not self.lot_fields.isVisible():
            self.lot_fields.load(self.controller.usable_lots(), self._planned_mg())
        supply = self.controller.dose_supply(self.lot_fields.lot_text(), self.lot_fields.amount_text())
        if supply is None:
            self._supply_refused("booster" if self._booster_pending else "dose")
            return False
        return supply

    def _planned_mg(self) -> float | None:
        state = self.runner.state
        if self._booster_pending or state.dose_time is not None:
            return self.protocol.doses.booster_mg or state.prescribed_dose_mg
        return state.prescribed_dose_mg

    def dose(self) -> None:
        if not self.protocol.has_dose:
            self.room.show_status(f"{self.protocol.name} has no dose: F10 records nothing here.", "info")
            return
        if not self._running("the dose cannot be recorded"):
            return
        state = self.runner.state
        if state.dose_time is not None:
            self.booster()
            return
        if self.form.dose_confirm.isVisible():  # F10 again confirms (or retries a dose the record refused)
            self.record_dose()
            return
        if state.phase_index > self.protocol.dose_phase_index:  # pressed late: when was it given?
            prompt = self.room.prompt
            if prompt.is_open and prompt.key == "dose_time":
                prompt.choose(0)  # F10 again confirms the time typed, as Enter does
            else:
                self._ask_when_given()
            return
        if self._baseline_missing:
            self._ask_first("No baseline vitals are recorded yet. Record the dose without a baseline? (F10 again "
                            "or Enter confirms; Esc to take the baseline first with F9.)",
                            "No baseline vitals yet: confirm the dose in the vitals panel (F10 again), or Esc and "
                            "take the baseline (F9).", "No, baseline first (Esc)")
            return
        taken, concerns = self._concerns()
        if concerns:  # the app informs; dosing stays the therapist's judgement, and the record keeps it
            self._ask_first(f"The last check ({format_hms(taken or 0.0)}): {'; '.join(concerns)}. Record the dose "
                            "anyway? (F10 again or Enter confirms; Esc does not record it.)",
                            "Before the dose: see the vitals panel (F10 again records it; Esc does not).",
                            "No, not now (Esc)")
            return
        if self.controller.register_in_use():
            self._ask_first("", "The dose: type part of the lot number (Up/Down choose, Enter takes it), then the "
                            "amount in units; Enter or F10 again records it, Esc does not.", "No, not now (Esc)")
            return
        self.record_dose()

    # ---------------------------------------------------------------- a further dose
    def _check_before_booster(self) -> RecordedEvent | None:
        """The latest check since the last dose and within the protocol's minutes before now."""
        state = self.runner.state
        since = max(state.last_dose_time or 0.0,
                    self.runner.elapsed() - self.protocol.doses.check_before_booster_minutes * 60.0)
        recent = [e for e in self.vitals_events if e.session_time >= since]
        return recent[-1] if recent else None

    def booster(self) -> None:
        """F10 once the dose is recorded: a further dose where the protocol's ``[doses]`` allow it."""
        state = self.runner.state
        refused = self.runner.booster_refusal()
        if refused is not None:
            self.form.dose_confirm.hide()
            self._booster_pending = False
            level = "info" if refused.rule == "max_doses" else "caution"
            self.room.show_status(f"The dose is already recorded (at {format_hms(state.dose_time or 0.0)}); "
                                  f"no further dose now: {refused}.", level)
            return
        if self.form.dose_confirm.isVisible() and self._booster_pending:  # F10 again confirms
            self.record_booster()
            return
        number = len(state.dose_times) + 1
        amount = self.protocol.doses.booster_mg or state.prescribed_dose_mg
        what = f"booster (dose {number}{f', {amount:g} mg' if amount is not None else ''})"
        check = self._check_before_booster()
        minutes = f"{self.protocol.doses.check_before_booster_minutes:g}"
        if check is None:
            question = (f"No vitals check in the last {minutes} min. Give the {what} without one? (F10 again or "
                        "Enter gives it; Esc to take vitals first with F9.)")
            no_text = "No, vitals first (Esc)"
        else:
            concerns = dose_concerns(check.payload)
            said = f": {'; '.join(concerns)}" if concerns else ", nothing against it"
            question = (f"Give the {what} now? The last check ({format_hms(check.session_time)}){said}. "
                        "(F10 again or Enter gives it; Esc does not.)")
            no_text = "No, not now (Esc)"
        self._booster_pending = True
        self._ask_first(question, f"Before the {what}: see the vitals panel (F10 again gives it; Esc does not).",
                        no_text, "Yes, give the booster (F10)")

    def record_booster(self) -> RecordedEvent | None:
        check = self._check_before_booster()
        despite = dose_concerns(check.payload) if check is not None else []
        supply = self._supply()
        if supply is False:
            return None
        event = self.controller.give_booster(despite, without_check=check is None,
                                             supply=supply if isinstance(supply, DoseSupply) else None)
        if event is None and supply is not None:
            self._supply_refused("booster")
            return None
        if event is None:
            self.form.dose_question.setText(f"The booster was not saved: {self.controller.last_error} "
                                            "Esc closes this.")
            self.form.dose_confirm.show()
            return None
        self._booster_pending = False
        self.form.dose_confirm.hide()
        if self._lot_fields is not None:
            self._lot_fields.clear()
        flag = " without a vitals check before it" if check is None else \
            " over the last check's concerns" if despite else ""
        self.room.show_status(f"Booster (dose {event.payload.get('number', 2)}) recorded at "
                              f"{format_hms(event.session_time)}{flag}{product_words(event.payload)}; the vitals "
                              "checks after the dose count from it now.", "ok")
        self.room.focus_note()
        return event

    def _ask_when_given(self) -> None:
        """The dose phase is over and F10 was not pressed in it. Recorded as 'now', the dose would
        move the 40-minute check and the observation time on by however late the key was: ask
        when it was given, offering the dose phase's start."""
        state = self.runner.state
        began = state.phase_began(self.protocol.dose_phase) or 0.0
        offered = format_hms(began)[:-3]
        dose_phase = self.protocol.phases[self.protocol.dose_phase_index].name
        no_baseline = " No baseline vitals were recorded before it." if self._baseline_missing else ""
        self.room.prompt.ask(
            "dose_time", f"{dose_phase} is over and the dose is not recorded. When was it given? Type the session "
            f"time as the clock showed it ({dose_phase} began at {offered}), then Enter.{no_baseline}",
            self._dose_given_at, field="optional", placeholder="Session time, e.g. 0:21", initial=offered,
            choices=(("Record the dose", None),), on_close=self.room.focus_note)
        self.room.show_status("The dose is not recorded: say when it was given (the question above the note "
                              "field), or Esc.", "caution")

    def _dose_given_at(self, _value: object, text: str) -> bool:
        if self.runner.state.state != State.RUNNING:
            self.room.prompt.show_message("The session has ended: the dose can no longer be recorded. Esc closes "
                                          "this; a note can still say when it was given.")
            return False
        try:
            given_at = parse_session_time(text)
        except ValueError as exc:
            self.room.prompt.show_message(f"{exc}.")
            return False
        if self.controller.register_in_use():  # which lot: asked in the vitals panel, the time kept
            self._late_at = given_at
            self._ask_first(f"The dose given at {format_hms(given_at)}:", "The dose: which lot and how much (Enter "
                            "in Amount records it; Esc does not).", "No, not now (Esc)")
            QTimer.singleShot(0, self.lot_fields.focus)  # after the question bar has closed (it focuses the note)
            return True
        if self.record_dose(given_at) is None:
            self.room.prompt.show_message(f"Not saved: {self.controller.last_error}")
            return False
        return True

    def record_dose(self, given_at: float | None = None) -> RecordedEvent | None:
        """Record the dose, now or (``given_at``, session seconds) earlier. Whether it came without a
        baseline is read from the record, not from the way here: a retry after a refused save
        must say what the first try said."""
        if self._booster_pending:
            return self.record_booster()
        if not self._running("the dose cannot be recorded") or self.runner.state.dose_time is not None:
            self.form.dose_confirm.hide()
            return None
        if given_at is None and self._late_at is not None and self.form.dose_confirm.isVisible():
            given_at = self._late_at  # its lot was asked for after its time
        without_baseline = self._baseline_missing
        # Over the last check's concerns only when given now, after F10's question; a dose recorded
        # late was given before anyone could be asked, and the check it followed may be a later one.
        despite = self._concerns()[1] if given_at is None else []
        supply = self._supply()
        if supply is False:
            return None
        event = self.controller.give_dose(self.protocol.dose_route, without_baseline, given_at, despite,
                                          supply if isinstance(supply, DoseSupply) else None)
        if event is None:
            if supply is not None:
                self._supply_refused("dose")
            elif given_at is None:  # a late dose's question stays open in its own bar, with the message
                self.form.dose_question.setText(f"The dose was not saved: {self.controller.last_error} Try again.")
                self.form.dose_confirm.show()
            return None
        self._late_at = None
        if self._lot_fields is not None:
            self._lot_fields.clear()
        self.form.dose_confirm.hide()
        flag = " without baseline vitals" if without_baseline else " over the last check's concerns" if despite else ""
        state = self.runner.state
        moved = f"; {state.phase.name} starts now" \
            if state.phase is not None and state.phase_history and state.phase_history[-1][2] == "dose" else ""
        when = format_hms(event.session_time) if given_at is None else \
            f"{format_hms(given_at)} (entered at {format_hms(event.session_time)})"
        self.room.show_status(f"Dose recorded at {when}{flag}{product_words(event.payload)}{moved}.", "ok")
        self.room.focus_note()
        return event

    def _supply_refused(self, what: str) -> None:
        """The lot or amount was refused (or the record refused the dose with them: the register
        changed since they were checked, or the save failed): said in the question, naming the
        rule, what was typed kept and the focus on it."""
        self.form.dose_question.setText(f"The {what} was not saved: {self.controller.last_error}. What you typed "
                                        "stays; correct it and press Enter (Esc does not record it).")
        set_level(self.form.dose_question, "error")
        self.form.dose_confirm.show()
        self.lot_fields.focus()

    def cancel(self) -> None:
        """Esc in the form: close an open dose question and go back to the note field."""
        self._late_at = None
        if self.form.dose_confirm.isVisible() and self._booster_pending:
            self._booster_pending = False
            self.form.dose_confirm.hide()
            self.room.show_status("Booster not given.", "info")
        elif self.form.dose_confirm.isVisible():
            self.form.dose_confirm.hide()
            self.room.show_status("Dose not recorded. Take the baseline with F9 first." if self._baseline_missing
                                  else "Dose not recorded.", "info")
        self.room.focus_note()
