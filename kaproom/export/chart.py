"""The vitals chart, drawn with QPainter so the review screen and the PDF show the same picture.

Blood pressure is drawn the way anaesthesia charts do (systolic ▼, diastolic ▲, the range
between them shaded), pulse as dots and SpO2 as squares in its own strip below, over session
time, with phase changes and the dose marked. Markers and line styles (not only colour) tell the
series apart, so a black-and-white printout stays readable; ``monochrome`` drops colour entirely.
Sizes follow the device's resolution, so one function serves a 96-dpi widget and a 300-dpi page.

Whatever a record holds, the chart stays bounded: the value axes never reach beyond
:data:`BP_AXIS` and :data:`SPO2_AXIS` (a reading past them sits on the edge), the time axis never
beyond :data:`MAX_SECONDS`, and a value that is not a finite number is left out.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QGuiApplication, QPainter, QPainterPath, QPen, QPolygonF

from kaproom.domain.clock import format_hms
from kaproom.export.report_data import SessionReport
from kaproom.export.report_rows import VitalsRow
from kaproom.export.scale_rows import ScaleRow, scale_rows

TICK_MINUTES = (1, 2, 5, 10, 15, 20, 30, 60, 120)
POLYLINE_RUN = 8  # segments per drawPolyline call (see polyline())
BP_AXIS = (0.0, 320.0)  # mmHg and /min: the widest the blood pressure and pulse axis goes
SPO2_AXIS = (40.0, 100.0)  # %: the widest the SpO2 axis goes
MAX_SECONDS = 7 * 24 * 3600.0  # the longest time axis (a week): later points sit on its right edge
MAX_TICKS = 200  # never more grid lines than this on any axis, whatever the steps
SERIES = ("systolic", "diastolic", "pulse", "spo2")


@dataclass(frozen=True)
class Palette:
    background: QColor
    text: QColor
    grid: QColor
    bp: QColor
    band: QColor
    pulse: QColor
    spo2: QColor
    dose: QColor
    phase: QColor
    pulse_style: Qt.PenStyle
    spo2_style: Qt.PenStyle
    caution: QColor
    urgent: QColor


def palette(monochrome: bool, dark: bool) -> Palette:
    if monochrome:
        ink, paper = (QColor("#f0f0f0"), QColor("#000000")) if dark else (QColor("#000000"), QColor("#ffffff"))
        return Palette(paper, ink, QColor("#555555") if dark else QColor("#c8c8c8"), ink,
                       QColor("#3a3a3a") if dark else QColor("#dcdcdc"), ink, ink, ink, QColor("#888888") if dark
                       else QColor("#555555"), Qt.PenStyle.DashLine, Qt.PenStyle.DashDotLine, ink, ink)
    if dark:
        return Palette(QColor("#1c1f24"), QColor("#c9cdd3"), QColor("#353a42"), QColor("#e58b80"),
                       QColor(229, 139, 128, 55), QColor("#86b4e8"), QColor("#82c9a0"), QColor("#e0b055"),
                       QColor("#8c939c"), Qt.PenStyle.SolidLine, Qt.PenStyle.SolidLine, QColor("#e0b055"),
                       QColor("#ff8a80"))
    return Palette(QColor("#ffffff"), QColor("#1e1e1e"), QColor("#dadada"), QColor("#b3261e"),
                   QColor(179, 38, 30, 38), QColor("#1f5fa8"), QColor("#1b7a4c"), QColor("#7a4fa0"),
                   QColor("#6b6b6b"), Qt.PenStyle.DashLine, Qt.PenStyle.DashDotLine,  # paper: grey-safe
                   QColor("#8a5a00"), QColor("#b3261e"))


def marker(painter: QPainter, shape: str, at: QPointF, size: float, color: QColor, filled: bool = True) -> None:
    """Draw one data marker: 'down' ▼, 'up' ▲, 'dot' ●, 'square' ■ (hollow when not filled)."""
    h = size / 2
    painter.setBrush(QBrush(color) if filled else Qt.BrushStyle.NoBrush)
    if shape == "dot":
        painter.drawEllipse(at, h * 0.85, h * 0.85)
    elif shape == "square":
        painter.drawRect(QRectF(at.x() - h * 0.8, at.y() - h * 0.8, h * 1.6, h * 1.6))
    else:
        tip = 1 if shape == "down" else -1
        painter.drawPolygon(QPolygonF([QPointF(at.x() - h, at.y() - tip * h), QPointF(at.x() + h, at.y() - tip * h),
                                       QPointF(at.x(), at.y() + tip * h)]))


def nice_range(values: Iterable[float], low: float, high: float, step: float,
               bounds: tuple[float, float] = BP_AXIS) -> tuple[float, float]:
    """Axis limits covering the defaults and the data, rounded outward to ``step``, within ``bounds``."""
    floor, ceiling = bounds
    data = [min(max(v, floor), ceiling) for v in values if math.isfinite(v)]
    lo = min([low, *[v - step / 2 for v in data]])
    hi = max([high, *[v + step / 2 for v in data]])
    return max(floor, math.floor(lo / step) * step), min(ceiling, math.ceil(hi / step) * step)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def drawable(rows: Iterable[VitalsRow]) -> list[VitalsRow]:
    """The readings a chart can place: a row without a finite session time is left out, and a value
    that is not a finite number (NaN, infinity) is drawn as not taken."""
    kept = []
    for row in rows:
        if not math.isfinite(row.session_time):
            continue
        if all(math.isfinite(v) for name in SERIES if (v := row.value(name)) is not None):
            kept.append(row)
            continue
        kept.append(replace(row, systolic=_finite(row.systolic), diastolic=_finite(row.diastolic),
                            pulse=_finite(row.pulse), spo2=_finite(row.spo2)))
    return kept


def _seconds_axis(*candidates: float | None) -> float:
    """The time axis' length: the longest finite candidate, at least a minute, at most :data:`MAX_SECONDS`."""
    return min(MAX_SECONDS, max([60.0, *[c for c in candidates if c is not None and math.isfinite(c)]]))


