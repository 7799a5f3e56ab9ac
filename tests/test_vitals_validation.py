"""Parsing typed check-ins: impossible values refused with the field and its range, never a crash."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaproom.domain.protocol import DEFAULT_RANGES
from kaproom.domain.vitals import MOAAS, NAUSEA, parse_vitals

FULL = {"systolic": "128", "diastolic": "84", "pulse": "72", "spo2": "98", "respiratory_rate": "14",
        "temperature": "36.8", "moaas": "5", "nausea": "none", "comment": "calm"}


def test_full_check_in_parses():
    result = parse_vitals(FULL)
    assert result.ok
    r = result.reading
    assert (r.systolic, r.diastolic, r.pulse, r.spo2, r.respiratory_rate, r.temperature, r.moaas, r.nausea) == \
        (128, 84, 72, 98, 14, 36.8, 5, "none")
    assert r.comment == "calm" and not r.partial


def test_bp_typed_as_fraction_fills_both_fields():
    result = parse_vitals({"systolic": " 128 / 84 "})
    assert result.ok and (result.reading.systolic, result.reading.diastolic) == (128, 84)
    assert result.filled == {"systolic": "128", "diastolic": "84"}


def test_bp_fraction_typed_in_diastolic_field_also_works():
    result = parse_vitals({"diastolic": "128/84"})
    assert result.ok and (result.reading.systolic, result.reading.diastolic) == (128, 84)


def test_bp_fraction_conflicting_with_diastolic_field_is_refused():
    result = parse_vitals({"systolic": "128/84", "diastolic": "80"})
    assert not result.ok and "keep one" in result.errors["diastolic"]


@pytest.mark.parametrize("field, text, words", [
    ("pulse", "abc", ["Pulse", "not a number", "20–250"]),
    ("pulse", "400", ["Pulse", "400", "20–250 bpm"]),
    ("pulse", "-5", ["Pulse", "negative", "20–250"]),
    ("pulse", "72.5", ["Pulse", "whole number"]),
    ("spo2", "101", ["SpO2", "101", "50–100 %"]),
    ("spo2", "49", ["SpO2", "50–100"]),
    ("systolic", "1e3", ["Systolic", "not a number", "50–300"]),
    ("respiratory_rate", "3", ["Respiratory rate", "4–60"]),
    ("respiratory_rate", "nan", ["Respiratory rate", "not a number"]),
    ("temperature", "98.6", ["Temperature", "30–43 °C", "°F"]),
    ("temperature", "inf", ["Temperature", "not a number"]),
    ("moaas", "6", ["MOAA/S", "0 to 5"]),
    ("moaas", "five", ["MOAA/S"]),
    ("nausea", "a bit", ["Nausea", "none, mild, moderate, severe"]),
])
def test_impossible_values_refused_with_field_and_range(field, text, words):
    result = parse_vitals(FULL | {field: text})
    assert not result.ok and result.reading is None
    message = result.errors[field]
    for word in words:
        assert word in message, message


def test_diastolic_at_or_above_systolic_refused():
    for dia in ("128", "130"):
        result = parse_vitals(FULL | {"diastolic": dia})
        assert "must be below systolic 128" in result.errors["diastolic"]


def test_every_bad_field_reported_at_once():
    result = parse_vitals({"systolic": "x", "pulse": "400", "spo2": "101"})
    assert set(result.errors) == {"systolic", "pulse", "spo2"}


def test_units_and_decimal_comma_accepted():
    result = parse_vitals({"spo2": "97 %", "pulse": "64bpm", "temperature": "36,9 °C", "systolic": "120 mmHg"})
    assert result.ok
    assert (result.reading.spo2, result.reading.pulse, result.reading.temperature, result.reading.systolic) == \
        (97, 64, 36.9, 120)


def test_partial_check_in_allowed_and_marked():
    result = parse_vitals({"systolic": "128/84", "pulse": "72"})
    assert result.ok and result.reading.partial
    assert result.reading.spo2 is None and result.reading.moaas is None and result.reading.news2() is None


def test_nothing_typed_is_refused_as_empty_not_defaulted():
    result = parse_vitals({"comment": "only words"})
    assert not result.ok and "Nothing to save" in result.errors["form"]
    assert not parse_vitals({}).ok


def test_protocol_ranges_are_used():
    ranges = dict(DEFAULT_RANGES) | {"pulse": (30.0, 200.0)}
    assert "30–200 bpm" in parse_vitals({"pulse": "210"}, ranges).errors["pulse"]
    assert parse_vitals({"pulse": "210"}).ok


def test_moaas_accepts_the_listed_text_and_oxygen_words():
    result = parse_vitals({"moaas": "4 · lethargic response", "supplemental_oxygen": "yes", "spo2": "95"})
    assert result.ok and result.reading.moaas == 4 and result.reading.supplemental_oxygen is True
    assert "Oxygen" in parse_vitals({"spo2": "95", "supplemental_oxygen": "maybe"}).errors["supplemental_oxygen"]


# ----------------------------------------------------------------------------- properties

number_like = st.one_of(
    st.text(max_size=12),
    st.integers(-1000, 100000).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.from_regex(r"\A[-+−]?[0-9]{1,7}([.,][0-9]{0,7})?\s*(%|bpm|mmHg|°C|/min)?\Z"),
    st.from_regex(r"\A[0-9]{1,4}\s*/\s*[0-9]{0,4}\Z"),
    st.sampled_from(["", " ", "٣٤", "１２０", "0x50", "1_000", "12e1", "∞", "NaN", "½", "72\n", "\x00"]),
)
FIELDS = ("systolic", "diastolic", "pulse", "spo2", "respiratory_rate", "temperature", "moaas", "nausea",
          "comment", "supplemental_oxygen")


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), st.one_of(number_like, st.none(), st.booleans(), st.integers())))
def test_validator_never_raises_and_never_accepts_the_impossible(texts):
    result = parse_vitals(texts)
    if result.reading is None:
        assert result.errors and all(isinstance(m, str) and m for m in result.errors.values())
        return
    r = result.reading
    for name, (low, high) in DEFAULT_RANGES.items():
        value = getattr(r, name)
        assert value is None or low <= value <= high
    if r.systolic is not None and r.diastolic is not None:
        assert r.diastolic < r.systolic
    assert r.moaas is None or r.moaas in MOAAS
    assert r.nausea is None or r.nausea in NAUSEA
    assert not r.empty


@settings(max_examples=200, deadline=None)
@given(st.integers(20, 250), st.integers(50, 300), st.integers(20, 200))
def test_every_possible_whole_number_round_trips(pulse, systolic, diastolic):
    result = parse_vitals({"pulse": str(pulse), "systolic": f"{systolic}/{diastolic}"})
    if diastolic >= systolic:
        assert "diastolic" in result.errors
    else:
        assert result.ok and (result.reading.pulse, result.reading.systolic, result.reading.diastolic) == \
            (pulse, systolic, diastolic)
