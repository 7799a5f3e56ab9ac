"""The room screen: a quiet, keyboard-first window for the three hours beside the client.

The cursor lives in the note field; Enter saves, F-keys tag, and an entry shows in the log only
once it is in the database. The music strip and the vitals panel plug in through the small API
below (``set_music_strip``, ``add_panel``, ``add_banner``, ``set_vitals_due``, ``add_shortcut``,
``set_discharge_handler``, ``show_status``), each from its own module's ``install(room)``.
"""
from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication
from PySide6.QtWidgets import QMainWindow, QWidget

from kaproom.domain.clock import format_hms
from kaproom.domain.dose import asks_how_the_dose_ended, dose_end_question, ends_the_dose
from kaproom.domain.events import Kind, RecordedEvent
from kaproom.domain.session import State
from kaproom.ui.kit.buttons import button_text
from kaproom.ui.kit.shortcuts import ShortcutRegistry
from kaproom.ui.kit.theme import Sizes, font_sizes, set_level
from kaproom.ui.room.commands import RoomCommands
from kaproom.ui.room.controller import SessionController
from kaproom.ui.room.header import phase_text
from kaproom.ui.room.layout import LEAVE_HINT, PRIVACY_KEY, build_room, make_button, make_label
from kaproom.ui.room.schedule import vitals_due_text

ROOM_EXTENSIONS = ("kaproom.ui.music.strip", "kaproom.ui.vitals.panel")
TITLE = "KAP Room"


