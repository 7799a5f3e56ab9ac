"""The room's quiet line about the clinic server: "sent to the clinic 0:00:04 ago" / "clinic server
unreachable since 14:02, 37 events waiting".

A computer that has joined a clinic server (``clinic.json`` in its data folder) runs the background
sender while the app is up (:func:`kaproom.services.clinic_sync.start_sender`). The sender reports on
its own thread; :class:`ClinicLink` hands each report to the Qt main thread with a queued signal
before any widget hears of it (DESIGN.md §7). A computer that never joined makes no link, loads no
psycopg and opens no socket (tests/test_no_network.py).

The line sits beside the music strip in the room (in the body, so the privacy cover hides it) and
under the buttons on the home page; it never pops up and never moves the layout.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from kaproom.ui.kit.theme import set_level

if TYPE_CHECKING:
    from kaproom.clinic.sender import SenderThread, SendStatus
    from kaproom.ui.kit.host import RoomHost
    from kaproom.ui.shell.home import HomeWindow

#: The file that says this computer has joined: kaproom.services.clinic_sync.CONFIG_FILE (a test
#: holds them equal). Looked for here so that a computer that never joined never loads psycopg.
JOINED_FILE = "clinic.json"
#: The room keeps this much width for the line (it wraps onto a second line within the music strip's
#: height), so that a changing line never moves the layout and the music strip keeps its words.
WIDEST = "clinic server unreachable since 00:00,"
TICK_MS = 1000  # "sent 0:00:04 ago" counts on


def has_joined(folder: Path) -> bool:
    return (Path(folder) / JOINED_FILE).exists()


class ClinicLink(QObject):
    """The background sender of a joined computer and what it last said, on the Qt main thread."""

    #: Emitted on the sender's thread with a SendStatus; received on the main thread (queued).
    reported = Signal(object)
    #: The line as it reads now (main thread): on every report and every second.
    textChanged = Signal(str)
    #: True while the last report says the server cannot be reached or refused (for the colour).
    troubleChanged = Signal(bool)

    def __init__(self, folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder = Path(folder)
        self.sending: SenderThread | None = None
        self.status: SendStatus | None = None
        self.text = ""
        # Here, not at the top: the app imports this module at every start, joined or not, and making
        # Qt's namespace type costs the home page 27-48 ms (bench/bench_startup.py, home page).
        from PySide6.QtCore import Qt  # noqa: PLC0415 - start-up figure above
        self.reported.connect(self._take, Qt.ConnectionType.QueuedConnection)
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self._say)

    def start(self) -> None:
        """Start the sender (once start-up is over: psycopg and the record's reader load here)."""
        if self.sending is not None:
            return
        # Here, not at the top: psycopg is for joined computers only, after start-up (bench/bench_startup.py).
        from kaproom.services.clinic_sync import start_sender  # noqa: PLC0415 - start-up figure above
        self.sending = start_sender(self.folder, self.reported.emit)
        if self.sending is not None:
            self.status = self.sending.status
            self._tick.start()
            self._say()

    def stop(self) -> None:
        self._tick.stop()
        if self.sending is not None:
            self.sending.stop()
            self.sending = None

    def nudge(self) -> None:
        """Something was committed: the sender looks now (it never holds up the caller)."""
        if self.sending is not None:
            self.sending.nudge()

    @property
    def in_trouble(self) -> bool:
        return self.status is not None and bool(self.status.unreachable_since or self.status.problem)

    def _take(self, status: SendStatus) -> None:
        self.status = status
        self._say()
        self.troubleChanged.emit(self.in_trouble)

    def _say(self) -> None:
        if self.status is None:
            return
        from kaproom.services.clinic_sync import describe_status  # noqa: PLC0415 - loaded by start() already
        text = describe_status(self.status)
        if text != self.text:
            self.text = text
            self.textChanged.emit(text)

    # ---------------------------------------------------------------- the lines that show it
    def show_in_room(self, host: RoomHost) -> ClinicLine:
        """The room's line, beside the music strip; each committed event nudges the sender."""
        from PySide6.QtCore import Qt  # noqa: PLC0415 - see __init__ (bench_startup, home page)
        label = ClinicLine(self, "clinicLine")
        label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        label.setWordWrap(True)
        label.setFixedWidth(label.fontMetrics().horizontalAdvance(WIDEST) + 8)  # never moves the layout
        label.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        host.add_quiet_line(label)
        host.controller.eventRecorded.connect(self._committed)
        return label

    def show_on_home(self, home: HomeWindow) -> ClinicLine:
        label = ClinicLine(self, "homeClinic")
        home.add_status_line(label)
        return label

    def _committed(self, _event: object) -> None:
        self.nudge()


class ClinicLine(QLabel):
    """A small muted label that follows a link for as long as it lives (caution while in trouble)."""

    def __init__(self, link: ClinicLink, name: str, parent: QWidget | None = None) -> None:
        super().__init__(link.text, parent)
        self.setObjectName(name)
        self.setAccessibleName("Whether this computer's record has reached the clinic server")
        set_level(self, "true", "muted")
        self.show_trouble(link.in_trouble)
        link.textChanged.connect(self.setText)
        link.troubleChanged.connect(self.show_trouble)

    def show_trouble(self, trouble: bool) -> None:
        set_level(self, "caution" if trouble else "info")


def make_clinic_link(folder: Path, parent: QObject | None = None) -> ClinicLink | None:
    """A link for a computer that has joined a clinic server; None (and nothing loaded) otherwise."""
    return ClinicLink(folder, parent) if has_joined(folder) else None
