"""One vitals check-in's values, and the names, labels and units of its fields.

Both the rules that judge a check-in (:mod:`kaproom.domain.vitals_rules`) and the parsing and
storing of one (:mod:`kaproom.domain.vitals`) are written against :class:`Reading`; it lives
here, below them both, so that their imports run one way: ``vitals`` -> ``vitals_rules`` ->
``vitals_reading``.
"""
from __future__ import annotations

from dataclasses import dataclass

from kaproom.domain.news2 import News2, news2

NUMBER_FIELDS = ("systolic", "diastolic", "pulse", "spo2", "respiratory_rate", "temperature")
#: Without one of these a check-in is partial (temperature is optional in the room).
CORE_FIELDS = ("systolic", "diastolic", "pulse", "spo2", "respiratory_rate", "moaas")
WHOLE_NUMBER_FIELDS = ("systolic", "diastolic", "pulse", "spo2", "respiratory_rate")

LABELS = {
    "systolic": "Systolic BP", "diastolic": "Diastolic BP", "pulse": "Pulse", "spo2": "SpO2",
    "respiratory_rate": "Respiratory rate", "temperature": "Temperature", "moaas": "MOAA/S",
    "nausea": "Nausea", "supplemental_oxygen": "Oxygen", "comment": "Comment", "form": "Check-in",
}
UNITS = {"systolic": "mmHg", "diastolic": "mmHg", "pulse": "bpm", "spo2": "%", "respiratory_rate": "/min",
         "temperature": "°C"}

NAUSEA = ("none", "mild", "moderate", "severe")

#: Modified Observer's Assessment of Alertness/Sedation (Chernik et al. 1990).
MOAAS: dict[int, str] = {
    5: "responds readily to name spoken in normal tone",
    4: "lethargic response to name spoken in normal tone",
    3: "responds only after name is called loudly or repeatedly",
    2: "responds only after mild prodding or shaking",
    1: "responds only after painful trapezius squeeze",
    0: "no response after painful trapezius squeeze",
}


@dataclass(frozen=True)
class Reading:
    """One check-in's values; None means "not taken"."""

    systolic: int | None = None
    diastolic: int | None = None
    pulse: int | None = None
    spo2: int | None = None
    respiratory_rate: int | None = None
    temperature: float | None = None
    moaas: int | None = None
    nausea: str | None = None
    supplemental_oxygen: bool = False
    comment: str = ""

    @property
    def partial(self) -> bool:
        return any(getattr(self, name) is None for name in CORE_FIELDS)

    @property
    def empty(self) -> bool:
        return all(getattr(self, name) is None for name in NUMBER_FIELDS + ("moaas", "nausea"))

    @property
    def taken(self) -> tuple[str, ...]:
        return tuple(name for name in NUMBER_FIELDS + ("moaas", "nausea") if getattr(self, name) is not None)

    def news2(self) -> News2 | None:
        """NEWS2 for a complete check-in (temperature may be missing and is then named)."""
        rate, spo2, systolic, pulse, moaas = self.respiratory_rate, self.spo2, self.systolic, self.pulse, self.moaas
        if rate is None or spo2 is None or systolic is None or pulse is None or moaas is None:
            return None
        return news2(rate, spo2, systolic, pulse, moaas == 5, self.temperature, self.supplemental_oxygen)

    def summary(self) -> str:
        """Short words for a status line: "BP 128/84 · pulse 72 · SpO2 98% ..."."""
        bits = []
        if self.systolic is not None or self.diastolic is not None:
            bits.append(f"BP {_show(self.systolic)}/{_show(self.diastolic)}")
        for name, label, unit in (("pulse", "pulse", ""), ("spo2", "SpO2", "%"), ("respiratory_rate", "RR", ""),
                                  ("temperature", "temp", " °C")):
            value = getattr(self, name)
            if value is not None:
                bits.append(f"{label} {_show(value)}{unit}")
        if self.moaas is not None:
            bits.append(f"MOAA/S {self.moaas}")
        if self.nausea is not None:
            bits.append(f"nausea {self.nausea}")
        if self.supplemental_oxygen:
            bits.append("on oxygen")
        return " · ".join(bits) if bits else "nothing taken"


def _show(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:g}" if isinstance(value, float) else str(value)
