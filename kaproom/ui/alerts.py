"""Vitals alerts on the room screen: calm, persistent lines under the clock.

An alert is colour plus words (never a sound, never motion, never a dialog over the clock). An
urgent one stays until the therapist acknowledges it, even if a later check is fine, because an
urgent reading that scrolled away unseen is the failure this screen exists to prevent. A
caution gives way when the same value is measured again (the new reading speaks for itself) or
when acknowledged. Acknowledging, with the action taken if any, is an ``alert_ack`` event.

After a restart the board is rebuilt from the stored events, so an unacknowledged urgent alert
is still on screen when the room comes back.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ..domain.clock import format_hms
from ..domain.events import Kind, RecordedEvent
from .theme import BORDER, ERROR_BACKGROUND, OVERDUE, SOON, SURFACE, TEXT_STRONG

Acknowledge = Callable[["AlertBanner", str], bool]  # (banner, action typed) -> True when recorded

_STYLE = f"""
QFrame#alertBanner {{ background: {SURFACE}; border: 1px solid {BORDER}; border-left: 6px solid {SOON};
    border-radius: 4px; }}
QFrame#alertBanner[level="urgent"] {{ background: {ERROR_BACKGROUND}; border-left: 6px solid {OVERDUE}; }}
QLabel#alertText {{ color: {TEXT_STRONG}; background: transparent; }}
QLabel#alertLevel {{ color: {SOON}; font-weight: 700; background: transparent; }}
QLabel#alertLevel[level="urgent"] {{ color: {OVERDUE}; }}
"""


class AlertBanner(QFrame):
    """One alert: its level and reason in words, an optional "action taken" and Acknowledge."""

    def __init__(self, alert: RecordedEvent | None, payload: dict[str, Any], on_ack: Acknowledge,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.alert, self.payload = alert, dict(payload)
        self.level = str(payload.get("level", "caution"))
        self.field = str(payload.get("field", ""))
        self._on_ack = on_ack
        self.setObjectName("alertBanner")
        self.setProperty("level", self.level)
        self.setStyleSheet(_STYLE)
        when = f" at {format_hms(alert.session_time)}" if alert is not None else ""
        self.level_label = QLabel(("URGENT" if self.level == "urgent" else "Caution") + when)
        self.level_label.setObjectName("alertLevel")
        self.level_label.setProperty("level", self.level)
        self.text = QLabel(str(payload.get("reason", "")))
        self.text.setObjectName("alertText")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.action = QLineEdit()
        self.action.setObjectName("alertAction")
        self.action.setPlaceholderText("Action taken (optional)")
        self.action.setAccessibleName("Action taken for this alert (optional)")
        self.action.setMaxLength(1000)
        self.action.setMaximumWidth(300)
        self.action.returnPressed.connect(self.acknowledge)
        self.ack_button = QPushButton("Acknowledge")
        self.ack_button.setObjectName("alertAcknowledge")
        self.ack_button.setAccessibleName(f"Acknowledge: {self.text.text()}")
        self.ack_button.setAutoDefault(True)
        self.ack_button.clicked.connect(lambda _=False: self.acknowledge())
        self.problem = QLabel()
        self.problem.setObjectName("alertProblem")
        self.problem.setProperty("level", "error")
        self.problem.setWordWrap(True)
        self.problem.hide()
        row = QHBoxLayout()
        row.addWidget(self.level_label)
        row.addWidget(self.text, 1)
        row.addWidget(self.action, 1)
        row.addWidget(self.ack_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 2, 6, 2)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.problem)
        self.setAccessibleName(f"{self.level_label.text()}: {self.text.text()}")

    @property
    def alert_seq(self) -> int | None:
        return self.alert.seq if self.alert is not None else None

    def acknowledge(self) -> bool:
        """Record the acknowledgement; on a failed save the banner and the typed action stay."""
        if self._on_ack(self, self.action.text().strip()):
            return True
        self.problem.setText("Not saved yet; the alert stays. What you typed is kept.")
        self.problem.show()
        return False


class AlertBoard(QFrame):
    """The column of alert banners (hidden when there is none)."""

    def __init__(self, record: Callable[[str, dict], RecordedEvent | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alertBoard")
        self.setAccessibleName("Vitals alerts")
        self._record = record
        self.banners: list[AlertBanner] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self.hide()

    # ---------------------------------------------------------------- showing
    def show_alert(self, alert: RecordedEvent | None, payload: dict[str, Any]) -> AlertBanner:
        """Add a banner (urgent ones above cautions); a caution on the same value gives way."""
        for old in list(self.banners):
            if old.level == "caution" and old.field == payload.get("field"):
                self._remove(old)
        banner = AlertBanner(alert, payload, self._acknowledge, self)
        position = 0 if banner.level == "urgent" else sum(1 for b in self.banners if b.level == "urgent")
        self.banners.insert(position, banner)
        self._layout.insertWidget(position, banner)
        banner.show()  # now, not on the next event loop turn as a late child would be
        self.show()
        return banner

    def measured_again(self, fields: Iterable[str]) -> None:
        """A new check-in measured these values: earlier cautions about them give way."""
        taken = set(fields)
        for banner in list(self.banners):
            if banner.level == "caution" and banner.field in taken:
                self._remove(banner)

    def restore(self, events: Iterable[RecordedEvent]) -> None:
        """Rebuild from the record: unacknowledged urgent alerts, and cautions not yet re-measured."""
        events = list(events)
        acked = {e.payload.get("alert_seq") for e in events if e.kind == Kind.ALERT_ACK}
        open_alerts: list[RecordedEvent] = []
        for event in events:
            if event.kind == Kind.ALERT and event.seq not in acked:
                open_alerts.append(event)
            elif event.kind == Kind.VITALS:
                measured = {name for name, value in event.payload.items() if value is not None}
                open_alerts = [a for a in open_alerts if a.payload.get("level") == "urgent"
                               or a.payload.get("field") not in measured]
        for alert in open_alerts:
            self.show_alert(alert, dict(alert.payload))

    # ---------------------------------------------------------------- acknowledging
    def newest_urgent(self) -> AlertBanner | None:
        urgent = [b for b in self.banners if b.level == "urgent"]
        return urgent[0] if urgent else (self.banners[0] if self.banners else None)

    def _acknowledge(self, banner: AlertBanner, action: str) -> bool:
        payload: dict[str, Any] = {"alert_seq": banner.alert_seq}
        if banner.alert_seq is None:  # the alert itself could not be saved: say which value it was about
            payload["field"] = banner.field
        if action:
            payload["action"] = action
        if self._record(Kind.ALERT_ACK, payload) is None:
            return False
        self._remove(banner)
        return True

    def _remove(self, banner: AlertBanner) -> None:
        if banner in self.banners:
            self.banners.remove(banner)
        self._layout.removeWidget(banner)
        banner.hide()
        banner.deleteLater()
        self.setVisible(bool(self.banners))
