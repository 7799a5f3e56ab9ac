"""Further doses, standing-order medications, waste and adverse events: the rules a session
checks before it records them, the payloads it records, and the words the room, the review and
the exports say them in.

Which dose counts for what, once a booster has been given (``SessionState.dose_time`` is the
first dose, ``SessionState.last_dose_time`` the latest):

- **The baseline** stays the check before the *first* dose: it is the client's own values before
  any ketamine; a check before the booster is taken under the first dose's effect, so a rise
  measured against it would hide the rise the session has already had.
- **The vitals schedule** restarts its post-dose checks from the *latest* dose: blood pressure
  peaks about 40 minutes after each lozenge (the reason for the 40-minute check), so a booster
  brings its own peak, which a schedule still counting from the first dose would miss.
- **"Time since the dose"** and **the observation before discharge** count from the latest dose:
  the client has to be watched for the protocol's time after the last ketamine taken.
- **NEWS2** is scored from each check's own values and needs no dose time; what it is compared
  with (the baseline) follows the first rule.

Every refusal names the rule (the protocol setting or the record's rule) it applies, so a
therapist or a clinic editing its protocol file sees which setting said no.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kaproom.domain.clock import format_hms
from kaproom.domain.events import JSONDict, JSONMapping, stored_number
from kaproom.domain.protocol_settings import SEVERITIES, AdverseEventKind, DoseRules, StandingOrder


class RuleRefused(ValueError):
    """A medication, dose or adverse event the rules refuse; ``rule`` names the rule."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{message} (rule: {rule})")
        self.rule = rule


#: An adverse event's answers before they are checked (the room's panel, the simulator).
@dataclass(frozen=True)
class AdverseEventInput:
    kind: str
    severity: str
    onset: float | None = None  # session seconds; None: now
    actions: str = ""
    outcome: str = ""
    ems_called: bool = False
    follow_up: bool = False
    description: str = ""
    alert_seqs: tuple[int, ...] = ()


# --------------------------------------------------------------------------- further doses

def booster_refusal(rules: DoseRules, dose_times: Sequence[float], now: float, phase_id: str,
                    phase_names: Mapping[str, str]) -> RuleRefused | None:
    """Why a further dose cannot be given now (``max_doses``, ``min_interval_minutes``,
    ``booster_phases``), or None when it can. ``dose_times``: the doses so far (session seconds)."""
    if not dose_times:
        return RuleRefused("first dose", "there is no dose yet: F10 records the first dose")
    if len(dose_times) >= rules.max_doses:
        allowed = "1 dose" if rules.max_doses == 1 else f"{rules.max_doses} doses"
        return RuleRefused("max_doses", f"this protocol allows {allowed} per session and {len(dose_times)} "
                                        f"{'is' if len(dose_times) == 1 else 'are'} recorded: no further dose")
    last = max(dose_times)
    earliest = last + rules.min_interval_minutes * 60.0
    if now < earliest - 1e-6:
        return RuleRefused("min_interval_minutes", f"a further dose needs {rules.min_interval_minutes:g} min after "
                                                   f"the last one (at {format_hms(last)}): not before "
                                                   f"{format_hms(earliest)}")
    if phase_id not in rules.booster_phases:
        where = ", ".join(phase_names.get(p, p) for p in rules.booster_phases) or "no phase"
        return RuleRefused("booster_phases", f"a further dose may be given only in: {where} (the session is in "
                                             f"{phase_names.get(phase_id, phase_id) or 'no phase'})")
    return None


def dose_number(payload: JSONMapping) -> int:
    """Which dose of the session a dose event records: 1, or 2 for the first booster ..."""
    number = payload.get("number")
    return number if isinstance(number, int) and not isinstance(number, bool) and number >= 1 else 1


def dose_label(payload: JSONMapping) -> str:
    """'Dose' for the first, 'Booster (dose 2)' for a further one."""
    number = dose_number(payload)
    return "Dose" if number == 1 else f"Booster (dose {number})"


