"""Discharge checklist: pre-fill from the latest vitals and tags; unticked items need a reason."""
from __future__ import annotations

import pytest

from kaproom.domain.discharge import DischargeError, discharge_details, prefill_checklist
from kaproom.domain.protocol import DEFAULT_DISCHARGE, Question
from kaproom.domain.vitals import Reading

BASE = Reading(systolic=120, diastolic=80, pulse=70, spo2=98)


def fill(latest, baseline=BASE, tags=(), latest_time=9000.0, now=9300.0):
    return {p.item_id: p for p in prefill_checklist(DEFAULT_DISCHARGE, latest, latest_time, baseline, tags, now)}


def test_good_latest_vitals_suggest_ticks_where_data_exists():
    items = fill(Reading(systolic=128, diastolic=82, pulse=76, spo2=97, moaas=5, nausea="mild"))
    assert items["vitals_baseline"].suggested is True
    assert "within 20 % of baseline" in items["vitals_baseline"].basis and "5 min ago" in items["vitals_baseline"].basis
    assert items["moaas_5"].suggested is True and items["nausea_ok"].suggested is True
    for in_person in ("walks_steadily", "escort", "no_driving"):
        assert items[in_person].suggested is None and items[in_person].basis == "confirm in person"


@pytest.mark.parametrize("latest, words", [
    (Reading(systolic=145, diastolic=82, pulse=76, spo2=97), "systolic 145 vs 120 (+21 %)"),
    (Reading(systolic=120, diastolic=80, pulse=55, spo2=97), "pulse 55 vs 70 (-21 %)"),
    (Reading(systolic=120, diastolic=80, pulse=70, spo2=92), "SpO2 92 %"),
    (Reading(systolic=120, diastolic=80, pulse=70, spo2=96, supplemental_oxygen=True), "on oxygen"),
])
def test_vitals_away_from_baseline_are_not_suggested(latest, words):
    item = fill(latest)["vitals_baseline"]
    assert item.suggested is False and words in item.basis


def test_within_twenty_percent_edge():
    assert fill(Reading(systolic=144))["vitals_baseline"].suggested is True  # +20 % exactly
    assert fill(Reading(systolic=96))["vitals_baseline"].suggested is True  # -20 % exactly


def test_moaas_below_five_and_nausea_moderate():
    items = fill(Reading(moaas=4, nausea="moderate"))
    assert items["moaas_5"].suggested is False and "MOAA/S 4" in items["moaas_5"].basis
    assert items["nausea_ok"].suggested is False


def test_vomiting_tagged_after_the_latest_check_overrides_nausea_none():
    items = fill(Reading(nausea="none"), tags=[(9100.0, "Vomited")])
    assert items["nausea_ok"].suggested is False and "vomited" in items["nausea_ok"].basis
    assert fill(Reading(nausea="none"), tags=[(100.0, "Vomited")])["nausea_ok"].suggested is True


def test_no_vitals_or_no_baseline_gives_no_suggestion():
    assert fill(None, latest_time=None)["vitals_baseline"].suggested is None
    assert fill(Reading(systolic=120), baseline=None)["vitals_baseline"].suggested is None


def test_clinic_items_are_listed_without_suggestion():
    items = prefill_checklist((Question("water", "Has drunk water"),), Reading(moaas=5), 1.0, BASE, (), 2.0)
    assert [(p.item_id, p.suggested) for p in items] == [("water", None)]


def test_all_ticked_needs_no_reason():
    ticks = {q.id: True for q in DEFAULT_DISCHARGE}
    details = discharge_details(DEFAULT_DISCHARGE, ticks, "2026-03-02T12:10:00.000Z")
    assert details == {"checklist": ticks, "ready_to_leave_at": "2026-03-02T12:10:00.000Z"}


def test_unticked_without_reason_is_refused_and_names_the_items():
    ticks = {q.id: True for q in DEFAULT_DISCHARGE} | {"escort": False}
    with pytest.raises(DischargeError, match="Escort or ride arranged"):
        discharge_details(DEFAULT_DISCHARGE, ticks, "2026-03-02T12:10:00.000Z", "   ")


