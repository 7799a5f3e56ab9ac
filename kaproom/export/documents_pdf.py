"""Two one-page PDFs beside the session report: the monitoring summary (for the clinic's file or
the monitoring programme) and the after-care sheet (for the client to take home).

Both on the clinic's paper (Letter or A4) with dates in the clinic's format. The after-care
sheet is written for the client, not the clinician: plain words, large type, the clinic's name
and phone and the on-call number from the clinic settings, and nothing clinical beyond the date
and the client code (it leaves the building in a pocket).
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QPointF, QRectF
from PySide6.QtGui import QFont, QFontDatabase, QPagedPaintDevice, QPageLayout, QPageSize, QPainter

from kaproom.domain.clock import from_iso
from kaproom.export.chart import draw_course_trend
from kaproom.export.course import CourseRow, measure_series
from kaproom.export.monitoring import MonitoringSummary, monitoring_summary
from kaproom.export.pdf import HEALTH_LABEL, PAGE_SIZES, RESOLUTION, ensure_gui_application, pdf_writer
from kaproom.export.pdf_layout import Cell, Column, Flow, Fonts, draw_text
from kaproom.export.report_rows import SessionReport
from kaproom.services.paper import format_date, wall_date
from kaproom.services.settings import ClinicSettings


def _render(paper: str, title: str, scale: float, build: Callable[[Flow], None], footer: str) -> bytes:
    """Lay out ``build``'s content on ``paper`` as PDF bytes; ``footer`` on every page."""
    ensure_gui_application()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = pdf_writer(buffer, paper, MARGINS)
    writer.setTitle(title)
    writer.setCreator("KAP Room")
    _paint(writer, RESOLUTION, scale, build, footer)
    buffer.close()
    return bytes(data.data())


#: The documents' margins (mm): a little wider than the report's, for a sheet handed to a client.
MARGINS = QMarginsF(18, 16, 18, 16)


def _paint(device: QPagedPaintDevice, resolution: int, scale: float, build: Callable[[Flow], None],
           footer: str) -> None:
    """Lay out and paint on ``device`` (a PDF writer or a printer) at ``resolution`` dots per inch."""
    area = device.pageLayout().paintRectPixels(resolution)
    base = QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont)
    base.setFeature(QFont.Tag("liga"), 0)
    flow = Flow(device, area.width(), area.height() - 8 * resolution / 25.4, Fonts(QFont(base), scale))
    build(flow)
    small = Fonts(QFont(base)).small
    def frame(painter: QPainter, index: int, count: int) -> None:
        y = flow.height + 4 * flow.mm + flow.metrics(small).ascent()
        pages = f" · page {index} of {count}" if count > 1 else ""
        draw_text(painter, QPointF(0, y), footer + pages, small, None)

    flow.paint(device, frame)


# ----------------------------------------------------------------------------- monitoring summary

def _day(text: str, dates: str) -> str:
    try:
        return format_date(from_iso(text).astimezone(), dates)
    except ValueError:
        return text


def render_monitoring_summary(report: SessionReport, exported_at: str = "", *, paper: str = "a4",
                              dates: str = "iso", clinic: ClinicSettings | None = None) -> bytes:
    """The monitoring summary as one page of PDF."""
    facts = monitoring_summary(report)
    clinic = clinic or ClinicSettings()

    def build(flow: Flow) -> None:
        _summary_page(flow, report, facts, dates, clinic, exported_at)

    footer = (f"KAP Room · monitoring summary · session {report.header.number} · client {facts.client_code} · "
              "Contains health information, confidential")
    return _render(paper, f"Monitoring summary, session {report.header.number}, client {facts.client_code}",
                   1.0, build, footer)


