"""The parts of a protocol and the clinical defaults every protocol starts from.

Kept apart from the TOML loader in :mod:`kaproom.domain.protocol` so the numbers a clinician
checks (ranges, alert thresholds, checklists) read on one page.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Phase:
    id: str
    name: str
    minutes: float
    playlist: str | None = None
    description: str = ""
    auto_advance: bool = True

    @property
    def seconds(self) -> float:
        return self.minutes * 60.0


@dataclass(frozen=True)
class QuickTag:
    label: str
    key: str


@dataclass(frozen=True)
class Question:
    id: str
    text: str


@dataclass(frozen=True)
class VitalsSchedule:
    baseline_before_dose: bool = True
    after_dose_minutes: tuple[float, ...] = (40.0,)
    then_every_minutes: float = 30.0
    due_soon_minutes: float = 5.0
    #: A check-in with an urgent value brings the next check this close (minutes after it).
    recheck_after_urgent_minutes: float = 5.0


@dataclass(frozen=True)
class MusicSettings:
    crossfade_seconds: float = 6.0
    fade_in_seconds: float = 8.0
    fade_out_seconds: float = 10.0
    volume_ceiling: int = 70
    start_volume: int = 50
    duck_level: int = 15


#: Physiologically possible ranges; values outside are refused as typing mistakes.
DEFAULT_RANGES: dict[str, tuple[float, float]] = {
    "systolic": (50, 300),
    "diastolic": (20, 200),
    "pulse": (20, 250),
    "spo2": (50, 100),
    "respiratory_rate": (4, 60),
    "temperature": (30.0, 43.0),
}

#: Alert thresholds (DESIGN.md section 2). Every one is a protocol setting.
DEFAULT_ALERTS: dict[str, float] = {
    "predose_systolic_caution": 140,
    "predose_diastolic_caution": 90,
    "systolic_urgent": 180,
    "diastolic_urgent": 110,
    "systolic_caution": 160,
    "diastolic_caution": 100,
    "spo2_urgent_below": 92,
    "spo2_caution_below": 95,
    "pulse_caution_below": 50,
    "pulse_caution_above": 120,
    "respiratory_rate_urgent_below": 10,
    "respiratory_rate_caution_above": 24,
    "moaas_urgent_at_or_below": 2,
    "systolic_rise_caution_percent": 20,
    "temperature_caution_above": 38.0,
    # Low blood pressure (NEWS2 scores 90 or below as 3) and the discharge check: vitals within
    # this percentage of the pre-dose baseline and SpO2 above this on air (modified Aldrete).
    "systolic_caution_below": 90,
    "discharge_baseline_percent": 20,
    "discharge_spo2_above": 92,
    # Observation after the dose before the client may leave (the esketamine label: at least 2 h),
    # and how recent the check that discharge relies on must be (the label: vitals before the end).
    "discharge_observation_minutes": 120,
    "discharge_check_within_minutes": 30,
    # The modified Aldrete score (0-10) the discharge checklist asks for; below it, discharging
    # needs a written reason (kaproom.domain.aldrete).
    "discharge_aldrete_minimum": 9,
}

DEFAULT_QUICK_TAGS: tuple[QuickTag, ...] = (
    QuickTag("Eyeshades off", "F1"),
    QuickTag("Tearful", "F2"),
    QuickTag("Speaking", "F3"),
    QuickTag("Restless", "F4"),
    QuickTag("Nausea", "F5"),
    QuickTag("Vomited", "F6"),
    QuickTag("Bathroom, escorted", "F7"),
    QuickTag("Asleep", "F8"),
    QuickTag("Lozenge spat out", "Ctrl+1"),
    QuickTag("Lozenge swallowed", "Ctrl+2"),
)

DEFAULT_SCREENING: tuple[Question, ...] = (
    Question("psychosis", "History of psychosis or a primary psychotic disorder"),
    Question("hypertension", "Uncontrolled high blood pressure"),
    Question("bipolar", "Untreated bipolar disorder or current mania"),
    Question("substance", "Current substance use concerns"),
    Question("pregnancy", "Pregnant or possibly pregnant"),
    Question("sedatives", "Took benzodiazepines or other sedative hypnotics today"),
    Question("stimulants", "Takes psychostimulants or MAOIs"),
    Question("fasting", "Ate within the last 2 hours"),
)

#: The checklist item that the observation time since the dose answers; its words carry the
#: protocol's own minimum (``observation_item``).
OBSERVED_ITEM = "observed"


def observation_item(minutes: float) -> Question:
    return Question(OBSERVED_ITEM, f"Observed for at least {duration_words(minutes)} since the dose")


def duration_words(minutes: float) -> str:
    """120 -> '2 h', 90 -> '1 h 30 min', 45 -> '45 min'."""
    whole = round(minutes)
    hours, rest = divmod(whole, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


DEFAULT_DISCHARGE: tuple[Question, ...] = (
    observation_item(120),
    Question("vitals_baseline", "Vitals back near baseline"),
    Question("moaas_5", "MOAA/S 5: responds readily to name in normal tone"),
    Question("walks_steadily", "Walks steadily"),
    Question("nausea_ok", "No significant nausea (none or mild)"),
    Question("escort", "Escort or ride arranged and present"),
    Question("no_driving", "Told not to drive or operate machinery until the next day, after sleep"),
)


# --------------------------------------------------------------------------- further doses, medications, adverse events

@dataclass(frozen=True)
class DoseRules:
    """How many doses of the protocol's drug a session may have, and when a further one (a
    booster) may be given. The defaults allow one dose: no booster unless the clinic says so."""

    max_doses: int = 1
    #: A booster no sooner than this after the dose before it.
    min_interval_minutes: float = 30.0
    #: The phases (ids) a booster may be given in.
    booster_phases: tuple[str, ...] = ("onset", "deep")
    #: The booster's amount in mg; None: the dose as prescribed on the start page.
    booster_mg: float | None = None
    #: A booster needs a vitals check this recent before it (like the first dose's baseline).
    check_before_booster_minutes: float = 15.0
    #: RxNorm code of the protocol's drug (ketamine: 6130) for the FHIR export; '' names it in words only.
    rxnorm: str = ""


@dataclass(frozen=True)
class StandingOrder:
    """A drug the clinic's medical director has allowed the session staff to give on their own
    judgement for a named indication (a standing order), at the amount written here."""

    id: str
    name: str
    amount: float
    unit: str
    route: str
    indication: str
    #: The largest amount one administration may be; None: only ``amount``.
    max_amount: float | None = None
    #: RxNorm concept (ingredient) for the FHIR export; '' when the clinic gives none.
    rxnorm: str = ""

    @property
    def highest(self) -> float:
        return self.amount if self.max_amount is None else self.max_amount


@dataclass(frozen=True)
class AdverseEventKind:
    id: str
    label: str


#: Examples only: the clinic's medical director sets the standing orders in the protocol file.
#: RxNorm ingredient codes: ondansetron 26225, lorazepam 6470, clonidine 2599, labetalol 6185.
DEFAULT_STANDING_ORDERS: tuple[StandingOrder, ...] = (
    StandingOrder("ondansetron", "Ondansetron", 4.0, "mg", "ODT, sublingual", "nausea or vomiting", None, "26225"),
    StandingOrder("lorazepam", "Lorazepam", 0.5, "mg", "sublingual", "agitation or anxiety", 1.0, "6470"),
    StandingOrder("clonidine", "Clonidine", 0.1, "mg", "oral", "hypertension", None, "2599"),
    StandingOrder("labetalol", "Labetalol", 100.0, "mg", "oral", "hypertension", 200.0, "6185"),
)

#: The adverse events the protocol lists (any other is recorded as "other", with a description).
DEFAULT_ADVERSE_EVENT_KINDS: tuple[AdverseEventKind, ...] = (
    AdverseEventKind("nausea_vomiting", "Nausea or vomiting"),
    AdverseEventKind("hypertension", "Hypertension"),
    AdverseEventKind("emergence_reaction", "Emergence reaction or agitation"),
    AdverseEventKind("respiratory_depression", "Respiratory depression"),
    AdverseEventKind("fall", "Fall"),
    AdverseEventKind("allergic_reaction", "Allergic reaction"),
    AdverseEventKind("other", "Other"),
)

#: Adverse-event severity, mildest first (the words the record stores).
SEVERITIES: tuple[str, ...] = ("mild", "moderate", "severe", "life-threatening")