def test_unticked_with_reason_records_reason_and_items():
    ticks = {q.id: True for q in DEFAULT_DISCHARGE} | {"escort": False}
    details = discharge_details(DEFAULT_DISCHARGE, ticks, "2026-03-02T12:10:00.000Z", " Partner waiting outside ")
    assert details["override_reason"] == "Partner waiting outside" and details["unticked"] == ["escort"]
    assert details["checklist"]["escort"] is False


def test_ready_to_leave_time_required():
    with pytest.raises(DischargeError, match="ready to leave"):
        discharge_details(DEFAULT_DISCHARGE, {q.id: True for q in DEFAULT_DISCHARGE}, "")


def test_a_check_from_before_the_dose_suggests_nothing_about_recovery():
    """The baseline compared with itself would read 'back near baseline', and its MOAA/S 5 is
    from before the dose: with no check since the dose, the vitals items ask for one instead."""
    baseline = Reading(systolic=120, diastolic=80, pulse=70, spo2=98, moaas=5, nausea="none")
    items = {p.item_id: p for p in prefill_checklist(DEFAULT_DISCHARGE, baseline, 600.0, baseline, (), 3900.0,
                                                     dose_time=780.0)}
    for item in ("vitals_baseline", "moaas_5", "nausea_ok"):
        assert items[item].suggested is None
        assert items[item].basis.startswith("no check since the dose (the latest, at 0:10:00, was before it)")
    after = {p.item_id: p for p in prefill_checklist(DEFAULT_DISCHARGE, baseline, 3600.0, baseline, (), 3900.0,
                                                     dose_time=780.0)}
    assert after["vitals_baseline"].suggested is True and after["moaas_5"].suggested is True


@pytest.mark.parametrize("now, suggested, basis", [
    (780.0 + 119 * 60 + 30, False, "not yet: 1 h 59 min since the dose at 0:13:00; 1 min to go"),
    (780.0 + 120 * 60, True, "2 h since the dose at 0:13:00"),
    (780.0 + 45 * 60, False, "not yet: 45 min since the dose at 0:13:00; 1 h 15 min to go"),
])
def test_the_observation_time_since_the_dose_is_suggested_from_the_clock(now, suggested, basis):
    [observed] = [p for p in prefill_checklist(DEFAULT_DISCHARGE, None, None, None, (), now, dose_time=780.0)
                  if p.item_id == "observed"]
    assert (observed.suggested, observed.basis) == (suggested, basis)
    [undosed] = [p for p in prefill_checklist(DEFAULT_DISCHARGE, None, None, None, (), now) if p.item_id == "observed"]
    assert undosed.suggested is None and undosed.basis.startswith("no dose recorded")


def test_a_check_from_long_ago_asks_for_a_fresh_one_before_discharge():
    """The esketamine label asks for vitals before the session ends: a check from 100 minutes
    ago cannot say the client is back near baseline now."""
    good = Reading(systolic=122, diastolic=80, pulse=70, spo2=98, moaas=5, nausea="none")
    stale = {p.item_id: p for p in prefill_checklist(DEFAULT_DISCHARGE, good, 2400.0, BASE, (), 8400.0,
                                                     dose_time=780.0)}
    for item in ("vitals_baseline", "moaas_5", "nausea_ok"):
        assert stale[item].suggested is None
        assert stale[item].basis == "the latest check was 1 h 40 min ago: take vitals before discharge (F9; within 30 min)"
    fresh = {p.item_id: p for p in prefill_checklist(DEFAULT_DISCHARGE, good, 8400.0 - 29 * 60, BASE, (), 8400.0,
                                                     dose_time=780.0)}
    assert fresh["vitals_baseline"].suggested is True and "29 min ago" in fresh["vitals_baseline"].basis
    clinic = {p.item_id: p for p in prefill_checklist(DEFAULT_DISCHARGE, good, 2400.0, BASE, (), 8400.0,
                                                      alerts={"discharge_check_within_minutes": 120}, dose_time=780.0)}
    assert clinic["vitals_baseline"].suggested is True  # a clinic that allows an older check
