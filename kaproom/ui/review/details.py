"""The session's fixed facts as read-only HTML: intention, screening, discharge, alerts, sign-offs,
and (from the audit log, for those who may read it) where the record was exported to.

Everything typed in the room (intention, comments, reasons) is escaped before it becomes HTML, so
a note that happens to contain ``<b>`` or a link shows as the characters typed, never as markup.
"""
from __future__ import annotations

from collections.abc import Sequence
from html import escape

from kaproom.domain.clock import format_hms
from kaproom.domain.dose import dose_remarks
from kaproom.domain.events import Kind, RecordedEvent
from kaproom.domain.medication import adverse_event_words, medication_words, waste_words
from kaproom.domain.vocabulary import ADVERSE_EVENTS_SECTION, signer_words
from kaproom.export.report_data import ChecklistItem, SessionReport
from kaproom.export.summary import fmt_number, wall_text
from kaproom.services.paper import wall_date
from kaproom.ui.kit import theme
from kaproom.ui.review import style


def _answer(item: ChecklistItem, yes: str, no: str) -> str:
    if item.ticked is None:
        return f'<span style="color:{style.colours().muted_text}">not answered</span>'
    return yes if item.ticked else no


def _checklist(items: tuple[ChecklistItem, ...], yes: str, no: str) -> str:
    rows = "".join(f"<tr><td>{escape(item.text)}</td><td style='padding-left:12px'><b>{_answer(item, yes, no)}"
                   "</b></td></tr>" for item in items)
    return f"<table cellspacing='2'>{rows}</table>"


def intention_html(report: SessionReport) -> str:
    muted = style.colours().muted_text
    text = escape(report.intention) if report.intention else f"<i style='color:{muted}'>none recorded</i>"
    return f"<h3>Intention</h3><p>{text}</p>"


def screening_html(report: SessionReport) -> str:
    if not report.screening:
        return f"<h3>Screening</h3><p style='color:{style.colours().muted_text}'>No screening recorded.</p>"
    flagged = [item for item in report.screening if item.ticked]
    caution = style.colours().level_text["caution"]
    summary = (f"<p style='color:{caution}'><b>{len(flagged)} answered yes</b></p>" if flagged
               else "<p>No to every question.</p>")
    notes = f"<p>Notes: {escape(report.screening_notes)}</p>" if report.screening_notes else ""
    return "<h3>Screening</h3>" + summary + _checklist(report.screening, "yes", "no") + notes


def dose_html(report: SessionReport) -> str:
    """What was given and when, and the observation after it: the first things a supervisor checks."""
    if report.dose_time is None:
        return f"<h3>Dose</h3><p style='color:{style.colours().muted_text}'>No dose recorded.</p>"
    given = escape(report.dose_text or "Dose given")
    # Late, no baseline, given despite...
    remarks = escape(dose_remarks(report.dose.payload)) if report.dose is not None else ""
    parts = [f"<h3>Dose</h3><p>{given[:1].upper() + given[1:]} at {format_hms(report.dose_time)}{remarks}.</p>"]
    # The rest of the medication record: boosters, waste, standing-order medications, adverse events.
    for number, (dose, at) in enumerate(zip(report.doses, report.dose_times, strict=True), start=1):
        if number > 1:
            parts.append(f"<p><b>Booster (dose {number})</b> at {format_hms(at)}"
                         f"{escape(dose_remarks(dose.payload))}.</p>")
    for event in report.of_kind(Kind.WASTE):
        parts.append(f"<p>{escape(waste_words(event.payload))}, at {format_hms(event.session_time)}.</p>")
    for event in report.of_kind(Kind.MEDICATION):
        parts.append(f"<p>{escape(medication_words(event.payload))}, at {format_hms(event.session_time)} "
                     f"by {escape(event.author)}.</p>")
    adverse = report.of_kind(Kind.ADVERSE_EVENT)
    if adverse:
        parts.append(f"<h3>{ADVERSE_EVENTS_SECTION}</h3>")
        caution = style.colours().level_text["caution"]
        parts += [f"<p style='color:{caution}'>{escape(adverse_event_words(e.payload))}</p>"
                  for e in adverse]
    return "".join(parts)


