"""The bar above the session list: date range, therapist, room, client, alerts, not signed.

Every change produces one :class:`SessionFilter` at once (no "Apply" button to forget); the list
model turns it into one SQL query. Dates are optional: unticked means "any day".
"""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kaproom.domain.vocabulary import BOOSTER_GIVEN, HAS_ADVERSE_EVENTS, HAS_WASTE
from kaproom.store.queries import SessionFilter

ANY = "Any"
CLIENT_FIELD_MAX = 40


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class FilterBar(QWidget):
    """Emits ``changed(SessionFilter)`` whenever the supervisor changes a control."""

    changed = Signal(object)

    def __init__(self, parent: QWidget | None = None, today: date | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewFilters")
        today = today or date.today()
        self.from_check = QCheckBox("From")
        self.from_check.setObjectName("filterFromOn")
        self.from_date = self._date_edit("filterFrom", today.replace(day=1), "Sessions from")
        self.to_check = QCheckBox("to")
        self.to_check.setObjectName("filterToOn")
        self.to_date = self._date_edit("filterTo", today, "Sessions up to")
        self.therapist = self._combo("filterTherapist", "Therapist")
        self.room = self._combo("filterRoom", "Room")
        self.client = QLineEdit()
        self.client.setObjectName("filterClient")
        self.client.setPlaceholderText("Client code")
        self.client.setMaxLength(CLIENT_FIELD_MAX)
        self.client.setClearButtonEnabled(True)
        self.client.setAccessibleName("Client code contains")
        self.client.setMinimumWidth(160)
        self.client.setMaximumWidth(320)
        self.has_alerts = QCheckBox("Has alerts")
        self.has_alerts.setObjectName("filterHasAlerts")
        self.not_signed = QCheckBox("Not signed")
        self.not_signed.setObjectName("filterNotSigned")
        self.too_soon = QCheckBox("Discharged too soon after dose")
        self.too_soon.setObjectName("filterTooSoon")
        self.too_soon.setToolTip("Discharged sooner after the dose than the protocol's observation time")
        self.adverse_events = QCheckBox(HAS_ADVERSE_EVENTS)
        self.adverse_events.setObjectName("filterAdverseEvents")
        self.booster = QCheckBox(BOOSTER_GIVEN)
        self.booster.setObjectName("filterBooster")
        self.waste = QCheckBox(HAS_WASTE)
        self.waste.setObjectName("filterWaste")
        self.include_demo = QCheckBox("Demo sessions")
        self.include_demo.setObjectName("filterDemo")
        self.include_demo.setChecked(True)
        self.clear_button = QPushButton("Clear filters")
        self.clear_button.setObjectName("filterClear")
        self.clear_button.clicked.connect(self.clear)

        # Two rows, so the bar fits a laptop's 1366 pixels: when and who, then the flags.
        when_who = QHBoxLayout()
        for widget in (self.from_check, self.from_date, self.to_check, self.to_date, QLabel("Therapist"),
                       self.therapist, QLabel("Room"), self.room):
            when_who.addWidget(widget)
        when_who.addWidget(self.client, 1)
        when_who.addStretch(1)  # a client code is short: the field need not run to the window's edge
        flags = QHBoxLayout()
        for widget in (self.has_alerts, self.not_signed, self.too_soon, self.include_demo):
            flags.addWidget(widget)
        flags.addStretch(1)
        flags.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(when_who)
        layout.addLayout(flags)
        medication = QHBoxLayout()  # a row of its own: the flags' row already fills a laptop's width
        medication.addWidget(QLabel("Medication record:"))
        for box in self._medication_boxes:
            medication.addWidget(box)
        medication.addStretch(1)
        layout.addLayout(medication)

        for box in (self.from_check, self.to_check, self.has_alerts, self.not_signed, self.too_soon, self.include_demo,
                    *self._medication_boxes):
            box.toggled.connect(self._emit)
        for edit in (self.from_date, self.to_date):
            edit.dateChanged.connect(self._emit)
        for combo in (self.therapist, self.room):
            combo.currentIndexChanged.connect(self._emit)
        self.client.textChanged.connect(self._emit)
        self._sync_dates()

    def _date_edit(self, name: str, day: date, what: str) -> QDateEdit:
        edit = QDateEdit(_qdate(day))
        edit.setObjectName(name)
        edit.setAccessibleName(what)  # a reader would announce only the date itself
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        return edit

    def _combo(self, name: str, what: str) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        combo.setAccessibleName(what)
        combo.addItem(ANY, "")
        combo.setMinimumContentsLength(10)
        return combo

    def set_choices(self, therapists: list[str], rooms: list[str]) -> None:
        """Fill the drop-downs, keeping what was chosen if it is still there."""
        for combo, names in ((self.therapist, therapists), (self.room, rooms)):
            current = combo.currentData() or ""
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(ANY, "")
            for name in names:
                combo.addItem(name, name)
            found = combo.findData(current)
            combo.setCurrentIndex(max(0, found))
            combo.blockSignals(False)

    def current(self) -> SessionFilter:
        start = _pydate(self.from_date.date()) if self.from_check.isChecked() else None
        end = _pydate(self.to_date.date()) if self.to_check.isChecked() else None
        return SessionFilter(date_from=start, date_to=end, therapist=self.therapist.currentData() or "",
                             room=self.room.currentData() or "", client=self.client.text(),
                             has_alerts=self.has_alerts.isChecked(), not_signed=self.not_signed.isChecked(),
                             include_demo=self.include_demo.isChecked(), short_observation=self.too_soon.isChecked(),
                             has_adverse_events=self.adverse_events.isChecked(), booster_given=self.booster.isChecked(),
                             has_waste=self.waste.isChecked())

    @property
    def _medication_boxes(self) -> tuple[QCheckBox, ...]:
        return (self.adverse_events, self.booster, self.waste)

    def clear(self) -> None:
        widgets = (self.from_check, self.to_check, self.has_alerts, self.not_signed, self.too_soon, self.include_demo,
                   self.therapist, self.room, self.client, *self._medication_boxes)
        for widget in widgets:
            widget.blockSignals(True)
        for box in (self.from_check, self.to_check, self.has_alerts, self.not_signed, self.too_soon,
                    *self._medication_boxes):
            box.setChecked(False)
        self.include_demo.setChecked(True)
        self.therapist.setCurrentIndex(0)
        self.room.setCurrentIndex(0)
        self.client.clear()
        for widget in widgets:
            widget.blockSignals(False)
        self._emit()

    def _sync_dates(self) -> None:
        self.from_date.setEnabled(self.from_check.isChecked())
        self.to_date.setEnabled(self.to_check.isChecked())

    def _emit(self, *_: object) -> None:
        self._sync_dates()
        self.changed.emit(self.current())
