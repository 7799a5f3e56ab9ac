"""The dispensing log an inspector reads: every register movement in a period, one line each,
with the lot's balances after it; as CSV (for a spreadsheet) or as an A4 PDF.

The PDF opens with each lot's opening and closing balances for the period and ends with the
register's head (its last line's number and hash): a printed report is a witness of the chain
(DESIGN.md §7.1), so a register later rewritten disagrees with the paper.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QPointF, Qt
from PySide6.QtGui import QFont, QFontDatabase, QPageLayout, QPageSize, QPainter, QPdfWriter

from kaproom.domain.people import AuditKind, User
from kaproom.domain.register import Balance, Discrepancy, Line, MovementKind, RegisterState, quantity_text
from kaproom.domain.vocabulary import UNVERIFIED, movement_word
from kaproom.export.csv_export import spreadsheet_safe
from kaproom.export.output import ExportError, write_private
from kaproom.export.pdf import RESOLUTION, ensure_gui_application
from kaproom.export.pdf_layout import Cell, Column, Flow, Fonts, draw_text
from kaproom.export.summary import timezone_label, wall_text
from kaproom.services.people import People
from kaproom.services.stock import Stock, movement_details

CSV_COLUMNS = ("seq", "local_time", "wall_time_utc", "lot", "product", "movement", "quantity_units", "quantity_mg",
               "by", "by_verified", "witness", "witness_verified", "session", "reason", "details", "in_stock_after",
               "out_after", "hash")
CLINIC_CSV_COLUMNS = ("room", *CSV_COLUMNS)
#: Numbers KAP Room formats itself: never text a spreadsheet could run, kept as numbers (-1 stays -1).
NUMBER_COLUMNS = frozenset({"seq", "quantity_units", "quantity_mg", "in_stock_after", "out_after"})


@dataclass(frozen=True)
class StockReport:
    """What both formats print: the period, its lines, and the register around them."""

    start: date | None
    end: date | None
    lines: Sequence[Line]
    state: RegisterState
    head_seq: int
    head_hash: str
    printed_at: str = ""

    @property
    def period(self) -> str:
        if not self.start and not self.end:
            return "every line"
        first = self.start.isoformat() if self.start else "the first line"
        last = self.end.isoformat() if self.end else "the last line"
        return f"{first} to {last}"


def build_report(state: RegisterState, lines: Sequence[Line], start: date | None, end: date | None,
                 printed_at: str = "") -> StockReport:
    last = state.lines[-1] if state.lines else None
    return StockReport(start, end, list(lines), state, last.seq if last else 0, last.hash if last else "", printed_at)


def _mg(line: Line, state: RegisterState) -> str:
    lot = state.lots.get(line.movement.lot)
    if lot is None or line.movement.kind == MovementKind.RESOLVED:
        return ""
    return f"{line.movement.quantity * lot.product.strength_mg / 100:g}"


def _person(name: str, verified: bool) -> str:
    return name if verified or not name else f"{name} ({UNVERIFIED})"


def csv_rows(report: StockReport) -> list[dict[str, str]]:
    rows = []
    for line in report.lines:
        m = line.movement
        lot = report.state.lots.get(m.lot)
        rows.append({
            "seq": str(line.seq), "local_time": wall_text(m.at), "wall_time_utc": m.at, "lot": m.lot,
            "product": lot.product.label if lot else "", "movement": m.kind,
            "quantity_units": "" if m.kind == MovementKind.RESOLVED else quantity_text(m.quantity),
            "quantity_mg": _mg(line, report.state), "by": m.by, "by_verified": "yes" if m.by_verified else "no",
            "witness": m.witness, "witness_verified": ("yes" if m.witness_verified else "no") if m.witness else "",
            "session": m.session, "reason": m.reason, "details": movement_details(line),
            "in_stock_after": quantity_text(line.after.stock), "out_after": quantity_text(line.after.out),
            "hash": line.hash,
        })
    return rows


def render_clinic_stock_csv(reports: Sequence[tuple[str, StockReport]]) -> bytes:
    """The clinic-wide log: one row per movement of every room's register, the room first."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=CLINIC_CSV_COLUMNS, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    for room, report in reports:
        for row in csv_rows(report):
            writer.writerow({"room": spreadsheet_safe(room),
                             **{name: value if name in NUMBER_COLUMNS else spreadsheet_safe(value)
                                for name, value in row.items()}})
    return buffer.getvalue().encode("utf-8-sig")


