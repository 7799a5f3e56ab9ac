"""Discharge readiness: the protocol's checklist, pre-filled from what the record already knows.

The latest vitals can say whether they are back near the pre-dose baseline (blood pressure and
pulse within 20 % of it and SpO2 above 92 % on air, after the modified Aldrete score), whether
MOAA/S is 5 and whether nausea is none or mild. Walking, the escort and the no-driving talk can
only be confirmed in person, so they start unticked. The therapist decides: a pre-fill is a
suggestion with its basis in words, and discharging with an item unticked needs a written
reason, which is recorded.

Pre-fills are matched by the item ids of the default checklist; a clinic's own items are shown
without a suggestion.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kaproom.domain.aldrete import Aldrete
from kaproom.domain.clock import format_hms
from kaproom.domain.events import JSONDict
from kaproom.domain.protocol_settings import DEFAULT_ALERTS, OBSERVED_ITEM, Question, duration_words
from kaproom.domain.vitals_reading import MOAAS, Reading

VOMIT_WORDS = ("vomit",)


class DischargeError(ValueError):
    """A discharge that cannot be recorded as it stands (e.g. unticked items without a reason)."""


@dataclass(frozen=True)
class Prefill:
    item_id: str
    text: str
    suggested: bool | None  # True: data supports ticking; False: data says not yet; None: confirm in person
    basis: str


def _near_baseline(latest: Reading, baseline: Reading | None, limits: Mapping[str, float]) -> tuple[bool | None, str]:
    if baseline is None:
        return None, "no pre-dose baseline recorded: compare by judgement"
    percent = limits["discharge_baseline_percent"]
    compared, off = [], []
    for name, label in (("systolic", "systolic"), ("diastolic", "diastolic"), ("pulse", "pulse")):
        now, before = getattr(latest, name), getattr(baseline, name)
        if now is None or not before:
            continue
        compared.append(label)
        change = (now - before) / before * 100.0
        if abs(now - before) * 100.0 > percent * before:  # exact at the edge, no float rounding
            off.append(f"{label} {now} vs {before} ({change:+.0f} %)")
    if latest.spo2 is not None:
        compared.append("SpO2")
        floor = limits["discharge_spo2_above"]
        if latest.spo2 <= floor or latest.supplemental_oxygen:
            off.append(f"SpO2 {latest.spo2} %"
                       + (" on oxygen" if latest.supplemental_oxygen else f" (needs above {floor:g})"))
    if not compared:
        return None, "the latest check has no blood pressure, pulse or SpO2 to compare"
    if off:
        return False, "not yet: " + "; ".join(off)
    return True, f"{', '.join(compared)} within {percent:g} % of baseline" + (
        f", SpO2 above {limits['discharge_spo2_above']:g} %" if "SpO2" in compared else "")


def observation_words(observed_minutes: float, minimum: float) -> tuple[str, str]:
    """The time observed after the dose in words (whole minutes, rounded down: '1 h 48 min') and,
    when it is short of ``minimum``, by how much (rounded up, at least '1 min'); '' when it is not.
    The checklist, the report and the review list all judge the observation by this."""
    shortfall = "" if observed_minutes + 1e-9 >= minimum else \
        duration_words(max(1, math.ceil(minimum - observed_minutes)))
    return duration_words(math.floor(observed_minutes)), shortfall


def _observed(dose_time: float | None, now: float, minimum: float) -> tuple[bool | None, str]:
    if dose_time is None:
        return None, "no dose recorded: confirm the observation time in person"
    observed, short = observation_words(max(0.0, now - dose_time) / 60.0, minimum)
    since = f"{observed} since the dose at {format_hms(dose_time)}"
    return (False, f"not yet: {since}; {short} to go") if short else (True, since)


def prefill_checklist(checklist: Sequence[Question], latest: Reading | None, latest_time: float | None,
                      baseline: Reading | None, tags: Sequence[tuple[float, str]], now: float,
                      alerts: Mapping[str, float] | None = None, dose_time: float | None = None) -> list[Prefill]:
    """One Prefill per checklist item, in the protocol's order.

    A check taken before the dose says nothing about recovery from it (it is the baseline itself,
    and would always read as "back near baseline"), and one from long ago says nothing about now:
    with no check since the dose, or none in the last ``discharge_check_within_minutes``, the
    vitals items suggest nothing and ask for a check first."""
    limits = dict(DEFAULT_ALERTS) | dict(alerts or {})
    no_vitals = "no vitals recorded in this session"
    within = limits["discharge_check_within_minutes"]
    if latest is not None and latest_time is not None and dose_time is not None and latest_time <= dose_time:
        latest = None
        no_vitals = (f"no check since the dose (the latest, at {format_hms(latest_time)}, was before it): "
                     "take vitals (F9)")
    elif latest is not None and latest_time is not None and now - latest_time > within * 60:
        latest = None
        no_vitals = (f"the latest check was {duration_words(math.floor((now - latest_time) / 60))} ago: take vitals "
                     f"before discharge (F9; within {duration_words(within)})")
    when = ""
    if latest is not None and latest_time is not None:
        when = f" (check at {format_hms(latest_time)}, {max(0, int((now - latest_time) // 60))} min ago)"
    vomited = [at for at, label in tags if any(word in label.lower() for word in VOMIT_WORDS)
               and (latest_time is None or at >= latest_time)]
    out: list[Prefill] = []
    for item in checklist:
        suggested: bool | None = None
        basis = "confirm in person"
        if latest is None and item.id in ("vitals_baseline", "moaas_5", "nausea_ok"):
            basis = no_vitals
        elif item.id == "vitals_baseline" and latest is not None:
            suggested, basis = _near_baseline(latest, baseline, limits)
            basis += when
        elif item.id == "moaas_5" and latest is not None:
            if latest.moaas is None:
                basis = "MOAA/S not taken at the latest check"
            else:
                suggested = latest.moaas == 5
                basis = f"MOAA/S {latest.moaas}: {MOAAS[latest.moaas]}{when}"
        elif item.id == "nausea_ok" and latest is not None:
            if latest.nausea is not None:
                suggested = latest.nausea in ("none", "mild")
                basis = f"nausea {latest.nausea}{when}"
            else:
                basis = "nausea not recorded at the latest check"
        if item.id == OBSERVED_ITEM:
            suggested, basis = _observed(dose_time, now, limits["discharge_observation_minutes"])
        if item.id == "nausea_ok" and vomited:
            suggested, basis = False, f"vomited tagged at {format_hms(vomited[-1])}, after the latest check"
        out.append(Prefill(item.id, item.text, suggested, basis))
    return out


def unticked(checklist: Sequence[Question], ticks: Mapping[str, bool]) -> list[Question]:
    return [item for item in checklist if not ticks.get(item.id, False)]


def discharge_details(checklist: Sequence[Question], ticks: Mapping[str, bool], ready_to_leave_at: str,
                      override_reason: str = "", aldrete: Aldrete | None = None,
                      aldrete_record: JSONDict | None = None) -> JSONDict:
    """The ``discharge_check`` payload (also merged into ``session_ended``).

    Raises DischargeError when an item is unticked and no reason is written, when the modified
    Aldrete score is below the protocol's minimum (or can no longer reach it) and no reason is
    written, or when the ready-to-leave time is missing. ``aldrete_record`` is the score as
    stored (see :func:`kaproom.domain.aldrete.aldrete_payload`).
    """
    reason = override_reason.strip()
    missing = unticked(checklist, ticks)
    low = aldrete is not None and aldrete.below_minimum
    if (missing or low) and not reason:
        problems = [f"Unticked: {'; '.join(item.text for item in missing)}"] if missing else []
        if aldrete is not None and low:
            problems.append(f"Modified Aldrete {aldrete.total} is below the protocol's minimum of {aldrete.minimum:g}"
                            if aldrete.complete else
                            f"Modified Aldrete can reach at most {aldrete.highest_possible}, below the protocol's "
                            f"minimum of {aldrete.minimum:g}")
        fix = "or tick them" if missing else "or correct the score"
        raise DischargeError(f"{'. '.join(problems)}. Write why the client may leave anyway, {fix}.")
    if not ready_to_leave_at.strip():
        raise DischargeError("Record when the client was ready to leave.")
    details: JSONDict = {"checklist": {item.id: bool(ticks.get(item.id, False)) for item in checklist},
                         "ready_to_leave_at": ready_to_leave_at.strip()}
    if aldrete_record is not None:
        details["aldrete"] = aldrete_record
    if low:
        details["aldrete_below_minimum"] = True
    if missing:
        details["override_reason"] = reason
        details["unticked"] = [item.id for item in missing]
    elif reason:
        details["override_reason"] = reason  # a note the therapist chose to add is never dropped
    return details


def discharge_readiness(dose_time: float | None, check_times: Sequence[float], now: float,
                        alerts: Mapping[str, float] | None = None) -> str:
    """What the headline says once the last phase's time is up, in the clinical order: first the
    observation after the dose ("observe until 2:11 (2 h after the dose)"), then a check since the
    dose and recent enough ("vitals needed before discharge"), and only then "ready for the
    discharge checklist". Never an invitation to discharge before the record supports it."""
    limits = dict(DEFAULT_ALERTS) | dict(alerts or {})
    minimum = limits["discharge_observation_minutes"]
    if dose_time is not None and now - dose_time < minimum * 60 - 1e-6:
        until = format_hms(math.ceil((dose_time + minimum * 60) / 60) * 60)[:-3]  # h:mm, never early
        return f"observe until {until} ({duration_words(minimum)} after the dose)"
    since = [t for t in check_times if dose_time is None or t > dose_time]
    if not since or now - max(since) > limits["discharge_check_within_minutes"] * 60:
        return "vitals needed before discharge (F9)"
    if dose_time is None:
        return "no dose recorded; ready for the discharge checklist (Ctrl+Shift+D)"
    return "ready for the discharge checklist (Ctrl+Shift+D)"
