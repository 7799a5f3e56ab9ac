"""Bad input never crashes and never loses data: hypothesis throws what people type and what
files contain at the parsers and validators. Each input is either taken exactly or refused with a
message that says what is wrong; nothing else (no traceback, no silently changed value).
"""
from __future__ import annotations

import json
import math
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kaproom.domain.events import Kind
from kaproom.domain.protocol import BUILTIN_DIR, Protocol, ProtocolError, parse_protocol
from kaproom.domain.session import SessionError
from kaproom.store import StoreError

FIXTURE_SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# ----------------------------------------------------------------------------------------- notes

#: Everything a keyboard, a paste or a broken clipboard can produce, lone surrogates included.
any_character = st.characters(codec=None, blacklist_categories=())
tricky_notes = st.sampled_from([
    "שלום, הכל בסדר",                                  # right-to-left
    "\u202eevil override\u202c then normal",            # bidi override characters
    "مرحبا 123 hello",                                   # mixed directions
    "👩🏽‍⚕️ held hand 🫶🏻 🏳️‍🌈",                        # emoji with joiners and skin tones
    "tab\there\x00nul\x07bell\x1b[31mansi\x7fdel",       # control characters
    "line one\r\nline two\rline three\u2028sep\u2029para",
    "\ufeffBOM at start", "e\u0301 combining", "\U0010fffd private plane",
    "lone \ud800 surrogate", "\udfff", "ok \ud83d\ude00 pair as surrogates",
    "   ", "\n\t", "\u00a0\u3000", "x" * 100_000,
])


def expected_outcome(text: str) -> str:
    """What a person should see: the note saved, or which refusal."""
    if not text.strip():
        return "empty"
    if re.search("[\ud800-\udfff]", text):
        return "unstorable"
    return "saved"


@settings(max_examples=200, **FIXTURE_SETTINGS)
@given(text=st.one_of(st.text(any_character, max_size=300), tricky_notes))
def test_any_note_is_stored_exactly_or_refused_clearly(workspace, short_protocol, text):
    runner = workspace.new_session(short_protocol, "C-FUZZ", "therapist")
    seq_before = runner.state.last.seq
    outcome = expected_outcome(text)
    try:
        saved = runner.note(text)
    except SessionError as exc:
        assert outcome == "empty" and "empty" in str(exc)
    except StoreError as exc:
        assert outcome == "unstorable" and "cannot be stored" in str(exc) and "retype" in str(exc)
    else:
        assert outcome == "saved"
        [stored] = workspace.store.events(runner.session_uid, (Kind.NOTE,))
        assert stored.payload["text"] == saved.payload["text"] == text.strip()
        assert stored.hash == saved.hash
    if outcome != "saved":
        assert runner.state.last.seq == seq_before and workspace.store.events(runner.session_uid, (Kind.NOTE,)) == []
    assert all(report.intact for report in workspace.store.verify(runner.session_uid))


def test_a_huge_pasted_note_is_stored_whole(workspace, short_protocol):
    runner = workspace.new_session(short_protocol, "C-HUGE", "therapist")
    text = ("Long dictated paragraph with ünïcödé, עברית and 🌊. " * 40_000).strip()  # about 2 MB
    runner.note(text)
    [stored] = workspace.store.events(runner.session_uid, (Kind.NOTE,))
    assert stored.payload["text"] == text
    assert all(report.intact for report in workspace.store.verify())


# ------------------------------------------------------------------------------------- protocols

LOZENGE = (BUILTIN_DIR / "lozenge-3h.toml").read_text(encoding="utf-8")
SETTING_LINE = re.compile(r"^(\s*)([A-Za-z_]+)(\s*=\s*)(.+)$")

toml_scalars = st.one_of(
    st.integers(-10**20, 10**20).map(str),
    st.sampled_from(["nan", "+nan", "-nan", "inf", "-inf", "1e308", "1e-320", "-0.0", "0", "0.0", "true", "false",
                     '""', "''", '"   "', "1979-05-27", "07:32:00", "1979-05-27T07:32:00Z", "0x1F", "0o17", "0b11",
                     "1_000", '"\\u0000"', '"\\ud800"', "[]", "[[]]", "{}", "{ a = 1 }", "[1, 2]", "[nan]",
                     "[-1]", "[1e308, 40]", "[0]", "[inf]", '["40"]', "[true]", "[50, 20]", "[20, 50]", "[120, 120]",
                     "[30, nan]", "[nan, 100]", "[-inf, inf]", "1" + "0" * 400, "-1" + "0" * 30,
                     "[1, 1" + "0" * 400 + "]", "[" + "9" * 25 + "]"]),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12).map(json.dumps),
    st.lists(st.integers(-100, 2000), max_size=3).map(lambda xs: "[" + ", ".join(map(str, xs)) + "]"),
)

