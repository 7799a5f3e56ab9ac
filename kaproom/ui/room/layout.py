"""The room screen's widgets and where they sit; ``RoomWindow`` adds the behaviour.

Top: the clock, the phase and the next vitals check (the only part the privacy cover leaves).
Below: the phase strip, banners, the log with side panels, the in-window question, the note
field, quick tag buttons, the music strip and the command buttons.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kaproom.ui.kit.prompt import RoomPrompt
from kaproom.ui.kit.shortcuts import NoteInput, ShortcutHelp
from kaproom.ui.room.header import ClockLabel, PhaseStrip
from kaproom.ui.room.log_view import LogView

if TYPE_CHECKING:
    from kaproom.ui.room.window import RoomWindow

PRIVACY_KEY = "F12"
#: Said once a session has ended (its own words, or the discharge's and the early end's).
LEAVE_HINT = "Ctrl+W goes to the home page when you are done."
SIDE_MIN_WIDTH, SIDE_MAX_WIDTH = 320, 460  # the widest on a laptop; larger screens: side_max_width
#: Around a panel's own content: the column's margins, a scroll bar, the panels' frames.
SIDE_CHROME = 8 + 8 + 6 + 14 + 4


class SidePanels(QFrame):
    """The column of panels beside the log. Its panels scroll inside it, and a scroll area asks
    for no width of its own, so the column asks for what its widest panel's content needs (the
    room's fonts grow with the screen): otherwise titles and right-hand fields would be cut off."""

    def minimumSizeHint(self):  # noqa: N802 - Qt's name
        hint = super().minimumSizeHint()
        widest = max((area.widget().minimumSizeHint().width() for area in self.findChildren(QScrollArea)
                      if area.widget() is not None), default=0)
        hint.setWidth(max(hint.width(), SIDE_MIN_WIDTH, min(self.maximumWidth(), widest + SIDE_CHROME)))
        return hint

    def sizeHint(self):  # noqa: N802 - Qt's name
        return self.minimumSizeHint()


def side_max_width(scale: float) -> int:
    """The side column's widest: 460 px up to a 1000-pixel-high screen, then growing as the room's
    fonts do, so a 1440- or 2160-pixel screen does not cut the vitals panel's title and fields."""
    return round(SIDE_MAX_WIDTH * max(1.0, scale))


def make_label(name: str, text: str = "", accessible: str = "", wrap: bool = False) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setAccessibleName(accessible or name)
    label.setWordWrap(wrap)
    return label


def make_button(name: str, text: str, accessible: str, callback: Callable[[], None]) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setAccessibleName(accessible)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # clicking keeps the cursor in the note field
    button.clicked.connect(lambda _=False: callback())
    return button



