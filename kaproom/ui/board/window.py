"""The board's window: one row per session of the day, large type, dark and calm like the room.

It shows state, never notes. The feed (:class:`kaproom.clinic.board.BoardFeed`) runs on its own
thread; its rows reach this window through a queued signal, on the Qt main thread.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QResizeEvent
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from kaproom.clinic.board import BoardRow
from kaproom.domain.clock import format_hms
from kaproom.domain.vitals_schedule import when_text
from kaproom.ui.kit import theme

COLUMNS = ("Room", "Therapist", "Client", "Phase", "In phase", "Since dose", "Urgent", "Link", "Last vitals",
           "Next check")
VITALS_COLUMN = COLUMNS.index("Last vitals")
#: The second line of "Next check": which check it is (the first says when, as the room says it).
DUE_KINDS = {"baseline": "baseline", "after_dose": "after dose", "repeat": "routine", "recheck": "recheck"}
#: The type: readable from across an office; a little smaller on a laptop-sized screen, so that the
#: last vitals keep their three main values in view.
POINT_SIZE, SMALL_POINT_SIZE, SMALL_BELOW_PX = 16, 14, 1600
DUE_COLOURS = {"ok": theme.TEXT, "soon": theme.SOON, "overdue": theme.OVERDUE}
SHORT = {"systolic": "BP", "pulse": "HR", "spo2": "SpO2", "respiratory_rate": "RR", "temperature": "T",
         "moaas": "MOAA/S"}
LEVEL_COLOURS = {"ok": theme.OK, "caution": theme.SOON, "urgent": theme.OVERDUE}


def vitals_text(row: BoardRow) -> tuple[str, str]:
    """The last vitals as a short line, and the colour of their worst status."""
    values = dict(row.vitals)
    first, second = [], []
    if "systolic" in values or "diastolic" in values:
        first.append(f"BP {values.pop('systolic', '–')}/{values.pop('diastolic', '–')}")
    for name in ("pulse", "spo2"):
        if name in values:
            first.append(f"{SHORT[name]} {values.pop(name)}")
    second += [f"{SHORT.get(name, name)} {value}" for name, value in values.items()]
    if row.vitals_minutes_ago is not None:
        second.append(f"· {row.vitals_minutes_ago:.0f} min ago")
    parts = ["  ".join(first), "  ".join(second)]
    levels = set(row.vitals_status.values())
    worst = "urgent" if "urgent" in levels else "caution" if "caution" in levels else "ok"
    text = "\n".join(part for part in parts if part)  # two short lines: readable at 1366 pixels wide
    return (text or "none yet"), LEVEL_COLOURS[worst] if row.vitals else theme.TEXT_MUTED


def due_text(row: BoardRow) -> tuple[str, str]:
    """When the next check is due ("in 7 min", "overdue 3 min") and which one; calm colours, still."""
    if not row.vitals_due_level:
        return "–", theme.TEXT_MUTED
    if row.vitals_due_kind == "none":
        return "none due", theme.TEXT_MUTED
    when = when_text(row.vitals_due_in_seconds) if row.vitals_due_in_seconds is not None else "before the dose"
    kind = DUE_KINDS.get(row.vitals_due_kind, "")
    return "\n".join(part for part in (when, kind) if part), DUE_COLOURS.get(row.vitals_due_level, theme.TEXT)


def urgent_text(row: BoardRow) -> tuple[str, str]:
    """The urgent alerts nobody in the room has acknowledged: which values, and since when."""
    if not row.urgent_alerts:
        return "none", theme.TEXT_MUTED
    shown = []
    for alert in row.urgent_alerts[-2:]:
        name = "BP" if alert["field"] in ("systolic", "diastolic") else SHORT.get(alert["field"], alert["field"])
        shown.append(f"{name} {alert['value']}" if alert.get("value") is not None else name)
    more = len(row.urgent_alerts) - len(shown)
    first = ", ".join(shown) + (f" +{more}" if more else "")
    since = f"open {row.urgent_minutes_ago:.0f} min" if row.urgent_minutes_ago is not None else "open"
    return f"{first}\n{since}", theme.OVERDUE


def cells(row: BoardRow) -> list[tuple[str, str]]:
    """(text, colour) for each column of one row: what the board shows, and what --dump-state writes."""
    phase = row.phase.replace("_", " ") if row.state in ("created", "running") else row.state.replace("_", " ")
    vitals, colour = vitals_text(row)
    return [
        (row.room, theme.TEXT_STRONG),
        (row.therapist, theme.TEXT),
        (row.client_code + ("  DEMO" if row.demo else ""), theme.TEXT),
        (phase, theme.ACCENT if row.state == "running" else theme.TEXT_MUTED),
        (format_hms(row.seconds_in_phase) if row.seconds_in_phase is not None else "–", theme.TEXT),
        (format_hms(row.seconds_since_dose) if row.seconds_since_dose is not None else "–", theme.TEXT),
        urgent_text(row),
        ("online" if row.reachable else "offline", theme.OK if row.reachable else theme.SOON),
        (vitals, colour),
        due_text(row),
    ]


class BoardWindow(QWidget):
    """Rows arrive with :meth:`show_rows` (through ``rowsArrived`` from the feed's thread)."""

    rowsArrived = Signal(object)
    problem = Signal(str)
    sessionChosen = Signal(str)  # a row was double-clicked: its session uid (to open its review)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("KAP Room — board")
        self.rows: list[BoardRow] = []
        self.updates = 0  # how many times rows arrived
        self.setStyleSheet(f"background: {theme.BACKGROUND}; color: {theme.TEXT};")
        layout = QVBoxLayout(self)
        self.status = QLabel("Waiting for the clinic server…")
        self.status.setStyleSheet(f"color: {theme.TEXT_MUTED}; font-size: 16px;")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setShowGrid(False)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.verticalHeader().setDefaultSectionSize(72)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(VITALS_COLUMN, QHeaderView.ResizeMode.Stretch)  # elided, never a scroll bar
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.type_size = 0
        self._fit_type(self.width())
        self.table.cellDoubleClicked.connect(self._chosen)
        layout.addWidget(self.status)
        layout.addWidget(self.table)
        self.rowsArrived.connect(self.show_rows, Qt.ConnectionType.QueuedConnection)
        self.problem.connect(self.status.setText, Qt.ConnectionType.QueuedConnection)

    def _fit_type(self, width: int) -> None:
        """The table's type size for this width (in its style sheet: the application's sets every
        widget's size, and a style sheet wins over setFont)."""
        size = POINT_SIZE if width >= SMALL_BELOW_PX else SMALL_POINT_SIZE
        if size == self.type_size:
            return
        self.type_size = size
        self.table.setStyleSheet(
            f"QTableWidget {{ background: {theme.SURFACE}; border: none; font-size: {size}pt; }}"
            "QTableWidget::item { padding: 0 8px; }"
            f"QHeaderView::section {{ background: {theme.BACKGROUND}; color: {theme.TEXT_MUTED}; border: none;"
            " padding: 6px 8px; font-size: 14px; }")

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt name)
        self._fit_type(event.size().width())
        super().resizeEvent(event)

    def show_rows(self, rows: list[BoardRow]) -> None:
        self.rows = list(rows)
        self.updates += 1
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            for c, (text, colour) in enumerate(cells(row)):
                item = QTableWidgetItem(text)
                item.setForeground(QColor(colour))
                self.table.setItem(r, c, item)
        open_count = sum(1 for row in self.rows if row.state in ("created", "running"))
        overdue = sum(1 for row in self.rows if row.vitals_due_level == "overdue")
        urgent = sum(1 for row in self.rows if row.urgent_alerts)
        extra = "".join([f" · {overdue} overdue check{'s' if overdue != 1 else ''}" if overdue else "",
                         f" · {urgent} with an open urgent alert" if urgent else ""])
        self.status.setText(f"{open_count} in session now · {len(self.rows)} today{extra}" if self.rows
                            else "No sessions today yet.")

    def _chosen(self, row: int, _column: int) -> None:
        if 0 <= row < len(self.rows):
            self.sessionChosen.emit(self.rows[row].session_uid)

    def state(self) -> dict[str, Any]:
        """What the board shows, as JSON (``kaproom board --dump-state``)."""
        return {"status": self.status.text(), "columns": list(COLUMNS),
                "rows": [{"cells": [text for text, _ in cells(row)], **row.to_json()} for row in self.rows]}
