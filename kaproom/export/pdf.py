"""The printed session report: A4 PDF with the chart, tables, timeline, sign-off and page numbers.

Supervisors file and print these, often in black and white, so status is always written as a
word (URGENT, caution) and never carried by colour alone, and every page says it holds health
information. The chart is the same drawing as the review screen's (:mod:`kaproom.export.chart`).
"""
from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, datetime

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QPointF, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QPageLayout, QPageSize, QPainter, QPdfWriter

from kaproom.domain.clock import format_hms, from_iso
from kaproom.domain.dose import dose_remarks, given_despite
from kaproom.domain.events import JSONMapping, Kind, stored_number
from kaproom.domain.medication import dose_label
from kaproom.domain.vitals import baseline_of
from kaproom.domain.vocabulary import (
    ADVERSE_EVENTS_SECTION,
    EMS_WORDS,
    FOLLOW_UP_WORDS,
    MEDICATIONS_SECTION,
    NO_LOT_WORDS,
    outcome_words,
    signer_words,
)
from kaproom.export.chart import draw_vitals_chart
from kaproom.export.pdf_layout import Cell, Column, Flow, Fonts, draw_text
from kaproom.export.report_data import SessionReport, timezone_label, wall_text
from kaproom.export.report_rows import group_music
from kaproom.export.scale_rows import report_aldrete, scale_rows
from kaproom.export.summary import fmt_number
from kaproom.services.paper import wall_date

RESOLUTION = 300
HEALTH_LABEL = ("CONTAINS HEALTH INFORMATION. Keep confidential; share only with people involved in this "
                "client's care, and store or destroy it as your clinic's records policy says.")
URGENT, CAUTION = QColor("#9b1c14"), QColor("#7a5200")


def ensure_gui_application() -> QGuiApplication:
    """A QGuiApplication for fonts; offscreen when there is no display, so the CLI works headless."""
    app = QGuiApplication.instance()
    if app is None:
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QGuiApplication(["kaproom-export"])
    return app  # type: ignore[return-value]


def _level_cell(level: str, text: str) -> Cell:
    """Status as a word as well as a colour, so it survives a black-and-white printer."""
    if level not in ("urgent", "caution"):
        return Cell(text)
    word = "URGENT" if level == "urgent" else "Caution"
    if not text.upper().startswith(level.upper()):
        text = f"{word}: {text}" if text else word
    return Cell(text, bold=True, color=URGENT if level == "urgent" else CAUTION)


def _details(flow: Flow, report: SessionReport, dates: str = "iso") -> None:
    h = report.header
    outcome = outcome_words(h.outcome) + (f": {h.end_reason}" if h.end_reason else "")
    duration = format_hms(h.duration_seconds) if h.duration_seconds is not None else "—"
    pairs = [("Client code", h.client_code), ("Therapist", h.therapist), ("Room", h.room or "—"),
             ("Protocol", h.protocol_name), ("Created", wall_date(h.created_at, dates, with_seconds=True)),
             ("Started", wall_date(h.started_at, dates, with_seconds=True) or "—"),
             ("Ended", wall_date(h.ended_at, dates, with_seconds=True) or "—"), ("Duration", duration),
             ("Outcome", outcome),
             ("Recorded on", "this computer" if h.origin == "local" else f"imported from {h.origin}"),
             ("Dose", _dose_fact(report)), ("Events", str(h.event_count)), ("Session id", h.uid), ("", "")]
    rows: list[list[Cell | str]] = [[Cell(a, bold=True), b, Cell(c, bold=True), d]
                                    for (a, b), (c, d) in zip(pairs[0::2], pairs[1::2])]
    flow.table([Column("", 0.8), Column("", 2.0), Column("", 0.8), Column("", 2.0)], rows, shade_header=False)


def _dose_fact(report: SessionReport) -> str:
    """'300 mg sublingual ketamine lozenge at 0:22:00', with when it was entered if that was later
    and whether it came without baseline vitals: the facts a reader checks first."""
    if report.dose_time is None:
        return "not recorded"
    dose = report.dose
    notes = []
    if dose is not None and dose.payload.get("recorded_late"):
        notes.append(f"entered at {format_hms(dose.session_time)}")
    if dose is not None and dose.payload.get("without_baseline"):
        notes.append("no baseline vitals")
    despite = given_despite(dose.payload) if dose is not None else []
    if despite:
        notes.append(f"given despite: {', '.join(despite)}")
    remarks = f" ({'; '.join(notes)})" if notes else ""
    return f"{report.dose_text or 'given'} at {format_hms(report.dose_time)}{remarks}"