def time_step(span_seconds: float, width: float, label_width: float) -> float:
    """Seconds between x ticks: the smallest round step whose labels do not collide."""
    for minutes in TICK_MINUTES:
        if span_seconds / (minutes * 60) * label_width * 1.6 <= width:
            return minutes * 60.0
    return TICK_MINUTES[-1] * 60.0 * max(1, math.ceil(span_seconds / (TICK_MINUTES[-1] * 60 * 12)))


class _Plot:
    """A value rectangle with its own y range; maps (session seconds, value) to points."""

    def __init__(self, area: QRectF, x_max: float, y_lo: float, y_hi: float) -> None:
        self.area, self.x_max, self.y_lo, self.y_hi = area, x_max, y_lo, y_hi

    def x(self, seconds: float) -> float:
        seconds = seconds if seconds >= 0.0 else 0.0  # NaN too
        return self.area.left() + self.area.width() * min(seconds, self.x_max) / self.x_max

    def y(self, value: float) -> float:
        frac = (min(max(value, self.y_lo), self.y_hi) - self.y_lo) / (self.y_hi - self.y_lo)
        return self.area.bottom() - self.area.height() * frac

    def point(self, seconds: float, value: float) -> QPointF:
        return QPointF(self.x(seconds), self.y(value))

    def points(self, pairs: Iterable[tuple[float, float]]) -> list[QPointF]:
        """:meth:`point` for many (seconds, value) pairs: the same sums, without a call per point."""
        area = self.area
        left, width, bottom, height = area.left(), area.width(), area.bottom(), area.height()
        x_max, lo, hi = self.x_max, self.y_lo, self.y_hi
        span = hi - lo
        return [QPointF(left + width * min(max(seconds, 0.0), x_max) / x_max,
                        bottom - height * ((min(max(value, lo), hi) - lo) / span)) for seconds, value in pairs]


def draw_vitals_chart(painter: QPainter, rect: QRectF, report: SessionReport, *, monochrome: bool = False,
                      dark: bool = False) -> None:
    """Draw the whole chart (legend, axes, phases, dose, series) inside ``rect``.

    Needs a QGuiApplication (fonts); without one Qt would abort the process, so say so instead.
    """
    if QGuiApplication.instance() is None:
        raise RuntimeError("draw_vitals_chart needs a QGuiApplication (fonts are not available without one)")
    painter.save()
    try:
        _draw(painter, QRectF(rect), report, palette(monochrome, dark))
    finally:
        painter.restore()


