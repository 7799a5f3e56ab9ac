"""The dose in the record, beyond its moment (``SessionRunner.give_dose``).

How it ended: a lozenge spat out or swallowed changes how much ketamine was taken, and is easily
forgotten once the client lies back with eyeshades on. The protocol names the quick tags that
record it (``dose_end_tags``); the room asks for one when the session leaves the dose phase
without it.

How much: the dose as prescribed, typed on the start page (in milligrams), goes into the
session's first event and from there onto the dose event.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from kaproom.domain.clock import format_hms
from kaproom.domain.events import JSONMapping, stored_number
from kaproom.domain.vitals_rules import RULES

if TYPE_CHECKING:  # only named in hints: the store reads doses too, and must not load the protocol parser
    from kaproom.domain.protocol import Protocol


def ends_the_dose(protocol: Protocol, label: str) -> bool:
    """Whether a quick tag with this label records how the dose ended."""
    return label in protocol.dose_end_tags


def ends_with_waste(protocol: Protocol, label: str) -> bool:
    """Whether a quick tag says the dose ended with part of it not taken ("Lozenge spat out"): the
    room then asks for the waste and its witness."""
    return ends_the_dose(protocol, label) and "spat" in label.casefold()


def dose_end_question(protocol: Protocol) -> str:
    """'How did the dose end? Ctrl+1 lozenge spat out, Ctrl+2 lozenge swallowed.' ('' if the protocol names none)."""
    keys = [f"{tag.key} {tag.label.lower()}" for tag in protocol.quick_tags if ends_the_dose(protocol, tag.label)]
    return f"How did the dose end? {', '.join(keys)}." if keys else ""


def asks_how_the_dose_ended(protocol: Protocol, phase_change: JSONMapping, dose_end_recorded: bool) -> bool:
    """A phase change out of the dose phase, with no tag yet saying how the dose ended."""
    return (bool(protocol.dose_end_tags) and not dose_end_recorded
            and phase_change.get("from") == protocol.dose_phase and phase_change.get("to") != protocol.dose_phase)


#: Typed doses outside this are refused as a slip of the keyboard (a lost or an extra digit); the
#: prescription itself is the prescriber's, not a limit of this app.
DOSE_MG_RANGE = (1.0, 2000.0)
#: Compiled on first use (re caches it), not at import: the session engine loads this module at start-up.
_DOSE = r"\s*(\d{1,5}(?:[.,]\d{1,3})?)\s*(?:mg)?\s*"


def parse_dose_mg(text: str) -> float | None:
    """The prescribed dose typed on the start page: '300', '300 mg', '62,5mg' -> milligrams;
    '' -> None (not recorded). Anything else raises ValueError saying what is accepted."""
    if not text.strip():
        return None
    match = re.fullmatch(_DOSE, text, re.IGNORECASE)
    low, high = DOSE_MG_RANGE
    if match is None:
        raise ValueError(f"Dose: type milligrams as a number, e.g. 300 or 300 mg (you typed {text.strip()[:40]!r})")
    value = float(match.group(1).replace(",", "."))
    if not low <= value <= high:
        raise ValueError(f"Dose {value:g} mg is outside {low:g}-{high:g} mg: check the number")
    return value


def dose_concerns(check: JSONMapping | None) -> list[str]:
    """What the last check-in before the dose says against dosing now, in its own words: every
    urgent value, and blood pressure outside the protocol's limits before the dose ("consider
    whether to dose"). Empty when there is no such check or nothing in it. F10 asks before it
    records a dose over these, and the dose keeps them (``despite``)."""
    if not check:
        return []
    statuses = check.get("statuses")
    if not isinstance(statuses, Mapping):
        return []
    order = list(RULES)  # the monitor's order
    found = []
    for field in sorted(statuses, key=lambda name: order.index(name) if name in order else len(order)):
        status = statuses[field]
        if not isinstance(status, Mapping):
            continue
        level, reason = status.get("level"), str(status.get("reason") or field)
        if level == "urgent" or (level == "caution" and field in ("systolic", "diastolic")):
            found.append(reason)
    return found


def prescribed_words(created: JSONMapping) -> str:
    """'; dose as prescribed 300 mg' from a session_created payload ('' when none was typed)."""
    amount = stored_number(created.get("prescribed_dose_mg"))
    return "" if amount is None else f"; dose as prescribed {amount:g} mg"


def dose_words(payload: JSONMapping) -> str:
    """'300 mg sublingual ketamine lozenge' from a dose event's payload (either part may be missing)."""
    amount = stored_number(payload.get("amount_mg"))
    parts = ["" if amount is None else f"{amount:g} mg", str(payload.get("route") or "")]
    return " ".join(part for part in parts if part)


def given_despite(payload: JSONMapping) -> list[str]:
    """The concerns a dose was given over (``despite``), as stored; [] when none or unreadable."""
    despite = payload.get("despite")
    return [str(reason) for reason in despite] if isinstance(despite, list) else []


def dose_remarks(payload: JSONMapping) -> str:
    """' (given at 0:21:00, recorded later; no baseline vitals)', any part alone, or ''; a dose
    given over the last check's concerns says so: '; given despite: systolic 186 mmHg ...'."""
    at = stored_number(payload.get("effective_time"))
    despite = given_despite(payload)
    parts = [f"given at {format_hms(at)}, recorded later" if payload.get("recorded_late") and at is not None else "",
             "no baseline vitals" if payload.get("without_baseline") else "",
             f"given despite: {', '.join(despite)}" if despite else ""]
    said = "; ".join(part for part in parts if part)
    return f" ({said})" if said else ""


_SESSION_TIME = r"\s*(\d{1,2}):([0-5]\d)(?::([0-5]\d))?\s*"


def parse_session_time(text: str) -> float:
    """'0:21' or '0:21:30' (hours:minutes[:seconds] of session time, as the clock shows it) ->
    seconds. Raises ValueError saying what to type."""
    match = re.fullmatch(_SESSION_TIME, text)
    if match is None:
        raise ValueError(f"Type the session time as the clock shows it, e.g. 0:21 (you typed {text.strip()[:20]!r})")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600.0 + minutes * 60.0 + seconds