def _status(flow: Flow, report: SessionReport, dates: str = "iso") -> None:
    integrity = report.integrity
    if integrity.intact:
        flow.text(f"Record integrity: intact. All {integrity.events} events match their hashes; nothing was changed "
                  "or removed.", flow.fonts.bold)
    else:
        flow.text(f"RECORD BROKEN at event {integrity.broken_at}: {integrity.reason}. Keep the database file and "
                  "report this.", flow.fonts.bold, color=URGENT)
    if report.events:  # the head this printed copy witnesses: a later record must still hold it
        last = report.events[-1]
        flow.text(f"Head of the record: event {last.seq}, hash {last.hash[:16]}. A later copy of this session "
                  "must hold this event with this hash (kaproom verify); if it does not, it was cut short or "
                  "rewritten.")
        flow.text(f"Full head hash (SHA-256) of event {last.seq}: {last.hash}", flow.fonts.small)
        flow.space(1)
    if report.signoffs:
        first = report.signoffs[0]
        signer = signer_words(first.author, first.office)
        flow.text(f"Signed off by {signer} ({first.role or 'supervisor'}) on "
                  f"{wall_date(first.wall_time, dates, with_seconds=True)}.",
                  flow.fonts.bold)
    else:
        flow.text("Not signed off.", flow.fonts.bold)
    late = [a for a in report.amendments if a.after_signoff]
    if late:
        flow.text(f"{len(late)} amendment(s) were made AFTER the sign-off (marked in the timeline).", flow.fonts.bold,
                  color=CAUTION)
    if report.header.demo:
        flow.text("DEMO SESSION: not a clinical record.", flow.fonts.bold)
    if report.intention:
        flow.space(1.5)
        flow.text(f"Intention: {report.intention}")


def _vitals(flow: Flow, report: SessionReport, monochrome: bool) -> None:
    flow.heading("Vitals")
    flow.block(88 * flow.mm, lambda p, rect: draw_vitals_chart(p, rect, report, monochrome=monochrome))
    flow.space(2)
    if not report.vitals:
        flow.text("No vitals were recorded.")
        return
    columns = [Column("Session", 0.75), Column("Clock", 0.6), Column("BP", 0.8), Column("Pulse", 0.55),
               Column("SpO2", 0.5), Column("RR", 0.4), Column("Temp", 0.6), Column("MOAA/S", 0.75),
               Column("Nausea", 0.75), Column("NEWS2", 1.3), Column("Status / comment", 2.05)]
    rows: list[list[Cell | str]] = []
    baseline = baseline_of([(v.session_time, v) for v in report.vitals], report.dose_time)
    for place, v in enumerate(report.vitals):
        bp = f"{fmt_number(v.systolic) or '–'}/{fmt_number(v.diastolic) or '–'}" if (v.systolic or v.diastolic) else ""
        flagged = [v.reasons.get(name) or f"{name} {level}" for name, level in v.statuses.items()
                   if level in ("caution", "urgent")]
        notes = "; ".join((["baseline, before the dose"] if place == baseline else []) + flagged
                          + ([v.comment] if v.comment else []) + (["partial"] if v.partial else [])
                          + (["on oxygen"] if v.supplemental_oxygen else []))
        news = f"{fmt_number(v.news2_score)} {v.news2_band}".strip() if v.news2_score is not None else ""
        rows.append([format_hms(v.session_time), wall_text(v.wall_time)[11:16], bp, fmt_number(v.pulse),
                     fmt_number(v.spo2), fmt_number(v.respiratory_rate), fmt_number(v.temperature),
                     fmt_number(v.moaas), v.nausea, news, _level_cell(v.level, notes)])
    flow.table(columns, rows)


def _scales(flow: Flow, report: SessionReport) -> None:
    """The ratings (RASS, dissociation, a clinic's own scale) in a table of their own; no section
    at all for a session without any, so reports of older sessions read as before."""
    rows = scale_rows(report)
    if not rows:
        return
    flow.heading("Rating scales")
    table: list[list[Cell | str]] = []
    for r in rows:
        answers = "; ".join(f"{item.replace('_', ' ')}: {words.split(':')[0]}" for item, _, words in r.answers)
        total = "" if r.total is None else f"{r.total:+d}" if r.scale == "rass" and r.total else str(r.total)
        table.append([format_hms(r.session_time), wall_text(r.wall_time)[11:16], r.name,
                      total + ("" if r.complete else " (partial)"), _level_cell(r.level, answers), r.author])
    flow.table([Column("Session", 0.75), Column("Clock", 0.6), Column("Scale", 1.1), Column("Total", 0.8),
                Column("Answers", 4.6), Column("By", 1.0)], table)