class RoomWindow(QMainWindow):
    """One running (or resumed) session, full screen in a dim room."""

    #: After the end, Ctrl+W: the therapist is done with this session (the app shows its home page).
    leaveRequested = Signal()

    def __init__(self, controller: SessionController, *, demo: bool = False,
                 extensions: Sequence[str] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.runner = controller.runner
        self.protocol = controller.protocol
        self.demo = demo or self._stored_demo_flag()
        self.private = False
        self.privacy_unlock: Callable[[], bool] | None = None  # e.g. a PIN check before data entry returns
        self.vitals_times: list[float] = []
        self._vitals_external = False
        self._close_confirmed = False
        self.size_scale = 1.0  # the room's fonts against a 1000-pixel-high screen (size_for_screen)
        self._dose_end_recorded = False  # a quick tag said how the dose ended (lozenge spat out or swallowed)
        self.shortcuts = ShortcutRegistry(self)
        self.setObjectName("roomWindow")
        self.setWindowTitle(TITLE)
        self._build()
        self.commands = RoomCommands(self)
        self._discharge_handler: Callable[[], None] = self.commands.discharge
        self._add_room_shortcuts()
        self._load_history()
        controller.eventRecorded.connect(self._on_event)
        controller.ticked.connect(self._on_tick)
        controller.saveFailed.connect(self._on_save_failed)
        controller.refused.connect(lambda text: self.show_status(text, "caution"))
        controller.sessionEnded.connect(self._on_ended)
        self._on_tick(controller.elapsed())
        if not controller.is_running:
            self._on_ended(None)
        self._install_extensions(ROOM_EXTENSIONS if extensions is None else extensions)
        self._on_tick(controller.elapsed())  # starting the music may take a moment: show the time now
        controller.start_ticking()
        self.focus_note()

    # ================================================================ building
    def _build(self) -> None:
        self.apply_sizes()  # first: a style sheet set over built widgets restyles every one of them again
        build_room(self)

    def apply_sizes(self) -> None:
        """Fonts follow the screen: the same layout must fit 1366x768 and stay legible at 1920x1080."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        self.size_for_screen(screen.availableGeometry().height() if screen is not None else 1000)

    def size_for_screen(self, height: int) -> None:
        """The room's fonts for a screen this many pixels high; the side column's widest grows
        with them (see room_layout.side_max_width)."""
        self.size_scale = height / 1000
        self.setStyleSheet(font_sizes(Sizes().scaled(self.size_scale)))

    def _add_room_shortcuts(self) -> None:
        for index, tag in enumerate(self.protocol.quick_tags):
            self.add_shortcut(tag.key, f"Tag: {tag.label}", lambda label=tag.label: self.tag(label))
            button = make_button(f"tag{index}", button_text(f"{tag.key}  {tag.label}"), f"Tag {tag.label} ({tag.key})",
                             lambda label=tag.label: self.tag(label))
            self.tag_grid.addWidget(button, index // 5, index % 5)
        self.add_shortcut(PRIVACY_KEY, "Privacy: hide everything but the clock and phase (again to show)",
                          self.toggle_privacy)
        self.add_shortcut("F11", "Full screen on or off", self.toggle_full_screen)
        self.add_shortcut("Ctrl+Shift+N", "Next phase now (then Enter, or press again)", self.commands.advance)
        self.add_shortcut("Ctrl+Shift+E", "Extend this phase by 5, 10 or 15 min", self.commands.extend)
        self.add_shortcut("Ctrl+Shift+X", "End the session early (with a reason)", self.commands.end_early)
        self.add_shortcut("Ctrl+Shift+D", "Discharge and close the session", self.discharge)
        self.add_shortcut("Ctrl+Shift+A", "Correct the selected log entry (or the newest note)", self.commands.amend)
        self.add_shortcut("Ctrl+L", "Go to the log (arrow keys choose an entry)", self.focus_log)
        self.add_shortcut("Ctrl+/", "Show or hide this list of keys", self.toggle_shortcut_help)
        self.add_shortcut("Esc", "Cancel the open question; back to the note field", self.cancel)
        self.add_shortcut("Ctrl+W", "After the end: close this session and go to the home page", self.leave)

    def _stored_demo_flag(self) -> bool:
        try:
            return bool(self.controller.session_row().demo)
        except Exception:  # noqa: BLE001 - the marker is a courtesy; never stop the room for it
            return False

    def _load_history(self) -> None:
        try:
            events = self.controller.workspace.store.events(self.runner.session_uid)
        except Exception as exc:  # noqa: BLE001 - show the session even if the history cannot be read now
            self.show_status(f"The earlier log could not be read: {exc}", "error")
            events = []
        for event in events:
            self._take_event(event)
        self.log_view.follow_newest()

    def _install_extensions(self, names: Sequence[str]) -> None:
        for name in names:
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name is not None and name.startswith(exc.name):
                    continue  # that feature is not part of this build
                raise
            try:
                module.install(self)
            except Exception as exc:  # noqa: BLE001 - the session goes on without that part
                traceback.print_exc(file=sys.stderr)
                banner = make_label("extensionProblem", f"{name.rsplit('.', 1)[-1].replace('_', ' ').capitalize()} "
                                f"could not start ({exc}). The session goes on; its log is kept.",
                                "Problem with a part of the room screen", wrap=True)
                banner.setProperty("level", "caution")
                self.add_banner(banner)

    # ================================================================ the contract for extensions
    def set_music_strip(self, widget: QWidget) -> None:
        """Put the music strip in its place (the placeholder goes); the strip may be named musicStrip."""
        layout = self.music_area.layout()
        self.music_placeholder.hide()
        if widget.objectName() == "musicStrip":
            self.music_area.setObjectName("musicStripArea")  # one widget answers to musicStrip
        layout.addWidget(widget, 1)

    def add_panel(self, widget: QWidget) -> None:
        """A compact panel beside the log (never over the clock)."""
        self.side_layout.addWidget(widget)
        self.side.show()

    def add_banner(self, widget: QWidget) -> None:
        """A persistent line under the clock (alerts, "music unavailable")."""
        self.banner_area.addWidget(widget)

    def check_record(self) -> bool:
        """Verify the session's stored record; if it was changed outside KAP Room, say so in a
        banner that stays. True if it verifies."""
        problem = self.controller.record_problem()
        if problem:
            banner = make_label("recordChanged", problem, "The session's record was changed", wrap=True)
            banner.setProperty("level", "caution")
            self.add_banner(banner)
        return not problem

    def set_vitals_due(self, text: str, level: str) -> None:
        """The vitals panel's own due line replaces the default one from now on."""
        self._vitals_external = True
        self._show_vitals_due(text, level)

    def add_shortcut(self, key: str, description: str, callback: Callable[[], None]) -> QAction:
        action, problem = self.shortcuts.add(key, description, callback)
        if problem:
            self.show_status(problem, "caution")
        return action

    def set_discharge_handler(self, handler: Callable[[], None]) -> None:
        self._discharge_handler = handler

    def show_status(self, text: str, level: str = "info") -> None:
        self.status.setText(text)
        set_level(self.status, level)

    # ================================================================ entries
    def save_note(self) -> RecordedEvent | None:
        text = self.note_input.text()
        if not text.strip():
            self.show_status("Type a note first; nothing was saved.", "info")
            return None
        event = self.controller.note(text)
        if event is not None:
            self.note_input.clear()
            self._clear_save_error()
            self.show_status(f"Note saved at {self.clock_label.text()}.", "ok")
        elif not self.save_error.isVisible():
            self._on_save_failed(self.controller.last_error or "The note was not saved.")
        return event

    def tag(self, label: str) -> RecordedEvent | None:
        event = self.controller.tag(label)
        if event is not None:
            self._clear_save_error()
            state, after = self.runner.state, ""
            if ends_the_dose(self.protocol, label) and state.phase_id == self.protocol.dose_phase \
                    and not state.is_last_phase:
                after = f" Ctrl+Shift+N moves on to {self.protocol.phases[state.phase_index + 1].name} now."
            self.show_status(f"Tag saved: {label}.{after}", "ok")
        return event

    def discharge(self) -> None:
        self._discharge_handler()

    def _on_save_failed(self, message: str) -> None:
        self.save_error.setText(f"Not saved. {message}")
        self.save_error.show()
        self.show_status("Not saved: see the message above the tags. What you typed is kept.", "error")

    def _clear_save_error(self) -> None:
        self.save_error.hide()
        self.save_error.setText("")

    # ================================================================ events and time
    def _take_event(self, event: RecordedEvent) -> None:
        self.log_view.add_event(event)
        if event.kind == Kind.TAG and ends_the_dose(self.protocol, str(event.payload.get("label", ""))):
            self._dose_end_recorded = True
        if event.kind == Kind.VITALS:
            self.vitals_times.append(event.session_time)

    def _on_event(self, event: RecordedEvent) -> None:
        self._take_event(event)
        if event.kind == Kind.PHASE_CHANGED and event.payload.get("how") == "auto" and self.runner.state.phase:
            self.show_status(f"{self.runner.state.phase.name} began on time.{self.dose_end_reminder(event)}", "info")
        self._on_tick(self.runner.elapsed())

    def dose_end_reminder(self, phase_change: RecordedEvent | None) -> str:
        """' How did the dose end? Ctrl+1 …' when this phase change leaves the dose phase and no
        tag has said how the dose ended; '' otherwise."""
        if phase_change is None or not asks_how_the_dose_ended(self.protocol, phase_change.payload,
                                                               self._dose_end_recorded):
            return ""
        return f" {dose_end_question(self.protocol)}"

    def _on_tick(self, elapsed: float) -> None:
        clock = self.clock_label.show_elapsed(elapsed)
        state = self.runner.state
        text = phase_text(self.runner)
        if text != self.phase_label.text():
            self.phase_label.setText(text)
        extension = {state.phase_index: state.extension / 60.0} if state.extension else {}
        self.phase_strip.update_phase(state.phase_index, extension, ended=not state.state.is_open)
        if not self._vitals_external:
            self._show_vitals_due(*vitals_due_text(self.protocol, state, self.vitals_times, elapsed))
        self._show_since_dose(elapsed)
        name = state.phase.name if state.phase and state.state.is_open else phase_text(self.runner)
        title = f"{TITLE} \u2014 {'DEMO ' if self.demo else ''}session {clock} \u2014 {name}"
        if title != self.windowTitle():
            self.setWindowTitle(title)

    def _show_since_dose(self, elapsed: float) -> None:
        state = self.runner.state
        since = None if state.dose_time is None else format_hms(max(0.0, elapsed - state.dose_time))
        # Once the session has ended its clock stops: "since" would go on being read as now.
        if since is None:
            text = ""
        else:
            text = f"{since} since the dose" if state.state.is_open else f"Ended {since} after the dose"
        if text != self.since_dose.text():
            self.since_dose.setText(text)
        self.since_dose.setVisible(bool(text) and not self.private)

    def _show_vitals_due(self, text: str, level: str) -> None:
        if text != self.vitals_due.text() or level != self.vitals_due.property("level"):
            self.vitals_due.setText(text)
            set_level(self.vitals_due, level)

    def _on_ended(self, _event: RecordedEvent | None) -> None:
        for button in self.command_buttons[:4]:
            button.setEnabled(False)
        self.leave_button.show()
        outcome = "discharged" if self.runner.state.state == State.DISCHARGED else "ended early"
        self.show_status(f"The session has ended ({outcome}). Notes and corrections can still be added. "
                         f"{LEAVE_HINT}", "info")
        self.note_input.setPlaceholderText("Session ended: a note added now is recorded after the end")

    # ================================================================ privacy, focus, closing
    def toggle_privacy(self) -> None:
        if self.private:
            if self.privacy_unlock is not None and not self.privacy_unlock():
                return
            self.private = False
            self.body_stack.setCurrentWidget(self.body)
            self.vitals_due.show()
            self._show_since_dose(self.controller.elapsed())
            self.focus_note()
        else:
            self.private = True
            self.body_stack.setCurrentWidget(self.privacy_cover)
            self.vitals_due.hide()
            self.since_dose.hide()
            self.privacy_cover.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def toggle_shortcut_help(self) -> None:
        if self.shortcut_help.isVisible():
            self.shortcut_help.hide()
            self.side.setVisible(self.side_layout.count() > 1)
        else:
            self.shortcut_help.show_for(self.shortcuts)
            self.side.show()

    def focus_note(self) -> None:
        if not self.private:
            self.note_input.setFocus(Qt.FocusReason.OtherFocusReason)

    def focus_log(self) -> None:
        if not self.private:
            self.log_view.setFocus(Qt.FocusReason.ShortcutFocusReason)
            if self.log_view.currentRow() < 0 and self.log_view.count():
                self.log_view.setCurrentRow(self.log_view.count() - 1)

    def cancel(self) -> None:
        if self.prompt.is_open:
            self.prompt.close_prompt()
        elif self.shortcut_help.isVisible():
            self.toggle_shortcut_help()
        self.focus_note()

    def leave(self) -> None:
        """Ctrl+W, once the session has ended: done with it. Never while it runs, and never over
        a note or an answer typed and not saved, which leaving would throw away. Under the privacy
        cover it does nothing: the cover comes off only with F12 (and the PIN, where the clinic asks)."""
        if self.private:
            return
        if self.controller.is_running:
            self.show_status("The session is still running: discharge (Ctrl+Shift+D) or end it early "
                             "(Ctrl+Shift+X) first; then Ctrl+W goes to the home page.", "caution")
        elif self.note_input.text().strip():
            self.show_status("A note is typed and not saved: Enter saves it (or clear the field), "
                             "then Ctrl+W.", "caution")
        elif self.prompt.is_open:
            self.show_status("A question is open: answer it (Enter) or cancel it (Esc), then Ctrl+W.", "caution")
        else:
            self.leaveRequested.emit()

    def will_close(self) -> bool:
        """Whether a close goes through now: a running session asks first (see closeEvent)."""
        return not self.controller.is_running or self._close_confirmed

    def close_now(self) -> bool:
        self._close_confirmed = True
        self.close()
        return True

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt name)
        if not self.will_close():
            event.ignore()
            if self.private:
                self.toggle_privacy()
            self.commands.confirm_close()
            return
        self.controller.stop_ticking()
        super().closeEvent(event)
