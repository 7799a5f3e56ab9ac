"""The room's deliberate commands: move on, extend, end early, discharge, correct an entry.

Each opens the in-window question bar (never a dialog over the clock) and needs one more
keystroke to happen, so a brushed key cannot move a session on. Pressing the same shortcut
again while its question is open confirms it, as Enter does. Written against the room's
``RoomHost`` (kaproom.ui.kit.host), as the music and vitals parts are.
"""
from __future__ import annotations

from kaproom.domain.clock import format_hms
from kaproom.domain.events import Kind, RecordedEvent
from kaproom.domain.protocol_settings import Phase, duration_words
from kaproom.domain.session import State
from kaproom.domain.vocabulary import shorten
from kaproom.ui.kit.host import LEAVE_HINT, RoomHost
from kaproom.ui.kit.prompt import RoomPrompt
from kaproom.ui.room.log_text import AMENDABLE, event_text

#: How the correction question names what it corrects: by its time in the log, as the therapist
#: sees it there (the room's log shows no entry numbers).
AMENDED_WORDS = {Kind.NOTE: "note", Kind.TAG: "tag", Kind.AMENDMENT: "correction", Kind.DOSE: "dose",
                 Kind.VITALS: "check-in", Kind.INTENTION: "intention", Kind.DISCHARGE_CHECK: "discharge checklist",
                 Kind.MEDICATION: "medication", Kind.WASTE: "waste", Kind.ADVERSE_EVENT: "adverse event"}

EXTEND_CHOICES = ((5, "+5 min"), (10, "+10 min"), (15, "+15 min"))


