"""The client's course as a small trend chart in the review, under the course's sessions: each
outcome measure's total (PHQ-9, GAD-7...) session by session. A thin widget around the drawing
the course PDF uses too (:func:`kaproom.export.chart.draw_course_trend`), as the vitals chart is."""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, QSize
from PySide6.QtGui import QFont, QFontMetricsF, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from kaproom.export.chart import draw_course_trend
from kaproom.export.course import CourseRow, measure_series

TITLE = "Measures over the client's course"


class CourseTrendChart(QWidget):
    """Hidden unless some measure was rated in two sessions or more of the client's course."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("courseTrend")
        self.setAccessibleName("Measures over the client's course")
        self.setMinimumHeight(170)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.series: dict[str, list[tuple[int, int]]] = {}
        self.count = 0
        self.hide()

    def set_course(self, course: Sequence[CourseRow]) -> None:
        self.series = {name: points for name, points in measure_series(list(course)).items() if len(points) >= 2}
        self.count = len(course)
        words = "; ".join(f"{name}: " + ", ".join(f"session {place + 1} {total}" for place, total in points)
                          for name, points in sorted(self.series.items()))
        self.setToolTip(f"Measures over the client's course ({self.count} sessions): {words}" if words else "")
        self.setAccessibleDescription(self.toolTip())
        self.setVisible(bool(self.series))
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(400, 180)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt name)
        if not self.series:
            return
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            font = QFont(self.font())
            font.setPointSizeF(font.pointSizeF() * 0.85)
            painter.setFont(font)
            painter.setPen(self.palette().placeholderText().color())
            title_height = QFontMetricsF(font).height()
            painter.drawText(QPointF(4, 4 + QFontMetricsF(font).ascent()), TITLE)
            mm = self.logicalDpiY() / 25.4
            draw_course_trend(painter, QRectF(self.rect()).adjusted(4, 4 + title_height, -4, -4), self.series,
                              self.count, font, mm, ink=self.palette().text().color())
        finally:
            painter.end()
