"""FHIR R4 export: a collection Bundle with the client, the session, one MedicationAdministration
per administration (every dose, a booster too, and every standing-order medication, coded in
RxNorm where the protocol gives the code), an AdverseEvent per adverse event, one Observation per
vital (category "vital-signs"), and in the category "survey" an Observation per MOAA/S level, per
NEWS2 total, per rating and per fasting time (see the sections below for their codes).

Written from plain dicts (no FHIR library at run time); the tests check it with a standard FHIR
library. The client appears only by the clinic's code (no name), as everywhere in KAP Room. Codes
are LOINC, units UCUM; resource ids are derived from the session id and event number, so the same
session exported twice gives the same ids and a receiving system can recognise repeats.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from kaproom.domain.clock import from_iso, to_iso
from kaproom.domain.dose import given_despite
from kaproom.domain.events import Kind, RecordedEvent, stored_number
from kaproom.domain.medication import dose_label, dose_number
from kaproom.domain.pre_dose import recorded_facts
from kaproom.export.report_data import SessionReport, VitalsRow
from kaproom.export.scale_rows import scale_rows

LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
AE_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
AE_SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
#: KAP Room's own answers on an adverse event, which FHIR R4's AdverseEvent has no element for.
AE_EXTENSION = "urn:kaproom:adverse-event:"
UCUM = "http://unitsofmeasure.org"
CATEGORY = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "vital-signs", "display": "Vital Signs"}], "text": "Vital Signs"}
CLIENT_CODE_SYSTEM = "urn:kaproom:client-code"
SESSION_SYSTEM = "urn:kaproom:session"
INTERPRETATION = {  # KAP Room status -> HL7 v3 ObservationInterpretation
    "ok": ("N", "Normal"), "normal": ("N", "Normal"), "caution": ("A", "Abnormal"),
    "urgent": ("AA", "Critical abnormal"),
}
ENCOUNTER_STATUS = {"discharged": "finished", "ended_early": "finished", "running": "in-progress", "created": "planned"}

PROFILE = "http://hl7.org/fhir/StructureDefinition/"
PROFILES = {"bp": "bp", "pulse": "heartrate", "spo2": "oxygensat", "respiratory_rate": "resprate",
            "temperature": "bodytemp"}

#: (status field, LOINC codes with displays, text, UCUM unit code, unit shown, value getter)
SIMPLE_VITALS: tuple[tuple[str, tuple[tuple[str, str], ...], str, str, str, Callable[[VitalsRow], Any]], ...] = (
    ("pulse", (("8867-4", "Heart rate"),), "Pulse", "/min", "beats/minute", lambda r: r.pulse),
    ("spo2", (("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
              ("2708-6", "Oxygen saturation in Arterial blood")), "SpO2", "%", "%", lambda r: r.spo2),
    ("respiratory_rate", (("9279-1", "Respiratory rate"),), "Respiratory rate", "/min", "breaths/minute",
     lambda r: r.respiratory_rate),
    ("temperature", (("8310-5", "Body temperature"),), "Body temperature", "Cel", "°C", lambda r: r.temperature),
)


def _uuid(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "kaproom:" + ":".join(str(p) for p in parts)))


def _quantity(value: float, code: str, unit: str) -> dict[str, Any]:
    number: int | float = int(value) if float(value).is_integer() else round(float(value), 2)
    return {"value": number, "unit": unit, "system": UCUM, "code": code}


def _code(codes: tuple[tuple[str, str], ...], text: str) -> dict[str, Any]:
    return {"coding": [{"system": LOINC, "code": code, "display": display} for code, display in codes], "text": text}


def _interpretation(level: str) -> list[dict[str, Any]] | None:
    found = INTERPRETATION.get(level)
    if not found:
        return None
    return [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                         "code": found[0], "display": found[1]}]}]


def _observation(report: SessionReport, row: VitalsRow, key: str, code: dict[str, Any], refs: dict[str, str],
                 amended: bool) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation", "id": _uuid(report.header.uid, row.seq, key),
        "identifier": [{"system": SESSION_SYSTEM, "value": f"{report.header.uid}/{row.seq}/{key}"}],
        "status": "amended" if amended else "final", "category": [CATEGORY], "code": code,
        "subject": {"reference": refs["patient"]}, "encounter": {"reference": refs["encounter"]},
        "effectiveDateTime": row.wall_time,
    }
    if key in PROFILES:
        resource["meta"] = {"profile": [PROFILE + "vitalsigns", PROFILE + PROFILES[key]]}
    if row.author:
        resource["performer"] = [{"display": row.author}]
    return resource


def _vitals_observations(report: SessionReport, refs: dict[str, str]) -> list[dict[str, Any]]:
    amended = {t.seq for t in report.timeline if t.amended_by}
    out: list[dict[str, Any]] = []
    for row in report.vitals:
        is_amended = row.seq in amended
        if row.systolic is not None or row.diastolic is not None:
            panel = _code((("85354-9", "Blood pressure panel with all children optional"),), "Blood pressure")
            bp = _observation(report, row, "bp", panel, refs, is_amended)
            components = []
            halves: tuple[tuple[float | None, tuple[tuple[str, str], ...], str, str], ...] = (
                (row.systolic, (("8480-6", "Systolic blood pressure"),), "Systolic", "systolic"),
                (row.diastolic, (("8462-4", "Diastolic blood pressure"),), "Diastolic", "diastolic"))
            for value, codes, text, name in halves:
                if value is None:
                    continue
                component: dict[str, Any] = {"code": _code(codes, text),
                                             "valueQuantity": _quantity(value, "mm[Hg]", "mmHg")}
                interpretation = _interpretation(row.statuses.get(name, ""))
                if interpretation:
                    component["interpretation"] = interpretation
                components.append(component)
            bp["component"] = components
            if len(components) < 2:  # the FHIR bp profile needs both values; claim only what holds
                bp.pop("meta", None)
            out.append(bp)
        for key, codes, text, unit_code, unit, getter in SIMPLE_VITALS:
            value = getter(row)
            if value is None:
                continue
            obs = _observation(report, row, key, _code(codes, text), refs, is_amended)
            obs["valueQuantity"] = _quantity(value, unit_code, unit)
            interpretation = _interpretation(row.statuses.get(key, ""))
            if interpretation:
                obs["interpretation"] = interpretation
            if key == "spo2" and row.supplemental_oxygen:
                obs["note"] = [{"text": "On supplemental oxygen"}]
            out.append(obs)
    return out


def _rxnorm(code: str, text: str) -> dict[str, Any]:
    concept: dict[str, Any] = {"text": text}
    if code:
        concept["coding"] = [{"system": RXNORM, "code": code}]
    return concept


def _given_at(event: RecordedEvent, field: str = "effective_time") -> str:
    """The wall time of a moment an event names in session seconds (a dose recorded late, an
    adverse event's onset): the event's own wall time moved back by the difference."""
    at = stored_number(event.payload.get(field))
    if at is None or at >= event.session_time:
        return event.wall_time
    try:
        return to_iso(from_iso(event.wall_time) - timedelta(seconds=event.session_time - at))
    except ValueError:
        return event.wall_time


def _dose_administration(report: SessionReport, refs: dict[str, str]) -> list[dict[str, Any]]:
    """Each dose as a MedicationAdministration: when, by whom, how, the amount, and the product's
    lot (and its expiry, from the stock register) when one was named. The medicine is named in the
    protocol's words, and coded only with the RxNorm code the protocol itself gives (``[doses]
    rxnorm``): a protocol file may describe ketamine or esketamine by any route, and a code guessed
    from free text would be worse than none."""
    return [_one_dose(report, dose, refs) for dose in report.doses]


def _one_dose(report: SessionReport, dose: RecordedEvent, refs: dict[str, str]) -> dict[str, Any]:
    payload = dose.payload
    concept = _rxnorm(report.protocol.doses.rxnorm, str(payload.get("route") or report.header.protocol_name))
    resource: dict[str, Any] = {
        "resourceType": "MedicationAdministration", "id": _uuid(report.header.uid, dose.seq, "dose"),
        "identifier": [{"system": SESSION_SYSTEM, "value": f"{report.header.uid}/{dose.seq}/dose"}],
        "status": "completed",
        "subject": {"reference": refs["patient"]}, "context": {"reference": refs["encounter"]},
        "effectiveDateTime": dose.wall_time,
    }
    if payload.get("lot") or payload.get("product"):  # the lot belongs to the Medication, held inside
        medication: dict[str, Any] = {"resourceType": "Medication", "id": "product",
                                      "code": {**concept, "text": str(payload.get("product") or concept["text"])}}
        if payload.get("lot"):  # with its expiry where the stock register gave the lot (the dose keeps it)
            medication["batch"] = {"lotNumber": str(payload["lot"])}
            if payload.get("lot_expiry"):
                medication["batch"]["expirationDate"] = str(payload["lot_expiry"])
        resource["contained"] = [medication]
        resource["medicationReference"] = {"reference": "#product", "display": concept["text"]}
    else:
        resource["medicationCodeableConcept"] = concept
    if dose.author:
        resource["performer"] = [{"actor": {"display": dose.author}}]
    dosage: dict[str, Any] = {}
    if payload.get("route"):
        dosage["text"] = str(payload["route"])
    amount = stored_number(payload.get("amount_mg"))
    if amount is not None:
        dosage["dose"] = _quantity(amount, "mg", "mg")
    if dosage:
        resource["dosage"] = dosage
    notes = []
    if dose_number(payload) > 1:
        notes.append({"text": dose_label(payload)})
    if payload.get("without_baseline"):
        notes.append({"text": "Given without baseline vitals"})
    if payload.get("without_check"):
        notes.append({"text": "Given without a vitals check just before it"})
    despite = given_despite(payload)
    if despite:
        notes.append({"text": "Given despite the last check: " + "; ".join(despite)})
    if notes:
        resource["note"] = notes
    return resource


def _medication_administrations(report: SessionReport, refs: dict[str, str]) -> list[dict[str, Any]]:
    """Each standing-order medication: the drug coded in RxNorm (the code the order carries), the
    amount in its unit, the route and the reason."""
    effects: dict[int, list[str]] = {}
    for e in report.of_kind(Kind.MEDICATION_EFFECT):
        seq = e.payload.get("medication_seq")
        if isinstance(seq, int):
            effects.setdefault(seq, []).append(str(e.payload.get("effect", "")))
    out = []
    for e in report.of_kind(Kind.MEDICATION):
        p = e.payload
        resource: dict[str, Any] = {
            "resourceType": "MedicationAdministration", "id": _uuid(report.header.uid, e.seq, "medication"),
            "identifier": [{"system": SESSION_SYSTEM, "value": f"{report.header.uid}/{e.seq}/medication"}],
            "status": "completed",
            "medicationCodeableConcept": _rxnorm(str(p.get("rxnorm") or ""), str(p.get("name") or p.get("medication"))),
            "subject": {"reference": refs["patient"]}, "context": {"reference": refs["encounter"]},
            "effectiveDateTime": _given_at(e),
        }
        if e.author:
            resource["performer"] = [{"actor": {"display": e.author}}]
        if p.get("reason"):
            resource["reasonCode"] = [{"text": str(p["reason"])}]
        dosage: dict[str, Any] = {}
        if p.get("route"):
            dosage["route"] = {"text": str(p["route"])}
        amount = stored_number(p.get("amount"))
        if amount is not None:
            unit = str(p.get("unit") or "")
            dosage["dose"] = _quantity(amount, unit, unit)
        if dosage:
            resource["dosage"] = dosage
        if effects.get(e.seq):
            resource["note"] = [{"text": f"Effect: {effect}"} for effect in effects[e.seq]]
        out.append(resource)
    return out


def _adverse_events(report: SessionReport, refs: dict[str, str]) -> list[dict[str, Any]]:
    """Each adverse event: what (in the protocol's words), when it began, how severe (the HL7
    severity, life-threatening as severe and serious), the outcome, who recorded it, the doses
    given before it as suspects, and the actions, emergency services and follow-up as extensions."""
    out = []
    for e in report.of_kind(Kind.ADVERSE_EVENT):
        p = e.payload
        severity = str(p.get("severity") or "")
        onset = stored_number(p.get("onset"))
        resource: dict[str, Any] = {
            "resourceType": "AdverseEvent", "id": _uuid(report.header.uid, e.seq, "adverse-event"),
            "identifier": {"system": SESSION_SYSTEM, "value": f"{report.header.uid}/{e.seq}/adverse-event"},
            "actuality": "actual",
            "event": {"text": str(p.get("label") or p.get("kind") or "")
                      + (f": {p['description']}" if p.get("description") else "")},
            "subject": {"reference": refs["patient"]}, "encounter": {"reference": refs["encounter"]},
            "date": _given_at(e, "onset"), "recordedDate": e.wall_time,
            "seriousness": {"coding": [{"system": AE_SERIOUSNESS,
                                        "code": "serious" if severity == "life-threatening" else "non-serious"}],
                            "text": severity},
        }
        if severity in ("mild", "moderate", "severe", "life-threatening"):
            code = "severe" if severity == "life-threatening" else severity
            resource["severity"] = {"coding": [{"system": AE_SEVERITY, "code": code}], "text": severity}
        if p.get("outcome"):
            resource["outcome"] = {"text": str(p["outcome"])}
        if e.author:
            resource["recorder"] = {"display": e.author}
        suspects = [d for d, at in zip(report.doses, report.dose_times, strict=True)
                    if onset is None or at <= onset]
        if suspects:
            resource["suspectEntity"] = [
                {"instance": {"reference": f"urn:uuid:{_uuid(report.header.uid, d.seq, 'dose')}"}} for d in suspects]
        extensions: list[dict[str, Any]] = [
            {"url": AE_EXTENSION + "emergency-services-called", "valueBoolean": bool(p.get("ems_called"))},
            {"url": AE_EXTENSION + "follow-up-needed", "valueBoolean": bool(p.get("follow_up"))}]
        if p.get("actions"):
            extensions.append({"url": AE_EXTENSION + "actions-taken", "valueString": str(p["actions"])})
        resource["extension"] = extensions
        out.append(resource)
    return out


# ----------------------------------------------------------------------------- rating scales
#: Rating scales have no LOINC code that KAP Room could confirm (LOINC codes the Ramsay sedation
#: scale, 105043-4, but neither RASS, MOAA/S nor a dissociation rating as recorded here), so their
#: Observations are coded in the clinic's own code system: ``urn:kaproom:scale`` with the scale's
#: id as the code ("moaas", "rass", "dissociation", or a clinic's own id), its total as
#: valueInteger, and each item of a scale of several items as a component coded
#: ``urn:kaproom:scale:<scale id>`` with the item's id. The category is "survey".
SCALE_SYSTEM = "urn:kaproom:scale"
SURVEY = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                      "code": "survey", "display": "Survey"}], "text": "Survey"}


def _scale_observation(report: SessionReport, seq: int, key: str, name: str, wall_time: str, author: str,
                       refs: dict[str, str], amended: bool) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation", "id": _uuid(report.header.uid, seq, key),
        "identifier": [{"system": SESSION_SYSTEM, "value": f"{report.header.uid}/{seq}/{key}"}],
        "status": "amended" if amended else "final", "category": [SURVEY],
        "code": {"coding": [{"system": SCALE_SYSTEM, "code": key, "display": name}], "text": name},
        "subject": {"reference": refs["patient"]}, "encounter": {"reference": refs["encounter"]},
        "effectiveDateTime": wall_time,
    }
    if author:
        resource["performer"] = [{"display": author}]
    return resource


def _scale_observations(report: SessionReport, refs: dict[str, str]) -> list[dict[str, Any]]:
    """Every rating recorded (RASS, dissociation, a clinic's own). MOAA/S, a field of the vitals
    check-in, has Observations of its own (:func:`_moaas_observations`)."""
    amended = {t.seq for t in report.timeline if t.amended_by}
    out: list[dict[str, Any]] = []
    for rating in scale_rows(report):
        if not rating.scale or rating.total is None:
            continue
        obs = _scale_observation(report, rating.seq, rating.scale, rating.name, rating.wall_time, rating.author,
                                 refs, rating.seq in amended)
        obs["valueInteger"] = rating.total
        if len(rating.answers) > 1 or (rating.answers and rating.answers[0][0] != rating.scale):
            obs["component"] = [
                {"code": {"coding": [{"system": f"{SCALE_SYSTEM}:{rating.scale}", "code": item}],
                          "text": item.replace("_", " ")},
                 "valueInteger": points}
                for item, points, _ in rating.answers]
        if not rating.complete:
            obs["note"] = [{"text": "Not every item was answered"}]
        interpretation = _interpretation(rating.level)
        if interpretation and rating.level != "ok":
            obs["interpretation"] = interpretation
        out.append(obs)
    return out


def _moaas_observations(report: SessionReport, refs: dict[str, str]) -> list[dict[str, Any]]:
    """Each MOAA/S level taken at a vitals check-in, as its own Observation in the clinic's scale
    system (code "moaas"; no LOINC code for MOAA/S was found, see above), category "survey", so
    the "vital-signs" Observations stay one per vital sign. Its status at the check-in (an urgent
    level under the protocol's ``moaas_urgent_at_or_below``) is its interpretation."""
    amended = {t.seq for t in report.timeline if t.amended_by}
    out: list[dict[str, Any]] = []
    for row in report.vitals:
        if row.moaas is None:
            continue
        obs = _scale_observation(report, row.seq, "moaas", "MOAA/S", row.wall_time, row.author, refs,
                                 row.seq in amended)
        obs["code"]["coding"][0]["display"] = "Modified Observer's Assessment of Alertness/Sedation"
        obs["valueInteger"] = int(row.moaas)
        interpretation = _interpretation(row.statuses.get("moaas", ""))
        if interpretation and row.statuses.get("moaas") not in ("ok", "normal"):
            obs["interpretation"] = interpretation
        out.append(obs)
    return out


# ----------------------------------------------------------------------------- NEWS2
#: NEWS2 total score: SNOMED CT 1104051000000101 "Royal College of Physicians National Early
#: Warning Score 2 - total score" (an observable entity of the UK edition of SNOMED CT, not of the
#: International edition; it is not a LOINC code). What was verified: the code and its preferred
#: term as several public NHS-style FHIR profiles and examples use them (a CareConnect/UK Core
#: NEWS2 Observation fixes Observation.code to it), and NHS Digital's FHIR NEWS2 guidance, which
#: asks for category "survey" and a valueQuantity in UCUM "{score}". What was not verified: the
#: code against a SNOMED CT release or terminology server (none was reachable). LOINC 88330-6
#: ("National Early Warning Score [NEWS]") names the first NEWS, not NEWS2, and is not used.
SNOMED = "http://snomed.info/sct"
NEWS2_CODE = ("1104051000000101", "Royal College of Physicians National Early Warning Score 2 - total score")


def _news2_observations(report: SessionReport, refs: dict[str, str]) -> list[dict[str, Any]]:
    """Each NEWS2 total computed at a vitals check-in (only where the check-in had every value
    NEWS2 needs), derived from that check-in's vital-sign Observations, its band as the
    interpretation's text."""
    amended = {t.seq for t in report.timeline if t.amended_by}
    out: list[dict[str, Any]] = []
    for row in report.vitals:
        if row.news2_score is None:
            continue
        obs: dict[str, Any] = {
            "resourceType": "Observation", "id": _uuid(report.header.uid, row.seq, "news2"),
            "identifier": [{"system": SESSION_SYSTEM, "value": f"{report.header.uid}/{row.seq}/news2"}],
            "status": "amended" if row.seq in amended else "final", "category": [SURVEY],
            "code": {"coding": [{"system": SNOMED, "code": NEWS2_CODE[0], "display": NEWS2_CODE[1]}],
                     "text": "NEWS2 total score"},
            "subject": {"reference": refs["patient"]}, "encounter": {"reference": refs["encounter"]},
            "effectiveDateTime": row.wall_time,
            "valueQuantity": _quantity(row.news2_score, "{score}", "score"),
        }
        if row.author:
            obs["performer"] = [{"display": row.author}]
        if row.news2_band:
            obs["interpretation"] = [{"text": f"NEWS2 {row.news2_band} risk"}]
        # the check-in's vital-sign Observations, as _vitals_observations makes them
        keys = ["bp"] if row.systolic is not None or row.diastolic is not None else []
        keys += [key for key, _, _, _, _, getter in SIMPLE_VITALS if getter(row) is not None]
        if keys:
            obs["derivedFrom"] = [{"reference": f"urn:uuid:{_uuid(report.header.uid, row.seq, key)}"} for key in keys]
        out.append(obs)
    return out


def _aldrete_observation(report: SessionReport, refs: dict[str, str]) -> list[dict[str, Any]]:
    """The modified Aldrete score recorded at discharge (code "aldrete" in the clinic's scale system),
    its items as components; none when the discharge recorded no score."""
    for event in reversed(report.events):
        score = event.payload.get("aldrete") if event.kind in (Kind.SESSION_ENDED, Kind.DISCHARGE_CHECK) else None
        if not isinstance(score, Mapping) or not isinstance(score.get("total"), int):
            continue
        obs = _scale_observation(report, event.seq, "aldrete", "Modified Aldrete score", event.wall_time,
                                 event.author, refs, False)
        obs["valueInteger"] = score["total"]
        items = score.get("items")
        if isinstance(items, Mapping):
            obs["component"] = [
                {"code": {"coding": [{"system": f"{SCALE_SYSTEM}:aldrete", "code": str(name)}], "text": str(name)},
                 "valueInteger": entry["points"]}
                for name, entry in items.items() if isinstance(entry, Mapping) and isinstance(entry.get("points"), int)]
        notes = [{"text": "Advisory: not validated for ketamine sessions"}]
        if score.get("complete") is not True:
            notes.append({"text": "Not every item was scored"})
        if event.payload.get("aldrete_below_minimum") is True:
            notes.append({"text": "Below the protocol's minimum; discharged with a written reason"})
        obs["note"] = notes
        return [obs]
    return []


# ----------------------------------------------------------------------------- facts before the dose
def _escort(report: SessionReport, refs: dict[str, str]) -> list[dict[str, Any]]:
    """The escort named before the dose, as a RelatedPerson of the client (FHIR's home for a person
    who accompanies a patient): name and phone as typed, "escort" as the relationship's text."""
    facts = recorded_facts(e.payload for e in report.events if e.kind == Kind.PRE_DOSE)
    if not facts.get("escort_name") and not facts.get("escort_phone"):
        return []
    person: dict[str, Any] = {
        "resourceType": "RelatedPerson", "id": _uuid(report.header.uid, "escort"),
        "identifier": [{"system": SESSION_SYSTEM, "value": f"{report.header.uid}/escort"}],
        "patient": {"reference": refs["patient"]},
        "relationship": [{"text": "Escort after the session"}],
    }
    if facts.get("escort_name"):
        person["name"] = [{"text": facts["escort_name"]}]
    if facts.get("escort_phone"):
        person["telecom"] = [{"system": "phone", "value": facts["escort_phone"]}]
    return [person]


#: The fasting times have no code KAP Room could confirm for food and drink apart (LOINC 67517-3
#: "Last oral intake [Date and time]" is one time for both, and a date and time, where KAP Room
#: asks a time of day), so each is an Observation coded in the clinic's own system
#: ``urn:kaproom:pre-dose`` ("last-food", "last-drink"), category "survey" (the client's answer),
#: its value a valueTime: the time of day as typed on the start page, in the clinic's local time,
#: on the day of the session or the evening before. Its effective time is when it was recorded.
#: Touch consent and music preferences have no FHIR home in this bundle and are left out of it.
PRE_DOSE_SYSTEM = "urn:kaproom:pre-dose"
FASTING = (("last_food", "last-food", "Time of the last food before the dose"),
           ("last_drink", "last-drink", "Time of the last drink before the dose"))


def _fasting(report: SessionReport, refs: dict[str, str]) -> list[dict[str, Any]]:
    latest: dict[str, RecordedEvent] = {}
    for event in report.events:
        if event.kind == Kind.PRE_DOSE:
            for name, _, _ in FASTING:
                value = event.payload.get(name)
                if isinstance(value, str) and value.strip():
                    latest[name] = event
    out: list[dict[str, Any]] = []
    for name, code, text in FASTING:
        given = latest.get(name)
        if given is None:
            continue
        value = str(given.payload[name]).strip()
        obs: dict[str, Any] = {
            "resourceType": "Observation", "id": _uuid(report.header.uid, given.seq, code),
            "identifier": [{"system": SESSION_SYSTEM, "value": f"{report.header.uid}/{given.seq}/{code}"}],
            "status": "final", "category": [SURVEY],
            "code": {"coding": [{"system": PRE_DOSE_SYSTEM, "code": code, "display": text}], "text": text},
            "subject": {"reference": refs["patient"]}, "encounter": {"reference": refs["encounter"]},
            "effectiveDateTime": given.wall_time,
        }
        if len(value) == 5 and value[2] == ":":  # "HH:MM" as parse_facts stores it
            obs["valueTime"] = value + ":00"
        else:  # an older or hand-made record: the words as they are
            obs["valueString"] = value
        if given.author:
            obs["performer"] = [{"display": given.author}]
        out.append(obs)
    return out


def fhir_bundle(report: SessionReport, exported_at: str) -> dict[str, Any]:
    head = report.header
    patient_id, encounter_id = _uuid("client", head.client_code), _uuid("session", head.uid)
    refs = {"patient": f"urn:uuid:{patient_id}", "encounter": f"urn:uuid:{encounter_id}"}
    patient = {"resourceType": "Patient", "id": patient_id,
               "identifier": [{"system": CLIENT_CODE_SYSTEM, "value": head.client_code}]}
    period = {k: v for k, v in (("start", head.started_at or head.created_at), ("end", head.ended_at)) if v}
    encounter: dict[str, Any] = {
        "resourceType": "Encounter", "id": encounter_id,
        "identifier": [{"system": SESSION_SYSTEM, "value": head.uid}],
        "status": ENCOUNTER_STATUS.get(head.outcome, "unknown"),
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB", "display": "ambulatory"},
        "type": [{"text": f"Ketamine-assisted psychotherapy session: {head.protocol_name}"}],
        "subject": {"reference": refs["patient"]}, "period": period,
    }
    if head.therapist:
        encounter["participant"] = [{"individual": {"display": head.therapist}}]
    if head.room:
        encounter["location"] = [{"location": {"display": head.room}}]
    resources = [patient, encounter, *_dose_administration(report, refs), *_medication_administrations(report, refs),
                 *_adverse_events(report, refs), *_vitals_observations(report, refs),
                 *_moaas_observations(report, refs), *_news2_observations(report, refs),
                 *_scale_observations(report, refs), *_aldrete_observation(report, refs), *_escort(report, refs),
                 *_fasting(report, refs)]
    return {"resourceType": "Bundle", "id": _uuid("bundle", head.uid, exported_at), "type": "collection",
            "timestamp": exported_at,
            "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources]}


def render_fhir(report: SessionReport, exported_at: str) -> bytes:
    return (json.dumps(fhir_bundle(report, exported_at), ensure_ascii=False, indent=1) + "\n").encode("utf-8")
