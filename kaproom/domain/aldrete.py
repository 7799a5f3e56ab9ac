"""The modified Aldrete score at discharge (Aldrete 1995, with SpO2 in place of colour).

Five items of 0-2 points, 10 at most. Three come from the record where it can say: oxygen
saturation from the latest check after the dose (on air or on oxygen), circulation from its
systolic pressure against *the* baseline (:func:`kaproom.domain.vitals.baseline_check_in`, the
one definition), consciousness from the latest MOAA/S or RASS, whichever was taken last. Activity
and respiration can only be judged in person: the therapist enters them, and may correct any
item the record suggested. The protocol's minimum (``discharge_aldrete_minimum``, 9 by default)
joins the discharge checklist: a complete score below it, or one that can no longer reach it
whatever is entered, needs a written reason to discharge, as an unticked item does. The score
is advisory (DESIGN.md section 8: not validated for ketamine sessions).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kaproom.domain.events import JSONDict
from kaproom.domain.protocol_settings import DEFAULT_ALERTS
from kaproom.domain.vitals_reading import Reading

ADVISORY = "Modified Aldrete score: advisory, not validated for ketamine sessions."

#: (item id, label, words by points): the published criteria, as the panel and the report show them.
ITEMS: tuple[tuple[str, str, Mapping[int, str]], ...] = (
    ("activity", "Activity", {2: "moves four limbs voluntarily or on command", 1: "moves two limbs",
                              0: "unable to move limbs"}),
    ("respiration", "Respiration", {2: "breathes deeply and coughs freely", 1: "short of breath or shallow breathing",
                                    0: "apnoeic"}),
    ("circulation", "Circulation", {2: "BP within 20 % of baseline", 1: "BP 20-49 % from baseline",
                                    0: "BP 50 % or more from baseline"}),
    ("consciousness", "Consciousness", {2: "fully awake", 1: "arousable on calling", 0: "not responding"}),
    ("oxygen", "O2 saturation", {2: "SpO2 above 92 % on room air", 1: "needs oxygen to keep SpO2 above 90 %",
                                 0: "SpO2 90 % or below even with oxygen"}),
)
ITEM_IDS = tuple(item_id for item_id, _, _ in ITEMS)
LABELS = {item_id: label for item_id, label, _ in ITEMS}
WORDS = {item_id: words for item_id, _, words in ITEMS}
IN_PERSON = ("activity", "respiration")


@dataclass(frozen=True)
class AldreteItem:
    id: str
    label: str
    points: int | None  # None: not known from the record, to be entered
    basis: str
    from_record: bool


@dataclass(frozen=True)
class Aldrete:
    """A score, complete or not, against the protocol's minimum."""

    points: Mapping[str, int]
    minimum: float

    @property
    def complete(self) -> bool:
        return all(item in self.points for item in ITEM_IDS)

    @property
    def total(self) -> int:
        return sum(self.points.values())

    @property
    def highest_possible(self) -> int:
        return self.total + 2 * sum(1 for item in ITEM_IDS if item not in self.points)

    @property
    def below_minimum(self) -> bool:
        """Complete and under the minimum, or unable to reach it whatever is still to be entered."""
        return self.highest_possible < self.minimum

    def words(self) -> str:
        if self.complete:
            return f"Modified Aldrete {self.total} of 10 (minimum {self.minimum:g})"
        missing = ", ".join(LABELS[i].lower() for i in ITEM_IDS if i not in self.points)
        return f"Modified Aldrete not complete ({self.total} so far; {missing} not scored)"


def _spo2(latest: Reading, limits: Mapping[str, float]) -> tuple[int, str]:
    floor = limits["discharge_spo2_above"]
    spo2 = latest.spo2
    assert spo2 is not None
    if latest.supplemental_oxygen:
        return (1, f"SpO2 {spo2} % on oxygen") if spo2 > 90 else (0, f"SpO2 {spo2} % even on oxygen")
    if spo2 > floor:
        return 2, f"SpO2 {spo2} % on room air"
    if spo2 > 90:
        return 1, f"SpO2 {spo2} % on room air (not above {floor:g}: would need oxygen)"
    return 0, f"SpO2 {spo2} % on room air"


