"""Vitals typed at speed, fuzzed: whatever lands in the fields is either read exactly (every value
the one typed, inside the protocol's possible range) or refused with messages naming the field
and the allowed range. Nothing raises, nothing is silently changed or filled in, and a
check-in that was accepted is stored and read back unchanged."""
from __future__ import annotations

import math

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from kaproom.domain.events import Kind
from kaproom.domain.protocol import DEFAULT_ALERTS, DEFAULT_RANGES
from kaproom.domain.vitals import (
    LABELS,
    NAUSEA,
    NUMBER_FIELDS,
    WHOLE_NUMBER_FIELDS,
    Reading,
    check_in,
    parse_vitals,
    reading_from_payload,
)
from kaproom.domain.vitals_rules import LEVELS

FIELDS = NUMBER_FIELDS + ("moaas", "nausea", "comment", "supplemental_oxygen")
INTERNAL_FAILURE = "could not be read"

field_text = st.one_of(
    st.text(st.characters(codec=None, blacklist_categories=()), max_size=20),
    st.sampled_from(["", " ", "72", "72 bpm", "128/84", "128 / 84", "/", "//", "84/128", "98%", "36,8", "36.8°C",
                     "98.6", "-5", "−5", "+72", "0", "00072", "1e2", "٧٢", "７２", "72.0", "72.5", "nan", "inf", "∞",
                     "5 - responds readily", "3: loud", "6", "yes", "no", "mild", "MILD ", "severe!", "\x00",
                     "9" * 40, "1" * 7, "72\n", "\u202e27"]),
)
forms = st.fixed_dictionaries({}, optional={name: field_text for name in FIELDS})
ranges = st.sampled_from([DEFAULT_RANGES, {**DEFAULT_RANGES, "pulse": (30.0, 180.0), "spo2": (70.0, 100.0)}])


@settings(max_examples=600, deadline=None)
@given(form=forms, limits=ranges)
def test_any_typing_is_read_exactly_or_refused_by_field(form, limits):
    result = parse_vitals(form, limits)
    assert all(INTERNAL_FAILURE not in message for message in result.errors.values()), result.errors
    if result.reading is None:
        assert result.errors, "a refused check-in says why"
        for name, message in result.errors.items():
            assert name in LABELS and message.strip()
        return
    assert not result.errors
    reading = result.reading
    for name in NUMBER_FIELDS:
        value = getattr(reading, name)
        if value is None:
            continue
        low, high = limits[name]
        assert low <= value <= high and math.isfinite(value)
        if name in WHOLE_NUMBER_FIELDS:
            assert isinstance(value, int)
    if reading.systolic is not None and reading.diastolic is not None:
        assert reading.diastolic < reading.systolic
    assert reading.moaas is None or 0 <= reading.moaas <= 5
    assert reading.nausea is None or reading.nausea in NAUSEA
    for name in NUMBER_FIELDS + ("moaas", "nausea"):
        typed = str(form.get(name, "") or "").strip()
        bp_in_other_field = name in ("systolic", "diastolic") and any("/" in str(form.get(f, "")) for f in
                                                                       ("systolic", "diastolic"))
        if not typed and not bp_in_other_field:
            assert getattr(reading, name) is None, f"{name} was filled in although nothing was typed"


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(NUMBER_FIELDS), value=st.integers(0, 400), pad=st.sampled_from(["", " ", "  ", "\t"]),
       unit=st.booleans())
def test_a_whole_number_typed_is_taken_as_typed_or_refused_with_the_range(name, value, pad, unit):
    suffix = {"systolic": " mmHg", "diastolic": " mmHg", "pulse": " bpm", "spo2": "%", "respiratory_rate": "/min",
              "temperature": " °C"}[name] if unit else ""
    form = {name: f"{pad}{value}{suffix}{pad}"}
    if name == "diastolic":
        form["systolic"] = "300"
    result = parse_vitals(form)
    low, high = DEFAULT_RANGES[name]
    if low <= value <= high and (name != "diastolic" or value < 300):
        assert result.ok and getattr(result.reading, name) == value
    else:
        assert not result.ok and name in result.errors
        assert LABELS[name] in result.errors[name] and f"{low:g}–{high:g}" in result.errors[name]


@st.composite
def readings(draw) -> Reading:
    values = {}
    for name in NUMBER_FIELDS:
        low, high = DEFAULT_RANGES[name]
        if draw(st.booleans()):
            values[name] = (draw(st.integers(int(low), int(high))) if name in WHOLE_NUMBER_FIELDS
                            else round(draw(st.floats(low, high)), 1))
    if values.get("systolic") is not None and values.get("diastolic") is not None:
        assume(values["diastolic"] < values["systolic"])
    values["moaas"] = draw(st.none() | st.integers(0, 5))
    values["nausea"] = draw(st.none() | st.sampled_from(NAUSEA))
    values["supplemental_oxygen"] = draw(st.booleans())
    values["comment"] = draw(st.text(max_size=40)).strip()
    return Reading(**values)


thresholds = st.fixed_dictionaries({}, optional={key: st.floats(0, 1000) for key in DEFAULT_ALERTS})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reading=readings(), alerts=thresholds, pre_dose=st.booleans(), baseline=st.none() | readings())
def test_any_reading_is_assessed_stored_and_read_back_unchanged(workspace, short_protocol, reading, alerts, pre_dose,
                                                                baseline):
    checked = check_in(reading, {**DEFAULT_ALERTS, **alerts}, pre_dose=pre_dose, baseline=baseline)
    assert checked.level in LEVELS and all(status.level in LEVELS for status in checked.statuses.values())
    runner = workspace.new_session(short_protocol, "C-VITALS", "therapist")
    saved = runner.record(Kind.VITALS, checked.payload())
    [stored] = workspace.store.events(runner.session_uid, (Kind.VITALS,))
    assert stored.hash == saved.hash
    assert reading_from_payload(stored.payload) == reading
    for alert in checked.alerts(saved.seq):
        runner.record(Kind.ALERT, alert)
    assert all(report.intact for report in workspace.store.verify(runner.session_uid))


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                       max_size=3), max_leaves=8)


@settings(max_examples=200, deadline=None)
@given(payload=st.dictionaries(st.sampled_from(FIELDS + ("partial", "news2", "other")), json_values))
@example(payload={"pulse": float("nan")})
@example(payload={"systolic": float("inf"), "moaas": float("-inf")})
@example(payload={"spo2": 10**400, "temperature": 10**400})
def test_a_stored_or_imported_vitals_payload_of_any_shape_reads_without_a_crash(payload):
    reading = reading_from_payload(payload)
    for name in NUMBER_FIELDS:
        value = getattr(reading, name)
        assert value is None or isinstance(value, (int, float))
    assert reading.nausea is None or reading.nausea in NAUSEA
    reading.summary()
    reading.news2()