def _draw(painter: QPainter, rect: QRectF, report: SessionReport, pal: Palette) -> None:
    device = painter.device()
    unit = max(0.5, (device.logicalDpiY() if device is not None else 96) / 96.0)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setClipRect(rect)
    painter.fillRect(rect, pal.background)
    font = QFont(painter.font())
    font.setPointSizeF(8.0)
    font.setBold(False)
    font.setItalic(False)
    painter.setFont(font)
    fm = QFontMetricsF(font, device) if device is not None else QFontMetricsF(font)
    line = fm.height()
    pad = 4 * unit
    vitals = drawable(report.vitals)
    x_max = _seconds_axis(report.duration, max((v.session_time for v in vitals), default=0.0), report.dose_time)

    legend_bottom = _legend(painter, rect, fm, pal, unit)
    left = rect.left() + pad + line * 1.2 + fm.horizontalAdvance("200") + 4 * unit
    right = rect.right() - pad - fm.horizontalAdvance("0:00") / 2
    top = legend_bottom + line * 2.3  # room for phase names, on two rows
    ratings = scale_rows(report)
    band_h = line * 2.4 if ratings else 0.0  # the ratings' band, two rows of names, only when there are any
    bottom = rect.bottom() - pad - line * 2.2 - band_h
    if right - left < 40 * unit or bottom - top < 40 * unit:
        painter.setPen(pal.text)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "Chart too small")
        return
    gap = line * 0.8
    main_h = (bottom - top - gap) * 0.68
    bp_pulse = [v for r in vitals for v in (r.systolic, r.diastolic, r.pulse) if v is not None]
    lo, hi = nice_range(bp_pulse, 40, 180, 20)
    main = _Plot(QRectF(left, top, right - left, main_h), x_max, lo, hi)
    spo2_lo, _ = nice_range([v.spo2 for v in vitals if v.spo2 is not None], 85, 100, 5, SPO2_AXIS)
    low = _Plot(QRectF(left, top + main_h + gap, right - left, bottom - top - main_h - gap), x_max, spo2_lo, 100)

    _axes(painter, main, 20 if (hi - lo) / 20 * line * 1.2 < main_h else 40, fm, pal, unit, "mmHg · /min")
    _axes(painter, low, 5 if (100 - spo2_lo) / 5 * line * 1.1 < low.area.height() else 10, fm, pal, unit, "SpO2 %")
    _time_axis(painter, main, low, fm, pal, unit)
    _phases_and_dose(painter, report, main, low, fm, pal, unit)

    bp_rows = [r for r in vitals if r.systolic is not None and r.diastolic is not None]
    if bp_rows:
        band = QPainterPath()
        outline = [(r.session_time, r.systolic) for r in bp_rows if r.systolic is not None]
        outline += [(r.session_time, r.diastolic) for r in reversed(bp_rows) if r.diastolic is not None]
        band.addPolygon(QPolygonF(main.points(outline)))
        band.closeSubpath()
        painter.setPen(Qt.PenStyle.NoPen)
        # Without antialiasing: the blood-pressure lines are drawn over both edges of the band, and
        # filling a long zigzag outline smoothly cost most of the chart's paint (18 of ~55 ms at
        # 1,000 readings).
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.fillPath(band, pal.band)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    size = 7 * unit
    _series(painter, main, vitals, "systolic", pal.bp, Qt.PenStyle.SolidLine, "down", size, unit)
    _series(painter, main, vitals, "diastolic", pal.bp, Qt.PenStyle.SolidLine, "up", size, unit)
    _series(painter, main, vitals, "pulse", pal.pulse, pal.pulse_style, "dot", size, unit)
    _series(painter, low, vitals, "spo2", pal.spo2, pal.spo2_style, "square", size, unit, filled=False)
    for plot, names in ((main, ("systolic", "diastolic", "pulse")), (low, ("spo2",))):
        for name in names:
            _flags(painter, plot, vitals, name, pal, size, unit)
    if not vitals:
        painter.setPen(pal.text)
        painter.drawText(main.area, Qt.AlignmentFlag.AlignCenter, "No vitals recorded")
    if ratings:
        _ratings_band(painter, main, QRectF(left, rect.bottom() - pad - band_h, right - left, band_h), ratings, fm,
                      pal, unit)


