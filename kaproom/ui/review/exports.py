"""Export buttons under a session: PDF, CSV, FHIR R4 and the JSON bundle.

The work (rendering, owner-only writing, recording the export in the session and the audit
trail) is :func:`kaproom.export.session_export.export_session`, the same as ``kaproom export``;
this bar only asks where to save and reports the result in words.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QFileDialog, QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kaproom.export.records import LocalRecords, Records
from kaproom.export.report_data import SessionReport
from kaproom.export.session_export import ExportResult, default_name
from kaproom.ui.kit.errors import run_guarded, say

if TYPE_CHECKING:
    from kaproom.domain.people import User
    from kaproom.services.workspace import Workspace

#: (format, button text, file-dialog filter)
BUTTONS: tuple[tuple[str, str, str], ...] = (
    ("pdf", "PDF report…", "PDF (*.pdf)"),
    ("csv", "CSV…", "CSV (*.csv)"),
    ("fhir", "FHIR R4…", "FHIR JSON (*.json)"),
    ("json", "JSON bundle…", "KAP Room bundle (*.json)"),
    ("summary", "Summary…", "PDF (*.pdf)"),  # the one-page monitoring summary
    ("aftercare", "After-care…", "PDF (*.pdf)"),  # the client's after-care sheet
    ("course", "Course…", "PDF (*.pdf)"),  # every session of this session's client, in one PDF
)
#: What the short buttons write, for their tooltips and accessible names.
DESCRIPTIONS = {"summary": "Monitoring summary, one page (PDF)", "aftercare": "After-care sheet for the client (PDF)",
                "course": "The client's course: every session of this client in one PDF"}
AskPath = Callable[[str, str, str], "str | None"]  # (format, suggested path, filter) -> chosen path or None


def ask_with_dialog(parent: QWidget) -> AskPath:
    def ask(fmt: str, suggested: str, name_filter: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(parent, f"Export as {fmt.upper()}", suggested, name_filter)
        return path or None
    return ask


class ExportBar(QWidget):
    """Emits ``exported(result)`` after a file was written (recorded in the audit log, not the session)."""

    exported = Signal(object)

    def __init__(self, workspace: Workspace, user_name: str, user: User | None = None,
                 parent: QWidget | None = None, ask_path: AskPath | None = None,
                 records: Records | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("exportBar")
        self.workspace, self.user_name, self.user = workspace, user_name, user
        self.records: Records = records or LocalRecords(workspace)
        self.report: SessionReport | None = None
        self.ask_path: AskPath = ask_path or ask_with_dialog(self)
        self.folder = Path.home()
        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        for number, (fmt, text, name_filter) in enumerate(BUTTONS):
            button = QPushButton(text)
            button.setObjectName(f"export_{fmt}")
            if fmt in DESCRIPTIONS:
                button.setToolTip(DESCRIPTIONS[fmt])
                button.setAccessibleName(DESCRIPTIONS[fmt])
            button.clicked.connect(lambda _=False, f=fmt, n=name_filter: self.export(f, n))
            grid.addWidget(button, number // 2, number % 2)
            self.buttons[fmt] = button
        self.black_and_white = QCheckBox("PDF in black and white (for printing)")
        self.black_and_white.setObjectName("exportMonochrome")
        self.message = QLabel("")
        self.message.setObjectName("reviewMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        title = QLabel("Export")
        title.setProperty("muted", True)
        layout.addWidget(title)
        layout.addLayout(grid)
        layout.addWidget(self.black_and_white)
        layout.addWidget(self.message)

    def set_report(self, report: SessionReport) -> None:
        if self.report is None or self.report.header.uid != report.header.uid:
            self.message.setText("")  # a message about another session would mislead
        self.report = report

    def export(self, fmt: str, name_filter: str = "") -> ExportResult | None:
        if self.report is None:
            return None
        uid = self.report.header.uid
        chosen = self.ask_path(fmt, str(self.folder / default_name(self.report.header, fmt)), name_filter)
        if not chosen:
            return None
        # No permission, a full disk, a read-only folder: words under the buttons, not a crash.
        return run_guarded(self.message, lambda: self.records.export(uid, fmt, chosen, user=self.user,
                                                                     monochrome=self.black_and_white.isChecked(),
                                                                     replace=True),  # the dialog asked
                           self._exported)

    def _exported(self, result: ExportResult) -> ExportResult:
        self.folder = Path(result.path).parent
        say(self.message, f"Saved {result.path} ({result.size:,} bytes, readable by you only). It holds health "
                  "information: keep it safe.", "ok")
        self.exported.emit(result)
        return result