def _summary_page(flow: Flow, report: SessionReport, facts: MonitoringSummary, dates: str, clinic: ClinicSettings,
                  exported_at: str) -> None:
    flow.text("Monitoring summary", flow.fonts.title)
    flow.text(" · ".join(bit for bit in (clinic.clinic_name, f"session {report.header.number}",
                                          f"printed {wall_date(exported_at, dates)}" if exported_at else "") if bit),
              flow.fonts.small)
    flow.space(2)
    flow.box(HEALTH_LABEL)
    flow.space(2)
    dose_at = wall_date(facts.dose_at, dates) if facts.dose_at else "—"
    pairs: list[tuple[str, str]] = [
        ("Client code", facts.client_code), ("Date", _day(facts.started_at, dates)),
        ("Clinician", facts.clinician or "—"), ("Protocol", facts.protocol),
        ("Dose", facts.dose), ("Dose given at", dose_at),
    ]
    if facts.escort or facts.fasting:
        pairs += [("Escort", facts.escort or "not recorded"), ("Before the dose", facts.fasting or "not recorded")]
    rows: list[list[Cell | str]] = [[Cell(a, bold=True), b, Cell(c, bold=True), d]
                                    for (a, b), (c, d) in zip(pairs[0::2], pairs[1::2])]
    flow.table([Column("", 1.2), Column("", 2.2), Column("", 1.2), Column("", 2.2)], rows, shade_header=False)
    flow.heading("Blood pressure")
    flow.table([Column("When", 2.2), Column("Blood pressure", 1.6), Column("Taken at", 1.6),
                Column("After the dose", 1.2)],
               [[bp.label, Cell(bp.reading, bold=bp.reading.endswith("mmHg")), wall_date(bp.when, dates) or "—",
                 "—" if bp.minutes_after_dose is None else
                 (f"{bp.minutes_after_dose:.0f} min" if bp.minutes_after_dose >= 0 else "before")]
                for bp in facts.blood_pressure])
    flow.heading("Sedation, dissociation and breathing")
    answers: list[list[Cell | str]] = [[question, Cell(answer, bold=answer == "Yes")]
                                       for question, answer in facts.answers]
    answers.append(["Dissociation, at its most", facts.severity])
    flow.table([Column("During the session, was there…", 3.6), Column("Answer", 1.2)], answers)
    flow.text(f"From the checks after the dose: {facts.lowest}.")
    flow.heading("Adverse events")
    if facts.adverse_events:
        for line in facts.adverse_events:
            flow.text(f"• {line}")
    else:
        flow.text("None recorded.")
    flow.heading("Discharge")
    ready = wall_date(facts.ready_to_leave, dates) if facts.ready_to_leave else "not recorded"
    flow.text(f"Ready to leave (clinician's judgement): {ready}")
    if facts.observation:
        flow.text(facts.observation)
    if facts.aldrete:
        flow.text(facts.aldrete + " (advisory)")
    if report.header.outcome != "discharged":
        flow.text(f"The session was not discharged ({report.header.outcome.replace('_', ' ')}).", flow.fonts.bold)
    flow.space(6)
    flow.text(f"Clinician: {facts.clinician or '________________'}        Signature: ______________________")


# ----------------------------------------------------------------------------- after-care sheet

#: The after-care sheet's words: short sentences a tired client can read at home.
AFTERCARE_TODAY = (
    "Do not drive, cycle or use machines until tomorrow, after a night's sleep.",
    "Do not make important decisions or sign anything important until tomorrow.",
    "Have someone with you this evening if you can.",
    "No alcohol, cannabis or sleeping pills tonight, unless your doctor told you otherwise.",
    "Eat something light and drink water. Rest.",
)
AFTERCARE_NORMAL = (
    "Feeling tired, a little unsteady or dizzy.",
    "A mild headache or a slightly upset stomach.",
    "Feeling emotional, tender or \"not quite yourself\".",
    "Vivid memories, dreams or thoughts about the session.",
    "These usually pass by tomorrow.",
)
AFTERCARE_CALL = (
    "You feel very confused, or see or hear things that are not there.",
    "A bad headache, chest pain, or your heart pounding fast.",
    "You find it hard to breathe.",
    "You keep being sick and cannot keep water down.",
    "Pain or burning when you pass urine.",
    "Anything that worries you.",
)
EMERGENCY = ("If you have thoughts of harming yourself, or in an emergency, call your local emergency "
             "number now.")


def render_aftercare(report: SessionReport, exported_at: str = "", *, paper: str = "a4", dates: str = "iso",
                     clinic: ClinicSettings | None = None) -> bytes:
    """The after-care sheet as one page of PDF, in large type, for the client."""
    clinic = clinic or ClinicSettings()
    facts = monitoring_summary(report)

    def build(flow: Flow) -> None:
        _aftercare_page(flow, facts, dates, clinic)

    return _render(paper, "After your session today", AFTERCARE_SCALE, build, _aftercare_footer(facts, dates, clinic))


#: The after-care sheet's type, against the report's 9 pt body: 14.4 pt, for reading at home, tired.
AFTERCARE_SCALE = 1.6


def _aftercare_footer(facts: MonitoringSummary, dates: str, clinic: ClinicSettings) -> str:
    return f"{clinic.clinic_name or 'KAP Room'} · after-care · {facts.client_code} · {_day(facts.started_at, dates)}"


def aftercare_page_layout(paper: str) -> QPageLayout:
    """The after-care sheet's page on ``paper``, for a printer to be set to before its dialog opens."""
    return QPageLayout(QPageSize(PAGE_SIZES.get(paper, QPageSize.PageSizeId.A4)), QPageLayout.Orientation.Portrait,
                       MARGINS, QPageLayout.Unit.Millimeter)