def render_stock_csv(report: StockReport) -> bytes:
    """One row per movement (UTF-8 with BOM, CRLF, formula-safe cells, as the session CSV)."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    for row in csv_rows(report):
        writer.writerow({name: value if name in NUMBER_COLUMNS else spreadsheet_safe(value)
                         for name, value in row.items()})
    return buffer.getvalue().encode("utf-8-sig")


def opening_and_closing(report: StockReport) -> dict[str, tuple[Balance, Balance]]:
    """Each lot's balances before the period's first line and after its last."""
    first_seq = report.lines[0].seq if report.lines else None
    last_seq = report.lines[-1].seq if report.lines else None
    result: dict[str, tuple[Balance, Balance]] = {}
    for number in report.state.lots:
        opening = closing = Balance()
        for line in report.state.lines:
            if line.movement.lot != number:
                continue
            if first_seq is None or line.seq < first_seq:
                opening = line.after
            if last_seq is None or line.seq <= last_seq:
                closing = line.after
        if first_seq is None:
            opening = closing
        result[number] = (opening, closing)
    return result


def _lots(flow: Flow, report: StockReport) -> None:
    flow.heading("Lots")
    balances = opening_and_closing(report)
    right = Qt.AlignmentFlag.AlignRight
    columns = [Column("Lot", 1.2), Column("Product", 2.2), Column("Expiry", 1.0), Column("Supplier", 1.6),
               Column("Opening stock", 0.9, right), Column("Closing stock", 0.9, right),
               Column("Out at close", 0.8, right)]
    rows: list[list[Cell | str]] = []
    for lot in sorted(report.state.lots.values(), key=lambda lot: (lot.product.label, lot.expiry, lot.number)):
        opening, closing = balances[lot.number]
        rows.append([lot.number, lot.product.label, lot.expiry.isoformat(), lot.supplier, quantity_text(opening.stock),
                     Cell(quantity_text(closing.stock), bold=True), quantity_text(closing.out)])
    if rows:
        flow.table(columns, rows)
    else:
        flow.text("No lots in the register.")


def _movements(flow: Flow, report: StockReport) -> None:
    flow.heading(f"Movements ({len(report.lines)})")
    if not report.lines:
        flow.text("No movements in this period.")
        return
    right = Qt.AlignmentFlag.AlignRight
    columns = [Column("No.", 0.45, right), Column("Time", 1.05), Column("Lot", 0.9), Column("Movement", 1.0),
               Column("Units", 0.55, right), Column("mg", 0.55, right), Column("By", 1.0), Column("Witness", 1.0),
               Column("Details", 2.0), Column("In stock after", 0.7, right), Column("Out after", 0.6, right)]
    rows: list[list[Cell | str]] = []
    for line in report.lines:
        m = line.movement
        units = "" if m.kind == MovementKind.RESOLVED else quantity_text(m.quantity)
        discrepancy = m.kind == MovementKind.COUNTED and m.quantity != m.expected
        rows.append([str(line.seq), wall_text(m.at, with_seconds=False), m.lot,
                     Cell(movement_word(m.kind), bold=discrepancy or m.kind in (MovementKind.WASTED,
                                                                               MovementKind.DESTROYED)),
                     units, _mg(line, report.state), _person(m.by, m.by_verified),
                     _person(m.witness, m.witness_verified), Cell(movement_details(line), bold=discrepancy),
                     quantity_text(line.after.stock), quantity_text(line.after.out)])
    flow.table(columns, rows)


def _discrepancies(flow: Flow, open_ones: Sequence[Discrepancy]) -> None:
    flow.heading("Open discrepancies")
    if not open_ones:
        flow.text("None: every count agrees with the register, or its difference was resolved by a supervisor.")
        return
    columns = [Column("Count no.", 0.7), Column("Lot", 1.0), Column("Counted", 0.8), Column("Register said", 0.9),
               Column("Difference", 0.8), Column("Counted by", 1.2), Column("When", 1.3)]
    flow.table(columns, [[str(d.seq), d.lot, quantity_text(d.counted), quantity_text(d.expected),
                          Cell(quantity_text(d.difference), bold=True), d.by, wall_text(d.at, with_seconds=False)]
                         for d in open_ones])


def render_stock_pdf(report: StockReport) -> bytes:
    """The dispensing log as PDF bytes (A4 landscape, 300 dpi, "page N of M")."""
    def body(flow: Flow) -> None:
        _lots(flow, report)
        _movements(flow, report)
        _discrepancies(flow, report.state.open_discrepancies())
        flow.heading("Register head")
        flow.text(f"The register has {report.head_seq} lines; its last line's hash is {report.head_hash or '(none)'}. "
                  "`kaproom verify` on the room computer checks every line against this chain.", flow.fonts.small)
    return _render_pdf("Controlled-substance register: dispensing log", report.period, report.printed_at, body)


def render_clinic_stock_pdf(reports: Sequence[tuple[str, StockReport]]) -> bytes:
    """The clinic-wide dispensing log: each room's register as the clinic server holds it (its lots
    with their balances, its movements, its open discrepancies and its head), one room after another."""
    first = reports[0][1] if reports else StockReport(None, None, [], RegisterState(), 0, "")

    def body(flow: Flow) -> None:
        flow.text("Each room keeps its own stock and its own register; the clinic server holds a checked copy of "
                  "each. A lot's balances are that room's: a lot received in two rooms appears under each.",
                  flow.fonts.small)
        if not reports:
            flow.heading("No registers")
            flow.text("No computer has sent a stock register to the clinic server yet.")
        for room, report in reports:
            flow.heading(f"Room: {room}")
            _lots(flow, report)
            _movements(flow, report)
            _discrepancies(flow, report.state.open_discrepancies())
            flow.text(f"{room}'s register has {report.head_seq} lines on the clinic server; its last line's hash is "
                      f"{report.head_hash or '(none)'}. `kaproom verify --clinic` compares it with the room's own.",
                      flow.fonts.small)
    return _render_pdf("Controlled-substance register, clinic-wide: dispensing log", first.period, first.printed_at,
                       body, "clinic-wide register")


def _render_pdf(title: str, period: str, printed_at: str, body: Callable[[Flow], None],
                footer: str = "controlled-substance register") -> bytes:
    ensure_gui_application()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(RESOLUTION)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Landscape,
                                     QMarginsF(14, 12, 14, 16), QPageLayout.Unit.Millimeter))
    writer.setTitle(f"KAP Room {footer}, {period}")
    writer.setCreator("KAP Room")
    area = writer.pageLayout().paintRectPixels(RESOLUTION)
    base = QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont)
    base.setFeature(QFont.Tag("liga"), 0)
    flow = Flow(writer, area.width(), area.height() - 10 * RESOLUTION / 25.4, Fonts(QFont(base)))

    flow.text(title, flow.fonts.title)
    flow.text(f"Period: {period} · times are local ({timezone_label()})"
              + (f" · printed {wall_text(printed_at, with_seconds=False)}" if printed_at else ""),
              flow.fonts.small)
    flow.text("Quantities are units (lozenges or troches; 0.5 is half of one); mg = units x the product's strength. "
              "'In stock' is what is in the safe; 'out' was dispensed to a session and is not yet administered, "
              f"wasted or returned. A name marked ({UNVERIFIED}) was typed on a computer without staff accounts.",
              flow.fonts.small)
    body(flow)

    def frame(painter: QPainter, index: int, count: int) -> None:
        fm = flow.metrics(flow.fonts.small)
        y = flow.height + 4 * flow.mm + fm.ascent()
        draw_text(painter, QPointF(0, y), f"KAP Room · {footer} · {period}", flow.fonts.small, None)
        right = f"page {index} of {count}"
        draw_text(painter, QPointF(flow.width - fm.horizontalAdvance(right), y), right, flow.fonts.small_bold, None)

    flow.paint(writer, frame)
    buffer.close()
    return bytes(data.data())


def save_stock_report(stock: Stock, people: People, user: User | None, start: str | date | None,
                      end: str | date | None, fmt: str, path: Path | str, *, replace: bool = False) -> StockReport:
    """Write the dispensing log for ``start``..``end`` to ``path`` as ``fmt`` ("csv" or "pdf"),
    owner-only; the export is recorded in the audit log before the file takes its name (or not made)."""
    if fmt not in ("csv", "pdf"):
        raise ExportError(f"Format: '{fmt}' is not csv or pdf.")
    state = stock.state()
    first, last = stock.period(start, end)
    report = build_report(state, stock.report(first, last, state), first, last, stock.now())
    data = render_stock_pdf(report) if fmt == "pdf" else render_stock_csv(report)
    target = Path(path)

    def audit() -> None:
        record_stock_export(people, user, report, fmt, str(target))
    write_private(target, data, replace=replace, before_commit=audit)
    return report


def record_stock_export(people: People, user: User | None, report: StockReport, fmt: str, where: str) -> None:
    """The audit entry of one export of the register's log."""
    people.record(user, AuditKind.STOCK_REPORT_EXPORTED, {
        "format": fmt, "from": report.start.isoformat() if report.start else None,
        "to": report.end.isoformat() if report.end else None, "lines": len(report.lines), "destination": where})


