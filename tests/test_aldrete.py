"""The modified Aldrete score at discharge: computed from the record where it can be, completed by
the therapist, and a score below the protocol's minimum needing a written reason to discharge."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaproom.domain.aldrete import ITEM_IDS, Aldrete, aldrete_from_record, aldrete_payload, minimum_of, parse_points
from kaproom.domain.discharge import DischargeError, discharge_details
from kaproom.domain.protocol import builtin_protocol, parse_protocol
from kaproom.domain.vitals import Reading, baseline_check_in

BASE = Reading(systolic=120, diastolic=80, pulse=70, spo2=98, respiratory_rate=14, moaas=5)


def points(items) -> dict:
    return {item.id: item.points for item in items}


def test_the_record_answers_circulation_oxygen_and_consciousness():
    latest = Reading(systolic=140, diastolic=85, pulse=80, spo2=96, respiratory_rate=14, moaas=5)
    items = aldrete_from_record(latest, BASE, moaas=(9000.0, 5))
    assert points(items) == {"activity": None, "respiration": None, "circulation": 2, "consciousness": 2,
                             "oxygen": 2}
    by_id = {item.id: item for item in items}
    assert by_id["circulation"].basis == "systolic 140 vs baseline 120 (+17 %)"
    assert by_id["oxygen"].basis == "SpO2 96 % on room air"
    assert by_id["activity"].basis == "judge in person" and not by_id["activity"].from_record
    assert by_id["consciousness"].from_record


@pytest.mark.parametrize(("systolic", "expected"), [(144, 2), (145, 1), (96, 2), (95, 1), (179, 1), (180, 0),
                                                    (60, 0), (61, 1)])
def test_circulation_is_judged_against_the_baseline_in_bands_of_20_and_50_percent(systolic, expected):
    latest = Reading(systolic=systolic, diastolic=50, spo2=98)
    assert points(aldrete_from_record(latest, BASE))["circulation"] == expected


@pytest.mark.parametrize(("spo2", "oxygen", "expected"), [(93, False, 2), (92, False, 1), (91, False, 1),
                                                          (90, False, 0), (95, True, 1), (90, True, 0)])
def test_oxygen_saturation_on_air_and_on_oxygen(spo2, oxygen, expected):
    latest = Reading(systolic=120, spo2=spo2, supplemental_oxygen=oxygen)
    assert points(aldrete_from_record(latest, BASE))["oxygen"] == expected


def test_consciousness_comes_from_whichever_of_moaas_and_rass_was_taken_last():
    latest = Reading(systolic=120, spo2=98)
    assert points(aldrete_from_record(latest, BASE, moaas=(100.0, 3)))["consciousness"] == 1
    assert points(aldrete_from_record(latest, BASE, moaas=(100.0, 2)))["consciousness"] == 0
    assert points(aldrete_from_record(latest, BASE, moaas=(100.0, 3), rass=(200.0, 0)))["consciousness"] == 2
    assert points(aldrete_from_record(latest, BASE, moaas=(300.0, 5), rass=(200.0, -4)))["consciousness"] == 2
    assert points(aldrete_from_record(latest, BASE, rass=(200.0, -4)))["consciousness"] == 0
    assert points(aldrete_from_record(latest, BASE, rass=(200.0, -2)))["consciousness"] == 1
    assert points(aldrete_from_record(latest, BASE))["consciousness"] is None


def test_without_a_baseline_or_a_check_since_the_dose_the_record_suggests_nothing():
    no_baseline = {i.id: i for i in aldrete_from_record(Reading(systolic=120, spo2=98), None)}
    assert no_baseline["circulation"].points is None and "no pre-dose baseline" in no_baseline["circulation"].basis
    nothing = {i.id: i for i in aldrete_from_record(None, BASE)}
    assert nothing["oxygen"].points is None and "take vitals" in nothing["oxygen"].basis


def test_the_baseline_is_the_one_the_vitals_define():
    """The Aldrete's circulation uses baseline_check_in: the last pre-dose check with a systolic."""
    history = [(60.0, Reading(systolic=150, spo2=97)), (120.0, Reading(pulse=70)), (1300.0, Reading(systolic=140))]
    baseline = baseline_check_in(history, dose_time=1200.0)
    assert baseline is not None and baseline.reading.systolic == 150
    assert points(aldrete_from_record(history[-1][1], baseline.reading))["circulation"] == 2