def paint_aftercare(device: QPagedPaintDevice, resolution: int, report: SessionReport, *, dates: str = "iso",
                    clinic: ClinicSettings | None = None) -> None:
    """The after-care sheet painted on ``device`` as it is set up (a printer the print dialog chose)."""
    clinic = clinic or ClinicSettings()
    facts = monitoring_summary(report)
    _paint(device, resolution, AFTERCARE_SCALE, lambda flow: _aftercare_page(flow, facts, dates, clinic),
           _aftercare_footer(facts, dates, clinic))


def _aftercare_page(flow: Flow, facts: MonitoringSummary, dates: str, clinic: ClinicSettings) -> None:
    flow.text("After your session today", flow.fonts.title)
    flow.text(f"{clinic.clinic_name + ' · ' if clinic.clinic_name else ''}{_day(facts.started_at, dates)}"
              f" · {facts.client_code}", flow.fonts.small)
    flow.space(1.5)
    phones = [f"The clinic: {clinic.clinic_phone or '____________________'}",
              f"Out of hours, call: {clinic.on_call_phone or '____________________'}"]
    for line in phones:  # a line each: a phone number must never break across two lines
        flow.text(line.replace(" ", "\u00a0") if len(line) < 48 else line, flow.fonts.heading)
    for heading, lines in (("For the rest of today", AFTERCARE_TODAY), ("What is normal", AFTERCARE_NORMAL),
                           ("Call us if", AFTERCARE_CALL)):
        flow.heading(heading)
        for line in lines:
            flow.text(f"•  {line}", indent=0)
    flow.space(1.5)
    flow.text(EMERGENCY, flow.fonts.bold)
    flow.heading("Your next appointment")
    flow.text(facts.next_appointment or "Integration session: ______________________________")


# ----------------------------------------------------------------------------- the client's course

def render_course(course: list[CourseRow], client_code: str, exported_at: str = "", *, paper: str = "a4",
                  dates: str = "iso", clinic: ClinicSettings | None = None) -> bytes:
    """Every session of one client in order, and the trend of the measures, as PDF."""
    clinic = clinic or ClinicSettings()

    def build(flow: Flow) -> None:
        _course_pages(flow, course, client_code, exported_at, dates, clinic)

    footer = f"KAP Room · client course · client {client_code} · Contains health information, confidential"
    return _render(paper, f"Client course, client {client_code}", 1.0, build, footer)


def _course_pages(flow: Flow, course: list[CourseRow], client_code: str, exported_at: str, dates: str,
                  clinic: ClinicSettings) -> None:
    flow.text(f"Client course: {client_code}", flow.fonts.title)
    flow.text(" · ".join(bit for bit in (clinic.clinic_name, f"{len(course)} sessions",
                                          f"printed {wall_date(exported_at, dates)}" if exported_at else "") if bit),
              flow.fonts.small)
    flow.space(2)
    flow.box(HEALTH_LABEL)
    flow.heading("Sessions")
    numbers = {row.number for row in course}
    rows: list[list[Cell | str]] = []
    for row in course:
        kind = "Medicine" if row.medicine else "Integration" + (
            f", after #{row.follows}" if row.follows is not None and row.follows in numbers else "")
        rows.append([str(row.number), _day(row.started_at, dates), Cell(kind, bold=row.medicine), row.protocol,
                     row.dose or "—", "—" if row.highest_news2 is None else str(row.highest_news2),
                     "; ".join(f"{name} {total}" for _, name, total in row.measures) or "—",
                     Cell(str(row.adverse_events), bold=True) if row.adverse_events else "0",
                     row.outcome.replace("_", " ")])
    flow.table([Column("#", 0.35), Column("Date", 1.05), Column("Kind", 1.1), Column("Protocol", 1.45),
                Column("Dose", 1.4), Column("NEWS2", 0.65), Column("Ratings and measures", 2.0),
                Column("AEs", 0.45), Column("Outcome", 0.9)], rows)
    flow.text("NEWS2: the highest in the session. AEs: adverse events recorded. Ratings and measures: the last "
              "total of each in the session.", flow.fonts.small)
    series = {name: points for name, points in measure_series(course).items() if len(points) >= 2}
    flow.heading("Measures over the course")
    if not series:
        flow.text("No measure was rated in two sessions or more.")
        return
    flow.block(60 * flow.mm, lambda p, rect: _trend(p, rect, flow, series, len(course)))
    flow.text("Each line is one measure's total, session by session (the last rating in each session).",
              flow.fonts.small)


def _trend(p: QPainter, rect: QRectF, flow: Flow, series: dict[str, list[tuple[int, int]]], count: int) -> None:
    draw_course_trend(p, rect, series, count, flow.fonts.small, flow.mm)
