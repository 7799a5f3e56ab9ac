"""The session list as a Qt model that reads one page at a time.

A clinic accumulates thousands of sessions; the view asks for rows only as it scrolls
(``canFetchMore``/``fetchMore``), and sorting or filtering re-runs one SQL query in the store
instead of sorting Python objects. The view never gets a widget per row.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from kaproom.clinic.errors import ClinicError
from kaproom.domain.clock import format_hms, from_iso
from kaproom.domain.discharge import observation_words
from kaproom.domain.vocabulary import DISCHARGED_TOO_SOON, outcome_words, short_of_protocol
from kaproom.export.records import Records
from kaproom.store import SessionRow, Store, StoreError
from kaproom.store.queries import (
    DEFAULT_OBSERVATION_MINUTES,
    DEFAULT_SORT,
    SessionFilter,
    count_sessions,
    index_marks,
    list_sessions,
    unindexed_sessions,
)
from kaproom.ui.review import style

Index = QModelIndex | QPersistentModelIndex
NO_PARENT = QModelIndex()  # a table's rows have no parent (Qt's default argument)

#: (heading, sort key in kaproom.store.queries.SORT_KEYS)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("Date", "date"), ("Room", "room"), ("Therapist", "therapist"), ("Client", "client"),
    ("Protocol", "protocol"), ("Duration", "duration"), ("How it ended", "ended"), ("Cautions", "cautions"),
    ("Urgent", "urgents"), ("Music errors", "music_errors"), ("Amendments", "amendments"), ("Signed off", "signed"),
)
ELIDED_KEYS = {"protocol", "therapist", "client"}
NUMERIC = {"cautions", "urgents", "music_errors", "amendments", "duration"}
SESSION_ROLE = Qt.ItemDataRole.UserRole + 1
PAGE_SIZE = 200


def local_time(text: str | None) -> str:
    """A stored UTC time as the supervisor's local date and time."""
    if not text:
        return ""
    try:
        return from_iso(text).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return text


def ended_text(row: SessionRow) -> str:
    return outcome_words(row.state)


def observed_minutes(row: SessionRow) -> float | None:
    """Minutes from the dose to the discharge, for a session discharged after a recorded dose."""
    if row.state != "discharged" or row.dose_time is None or row.duration_seconds is None:
        return None
    return max(0.0, row.duration_seconds - row.dose_time) / 60.0


def short_observation(row: SessionRow, minimum: float) -> str:
    """'Discharged 1 h 48 min after the dose, 12 min short of the protocol's 2 h', or '' when not short."""
    minutes = observed_minutes(row)
    if minutes is None:
        return ""
    observed, short = observation_words(minutes, minimum)
    return f"Discharged {observed} after the dose, {short_of_protocol(short, minimum)}" if short else ""


def signed_text(row: SessionRow) -> str:
    if not row.signed_at:
        return "Not signed"
    text = f"{row.signed_by or '?'} {local_time(row.signed_at)[:10]}"
    if row.amended_after_signoff:  # in words as well as colour; the tooltip says it in full
        text = f"⚠ {text} +{row.amended_after_signoff} after"
    return text


def cell_text(row: SessionRow, key: str) -> str:
    if key == "date":
        return local_time(row.started_at or row.created_at)
    if key == "room":
        return row.room if row.origin in ("", "local") else f"{row.room} · imported"
    if key == "therapist":
        return row.therapist
    if key == "client":
        return row.client_code + (" (demo)" if row.demo else "")
    if key == "protocol":
        return row.protocol_name
    if key == "duration":
        return format_hms(row.duration_seconds) if row.duration_seconds is not None else "—"
    if key == "ended":
        return ended_text(row)
    if key == "signed":
        return signed_text(row)
    return str(getattr(row, key))