def _ratings_band(painter: QPainter, main: _Plot, band: QRectF, ratings: Sequence[ScaleRow], fm: QFontMetricsF,
                  pal: Palette, unit: float) -> None:
    """The rating scales under the vitals, each at its time: 'RASS -2', 'Dissociation 5'; a rating
    whose answers raised an alert in its colour and with a '!' (words, not colour alone). Two rows,
    alternating, so neighbours do not overwrite each other."""
    painter.setPen(QPen(pal.grid, 0.6 * unit))
    painter.drawLine(QPointF(band.left(), band.top()), QPointF(band.right(), band.top()))
    painter.setPen(pal.text)
    painter.drawText(QPointF(band.left() - fm.horizontalAdvance("Scales") - 4 * unit, band.top() + fm.ascent()),
                     "Scales")
    for index, rating in enumerate(ratings):
        total = "" if rating.total is None else f"{rating.total:+d}" if rating.scale == "rass" and rating.total \
            else str(rating.total)
        text = f"{'! ' if rating.level in ('caution', 'urgent') else ''}{rating.name} {total}".strip()
        x = main.x(rating.session_time)
        y = band.top() + fm.ascent() + 2 * unit + (index % 2) * fm.height()
        left = min(max(band.left(), x - fm.horizontalAdvance(text) / 2), band.right() - fm.horizontalAdvance(text))
        painter.setPen(QPen(pal.grid, 0.6 * unit))
        painter.drawLine(QPointF(x, band.top()), QPointF(x, band.top() + 2 * unit))
        painter.setPen(pal.urgent if rating.level == "urgent" else pal.caution if rating.level == "caution"
                       else pal.text)
        painter.drawText(QPointF(left, y), text)


def _series(painter: QPainter, plot: _Plot, rows: Sequence, name: str, color: QColor, style: Qt.PenStyle,
            shape: str, size: float, unit: float, filled: bool = True) -> None:
    points = plot.points([(r.session_time, v) for r in rows if (v := r.value(name)) is not None])
    if not points:
        return
    pen = QPen(color, 1.5 * unit, style)
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    polyline(painter, pen, points)
    painter.setPen(QPen(color, 1.2 * unit))
    markers(painter, shape, points, size, color, filled)


def polyline(painter: QPainter, pen: QPen, points: Sequence[QPointF]) -> None:
    """The line through ``points``, drawn in short runs that share their end points.

    Qt fills a wide antialiased polyline as one outline, which for a long zigzag (a day's pulse)
    costs time that grows much faster than the number of points: 1,000 points took ~80 ms, the
    same line in runs of 8 ~5 ms. The picture is the same line; a dashed pen carries its pattern
    on from one run to the next (the dash offset is the length drawn so far, in pen widths).
    """
    if len(points) <= POLYLINE_RUN + 1:
        painter.drawPolyline(QPolygonF(list(points)))
        return
    dashed = pen.style() not in (Qt.PenStyle.SolidLine, Qt.PenStyle.NoPen)
    width = pen.widthF() or 1.0
    offset = pen.dashOffset()
    for start in range(0, len(points) - 1, POLYLINE_RUN):
        run = points[start:start + POLYLINE_RUN + 1]
        if dashed:
            run_pen = QPen(pen)
            run_pen.setDashOffset(offset)
            painter.setPen(run_pen)
            offset += sum(math.hypot(b.x() - a.x(), b.y() - a.y()) for a, b in itertools.pairwise(run)) / width
        painter.drawPolyline(QPolygonF(run))
    painter.setPen(pen)