def discharge_html(report: SessionReport) -> str:
    d = report.discharge
    if not d.recorded:
        return f"<h3>Discharge checklist</h3><p style='color:{style.colours().muted_text}'>No discharge recorded.</p>"
    parts = ["<h3>Discharge checklist</h3>", _checklist(d.items, "✓ done", "✗ not done")]
    observed, short = report.observation()
    if observed:
        colour = style.colours().level_text["caution"] if short else theme.current_palette().text
        parts.append(f"<p style='color:{colour}'>{escape(observed)}</p>")
    if d.override_reason:
        parts.append(f"<p style='color:{style.colours().level_text['caution']}'><b>Discharged with items open:</b> "
                     f"{escape(d.override_reason)}</p>")
    if d.ready_to_leave_at:
        parts.append(f"<p>Ready to leave: {escape(d.ready_to_leave_at)}</p>")
    return "".join(parts)


def alerts_html(report: SessionReport) -> str:
    if not report.alerts:
        return "<h3>Alerts</h3><p>No alerts in this session.</p>"
    rows = []
    for alert in report.alerts:
        colour = style.colours().level_text.get(alert.level, theme.current_palette().text)
        value = f" ({escape(alert.field)} {escape(fmt_number(alert.value))})" if alert.value is not None else ""
        acks = "; ".join(f"acknowledged {format_hms(a.session_time)} by {escape(a.author)}"
                         + (f": {escape(a.action)}" if a.action else "") for a in alert.acks)
        ack_text = acks or f"<span style='color:{style.colours().level_text['urgent']}'>not acknowledged</span>"
        rows.append(f"<p><span style='color:{colour}'><b>{escape(alert.level.upper())}</b></span> "
                    f"#{alert.seq} at {format_hms(alert.session_time)}: {escape(alert.reason)}{value}<br>"
                    f"&nbsp;&nbsp;{ack_text}</p>")
    return "<h3>Alerts</h3>" + "".join(rows)


def signoffs_html(report: SessionReport, dates: str = "iso") -> str:
    if not report.signoffs:
        return ""
    rows = "".join(f"<p><b>{escape(signer_words(s.author, s.office))}</b> ({escape(s.role or 'supervisor')}), "
                   f"{escape(wall_date(s.wall_time, dates, with_seconds=True))}"
                   f"{': ' + escape(s.comment) if s.comment else ''}</p>" for s in report.signoffs)
    return "<h3>Sign-offs</h3>" + rows


def exports_html(exports: Sequence[RecordedEvent], dates: str = "iso") -> str:
    """Where copies of this record went (from the audit log: exports are not part of the record)."""
    if not exports:
        return ""
    rows = "".join(f"<p>{escape(str(e.payload.get('format', '')).upper())} to "
                   f"{escape(str(e.payload.get('destination', '')))}<br>&nbsp;&nbsp;"
                   f"{escape(wall_date(e.wall_time, dates, with_seconds=True))}"
                   f"{' by ' + escape(e.author) if e.author else ''}</p>"
                   for e in exports)
    return "<h3>Exported</h3>" + rows


def details_html(report: SessionReport, exports: Sequence[RecordedEvent] = (), dates: str = "iso") -> str:
    """The details beside the timeline; ``dates`` the clinic's date format (kaproom.services.paper)."""
    return "".join((intention_html(report), screening_html(report), dose_html(report), discharge_html(report),
                    alerts_html(report), signoffs_html(report, dates), exports_html(exports, dates)))


def facts_line(report: SessionReport, dates: str = "iso") -> str:
    """The plain-text line under the session title: where, who, when, how it ended."""
    h = report.header
    start = wall_date(h.started_at or h.created_at, dates)
    if h.ended_at:
        length = f" ({format_hms(h.duration_seconds)})" if h.duration_seconds is not None else ""
        when = f"{start}–{wall_text(h.ended_at, with_seconds=False)[11:]}{length}"
    else:  # no end time and no length yet: say when it began, once
        when = f"{'started' if h.started_at else 'created'} {start}"
    outcome = {"discharged": "discharged", "ended_early": "ended early", "running": "still open",
               "created": "not started"}.get(h.outcome, h.outcome)
    where = f"{h.room} · " if h.room else ""
    origin = f" · imported ({h.origin})" if h.origin not in ("", "local") else ""
    reason = f" ({h.end_reason})" if h.end_reason else ""
    return (f"{where}therapist {h.therapist} · {h.protocol_name} · {when} · "
            f"{outcome}{reason} · {h.event_count} events{origin}")
