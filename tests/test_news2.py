"""NEWS2 against the Royal College of Physicians' chart 1 (2017), SpO2 scale 1.

The expected points below are copied from the printed chart, column by column, not from the
code's tables: each parameter is moved across every column edge while the others stay at 0.
"""
from __future__ import annotations

import pytest

from kaproom.domain import vitals
from kaproom.domain.news2 import News2

NORMAL = dict(respiratory_rate=16, spo2=98, systolic_bp=120, pulse=70, alert=True, temperature=37.0)

# Chart 1: respiration rate ≤8 → 3 | 9–11 → 1 | 12–20 → 0 | 21–24 → 2 | ≥25 → 3
RESPIRATION = [(4, 3), (8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3), (60, 3)]
# SpO2 scale 1: ≤91 → 3 | 92–93 → 2 | 94–95 → 1 | ≥96 → 0
SPO2 = [(50, 3), (91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0)]
# Systolic: ≤90 → 3 | 91–100 → 2 | 101–110 → 1 | 111–219 → 0 | ≥220 → 3
SYSTOLIC = [(50, 3), (90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3), (300, 3)]
# Pulse: ≤40 → 3 | 41–50 → 1 | 51–90 → 0 | 91–110 → 1 | 111–130 → 2 | ≥131 → 3
PULSE = [(20, 3), (40, 3), (41, 1), (50, 1), (51, 0), (90, 0), (91, 1), (110, 1), (111, 2), (130, 2),
         (131, 3), (250, 3)]
# Temperature: ≤35.0 → 3 | 35.1–36.0 → 1 | 36.1–38.0 → 0 | 38.1–39.0 → 1 | ≥39.1 → 2
TEMPERATURE = [(30.0, 3), (35.0, 3), (35.1, 1), (36.0, 1), (36.1, 0), (38.0, 0), (38.1, 1), (39.0, 1),
               (39.1, 2), (43.0, 2)]


def score(**changes) -> News2:
    return vitals.news2(**(NORMAL | changes))


def test_all_normal_scores_zero_and_low():
    result = score()
    assert (result.score, result.band) == (0, "low")
    assert set(result.parts) == {"respiratory_rate", "spo2", "supplemental_oxygen", "systolic_bp", "pulse",
                                 "consciousness", "temperature"}


@pytest.mark.parametrize("value, points", RESPIRATION)
def test_respiration_rate_columns(value, points):
    result = score(respiratory_rate=value)
    assert result.parts["respiratory_rate"] == points and result.score == points


@pytest.mark.parametrize("value, points", SPO2)
def test_spo2_scale_1_columns(value, points):
    result = score(spo2=value)
    assert result.parts["spo2"] == points and result.score == points


@pytest.mark.parametrize("value, points", SYSTOLIC)
def test_systolic_columns(value, points):
    result = score(systolic_bp=value)
    assert result.parts["systolic_bp"] == points and result.score == points


@pytest.mark.parametrize("value, points", PULSE)
def test_pulse_columns(value, points):
    result = score(pulse=value)
    assert result.parts["pulse"] == points and result.score == points


@pytest.mark.parametrize("value, points", TEMPERATURE)
def test_temperature_columns(value, points):
    result = score(temperature=value)
    assert result.parts["temperature"] == points and result.score == points


def test_consciousness_alert_zero_otherwise_three():
    assert score(alert=True).parts["consciousness"] == 0
    result = score(alert=False)
    assert result.parts["consciousness"] == 3 and result.score == 3


def test_supplemental_oxygen_adds_two():
    assert score(supplemental_oxygen=False).parts["supplemental_oxygen"] == 0
    result = score(supplemental_oxygen=True)
    assert result.parts["supplemental_oxygen"] == 2 and result.score == 2 and result.band == "low"


@pytest.mark.parametrize("changes, total, band", [
    ({}, 0, "low"),
    ({"pulse": 91}, 1, "low"),
    ({"respiratory_rate": 21, "pulse": 111}, 4, "low"),  # two 2s: 4, no red parameter
    ({"respiratory_rate": 8}, 3, "low-medium"),  # a single 3, aggregate under 5
    ({"alert": False, "pulse": 91}, 4, "low-medium"),
    ({"alert": False, "spo2": 92}, 5, "medium"),  # a 3 but aggregate 5: medium wins
    ({"spo2": 92, "respiratory_rate": 21, "pulse": 91}, 5, "medium"),
    ({"spo2": 92, "respiratory_rate": 21, "pulse": 111}, 6, "medium"),
    ({"spo2": 92, "respiratory_rate": 21, "pulse": 111, "temperature": 38.5}, 7, "high"),
    ({"respiratory_rate": 25, "spo2": 93, "supplemental_oxygen": True, "systolic_bp": 95, "pulse": 115,
      "alert": False, "temperature": 39.5}, 16, "high"),
])
def test_aggregate_and_band(changes, total, band):
    result = score(**changes)
    assert (result.score, result.band) == (total, band)


def test_band_thresholds_are_exact_at_4_5_6_7():
    # 2+2 = 4 low, +1 = 5 medium, +1 = 6 medium, +1 = 7 high
    base = {"respiratory_rate": 21, "pulse": 111}
    assert score(**base).band == "low"
    assert score(**base, temperature=35.5).band == "medium"
    assert score(**base, temperature=35.5, systolic_bp=105).band == "medium"
    assert score(**base, temperature=35.5, systolic_bp=100).band == "high"


def test_missing_temperature_is_named_not_guessed():
    result = score(temperature=None)
    assert result.parts["temperature"] is None and result.missing == ("temperature",)
    assert "without temperature" in result.describe()
    assert result.as_payload()["missing"] == ["temperature"]


def test_garbage_to_the_public_entry_point_is_refused():
    for bad in (float("nan"), float("inf"), None, "98", True):
        with pytest.raises(ValueError):
            score(spo2=bad)


def test_payload_shape():
    payload = score(respiratory_rate=8).as_payload()
    assert payload == {"score": 3, "band": "low-medium", "parts": {
        "respiratory_rate": 3, "spo2": 0, "supplemental_oxygen": 0, "systolic_bp": 0, "pulse": 0,
        "consciousness": 0, "temperature": 0}}


def test_advisory_wording_mentions_dissociation():
    assert "dissociation" in vitals.NEWS2_ADVISORY and "advisory" in vitals.NEWS2_ADVISORY