def markers(painter: QPainter, shape: str, points: Iterable[QPointF], size: float, color: QColor,
            filled: bool = True) -> None:
    """:func:`marker` at every point, with the brush set once for the whole series."""
    h = size / 2
    painter.setBrush(QBrush(color) if filled else Qt.BrushStyle.NoBrush)
    if shape == "dot":
        r = h * 0.85
        for at in points:
            painter.drawEllipse(at, r, r)
    elif shape == "square":
        painter.drawRects([QRectF(at.x() - h * 0.8, at.y() - h * 0.8, h * 1.6, h * 1.6) for at in points])
    else:
        tip = h if shape == "down" else -h
        triangle = QPolygonF([QPointF(-h, -tip), QPointF(h, -tip), QPointF(0.0, tip)])
        for at in points:
            painter.drawPolygon(triangle.translated(at))


def _flags(painter: QPainter, plot: _Plot, rows: Sequence, name: str, pal: Palette, size: float, unit: float) -> None:
    """Ring each value the check-in flagged: one ring for caution, a thick double ring for urgent."""
    for row in rows:
        level, value = row.statuses.get(name, ""), row.value(name)
        if value is None or level not in ("caution", "urgent"):
            continue
        at = plot.point(row.session_time, value)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(pal.urgent if level == "urgent" else pal.caution, 1.3 * unit))
        painter.drawEllipse(at, size * 0.95, size * 0.95)
        if level == "urgent":
            painter.drawEllipse(at, size * 1.35, size * 1.35)


def _axes(painter: QPainter, plot: _Plot, step: float, fm: QFontMetricsF, pal: Palette, unit: float,
          title: str) -> None:
    area = plot.area
    painter.setPen(QPen(pal.grid, 0.8 * unit))
    count = min(MAX_TICKS, int((plot.y_hi - plot.y_lo) / step + 1e-6) + 1) if step > 0 else 1
    for tick in range(count):
        value = plot.y_lo + tick * step
        y = plot.y(value)
        painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
        painter.setPen(pal.text)
        label = f"{value:.0f}"
        painter.drawText(QPointF(area.left() - 4 * unit - fm.horizontalAdvance(label), y + fm.ascent() / 2.6), label)
        painter.setPen(QPen(pal.grid, 0.8 * unit))
    painter.setPen(QPen(pal.text, 1.0 * unit))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(area)
    painter.save()
    painter.translate(area.left() - 6 * unit - fm.horizontalAdvance("200") - fm.descent(), area.center().y())
    painter.rotate(-90)
    width = fm.horizontalAdvance(title)
    painter.drawText(QPointF(-width / 2, 0), fm.elidedText(title, Qt.TextElideMode.ElideRight, area.height()))
    painter.restore()


def _time_axis(painter: QPainter, main: _Plot, low: _Plot, fm: QFontMetricsF, pal: Palette, unit: float) -> None:
    step = time_step(main.x_max, main.area.width(), fm.horizontalAdvance("0:00"))
    for tick in range(min(MAX_TICKS, int(main.x_max / step + 1e-6) + 1)):
        t = tick * step
        x = main.x(t)
        painter.setPen(QPen(pal.grid, 0.6 * unit, Qt.PenStyle.DotLine))
        for plot in (main, low):
            painter.drawLine(QPointF(x, plot.area.top()), QPointF(x, plot.area.bottom()))
        painter.setPen(pal.text)
        label = format_hms(t)[:-3]  # H:MM
        painter.drawText(QPointF(x - fm.horizontalAdvance(label) / 2, low.area.bottom() + fm.ascent() + 2 * unit),
                         label)
    title = "Session time (h:mm)"
    painter.drawText(QPointF(main.area.center().x() - fm.horizontalAdvance(title) / 2,
                             low.area.bottom() + fm.height() + fm.ascent() + 2 * unit), title)


def phase_label_layout(starts: Sequence[tuple[float, str]], width: Callable[[str], float], right: float,
                       gap: float, rows: int = 2) -> list[tuple[float, int, str]]:
    """Where each phase's name goes above the chart: (x, row, text), row 0 nearest the plot.

    A name is written whole on the first row where it clears the name before it (by ``gap``);
    short phases stagger onto the second row rather than hide or run into each other. Only when
    no row has room is a name cut, on the row with the most room, to what fits before the next
    phase begins (never to nothing: at least its first letters)."""
    ends = [float("-inf")] * rows
    placed: list[tuple[float, int, str]] = []
    for index, (x, name) in enumerate(starts):
        free = next((row for row in range(rows) if ends[row] + gap <= x), None)
        text = name
        if free is None:
            free = min(range(rows), key=lambda row: ends[row])
            following = starts[index + 1][0] if index + 1 < len(starts) else right
            room = max(width(name[:3] + "…"), following - x - gap)
            while len(text) > 3 and width(text) > room:
                text = text[:-2] + "…"
        if x + width(text) > right:  # the last names keep inside the chart, read from its right edge
            x = max(right - width(text), ends[free] + gap)
        placed.append((x, free, text))
        ends[free] = x + width(text)
    return placed