def _aldrete(flow: Flow, report: SessionReport) -> None:
    """The modified Aldrete score at discharge, under the checklist, when one was recorded."""
    words = report_aldrete(report)
    if words:
        flow.text(words + " (advisory)", flow.fonts.bold if "below the minimum" in words else None)


def _alerts(flow: Flow, report: SessionReport) -> None:
    flow.heading("Alerts")
    if not report.alerts:
        flow.text("No alerts.")
        return
    rows: list[list[Cell | str]] = []
    for a in report.alerts:
        acks: Cell | str = "; ".join(f"{ack.author} at {format_hms(ack.session_time)}"
                                     + (f": {ack.action}" if ack.action else "") for ack in a.acks)
        if not acks:  # say what the room asked: it asks to acknowledge an urgent alert, never a caution
            acks = Cell("NOT ACKNOWLEDGED", bold=True) if a.level == "urgent" else "not asked (a caution)"
        rows.append([format_hms(a.session_time), _level_cell(a.level, ""), a.reason, acks])
    flow.table([Column("Session", 0.7), Column("Level", 0.7), Column("Reason", 3.0), Column("Acknowledged", 3.0)], rows)


def _amount(value: object, unit: str) -> str:
    number = stored_number(value)
    return "" if number is None else f"{number:g} {unit}"


def _dose_amount(payload: JSONMapping) -> str:
    """'200 mg', or '200 mg (2 units)' where the dose or waste came from a lot in the stock register."""
    units = stored_number(payload.get("units"))
    mg = _amount(payload.get("amount_mg"), "mg")
    if units is None:
        return mg
    said = f"{units:g} unit{'' if units == 1 else 's'}"
    return f"{mg} ({said})" if mg else said


def _medications(flow: Flow, report: SessionReport) -> None:
    """Every dose (the first and any booster: product, lot and its expiry, amount, time, by whom), every waste
    with its witness, and every standing-order medication with its reason and effect."""
    flow.heading(MEDICATIONS_SECTION)
    effects: dict[int, list[str]] = {}
    for e in report.of_kind(Kind.MEDICATION_EFFECT):
        seq = e.payload.get("medication_seq")
        if isinstance(seq, int):
            effects.setdefault(seq, []).append(f"effect at {format_hms(e.session_time)}: {e.payload.get('effect', '')}")
    rows: list[list[Cell | str]] = []
    for e in report.events:
        p = e.payload
        at = stored_number(p.get("effective_time"))
        when = format_hms(at if at is not None else e.session_time)
        product = "; ".join(part for part in (
            str(p.get("product") or ""),
            f"lot {p['lot']}" + (f", exp. {p['lot_expiry']}" if p.get("lot_expiry") else "") if p.get("lot") else "")
            if part)
        if e.kind == Kind.DOSE:
            remarks = dose_remarks(p).strip(" ()") + ("; no vitals check just before it" if p.get("without_check")
                                                     else "")
            rows.append([when, Cell(dose_label(p), bold=True), _dose_amount(p),
                         str(p.get("route") or ""), product or NO_LOT_WORDS, remarks.strip("; "), e.author])
        elif e.kind == Kind.WASTE:
            unverified = " (signed in)" if p.get("witness_verified") else " (typed name, unverified)"
            rows.append([when, Cell("Waste", bold=True), _dose_amount(p), "", product or "—",
                         f"{p.get('reason') or ''}; witness: {p.get('witness') or '—'}{unverified}", e.author])
        elif e.kind == Kind.MEDICATION:
            said = "; ".join([f"for {p.get('reason')}" if p.get("reason") else "", *effects.get(e.seq, [])])
            rows.append([when, Cell(str(p.get("name") or p.get("medication") or ""), bold=True),
                         _amount(p.get("amount"), str(p.get("unit") or "")), str(p.get("route") or ""), "—",
                         said.strip("; "), e.author])
    if not rows:
        flow.text("No doses or medications were recorded.")
        return
    flow.table([Column("Session", 0.7), Column("What", 1.2), Column("Amount", 0.8), Column("Route", 1.2),
                Column("Product; lot", 1.6), Column("Reason, waste witness, remarks", 2.2), Column("By", 0.9)], rows)