def clinic_reports(stock: Stock, rooms: Sequence[tuple[str, RegisterState]], start: str | date | None,
                   end: str | date | None) -> list[tuple[str, StockReport]]:
    """Each room's register (as the clinic server holds it) as a report for ``start``..``end``."""
    first, last = stock.period(start, end)
    return [(room, build_report(state, stock.report(first, last, state), first, last, stock.now()))
            for room, state in rooms]


def save_clinic_stock_report(stock: Stock, people: People, user: User | None,
                             reports: Sequence[tuple[str, StockReport]], fmt: str, path: Path | str, *,
                             replace: bool = False) -> None:
    """Write the clinic-wide dispensing log to ``path`` as ``fmt``, owner-only, the export audited
    here before the file takes its name."""
    if fmt not in ("csv", "pdf"):
        raise ExportError(f"Format: '{fmt}' is not csv or pdf.")
    data = render_clinic_stock_pdf(reports) if fmt == "pdf" else render_clinic_stock_csv(reports)
    target = Path(path)

    def audit() -> None:
        record_clinic_stock_export(people, user, reports, fmt, str(target))
    write_private(target, data, replace=replace, before_commit=audit)


def record_clinic_stock_export(people: People, user: User | None, reports: Sequence[tuple[str, StockReport]],
                               fmt: str, where: str) -> None:
    """The audit entry of one export of the clinic-wide log (which rooms' registers, how many lines)."""
    first = reports[0][1] if reports else None
    people.record(user, AuditKind.STOCK_REPORT_EXPORTED, {
        "format": fmt, "clinic": True, "rooms": [room for room, _ in reports],
        "from": first.start.isoformat() if first and first.start else None,
        "to": first.end.isoformat() if first and first.end else None,
        "lines": sum(len(report.lines) for _, report in reports), "destination": where})