class SessionListModel(QAbstractTableModel):
    """Filtered, sorted sessions; rows arrive a page at a time as the view scrolls."""

    def __init__(self, store: Store, page_size: int = PAGE_SIZE, parent: Any = None,
                 only_therapist: str = "", observation_minutes: Mapping[str, float] | None = None,
                 records: Records | None = None) -> None:
        super().__init__(parent)
        self.store, self.page_size = store, max(1, int(page_size))
        #: Where the rows come from: this computer's record (None: ``store``) or the clinic server's copies.
        self.records = records
        self.only_therapist = only_therapist  # a therapist reviewing sees only their own sessions
        #: Each protocol's observation minimum (protocol id -> minutes), for "discharged too soon".
        self.observation_minutes = dict(observation_minutes or {})
        self.filter = SessionFilter(therapist=only_therapist,
                                    observation_minutes=tuple(sorted(self.observation_minutes.items())))
        self.sort_key, self.descending = DEFAULT_SORT, True
        self._rows: list[SessionRow] = []
        #: uid -> why this line is not to be believed (index edited or deleted by hand), for the rows fetched
        self._marks: dict[str, str] = {}
        #: This record's sessions whose index line was deleted, found once per reload: finding them
        #: visits every session, which per page made scrolling to the end of 5,000 rows ~3x slower.
        self._unindexed: list[SessionRow] = []
        self._total = 0
        self.error = ""
        self.reload()

    # ---------------------------------------------------------------- loading
    def reload(self) -> None:
        """Start again from the first page (after a filter or sort change, or a new sign-off)."""
        self.beginResetModel()
        try:
            if self.records is None:
                self._unindexed = unindexed_sessions(self.store, self.filter)
            self._total = self._count()
            self._rows = self._page(0)
            self.error = ""
        except (StoreError, ClinicError) as exc:  # a locked or damaged database: say so in the list, keep the window
            self._total, self._rows, self.error = 0, [], str(exc)
        self.endResetModel()

    def _count(self) -> int:
        if self.records is not None:
            return self.records.count(self.filter)
        return count_sessions(self.store, self.filter, self._unindexed)

    def _page(self, offset: int) -> list[SessionRow]:
        if self.records is not None:
            rows = self.records.page(self.filter, self.sort_key, self.descending, offset, self.page_size)
        else:
            rows = list_sessions(self.store, self.filter, self.sort_key, self.descending, offset, self.page_size,
                                 self._unindexed)
        if self.records is None or not self.records.where:  # this computer's record: its events are here
            if offset == 0:
                self._marks = {}
            self._marks.update(index_marks(self.store, rows))  # only the page fetched: quick at any size
        return rows

    def set_filter(self, flt: SessionFilter) -> None:
        if self.only_therapist:
            flt = replace(flt, therapist=self.only_therapist)
        flt = replace(flt, observation_minutes=tuple(sorted(self.observation_minutes.items())))
        self.filter = flt
        self.reload()

    @property
    def total(self) -> int:
        """How many sessions match the filter (not just the rows fetched so far)."""
        return self._total

    def canFetchMore(self, parent: Index = NO_PARENT) -> bool:  # noqa: N802 (Qt name)
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: Index = NO_PARENT) -> None:  # noqa: N802
        if parent.isValid() or len(self._rows) >= self._total:
            return
        try:
            page = self._page(len(self._rows))
        except (StoreError, ClinicError) as exc:
            self.error = str(exc)
            return
        if not page:  # rows were removed behind our back: stop asking
            self._total = len(self._rows)
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
        self._rows.extend(page)
        self.endInsertRows()

    # ---------------------------------------------------------------- Qt model
    def rowCount(self, parent: Index = NO_PARENT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = NO_PARENT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section][0]
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"Sort by {COLUMNS[section][0].lower()}"
        return None

    def session_at(self, row: int) -> SessionRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.session_at(index.row()) if index.isValid() else None
        if row is None or not 0 <= index.column() < len(COLUMNS):
            return None
        key = COLUMNS[index.column()][1]
        mark = self._marks.get(row.uid, "")
        if mark and key == "date" and role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return f"{cell_text(row, key)}  ⚠ {mark}" if role == Qt.ItemDataRole.DisplayRole else mark
        if mark and role == Qt.ItemDataRole.ForegroundRole:
            return QColor(style.colours().level_text["urgent"])
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "ended" and self._short(row):
                return DISCHARGED_TOO_SOON  # in words as well as colour; the tooltip says how soon after the dose
            return cell_text(row, key)
        if role == SESSION_ROLE:
            return row
        if role == Qt.ItemDataRole.TextAlignmentRole and key in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._colour(row, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, key)
        return None

    def _colour(self, row: SessionRow, key: str) -> QColor | None:
        """In the colours of the setting shown now (the high-contrast or night one too)."""
        colours = style.colours()
        if key == "urgents" and row.urgents:
            return QColor(colours.level_text["urgent"])
        if (key == "cautions" and row.cautions) or (key == "ended" and self._short(row)):
            return QColor(colours.level_text["caution"])
        if key == "signed" and row.amended_after_signoff:
            return QColor(colours.after_signoff_text)
        return None

    def _short(self, row: SessionRow) -> str:
        return short_observation(row, self.observation_minutes.get(row.protocol_id, DEFAULT_OBSERVATION_MINUTES))

    def _tooltip(self, row: SessionRow, key: str) -> str | None:
        if key == "ended" and (row.end_reason or self._short(row)):
            short = self._short(row)
            reason = f"{ended_text(row)}: {row.end_reason}" if row.end_reason else ""
            return "\n".join(part for part in (short and short + ".", reason) if part)
        if key == "signed" and row.signed_at:
            note = (f"\n{row.amended_after_signoff} amendment(s) were made after the sign-off."
                    if row.amended_after_signoff else "")
            return f"Signed off by {row.signed_by} at {local_time(row.signed_at)}{note}"
        if key == "room" and row.origin not in ("", "local"):
            return f"Imported from another computer ({row.origin})"
        if key in ELIDED_KEYS:  # the whole text, where a narrow column cuts it short
            return cell_text(row, key) or None
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self.sort_key = COLUMNS[column][1]
        self.descending = order == Qt.SortOrder.DescendingOrder
        self.reload()

    def row_of(self, session_uid: str) -> int | None:
        for number, row in enumerate(self._rows):
            if row.uid == session_uid:
                return number
        return None

