"""The room screen: a quiet, keyboard-first window for the three hours beside the client.

The cursor lives in the note field; Enter saves, F-keys tag, and an entry shows in the log only
once it is in the database. The music strip and the vitals panel plug in through the small API
below (``set_music_strip``, ``add_panel``, ``add_banner``, ``set_vitals_due``, ``add_shortcut``,
``set_discharge_handler``, ``show_status`` ...), the ``RoomHost`` of :mod:`kaproom.ui.kit.host`:
the window loads each one's module by name and calls its ``install(host)``. The room imports
nothing of them, and they nothing of the room.
"""
from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Callable, Sequence
from functools import partial

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QFont, QFontMetrics, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QMainWindow,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kaproom.domain.clock import format_hms
from kaproom.domain.dose import asks_how_the_dose_ended, dose_end_question, ends_the_dose
from kaproom.domain.events import Kind, RecordedEvent
from kaproom.domain.session import State
from kaproom.store import StoreError
from kaproom.ui.kit.buttons import button_text, make_button
from kaproom.ui.kit.errors import calm_message
from kaproom.ui.kit.host import LEAVE_HINT
from kaproom.ui.kit.labels import ElidedLabel, make_label
from kaproom.ui.kit.prompt import RoomPrompt
from kaproom.ui.kit.scrolling import show_whole
from kaproom.ui.kit.shortcuts import NoteInput, ShortcutHelp, ShortcutRegistry
from kaproom.ui.kit.theme import Sizes, font_sizes, set_level
from kaproom.ui.room.commands import RoomCommands
from kaproom.ui.room.controller import SessionController
from kaproom.ui.room.header import ClockLabel, PhaseStrip, phase_text
from kaproom.ui.room.layout import NOTE_MAX_CHARS, PRIVACY_KEY, BannerPlace, SidePanels, side_max_width
from kaproom.ui.room.log_view import LogView, typed_text
from kaproom.ui.room.schedule import vitals_due_text