def _phases_and_dose(painter: QPainter, report: SessionReport, main: _Plot, low: _Plot, fm: QFontMetricsF,
                     pal: Palette, unit: float) -> None:
    for phase in report.phases:
        x = main.x(phase.start)
        if phase.start > 0:
            painter.setPen(QPen(pal.phase, 1.0 * unit, Qt.PenStyle.DashLine))
            for plot in (main, low):
                painter.drawLine(QPointF(x, plot.area.top()), QPointF(x, plot.area.bottom()))
    starts = [(main.x(phase.start) + 2 * unit, phase.name) for phase in report.phases]
    painter.setPen(pal.text)
    for x, row, name in phase_label_layout(starts, fm.horizontalAdvance, main.area.right(), 6 * unit):
        painter.drawText(QPointF(x, main.area.top() - fm.descent() - 2 * unit - row * fm.height()), name)
    for label, at in dose_markers(report):
        if not math.isfinite(at):
            continue
        x = main.x(at)
        painter.setPen(QPen(pal.dose, 2.0 * unit, Qt.PenStyle.SolidLine))
        for plot in (main, low):
            painter.drawLine(QPointF(x, plot.area.top()), QPointF(x, plot.area.bottom()))
        box = QRectF(x + 2 * unit, main.area.top() + 2 * unit, fm.horizontalAdvance(label) + 4 * unit, fm.height())
        if box.right() > main.area.right():
            box.moveRight(x - 2 * unit)
        painter.fillRect(box, pal.background)
        painter.setPen(pal.dose)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)


def dose_markers(report: SessionReport) -> list[tuple[str, float]]:
    """('Dose', time) for the first dose and ('Booster 2', time) for each further one: a line on
    the chart for every dose the record holds."""
    times = report.dose_times
    if not times:
        return [] if report.dose_time is None else [("Dose", report.dose_time)]
    return [("Dose" if index == 0 else f"Booster {index + 1}", at) for index, at in enumerate(times)]


def _legend(painter: QPainter, rect: QRectF, fm: QFontMetricsF, pal: Palette, unit: float) -> float:
    """Legend entries in a row (wrapping when narrow); returns the y below it."""
    entries = [("Systolic", "down", pal.bp, Qt.PenStyle.SolidLine, True),
               ("Diastolic", "up", pal.bp, Qt.PenStyle.SolidLine, True),
               ("BP range", "band", pal.band, Qt.PenStyle.SolidLine, True),
               ("Pulse", "dot", pal.pulse, pal.pulse_style, True),
               ("SpO2", "square", pal.spo2, pal.spo2_style, False),
               ("Dose", "vline", pal.dose, Qt.PenStyle.SolidLine, True),
               ("Phase change", "vline", pal.phase, Qt.PenStyle.DashLine, True),
               ("Caution", "ring", pal.caution, Qt.PenStyle.SolidLine, False),
               ("Urgent", "rings", pal.urgent, Qt.PenStyle.SolidLine, False)]
    sample = 18 * unit
    x, y = rect.left() + 6 * unit, rect.top() + 4 * unit
    row_h = max(fm.height(), 9 * unit)
    for label, shape, color, style, filled in entries:
        width = sample + 4 * unit + fm.horizontalAdvance(label) + 9 * unit
        if x + width > rect.right() and x > rect.left() + 6 * unit:
            x, y = rect.left() + 6 * unit, y + row_h + 2 * unit
        mid = QPointF(x + sample / 2, y + row_h / 2)
        if shape == "band":
            painter.fillRect(QRectF(x, y + row_h * 0.2, sample, row_h * 0.6), color)
        elif shape in ("ring", "rings"):
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(color, 1.3 * unit))
            painter.drawEllipse(mid, row_h * 0.32, row_h * 0.32)
            if shape == "rings":
                painter.drawEllipse(mid, row_h * 0.48, row_h * 0.48)
        elif shape == "vline":
            painter.setPen(QPen(color, (2.0 if label == "Dose" else 1.0) * unit, style))
            painter.drawLine(QPointF(mid.x(), y), QPointF(mid.x(), y + row_h))
        else:
            painter.setPen(QPen(color, 1.5 * unit, style))
            painter.drawLine(QPointF(x, mid.y()), QPointF(x + sample, mid.y()))
            painter.setPen(QPen(color, 1.2 * unit))
            marker(painter, shape, mid, 7 * unit, color, filled)
        painter.setPen(pal.text)
        painter.drawText(QPointF(x + sample + 4 * unit, y + row_h / 2 + fm.ascent() / 2.6), label)
        x += width
    return y + row_h