def product_words(payload: JSONMapping) -> str:
    """' (product X, lot Y)' from a dose's optional product and lot, or ''."""
    parts = [f"product {payload['product']}" if payload.get("product") else "",
             f"lot {payload['lot']}" if payload.get("lot") else ""]
    said = ", ".join(part for part in parts if part)
    return f" ({said})" if said else ""


# --------------------------------------------------------------------------- standing orders

_AMOUNT = r"\s*(\d{1,5}(?:[.,]\d{1,3})?)\s*([a-zA-Zµ]*)\s*"


def parse_amount(text: str, unit: str) -> float:
    """'4', '4 mg', '0,5mg' -> 4.0, 4.0, 0.5. A different unit than the order's is refused."""
    match = re.fullmatch(_AMOUNT, text)
    if match is None:
        raise RuleRefused("amount", f"type the amount as a number, e.g. 4 or 4 {unit} (you typed "
                                    f"{text.strip()[:30]!r})")
    typed_unit = match.group(2)
    if typed_unit and typed_unit.lower() != unit.lower():
        raise RuleRefused("amount", f"this standing order is in {unit}, not {typed_unit}")
    return float(match.group(1).replace(",", "."))


def medication_payload(orders: Sequence[StandingOrder], name: str, amount: float | None, reason: str,
                       effective_time: float, route: str = "") -> JSONDict:
    """A ``medication`` event's payload for standing order ``name`` (id or name), checked: an
    unknown drug, an amount of 0 or above the order's highest, and an empty reason are refused."""
    order = next((o for o in orders if name.strip().lower() in (o.id.lower(), o.name.lower())), None)
    if order is None:
        known = ", ".join(o.id for o in orders) or "none"
        raise RuleRefused("standing_orders", f"'{name.strip()[:40]}' is not one of this protocol's standing orders "
                                             f"({known})")
    given = order.amount if amount is None else amount
    if not 0 < given <= order.highest + 1e-9:
        most = f"{order.highest:g} {order.unit}"
        raise RuleRefused("standing_orders", f"{order.name} {given:g} {order.unit} is outside the standing order "
                                             f"(above 0, at most {most})")
    payload: JSONDict = {"medication": order.id, "name": order.name, "amount": given, "unit": order.unit,
                         "route": route.strip() or order.route, "reason": reason.strip() or order.indication,
                         "effective_time": round(effective_time, 3)}
    if order.rxnorm:
        payload["rxnorm"] = order.rxnorm
    return payload


def medication_words(payload: JSONMapping) -> str:
    """'Ondansetron 4 mg ODT, sublingual, for nausea or vomiting'."""
    amount = stored_number(payload.get("amount"))
    head = " ".join(part for part in (str(payload.get("name") or payload.get("medication") or "medication"),
                                      "" if amount is None else f"{amount:g} {payload.get('unit') or ''}".strip(),
                                      str(payload.get("route") or "")) if part)
    reason = str(payload.get("reason") or "")
    return f"{head}, for {reason}" if reason else head


# --------------------------------------------------------------------------- waste

def waste_payload(amount_mg: float | None, witness: str, author: str, reason: str, effective_time: float,
                  dose_seq: int | None = None, product: str = "", lot: str = "", *, witness_verified: bool = False,
                  units: float | None = None) -> JSONDict:
    """A ``waste`` event: what of the dose was not taken (spat out, left over), witnessed. A waste
    without a witness, or witnessed by the person recording it, is refused. The witness is a
    typed name, which the record marks unverified, unless a second staff member signed in with
    their own PIN (``witness_verified``). ``units``: of the lot's product, where the stock
    register holds the lot."""
    witness = witness.strip()
    if not witness:
        raise RuleRefused("witness", "a waste needs a witness: type the second staff member's name")
    if witness.casefold() == author.strip().casefold():
        raise RuleRefused("witness", "the witness must be another person than the one recording the waste")
    if amount_mg is not None and not 0 < amount_mg <= 2000:
        raise RuleRefused("amount", f"the amount wasted must be above 0 and at most 2000 mg (you typed {amount_mg:g})")
    payload: JSONDict = {"witness": witness, "witness_verified": bool(witness_verified),
                         "reason": reason.strip() or "not taken",
                         "effective_time": round(effective_time, 3)}
    if amount_mg is not None:
        payload["amount_mg"] = amount_mg
    if dose_seq is not None:
        payload["dose_seq"] = dose_seq
    if product:
        payload["product"] = product
    if lot:
        payload["lot"] = lot
    if units is not None:
        payload["units"] = units
    return payload


