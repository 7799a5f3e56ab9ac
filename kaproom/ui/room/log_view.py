"""The room's log: every saved entry, newest last, wrapped, and kept scrolled to the newest unless
the therapist has scrolled up to read something older.

An entry appears here only from ``eventRecorded``, i.e. after the store has committed it, so a
line in this list is a line in the database. A correction (amendment) is shown directly under
the entry it corrects; the original stays as it was.
"""
from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QMenu, QWidget

from kaproom.domain.clock import from_iso
from kaproom.domain.events import Kind, RecordedEvent
from kaproom.domain.protocol import Protocol
from kaproom.ui.room.log_text import AMENDABLE, line_for

EVENT_ROLE = Qt.ItemDataRole.UserRole
AMENDMENT_PREFIX = "      \u21b3 "  # an arrow under the entry it corrects
STICK_MARGIN = 4  # pixels from the bottom that still count as "at the newest entry"
_COMMAND_KEYS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier \
    | Qt.KeyboardModifier.MetaModifier


def typed_text(event: QKeyEvent) -> str:
    """The printable text a key press types ('' for Enter, arrows, F-keys and Ctrl/Alt chords)."""
    text = event.text()
    if not text or not text.isprintable() or event.modifiers() & _COMMAND_KEYS:
        return ""
    return text


class LogView(QListWidget):
    """Saved entries as wrapped lines; context menu and Ctrl+Shift+A offer a correction."""

    amendRequested = Signal(object)  # the RecordedEvent to correct

    def __init__(self, protocol: Protocol | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.protocol = protocol
        self.setObjectName("logView")
        self.setAccessibleName("Session log")
        self.setAccessibleDescription("Saved entries, newest last. Ctrl+Shift+A or the context menu corrects one.")
        self.setWordWrap(True)
        self.setUniformItemSizes(False)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)
        self._rows_by_seq: dict[int, QListWidgetItem] = {}
        self._stick = True
        self._adjusting = False
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._on_scrolled)
        bar.rangeChanged.connect(self._on_range)

    # ---------------------------------------------------------------- content
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt name)
        """Arrow keys choose an entry; typed text is not a search here: it goes on to the room,
        which puts it in the note field (a note typed while the log had the focus is never lost)."""
        if typed_text(event):
            event.ignore()
            return
        super().keyPressEvent(event)

    def add_event(self, event: RecordedEvent) -> QListWidgetItem | None:
        """Show one committed event (ignored if the room does not show its kind or it is shown already)."""
        if event.seq in self._rows_by_seq:
            return None
        line = line_for(event, self.protocol)
        if line is None:
            return None
        item = QListWidgetItem()
        item.setData(EVENT_ROLE, event)
        item.setToolTip(self._tooltip(event))
        target = self._rows_by_seq.get(int(event.payload.get("amends_seq", -1))) \
            if event.kind == Kind.AMENDMENT else None
        if target is not None:
            item.setText(AMENDMENT_PREFIX + line)
            row = self.row(target) + 1
            while row < self.count() and self.item(row).text().startswith(AMENDMENT_PREFIX):
                row += 1
            self.insertItem(row, item)
            target.setToolTip(target.toolTip() + f"\nCorrected at {line.split()[0]} (shown below).")
        else:
            item.setText(line)
            self.addItem(item)
        self._rows_by_seq[event.seq] = item
        return item

    def add_events(self, events) -> None:
        for event in events:
            self.add_event(event)

    def _tooltip(self, event: RecordedEvent) -> str:
        try:
            local = from_iso(event.wall_time).astimezone().strftime("%H:%M:%S")
        except ValueError:
            local = event.wall_time
        phase = f", {event.phase} phase" if event.phase else ""
        saved = f"Saved at {local} by {event.author or 'KAP Room'}{phase} (entry {event.seq})"
        if event.kind == Kind.MUSIC and event.payload.get("action") == "unavailable":
            # The banner said why while it lasted; the log's line says when, its tooltip why.
            return f"{event.payload.get('message', '')}\n{saved}"
        return saved

    def lines(self) -> list[str]:
        """Every line as shown, top to bottom."""
        return [self.item(row).text() for row in range(self.count())]

    def shown_seqs(self) -> list[int]:
        return [self.item(row).data(EVENT_ROLE).seq for row in range(self.count())]

    def event_at(self, row: int) -> RecordedEvent | None:
        item = self.item(row)
        return item.data(EVENT_ROLE) if item is not None else None

    def selected_event(self) -> RecordedEvent | None:
        item = self.currentItem()
        return item.data(EVENT_ROLE) if item is not None and item.isSelected() else None

    def latest_amendable(self) -> RecordedEvent | None:
        """The newest note or tag, for a correction when nothing is selected."""
        for row in range(self.count() - 1, -1, -1):
            event = self.event_at(row)
            if event is not None and event.kind in (Kind.NOTE, Kind.TAG):
                return event
        return None

    # ---------------------------------------------------------------- scrolling
    @property
    def following(self) -> bool:
        """True while the view keeps the newest entry in sight."""
        return self._stick

    def _on_scrolled(self, value: int) -> None:
        if not self._adjusting:
            self._stick = value >= self.verticalScrollBar().maximum() - STICK_MARGIN

    def _on_range(self, _low: int, high: int) -> None:
        if self._stick:
            self._adjusting = True
            self.verticalScrollBar().setValue(high)
            self._adjusting = False

    def follow_newest(self) -> None:
        self._stick = True
        self.scrollToBottom()

    # ---------------------------------------------------------------- correcting
    def _context_menu(self, pos: QPoint) -> None:
        item = self.itemAt(pos) or self.currentItem()
        if item is None:
            return
        event: RecordedEvent = item.data(EVENT_ROLE)
        menu = QMenu(self)
        action = menu.addAction("Correct this entry (adds an amendment)\tCtrl+Shift+A")
        action.setEnabled(event.kind in AMENDABLE)
        action.triggered.connect(lambda: self.amendRequested.emit(event))
        menu.popup(self.viewport().mapToGlobal(pos))
