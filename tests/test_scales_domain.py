"""Rating scales as protocol data: the built-in MOAA/S, RASS and dissociation rating, their scoring
and alerts, a clinic's own scale added in a protocol file, and malformed definitions refused by name."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaproom.domain.protocol import BUILTIN_DIR, ProtocolError, builtin_protocol, parse_protocol
from kaproom.domain.scales import (
    BUILTIN_SCALES,
    DISSOCIATION,
    MOAAS,
    RASS,
    Choice,
    Item,
    Rating,
    Scale,
    TotalAlert,
    due_scales,
    parse_answer,
    parse_rating,
    rating_from_payload,
    stored_scale_words,
)
from kaproom.domain.vitals_reading import MOAAS as VITALS_MOAAS

SHORT = (BUILTIN_DIR / "short-check.toml").read_text()

CADSS = '''
[[scales]]
id = "moaas"

[[scales]]
id = "cadss6"
name = "Clinician-Administered Dissociative States Scale, 6 items"
short = "CADSS-6"
due_at_check_ins = false
due_after_dose_minutes = [40, 90]
caution_total_at_or_above = 6

[[scales.items]]
id = "q1"
text = "Things seemed unreal"
choices = [{points = 0, words = "Not at all"}, {points = 1, words = "Slightly"}, {points = 2, words = "Moderately"},
           {points = 3, words = "Considerably"}, {points = 4, words = "Extremely"}]

[[scales.items]]
id = "q2"
text = "Felt disconnected from the body"
choices = [{points = 0, words = "Not at all"}, {points = 1, words = "Slightly"}, {points = 2, words = "Moderately"},
           {points = 3, words = "Considerably"}, {points = 4, words = "Extremely"}]
'''


def with_scales(text: str) -> str:
    return SHORT.replace("[music]", text + "\n[music]", 1)


def test_the_built_in_scales_say_what_the_clinics_use():
    assert [c.points for c in RASS.items[0].choices] == [4, 3, 2, 1, 0, -1, -2, -3, -4, -5]
    assert (RASS.lowest, RASS.highest) == (-5, 4)
    assert RASS.items[0].choice(0).words == "Alert and calm"
    assert RASS.items[0].choice(-5).words.startswith("Unarousable")
    # MOAA/S is the vitals form's own scale, word for word, and stays in the vitals check-in.
    assert {c.points: c.words for c in MOAAS.items[0].choices} == VITALS_MOAAS
    assert MOAAS.vitals_field == "moaas"
    assert [i.id for i in DISSOCIATION.items] == ["severity", "sedation", "dissociation", "respiratory_depression",
                                                  "bp_change"]
    assert [c.words for c in DISSOCIATION.items[0].choices] == ["None", "Mild", "Moderate", "Severe"]
    assert all(i.yes_no for i in DISSOCIATION.items[1:])


def test_the_default_protocol_asks_for_rass_and_dissociation_after_the_dose_and_before_discharge():
    protocol = builtin_protocol("lozenge-3h")
    assert [s.id for s in protocol.scales] == ["moaas", "rass", "dissociation"]
    rass = protocol.scale("rass")
    assert rass is not None and rass.due.after_dose_minutes == (40.0,) and rass.due.before_discharge
    assert not rass.due.at_check_ins
    # A protocol that names no scales keeps MOAA/S in its check-ins, as the room always had.
    assert [s.id for s in builtin_protocol("short-check").scales] == ["moaas"]
    assert [s.id for s in due_scales(protocol.scales, check_in=False, minutes_since_dose=43, discharge=False)] == \
        ["rass", "dissociation"]
    assert due_scales(protocol.scales, check_in=False, minutes_since_dose=70, discharge=False) == []
    assert [s.id for s in due_scales(protocol.scales, check_in=True, minutes_since_dose=None, discharge=False)] == \
        ["moaas"]


def test_answers_are_typed_as_points_words_or_y_and_n():
    rass = RASS.items[0]
    assert parse_answer(rass, "-3") == (-3, "")
    assert parse_answer(rass, "+2") == (2, "")
    assert parse_answer(rass, "2") == (2, "")
    assert parse_answer(rass, " calm") == (None, "RASS: 'calm' is not an answer; type -5 to +4")
    assert parse_answer(rass, "drowsy") == (-1, "")
    assert parse_answer(rass, "-6") == (None, "RASS: '-6' is not an answer; type -5 to +4")
    assert parse_answer(rass, "") == (None, "")
    resp = DISSOCIATION.item("respiratory_depression")
    assert resp is not None
    assert parse_answer(resp, "y") == (1, "")
    assert parse_answer(resp, "No") == (0, "")
    assert parse_answer(resp, "maybe")[1] == "Respiratory depression: 'maybe' is not an answer; type yes or no (y / n)"
    assert parse_answer(DISSOCIATION.items[0], "moderate") == (2, "")


def test_a_rating_totals_its_answers_and_raises_the_alerts_its_definition_names():
    parsed = parse_rating(DISSOCIATION, {"severity": "severe", "sedation": "y", "dissociation": "y",
                                         "respiratory_depression": "y", "bp_change": "n"})
    assert parsed.errors == {} and parsed.rating is not None
    rating = parsed.rating
    assert rating.complete and rating.total == 6
    alerts = rating.alerts()
    assert [a["level"] for a in alerts] == ["urgent", "caution"]  # urgent first
    assert alerts[0]["field"] == "dissociation.respiratory_depression"
    assert alerts[0]["reason"] == "Dissociation respiratory depression 1: Yes"
    assert rating.level == "urgent"
    payload = rating.payload()
    assert payload["answers"]["severity"] == {"points": 3, "words": "Severe"}
    assert payload["total"] == 6 and payload["complete"] is True and payload["scale"] == "dissociation"
    assert stored_scale_words(payload) == payload["words"]
    assert rating_from_payload(DISSOCIATION, json.loads(json.dumps(payload))) == rating
    calm = parse_rating(RASS, {"rass": "0"}).rating
    assert calm is not None and calm.alerts() == [] and calm.words() == "RASS 0 (Alert and calm)"
    deep = parse_rating(RASS, {"rass": "-4"}).rating
    assert deep is not None and deep.level == "urgent" and deep.words() == "RASS -4 (Deep sedation)"


def test_nothing_typed_is_no_rating_and_a_bad_answer_keeps_the_others_out():
    assert parse_rating(RASS, {}).rating is None and parse_rating(RASS, {}).errors == {}
    bad = parse_rating(DISSOCIATION, {"severity": "mild", "sedation": "perhaps"})
    assert bad.rating is None and set(bad.errors) == {"sedation"}
    partial = parse_rating(DISSOCIATION, {"severity": "mild"}).rating
    assert partial is not None and not partial.complete and partial.words().startswith("Dissociation 1 (partial)")


def test_a_clinic_adds_its_own_instrument_as_data():
    protocol = parse_protocol(with_scales(CADSS), "clinic/short.toml")
    cadss = protocol.scale("cadss6")
    assert cadss is not None and cadss.short == "CADSS-6" and len(cadss.items) == 2
    assert cadss.due.after_dose_minutes == (40.0, 90.0) and not cadss.due.at_check_ins
    assert cadss.total_alerts == (TotalAlert("caution", 6, True),)
    high = parse_rating(cadss, {"q1": "4", "q2": "extremely"}).rating
    assert high is not None and high.total == 8
    assert high.alerts() == [{"level": "caution", "field": "cadss6", "value": 8,
                              "reason": "CADSS-6 total 8 (at or above 6)"}]
    low = parse_rating(cadss, {"q1": "1", "q2": "0"}).rating
    assert low is not None and low.alerts() == []


def expect_error(text: str, *fragments: str) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_protocol(with_scales(text), "clinic/short.toml")
    message = str(info.value)
    assert message.startswith("clinic/short.toml: "), message
    for fragment in fragments:
        assert fragment in message, message
    assert "Fix:" in message


def test_malformed_scale_definitions_are_refused_naming_the_key_and_the_fix():
    expect_error('[[scales]]\nid = "cadss"\n', "scales[1]", "not a built-in scale and has no items",
                 "use one of moaas, rass, dissociation")
    expect_error(CADSS.replace('{points = 1, words = "Slightly"}', '{points = 0, words = "Slightly"}', 1),
                 "scales[2].items[1].choices[2].points", "two choices have 0 points", "its own points")
    expect_error(CADSS.replace('alert = ', 'x = ').replace('{points = 4, words = "Extremely"}]',
                                                           '{points = 4, words = "Extremely", alert = "loud"}]', 1),
                 "scales[2].items[1].choices[5].alert", "alert 'loud' is not a level", 'alert = "caution"')
    expect_error(CADSS.replace("caution_total_at_or_above = 6", "caution_total_at_or_above = 40"),
                 "caution_total_at_or_above", "the total runs from 0 to 8")
    expect_error(CADSS.replace("due_after_dose_minutes = [40, 90]", "due_after_dose_minutes = 40"),
                 "scales[2].due_after_dose_minutes", "due_after_dose_minutes = [40]")
    expect_error(CADSS.replace('short = "CADSS-6"', 'shrot = "CADSS-6"'), "unknown key 'shrot'",
                 "did you mean 'short'?")
    expect_error('[[scales]]\nid = "rass"\n[[scales]]\nid = "rass"\n', "scale 'rass' is listed twice")
    expect_error('[[scales]]\nid = "moaas"\nurgent_total_at_or_below = 2\n', "moaas_urgent_at_or_below")
    expect_error(CADSS.replace('text = "Things seemed unreal"\n', ""), "scales[2].items[1]", "missing 'text'")
    expect_error('[[scales]]\nid = "x"\nname = "X"\n[[scales.items]]\nid = "q"\ntext = "Q"\nchoices = [1, 2]\n',
                 "scales[1].items[1].choices[1]", "each choice must be a table")


choices = st.lists(st.tuples(st.integers(-20, 20), st.text(st.characters(categories=["L"]), min_size=1, max_size=8)),
                   min_size=2, max_size=6, unique_by=(lambda c: c[0], lambda c: c[1].lower()))


@st.composite
def scales(draw: st.DrawFn) -> Scale:
    items = []
    for index in range(draw(st.integers(1, 4))):
        items.append(Item(f"q{index}", f"Question {index}", tuple(Choice(p, w) for p, w in draw(choices))))
    return Scale("own", "Own scale", "Own", tuple(items))


@settings(max_examples=150, deadline=None)
@given(scales(), st.data())
def test_any_answers_total_within_the_scales_range_and_survive_the_record(scale, data):
    answers = {item.id: data.draw(st.sampled_from([c.points for c in item.choices]))
               for item in scale.items if data.draw(st.booleans())}
    typed = {item_id: data.draw(st.sampled_from([f"{p}", f"{p:+d}"])) for item_id, p in answers.items()}
    parsed = parse_rating(scale, typed)
    assert parsed.errors == {}
    if not answers:
        assert parsed.rating is None
        return
    rating = parsed.rating
    assert rating is not None and dict(rating.answers) == answers
    assert rating.total == sum(answers.values())
    if rating.complete:
        assert scale.lowest <= rating.total <= scale.highest
    assert rating_from_payload(scale, json.loads(json.dumps(rating.payload()))) == rating


@settings(max_examples=150, deadline=None)
@given(scales(), st.text(max_size=12))
def test_any_text_typed_is_an_answer_or_a_message_naming_the_item(scale, text):
    item = scale.items[0]
    points, message = parse_answer(item, text)
    if points is not None:
        assert item.choice(points) is not None and message == ""
    elif message:
        assert message.startswith(f"{item.text}: ")


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["points", "words", "alert", "id", "text", "name", "short", "due_at_check_ins",
                        "due_after_dose_minutes", "caution_total_at_or_above"]),
       st.one_of(st.integers(-10**4, 10**4), st.text(max_size=12), st.booleans(), st.lists(st.integers(), max_size=3)))
def test_any_value_in_a_scale_definition_is_accepted_or_refused_clearly(key, value):
    lines = [f"{line.split(key + ' =')[0]}{key} = {json.dumps(value)}" if line.strip().startswith(f"{key} =")
             else line for line in CADSS.splitlines()]
    text = "\n".join(lines)
    if key in ("points", "words", "alert"):  # in a choice, an inline table: replace the first choice's value
        first = '{points = 0, words = "Not at all"}'
        fields = {"points": "0", "words": '"Not at all"', key: json.dumps(value)}
        text = CADSS.replace(first, "{" + ", ".join(f"{k} = {v}" for k, v in fields.items()) + "}", 1)
    try:
        protocol = parse_protocol(with_scales(text), "fuzz.toml")
    except ProtocolError as exc:
        assert str(exc).startswith("fuzz.toml: ") and "Fix:" in str(exc)
    else:
        assert protocol.scales[0] is MOAAS or protocol.scales[0].vitals_field == "moaas"


def test_every_built_in_scale_is_reachable_by_its_id():
    assert set(BUILTIN_SCALES) == {"moaas", "rass", "dissociation"}
    for scale in BUILTIN_SCALES.values():
        rating = Rating(scale, {i.id: i.choices[0].points for i in scale.items})
        assert rating.complete


def test_scales_due_with_a_check_in_and_before_discharge():
    from kaproom.domain.scales import Due, due_before_discharge, due_with_check_in
    every = Scale("own", "Own", "Own", RASS.items, Due(at_check_ins=True))
    scales = (MOAAS, every, DISSOCIATION)
    assert due_with_check_in(scales, 600.0, 700.0, {}) == [every]  # MOAA/S is part of the check-in itself
    assert due_with_check_in(scales, 600.0, 700.0, {"own": [650.0]}) == []
    assert due_with_check_in(scales, 600.0, 600.0 + 11 * 60, {}) == []  # that check-in is long past
    assert due_before_discharge(scales, 9000.0, {}) == [DISSOCIATION]
    assert due_before_discharge(scales, 9000.0, {"dissociation": [9000.0 - 20 * 60]}) == []
    assert due_before_discharge(scales, 9000.0, {"dissociation": [9000.0 - 40 * 60]}) == [DISSOCIATION]
