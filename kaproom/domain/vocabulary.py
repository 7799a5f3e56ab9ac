"""The product's words for what the record holds: event kinds, how a session ended, and the
phrases built from them. One place, so the room, the review, the PDF and the CSV say the same
thing by the same word (a therapist's "amendment" is the supervisor's "amendment").
"""
from __future__ import annotations

from collections.abc import Mapping

from kaproom.domain.events import Kind
from kaproom.domain.protocol_settings import duration_words

#: What each kind of event is called, as the review's timeline names it.
KIND_NAMES: Mapping[str, str] = {
    Kind.SESSION_CREATED: "Created", Kind.SCREENING: "Screening", Kind.INTENTION: "Intention",
    Kind.PRE_DOSE: "Before the dose",
    Kind.SESSION_STARTED: "Started", Kind.SESSION_RESUMED: "Resumed", Kind.PHASE_CHANGED: "Phase",
    Kind.PHASE_EXTENDED: "Extended", Kind.NOTE: "Note", Kind.TAG: "Tag", Kind.AMENDMENT: "Amendment",
    Kind.DOSE: "Dose", Kind.MEDICATION: "Medication", Kind.MEDICATION_EFFECT: "Effect", Kind.WASTE: "Waste",
    Kind.ADVERSE_EVENT: "Adverse event", Kind.VITALS: "Vitals", Kind.SCALE: "Scale", Kind.ALERT: "Alert",
    Kind.ALERT_ACK: "Acknowledged",
    Kind.MUSIC: "Music", Kind.CLOCK_JUMP: "Clock jump", Kind.DISCHARGE_CHECK: "Discharge",
    Kind.SESSION_ENDED: "Ended", Kind.SIGNOFF: "Sign-off", Kind.VIEWED: "Viewed", Kind.EXPORTED: "Exported",
}

#: The room's log groups some kinds under one heading ("Session   Session started"), and its
#: sentence says the rest; every other kind is headed by its name.
KIND_HEADINGS: Mapping[str, str] = {
    **KIND_NAMES,
    Kind.SESSION_CREATED: "Session", Kind.SESSION_STARTED: "Session", Kind.SESSION_RESUMED: "Session",
    Kind.SESSION_ENDED: "Session", Kind.PHASE_EXTENDED: "Phase", Kind.ALERT_ACK: "Alert", Kind.CLOCK_JUMP: "Clock",
}

#: How a session ended (or that it has not), by the session's state.
OUTCOME_WORDS: Mapping[str, str] = {
    "discharged": "Discharged", "ended_early": "Ended early", "running": "Still open", "created": "Not started",
}

#: The review list's filters of the medication record, and the PDF's and CSV's section names.
HAS_ADVERSE_EVENTS = "Has adverse events"
BOOSTER_GIVEN = "Booster given"
HAS_WASTE = "Has waste"
MEDICATIONS_SECTION = "Medications"
ADVERSE_EVENTS_SECTION = "Adverse events"
#: What a dose's record says of its lot where the clinic keeps no stock register here (the PDF).
NO_LOT_WORDS = "no lot named"
#: What the emergency-services and follow-up answers are called (room, PDF, CSV).
EMS_WORDS = "Emergency services called"
FOLLOW_UP_WORDS = "Follow-up needed"

#: A discharge sooner after the dose than the protocol's observation time, in words as well as colour.
DISCHARGED_TOO_SOON = "Discharged ⚠ too soon"


def _unknown(word: str) -> str:
    return word.replace("_", " ").capitalize()


def kind_name(kind: str) -> str:
    """'Amendment' for an amendment; a kind this version does not know, in plain words."""
    return KIND_NAMES.get(kind) or _unknown(kind)


def kind_heading(kind: str) -> str:
    """The room log's heading for the kind ('Session' for a session's start and end)."""
    return KIND_HEADINGS.get(kind) or _unknown(kind)


def outcome_words(state: str) -> str:
    """'Discharged', 'Ended early', 'Still open' or 'Not started'."""
    return OUTCOME_WORDS.get(state) or _unknown(state)


def signer_words(author: str, office: str = "") -> str:
    """Who signed off: "Dr Lee", or "Dr Lee at Office 1" for a sign-off made at an office computer
    (kept in that office's chain on the clinic server, not in the session's)."""
    return f"{author} at {office}" if office else author


def short_of_protocol(short: str, minimum_minutes: float) -> str:
    """'12 min short of the protocol's 2 h'."""
    return f"{short} short of the protocol's {duration_words(minimum_minutes)}"


def shorten(text: str, limit: int = 60) -> str:
    """``text`` cut to at most ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "\u2026"


#: The stock register's movements, as the register window, ``kaproom stock`` and the inspector's
#: report name them (kaproom.domain.register.MovementKind).
MOVEMENT_WORDS: Mapping[str, str] = {
    "received": "Received", "dispensed": "Dispensed", "administered": "Administered", "wasted": "Wasted",
    "returned": "Returned to stock", "destroyed": "Destroyed", "adjusted": "Adjusted", "counted": "Counted",
    "resolved": "Discrepancy resolved",
}
#: The register's two balances per lot.
IN_STOCK, OUT_WORDS = "In stock", "Out (dispensed, not yet accounted for)"
#: A name typed on a computer without staff accounts, as the register shows it.
UNVERIFIED = "unverified"


def movement_word(kind: str) -> str:
    """'Wasted' for a waste; a movement this version does not know, in plain words."""
    return MOVEMENT_WORDS.get(kind) or _unknown(kind)


def as_recorded_by(author: str, computer: str) -> str:
    """An imported event's author, as the computer that signed it claims (never taken for a sign-in
    here): "Sam Reyes (as recorded by Room 2)"."""
    claimed = f"as recorded by {computer}"
    return f"{author} ({claimed})" if author else f"({claimed})"
