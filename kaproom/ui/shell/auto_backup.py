"""Automatic backups: after every session ends, and at the first start of each day.

Each runs ``kaproom backup --auto`` in its own process (at a lower priority), so copying and
encrypting the record never takes time from the room's own thread; it is stopped if it runs
longer than ``AUTO_TIMEOUT_SECONDS``. Its outcome (good, or a missing or full backup disk) is
recorded in the data folder by that process and shown on the home page; nothing is ever raised
into the room.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QTimer, Signal

from kaproom.services.backup_status import AUTO_TIMEOUT_SECONDS, auto_backup_command, due_today, record_status
from kaproom.services.settings import load_settings
from kaproom.ui.shell.launcher import Launcher


class AutoBackup(QObject):
    """One backup process at a time; a request while one runs makes one more afterwards."""

    finished = Signal()

    def __init__(self, folder: Path, timeout_seconds: float = AUTO_TIMEOUT_SECONDS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder = Path(folder)
        self.timeout_ms = int(timeout_seconds * 1000)
        self.process: QProcess | None = None
        self._again = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._too_long)
        self._timed_out = False

    @property
    def running(self) -> bool:
        return self.process is not None

    def run(self) -> None:
        """Start a backup now if the clinic set backups up (else nothing happens)."""
        if self.process is not None:
            self._again = True
            return
        if not load_settings(self.folder)[0].backup_to:
            return
        program, *arguments = auto_backup_command(self.folder)
        process = QProcess(self)
        process.setProcessChannelMode(QProcess.ProcessChannelMode.ForwardedChannels)
        process.finished.connect(self._done)
        process.errorOccurred.connect(self._failed_to_start)
        self.process, self._timed_out = process, False
        process.start(program, arguments)
        self._timer.start(self.timeout_ms)

    def run_if_due_today(self) -> None:
        """At the first start of a day: a backup unless one was tried today already."""
        if due_today(self.folder, load_settings(self.folder)[0]):
            self.run()

    def stop(self) -> None:
        """On quit: a backup still running is stopped (its partial file is never taken for a backup)."""
        self._again = False
        process = self.process
        if process is not None:
            process.finished.disconnect(self._done)
            process.kill()
            process.waitForFinished(3000)
            self.process = None
            self._timer.stop()

    def _too_long(self) -> None:
        if self.process is not None:
            self._timed_out = True
            self.process.kill()

    def _failed_to_start(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and self.process is not None:
            record_status(self.folder, ok=False, message="the backup process could not be started")
            self._finish()

    def _done(self, *_args: object) -> None:
        if self._timed_out:
            minutes = self.timeout_ms // 60000
            record_status(self.folder, ok=False,
                          message=f"it took longer than {minutes} minutes and was stopped (is the backup disk slow?)")
        self._finish()

    def _finish(self) -> None:
        self._timer.stop()
        if self.process is not None:
            self.process.deleteLater()
            self.process = None
        self.finished.emit()
        if self._again:
            self._again = False
            self.run()


def start_auto_backups(launcher: Launcher) -> AutoBackup:
    """Wire automatic backups to the app (called once start-up is over): after each session ends, now
    if none was tried today, and the home page's line refreshed when one finishes."""
    auto = AutoBackup(launcher.workspace.folder, parent=launcher)
    launcher.sessionEnded.connect(auto.run)

    def refresh_home() -> None:
        line = getattr(launcher.window, "backup_line", None)
        if line is not None:
            line.refresh()

    auto.finished.connect(refresh_home)
    auto.run_if_due_today()
    return auto
