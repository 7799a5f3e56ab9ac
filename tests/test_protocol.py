"""Protocols are data; a broken protocol file must say where and how to fix it."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaproom.domain.protocol import (
    BUILTIN_DIR,
    ProtocolError,
    available_protocols,
    builtin_protocol,
    load_protocol,
    parse_protocol,
)

SHORT = (BUILTIN_DIR / "short-check.toml").read_text()


def test_default_protocol_matches_the_design():
    p = builtin_protocol("lozenge-3h")
    assert [(ph.name, ph.minutes) for ph in p.phases] == [
        ("Arrival & intention", 20), ("Dosing", 15), ("Onset", 15), ("Deep", 60), ("Return", 30),
        ("Integration & discharge", 40)]
    assert p.total_seconds == 3 * 3600
    assert p.dose_phase == "dosing"
    assert p.vitals_schedule.after_dose_minutes == (40.0,)
    assert p.vitals_schedule.then_every_minutes == 30
    assert p.alerts["systolic_urgent"] == 180 and p.alerts["spo2_urgent_below"] == 92
    assert p.vitals_ranges["pulse"] == (20, 250)
    assert p.phases[-1].auto_advance is False  # discharge is a decision, not a timer


def test_short_protocol_ships_too():
    p = builtin_protocol("short-check")
    assert p.total_seconds == 12 * 60


def expect_error(text: str, *fragments: str) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        parse_protocol(text, "clinic/im-1h.toml")
    message = str(info.value)
    assert message.startswith("clinic/im-1h.toml: ")
    for fragment in fragments:
        assert fragment in message, message
    assert "Fix:" in message
    return info.value


def line_of(text: str, needle: str) -> str:
    """'line N' of the first line holding ``needle``, counted as the error messages count."""
    return f"line {text[:text.index(needle)].count(chr(10)) + 1}"


def test_bad_toml_names_the_line():
    expect_error(SHORT.replace('name = "Dosing"', 'name = "Dosing'), line_of(SHORT, 'name = "Dosing"'),
                 "not valid TOML")


def test_missing_phases():
    head = SHORT.split("[[phases]]")[0]
    expect_error(head, "no phases", "[[phases]]")


def test_negative_length_names_key_and_line():
    text = SHORT.replace("minutes = 3", "minutes = -3")
    error = expect_error(text, "phases[4].minutes", "-3", "outside")
    assert error.where.startswith(line_of(SHORT, "minutes = 3"))


def test_unknown_key_suggests_the_right_one():
    text = SHORT.replace("minutes = 3", "minuets = 3")
    expect_error(text, "unknown key 'minuets'", "did you mean 'minutes'", line_of(SHORT, "minutes = 3"))


def test_unknown_threshold_is_refused_not_ignored():
    expect_error(SHORT.replace("[vitals.alerts]\n", "[vitals.alerts]\nsystolic_urgnet = 170\n"), "vitals.alerts.systolic_urgnet",
                 "did you mean 'systolic_urgent'")


def test_dose_phase_must_exist():
    expect_error(SHORT.replace('dose_phase = "dosing"', 'dose_phase = "dose"'), "dose_phase 'dose' is not", "use one of")


def test_duplicate_phase_ids():
    expect_error(SHORT.replace('id = "onset"', 'id = "dosing"'), "used twice")


def test_unreadable_file(tmp_path: Path):
    with pytest.raises(ProtocolError, match="cannot be read"):
        load_protocol(tmp_path / "missing.toml")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes("name = 'caf\xe9'".encode("latin-1"))
    with pytest.raises(ProtocolError, match="not UTF-8"):
        load_protocol(bad)


def test_clinic_folder_overrides_and_broken_files_do_not_hide_others(tmp_path: Path):
    (tmp_path / "override.toml").write_text(SHORT.replace('name = "Short check, 12 min"', 'name = "Our short check"'))
    (tmp_path / "broken.toml").write_text("[protocol\n")
    protocols, errors = available_protocols(tmp_path)
    names = {p.id: p.name for p in protocols}
    assert names["short-check"] == "Our short check"
    assert "lozenge-3h" in names
    assert len(errors) == 1 and "broken.toml" in str(errors[0])


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_text_gives_a_protocol_or_a_protocol_error(text):
    try:
        parse_protocol(text, "fuzz.toml")
    except ProtocolError as exc:
        assert str(exc).startswith("fuzz.toml: ")


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["minutes", "name", "id", "playlist", "dose_phase", "volume_ceiling", "after_dose_minutes"]),
       st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=True), st.text(max_size=20), st.booleans(),
                 st.lists(st.integers(), max_size=3)))
def test_any_value_in_a_real_protocol_is_accepted_or_refused_clearly(key, value):
    import json
    lines = [f"{key} = {json.dumps(value) if not isinstance(value, float) or (value == value and abs(value) != float('inf')) else 'nan'}"
             if line.strip().startswith(f"{key} =") else line for line in SHORT.splitlines()]
    try:
        parse_protocol("\n".join(lines), "fuzz.toml")
    except ProtocolError as exc:
        assert str(exc).startswith("fuzz.toml: ")


def test_the_discharge_checklist_asks_for_the_protocols_own_observation_time():
    assert builtin_protocol("lozenge-3h").discharge_checklist[0].text == "Observed for at least 2 h since the dose"
    assert builtin_protocol("short-check").discharge_checklist[0].text == "Observed for at least 8 min since the dose"
    longer = parse_protocol(SHORT.replace("discharge_observation_minutes = 8", "discharge_observation_minutes = 150"))
    assert longer.discharge_checklist[0].text == "Observed for at least 2 h 30 min since the dose"
