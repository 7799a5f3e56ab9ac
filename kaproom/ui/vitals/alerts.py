"""Vitals alerts on the room screen: calm, persistent lines under the clock.

An alert is colour plus words (never a sound, never motion, never a dialog over the clock). The
alerts raised by one check-in share one line, worst level first, so a bad reading does not push
the log off a small screen. A line with anything urgent stays until the therapist acknowledges
it, even if a later check is fine, because an urgent reading that scrolled away unseen is the
failure this screen exists to prevent. A caution-only line gives way when a later check-in
measures those values again (the new reading speaks for itself) or when acknowledged.
Acknowledging, with the action taken if any, is one ``alert_ack`` event for the line, naming
every alert on it (``alert_seqs`` and their reasons).

After a restart the board is rebuilt from the stored events, so an unacknowledged urgent alert
is still on screen when the room comes back.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from kaproom.domain.clock import format_hms
from kaproom.domain.events import Kind, RecordedEvent
from kaproom.domain.vitals import acknowledged_alerts
from kaproom.ui.kit.buttons import make_button
from kaproom.ui.kit.labels import ElidedLabel, make_label

#: The stored alert (None if it could not be saved) and its payload.
Raised = tuple["RecordedEvent | None", Mapping[str, Any]]

def _rank(payload: Mapping[str, Any]) -> int:
    return 1 if payload.get("level") == "urgent" else 0


class AlertBanner(QFrame):
    """The alerts of one check-in: level and reasons in words, "action taken" and Acknowledge."""

    def __init__(self, raised: list[Raised], at: float | None, board: AlertBoard,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.raised = sorted(raised, key=lambda item: -_rank(item[1]))
        self.board = board
        self.level = "urgent" if any(_rank(p) for _, p in self.raised) else "caution"
        self.setObjectName("alertBanner")
        self.setProperty("level", self.level)
        when = f" at {format_hms(at)}" if at is not None else ""
        self.level_label = QLabel(("URGENT" if self.level == "urgent" else "Caution") + when)
        self.level_label.setObjectName("alertLevel")
        self.level_label.setProperty("level", self.level)
        # One line in the banners' fixed place beside the buttons: each reason is in the log in full
        # (and the whole line in the tooltip).
        self.text = ElidedLabel("alertText", " · ".join(str(p.get("reason", "")) for _, p in self.raised),
                                whole_in_tooltip=True)
        self.action = QLineEdit()
        self.action.setObjectName("alertAction")
        self.action.setPlaceholderText("Action taken (optional)")
        self.action.setAccessibleName("Action taken for this alert (optional); Enter acknowledges")
        self.action.setMaxLength(1000)
        self.action.setMaximumWidth(300)
        self.action.returnPressed.connect(self.acknowledge)
        self.ack_button = make_button("alertAcknowledge", "Acknowledge", f"Acknowledge: {self.text.text()}",
                                      enter_presses=True, on_click=self.acknowledge)
        #: Acknowledged with "make this an adverse event" (Ctrl+Enter in the action field, or its button).
        self.as_adverse_event = False
        self.adverse_button = make_button("alertAdverseEvent", "Adverse event (Ctrl+Enter)",
                                          "Acknowledge and make this an adverse event",
                                          enter_presses=True, on_click=self.acknowledge_as_adverse_event)
        self.action.installEventFilter(self)
        self.problem = make_label("alertProblem", wrap=True)
        self.problem.setProperty("level", "error")
        self.problem.hide()
        row = QHBoxLayout()
        row.setSpacing(10)  # "URGENT at 0:10:00" and its reasons never run together
        row.addWidget(self.level_label)
        row.addWidget(self.text, 1)
        row.addWidget(self.action, 1)
        row.addWidget(self.ack_button)
        row.addWidget(self.adverse_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 2, 6, 2)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.problem)
        self.setAccessibleName(f"{self.level_label.text()}: {self.text.text()}")

    @property
    def fields(self) -> set[str]:
        return {str(p.get("field", "")) for _, p in self.raised}

    @property
    def alert_seqs(self) -> list[int | None]:
        return [alert.seq if alert is not None else None for alert, _ in self.raised]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        """Ctrl+Enter in the action field: acknowledge, and make this an adverse event."""
        if watched is self.action and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) \
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) \
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.acknowledge_as_adverse_event()
            return True
        return super().eventFilter(watched, event)

    def acknowledge_as_adverse_event(self) -> bool:
        self.as_adverse_event = True
        if self.acknowledge():
            return True
        self.as_adverse_event = False
        return False

    def acknowledge(self) -> bool:
        """Record the acknowledgement; on a failed save the banner and the typed action stay."""
        if self.board.acknowledge(self, self.action.text().strip()):
            return True
        self.problem.setText("Not saved yet; the alert stays. What you typed is kept.")
        self.problem.show()
        return False


class AlertBoard(QFrame):
    """The column of alert lines, urgent ones on top (hidden when there is none)."""

    #: A line was acknowledged and has gone (the AlertBanner, before it is deleted).
    acknowledged = Signal(object)

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
    def show_alerts(self, raised: list[Raised], at: float | None) -> AlertBanner | None:
        """One line for the alerts of one check-in."""
        if not raised:
            return None
        banner = AlertBanner(raised, at, self, self)
        position = 0 if banner.level == "urgent" else sum(1 for b in self.banners if b.level == "urgent")
        self.banners.insert(position, banner)
        self._layout.insertWidget(position, banner)
        banner.show()  # now, not on the next event loop turn as a late child would be
        self.show()
        return banner

    def measured_again(self, fields: Iterable[str]) -> None:
        """A new check-in measured these values: earlier caution lines about them all give way."""
        taken = set(fields)
        for banner in list(self.banners):
            if banner.level == "caution" and banner.fields <= taken:
                self._remove(banner)

    def restore(self, events: Iterable[RecordedEvent]) -> None:
        """Rebuild from the record: unacknowledged alerts, less cautions measured again since."""
        events = list(events)
        acked = {seq for e in events if e.kind == Kind.ALERT_ACK for seq in acknowledged_alerts(e.payload)}
        groups: dict[int, list[RecordedEvent]] = {}
        times: dict[int, float] = {}
        for event in events:
            if event.kind == Kind.ALERT and event.seq not in acked:
                source = event.payload.get("source_seq")
                key = source if isinstance(source, int) else event.seq
                groups.setdefault(key, []).append(event)
                times.setdefault(key, event.session_time)
            elif event.kind == Kind.VITALS:
                measured = {name for name, value in event.payload.items() if value is not None}
                for key in [k for k, alerts in groups.items() if all(
                        a.payload.get("level") != "urgent" and a.payload.get("field") in measured for a in alerts)]:
                    del groups[key]
        for key, alerts in groups.items():
            self.show_alerts([(a, dict(a.payload)) for a in alerts], times[key])

    # ---------------------------------------------------------------- acknowledging
    def newest_urgent(self) -> AlertBanner | None:
        urgent = [b for b in self.banners if b.level == "urgent"]
        return urgent[0] if urgent else (self.banners[0] if self.banners else None)

    def acknowledge(self, banner: AlertBanner, action: str) -> bool:
        """One ``alert_ack`` for the line, naming the alerts it covers (by seq, and in words)."""
        ack: dict[str, Any] = {"alert_seqs": [alert.seq for alert, _ in banner.raised if alert is not None],
                               "alerts": [str(payload.get("reason", "")) for _, payload in banner.raised]}
        unsaved = [payload.get("field") for alert, payload in banner.raised if alert is None]
        if unsaved:  # alerts that could not be saved themselves: say which values they were about
            ack["fields"] = unsaved
        if action:
            ack["action"] = action
        if self._record(Kind.ALERT_ACK, ack) is None:
            return False
        self._remove(banner)
        self.acknowledged.emit(banner)
        return True

    def _remove(self, banner: AlertBanner) -> None:
        if banner in self.banners:
            self.banners.remove(banner)
        self._layout.removeWidget(banner)
        banner.hide()
        banner.deleteLater()
        self.setVisible(bool(self.banners))