def build_room(room: RoomWindow) -> None:
    """Create the room's widgets as attributes of ``room`` and lay them out."""
    room.clock_label = ClockLabel()
    room.phase_label = make_label("phaseLabel", "", "Current phase and time left", wrap=True)
    # Wraps: late in a session it says the most ("overdue 22 min (dose not recorded: ...)").
    room.vitals_due = make_label("vitalsDue", "\u2014", "Next vitals check", wrap=True)
    room.vitals_due.setProperty("level", "ok")
    # Time since the dose: what KAP timing is counted from (the blood-pressure peak near 40 min, the
    # observation before discharge). Shown once a dose is recorded, beside the next-check line.
    room.since_dose = make_label("sinceDose", "", "Time since the dose")
    room.since_dose.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    room.since_dose.hide()
    room.demo_marker = make_label("demoMarker", "DEMO", "Demo session: not a real client, kept in the demo database")
    room.demo_marker.setToolTip("A demonstration on a fast clock, kept in its own database apart from real sessions.")
    room.demo_marker.setVisible(room.demo)
    for fixed in (room.clock_label, room.demo_marker):
        fixed.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
    header = QHBoxLayout()
    header.setSpacing(24)
    header.addWidget(room.clock_label, 0, Qt.AlignmentFlag.AlignVCenter)
    middle = QVBoxLayout()
    middle.addWidget(room.phase_label)
    due_row = QHBoxLayout()
    due_row.addWidget(room.vitals_due, 1)
    due_row.addWidget(room.since_dose, 0)
    middle.addLayout(due_row)
    header.addLayout(middle, 1)
    header.addWidget(room.demo_marker, 0, Qt.AlignmentFlag.AlignTop)

    room.phase_strip = PhaseStrip(room.protocol)
    room.banner_area = QVBoxLayout()
    room.banner_area.setSpacing(4)
    room.log_view = LogView(room.protocol)
    room.log_view.amendRequested.connect(lambda event: room.commands.amend(event))
    room.log_view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    room.side = SidePanels()  # panels scroll inside it, so no panel can push the window past the screen
    room.side.setObjectName("roomPanels")
    room.side.setAccessibleName("Side panels")
    side_scroll = QScrollArea()
    side_scroll.setObjectName("roomPanelsScroll")
    side_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the fields in it, never to an unmarked frame
    side_scroll.setWidgetResizable(True)
    side_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    side_inner = QWidget()
    side_inner.setObjectName("roomPanelsInner")
    room.side_layout = QVBoxLayout(side_inner)
    room.side_layout.setContentsMargins(8, 8, 8, 8)
    side_scroll.setWidget(side_inner)
    side_frame_layout = QVBoxLayout(room.side)
    side_frame_layout.setContentsMargins(0, 0, 0, 0)
    side_frame_layout.addWidget(side_scroll)
    room.shortcut_help = ShortcutHelp()
    room.side_layout.addWidget(room.shortcut_help)
    room.side.setMaximumWidth(side_max_width(room.size_scale))
    room.side.hide()
    middle_row = QHBoxLayout()
    middle_row.addWidget(room.log_view, 1)
    middle_row.addWidget(room.side)

    room.prompt = RoomPrompt()
    room.note_input = NoteInput(room.shortcuts)
    room.note_input.setObjectName("noteInput")
    room.note_input.setAccessibleName("Observation note")
    room.note_input.setPlaceholderText("Type an observation and press Enter to save it")
    room.note_input.setMaxLength(NOTE_MAX_CHARS)
    room.note_input.textChanged.connect(lambda text: _warn_if_full(room, text))
    room.note_input.returnPressed.connect(room.save_note)
    room.save_button = make_button("saveNote", "Save (Enter)", "Save the note", room.save_note)
    note_row = QHBoxLayout()
    note_row.addWidget(room.note_input, 1)
    note_row.addWidget(room.save_button)
    room.save_error = make_label("saveError", "", "Why the last entry was not saved", wrap=True)
    room.save_error.hide()

    room.tag_grid = QGridLayout()
    room.tag_grid.setHorizontalSpacing(6)
    room.tag_grid.setVerticalSpacing(6)
    room.music_area = QFrame()
    room.music_area.setObjectName("musicStrip")
    room.music_area.setAccessibleName("Music")
    music_layout = QHBoxLayout(room.music_area)
    music_layout.setContentsMargins(8, 4, 8, 4)
    room.music_placeholder = make_label("musicPlaceholder", "Music: not connected", "Music status")
    room.music_placeholder.setProperty("muted", "true")
    music_layout.addWidget(room.music_placeholder)

    room.status = make_label("roomStatus", "", "Status", wrap=True)
    room.status.setProperty("level", "info")
    bottom = QHBoxLayout()
    bottom.addWidget(room.status, 1)
    room.command_buttons = [
        make_button("advanceButton", "Next phase", "Move on to the next phase", lambda: room.commands.advance()),
        make_button("extendButton", "Extend", "Extend this phase", lambda: room.commands.extend()),
        make_button("endEarlyButton", "End early", "End the session early", lambda: room.commands.end_early()),
        make_button("dischargeButton", "Discharge", "Discharge the client", lambda: room.discharge()),
        make_button("privacyButton", f"Privacy ({PRIVACY_KEY})", "Hide everything but the clock", room.toggle_privacy),
        make_button("shortcutsButton", "Keys (Ctrl+/)", "Show the keyboard shortcuts", room.toggle_shortcut_help),
    ]
    room.leave_button = make_button("leaveButton", "Home page (Ctrl+W)", "Close this session and go to the home page",
                                    room.leave)
    room.leave_button.hide()  # shown once the session has ended
    for button in (*room.command_buttons, room.leave_button):
        bottom.addWidget(button)

    body = QWidget()
    body.setObjectName("roomBody")
    column = QVBoxLayout(body)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(8)
    column.addWidget(room.phase_strip)
    column.addLayout(room.banner_area)
    column.addLayout(middle_row, 1)
    column.addWidget(room.prompt)
    column.addLayout(note_row)
    column.addWidget(room.save_error)
    column.addLayout(room.tag_grid)
    column.addWidget(room.music_area)
    column.addLayout(bottom)

    room.privacy_cover = QWidget()
    room.privacy_cover.setObjectName("privacyCover")
    room.privacy_cover.setAccessibleName("Privacy cover")
    room.privacy_cover.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    cover_layout = QVBoxLayout(room.privacy_cover)
    hint = make_label("privacyHint", f"Private. Press {PRIVACY_KEY} to show the session again.", "Privacy hint")
    hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
    cover_layout.addStretch(1)
    cover_layout.addWidget(hint)
    room.body_stack = QStackedWidget()
    room.body_stack.addWidget(body)
    room.body_stack.addWidget(room.privacy_cover)
    room.body = body

    root = QWidget()
    outer = QVBoxLayout(root)
    outer.setContentsMargins(18, 12, 18, 12)
    outer.setSpacing(8)
    outer.addLayout(header)
    outer.addWidget(room.body_stack, 1)
    room.setCentralWidget(root)


#: Qt's own ceiling for a line edit; a paste beyond it is cut, so the therapist is told.
NOTE_MAX_CHARS = 32767


def _warn_if_full(room, text: str) -> None:
    if len(text) >= NOTE_MAX_CHARS:
        room.show_status(f"This note is at its {NOTE_MAX_CHARS:,}-character limit: anything pasted beyond it "
                         "was not taken. Save it, then add the rest as another note.", "caution")