def _circulation(latest: Reading, baseline: Reading | None, limits: Mapping[str, float]) -> tuple[int | None, str]:
    if baseline is None or not baseline.systolic:
        return None, "no pre-dose baseline with blood pressure: judge in person"
    if latest.systolic is None:
        return None, "the latest check has no blood pressure"
    band = limits["discharge_baseline_percent"]
    change = abs(latest.systolic - baseline.systolic) * 100.0
    words = f"systolic {latest.systolic} vs baseline {baseline.systolic} " \
            f"({(latest.systolic - baseline.systolic) / baseline.systolic * 100:+.0f} %)"
    if change <= band * baseline.systolic:  # exact at the edge, as the checklist's "back near baseline"
        return 2, words
    if change < 50 * baseline.systolic:
        return 1, words
    return 0, words


def _consciousness(moaas: tuple[float, int] | None, rass: tuple[float, int] | None) -> tuple[int | None, str]:
    """From whichever was taken last: MOAA/S 5 awake, 3-4 arousable on calling, 0-2 not responding
    to voice; RASS 0 or above awake, -1 to -3 arousable to voice, -4 and -5 not responding."""
    if moaas is None and rass is None:
        return None, "no MOAA/S or RASS since the dose"
    if rass is not None and (moaas is None or rass[0] >= moaas[0]):
        level = rass[1]
        points = 2 if level >= 0 else 1 if level >= -3 else 0
        return points, f"RASS {level:+d}" if level else "RASS 0"
    assert moaas is not None
    level = moaas[1]
    return (2 if level == 5 else 1 if level >= 3 else 0), f"MOAA/S {level}"


def aldrete_from_record(latest: Reading | None, baseline: Reading | None, *, moaas: tuple[float, int] | None = None,
                        rass: tuple[float, int] | None = None,
                        alerts: Mapping[str, float] | None = None) -> list[AldreteItem]:
    """The five items, those the record can answer filled in with their basis in words.

    ``latest`` is the latest check after the dose (None when there is none); ``baseline`` the
    baseline's values; ``moaas`` and ``rass`` the latest (session time, level) of each since the dose."""
    limits = dict(DEFAULT_ALERTS) | dict(alerts or {})
    found: dict[str, tuple[int | None, str]] = {item: (None, "judge in person") for item in IN_PERSON}
    if latest is None:
        found["circulation"] = (None, "no check since the dose: take vitals (F9)")
        found["oxygen"] = (None, "no check since the dose: take vitals (F9)")
    else:
        found["circulation"] = _circulation(latest, baseline, limits)
        found["oxygen"] = _spo2(latest, limits) if latest.spo2 is not None else (None, "SpO2 not taken")
    found["consciousness"] = _consciousness(moaas, rass)
    return [AldreteItem(item, LABELS[item], found[item][0], found[item][1],
                        item not in IN_PERSON and found[item][0] is not None) for item in ITEM_IDS]


def parse_points(text: str) -> int | str | None:
    """'0', '1' or '2' as points; '' as None; anything else as the message to show."""
    text = text.strip()
    if not text:
        return None
    if text in ("0", "1", "2"):
        return int(text)
    return "type 0, 1 or 2"


def aldrete_payload(score: Aldrete, items: Sequence[AldreteItem]) -> JSONDict:
    """``aldrete`` in the discharge_check and session_ended payloads (see ``Kind``)."""
    bases = {item.id: item for item in items}
    out: JSONDict = {"total": score.total, "complete": score.complete, "minimum": score.minimum,
                     "items": {}}
    for item_id in ITEM_IDS:
        if item_id not in score.points:
            continue
        suggested = bases.get(item_id)
        entry: JSONDict = {"points": score.points[item_id]}
        if suggested is not None and suggested.points is not None:
            entry["record"] = suggested.points
            entry["basis"] = suggested.basis
        out["items"][item_id] = entry
    return out


def minimum_of(alerts: Mapping[str, float] | None) -> float:
    return (dict(DEFAULT_ALERTS) | dict(alerts or {}))["discharge_aldrete_minimum"]