EXTRA_TABLES = [
    "[vitals.ranges]\npulse = {v}\n", "[vitals.ranges]\nsystolic = {v}\ndiastolic = {v}\n",
    "[vitals.alerts]\nsystolic_urgent = {v}\n", "[vitals.alerts]\nspo2_urgent_below = {v}\n",
    "[[quick_tags]]\nlabel = {v}\nkey = \"F1\"\n[[quick_tags]]\nlabel = \"Asleep\"\nkey = {v}\n",
    "[[screening]]\nid = {v}\ntext = \"Question\"\n[[screening]]\nid = \"psychosis\"\ntext = {v}\n",
    "[[discharge]]\nid = {v}\ntext = \"Walks steadily\"\n[[discharge]]\nid = {v}\ntext = \"Escort present\"\n",
]


@st.composite
def mutated_protocols(draw) -> str:
    """The shipped protocol with a few settings changed to arbitrary TOML values, lines dropped
    or repeated, and extra tables (ranges, alerts, tags, questions) with arbitrary values."""
    lines = LOZENGE.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["value", "value", "value", "drop", "repeat"]))
        match = SETTING_LINE.match(lines[index])
        if action == "value" and match:
            lines[index] = match.group(1) + match.group(2) + match.group(3) + draw(toml_scalars)
        elif action == "drop":
            del lines[index]
        elif action == "repeat":
            lines.insert(index, lines[index])
    text = "\n".join(lines) + "\n"
    for _ in range(draw(st.integers(0, 2))):
        text += "\n" + draw(st.sampled_from(EXTRA_TABLES)).replace("{v}", draw(toml_scalars))
    return text


def assert_usable(protocol: Protocol) -> None:
    """An accepted protocol must be one the session engine and the vitals rules can run safely."""
    ids = [phase.id for phase in protocol.phases]
    assert ids and len(set(ids)) == len(ids) and protocol.dose_phase in ids
    for phase in protocol.phases:
        assert math.isfinite(phase.minutes) and 0 < phase.minutes <= 24 * 60 and phase.name.strip()
    for field, (low, high) in protocol.vitals_ranges.items():
        assert math.isfinite(low) and math.isfinite(high) and low < high, (field, low, high)
    for key, value in protocol.alerts.items():
        assert math.isfinite(value), (key, value)
    schedule = protocol.vitals_schedule
    assert all(math.isfinite(m) and m > 0 for m in schedule.after_dose_minutes)
    assert math.isfinite(schedule.then_every_minutes) and schedule.then_every_minutes > 0
    music = protocol.music
    assert 0 <= music.start_volume <= music.volume_ceiling <= 100 and 0 <= music.duck_level <= 100
    keys = [tag.key.lower() for tag in protocol.quick_tags]
    assert len(set(keys)) == len(keys) and all(tag.label.strip() for tag in protocol.quick_tags)
    for questions in (protocol.screening, protocol.discharge_checklist):
        question_ids = [q.id for q in questions]
        assert len(set(question_ids)) == len(question_ids), f"two questions share an id: {question_ids}"
        assert all(q.id.strip() and q.text.strip() for q in questions)


@settings(max_examples=400, deadline=None)
@given(text=mutated_protocols())
@example(text=LOZENGE + "\n[vitals.ranges]\npulse = [nan, 100]\n")
@example(text=LOZENGE.replace("minutes = 20", "minutes = 1" + "0" * 400))
@example(text=LOZENGE + "\n[vitals.alerts]\nsystolic_urgent = 1" + "0" * 400 + "\n")
@example(text=LOZENGE + "\n[[screening]]\nid = \"a\"\ntext = \"One\"\n[[screening]]\nid = \"a\"\ntext = \"Two\"\n")
def test_an_edited_protocol_is_usable_or_refused_with_where_and_how(text):
    try:
        protocol = parse_protocol(text, "clinic/edited.toml")
    except ProtocolError as exc:
        message = str(exc)
        assert message.startswith("clinic/edited.toml: ") and "Fix: " in message
        assert exc.problem and exc.fix
        return
    assert_usable(protocol)


@settings(max_examples=200, deadline=None)
@given(text=st.text(any_character, max_size=200))
def test_any_text_at_all_is_a_protocol_error_not_a_crash(text):
    with pytest.raises(ProtocolError):
        parse_protocol(text, "random.toml")
