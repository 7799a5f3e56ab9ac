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

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

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
    """The alerts of one check-in: level and reasons in words, "action taken" and Acknowledge.

    On a line short of room (the larger text on a laptop screen, a wide side panel) the time and
    the key hint move into tooltips ("URGENT", "Adverse event"), so the reasons keep their words
    and no button is cut at the line's edge."""

    ADVERSE = "Adverse event (Ctrl+Enter)"
    ACTION_WIDEST = 300  # px
    SPACING = 10  # px between the parts of the line; 6 when it is short of room

    def __init__(self, raised: list[Raised], at: float | None, board: AlertBoard,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.raised = sorted(raised, key=lambda item: -_rank(item[1]))
        self.board = board
        self.level = "urgent" if any(_rank(p) for _, p in self.raised) else "caution"
        self.setObjectName("alertBanner")
        self.setProperty("level", self.level)
        when = f" at {format_hms(at)}" if at is not None else ""
        word = "URGENT" if self.level == "urgent" else "Caution"
        #: "URGENT at 0:10:00": the line's level and time, as the status line and the log name it.
        self.heading = word + when
        self.level_label = QLabel(self.heading)
        self.level_label.setObjectName("alertLevel")
        self.level_label.setProperty("level", self.level)
        # One line in the banners' fixed place beside the buttons: each reason is in the log in full
        # (and the whole line in the tooltip).
        self.text = ElidedLabel("alertText", " · ".join(str(p.get("reason", "")) for _, p in self.raised),
                                whole_in_tooltip=True, shrink_to=0.75)
        self.action = QLineEdit()
        self.action.setObjectName("alertAction")
        self.action.setPlaceholderText("Action taken (optional)")
        self.action.setAccessibleName("Action taken for this alert (optional); Enter acknowledges")
        self.action.setMaxLength(1000)
        self.action.setMaximumWidth(self.ACTION_WIDEST)
        self.action.returnPressed.connect(self.acknowledge)
        self.ack_button = make_button("alertAcknowledge", "Acknowledge", f"Acknowledge: {self.text.text()}",
                                      enter_presses=True, on_click=self.acknowledge)
        #: Acknowledged with "make this an adverse event" (Ctrl+Enter in the action field, or its button).
        self.as_adverse_event = False
        self.adverse_button = make_button("alertAdverseEvent", self.ADVERSE,
                                          "Acknowledge and make this an adverse event",
                                          enter_presses=True, on_click=self.acknowledge_as_adverse_event)
        self.action.installEventFilter(self)
        self.problem = make_label("alertProblem", wrap=True)
        self.problem.setProperty("level", "error")
        self.problem.hide()
        row = QHBoxLayout()
        row.setSpacing(self.SPACING)  # "URGENT at 0:10:00" and its reasons never run together
        row.addWidget(self.level_label)
        row.addWidget(self.text, 2)  # the reason before the optional action, when the line is short of room
        row.addWidget(self.action, 1)
        self._row = row
        self._texts: dict[QLabel | QPushButton, tuple[str, str]] = {
            self.level_label: (self.heading, word), self.adverse_button: (self.ADVERSE, "Adverse event")}
        row.addWidget(self.ack_button)
        row.addWidget(self.adverse_button)
        layout = self._box = QVBoxLayout(self)
        layout.setContentsMargins(10, 2, 6, 2)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.problem)
        self.setAccessibleName(f"{self.level_label.text()}: {self.text.text()}")

    def _needed(self) -> int:
        """The width the line needs with the time and key hint shown, the reasons whole and room
        to type the action."""
        margins = self._box.contentsMargins()
        frame = 2 * self.frameWidth() + margins.left() + margins.right()
        widths = [self.level_label.fontMetrics().horizontalAdvance(self.heading) + 4,
                  self.text.fontMetrics().horizontalAdvance(self.text.text()) + 4,
                  self.action.fontMetrics().horizontalAdvance("Action taken (optional)") + 24,
                  self.ack_button.sizeHint().width(),
                  self.adverse_button.sizeHint().width() + self.adverse_button.fontMetrics().horizontalAdvance(
                      self.ADVERSE) - self.adverse_button.fontMetrics().horizontalAdvance(self.adverse_button.text())]
        return frame + sum(widths) + self.SPACING * (len(widths) - 1) + 10  # + the coloured edge

    def _fit(self, width: int) -> None:
        # room to see what is typed in the action field, whatever the text size; short of room, the
        # reasons come first and the field takes no more than that
        least = self.action.fontMetrics().horizontalAdvance("Action taken") + 24
        short = width < self._needed()
        self.action.setMinimumWidth(least)
        self.action.setMaximumWidth(least if short else self.ACTION_WIDEST)
        self._row.setSpacing(6 if short else self.SPACING)
        for widget, (whole, brief) in self._texts.items():
            text = brief if short else whole
            if widget.text() != text:
                widget.setText(text)
                widget.setToolTip(whole if short else "")

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._fit(event.size().width())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt name)
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange) and hasattr(self, "_texts"):
            self._fit(self.width())  # the text-size setting (once the line is built)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        """As narrow as the shortened line (a long time or key hint never widens the banners' place)."""
        hint = super().minimumSizeHint()
        spare = sum(int(widget.fontMetrics().horizontalAdvance(widget.text()) - widget.fontMetrics().horizontalAdvance(
            brief)) for widget, (_whole, brief) in self._texts.items())
        return QSize(max(0, hint.width() - spare), hint.height())

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
