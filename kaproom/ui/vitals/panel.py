"""Vitals on the room screen: the check-in form (F9), "dose given" (F10, and a booster where the
protocol allows one), the next-check line, alerts, the discharge checklist, and the medication
(Ctrl+Shift+M) and adverse-event (Ctrl+Shift+R) entries.

``install(room)`` is called once at the end of the room window's construction. Everything goes
through the room's controller, so each check-in, dose, alert, acknowledgement and discharge is
an event in the record before the screen says it happened. Judgement (statuses, NEWS2, schedule,
discharge pre-fill) comes from the domain core; this module only wires it to widgets.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget

from kaproom.domain.aldrete import AldreteItem, aldrete_from_record, aldrete_payload, minimum_of
from kaproom.domain.clock import format_hms
from kaproom.domain.discharge import DischargeError, Prefill, discharge_details, prefill_checklist
from kaproom.domain.events import Kind, RecordedEvent
from kaproom.domain.medication import RuleRefused, medication_words
from kaproom.domain.pre_dose import (
    TOUCH,
    facts_payload,
    facts_words,
    missing,
    missing_words,
    parse_facts,
    recorded_facts,
)
from kaproom.domain.protocol_settings import OBSERVED_ITEM
from kaproom.domain.scales import due_after_dose, due_before_discharge, due_with_check_in, parse_rating
from kaproom.domain.session import State
from kaproom.domain.vitals import (
    NEWS2_ADVISORY,
    Reading,
    baseline_check_in,
    baseline_reading,
    check_in,
    parse_vitals,
    reading_from_payload,
)
from kaproom.domain.vitals_schedule import due_for_session
from kaproom.ui.kit.host import LEAVE_HINT, RoomHost
from kaproom.ui.kit.labels import plain_label
from kaproom.ui.kit.scrolling import show_whole
from kaproom.ui.kit.theme import set_level
from kaproom.ui.vitals.alerts import AlertBanner, AlertBoard
from kaproom.ui.vitals.discharge import DischargePanel
from kaproom.ui.vitals.dose import DoseEntry
from kaproom.ui.vitals.form import EscapeCatcher, VitalsForm
from kaproom.ui.vitals.history import history_table
from kaproom.ui.vitals.meds import ADVERSE_EVENT_KEY, MEDICATION_KEY, AdverseEventPanel, EnterCatcher, MedicationPanel
from kaproom.ui.vitals.pre_dose import PreDoseForm
from kaproom.ui.vitals.scales import ScalesForm, field_name
from kaproom.ui.vitals.waste import WASTE_KEY, WasteEntry, WastePanel

KEPT_KINDS = (Kind.VITALS, Kind.DOSE, Kind.TAG, Kind.ALERT, Kind.ALERT_ACK, Kind.SCALE, Kind.PRE_DOSE)
NEWS2_LEVEL = {"low": "ok", "low-medium": "caution", "medium": "caution", "high": "urgent"}
SHORTCUTS = (
    ("F9", "Vitals check-in: go to the form (Enter saves)"),
    ("F10", "Dose given: record it now (after the dosing phase, it asks when)"),
    ("Ctrl+Shift+K", "Acknowledge the newest vitals alert (type the action taken, then Enter; Ctrl+Enter also "
                     "makes it an adverse event)"),
    (MEDICATION_KEY, "Medication from the standing orders (type the drug, Enter records)"),
    (ADVERSE_EVENT_KEY, "Adverse event: kind, severity, onset, actions, outcome (Enter records)"),
    (WASTE_KEY, "Waste: what of the dose was not taken, with a witness (Enter records)"),
)
#: Which adverse event an urgent alert about these values suggests (the therapist may change it).
ALERT_KINDS = {"systolic": "hypertension", "diastolic": "hypertension", "spo2": "respiratory_depression",
               "respiratory_rate": "respiratory_depression", "moaas": "respiratory_depression"}


def news2_words(payload: Mapping[str, Any]) -> tuple[str, str]:
    """("NEWS2 5 · medium: ...", level) for a stored vitals payload; partial check-ins say why none."""
    news = payload.get("news2")
    if isinstance(news, Mapping) and isinstance(news.get("score"), int):
        band = str(news.get("band", ""))
        missing = news.get("missing") or []
        without = f" (without {', '.join(str(m) for m in missing)})" if missing else ""
        return f"NEWS2 {news['score']} · {band}{without}", NEWS2_LEVEL.get(band, "ok")
    if payload.get("partial"):
        return "NEWS2 not scored: partial check-in", "info"
    return "", "ok"


class RoomVitals(QObject):
    """Keeps the vitals form, the dose, alerts, next-check line and discharge in step with one session."""

    def __init__(self, room: RoomHost) -> None:
        super().__init__(room.window())
        self.room, self.controller = room, room.controller
        self.runner = self.controller.runner
        self.protocol = self.runner.protocol
        self.events: list[RecordedEvent] = []
        try:
            self.events = list(self.controller.workspace.store.events(self.runner.session_uid, KEPT_KINDS))
        except Exception as exc:  # noqa: BLE001 - the room still works; the schedule starts from now
            room.show_status(f"Earlier vitals could not be read: {exc}", "error")
        self._checked_details: dict[str, Any] | None = None
        self.board = AlertBoard(self.controller.record)
        self.board.acknowledged.connect(self._acknowledged)
        room.add_banner(self.board)
        # Built from the outside in: a widget that joins the styled room takes its style once,
        # whereas a finished panel added to it would restyle every widget inside it again.
        self.scroll, self._panels = self._scrolling()
        room.add_panel(self.scroll)
        self.form = VitalsForm(self.protocol, self._panels.parentWidget())
        self._panels.insertWidget(0, self.form)
        # Made when first opened: most of the session never shows it.
        self._discharge_panel: DischargePanel | None = None
        self.dose_entry = DoseEntry(room, self.form, self.scroll, lambda: self.vitals_events, self._running)
        self.form.saveRequested.connect(self.save)
        self.scales_form: ScalesForm | None = None
        self.scales_due = plain_label("scalesDue", "")
        self.scales_due.setProperty("muted", "true")
        self.scales_due.hide()
        self._panels.insertWidget(1, self.scales_due)
        # Touch consent and music preferences, small and muted: in the body, so the privacy key hides them.
        self.care_line = plain_label("preDoseCare", "")
        self.care_line.setProperty("muted", "true")
        self.care_line.hide()
        self._panels.insertWidget(1, self.care_line)
        self._show_care_line()
        if any(not s.vitals_field for s in self.protocol.scales):
            self.scales_form = ScalesForm(self.protocol.scales, self._panels.parentWidget())
            self.scales_form.hide()
            self._panels.insertWidget(2, self.scales_form)
            self.scales_form.saveRequested.connect(self.save_scales)
            EscapeCatcher(self.close_scales, self).watch(self.scales_form)
            room.add_shortcut("Ctrl+Shift+S", "Rating scales (RASS, dissociation): open them (Enter saves)",
                              self.open_scales)
        self.facts_form: PreDoseForm | None = None
        if self.protocol.pre_dose_ask:
            self.facts_form = PreDoseForm(self.protocol.pre_dose_ask, self.protocol.pre_dose_required,
                                          self._panels.parentWidget())
            self.facts_form.hide()
            self._panels.insertWidget(1, self.facts_form)
            self.facts_form.saveRequested.connect(self.save_facts)
            EscapeCatcher(self.close_facts, self).watch(self.facts_form)
            room.add_shortcut("Ctrl+Shift+F", "Facts before the dose (escort, last food and drink, touch, music): "
                              "add or correct them (Enter saves)", self.open_facts)
        self.form.dose_yes.clicked.connect(lambda _=False: self.dose_entry.record_dose())
        self.form.dose_no.clicked.connect(lambda _=False: self.dose_entry.cancel())
        EscapeCatcher(self.dose_entry.cancel, self).watch(self.form)
        self._discharge_escape = EscapeCatcher(self.close_discharge, self)
        self._medication: MedicationPanel | None = None  # made when first opened
        self._adverse: AdverseEventPanel | None = None
        self.waste = WasteEntry(room, self._waste_panel, self.events, self,
                                lambda: QTimer.singleShot(0, lambda: self.scroll.verticalScrollBar().setValue(0)))
        callbacks = (self.focus_form, self.dose, self.acknowledge_newest, self.open_medication,
                     self.open_adverse_event, self.open_waste)
        for (key, description), callback in zip(SHORTCUTS, callbacks):
            room.add_shortcut(key, description, callback)
        room.set_discharge_handler(self.open_discharge)
        room.add_shortcut("Ctrl+Shift+P", "Print the after-care sheet for the client (after discharge)",
                          self.print_aftercare)
        self.board.restore(self.events)
        self._show_last_check()
        self.controller.eventRecorded.connect(self._on_event)
        self.controller.ticked.connect(self._on_tick)
        self._on_tick(self.controller.elapsed())
        if not self.runner.state.state.is_open:  # a room opened on an ended session
            self._close_form()

    @staticmethod
    def _scrolling() -> tuple[QScrollArea, QVBoxLayout]:
        """The area the panels scroll in, rather than push the window taller than the screen, and
        the column they go in."""
        area = QScrollArea()
        area.setObjectName("vitalsScroll")
        area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the fields (and scrolls to them), not the frame
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        inner.setObjectName("vitalsSide")
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.addStretch(1)
        area.setWidget(inner)
        return area, layout

    @property
    def discharge_panel(self) -> DischargePanel:
        if self._discharge_panel is None:
            panel = DischargePanel(self._discharge, self.controller.clock.now, self._panels.parentWidget())
            panel.cancelled.connect(self.close_discharge)
            panel.refused.connect(self._discharge_refused)
            self._panels.insertWidget(1, panel)
            self._discharge_panel = panel
        return self._discharge_panel

    def _discharge_refused(self) -> None:
        """Enter did not discharge: the reason sits under the checklist, often below the panel's
        fold, so scroll to it, and say on the status line (where the keys were named) where to look.
        The words themselves stay in the panel: a long list there would squeeze the log."""
        if self._discharge_panel is not None:
            self._reveal(self._discharge_panel.message)
        self.room.show_status("Not discharged yet: why is under the checklist, beside the log.", "caution")

    def _discharge_shown(self) -> bool:
        return self._discharge_panel is not None and self._discharge_panel.isVisible()

    def _hide_discharge(self) -> None:
        if self._discharge_panel is not None:
            self._discharge_panel.hide()

    def _reveal(self, widget: QWidget | None) -> None:
        """Scroll the side panel so ``widget`` (a refused field, the dose question) is in view."""
        if widget is not None:  # after the layout has taken in the new text
            QTimer.singleShot(0, lambda: show_whole(self.scroll, widget))

    # ---------------------------------------------------------------- facts
    @property
    def vitals_events(self) -> list[RecordedEvent]:
        return [e for e in self.events if e.kind == Kind.VITALS]

    def _running(self, what: str) -> bool:
        if self.runner.state.state == State.RUNNING:
            return True
        self.room.show_status(f"The session is not running, so {what}.", "caution")
        return False

    def _dose_time(self) -> float | None:
        state = self.runner.state
        if not self.protocol.has_dose:
            return None
        if state.dose_time is not None:
            return state.dose_time
        if state.phase_index > self.protocol.dose_phase_index:  # moved past dosing without F10
            return state.phase_began(self.protocol.dose_phase)
        return None

    def _history(self) -> list[tuple[float, Reading]]:
        return [(e.session_time, reading_from_payload(e.payload)) for e in self.vitals_events]

    # ---------------------------------------------------------------- time
    def _on_event(self, event: RecordedEvent) -> None:
        if event.kind in KEPT_KINDS:
            self.events.append(event)
        if event.kind == Kind.PRE_DOSE:
            self._show_care_line()
        self.waste.take(event)
        if event.kind == Kind.DOSE:  # the check before it is now the baseline
            self._show_last_check()
        if event.kind in (Kind.VITALS, Kind.DOSE, Kind.PHASE_CHANGED, Kind.SESSION_ENDED):
            self._on_tick(self.runner.elapsed())
        if event.kind == Kind.SESSION_ENDED:
            self._close_form()

    def _close_form(self) -> None:
        """No check-ins after the end: the fields go grey, and whatever was typed in them stays
        readable (to copy into a note, which the room still takes)."""
        self.form.close_for_good()
        if self.scales_form is not None:
            self.scales_form.close_for_good()
        self.form.show_message("The session has ended: no more check-ins. "
                               "Anything typed in the fields stays as it was.", "info")

    def _on_tick(self, elapsed: float) -> None:
        due = due_for_session(self.protocol, self.runner.state, elapsed, self.vitals_events)
        self.room.set_vitals_due(due.text, due.level)
        self._show_scales_due(elapsed)
        if self._discharge_shown():  # the observation time moves on while the checklist is open
            observed = [p for p in self._prefills(elapsed) if p.item_id == OBSERVED_ITEM]
            for item in observed:
                self.discharge_panel.refresh_basis(item)

    # ---------------------------------------------------------------- check-ins
    def focus_form(self) -> None:
        if self._discharge_shown():
            self.discharge_panel.focus_first()
            return
        self.form.show()
        self.form.focus_first_field()
        self.scroll.verticalScrollBar().setValue(0)

    def save(self) -> RecordedEvent | None:
        """Validate, record the check-in and its alerts; on any refusal the typed text stays."""
        if not self._running("this check-in was not saved (what you typed is kept)"):
            self.form.show_message("The session is not running; this check-in was not saved.", "caution")
            return None
        result = parse_vitals(self.form.texts(), self.protocol.vitals_ranges)
        self.form.apply_filled(result.filled)
        self.form.show_errors(result.errors)
        if not result.ok or result.reading is None:
            if "form" not in result.errors:
                self.form.show_message("Not saved: correct the marked values. What you typed is kept.")
            self._reveal(self.form.focusWidget())
            first = next(iter(result.errors.values()))
            self.room.show_status(f"Vitals not saved: {first}", "caution")
            return None
        dose_time = self._dose_time()
        pre_dose = dose_time is None
        checked = check_in(result.reading, self.protocol.alerts, pre_dose=pre_dose,
                           baseline=baseline_check_in(self._history(), dose_time))
        saved = self.controller.record_with(  # the check-in and its alerts: one transaction
            Kind.VITALS, checked.payload(), lambda check: [(Kind.ALERT, a) for a in checked.alerts(check.seq)])
        if not saved:
            self.form.show_message(f"Not saved: {self.controller.last_error or 'the record refused it'} "
                                   "What you typed is kept.")
            self._reveal(self.form.errors["form"])
            return None
        event, alerts = saved[0], saved[1:]
        self.board.measured_again(result.reading.taken)
        self.board.show_alerts([(alert, alert.payload) for alert in alerts], event.session_time)  # urgent first
        self.form.clear_values()
        self.form.show_message("")
        self._show_last_check()
        self._reveal(self.form.result)  # the check just saved, at the top of the panel
        worst = checked.level
        words = {"ok": "", "caution": " with a caution (see the alert above)",
                 "urgent": " - URGENT: see the alert above"}[worst]
        self.room.show_status(f"Vitals saved at {format_hms(event.session_time)}{words}.",
                              "ok" if worst == "ok" else worst)
        self.room.focus_note()
        return event

    def _show_last_check(self) -> None:
        vitals = self.vitals_events
        if vitals:
            self._show_check(vitals[-1])
        self.form.show_history(*history_table(vitals, self._dose_time()))

    def _show_check(self, event: RecordedEvent) -> None:
        reading = reading_from_payload(event.payload)
        statuses = event.payload.get("statuses") or {}
        levels = [s.get("level") for s in statuses.values() if isinstance(s, Mapping)]
        level = "urgent" if "urgent" in levels else "caution" if "caution" in levels else "ok"
        partial = " (partial)" if event.payload.get("partial") else ""
        news2, news2_level = news2_words(event.payload)
        self.form.show_result(f"Last check {format_hms(event.session_time)}{partial}: {reading.summary()}", level,
                              news2, news2_level, NEWS2_ADVISORY if "news2" in event.payload else "")

    # ---------------------------------------------------------------- facts before the dose
    def recorded_facts(self) -> dict[str, str]:
        return recorded_facts(e.payload for e in self.events if e.kind == Kind.PRE_DOSE)

    def dose(self) -> None:
        """F10: first the facts the protocol needs before a dose; then the dose and its questions."""
        needed = missing(self.protocol.pre_dose_required, self.recorded_facts())
        if needed and self.runner.state.dose_time is None and self.runner.state.state == State.RUNNING:
            self.open_facts(needed[0])
            self.room.show_status(f"The dose is not recorded yet: before the dose the protocol needs "
                                  f"{missing_words(needed)}. Type them here and press Enter, then F10.", "caution")
            return
        self.dose_entry.dose()

    def _show_care_line(self) -> None:
        """'Touch: ask first · Music: no lyrics' from the record, when it holds either."""
        facts = self.recorded_facts()
        bits = []
        if facts.get("touch_consent"):
            bits.append(f"Touch: {TOUCH.get(facts['touch_consent'], facts['touch_consent'])}")
        if facts.get("music_preferences"):
            bits.append(f"Music: {facts['music_preferences']}")
        self.care_line.setText(" · ".join(bits))
        self.care_line.setVisible(bool(bits))

    def open_facts(self, field: str | None = None) -> None:
        form = self.facts_form
        if form is None:
            return
        form.set_values(self.recorded_facts())
        form.show()
        self.room.panels_resized()
        form.focus_field(field)
        self._reveal(form)

    def close_facts(self) -> None:
        if self.facts_form is not None:
            self.facts_form.hide()
        self.room.panels_resized()
        self.room.focus_note()

    def save_facts(self) -> RecordedEvent | None:
        """Record what was typed (a later entry adds to or corrects the earlier, field by field);
        on a refusal nothing is saved and everything typed stays."""
        form = self.facts_form
        if form is None:
            return None
        parsed = parse_facts(form.texts(), form.asked)
        form.show_errors(parsed.errors)
        if parsed.errors:
            self.room.show_status(f"Not saved: {next(iter(parsed.errors.values()))}", "caution")
            return None
        changed = {name: value for name, value in parsed.facts.items() if self.recorded_facts().get(name) != value}
        if not changed:
            self.close_facts()
            return None
        event = self.controller.record(Kind.PRE_DOSE, facts_payload(changed))
        if event is None:
            self.room.show_status(f"Not saved: {self.controller.last_error} What you typed is kept.", "error")
            return None
        needed = missing(self.protocol.pre_dose_required, self.recorded_facts())
        self.close_facts()
        self.room.show_status("Saved: " + facts_words(changed) + "." + (
            f" Still needed before the dose: {missing_words(needed)}." if needed else ""),
            "caution" if needed else "ok")
        return event

    # ---------------------------------------------------------------- rating scales
    def _rated_at(self) -> dict[str, list[float]]:
        """Session times of each scale's ratings, by scale id."""
        rated: dict[str, list[float]] = {}
        for event in self.events:
            if event.kind == Kind.SCALE:
                rated.setdefault(str(event.payload.get("scale")), []).append(event.session_time)
        return rated

    def _scales_due_words(self, elapsed: float) -> str:
        """'RASS and Dissociation due now (Ctrl+Shift+S)': at their time after the dose, or with the
        check-in just saved; '' when none is."""
        if self.scales_form is None or not self.runner.state.state.is_open:
            return ""
        rated = self._rated_at()
        vitals = self.vitals_events
        due = due_with_check_in(self.protocol.scales, vitals[-1].session_time if vitals else None, elapsed, rated)
        dose_time = self._dose_time()
        if dose_time is not None:
            since_dose = {key: [(at - dose_time) / 60 for at in times] for key, times in rated.items()}
            due += [s for s in due_after_dose(self.protocol.scales, (elapsed - dose_time) / 60, since_dose)
                    if s not in due]
        return f"{' and '.join(s.short for s in due)} due now (Ctrl+Shift+S)" if due else ""

    def _show_scales_due(self, elapsed: float) -> None:
        words = self._scales_due_words(elapsed)
        if words != self.scales_due.text():
            self.scales_due.setText(words)
            self.scales_due.setVisible(bool(words))

    def open_scales(self) -> None:
        if self.scales_form is None:
            return
        self._hide_discharge()
        self.form.show()
        self.scales_form.show()
        self.room.panels_resized()
        self.scales_form.focus_first()
        self._reveal(self.scales_form)
        self.room.show_status("Scales: type each answer (e.g. -2, mild, y), Enter saves, Esc goes back.", "info")

    def close_scales(self) -> None:
        if self.scales_form is not None:
            self.scales_form.hide()
        self.room.panels_resized()
        self.room.focus_note()

    def save_scales(self) -> list[RecordedEvent] | None:
        """Validate every scale typed in and record each with its alerts; on a refusal nothing is
        saved and everything typed stays."""
        form = self.scales_form
        if form is None:
            return None
        if not self._running("the ratings were not saved (what you typed is kept)"):
            form.show_message("The session is not running; the ratings were not saved.", "caution")
            return None
        errors: dict[str, str] = {}
        ratings = []
        for scale in form.scales:
            parsed = parse_rating(scale, form.texts(scale))
            errors.update({field_name(scale, item_id): message for item_id, message in parsed.errors.items()})
            if parsed.rating is not None:
                ratings.append(parsed.rating)
        form.show_errors(errors)
        if errors:
            form.show_message("Not saved: correct the marked answers. What you typed is kept.")
            self.room.show_status(f"Ratings not saved: {next(iter(errors.values()))}", "caution")
            return None
        if not ratings:
            form.show_message("Nothing to save: type at least one answer.", "caution")
            return None
        saved: list[RecordedEvent] = []
        worst = "ok"
        for rating in ratings:
            events = self.controller.record_with(Kind.SCALE, rating.payload(), _alerts_of(rating.alerts()))
            if not events:
                form.show_message(f"Not saved: {self.controller.last_error or 'the record refused it'} "
                                  "What you typed is kept.")
                return saved or None
            saved.append(events[0])
            form.clear_scale(rating.scale)
            # A caution about an answer (or a total) rated again gives way, as a vital measured again does.
            self.board.measured_again({f"{rating.scale.id}.{item}" for item in rating.answers}
                                      | ({rating.scale.id} if rating.complete else set()))
            if events[1:]:
                self.board.show_alerts([(alert, alert.payload) for alert in events[1:]], events[0].session_time)
            worst = rating.level if rating.level == "urgent" or worst == "ok" else worst
        words = "; ".join(r.words() for r in ratings)
        form.result.setText(f"Last rating {format_hms(saved[-1].session_time)}: {words}")
        set_level(form.result, worst)
        form.show_message("")
        self._show_scales_due(self.runner.elapsed())
        tail = {"ok": "", "caution": " with a caution (see the alert above)",
                "urgent": " - URGENT: see the alert above"}[worst]
        self.room.show_status(f"Ratings saved at {format_hms(saved[-1].session_time)}{tail}.",
                              "ok" if worst == "ok" else worst)
        self.close_scales()
        return saved

    # ---------------------------------------------------------------- alerts
    def acknowledge_newest(self) -> None:
        banner = self.board.newest_urgent()
        if banner is None:
            self.room.show_status("There is no vitals alert to acknowledge.", "info")
            return
        banner.action.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _acknowledged(self, banner: AlertBanner) -> None:
        """A line acknowledged has gone: the status line says so (never "see the alert above" for a
        banner that is no longer there), and the focus is back in the note field, or in the
        adverse-event panel, filled from the alert, when the acknowledgement asked for one."""
        left = len(self.board.banners)
        more = f" {left} alert line(s) still above (Ctrl+Shift+K)." if left else ""
        count = len(banner.alert_seqs)
        self.room.show_status(f"Acknowledged: {banner.heading} ({count} alert{'s' if count > 1 else ''}; "
                              f"the log names them).{more}", "caution" if left else "ok")
        if banner.as_adverse_event:
            fields = [str(payload.get("field", "")) for _, payload in banner.raised]
            kind = next((ALERT_KINDS[f] for f in fields if f in ALERT_KINDS), "")
            if self.protocol.adverse_event_kind(kind) is None:
                kind = ""
            seqs = tuple(seq for seq in banner.alert_seqs if seq is not None)
            alerts = [alert for alert, _ in banner.raised if alert is not None]
            onset = alerts[0].session_time if alerts else None
            self.open_adverse_event(kind, banner.action.text().strip(), onset, seqs,
                                    f"From the alert: {banner.heading}: {banner.text.text()}")
            return
        self.room.focus_note()

    # ---------------------------------------------------------------- waste
    def _waste_panel(self) -> WastePanel:
        panel = WastePanel(self._panels.parentWidget())
        self._panels.insertWidget(0, panel)
        EscapeCatcher(self.waste.close, self).watch(panel)
        EnterCatcher(self.waste.save, self).watch(panel)
        return panel

    def open_waste(self) -> None:
        if self.room.private or not self._running("no waste can be recorded"):
            return
        self.waste.open()

    # ---------------------------------------------------------------- medication and adverse events
    @property
    def medication_panel(self) -> MedicationPanel:
        if self._medication is None:
            panel = MedicationPanel(self.protocol.standing_orders, self._panels.parentWidget())
            panel.saveRequested.connect(self.save_medication)
            self._panels.insertWidget(0, panel)
            EscapeCatcher(self.close_medication, self).watch(panel)
            EnterCatcher(self.save_medication, self).watch(panel)
            self._medication = panel
        return self._medication

    @property
    def adverse_panel(self) -> AdverseEventPanel:
        if self._adverse is None:
            panel = AdverseEventPanel(self.protocol.adverse_event_kinds, self._panels.parentWidget())
            panel.saveRequested.connect(self.save_adverse_event)
            self._panels.insertWidget(0, panel)
            EscapeCatcher(self.close_adverse_event, self).watch(panel)
            EnterCatcher(self.save_adverse_event, self).watch(panel)
            self._adverse = panel
        return self._adverse

    def open_medication(self) -> None:
        if self.room.private or not self._running("no medication can be recorded"):
            return
        self.medication_panel.open()
        self.scroll.verticalScrollBar().setValue(0)
        self.room.show_status("Medication: type the drug (it completes), check the amount and reason, Enter "
                              "records; Esc closes.", "info")

    def save_medication(self) -> RecordedEvent | None:
        """Record the standing order typed; a refusal (naming the rule) stays in the panel with the text."""
        panel = self.medication_panel
        order = panel.order()
        try:
            if order is None:
                known = ", ".join(o.name for o in self.protocol.standing_orders) or "none"
                typed = panel.drug.text().strip()
                raise RuleRefused("standing_orders", f"'{typed[:40]}' is not one of this protocol's standing orders "
                                                     f"({known})" if typed else "type the drug first")
            amount = panel.amount_value()
        except RuleRefused as exc:
            self._medication_refused(str(exc))
            return None
        event = self.controller.give_medication(order.id, amount, panel.reason.text())
        if event is None:
            self._medication_refused(f"Not saved: {self.controller.last_error}")
            return None
        panel.clear()
        panel.hide()
        self.room.show_status(f"Medication recorded at {format_hms(event.session_time)}: "
                              f"{medication_words(event.payload)}.", "ok")
        self.room.focus_note()
        return event

    def _medication_refused(self, text: str) -> None:
        self.medication_panel.show_message(f"{text}. What you typed is kept.")
        self.room.show_status(f"Medication not recorded: {text}.", "caution")
        self._reveal(self.medication_panel.message)

    def close_medication(self) -> None:
        if self._medication is not None and self._medication.isVisible():
            self._medication.hide()
            self.room.show_status("Medication not recorded.", "info")
        self.room.focus_note()

    def open_adverse_event(self, kind: str = "", actions: str = "", onset: float | None = None,
                           alert_seqs: tuple[int, ...] = (), source: str = "") -> None:
        if self.room.private or not self._running("no adverse event can be recorded"):
            return
        self.adverse_panel.open(self.runner.elapsed(), kind, actions, onset, alert_seqs, source)
        self.scroll.verticalScrollBar().setValue(0)
        self.room.show_status("Adverse event: type the kind's and the severity's first letters, Tab to move on, "
                              "Enter records; Esc closes.", "caution")

    def save_adverse_event(self) -> RecordedEvent | None:
        panel = self.adverse_panel
        try:
            answers = panel.answers()
        except RuleRefused as exc:
            self._adverse_refused(str(exc))
            return None
        event = self.controller.record_adverse_event(answers)
        if event is None:
            self._adverse_refused(f"Not saved: {self.controller.last_error}")
            return None
        panel.clear()
        panel.hide()
        self.room.show_status(f"Adverse event recorded at {format_hms(event.session_time)}: "
                              f"{event.payload.get('label')}, {event.payload.get('severity')}.", "ok")
        self.room.focus_note()
        return event

    def _adverse_refused(self, text: str) -> None:
        self.adverse_panel.show_message(f"{text}. What you typed is kept.")
        self.room.show_status(f"Adverse event not recorded: {text}.", "caution")
        self._reveal(self.adverse_panel.message)

    def close_adverse_event(self) -> None:
        if self._adverse is not None and self._adverse.isVisible():
            self._adverse.hide()
            self.room.show_status("Adverse event not recorded (what was typed stays for "
                                  f"{ADVERSE_EVENT_KEY}).", "info")
        self.room.focus_note()

    # ---------------------------------------------------------------- after-care sheet
    def print_aftercare(self, ask: Callable[[Any, QWidget], bool] | None = None) -> str:
        """Ctrl+Shift+P: the after-care sheet to a printer, once the client is discharged."""
        if self.runner.state.state != State.DISCHARGED:
            self.room.show_status("The after-care sheet is printed once the client is discharged (Ctrl+Shift+D).",
                                  "info")
            return ""
        # The printing code brings the exporters, the clinic settings and QtPrintSupport: about 0.2 s
        # to import (measured after the room's own modules, 2-core test machine), which the room's
        # first paint (bench/bench_startup.py), loading this module, would otherwise wait for.
        from kaproom.ui.vitals.aftercare_print import COPY_NOT_KEPT, ask_with_dialog, print_aftercare  # noqa: PLC0415
        try:
            words = print_aftercare(self.controller.workspace, self.runner.session_uid, self.room.window(),
                                    ask or ask_with_dialog)
        except Exception as exc:  # noqa: BLE001 - a printer or the audit trail failing must not close the room
            self.room.show_status(f"The after-care sheet was not printed: {exc}", "error")
            return ""
        level = "caution" if COPY_NOT_KEPT in words else "ok" if words else "info"
        self.room.show_status(words or "The after-care sheet was not printed.", level)
        return words

    # ---------------------------------------------------------------- discharge
    def _prefills(self, now: float) -> list[Prefill]:
        """The checklist's suggestions from the record as it stands at session time ``now``."""
        vitals = self.vitals_events
        latest = reading_from_payload(vitals[-1].payload) if vitals else None
        latest_time = vitals[-1].session_time if vitals else None
        dose_time = self._dose_time()
        baseline = baseline_reading(self._history(), dose_time)
        tags = [(e.session_time, str(e.payload.get("label", ""))) for e in self.events if e.kind == Kind.TAG]
        # The baseline is the check before the first dose; the observation and "a check since the
        # dose" count from the latest (a booster): kaproom.domain.medication.
        last_dose = self.runner.state.last_dose_time if self.runner.state.dose_times else dose_time
        return prefill_checklist(self.protocol.discharge_checklist, latest, latest_time, baseline, tags, now,
                                 self.protocol.alerts, last_dose)

    def open_discharge(self) -> None:
        if not self._running("it cannot be discharged"):
            return
        prefills = self._prefills(self.runner.elapsed())
        state = self.runner.state
        context = "" if state.is_last_phase or state.phase is None else f"The session is still in {state.phase.name}. "
        unacked = [b for b in self.board.banners if b.level == "urgent"]
        if unacked:
            context += f"{len(unacked)} urgent alert(s) not yet acknowledged. "
        unrated = due_before_discharge(self.protocol.scales, self.runner.elapsed(), self._rated_at(),
                                       self.protocol.alerts.get("discharge_check_within_minutes", 30))
        if unrated:
            context += f"{' and '.join(s.short for s in unrated)} due before discharge (Ctrl+Shift+S). "
        self.discharge_panel.load(prefills, context + "Tick what is true now; suggestions come from the record.")
        self.discharge_panel.aldrete.load(self._aldrete_items(), minimum_of(self.protocol.alerts))
        self.form.hide()
        self.discharge_panel.show()
        self.room.panels_resized()
        self._discharge_escape.watch(self.discharge_panel)  # the tick boxes are new each time
        self.discharge_panel.focus_first()
        QTimer.singleShot(0, lambda: self.scroll.verticalScrollBar().setValue(0))  # title and context in view
        self.room.show_status("Discharge checklist: Space ticks, Tab moves on, Enter discharges, Esc goes back.",
                              "info")

    def _aldrete_items(self) -> list[AldreteItem]:
        """The modified Aldrete's items as the record answers them now: the latest check since the
        dose against the baseline, and the latest MOAA/S or RASS since the dose."""
        dose_time = self._dose_time()
        after = [e for e in self.vitals_events if dose_time is None or e.session_time > dose_time]
        latest = reading_from_payload(after[-1].payload) if after else None
        moaas = next(((e.session_time, int(e.payload["moaas"])) for e in reversed(after)
                      if isinstance(e.payload.get("moaas"), int)), None)
        rass = next(((e.session_time, int(e.payload["total"])) for e in reversed(self.events)
                     if e.kind == Kind.SCALE and e.payload.get("scale") == "rass"
                     and isinstance(e.payload.get("total"), int) and (dose_time is None or e.session_time > dose_time)),
                    None)
        return aldrete_from_record(latest, baseline_reading(self._history(), dose_time), moaas=moaas, rass=rass,
                                   alerts=self.protocol.alerts)

    def close_discharge(self) -> None:
        was_open = self._discharge_shown()
        self._hide_discharge()
        self.form.show()
        if was_open:  # the keys it named ("Enter discharges, Esc goes back") no longer apply
            self.room.show_status("Discharge checklist closed; the session goes on.", "info")
        self.room.panels_resized()
        self.room.focus_note()

    def _discharge(self, ticks: Mapping[str, bool], ready_at: str, reason: str) -> str | None:
        box = self.discharge_panel.aldrete
        score = box.score()
        if isinstance(score, str):
            return score
        try:
            details = discharge_details(self.protocol.discharge_checklist, ticks, ready_at, reason, score,
                                        aldrete_payload(score, box.items) if score.points else None)
        except DischargeError as exc:
            return str(exc)
        appointment = " ".join(self.discharge_panel.next_appointment.text().split())
        if appointment:  # for the after-care sheet (kaproom export --format aftercare)
            details["next_appointment"] = appointment
        if self._checked_details != details:
            if self.controller.record(Kind.DISCHARGE_CHECK, details) is None:
                return f"Not saved: {self.controller.last_error} Nothing is lost; try again."
            self._checked_details = details
        ended = self.controller.end(State.DISCHARGED, details.get("override_reason", ""), details)
        if ended is None:
            return f"The session was not closed: {self.controller.last_error} Try again."
        self._hide_discharge()
        self.form.show()
        self.room.show_status(f"Discharged at {format_hms(ended.session_time)}. Ctrl+Shift+P prints the after-care "
                              f"sheet. {LEAVE_HINT}", "ok")
        self.room.focus_note()  # a note after the discharge ("left with partner at 2:20") goes in
        return None


def _alerts_of(alerts: list[dict[str, Any]]) -> Callable[[RecordedEvent], list[tuple[str, Mapping[str, Any]]]]:
    """The ``alert`` events that follow a rating, pointing at it."""
    def followers(event: RecordedEvent) -> list[tuple[str, Mapping[str, Any]]]:
        return [(Kind.ALERT, {**alert, "source_seq": event.seq}) for alert in alerts]
    return followers


def install(room: RoomHost) -> RoomVitals:
    """Give ``room`` its vitals form, dose key, alerts, next-check line and discharge checklist."""
    return RoomVitals(room)