#: The parts a room has unless told otherwise: modules with ``install(host: RoomHost)``, loaded by
#: name (a build without one of them goes on without it).
MUSIC_EXTENSION, VITALS_EXTENSION = "kaproom.ui.music.strip", "kaproom.ui.vitals.panel"
ROOM_EXTENSIONS = (MUSIC_EXTENSION, VITALS_EXTENSION)
TITLE = "KAP Room"
#: The room's buttons never take the focus: a click keeps the cursor in the note field.
QUIET = Qt.FocusPolicy.NoFocus


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
        self.parts: dict[str, object] = {}  # what each extension's install() gave back, by module name
        self._vitals_external = False
        self._close_confirmed = False
        self.size_scale = 1.0  # the room's fonts against a 1000-pixel-high screen (size_for_screen)
        self.text_scale = 1.0  # the text-size setting (theme.TEXT_SIZES), remembered per room by the shell
        self._screen_height = 1000
        self._dose_end_recorded = False  # a quick tag said how the dose ended (lozenge spat out or swallowed)
        self._typed_under_cover = 0  # characters typed under the privacy cover, kept in the note field
        self.shortcuts = ShortcutRegistry(self)
        self.commands = RoomCommands(self)  # before the widgets: their buttons call it
        self._discharge_handler: Callable[[], None] = self.commands.discharge
        self.setObjectName("roomWindow")
        self.setWindowTitle(TITLE)
        self.apply_sizes()  # first: a style sheet set over built widgets restyles every one of them again
        self._build()
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
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._keep_focus_in_view)
        self.focus_note()

    @property
    def vitals(self) -> object | None:
        """The vitals panel's part (kaproom.ui.vitals.panel.RoomVitals), once installed."""
        return self.parts.get(VITALS_EXTENSION)

    # ================================================================ building
    def _build(self) -> None:
        """The room's widgets, laid out: the header above the body (which the privacy cover replaces)."""
        header = self._build_header()
        middle_row = self._build_log_and_side()
        note_row = self._build_note_entry()
        bottom = self._build_commands()

        body = QWidget()
        body.setObjectName("roomBody")
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(8)
        column.addWidget(self.phase_strip)
        column.addLayout(middle_row, 1)
        column.addWidget(self.prompt)
        column.addLayout(note_row)
        column.addWidget(self.save_error)
        column.addLayout(self.tag_grid)
        column.addWidget(self.music_area)
        column.addLayout(bottom)

        self.privacy_cover = QWidget()
        self.privacy_cover.setObjectName("privacyCover")
        self.privacy_cover.setAccessibleName("Privacy cover")
        self.privacy_cover.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        cover_layout = QVBoxLayout(self.privacy_cover)
        hint = make_label("privacyHint", f"Private. Press {PRIVACY_KEY} to show the session again.", "Privacy hint")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        cover_layout.addStretch(1)
        cover_layout.addWidget(hint)
        self.body_stack = QStackedWidget()
        self.body_stack.addWidget(body)
        self.body_stack.addWidget(self.privacy_cover)
        self.body = body

        root = QWidget()
        outer = QVBoxLayout(root)
        outer.setContentsMargins(18, 12, 18, 12)
        outer.setSpacing(8)
        outer.addLayout(header)
        outer.addWidget(self.body_stack, 1)
        self.setCentralWidget(root)

    def _build_header(self) -> QHBoxLayout:
        """The clock, the phase, the next vitals check and the time since the dose: what the
        privacy cover leaves."""
        self.clock_label = ClockLabel()
        # One line each, whatever they say (late in a session they say the most: "overdue 22 min
        # (dose not recorded: ...)"): a wrapped headline would move everything under it. A long one
        # is drawn a little smaller; what still does not fit ends in "…" (the tooltip has it whole).
        self.phase_label = ElidedLabel("phaseLabel", "", "Current phase and time left", whole_in_tooltip=True,
                                       shrink_to=0.75)
        self.vitals_due = ElidedLabel("vitalsDue", "\u2014", "Next vitals check", whole_in_tooltip=True,
                                      shrink_to=0.8)
        self.vitals_due.setProperty("level", "ok")
        # Time since the dose: what KAP timing is counted from (the blood-pressure peak near 40 min, the
        # observation before discharge). Shown once a dose is recorded, beside the next-check line.
        self.since_dose = make_label("sinceDose", "", "Time since the dose")
        self.since_dose.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.since_dose.hide()
        self.demo_marker = make_label("demoMarker", "DEMO",
                                      "Demo session: not a real client, kept in the demo database")
        self.demo_marker.setToolTip("A demonstration on a fast clock, kept in its own database apart from real "
                                    "sessions.")
        self.demo_marker.setVisible(self.demo)
        for fixed in (self.clock_label, self.demo_marker):
            fixed.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        for line in (self.phase_label, self.vitals_due, self.since_dose):
            policy = QSizePolicy(QSizePolicy.Policy.Expanding if line is not self.since_dose
                                 else QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            policy.setRetainSizeWhenHidden(True)  # the privacy cover hides them: the headline stays put
            line.setSizePolicy(policy)
        header = QHBoxLayout()
        header.setSpacing(24)
        header.addWidget(self.clock_label, 0, Qt.AlignmentFlag.AlignVCenter)
        middle = QVBoxLayout()
        middle.addWidget(self.phase_label)
        due_row = QHBoxLayout()
        due_row.addWidget(self.vitals_due, 1)
        due_row.addWidget(self.since_dose, 0)
        middle.addLayout(due_row)
        header.addLayout(middle, 1)
        header.addWidget(self.demo_marker, 0, Qt.AlignmentFlag.AlignTop)
        return header

    def _build_log_and_side(self) -> QHBoxLayout:
        """The phase strip and the banners above; the log, and the column of panels beside it."""
        self.phase_strip = PhaseStrip(self.protocol)
        # Banners have a place of their own above the log, kept whether or not one shows: a banner
        # that comes or goes never moves the log. With none it says "No alerts", quietly.
        self.banner_box = BannerPlace()
        self.banner_quiet = self.banner_box.quiet
        self.reserve_banner_space()
        self.log_view = LogView(self.protocol)
        self.log_view.amendRequested.connect(self.commands.amend)
        self.log_view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.side = SidePanels()  # panels scroll inside it, so no panel can push the window past the screen
        self.side.setObjectName("roomPanels")
        self.side.setAccessibleName("Side panels")
        side_scroll = QScrollArea()
        side_scroll.setObjectName("roomPanelsScroll")
        side_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the fields in it, never to an unmarked frame
        side_scroll.setWidgetResizable(True)
        side_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        side_inner = QWidget()
        side_inner.setObjectName("roomPanelsInner")
        self.side_layout = QVBoxLayout(side_inner)
        self.side_layout.setContentsMargins(8, 8, 8, 8)
        side_scroll.setWidget(side_inner)
        side_frame_layout = QVBoxLayout(self.side)
        side_frame_layout.setContentsMargins(0, 0, 0, 0)
        side_frame_layout.addWidget(side_scroll)
        self.side.setMaximumWidth(side_max_width(self.size_scale))
        self.side.hide()
        # The key list (Ctrl+/) shows in the log's place, in two columns: the side column is too
        # narrow for forty keys, even on a 1080p screen.
        self.shortcut_help = ShortcutHelp()
        self.shortcut_help_scroll = QScrollArea()
        self.shortcut_help_scroll.setObjectName("shortcutHelpScroll")
        self.shortcut_help_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.shortcut_help_scroll.setWidgetResizable(True)
        self.shortcut_help_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.shortcut_help_scroll.setWidget(self.shortcut_help)
        self.log_stack = QStackedWidget()
        self.log_stack.addWidget(self.log_view)
        self.log_stack.addWidget(self.shortcut_help_scroll)
        middle_row = QHBoxLayout()
        log_column = QVBoxLayout()  # the banners' place is above the log: the side panels keep their height
        log_column.setSpacing(4)
        log_column.addWidget(self.banner_box)
        log_column.addWidget(self.log_stack, 1)
        middle_row.addLayout(log_column, 1)
        middle_row.addWidget(self.side)
        return middle_row

    def _build_note_entry(self) -> QHBoxLayout:
        """The question bar, the note field with its Save button, the save error, the tag grid
        (filled in _add_room_shortcuts) and the music strip's place."""
        self.prompt = RoomPrompt()
        self.note_input = NoteInput(self.shortcuts)
        self.note_input.setObjectName("noteInput")
        self.note_input.setAccessibleName("Observation note")
        self.note_input.setPlaceholderText("Type an observation and press Enter to save it")
        self.note_input.setMaxLength(NOTE_MAX_CHARS)
        self.note_input.textChanged.connect(self._warn_if_full)
        self.note_input.returnPressed.connect(self.save_note)
        self.save_button = make_button("saveNote", "Save (Enter)", "Save the note", focus=QUIET,
                                       on_click=self.save_note)
        note_row = QHBoxLayout()
        note_row.addWidget(self.note_input, 1)
        note_row.addWidget(self.save_button)
        self.save_error = make_label("saveError", "", "Why the last entry was not saved", wrap=True)
        self.save_error.hide()

        self.tag_grid = QGridLayout()
        self.tag_grid.setHorizontalSpacing(6)
        self.tag_grid.setVerticalSpacing(6)
        self.music_area = QFrame()
        self.music_area.setObjectName("musicStrip")
        self.music_area.setAccessibleName("Music")
        self._music_layout = QHBoxLayout(self.music_area)
        self._music_layout.setContentsMargins(8, 4, 8, 4)
        self.music_placeholder = make_label("musicPlaceholder", "Music: not connected", "Music status")
        self.music_placeholder.setProperty("muted", "true")
        self._music_layout.addWidget(self.music_placeholder)
        return note_row

    def _build_commands(self) -> QHBoxLayout:
        """The status line and the command buttons (the first four go grey once the session has ended)."""
        # One line: a long message ends in "…" (the whole of it in the tooltip), never pushing the
        # note field up.
        self.status = ElidedLabel("roomStatus", "", "Status", whole_in_tooltip=True)
        self.status.setProperty("level", "info")
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        self.command_buttons = [
            make_button("advanceButton", "Next phase", "Move on to the next phase", focus=QUIET,
                        on_click=self.commands.advance),
            make_button("extendButton", "Extend", "Extend this phase", focus=QUIET, on_click=self.commands.extend),
            make_button("endEarlyButton", "End early", "End the session early", focus=QUIET,
                        on_click=self.commands.end_early),
            make_button("dischargeButton", "Discharge", "Discharge the client", focus=QUIET, on_click=self.discharge),
            make_button("privacyButton", f"Privacy ({PRIVACY_KEY})", "Hide everything but the clock", focus=QUIET,
                        on_click=self.toggle_privacy),
            make_button("shortcutsButton", "Keys (Ctrl+/)", "Show the keyboard shortcuts", focus=QUIET,
                        on_click=self.toggle_shortcut_help),
        ]
        self.leave_button = make_button("leaveButton", "Home page (Ctrl+W)",
                                        "Close this session and go to the home page", focus=QUIET, on_click=self.leave)
        self.leave_button.hide()  # shown once the session has ended
        for button in (*self.command_buttons, self.leave_button):
            bottom.addWidget(button)
        return bottom

    def _warn_if_full(self, text: str) -> None:
        if len(text) >= NOTE_MAX_CHARS:
            self.show_status(f"This note is at its {NOTE_MAX_CHARS:,}-character limit: anything pasted beyond it "
                             "was not taken. Save it, then add the rest as another note.", "caution")

    def apply_sizes(self) -> None:
        """Fonts follow the screen: the same layout must fit 1366x768 and stay legible at 1920x1080."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        self.size_for_screen(screen.availableGeometry().height() if screen is not None else 1000)

    def size_for_screen(self, height: int) -> None:
        """The room's fonts for a screen this many pixels high; the side column's widest grows
        with them (see layout.side_max_width)."""
        self._screen_height = height
        self.size_scale = height / 1000
        self.setStyleSheet(font_sizes(self.sizes()))
        if hasattr(self, "banner_box"):
            self.reserve_banner_space()
            self.side.setMaximumWidth(side_max_width(max(1.0, self.size_scale) * self.text_scale))
            self.side.updateGeometry()

    def sizes(self) -> Sizes:
        """The room's font sizes: the screen's, and then the text-size setting's."""
        return Sizes().scaled(self.size_scale).larger_text(self.text_scale)

    def set_text_scale(self, factor: float) -> None:
        """The text-size setting (1 normal, 1.2 large, 1.4 larger): the text grows in the same
        fixed layout (one-line messages, reserved banners, scrolling panels)."""
        if factor != self.text_scale:
            self.text_scale = factor
            self.size_for_screen(self._screen_height)

    def reserve_banner_space(self) -> None:
        """The banners' place: two lines of the room's text, as tall as an alert banner with its
        buttons, whether or not a banner shows."""
        font = QFont(self.font())
        font.setPointSizeF(self.sizes().body)
        self.banner_box.setFixedHeight(2 * QFontMetrics(font).height() + 6)

    def _add_room_shortcuts(self) -> None:
        for index, tag in enumerate(self.protocol.quick_tags):
            self.add_shortcut(tag.key, f"Tag: {tag.label}", partial(self.tag, tag.label))
            button = make_button(f"tag{index}", button_text(f"{tag.key}  {tag.label}"), f"Tag {tag.label} ({tag.key})",
                                 focus=QUIET, on_click=partial(self.tag, tag.label))
            self.tag_grid.addWidget(button, index // 5, index % 5)
        self.add_shortcut(PRIVACY_KEY, "Privacy: hide everything but the clock and phase (again to show)",
                          self.toggle_privacy)
        self.add_shortcut("F11", "Full screen on or off", self.toggle_full_screen)
        self.add_shortcut("Ctrl+Shift+N", "Next phase now (then Enter, or press again)", self.commands.advance)
        self.add_shortcut("Ctrl+Z", "Undo the phase change made by hand a moment ago (else undo typing)",
                          self.undo)
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
                self.parts[name] = module.install(self)
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
        self.music_placeholder.hide()
        if widget.objectName() == "musicStrip":
            self.music_area.setObjectName("musicStripArea")  # one widget answers to musicStrip
        self._music_layout.addWidget(widget, 1)

    def add_quiet_line(self, widget: QWidget) -> None:
        """A small, fixed-width line at the right of the music strip (the clinic server's line); it
        is in the body, so the privacy cover hides it."""
        self._music_layout.addWidget(widget, 0)
        widget.show()  # added to a room already on screen, too

    def add_panel(self, widget: QWidget) -> None:
        """A compact panel beside the log (never over the clock)."""
        self.side_layout.addWidget(widget)
        self.side.show()

    def add_banner(self, widget: QWidget) -> None:
        """A persistent line under the clock (alerts, "music unavailable"), in the banners' own place."""
        self.banner_box.add(widget)

    def panels_resized(self) -> None:
        """A panel beside the log shows something else: the column sizes itself to its panels,
        which scroll, so it must be told."""
        self.side.updateGeometry()

    def check_record(self) -> bool:
        """Verify the session's stored record; if it was changed outside KAP Room, say so in a
        banner that stays. True if it verifies."""
        problem = self.controller.record_problem()
        if problem:
            banner = make_label("recordChanged", problem, "The session's record was changed", wrap=True)
            banner.setProperty("level", "caution")
            self.add_banner(banner)
        self.ask_about_resume_clock()
        return not problem

    def ask_about_resume_clock(self) -> None:
        """After a resume whose wall-clock gap is more than can have passed in the room (see
        ResumeDoubt), ask in place which is right; until answered the room's count is used."""
        doubt = self.runner.resume_doubt
        if doubt is None:
            return
        room, wall = format_hms(doubt.room_gap), format_hms(doubt.wall_gap)

        def answer(kept: str, _text: str) -> bool:
            try:
                (self.runner.keep_wall_clock if kept == "wall" else self.runner.keep_room_clock)()
            except StoreError as exc:
                self.prompt.show_message(calm_message(exc))
                return False
            return True

        self.prompt.ask("resume_clock", f"The computer's clock says {wall} passed since the last entry, but "
                        f"{doubt.reason}. KAP Room counts {room} until you say otherwise: which is right?",
                        answer, choices=((f"{room} (the room's count)", "room"), (f"{wall} (the clock)", "wall")),
                        on_close=self.focus_note)

    def set_vitals_due(self, text: str, level: str) -> None:
        """The vitals panel's own due line replaces the default one from now on."""
        self._vitals_external = True
        self._show_vitals_due(text, level)

    def add_shortcut(self, key: str, description: str, callback: Callable[[], object]) -> QAction:
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

    def undo(self) -> None:
        """Ctrl+Z: the phase change made by hand a moment ago, or else the note field's typing."""
        if not self.commands.undo_phase_change() and self.note_input.hasFocus():
            self.note_input.undo()

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
        text = phase_text(self.runner, self.vitals_times)
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
        last = state.last_dose_time  # since a booster, once given (kaproom.domain.medication)
        since = None if last is None else format_hms(max(0.0, elapsed - last))
        dose = "the booster" if len(state.dose_times) > 1 else "the dose"
        # Once the session has ended its clock stops: "since" would go on being read as now.
        if since is None:
            text = ""
        else:
            text = f"{since} since {dose}" if state.state.is_open else f"Ended {since} after {dose}"
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

    # ================================================================ typing where no field takes it
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt name)
        """Text typed where no field takes it (the log, a button, a panel just closed, the privacy
        cover) reaches the window: it goes into the note field, and the room says so; nothing typed
        is dropped without a word."""
        text = typed_text(event)
        if not text:
            super().keyPressEvent(event)
            return
        event.accept()
        self.take_stray_text(text)

    def take_stray_text(self, text: str) -> bool:
        """Put ``text`` at the end of the note field (hidden under the privacy cover, and said when
        the cover lifts); True if the field took it, else the status line says it was not taken."""
        before = self.note_input.text()
        self.note_input.end(False)
        self.note_input.insert(text)
        if self.note_input.text() == before:
            self.show_status(f"Not taken: the note field is full ({NOTE_MAX_CHARS:,} characters). Save it "
                             "(Enter), then type the rest.", "caution")
            return False
        if self.private:
            self._typed_under_cover += len(text)
            return True
        if not self.note_input.hasFocus():
            self.show_status("What you typed went to the note field (nothing else was taking it). Enter saves it.",
                             "info")
            self.focus_note()
        return True

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
            if self._typed_under_cover:
                self.show_status("What you typed under the privacy cover is in the note field, not saved yet: "
                                 "Enter saves it.", "caution")
                self._typed_under_cover = 0
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
            self.log_stack.setCurrentWidget(self.log_view)
        else:
            self.shortcut_help.show_for(self.shortcuts, columns=2)
            self.log_stack.setCurrentWidget(self.shortcut_help_scroll)

    def _keep_focus_in_view(self, _old: QWidget | None, new: QWidget | None) -> None:
        """Whatever takes the focus beside the log (a field, the dose question's answers, the
        checklist's buttons) is scrolled into view, by Tab or given the focus by a key: on a
        1366x768 screen the panels are taller than their column."""
        if new is None or not self.side.isAncestorOf(new):
            return
        # After the layout: a question just shown has no place of its own yet.
        QTimer.singleShot(0, self, lambda: self._scroll_to(new))

    def _scroll_to(self, widget: QWidget) -> None:
        try:
            if not widget.hasFocus() or not self.side.isAncestorOf(widget):
                return
        except RuntimeError:  # gone meanwhile (a panel rebuilt)
            return
        parent = widget.parentWidget()
        while parent is not None and parent is not self.side:  # the panel's own area first, then the column's
            if isinstance(parent, QScrollArea):
                show_whole(parent, widget)
            parent = parent.parentWidget()

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