def _adverse_events(flow: Flow, report: SessionReport) -> None:
    flow.heading(ADVERSE_EVENTS_SECTION)
    events = report.of_kind(Kind.ADVERSE_EVENT)
    if not events:
        flow.text("No adverse events were recorded.")
        return
    rows: list[list[Cell | str]] = []
    for e in events:
        p = e.payload
        onset = stored_number(p.get("onset"))
        severity = str(p.get("severity") or "")
        what = str(p.get("label") or p.get("kind") or "") + (f": {p['description']}" if p.get("description") else "")
        answers = [f"{EMS_WORDS}: {'YES' if p.get('ems_called') else 'no'}",
                   f"{FOLLOW_UP_WORDS}: {'YES' if p.get('follow_up') else 'no'}"]
        rows.append([format_hms(onset if onset is not None else e.session_time), what,
                     Cell(severity.upper(), bold=True, color=URGENT) if severity in ("severe", "life-threatening")
                     else severity,
                     str(p.get("actions") or "—"), str(p.get("outcome") or "—"), "; ".join(answers), e.author])
    flow.table([Column("Onset", 0.7), Column("Kind", 1.4), Column("Severity", 1.0), Column("Actions", 1.6),
                Column("Outcome", 1.2), Column("Escalation", 1.5), Column("By", 0.9)], rows)


def _checklists(flow: Flow, report: SessionReport) -> None:
    flow.heading("Screening and discharge")
    if report.screening:
        flow.table([Column("Screening question", 5.0), Column("Answer", 1.0)],
                   [[i.text, Cell("YES", bold=True) if i.ticked else ("no" if i.ticked is False else "not answered")]
                    for i in report.screening])
        if report.screening_notes:
            flow.text(f"Screening notes: {report.screening_notes}")
    else:
        flow.text("No screening answers were recorded.")
    d = report.discharge
    if d.items:
        flow.table([Column("Discharge checklist", 5.0), Column("Done", 1.0)],
                   [[i.text, "[x] yes" if i.ticked else Cell("[ ] NO", bold=True)] for i in d.items])
    else:
        flow.text("No discharge checklist was recorded.")
    if d.override_reason:
        flow.text(f"Override reason for unticked items: {d.override_reason}", flow.fonts.bold)
    if d.ready_to_leave_at:
        flow.text(f"Ready to leave (therapist's judgement): {d.ready_to_leave_at}")
    observed, short = report.observation()
    if observed:
        flow.text(observed, flow.fonts.bold if short else None)


def _timeline(flow: Flow, report: SessionReport, music_detail: bool) -> None:
    flow.heading("Timeline")
    rows: list[list[Cell | str]] = []
    timeline = report.timeline if music_detail else group_music(report.timeline,
                                                                {m.seq: m.action for m in report.music})
    for t in timeline:
        text = t.text
        if t.amended_by:
            text += f"  [amended by event {', '.join(str(s) for s in t.amended_by)}]"
        if t.after_signoff:
            text = "AFTER SIGN-OFF: " + text
        cell = _level_cell(t.level, text) if t.level in ("caution", "urgent") else Cell(text, bold=t.after_signoff)
        rows.append([str(t.seq), format_hms(t.session_time), wall_text(t.wall_time)[11:19], t.phase_name, cell,
                     t.author])
    flow.table([Column("#", 0.35, Qt.AlignmentFlag.AlignRight), Column("Session", 0.7), Column("Clock", 0.7),
                Column("Phase", 1.2), Column("What happened", 5.0), Column("By", 1.0)], rows)


def _signoffs(flow: Flow, report: SessionReport, dates: str = "iso") -> None:
    flow.heading("Sign-off")
    if not report.signoffs:
        flow.text("This session has not been signed off.")
        return
    flow.table([Column("Signed", 1.4), Column("By", 1.4), Column("Role", 0.8), Column("Comment", 4.0)],
               [[wall_date(s.wall_time, dates, with_seconds=True), signer_words(s.author, s.office), s.role, s.comment]
                for s in report.signoffs])


def _page_frame(painter: QPainter, flow: Flow, report: SessionReport, index: int, count: int, height: float) -> None:
    fonts, h = flow.fonts, report.header
    fm = flow.metrics(fonts.small)
    y = height + 4 * flow.mm + fm.ascent()
    left = f"KAP Room · session {h.number} · client {h.client_code} · Contains health information, confidential"
    draw_text(painter, QPointF(0, y), left, fonts.small, None)
    right = f"page {index} of {count}"
    draw_text(painter, QPointF(flow.width - fm.horizontalAdvance(right), y), right, fonts.small_bold, None)


