"""The FHIR R4 export parses with a standard FHIR library and carries the right codes and values."""
from __future__ import annotations

import json

import pytest
from _export_helpers import finished_session
from fhir.resources.R4B.bundle import Bundle

from kaproom.export.fhir import fhir_bundle, render_fhir
from kaproom.export.report_data import gather

LOINC, UCUM = "http://loinc.org", "http://unitsofmeasure.org"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
EXPORTED = "2026-03-03T10:00:00.000Z"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    workspace, uid = finished_session(tmp_path_factory.mktemp("fhir") / "room")
    try:
        report = gather(workspace, uid)
        data = render_fhir(report, EXPORTED)
    finally:
        workspace.close()
    return report, data, Bundle.model_validate_json(data)


def by_type(bundle: Bundle, resource_type: str) -> list:
    return [e.resource for e in bundle.entry if e.resource.__resource_type__ == resource_type]


def codes(concept) -> set[str]:
    return {(c.system, c.code) for c in concept.coding}


def vital_signs(bundle: Bundle) -> list:
    """The Observations in the category vital-signs (MOAA/S, NEWS2, ratings and fasting are "survey")."""
    return [o for o in by_type(bundle, "Observation") if (CATEGORY_SYSTEM, "vital-signs") in codes(o.category[0])]


def test_bundle_is_a_valid_r4_collection_with_patient_and_encounter(exported):
    report, _, bundle = exported
    assert bundle.type == "collection"
    (patient,) = by_type(bundle, "Patient")
    assert [(i.system, i.value) for i in patient.identifier] == [("urn:kaproom:client-code", "KAP-0042")]
    assert patient.name is None  # the client is a clinic code, never a name
    (encounter,) = by_type(bundle, "Encounter")
    assert encounter.status == "finished" and encounter.class_fhir.code == "AMB"
    assert encounter.period.start.isoformat().startswith("2026-03-02T09:00:00")
    assert encounter.period.end.isoformat().startswith("2026-03-02T09:12:30")
    patient_ref = next(e.fullUrl for e in bundle.entry if e.resource is patient)
    encounter_ref = next(e.fullUrl for e in bundle.entry if e.resource is encounter)
    assert encounter.subject.reference == patient_ref
    for obs in by_type(bundle, "Observation"):
        assert obs.subject.reference == patient_ref and obs.encounter.reference == encounter_ref
    for obs in vital_signs(bundle):
        assert codes(obs.category[0]) == {(CATEGORY_SYSTEM, "vital-signs")}
        assert all(system == LOINC for system, _ in codes(obs.code))
    others = [o for o in by_type(bundle, "Observation") if o not in vital_signs(bundle)]
    assert others and all(codes(o.category[0]) == {(CATEGORY_SYSTEM, "survey")} for o in others)


def test_one_observation_per_vital_with_loinc_codes_and_ucum_units(exported):
    report, _, bundle = exported
    observations = vital_signs(bundle)
    taken = sum(1 for v in report.vitals for x in (v.pulse, v.spo2, v.respiratory_rate, v.temperature) if x is not None)
    bp_checks = sum(1 for v in report.vitals if v.systolic is not None)
    assert len(observations) == taken + bp_checks

    first = report.vitals[0]
    at = [o for o in observations if o.effectiveDateTime.isoformat().startswith("2026-03-02T09:01:00")]
    assert len(at) == 5  # BP, pulse, SpO2, RR, temperature of the baseline check
    by_code = {next(iter(codes(o.code)))[1] if len(o.code.coding) == 1 else "spo2": o for o in at}
    bp = by_code["85354-9"]
    parts = {next(iter(codes(c.code)))[1]: c.valueQuantity for c in bp.component}
    assert (parts["8480-6"].value, parts["8462-4"].value) == (first.systolic, first.diastolic)
    assert {(q.system, q.code) for q in parts.values()} == {(UCUM, "mm[Hg]")}
    assert (by_code["8867-4"].valueQuantity.value, by_code["8867-4"].valueQuantity.code) == (74, "/min")
    assert (by_code["9279-1"].valueQuantity.value, by_code["9279-1"].valueQuantity.code) == (14, "/min")
    assert (float(by_code["8310-5"].valueQuantity.value), by_code["8310-5"].valueQuantity.code) == (36.7, "Cel")
    spo2 = by_code["spo2"]
    assert codes(spo2.code) == {(LOINC, "59408-5"), (LOINC, "2708-6")}
    assert (spo2.valueQuantity.value, spo2.valueQuantity.code, spo2.valueQuantity.system) == (98, "%", UCUM)


def test_statuses_become_interpretations_and_missing_values_are_left_out(exported):
    report, data, bundle = exported
    raw = json.loads(data)
    urgent = [e["resource"] for e in raw["entry"] if e["resource"].get("effectiveDateTime") == report.vitals[2].wall_time]
    bp = next(r for r in urgent if r["code"]["coding"][0]["code"] == "85354-9")
    systolic = next(c for c in bp["component"] if c["code"]["coding"][0]["code"] == "8480-6")
    assert systolic["interpretation"][0]["coding"][0]["code"] == "AA"
    partial = [e["resource"] for e in raw["entry"] if e["resource"].get("effectiveDateTime") == report.vitals[3].wall_time]
    assert not any(r["code"]["coding"][0]["code"] == "9279-1" for r in partial)  # RR not taken: no observation
    assert "Infinity" not in data.decode() and "NaN" not in data.decode()


