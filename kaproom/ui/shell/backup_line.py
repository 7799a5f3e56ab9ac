"""The home page's line about backups: when the last good one was made and where, calmly; a
warning when it is older than the clinic's limit or the last try failed (a missing or full
backup disk). It only reads ``backup-status.json``; the backups themselves run elsewhere."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from kaproom.services.workspace import Workspace
from kaproom.ui.kit.after_start import after_first_paint
from kaproom.ui.kit.theme import set_level

#: The style sheet's levels for each state: good and "not set up" are quiet; old and failing caution.
LEVELS = {"good": "info", "off": "info", "old": "caution", "failing": "caution"}


class BackupLine(QLabel):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder = workspace.folder
        self.setObjectName("homeBackup")
        self.setWordWrap(True)
        self.level = ""
        after_first_paint(self, self.refresh)  # reading the settings is not part of the wait for the home page

    def refresh(self) -> None:
        """Read the status (once start-up is over, and again after an automatic backup)."""
        from kaproom.services.backup_status import home_status  # noqa: PLC0415 - settings: after the first paint (bench_startup)
        self.status = home_status(self.folder)
        self.level = self.status.level
        self.setText(self.status.text)
        self.setAccessibleName(self.status.text)
        set_level(self, LEVELS.get(self.status.level, "info"))
        set_level(self, "true" if self.status.level in ("good", "off") else "false", "muted")
