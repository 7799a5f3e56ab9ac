"""The session timeline as a read-only table, with each amendment placed under what it corrects.

A correction is only meaningful next to the words it corrects, so amendments are moved from
where they happened in time to the line after their target (keeping their own times), and the
target says it was amended. Amendments made after a sign-off are marked loudly, because the
supervisor vouched for a record that has since changed. Filtering by kind happens here, on the
already gathered rows: no new database reads as boxes are ticked.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from kaproom.domain.clock import format_hms, from_iso
from kaproom.domain.events import Kind
from kaproom.domain.vocabulary import kind_name
from kaproom.export.report_data import TimelineRow
from kaproom.export.summary import wall_text
from kaproom.ui.review import style

Index = QModelIndex | QPersistentModelIndex
NO_PARENT = QModelIndex()  # a table's rows have no parent (Qt's default argument)

#: Groups the supervisor can show or hide: (label, kinds).
CATEGORIES: tuple[tuple[str, frozenset[str]], ...] = (
    ("Phases & session", frozenset({Kind.SESSION_CREATED, Kind.SCREENING, Kind.INTENTION, Kind.PRE_DOSE,
                                    Kind.SESSION_STARTED,
                                    Kind.SESSION_RESUMED, Kind.PHASE_CHANGED, Kind.PHASE_EXTENDED, Kind.DOSE,
                                    Kind.CLOCK_JUMP, Kind.DISCHARGE_CHECK, Kind.SESSION_ENDED,
                                    # the medication record beside the dose (a row of boxes more would not
                                    # fit a laptop's review), adverse events with the alerts below
                                    Kind.MEDICATION, Kind.MEDICATION_EFFECT, Kind.WASTE})),
    ("Notes & tags", frozenset({Kind.NOTE, Kind.TAG})),
    ("Vitals", frozenset({Kind.VITALS, Kind.SCALE})),  # the rating scales are read beside the vitals
    ("Alerts", frozenset({Kind.ALERT, Kind.ALERT_ACK, Kind.ADVERSE_EVENT})),
    ("Music", frozenset({Kind.MUSIC})),
    ("Amendments", frozenset({Kind.AMENDMENT})),
    ("Sign-off & record", frozenset({Kind.SIGNOFF, Kind.VIEWED, Kind.EXPORTED})),
)
ALL_CATEGORIES = frozenset(label for label, _ in CATEGORIES)
COLUMNS = ("#", "Session time", "Clock", "Phase", "What", "Details", "By")
ROW_ROLE = Qt.ItemDataRole.UserRole + 2


def category_of(kind: str) -> str:
    for label, kinds in CATEGORIES:
        if kind in kinds:
            return label
    return "Sign-off & record"


def kind_label(row: TimelineRow) -> str:
    if row.kind == Kind.ALERT:
        return "URGENT" if row.level == "urgent" else "Caution"
    if row.kind in (Kind.VITALS, Kind.SCALE) and row.level in ("caution", "urgent"):
        return f"{kind_name(row.kind)} ({row.level})"  # in words too, not by colour alone
    if row.kind == Kind.ADVERSE_EVENT and row.level == "urgent":
        return "Adverse event (SEVERE)"
    return kind_name(row.kind)


@dataclass(frozen=True)
class Line:
    """One displayed line: a timeline row, and whether it sits under the event it amends."""

    row: TimelineRow
    under_target: bool = False


def arrange(rows: Iterable[TimelineRow]) -> tuple[list[TimelineRow], frozenset[int]]:
    """Events in order, each amendment moved to just after its target (or after earlier amendments of it).

    Returns the rows in display order and the seqs present (empty when nothing is amended), which
    :func:`under_target` needs. One pass to find amendments, one to place the rows: no object per
    row and no search per amendment, so a 10,000-event session is arranged at once.
    """
    rows = list(rows)
    amendments = [row for row in rows if row.kind == Kind.AMENDMENT]
    if not amendments:
        return rows, frozenset()
    seqs = frozenset(row.seq for row in rows)
    by_target: dict[int, list[TimelineRow]] = {}
    for row in amendments:
        if row.amends_seq in seqs:
            by_target.setdefault(row.amends_seq, []).append(row)
    ordered: list[TimelineRow] = []

    def add(row: TimelineRow) -> None:
        ordered.append(row)
        for amendment in by_target.get(row.seq, ()):  # amendments of amendments follow too
            add(amendment)

    for row in rows:
        if not under_target(row, seqs):  # those are placed under their target
            add(row)
    return ordered, seqs


def under_target(row: TimelineRow, seqs: frozenset[int]) -> bool:
    """Whether ``row`` is an amendment shown under the event it amends (that event is in ``seqs``)."""
    return row.kind == Kind.AMENDMENT and row.amends_seq in seqs


class TimelineModel(QAbstractTableModel):
    """All of a session's events as lines; ``set_categories`` hides or shows groups of kinds.

    The rows are kept as gathered; a cell's words are made only when the view asks for that cell.
    """

    def __init__(self, rows: Iterable[TimelineRow] = (), parent: Any = None) -> None:
        super().__init__(parent)
        self._all: list[TimelineRow] = []
        self._lines: list[TimelineRow] = []
        self._seqs: frozenset[int] = frozenset()  # see arrange()
        self.categories: frozenset[str] = ALL_CATEGORIES
        self.broken_at: int | None = None
        self.first_day = ""
        self.set_rows(rows)

    def set_rows(self, rows: Iterable[TimelineRow], broken_at: int | None = None) -> None:
        """Show these rows; ``broken_at`` is the event where the hash chain breaks, if it does."""
        self.beginResetModel()
        self._all, self._seqs = arrange(rows)
        self.broken_at = broken_at
        self.first_day = wall_text(self._all[0].wall_time)[:10] if self._all else ""
        self._lines = self._visible()
        self.endResetModel()

    def set_categories(self, categories: Iterable[str]) -> None:
        self.beginResetModel()
        self.categories = frozenset(categories)
        self._lines = self._visible()
        self.endResetModel()

    def _visible(self) -> list[TimelineRow]:
        if self.categories >= ALL_CATEGORIES:
            return list(self._all)
        return [row for row in self._all if category_of(row.kind) in self.categories]

    def line(self, number: int) -> Line | None:
        if not 0 <= number < len(self._lines):
            return None
        row = self._lines[number]
        return Line(row, under_target(row, self._seqs))

    def line_of(self, seq: int) -> int | None:
        for number, row in enumerate(self._lines):
            if row.seq == seq:
                return number
        return None

    # ---------------------------------------------------------------- Qt model
    def rowCount(self, parent: Index = NO_PARENT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: Index = NO_PARENT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        number = index.row() if index.isValid() else -1
        if not 0 <= number < len(self._lines):
            return None
        row, column = self._lines[number], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._colour(row, column)
        if role == Qt.ItemDataRole.BackgroundRole and (row.after_signoff or row.seq == self.broken_at):
            return QColor(style.colours().after_signoff_background)
        if role == Qt.ItemDataRole.FontRole and (row.kind == Kind.AMENDMENT or row.level == "urgent"):
            font = QFont()
            font.setItalic(row.kind == Kind.AMENDMENT)
            font.setBold(row.level == "urgent" or row.after_signoff)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and column == 5:
            return self._text(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def column_texts(self, column: int) -> set[str]:
        """The different texts a narrow column shows, for sizing it: found from the few distinct
        values (phases, kinds, authors, the longest times) rather than cell by cell, which for
        10,000 events would cost more than the rest of opening the session."""
        lines = self._lines
        if not lines:
            return set()
        if column in (0, 1, 2):  # numbers and times: the widest is among the first and last rows
            ends = lines[:20] + lines[-20:]
            return {self._text(row, column) for row in ends}
        if column == 3:
            return {row.phase_name for row in lines}
        if column == 4:
            one_of_each = {(row.kind, row.level): row for row in lines}.values()
            return {"✗ ↳ " + kind_label(row) for row in one_of_each}  # room for either mark
        if column == 6:
            return {row.author for row in lines}
        return set()

    def _text(self, row: TimelineRow, column: int) -> str:
        if column == 0:
            return str(row.seq)
        if column == 1:
            return format_hms(row.session_time)
        if column == 2:
            return clock_text(row.wall_time, self.first_day)
        if column == 3:
            return row.phase_name
        if column == 4:
            broken = "✗ " if row.seq == self.broken_at else ""
            return broken + ("↳ " if under_target(row, self._seqs) else "") + kind_label(row)
        if column == 5:
            if row.seq == self.broken_at:
                return "RECORD BROKEN HERE (changed after it was saved) — " + details(row)
            return details(row)
        if column == 6:
            return row.author
        return ""

    def _colour(self, row: TimelineRow, column: int) -> QColor | None:
        colours = style.colours()  # the setting shown now: the high-contrast or night one too
        if row.after_signoff or row.seq == self.broken_at:
            return QColor(colours.after_signoff_text)
        if row.level in ("caution", "urgent") and column in (4, 5):
            return QColor(colours.level_text[row.level])
        if row.kind == Kind.AMENDMENT or row.amended_by:
            return QColor(colours.amended_text)
        if column in (0, 2, 6):
            return QColor(colours.muted_text)
        return None


def clock_text(wall_time: str, first_day: str) -> str:
    """Local time of day; with the day and month when it is not the session's own day (a sign-off)."""
    local = wall_text(wall_time)
    if local[:10] == first_day or len(local) < 16:
        return local[11:19]
    try:
        moment = from_iso(wall_time).astimezone()
    except ValueError:
        return local
    return f"{moment.day} {moment:%b %H:%M}"


def details(row: TimelineRow) -> str:
    """The details cell: the event in words, with amendment links spelled out."""
    text = row.text
    if row.kind == Kind.AMENDMENT:
        prefix = "AMENDED AFTER SIGN-OFF — " if row.after_signoff else ""
        text = prefix + text
    if row.amended_by:
        which = ", ".join(f"#{seq}" for seq in row.amended_by)
        text += f"   [amended: see {which}]"
    return text
