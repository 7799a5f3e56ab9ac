"""A small flowing layout for printed reports: wrapped text, tables that break across pages.

Everything is laid out first (measured with the PDF device's own font metrics) into pages of
drawing steps, then painted. Knowing the page count before painting is what lets every page say
"page N of M". Tables repeat their heading row on each page; long cells wrap, never overflow.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPagedPaintDevice, QPaintDevice, QPainter, QPen

Draw = Callable[[QPainter], None]
GREY = QColor("#e8e8e8")
RULE = QColor("#9a9a9a")


def wrap(text: str, metrics: QFontMetricsF, width: float) -> list[str]:
    """Lines of ``text`` that fit ``width`` (breaking inside a word only when it alone is too long)."""
    lines: list[str] = []
    for paragraph in (text or "").split("\n"):
        current = ""
        for word in paragraph.split(" "):
            candidate = f"{current} {word}" if current else word
            if metrics.horizontalAdvance(candidate) <= width:
                current = candidate
                continue
            if current:
                lines.append(current)
            while metrics.horizontalAdvance(word) > width and len(word) > 1:
                cut = len(word)
                while cut > 1 and metrics.horizontalAdvance(word[:cut]) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            current = word
        lines.append(current)
    return lines


@dataclass(frozen=True)
class Column:
    title: str
    share: float  # part of the table width
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft


@dataclass(frozen=True)
class Cell:
    text: str
    bold: bool = False
    color: QColor | None = None


class Fonts:
    def __init__(self, base: QFont, scale: float = 1.0) -> None:
        def sized(points: float, bold: bool = False) -> QFont:
            font = QFont(base)
            font.setPointSizeF(points * scale)
            font.setBold(bold)
            return font
        self.body, self.bold, self.small = sized(9), sized(9, True), sized(7.5)
        self.small_bold, self.title, self.heading = sized(7.5, True), sized(16, True), sized(11.5, True)


class Flow:
    """Lays content out top to bottom over pages of ``width`` x ``height`` device pixels."""

    def __init__(self, device: QPaintDevice, width: float, height: float, fonts: Fonts) -> None:
        self.device, self.width, self.height, self.fonts = device, width, height, fonts
        self.pages: list[list[Draw]] = [[]]
        self.y = 0.0
        self.mm = device.logicalDpiY() / 25.4

    def paint(self, device: QPagedPaintDevice, frame: Callable[[QPainter, int, int], None]) -> None:
        """Paint the pages on ``device`` (the one they were laid out for), each with its
        ``frame(painter, page number, page count)`` (the footer) drawn after its content.

        The drawing steps are let go afterwards: they refer back to the flow, a reference cycle
        that only a full garbage collection would free: ~300,000 objects for a 10,000-event
        report, and a pause of a tenth of a second or more in whatever the user does next."""
        painter = QPainter(device)
        try:
            for index, steps in enumerate(self.pages, start=1):
                if index > 1:
                    device.newPage()
                painter.save()
                for step in steps:
                    step(painter)
                painter.restore()
                frame(painter, index, len(self.pages))
        finally:
            painter.end()
            self.pages.clear()

    def metrics(self, font: QFont) -> QFontMetricsF:
        return QFontMetricsF(font, self.device)

    def new_page(self) -> None:
        self.pages.append([])
        self.y = 0.0

    def ensure(self, height: float) -> None:
        if self.y + height > self.height and self.y > 0:
            self.new_page()

    def space(self, mm: float) -> None:
        self.y += mm * self.mm

    def draw(self, step: Draw) -> None:
        self.pages[-1].append(step)

    def text(self, text: str, font: QFont | None = None, *, indent: float = 0.0, color: QColor | None = None,
             keep_with_next: float = 0.0) -> None:
        font = font or self.fonts.body
        fm = self.metrics(font)
        lines = wrap(text, fm, self.width - indent)
        line_h = fm.lineSpacing()
        self.ensure(line_h * min(len(lines), 2) + keep_with_next)
        for line in lines:
            self.ensure(line_h)
            y = self.y + fm.ascent()
            self.draw(self._line_step(QPointF(indent, y), line, font, color))
            self.y += line_h

    @staticmethod
    def _line_step(at: QPointF, line: str, font: QFont, color: QColor | None) -> Draw:
        return lambda p: draw_text(p, at, line, font, color)

    def heading(self, text: str) -> None:
        fm = self.metrics(self.fonts.heading)
        self.space(4)
        self.ensure(fm.lineSpacing() * 4)  # never a heading alone at the foot of a page
        y = self.y + fm.ascent()
        width = self.width
        font, rule_y = self.fonts.heading, y + fm.descent() + 0.6 * self.mm

        def step(p: QPainter) -> None:
            draw_text(p, QPointF(0, y), text, font, None)
            _rule(p, rule_y, width)
        self.draw(step)
        self.y += fm.lineSpacing() + 2 * self.mm

    def box(self, text: str, font: QFont | None = None) -> None:
        """A framed paragraph (the health-information label)."""
        font = font or self.fonts.bold
        fm = self.metrics(font)
        pad = 2 * self.mm
        lines = wrap(text, fm, self.width - 2 * pad)
        height = len(lines) * fm.lineSpacing() + 2 * pad
        self.ensure(height)
        top = self.y

        def step(p: QPainter) -> None:
            p.setPen(QPen(QColor("#000000"), 0.4 * self.mm))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(QRectF(0, top, self.width, height))
            for i, line in enumerate(lines):
                draw_text(p, QPointF(pad, top + pad + i * fm.lineSpacing() + fm.ascent()), line, font, None)
        self.draw(step)
        self.y += height + 2 * self.mm

    def block(self, height: float, painter_step: Callable[[QPainter, QRectF], None]) -> None:
        """A fixed-height drawing (the chart) that never splits across pages."""
        self.ensure(height)
        rect = QRectF(0, self.y, self.width, height)
        self.draw(lambda p: painter_step(p, rect))
        self.y += height

    def table(self, columns: Sequence[Column], rows: Sequence[Sequence[Cell | str]], *,
              shade_header: bool = True) -> None:
        """Rows of wrapped cells; the heading row is repeated on every page the table reaches."""
        total = sum(c.share for c in columns)
        widths = [self.width * c.share / total for c in columns]
        lefts = [sum(widths[:i]) for i in range(len(widths))]
        pad = 1.0 * self.mm
        header = [Cell(c.title, bold=True) for c in columns]

        def row_layout(cells: Sequence[Cell], header_row: bool) -> tuple[float, list[list[str]], list[QFont]]:
            fonts = [self.fonts.small_bold if (header_row or cell.bold) else self.fonts.small for cell in cells]
            wrapped = [wrap(cell.text, self.metrics(font), w - 2 * pad) for cell, font, w in zip(cells, fonts, widths)]
            line_h = self.metrics(self.fonts.small).lineSpacing()
            return max(len(lines) for lines in wrapped) * line_h + 2 * pad, wrapped, fonts

        def emit(cells: Sequence[Cell], header_row: bool) -> None:
            height, wrapped, fonts = row_layout(cells, header_row)
            top, line_h = self.y, self.metrics(self.fonts.small).lineSpacing()
            ascent = self.metrics(self.fonts.small).ascent()

            def step(p: QPainter) -> None:
                if header_row and shade_header:
                    p.fillRect(QRectF(0, top, self.width, height), GREY)
                for cell, lines, font, left, width, column in zip(cells, wrapped, fonts, lefts, widths, columns):
                    for i, line in enumerate(lines):
                        fm = self.metrics(font)
                        x = left + pad
                        if column.align == Qt.AlignmentFlag.AlignRight:
                            x = left + width - pad - fm.horizontalAdvance(line)
                        draw_text(p, QPointF(x, top + pad + i * line_h + ascent), line, font, cell.color)
                _rule(p, top + height, self.width, RULE, 0.15 * self.mm)
            self.draw(step)
            self.y += height

        header_height = row_layout(header, True)[0]
        self.ensure(header_height * 2)
        emit(header, True)
        for raw in rows:
            cells = [c if isinstance(c, Cell) else Cell(str(c)) for c in raw]
            height = row_layout(cells, False)[0]
            if self.y + height > self.height:
                self.new_page()
                emit(header, True)
            emit(cells, False)
        self.y += 2 * self.mm


def draw_text(p: QPainter, at: QPointF, text: str, font: QFont, color: QColor | None) -> None:
    """One line of ``text`` with its baseline at ``at``, in ``font`` (and ``color``, else black)."""
    p.setFont(font)
    p.setPen(color or QColor("#000000"))
    p.drawText(at, text)


def _rule(p: QPainter, y: float, width: float, color: QColor | None = None, thickness: float = 0.0) -> None:
    p.setPen(QPen(color or QColor("#000000"), thickness or max(1.0, p.device().logicalDpiY() / 200)))
    p.drawLine(QPointF(0, y), QPointF(width, y))