class RoomCommands:
    """The room's deliberate commands, each asked in the room's question bar."""

    def __init__(self, room: RoomHost) -> None:
        self.room = room
        self.controller = room.controller

    @property
    def prompt(self) -> RoomPrompt:
        return self.room.prompt

    # ---------------------------------------------------------------- helpers
    def _again(self, key: str) -> bool:
        """The shortcut of an open question pressed again: confirm it. Under the privacy cover no
        question opens (it could not be seen), so this also answers "nothing to do"."""
        if self.room.private:
            return True
        if self.prompt.is_open and self.prompt.key == key:
            self.prompt.choose(0)
            return True
        return False

    def _running(self, what: str) -> bool:
        if self.controller.is_running:
            return True
        self.room.show_status(f"The session is not running, so it cannot {what}.", "caution")
        return False

    def _done(self, event: RecordedEvent | None, message: str) -> bool:
        if event is None:
            self.prompt.show_message(self.controller.last_error or "Not saved.")
            return False
        self.room.show_status(message, "ok")
        return True

    # ---------------------------------------------------------------- phases
    def advance(self) -> None:
        if self._again("advance") or not self._running("move on"):
            return
        state = self.controller.runner.state
        if state.is_last_phase:
            self.room.show_status("This is the last phase. End the session with Discharge (Ctrl+Shift+D).", "caution")
            return
        # The question is about the phase shown now: if the session moves on by itself before the
        # answer, the answer does not skip the phase it moved into.
        shown = state.phase_index
        following = self.controller.protocol.phases[shown + 1].name
        self.prompt.ask("advance", f"Move on from {_name(state.phase)} to {following} now? "
                        "Enter or Ctrl+Shift+N again confirms.",
                        lambda _value, reason: self._moved_on(self.controller.advance(reason, shown), following,
                                                              shown),
                        field="optional", placeholder="Reason (optional), e.g. client back early",
                        choices=((f"Move on to {following}", None),), on_close=self.room.focus_note)

    def _moved_on(self, event: RecordedEvent | None, following: str, shown: int) -> bool:
        state = self.controller.runner.state
        if event is None and state.phase_index != shown:  # moved on by itself while asked: no skip
            self.room.show_status(f"{_name(state.phase)} began by itself meanwhile, so nothing was skipped. "
                                  "Ctrl+Shift+N asks again.", "caution")
            return True
        # The dose question, when it is asked, has the line; otherwise the line says how to undo.
        after = self.room.dose_end_reminder(event) or \
            f" Ctrl+Z within {duration_words(self.controller.protocol.undo_phase_minutes)} undoes it."
        return self._done(event, f"Moved on to {following}.{after}")

    def undo_phase_change(self) -> bool:
        """Ctrl+Z: undo the phase change made by hand a moment ago, as a correction in the record.
        Returns False when there is none to undo (the caller may then undo typing instead)."""
        if self.room.private or self.controller.runner.undoable_phase_change() is None:
            return False
        left = _name(self.controller.runner.state.phase)
        event = self.controller.undo_phase_change()
        back = _name(self.controller.runner.state.phase)
        self._done(event, f"Undone: back in {back} (the move to {left} stays in the record, corrected).")
        return True

    def extend(self) -> None:
        if self._again("extend") or not self._running("extend a phase"):
            return
        name = _name(self.controller.runner.state.phase)
        self.prompt.ask("extend", f"Extend {name} by how long? Choose with Tab or the arrow keys, then Enter.",
                        lambda minutes, _text: self._done(self.controller.extend(minutes),
                                                          f"{name} extended by {minutes} min."),
                        choices=[(label, minutes) for minutes, label in EXTEND_CHOICES], on_close=self.room.focus_note)

    # ---------------------------------------------------------------- ending
    def end_early(self) -> None:
        if self._again("end_early") or not self._running("end"):
            return
        self.prompt.ask("end_early", "End the session early? Type the reason, then Enter.",
                        lambda _value, reason: self._done(self.controller.end(State.ENDED_EARLY, reason),
                                                          f"Session ended early. {LEAVE_HINT}"),
                        field="required", placeholder="Reason for ending early (required)",
                        choices=(("End session early", None),), on_close=self.room.focus_note)

    def discharge(self) -> None:
        """The default discharge: one confirmation with an optional note (the vitals panel replaces it
        with the full checklist)."""
        if self._again("discharge") or not self._running("be discharged"):
            return
        state = self.controller.runner.state
        early = "" if state.is_last_phase else f" The session is still in {_name(state.phase)}."
        self.prompt.ask("discharge", f"Discharge the client and close the session now?{early} "
                        "Enter or Ctrl+Shift+D again confirms.",
                        lambda _value, note: self._done(self.controller.end(State.DISCHARGED, note),
                                                         f"Discharged. {LEAVE_HINT}"),
                        field="optional", placeholder="Discharge note (optional), e.g. left with partner",
                        choices=(("Discharge", None),), on_close=self.room.focus_note)

    # ---------------------------------------------------------------- corrections
    def amend(self, target: RecordedEvent | None = None) -> None:
        if self._again("amend"):
            return
        log = self.room.log_view
        target = target or log.selected_event() or log.latest_amendable()
        if target is None:
            self.room.show_status("There is no note or tag to correct yet.", "info")
            return
        if target.kind not in AMENDABLE:
            self.room.show_status("Only notes, tags, doses and vitals can be corrected.", "caution")
            return
        shown = event_text(target, self.controller.protocol) or ""
        if target.kind == Kind.MEDICATION:  # later, its effect (Enter); or a correction of the entry itself
            self.prompt.ask("amend", f"The effect of {shorten(shown)} (given at {format_hms(target.session_time)})? "
                            "Enter saves it beside the medication; or save what you type as a correction.",
                            lambda value, text: self._done(
                                self.controller.amend(target, text) if value == "correct"
                                else self.controller.medication_effect(target, text),
                                "Correction saved." if value == "correct" else "Effect saved."),
                            field="required", placeholder="The effect, e.g. nausea settled within 15 min",
                            choices=(("Save effect", "effect"), ("Save as a correction", "correct")),
                            on_close=self.room.focus_note)
            return
        original = str(target.payload.get("text", target.payload.get("label", ""))) \
            if target.kind in (Kind.NOTE, Kind.TAG, Kind.AMENDMENT) else ""
        what = f"the {AMENDED_WORDS.get(target.kind, 'entry')} at {format_hms(target.session_time)}"
        self.prompt.ask("amend", f"Correct {what} (\u201c{shorten(shown)}\u201d). The original stays "
                        "in the record; your correction is added beside it.",
                        lambda _value, text: self._done(self.controller.amend(target, text), "Correction saved."),
                        field="required", placeholder="The corrected text, or why it is wrong", initial=original,
                        choices=(("Save correction", None),), on_close=self.room.focus_note)

    # ---------------------------------------------------------------- closing
    def confirm_close(self) -> None:
        if self._again("close"):
            return
        self.prompt.ask("close", "The session is still running. Close this window anyway? The session clock "
                        "keeps counting; start KAP Room again to resume it.",
                        lambda value, _text: value == "keep" or self.room.close_now(),
                        choices=(("Close window", None), ("Keep it open", "keep")), on_close=self.room.focus_note)


def _name(phase: Phase | None) -> str:
    """A running session is always in a phase; the name of none is empty."""
    return phase.name if phase is not None else ""

