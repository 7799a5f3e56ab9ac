"""Further doses, standing-order medications, waste and adverse events in the session record:
the protocol's settings, the rules (each refusal names its rule) and which dose the schedule
counts from."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaproom.domain.events import Kind
from kaproom.domain.medication import (
    AdverseEventInput,
    RuleRefused,
    adverse_event_payload,
    adverse_event_words,
    booster_refusal,
    dose_label,
    medication_payload,
    medication_words,
    parse_amount,
    waste_payload,
    waste_words,
)
from kaproom.domain.protocol import BUILTIN_DIR, ProtocolError, parse_protocol
from kaproom.domain.protocol_settings import (
    DEFAULT_ADVERSE_EVENT_KINDS,
    DEFAULT_STANDING_ORDERS,
    SEVERITIES,
    DoseRules,
)
from kaproom.domain.session import SessionError
from kaproom.domain.vitals_schedule import due_for_session

MIN = 60.0
SHORT = (BUILTIN_DIR / "short-check.toml").read_text()
NAMES = {"arrival": "Arrival", "dosing": "Dosing", "onset": "Onset", "deep": "Deep", "return": "Return"}


def test_the_default_protocol_allows_one_dose_and_lists_the_standing_orders_and_adverse_events(protocol):
    assert protocol.doses.max_doses == 1
    assert [o.id for o in protocol.standing_orders] == ["ondansetron", "lorazepam", "clonidine", "labetalol"]
    ondansetron = protocol.standing_order("Ondansetron")
    assert ondansetron is not None and (ondansetron.amount, ondansetron.unit, ondansetron.rxnorm) == (4.0, "mg", "26225")
    assert protocol.standing_order("lorazepam").highest == 1.0
    assert {k.id for k in protocol.adverse_event_kinds} >= {"nausea_vomiting", "hypertension", "fall", "other"}
    assert "medical director" in (BUILTIN_DIR / "lozenge-3h.toml").read_text()


def test_a_protocol_without_the_new_tables_gets_the_defaults():
    text = SHORT.split("\n[doses]")[0] + "\n[[phases]]" + SHORT.split("\n[[phases]]", 1)[1]
    plain = parse_protocol(text)
    assert plain.doses == DoseRules()
    assert plain.standing_orders == DEFAULT_STANDING_ORDERS and plain.adverse_event_kinds == DEFAULT_ADVERSE_EVENT_KINDS


@pytest.mark.parametrize("old, new, words", [
    ('booster_phases = ["onset", "deep"]', 'booster_phases = ["plateau"]', "'plateau' is not one of the phases"),
    ("max_doses = 2", "max_doses = 0", "'max_doses' is 0, outside 1 to 10"),
    ('rxnorm = "26225"', 'rxnorm = "ondansetron"', "is not an RxNorm code"),
    ("max_amount = 1\n", "max_amount = 0.1\n", "'max_amount' is 0.1, outside 0.5"),
])
def test_bad_medication_settings_are_refused_with_the_fix(old, new, words):
    with pytest.raises(ProtocolError) as info:
        parse_protocol(SHORT.replace(old, new, 1), "clinic/short.toml")
    assert words in str(info.value) and "Fix:" in str(info.value)


# ------------------------------------------------------------------ the booster's rules

def test_a_booster_beyond_max_doses_names_the_rule():
    refused = booster_refusal(DoseRules(max_doses=1), [60.0], 3600.0, "deep", NAMES)
    assert refused is not None and refused.rule == "max_doses" and "allows 1 dose" in str(refused)


def test_a_booster_before_the_interval_says_when_it_may_be_given():
    refused = booster_refusal(DoseRules(max_doses=2, min_interval_minutes=30), [600.0], 1200.0, "deep", NAMES)
    assert refused is not None and refused.rule == "min_interval_minutes" and "not before 0:40:00" in str(refused)


def test_a_booster_outside_the_allowed_phases_names_them():
    refused = booster_refusal(DoseRules(max_doses=2, min_interval_minutes=0), [600.0], 9000.0, "return", NAMES)
    assert refused is not None and refused.rule == "booster_phases" and "Onset, Deep" in str(refused)
    assert "Return" in str(refused)


@given(max_doses=st.integers(1, 4), interval=st.floats(0, 120), times=st.lists(st.floats(0, 10_000), max_size=5),
       now=st.floats(0, 20_000), phase=st.sampled_from(list(NAMES)))
def test_booster_refusal_is_none_exactly_when_every_rule_allows_it(max_doses, interval, times, now, phase):
    rules = DoseRules(max_doses=max_doses, min_interval_minutes=interval)
    refused = booster_refusal(rules, times, now, phase, NAMES)
    allowed = bool(times) and len(times) < max_doses and now >= max(times) + interval * 60 - 1e-6 \
        and phase in rules.booster_phases
    assert (refused is None) == allowed
    if refused is not None:
        assert f"(rule: {refused.rule})" in str(refused)


# ------------------------------------------------------------------ standing orders

def test_a_standing_order_is_recorded_with_its_amount_route_indication_and_code():
    payload = medication_payload(DEFAULT_STANDING_ORDERS, "ondansetron", None, "", 4000.0)
    assert payload == {"medication": "ondansetron", "name": "Ondansetron", "amount": 4.0, "unit": "mg",
                       "route": "ODT, sublingual", "reason": "nausea or vomiting", "effective_time": 4000.0,
                       "rxnorm": "26225"}
    assert medication_words(payload) == "Ondansetron 4 mg ODT, sublingual, for nausea or vomiting"


def test_an_unknown_medication_is_refused_naming_the_standing_orders():
    with pytest.raises(RuleRefused) as info:
        medication_payload(DEFAULT_STANDING_ORDERS, "diazepam", 5.0, "", 10.0)
    assert info.value.rule == "standing_orders" and "ondansetron, lorazepam" in str(info.value)


@given(amount=st.floats(-10, 10, allow_nan=False))
def test_an_amount_is_taken_only_within_the_standing_order(amount):
    try:
        payload = medication_payload(DEFAULT_STANDING_ORDERS, "lorazepam", amount, "agitation", 10.0)
    except RuleRefused as exc:
        assert not 0 < amount <= 1.0 and exc.rule == "standing_orders"
    else:
        assert 0 < payload["amount"] <= 1.0


@pytest.mark.parametrize("text, value", [("4", 4.0), ("4 mg", 4.0), ("0,5mg", 0.5), (" 1.0 MG ", 1.0)])
def test_amounts_are_read_as_typed(text, value):
    assert parse_amount(text, "mg") == value


@pytest.mark.parametrize("text", ["four", "4 g", "", "4 mg 2"])
def test_unreadable_amounts_say_what_to_type(text):
    with pytest.raises(RuleRefused):
        parse_amount(text, "mg")


# ------------------------------------------------------------------ waste

def test_a_waste_needs_a_witness_who_is_another_person():
    with pytest.raises(RuleRefused, match="needs a witness"):
        waste_payload(20.0, "  ", "Dr A", "spat out", 100.0)
    with pytest.raises(RuleRefused, match="another person"):
        waste_payload(20.0, "dr a", "Dr A", "spat out", 100.0)
    payload = waste_payload(20.0, "R. Lee", "Dr A", "spat out", 100.0, dose_seq=7)
    assert payload["witness_verified"] is False and payload["dose_seq"] == 7
    assert waste_words(payload) == "20 mg wasted (spat out), witnessed by R. Lee (typed name, unverified)"


# ------------------------------------------------------------------ adverse events

def test_an_adverse_event_without_kind_or_severity_is_refused_naming_the_rule():
    kinds = DEFAULT_ADVERSE_EVENT_KINDS
    with pytest.raises(RuleRefused) as info:
        adverse_event_payload(kinds, AdverseEventInput("", "mild"), 100.0)
    assert info.value.rule == "adverse event kind"
    with pytest.raises(RuleRefused) as info:
        adverse_event_payload(kinds, AdverseEventInput("hypertension", ""), 100.0)
    assert info.value.rule == "severity"
    with pytest.raises(RuleRefused, match="needs a description"):
        adverse_event_payload(kinds, AdverseEventInput("other", "mild"), 100.0)


@given(kind=st.text(max_size=25) | st.sampled_from([k.id for k in DEFAULT_ADVERSE_EVENT_KINDS]),
       severity=st.text(max_size=20) | st.sampled_from(SEVERITIES), onset=st.none() | st.floats(-100, 5000),
       description=st.text(max_size=10))
def test_an_adverse_event_is_recorded_only_with_a_listed_kind_a_severity_and_an_onset_up_to_now(
        kind, severity, onset, description):
    answers = AdverseEventInput(kind, severity, onset, description=description)
    try:
        payload = adverse_event_payload(DEFAULT_ADVERSE_EVENT_KINDS, answers, 4000.0)
    except RuleRefused as exc:
        assert exc.rule in ("adverse event kind", "severity", "onset")
    else:
        assert payload["kind"] in {k.id for k in DEFAULT_ADVERSE_EVENT_KINDS}
        assert payload["severity"] in SEVERITIES and 0 <= payload["onset"] <= 4000.0
        assert isinstance(payload["ems_called"], bool) and isinstance(payload["follow_up"], bool)


def test_an_adverse_event_in_words():
    payload = adverse_event_payload(DEFAULT_ADVERSE_EVENT_KINDS, AdverseEventInput(
        "hypertension", "Moderate", 3720.0, "clonidine 0.1 mg", "resolved", False, True), 4000.0)
    assert adverse_event_words(payload) == ("Hypertension, moderate, onset 1:02:00; actions: clonidine 0.1 mg; "
                                            "outcome: resolved; emergency services not called; follow-up needed")


# ------------------------------------------------------------------ in a running session

def _dosed(workspace, protocol, clock):
    runner = workspace.new_session(protocol, "C-1", "Dr A", prescribed_dose_mg=200.0)
    clock.advance(2 * MIN)
    runner.record(Kind.VITALS, {"systolic": 120, "diastolic": 80, "partial": True, "comment": ""})
    runner.give_dose(protocol.dose_route, product="Ketamine 100 mg troche", lot="L-17")
    return runner


def test_a_booster_in_the_short_protocol_is_dose_2_and_restarts_the_schedule(workspace, short_protocol, clock):
    runner = _dosed(workspace, short_protocol, clock)
    first = runner.state.dose_time
    dose = workspace.store.events(runner.session_uid, (Kind.DOSE,))[0]
    assert (dose.payload["product"], dose.payload["lot"]) == ("Ketamine 100 mg troche", "L-17")
    clock.advance(1 * MIN)
    with pytest.raises(SessionError, match="min_interval_minutes"):
        runner.give_booster()
    clock.advance(2 * MIN)  # onset, 3 min after the dose
    runner.tick()
    booster = runner.give_booster()
    assert booster.payload["number"] == 2 and dose_label(booster.payload) == "Booster (dose 2)"
    assert runner.state.dose_time == first and runner.state.last_dose_time == booster.session_time
    due = due_for_session(short_protocol, runner.state, runner.elapsed(),
                          workspace.store.events(runner.session_uid))
    assert due.kind == "after_dose" and due.due_at == pytest.approx(booster.session_time + 4 * MIN)
    with pytest.raises(SessionError, match="max_doses"):
        clock.advance(3 * MIN)
        runner.give_booster()


def test_the_default_protocol_refuses_a_booster_and_records_nothing(workspace, protocol, clock):
    runner = _dosed(workspace, protocol, clock)
    clock.advance(60 * MIN)
    runner.tick()  # the phases due by now
    before = len(workspace.store.events(runner.session_uid))
    with pytest.raises(SessionError, match=r"allows 1 dose.*\(rule: max_doses\)"):
        runner.give_booster()
    assert len(workspace.store.events(runner.session_uid)) == before


def test_medication_effect_waste_and_adverse_event_are_recorded(workspace, protocol, clock):
    runner = _dosed(workspace, protocol, clock)
    clock.advance(30 * MIN)
    med = runner.give_medication("Ondansetron", reason="nausea")
    effect = runner.medication_effect(med, "nausea settled")
    waste = runner.record_waste("R. Lee", 20.0, "part of the lozenge spat out")
    event = runner.record_adverse_event(AdverseEventInput("hypertension", "moderate", actions="clonidine"))
    assert (med.payload["reason"], effect.payload["medication_seq"]) == ("nausea", med.seq)
    assert waste.payload["witness"] == "R. Lee" and event.payload["severity"] == "moderate"
    with pytest.raises(SessionError, match="rule: standing_orders"):
        runner.give_medication("ketorolac")
    with pytest.raises(SessionError, match="rule: witness"):
        runner.record_waste("Dr A", 10.0)