def test_ids_are_stable_between_exports(exported):
    report, data, _ = exported
    again = fhir_bundle(report, EXPORTED)
    assert [e["fullUrl"] for e in again["entry"]] == [e["fullUrl"] for e in json.loads(data)["entry"]]


def test_the_dose_is_a_medication_administration_with_the_prescribed_amount(tmp_path, clock):
    from kaproom.domain.protocol import builtin_protocol
    from kaproom.services.workspace import Workspace
    with Workspace(tmp_path / "room", clock) as workspace:
        runner = workspace.new_session(builtin_protocol("lozenge-3h"), "C-7", "Ana Ruiz", prescribed_dose_mg=300)
        clock.advance(21 * 60)
        runner.give_dose("sublingual ketamine lozenge", without_baseline=True)
        bundle = Bundle.model_validate_json(render_fhir(gather(workspace, runner.session_uid), EXPORTED))
    (given,) = by_type(bundle, "MedicationAdministration")
    (encounter,) = by_type(bundle, "Encounter")
    (patient,) = by_type(bundle, "Patient")
    assert given.status == "completed" and given.medicationCodeableConcept.text == "sublingual ketamine lozenge"
    assert given.subject.reference == next(e.fullUrl for e in bundle.entry if e.resource is patient)
    assert given.context.reference == next(e.fullUrl for e in bundle.entry if e.resource is encounter)
    assert given.effectiveDateTime.isoformat().startswith("2026-03-02T09:21:00")
    assert (given.dosage.dose.value, given.dosage.dose.code, given.dosage.dose.system) == (300, "mg", UCUM)
    assert given.performer[0].actor.display == "Ana Ruiz"
    assert given.note[0].text == "Given without baseline vitals"


def test_a_dose_with_no_amount_typed_claims_none_and_no_dose_means_no_administration(exported, tmp_path, clock):
    _, _, bundle = exported
    (given,) = by_type(bundle, "MedicationAdministration")  # the fixture's dose, with no amount typed
    assert given.dosage.dose is None and given.dosage.text == "sublingual lozenge"
    from kaproom.domain.protocol import builtin_protocol
    from kaproom.services.workspace import Workspace
    with Workspace(tmp_path / "room", clock) as workspace:
        runner = workspace.new_session(builtin_protocol("lozenge-3h"), "C-8", "Ana Ruiz")
        undosed = Bundle.model_validate_json(render_fhir(gather(workspace, runner.session_uid), EXPORTED))
    assert by_type(undosed, "MedicationAdministration") == []


def test_moaas_and_news2_are_survey_observations_one_per_check_in(exported):
    report, _, bundle = exported
    surveys = [o for o in by_type(bundle, "Observation") if (CATEGORY_SYSTEM, "survey") in codes(o.category[0])]
    moaas = [o for o in surveys if codes(o.code) == {("urn:kaproom:scale", "moaas")}]
    assert [o.valueInteger for o in moaas] == [int(v.moaas) for v in report.vitals if v.moaas is not None]
    assert moaas[0].effectiveDateTime.isoformat().startswith("2026-03-02T09:01:00")
    news2 = [o for o in surveys if codes(o.code) == {("http://snomed.info/sct", "1104051000000101")}]
    assert [o.valueQuantity.value for o in news2] == [v.news2_score for v in report.vitals
                                                      if v.news2_score is not None]
    assert {(o.valueQuantity.system, o.valueQuantity.code) for o in news2} == {(UCUM, "{score}")}
    assert news2[1].interpretation[0].text == "NEWS2 low risk"
    # each total points at the vital signs of its check-in
    urls = {e.resource.id: e.fullUrl for e in bundle.entry}
    first = {urls[o.id] for o in vital_signs(bundle) if o.effectiveDateTime == news2[0].effectiveDateTime}
    assert {r.reference for r in news2[0].derivedFrom} == first and len(first) == 5


def test_fasting_times_are_observations_with_the_time_of_day(tmp_path, clock):
    from kaproom.domain.protocol import builtin_protocol
    from kaproom.services.workspace import Workspace
    with Workspace(tmp_path / "room", clock) as workspace:
        runner = workspace.new_session(builtin_protocol("lozenge-3h"), "C-9", "Ana Ruiz",
                                       pre_dose={"escort_name": "Sam Lee", "escort_phone": "555 0100",
                                                 "last_food": "07:30", "last_drink": "08:45"})
        bundle = Bundle.model_validate_json(render_fhir(gather(workspace, runner.session_uid), EXPORTED))
    fasting = {next(iter(codes(o.code))): o for o in by_type(bundle, "Observation")
               if o.code.coding[0].system == "urn:kaproom:pre-dose"}
    food, drink = fasting[("urn:kaproom:pre-dose", "last-food")], fasting[("urn:kaproom:pre-dose", "last-drink")]
    assert (food.valueTime.isoformat(), drink.valueTime.isoformat()) == ("07:30:00", "08:45:00")
    assert food.code.text == "Time of the last food before the dose"
    assert codes(food.category[0]) == {(CATEGORY_SYSTEM, "survey")}
    assert vital_signs(bundle) == []
