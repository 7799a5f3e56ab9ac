"""A read-only view of the audit log for supervisors and admins.

Shows whether the chain is intact first (so a reader knows whether to trust the list), then the
newest entries. Nothing here can change the log: the table is not editable and there is no
delete; the database refuses it anyway.
"""
from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kaproom.domain.events import RecordedEvent
from kaproom.domain.people import AuditKind, Permission, User
from kaproom.services.people import People
from kaproom.ui.kit.errors import calm_message, run_guarded

COLUMNS = ("#", "When (UTC)", "Who", "What", "Details")
ALL_KINDS = "All entries"
LIMIT = 500
FIRST_DETAILS = ("user", "session", "role")
LAST_DETAILS = ("secret_fingerprint",)


def details_text(payload: Mapping[str, object]) -> str:
    """An entry's details as words ("first admin: yes, role: admin"), not Python's True and None."""
    def word(value: object) -> str:
        if isinstance(value, bool):
            return "yes" if value else "no"
        return "—" if value is None or value == "" else str(value)
    def order(key: str) -> tuple[bool, bool, int, str]:  # whom it concerns first, the secret's fingerprint last
        return (key not in FIRST_DETAILS, key in LAST_DETAILS, FIRST_DETAILS.index(key) if key in FIRST_DETAILS else 0,
                key)
    return ", ".join(f"{key.replace('_', ' ')}: {word(payload[key])}" for key in sorted(payload, key=order))


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
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move in it
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
        run_guarded(self._refused, lambda: self.people.audit((kind,) if kind else None, LIMIT, newest_first=True,
                                                             viewer=self.viewer), self._show)

    def _refused(self, exc: Exception) -> None:
        self.status.setText(calm_message(exc))
        self.table.setRowCount(0)

    def _show(self, events: list[RecordedEvent]) -> None:
        reports = self.people.verify()
        broken = [r for r in reports if not r.intact]
        self.status.setProperty("broken", bool(broken))
        if broken:
            self.status.setText("NOT INTACT: " + " · ".join(r.describe() for r in broken))
        elif reports:
            self.status.setText(f"The audit log is intact: all {reports[0].events} entries match their hashes. "
                                f"Showing the newest {min(LIMIT, len(events))}.")
        else:
            self.status.setText("The audit log is empty (nobody is registered yet).")
        self.table.setRowCount(len(events))
        for row, event in enumerate(events):
            details = details_text(event.payload)
            values = (str(event.seq), event.wall_time[:19].replace("T", " "), event.author or "—",
                      event.kind.replace("_", " "), details)
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)  # a long details cell is cut at the window's edge
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
