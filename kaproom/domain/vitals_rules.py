"""Per-value rules for a vitals check-in: ok, caution or urgent, with the reason in words.

Every number comes from the protocol's ``[vitals.alerts]`` (defaults in ``DEFAULT_ALERTS``,
DESIGN.md section 2): a clinic changes a threshold in its protocol file, not here. Before the
dose the question is "should we dose?", so blood pressure is judged against the pre-dose limits
(above 140/90: consider whether to dose); after it, against the in-session ones. Trends compare
with the baseline taken before the dose (systolic up more than 20 %).

The reasons are shown to the therapist as they are, so they are plain sentences with the value
and the rule it met.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kaproom.domain.clock import format_hms
from kaproom.domain.events import JSONDict
from kaproom.domain.vitals_reading import Reading

LEVELS = ("ok", "caution", "urgent")
OK_REASON = "within the protocol's limits"


@dataclass(frozen=True)
class Status:
    level: str  # "ok" | "caution" | "urgent"
    reason: str

    @property
    def rank(self) -> int:
        return LEVELS.index(self.level)


def _n(value: float) -> str:
    return f"{value:g}"


Finding = tuple[str, str]  # (level, reason)


def _systolic(v: float, a: Mapping[str, float], pre_dose: bool) -> list[Finding]:
    found: list[Finding] = []
    if v >= a["systolic_urgent"]:
        found.append(("urgent", f"systolic {_n(v)} mmHg is at or above {_n(a['systolic_urgent'])}"))
    elif pre_dose and v > a["predose_systolic_caution"]:
        found.append(("caution", f"systolic {_n(v)} mmHg before dosing is above "
                                 f"{_n(a['predose_systolic_caution'])}: consider whether to dose"))
    elif not pre_dose and v >= a["systolic_caution"]:
        found.append(("caution", f"systolic {_n(v)} mmHg is at or above {_n(a['systolic_caution'])}"))
    if v < a["systolic_caution_below"]:
        found.append(("caution", f"systolic {_n(v)} mmHg is below {_n(a['systolic_caution_below'])}: "
                                 f"low blood pressure"))
    return found


def _diastolic(v: float, a: Mapping[str, float], pre_dose: bool) -> list[Finding]:
    if v >= a["diastolic_urgent"]:
        return [("urgent", f"diastolic {_n(v)} mmHg is at or above {_n(a['diastolic_urgent'])}")]
    if pre_dose and v > a["predose_diastolic_caution"]:
        return [("caution", f"diastolic {_n(v)} mmHg before dosing is above "
                            f"{_n(a['predose_diastolic_caution'])}: consider whether to dose")]
    if not pre_dose and v >= a["diastolic_caution"]:
        return [("caution", f"diastolic {_n(v)} mmHg is at or above {_n(a['diastolic_caution'])}")]
    return []


def _spo2(v: float, a: Mapping[str, float], pre_dose: bool) -> list[Finding]:
    if v < a["spo2_urgent_below"]:
        return [("urgent", f"SpO2 {_n(v)} % is below {_n(a['spo2_urgent_below'])}")]
    if v < a["spo2_caution_below"]:
        return [("caution", f"SpO2 {_n(v)} % is below {_n(a['spo2_caution_below'])}")]
    return []


def _pulse(v: float, a: Mapping[str, float], pre_dose: bool) -> list[Finding]:
    if v < a["pulse_caution_below"]:
        return [("caution", f"pulse {_n(v)} bpm is below {_n(a['pulse_caution_below'])}")]
    if v > a["pulse_caution_above"]:
        return [("caution", f"pulse {_n(v)} bpm is above {_n(a['pulse_caution_above'])}")]
    return []


def _respiratory_rate(v: float, a: Mapping[str, float], pre_dose: bool) -> list[Finding]:
    if v < a["respiratory_rate_urgent_below"]:
        return [("urgent", f"respiratory rate {_n(v)}/min is below {_n(a['respiratory_rate_urgent_below'])}")]
    if v > a["respiratory_rate_caution_above"]:
        return [("caution", f"respiratory rate {_n(v)}/min is above {_n(a['respiratory_rate_caution_above'])}")]
    return []


def _temperature(v: float, a: Mapping[str, float], pre_dose: bool) -> list[Finding]:
    if v > a["temperature_caution_above"]:
        return [("caution", f"temperature {_n(v)} °C is above {_n(a['temperature_caution_above'])}")]
    return []


def _moaas(v: float, a: Mapping[str, float], pre_dose: bool) -> list[Finding]:
    if v <= a["moaas_urgent_at_or_below"]:
        return [("urgent", f"MOAA/S {_n(v)}: responds only to prodding or pain, or not at all "
                           f"(urgent at {_n(a['moaas_urgent_at_or_below'])} or below)")]
    return []


RULES: dict[str, Callable[[float, Mapping[str, float], bool], list[Finding]]] = {
    "systolic": _systolic, "diastolic": _diastolic, "pulse": _pulse, "spo2": _spo2,
    "respiratory_rate": _respiratory_rate, "temperature": _temperature, "moaas": _moaas,
}


def trend_findings(reading: Reading, baseline: Reading | None, a: Mapping[str, float],
                   baseline_at: float | None = None) -> dict[str, list[Finding]]:
    """Changes from the pre-dose baseline (taken at session time ``baseline_at``, named in the
    reason when known) that matter even when each value alone is fine."""
    found: dict[str, list[Finding]] = {}
    if baseline is None:
        return found
    now, before, limit = reading.systolic, baseline.systolic, a["systolic_rise_caution_percent"]
    when = f" at {format_hms(baseline_at)}" if baseline_at is not None else ""
    if now is not None and before:
        rise = (now - before) / before * 100.0
        if (now - before) * 100.0 > limit * before:  # exact at the edge, no float rounding
            found.setdefault("systolic", []).append((
                "caution", f"systolic up {rise:.0f} % from the baseline {before} mmHg{when} (more than {_n(limit)} %)"))
    return found


def _combine(findings: list[Finding]) -> Status:
    if not findings:
        return Status("ok", OK_REASON)
    worst = max(LEVELS.index(level) for level, _ in findings)
    reasons = [reason for level, reason in findings if LEVELS.index(level) == worst]
    reasons += [reason for level, reason in findings if LEVELS.index(level) != worst]
    text = "; ".join(reasons)
    return Status(LEVELS[worst], text[:1].upper() + text[1:])


def assess(reading: Reading, alerts: Mapping[str, float], *, pre_dose: bool,
           baseline: Reading | None = None, baseline_at: float | None = None) -> dict[str, Status]:
    """A status for every value that was taken (nausea and the comment are not judged)."""
    trends = {} if pre_dose else trend_findings(reading, baseline, alerts, baseline_at)
    statuses: dict[str, Status] = {}
    for name, rule in RULES.items():
        value = getattr(reading, name)
        if value is None:
            continue
        statuses[name] = _combine(rule(value, alerts, pre_dose) + trends.get(name, []))
    return statuses


def alert_payloads(reading: Reading, statuses: Mapping[str, Status], source_seq: int | None) -> list[JSONDict]:
    """``alert`` event payloads, urgent ones first."""
    out: list[JSONDict] = []
    for name, status in sorted(statuses.items(), key=lambda item: -item[1].rank):
        if status.level == "ok":
            continue
        payload: JSONDict = {"level": status.level, "field": name, "value": getattr(reading, name),
                             "reason": status.reason}
        if source_seq is not None:
            payload["source_seq"] = source_seq
        out.append(payload)
    return out
