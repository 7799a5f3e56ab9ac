"""NEWS2, the Royal College of Physicians' National Early Warning Score 2 (chart 1, 2017).

Implemented from the published chart with SpO2 scale 1 (the scale for most people; scale 2 is
for hypercapnic respiratory failure, which is not who comes to a ketamine session). NEWS2 is not
validated for ketamine sessions: expected dissociation lowers MOAA/S, which NEWS2 scores as "not
alert", so the room shows the score as advisory, to be read in context.

Each band table lists ``(highest value in the band, points)`` from low to high, exactly as the
chart's columns read; a value between two whole-number columns (8.5 breaths a minute) falls
in the column to its right, because it is above that column's highest value.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

INF = math.inf

#: Chart 1 rows: (upper bound of the column, inclusive; score).
RESPIRATORY_RATE_BANDS: tuple[tuple[float, int], ...] = ((8, 3), (11, 1), (20, 0), (24, 2), (INF, 3))
SPO2_SCALE1_BANDS: tuple[tuple[float, int], ...] = ((91, 3), (93, 2), (95, 1), (INF, 0))
SYSTOLIC_BANDS: tuple[tuple[float, int], ...] = ((90, 3), (100, 2), (110, 1), (219, 0), (INF, 3))
PULSE_BANDS: tuple[tuple[float, int], ...] = ((40, 3), (50, 1), (90, 0), (110, 1), (130, 2), (INF, 3))
TEMPERATURE_BANDS: tuple[tuple[float, int], ...] = ((35.0, 3), (36.0, 1), (38.0, 0), (39.0, 1), (INF, 2))
SUPPLEMENTAL_OXYGEN_POINTS = 2
NOT_ALERT_POINTS = 3

#: The parameters in the chart's order, as keys of :attr:`News2.parts`.
PARTS = ("respiratory_rate", "spo2", "supplemental_oxygen", "systolic_bp", "pulse", "consciousness",
         "temperature")

BANDS = ("low", "low-medium", "medium", "high")

#: The clinical response the RCP attaches to each band, shortened.
BAND_RESPONSE = {
    "low": "low clinical risk",
    "low-medium": "one parameter in the red zone: low-medium risk, review promptly",
    "medium": "medium clinical risk: urgent review",
    "high": "high clinical risk: emergency response",
}

ADVISORY = ("NEWS2 is advisory here: it is not validated for ketamine sessions, and expected "
            "dissociation in the deep phase lowers MOAA/S, which raises the score.")


def _points(value: float, bands: tuple[tuple[float, int], ...]) -> int:
    for upper, points in bands:
        if value <= upper:
            return points
    return bands[-1][1]


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"NEWS2 needs a finite number for {name}, not {value!r}")
    return float(value)


@dataclass(frozen=True)
class News2:
    """An aggregate score, its band and the points each parameter gave (None: not taken)."""

    score: int
    band: str
    parts: Mapping[str, int | None] = field(default_factory=dict)
    missing: tuple[str, ...] = ()

    @property
    def red_parameter(self) -> bool:
        """True when a single parameter scored 3 (the chart's red cells)."""
        return any(points == 3 for points in self.parts.values() if points is not None)

    @property
    def response(self) -> str:
        return BAND_RESPONSE[self.band]

    def describe(self) -> str:
        without = f", without {' and '.join(m.replace('_', ' ') for m in self.missing)}" if self.missing else ""
        return f"NEWS2 {self.score} ({self.band}{without})"

    def as_payload(self) -> dict[str, object]:
        payload: dict[str, object] = {"score": self.score, "band": self.band, "parts": dict(self.parts)}
        if self.missing:
            payload["missing"] = list(self.missing)
        return payload


def band_for(score: int, parts: Mapping[str, int | None]) -> str:
    """0-4 low; a single 3 with an aggregate under 5 low-medium; 5-6 medium; 7 or more high."""
    if score >= 7:
        return "high"
    if score >= 5:
        return "medium"
    if any(points == 3 for points in parts.values() if points is not None):
        return "low-medium"
    return "low"


def news2(respiratory_rate: float, spo2: float, systolic_bp: float, pulse: float, alert: bool,
          temperature: float | None, supplemental_oxygen: bool = False) -> News2:
    """Score one set of observations on the NEWS2 chart (SpO2 scale 1).

    ``alert`` is the chart's consciousness row: True for Alert, False for new confusion, voice,
    pain or unresponsive (from MOAA/S: 5 is alert). ``temperature`` may be None when it was not
    taken; the score then leaves it out and says so in ``missing``.
    """
    parts: dict[str, int | None] = {
        "respiratory_rate": _points(_number("respiratory_rate", respiratory_rate), RESPIRATORY_RATE_BANDS),
        "spo2": _points(_number("spo2", spo2), SPO2_SCALE1_BANDS),
        "supplemental_oxygen": SUPPLEMENTAL_OXYGEN_POINTS if supplemental_oxygen else 0,
        "systolic_bp": _points(_number("systolic_bp", systolic_bp), SYSTOLIC_BANDS),
        "pulse": _points(_number("pulse", pulse), PULSE_BANDS),
        "consciousness": 0 if bool(alert) else NOT_ALERT_POINTS,
        "temperature": None if temperature is None else _points(_number("temperature", temperature),
                                                                TEMPERATURE_BANDS),
    }
    score = sum(points for points in parts.values() if points is not None)
    missing = tuple(name for name, points in parts.items() if points is None)
    return News2(score, band_for(score, parts), parts, missing)