def test_the_protocols_minimum_is_9_by_default_and_a_protocol_setting():
    assert minimum_of(builtin_protocol("lozenge-3h").alerts) == 9
    text = builtin_protocol("short-check").text.replace("[vitals.alerts]", "[vitals.alerts]\ndischarge_aldrete_minimum = 8")
    assert minimum_of(parse_protocol(text).alerts) == 8
    with pytest.raises(ValueError, match="discharge_aldrete_minimum' is 12, outside 0 to 10"):
        parse_protocol(text.replace("discharge_aldrete_minimum = 8", "discharge_aldrete_minimum = 12"), "x.toml")


CHECKLIST = builtin_protocol("lozenge-3h").discharge_checklist
ALL_TICKED = {q.id: True for q in CHECKLIST}


def test_a_score_below_the_minimum_needs_a_written_reason_like_an_unticked_item():
    low = Aldrete({"activity": 1, "respiration": 2, "circulation": 2, "consciousness": 2, "oxygen": 1}, 9)
    assert low.complete and low.total == 8 and low.below_minimum
    with pytest.raises(DischargeError, match="Modified Aldrete 8 is below the protocol's minimum of 9. Write why"):
        discharge_details(CHECKLIST, ALL_TICKED, "2026-03-02T16:30:00Z", aldrete=low)
    record = aldrete_payload(low, aldrete_from_record(BASE, BASE))
    details = discharge_details(CHECKLIST, ALL_TICKED, "2026-03-02T16:30:00Z", "Walks with a frame normally",
                                aldrete=low, aldrete_record=record)
    assert details["aldrete_below_minimum"] is True and details["override_reason"] == "Walks with a frame normally"
    assert details["aldrete"]["total"] == 8 and details["aldrete"]["items"]["circulation"] == {
        "points": 2, "record": 2, "basis": "systolic 120 vs baseline 120 (+0 %)"}
    assert "unticked" not in details  # the checklist itself was all ticked


def test_a_score_that_can_no_longer_reach_the_minimum_needs_a_reason_and_one_that_can_does_not():
    hopeless = Aldrete({"circulation": 0, "oxygen": 1}, 9)
    assert hopeless.highest_possible == 7 and hopeless.below_minimum
    with pytest.raises(DischargeError, match="can reach at most 7"):
        discharge_details(CHECKLIST, ALL_TICKED, "2026-03-02T16:30:00Z", aldrete=hopeless)
    open_score = Aldrete({"circulation": 2, "oxygen": 2, "consciousness": 2}, 9)
    assert not open_score.below_minimum
    details = discharge_details(CHECKLIST, ALL_TICKED, "2026-03-02T16:30:00Z", aldrete=open_score,
                                aldrete_record=aldrete_payload(open_score, []))
    assert details["aldrete"]["complete"] is False and "aldrete_below_minimum" not in details
    assert open_score.words() == "Modified Aldrete not complete (6 so far; activity, respiration not scored)"


def test_points_are_typed_as_0_1_or_2():
    assert parse_points("2") == 2 and parse_points(" 0 ") == 0 and parse_points("") is None
    assert parse_points("3") == "type 0, 1 or 2"


@given(st.dictionaries(st.sampled_from(ITEM_IDS), st.integers(0, 2)), st.integers(0, 10))
def test_any_score_is_within_0_to_10_and_below_minimum_only_when_it_cannot_reach_it(scored, minimum):
    score = Aldrete(scored, minimum)
    assert 0 <= score.total <= score.highest_possible <= 10
    assert score.below_minimum == (score.highest_possible < minimum)
    if score.complete:
        assert score.highest_possible == score.total
