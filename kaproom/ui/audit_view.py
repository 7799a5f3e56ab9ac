"""A read-only view of the audit log for supervisors and admins.

Shows whether the chain is intact first (so a reader knows whether to trust the list), then the
newest entries. Nothing here can change the log: the table is not editable and there is no
delete; the database refuses it anyway.
"""
from __future__ import annotations

from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from ..domain.people import AuditKind, Permission, User
from ..people.service import AccessRefused, People

COLUMNS = ("#", "When (UTC)", "Who", "What", "Details")
ALL_KINDS = "All entries"
LIMIT = 500


def _kinds() -> list[str]:
    return sorted(value for key, value in vars(AuditKind).items() if key.isupper() and isinstance(value, str))


class AuditView(QWidget):
    def __init__(self, people: People, viewer: User | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("auditView")
        self.people, self.viewer = people, viewer
        self.status = QLabel("")
        self.status.setObjectName("auditStatus")
        self.status.setWordWrap(True)
        self.kind_box = QComboBox()
        self.kind_box.setObjectName("auditKind")
        self.kind_box.addItem(ALL_KINDS, None)
        for kind in _kinds():
            self.kind_box.addItem(kind.replace("_", " "), kind)
        self.kind_box.currentIndexChanged.connect(self.refresh)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setObjectName("auditRefresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("auditTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        top = QHBoxLayout()
        top.addWidget(self.kind_box)
        top.addStretch(1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addLayout(top)
        layout.addWidget(self.table)
        allowed = viewer is None or viewer.may(Permission.VIEW_AUDIT)
        self.table.setVisible(allowed)
        self.kind_box.setVisible(allowed)
        self.refresh_button.setVisible(allowed)
        self.refresh()

    def refresh(self) -> None:
        kind = self.kind_box.currentData()
        try:
            events = self.people.audit((kind,) if kind else None, LIMIT, newest_first=True, viewer=self.viewer)
        except AccessRefused as exc:
            self.status.setText(str(exc))
            self.table.setRowCount(0)
            return
        reports = self.people.verify()
        broken = [r for r in reports if not r.intact]
        self.status.setProperty("broken", bool(broken))
        if broken:
            self.status.setText("NOT INTACT: " + " · ".join(r.describe() for r in broken))
        elif reports:
            self.status.setText(f"Intact: {reports[0].describe()}. Showing the newest {min(LIMIT, len(events))}.")
        else:
            self.status.setText("The audit log is empty (nobody is registered yet).")
        self.table.setRowCount(len(events))
        for row, event in enumerate(events):
            details = ", ".join(f"{key}: {value}" for key, value in sorted(event.payload.items()))
            values = (str(event.seq), event.wall_time[:19].replace("T", " "), event.author or "—",
                      event.kind.replace("_", " "), details)
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
