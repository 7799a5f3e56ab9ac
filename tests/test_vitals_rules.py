"""Thresholds: every band edge, pre-dose against in-session, trends, and the stored payloads."""
from __future__ import annotations

import pytest

from kaproom.domain.protocol import parse_protocol
from kaproom.domain.vitals import Reading, baseline_reading, check_in, reading_from_payload


def level(pre_dose=False, baseline=None, **values) -> tuple[str, str]:
    field = next(iter(values))
    status = check_in(Reading(**values), pre_dose=pre_dose, baseline=baseline).statuses[field]
    return status.level, status.reason


@pytest.mark.parametrize("field, value, expected", [
    # in session: SBP caution at 160, urgent at 180; low below 90
    ("systolic", 159, "ok"), ("systolic", 160, "caution"), ("systolic", 179, "caution"), ("systolic", 180, "urgent"),
    ("systolic", 90, "ok"), ("systolic", 89, "caution"),
    # DBP caution at 100, urgent at 110
    ("diastolic", 99, "ok"), ("diastolic", 100, "caution"), ("diastolic", 109, "caution"), ("diastolic", 110, "urgent"),
    # SpO2 < 95 caution, < 92 urgent
    ("spo2", 95, "ok"), ("spo2", 94, "caution"), ("spo2", 92, "caution"), ("spo2", 91, "urgent"),
    # pulse < 50 or > 120 caution
    ("pulse", 50, "ok"), ("pulse", 49, "caution"), ("pulse", 120, "ok"), ("pulse", 121, "caution"),
    # RR < 10 urgent, > 24 caution
    ("respiratory_rate", 10, "ok"), ("respiratory_rate", 9, "urgent"), ("respiratory_rate", 24, "ok"),
    ("respiratory_rate", 25, "caution"),
    # temperature above 38.0 caution
    ("temperature", 38.0, "ok"), ("temperature", 38.1, "caution"),
    # MOAA/S 2 or below urgent
    ("moaas", 3, "ok"), ("moaas", 2, "urgent"), ("moaas", 0, "urgent"),
])
def test_in_session_band_edges(field, value, expected):
    assert level(**{field: value})[0] == expected


@pytest.mark.parametrize("field, value, expected", [
    ("systolic", 140, "ok"), ("systolic", 141, "caution"), ("systolic", 179, "caution"), ("systolic", 180, "urgent"),
    ("diastolic", 90, "ok"), ("diastolic", 91, "caution"), ("diastolic", 109, "caution"), ("diastolic", 110, "urgent"),
])
def test_pre_dose_band_edges(field, value, expected):
    assert level(pre_dose=True, **{field: value})[0] == expected


def test_pre_dose_caution_says_consider_whether_to_dose_and_differs_in_session():
    lvl, reason = level(pre_dose=True, systolic=150)
    assert lvl == "caution" and "consider whether to dose" in reason and "150" in reason and "140" in reason
    assert level(pre_dose=False, systolic=150)[0] == "ok"
    assert "consider whether to dose" in level(pre_dose=True, diastolic=95)[1]


def test_reasons_name_value_and_rule():
    lvl, reason = level(spo2=91)
    assert lvl == "urgent" and reason == "SpO2 91 % is below 92"
    assert level(moaas=2)[1].startswith("MOAA/S 2")
    assert level(respiratory_rate=8)[1] == "Respiratory rate 8/min is below 10"


@pytest.mark.parametrize("now, expected", [(144, "ok"), (145, "caution")])
def test_systolic_rise_from_baseline(now, expected):
    lvl, reason = level(baseline=Reading(systolic=120), systolic=now)
    assert lvl == expected
    if expected == "caution":
        assert "up 21 % from the baseline 120" in reason


def test_trend_not_applied_before_dose_or_without_baseline():
    assert level(pre_dose=True, baseline=Reading(systolic=100), systolic=135)[0] == "ok"
    assert level(baseline=None, systolic=150)[0] == "ok"