def waste_words(payload: JSONMapping) -> str:
    """'20 mg wasted (spat out), witnessed by R. Lee (typed name, unverified)'."""
    amount = stored_number(payload.get("amount_mg"))
    verified = " (signed in)" if payload.get("witness_verified") else " (typed name, unverified)"
    what = f"{amount:g} mg wasted" if amount is not None else "Waste"
    return (f"{what}{product_words(payload)} ({payload.get('reason') or 'not taken'}), witnessed by "
            f"{payload.get('witness') or '?'}{verified}")


# --------------------------------------------------------------------------- adverse events

def adverse_event_payload(kinds: Sequence[AdverseEventKind], answers: AdverseEventInput, now: float) -> JSONDict:
    """An ``adverse_event`` payload, checked: the kind (from the protocol's list) and the severity
    are required, "other" needs a description, and the onset lies between the start and now."""
    if not answers.kind.strip():
        raise RuleRefused("adverse event kind", "an adverse event needs its kind: choose one from the list")
    kind = next((k for k in kinds if answers.kind.strip().lower() in (k.id.lower(), k.label.lower())), None)
    if kind is None:
        raise RuleRefused("adverse event kind", f"'{answers.kind.strip()[:40]}' is not one of the protocol's adverse "
                                                f"events ({', '.join(k.id for k in kinds)})")
    if not answers.severity.strip():
        raise RuleRefused("severity", f"an adverse event needs its severity: {', '.join(SEVERITIES)}")
    severity = answers.severity.strip().lower()
    if severity not in SEVERITIES:
        raise RuleRefused("severity", f"'{answers.severity.strip()[:30]}' is not a severity ({', '.join(SEVERITIES)})")
    if kind.id == "other" and not answers.description.strip():
        raise RuleRefused("adverse event kind", "an adverse event of kind 'other' needs a description of what happened")
    onset = now if answers.onset is None else answers.onset
    if not 0.0 <= onset <= now + 1e-6:
        raise RuleRefused("onset", f"the onset must be between 0:00:00 and now ({format_hms(now)})")
    payload: JSONDict = {"kind": kind.id, "label": kind.label, "severity": severity, "onset": round(onset, 3),
                         "actions": answers.actions.strip(), "outcome": answers.outcome.strip(),
                         "ems_called": bool(answers.ems_called), "follow_up": bool(answers.follow_up)}
    if answers.description.strip():
        payload["description"] = answers.description.strip()
    if answers.alert_seqs:
        payload["alert_seqs"] = list(answers.alert_seqs)
    return payload


def adverse_event_words(payload: JSONMapping) -> str:
    """'Hypertension, moderate, onset 1:02:00; actions: clonidine 0.1 mg; outcome: resolved;
    emergency services not called; follow-up needed'."""
    onset = stored_number(payload.get("onset"))
    head = ", ".join(part for part in (str(payload.get("label") or payload.get("kind") or "adverse event"),
                                       str(payload.get("severity") or ""),
                                       "" if onset is None else f"onset {format_hms(onset)}") if part)
    parts = [head]
    if payload.get("description"):
        parts.append(str(payload["description"]))
    if payload.get("actions"):
        parts.append(f"actions: {payload['actions']}")
    if payload.get("outcome"):
        parts.append(f"outcome: {payload['outcome']}")
    parts.append("emergency services called" if payload.get("ems_called") else "emergency services not called")
    parts.append("follow-up needed" if payload.get("follow_up") else "no follow-up needed")
    return "; ".join(parts)