# ----------------------------------------------------------------------------- the client's course
#: Pen styles for the measures' trend lines, so they differ without colour.
TREND_STYLES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine, Qt.PenStyle.DashDotLine)


def draw_course_trend(p: QPainter, rect: QRectF, series: dict[str, list[tuple[int, int]]], count: int, font: QFont,
                      mm: float, *, ink: QColor | None = None) -> None:
    """The measures' totals over a client's course (PHQ-9, GAD-7...): one line per measure over the
    course's ``count`` sessions, numbered 1 to ``count``, each point a session's total (``series``
    from :func:`kaproom.export.course.measure_series`). Drawn the same on the course PDF and in the
    review's course view; ``mm`` is the device's millimetre, ``ink`` the lines' colour (black on paper)."""
    if not series or count < 1:
        return
    fm = QFontMetricsF(font, p.device())
    p.setFont(font)
    top_value = max(max(total for _, total in points) for points in series.values())
    low_value = min(0, min(min(total for _, total in points) for points in series.values()))
    widest = max(fm.horizontalAdvance(f"{name} {points[-1][1]}") for name, points in series.items())
    left = rect.left() + fm.horizontalAdvance("000") + 2 * mm
    right = rect.right() - max(20 * mm, widest + 3 * mm)  # room for the labels at the lines' ends
    top, bottom = rect.top() + fm.height(), rect.bottom() - fm.height() * 1.5
    span = max(1, top_value - low_value)

    def at(place: int, value: int) -> QPointF:
        x = left + (right - left) * (place / max(1, count - 1))
        return QPointF(x, bottom - (bottom - top) * (value - low_value) / span)

    p.setPen(QPen(QColor("#888888"), 0))
    p.drawLine(QPointF(left, bottom), QPointF(right, bottom))
    p.drawLine(QPointF(left, top), QPointF(left, bottom))
    for value in (low_value, top_value):
        label = str(value)
        p.drawText(QPointF(left - fm.horizontalAdvance(label) - mm, at(0, value).y() + fm.ascent() / 3), label)
    for place in range(count):
        label = f"{place + 1}"
        p.drawText(QPointF(at(place, low_value).x() - fm.horizontalAdvance(label) / 2, bottom + fm.height()), label)
    ends: list[tuple[float, float, str]] = []  # each line's last point and its label
    for index, (name, points) in enumerate(sorted(series.items())):
        p.setPen(QPen(ink or QColor("#000000"), 0.35 * mm, TREND_STYLES[index % len(TREND_STYLES)]))
        line = [at(place, total) for place, total in points]
        p.drawPolyline(line)
        for point in line:
            p.drawEllipse(point, 0.8 * mm, 0.8 * mm)
        ends.append((line[-1].y(), line[-1].x(), f"{name} {points[-1][1]}"))
    p.setPen(QPen(ink or QColor("#000000"), 0))
    below = -math.inf  # labels ending near each other are set a line apart, never over each other
    for y, x, label in sorted(ends):
        y = max(y, below + fm.height())
        below = y
        p.drawText(QPointF(x + 1.5 * mm, y + fm.ascent() / 3), label)