def test_urgent_and_trend_reasons_combine_worst_first():
    lvl, reason = level(baseline=Reading(systolic=120), systolic=182)
    assert lvl == "urgent" and reason.startswith("Systolic 182 mmHg is at or above 180") and "baseline" in reason


def test_protocol_thresholds_move_the_edges():
    protocol = parse_protocol("""
[protocol]
id = "strict"
name = "Strict"
[[phases]]
id = "only"
name = "Only"
minutes = 10
[vitals.alerts]
spo2_caution_below = 96
pulse_caution_above = 100
""")
    reading = Reading(spo2=95, pulse=101)
    statuses = check_in(reading, protocol.alerts, pre_dose=False).statuses
    assert statuses["spo2"].level == "caution" and statuses["pulse"].level == "caution"
    assert check_in(reading, pre_dose=False).statuses["spo2"].level == "ok"


def test_payload_of_complete_check_in():
    reading = Reading(128, 84, 72, 98, 14, None, 5, "none", False, "calm")
    payload = check_in(reading, pre_dose=True).payload()
    assert payload["partial"] is False and payload["temperature"] is None and payload["comment"] == "calm"
    assert payload["news2"]["score"] == 0 and payload["news2"]["band"] == "low"
    assert payload["statuses"]["systolic"] == {"level": "ok", "reason": "within the protocol's limits"}
    assert "nausea" not in payload["statuses"]


def test_partial_check_in_payload_has_no_news2_and_nulls():
    checked = check_in(Reading(systolic=185, diastolic=95, pulse=72), pre_dose=False)
    payload = checked.payload()
    assert payload["partial"] is True and "news2" not in payload
    assert payload["spo2"] is None and payload["moaas"] is None and payload["nausea"] is None
    assert checked.level == "urgent"
    alerts = checked.alerts(source_seq=12)
    assert alerts[0] == {"level": "urgent", "field": "systolic", "value": 185,
                         "reason": "Systolic 185 mmHg is at or above 180", "source_seq": 12}
    assert [a["field"] for a in alerts] == ["systolic"]


def test_alerts_urgent_first():
    checked = check_in(Reading(pulse=130, spo2=90), pre_dose=False)
    assert [(a["field"], a["level"]) for a in checked.alerts()] == [("spo2", "urgent"), ("pulse", "caution")]


def test_reading_round_trips_through_payload_and_tolerates_old_payloads():
    reading = Reading(128, 84, 72, 98, 14, 36.6, 4, "mild", True, "x")
    assert reading_from_payload(check_in(reading, pre_dose=False).payload()) == reading
    old = reading_from_payload({"systolic": "128", "pulse": 72, "nausea": "lots", "moaas": True})
    assert old.systolic is None and old.pulse == 72 and old.nausea is None and old.moaas is None


def test_baseline_is_the_last_check_before_the_dose_with_a_blood_pressure():
    history = [(60.0, Reading(systolic=130, diastolic=85, pulse=80)), (300.0, Reading(systolic=124, spo2=98)),
               (600.0, Reading(pulse=76, spo2=97)), (2000.0, Reading(systolic=150))]
    base = baseline_reading(history, dose_time=1200.0)
    assert (base.systolic, base.diastolic, base.pulse, base.spo2) == (124, None, None, 98), \
        "one check's values, never a mix of checks; the later partial check without BP is not the baseline"
    assert baseline_reading(history, None) is None
    assert baseline_reading(history, dose_time=10.0) is None


def test_the_baseline_check_in_is_the_last_one_taken_before_the_dose():
    from kaproom.domain.vitals import baseline_of
    times = [(t, Reading(systolic=120)) for t in (60.0, 600.0, 1200.0, 3600.0)]
    assert baseline_of(times, None) is None, "no dose yet: no baseline to name"
    assert baseline_of(times, 30.0) is None, "nothing taken before the dose"
    assert baseline_of(times, 1200.0) == 2, "one taken at the dose's own second counts"
    assert baseline_of(times, 1500.0) == 2
    assert baseline_of([], 1500.0) is None
