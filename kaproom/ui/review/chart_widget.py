"""The vitals chart on screen: a thin widget around the drawing the PDF uses too.

All drawing lives in :func:`kaproom.export.chart.draw_vitals_chart`, so what the supervisor sees
here is exactly what is printed; this widget only provides the painter and the rectangle.
"""
from __future__ import annotations

from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from kaproom.export.chart import draw_vitals_chart
from kaproom.export.report_data import SessionReport


class VitalsChart(QWidget):
    def __init__(self, report: SessionReport | None = None, parent: QWidget | None = None, *,
                 dark: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("vitalsChart")
        self.setAccessibleName("Vitals chart")
        self.setMinimumHeight(220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.report, self.dark = report, dark
        self._describe()

    def set_report(self, report: SessionReport) -> None:
        self.report = report
        self._describe()
        self.update()

    def _describe(self) -> None:
        """Words for screen readers and tooltips: what the picture shows."""
        count = len(self.report.vitals) if self.report else 0
        self.setToolTip(f"Vitals over session time: {count} check-ins. Blood pressure ▼ systolic ▲ diastolic, "
                        "pulse ●, SpO2 ■; phase changes and the dose are marked.")
        self.setAccessibleDescription(self.toolTip())

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(900, 300)

    def paintEvent(self, event) -> None:  # noqa: N802
        if self.report is None:
            return
        painter = QPainter(self)
        try:
            draw_vitals_chart(painter, QRectF(self.rect()), self.report, dark=self.dark)
        finally:
            painter.end()