def render_pdf(report: SessionReport, exported_at: str = "", *, monochrome: bool = False,
               music_detail: bool = False, paper: str = "a4", dates: str = "iso") -> bytes:
    """The report as PDF bytes (300 dpi) on ``paper`` ("a4" or "letter"), dates in the clinic's
    format (``dates``: see kaproom.services.paper). The timeline has one line per music track (its
    volume, fades and crossfades counted on it) unless ``music_detail`` asks for every line."""
    ensure_gui_application()
    return _render_pdf(report, exported_at, monochrome, music_detail, paper, dates)


# ----------------------------------------------------------------------------- paper
PAGE_SIZES = {"a4": QPageSize.PageSizeId.A4, "letter": QPageSize.PageSizeId.Letter}


def pdf_writer(buffer: QBuffer, paper: str, margins: QMarginsF | None = None) -> QPdfWriter:
    """A 300 dpi PDF writer on ``paper`` ("a4" or "letter"; anything else is A4), portrait."""
    writer = QPdfWriter(buffer)
    writer.setResolution(RESOLUTION)
    writer.setPageLayout(QPageLayout(QPageSize(PAGE_SIZES.get(paper, QPageSize.PageSizeId.A4)),
                                     QPageLayout.Orientation.Portrait,
                                     margins if margins is not None else QMarginsF(16, 14, 16, 18),
                                     QPageLayout.Unit.Millimeter))
    return writer


def _render_pdf(report: SessionReport, exported_at: str, monochrome: bool, music_detail: bool = False,
                paper: str = "a4", dates: str = "iso") -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = pdf_writer(buffer, paper)
    h = report.header
    writer.setTitle(f"KAP Room session {h.number}, client {h.client_code}")
    writer.setCreator("KAP Room")
    area = writer.pageLayout().paintRectPixels(RESOLUTION)
    base = QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont)
    base.setFeature(QFont.Tag("liga"), 0)  # plain letters, so text copied or searched from the PDF matches
    flow = Flow(writer, area.width(), area.height() - 10 * RESOLUTION / 25.4, Fonts(QFont(base)))

    flow.text("Session report", flow.fonts.title)
    started = wall_date(h.started_at or h.created_at, dates)
    flow.text(f"Session {h.number} · client {h.client_code} · {started} · times are local ({timezone_label()})"
              + (f" · printed {wall_date(exported_at, dates)}" if exported_at else ""), flow.fonts.small)
    flow.space(2)
    flow.box(HEALTH_LABEL)
    _details(flow, report, dates)
    _status(flow, report, dates)
    _vitals(flow, report, monochrome)
    _scales(flow, report)
    _alerts(flow, report)
    _medications(flow, report)
    _adverse_events(flow, report)
    _checklists(flow, report)
    _aldrete(flow, report)
    _timeline(flow, report, music_detail)
    _signoffs(flow, report, dates)

    flow.paint(writer, lambda painter, index, count: _page_frame(painter, flow, report, index, count, flow.height))
    buffer.close()
    return reproducible(bytes(data.data()), report, exported_at)


_PDF_DATE = re.compile(rb"\(D:\d{14}Z\)")
_XMP_DATE = re.compile(rb'(Date=")\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00(")')
_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def reproducible(data: bytes, report: SessionReport, exported_at: str) -> bytes:
    """The same PDF for the same report and export time, wherever and whenever it is written (a
    room and an office computer print the same bytes from one chain). Qt stamps the file with the
    moment it was drawn and a random document id; these become the export time and an id derived
    from the session's chain head and that time. Each is replaced by text of the same length, so
    the file's cross-reference offsets stay right."""
    try:
        moment = from_iso(exported_at).astimezone(UTC)
    except ValueError:  # no export time given (a preview): a fixed one, still the same bytes each time
        moment = datetime(2000, 1, 1, tzinfo=UTC)
    last = report.events[-1].hash if report.events else ""
    document = str(uuid.uuid5(uuid.NAMESPACE_URL, f"kaproom:{report.header.uid}:{last}:{exported_at}")).encode()
    ids = {found: document for found in set(_UUID.findall(data))}
    data = _PDF_DATE.sub(b"(D:" + moment.strftime("%Y%m%d%H%M%S").encode() + b"Z)", data)
    data = _XMP_DATE.sub(lambda m: m.group(1) + moment.strftime("%Y-%m-%dT%H:%M:%S+00:00").encode() + m.group(2), data)
    for found, replacement in ids.items():
        data = data.replace(found, replacement).replace(found.hex().encode(), replacement.hex().encode())
    return data

