"""Facts before dosing: the escort, last food and drink, touch consent and music preferences,
asked on the start page as the protocol says, in the record, and F10 refusing a dose while a
required fact is missing (saying which, and losing nothing typed)."""
from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel

from kaproom.domain.events import Kind
from kaproom.domain.pre_dose import FIELDS, facts_words, missing, parse_clock_time, parse_facts, recorded_facts
from kaproom.domain.protocol import ProtocolError, builtin_protocol, parse_protocol
from kaproom.export.summary import summarize
from kaproom.ui.start.page import StartPage
from tests._room_helpers import activate
from tests._vitals_helpers import COMPLETE, fill, open_vitals_room, press, save, stored, type_text

PRE_DOSE = '\n[pre_dose]\nask = ["last_drink", "touch_consent", "music_preferences"]\n' \
           'required = ["escort_name", "escort_phone", "last_food"]\n'


def with_facts(protocol_id: str = "lozenge-3h", table: str = PRE_DOSE):
    """The built-in protocol with its own [pre_dose] table (if any) replaced by ``table``."""
    base = re.sub(r"(?ms)^\[pre_dose\]\n.*?(?=^\[music\])", "", builtin_protocol(protocol_id).text)
    return parse_protocol(base.replace("[music]", table + "\n[music]", 1), "clinic/facts.toml")


def test_the_protocol_says_which_facts_are_asked_and_which_are_needed_before_the_dose():
    protocol = with_facts()
    assert protocol.pre_dose_ask == FIELDS  # the required are asked too, in the page's order
    assert protocol.pre_dose_required == ("escort_name", "escort_phone", "last_food")
    assert builtin_protocol("short-check").pre_dose_ask == () and builtin_protocol("short-check").pre_dose_required == ()
    # the built-in lozenge protocol asks the escort, fasting and touch on the start page; F10 needs the escort
    assert builtin_protocol().pre_dose_ask == ("escort_name", "escort_phone", "last_food", "last_drink", "touch_consent")
    assert builtin_protocol().pre_dose_required == ("escort_name", "escort_phone")
    with pytest.raises(ProtocolError, match=r"pre_dose.required: 'escort' is not a pre-dose fact.*escort_name"):
        with_facts(table='\n[pre_dose]\nrequired = ["escort"]\n')
    with pytest.raises(ProtocolError, match="unknown key 'requird'"):
        with_facts(table='\n[pre_dose]\nrequird = ["escort_name"]\n')


def test_each_fact_is_checked_with_a_message_naming_it():
    parsed = parse_facts({"escort_name": " Sam  Lee ", "escort_phone": "+1 (415) 555-0100", "last_food": "7:30 pm",
                          "last_drink": "9", "touch_consent": "ask", "music_preferences": "no lyrics"})
    assert parsed.errors == {}
    assert parsed.facts == {"escort_name": "Sam Lee", "escort_phone": "+1 (415) 555-0100", "last_food": "19:30",
                            "last_drink": "09:00", "touch_consent": "ask_first", "music_preferences": "no lyrics"}
    assert facts_words(parsed.facts) == ("escort Sam Lee (+1 (415) 555-0100); last food 19:30; last drink 09:00; "
                                         "touch: ask first; music: no lyrics")
    bad = parse_facts({"escort_phone": "call Sam", "last_food": "25:00", "touch_consent": "maybe"})
    assert bad.errors == {
        "escort_phone": "Escort's phone: 'call Sam' is not a phone number; type digits, spaces, + ( ) - only",
        "last_food": "Last food: '25:00' is not a time of day; type it as 07:30 or 7:30 pm",
        "touch_consent": "Touch consent: 'maybe' is not one of yes, ask first, no"}
    assert missing(("escort_name", "last_food"), recorded_facts([{"escort_name": "Sam"}, {"escort_name": ""}])) \
        == ["last_food"]
    assert summarize(Kind.PRE_DOSE, {"last_food": "07:30", "touch_consent": "no"}) == \
        "Before the dose: last food 07:30; touch: no"


@given(st.dictionaries(st.sampled_from(FIELDS), st.text(max_size=40)))
def test_any_text_typed_is_a_fact_or_a_message_naming_its_field(texts):
    parsed = parse_facts(texts)
    for name, message in parsed.errors.items():
        assert message.startswith(("Escort", "Last", "Touch", "Music"))
        assert name not in parsed.facts
    for name, value in parsed.facts.items():
        assert value and (name not in ("last_food", "last_drink") or parse_clock_time(value) == value)


def test_the_start_page_asks_for_the_facts_from_the_keyboard_and_records_them(qtbot, workspace):
    workspace.protocols_dir.mkdir(parents=True, exist_ok=True)
    (workspace.protocols_dir / "facts.toml").write_text(with_facts().text.replace('id = "lozenge-3h"',
                                                                                  'id = "lozenge-facts"'))
    page = StartPage(workspace)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    activate(qtbot, page)
    page.protocol_choice.setCurrentIndex(page.protocol_choice.findData("lozenge-facts"))
    # the music preferences in words are the music section's note, beside the wishes the music follows
    assert page.facts is not None and list(page.facts.fields) == [f for f in FIELDS if f != "music_preferences"]
    page.intention.setFocus()
    qtbot.keyClicks(page.intention, "To rest.")
    for text in ("Sam Lee", "555 0100", "7:30", "nine", "ask"):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        qtbot.keyClicks(QApplication.focusWidget(), text)
    qtbot.keyClicks(page.music_note, "no lyrics")
    page.client_code.setText("C-0100")
    page.therapist.setText("Dr A")
    for group in page.screening_groups.values():
        group.buttons()[1].setChecked(True)  # "No"
    assert page.start() is None  # "nine" is not a time
    assert page.findChild(QLabel, "preDoseError_last_drink").text().startswith("Last drink: 'nine' is not a time")
    assert page.facts.fields["escort_name"].text() == "Sam Lee"  # nothing typed is lost
    page.facts.fields["last_drink"].setText("9:15")
    runner = page.start()
    assert runner is not None
    [facts] = workspace.store.events(runner.session_uid, (Kind.PRE_DOSE,))
    assert facts.payload == {"escort_name": "Sam Lee", "escort_phone": "555 0100", "last_food": "07:30",
                             "last_drink": "09:15", "touch_consent": "ask_first", "music_preferences": "no lyrics"}


def test_f10_names_the_missing_facts_keeps_what_was_typed_and_doses_once_they_are_in(qtbot, workspace):
    protocol = with_facts()
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose={"escort_name": "Sam Lee"})
    room = open_vitals_room(qtbot, workspace, runner)
    fill(room, **COMPLETE)
    save(room)
    press("F10")
    assert stored(workspace, runner, Kind.DOSE) == []
    assert "before the dose the protocol needs escort's phone and last food" in room.status.text()
    form = room.vitals.facts_form
    assert form.isVisible() and QApplication.focusWidget() is form.fields["escort_phone"]
    assert form.fields["escort_name"].text() == "Sam Lee"
    type_text("555 0100")
    press("Return")
    assert "Still needed before the dose: last food" in room.status.text()
    press("F10")
    assert stored(workspace, runner, Kind.DOSE) == []
    assert QApplication.focusWidget() is form.fields["last_food"]
    type_text("25:61")
    press("Return")
    assert form.fields["last_food"].text() == "25:61"  # refused, and kept
    form.fields["last_food"].setText("8:00")
    form.fields["last_food"].setFocus()
    press("Return")
    press("F10")
    [dose] = stored(workspace, runner, Kind.DOSE)
    facts = recorded_facts(e.payload for e in stored(workspace, runner, Kind.PRE_DOSE))
    assert facts == {"escort_name": "Sam Lee", "escort_phone": "555 0100", "last_food": "08:00"}
    assert dose.seq > 0


def test_the_room_shows_touch_consent_and_music_preferences_discreetly_and_the_privacy_key_hides_them(
        qtbot, workspace):
    runner = workspace.new_session(with_facts(), "C-1", "Dr A",
                                   pre_dose={"touch_consent": "ask_first", "music_preferences": "no lyrics"})
    room = open_vitals_room(qtbot, workspace, runner)
    line = room.findChild(QLabel, "preDoseCare")
    assert line.isVisible() and line.text() == "Touch: ask first · Music: no lyrics"
    room.toggle_privacy()
    assert not line.isVisible()
    room.toggle_privacy()
    assert line.isVisible()


def test_the_escort_is_a_related_person_in_the_fhir_export(qapp, workspace):
    from fhir.resources.R4B.bundle import Bundle

    from kaproom.export.fhir import render_fhir
    from kaproom.export.report_data import gather
    runner = workspace.new_session(with_facts(), "C-1", "Dr A",
                                   pre_dose={"escort_name": "Sam Lee", "escort_phone": "555 0100"})
    bundle = Bundle.model_validate_json(render_fhir(gather(workspace, runner.session_uid), "2026-03-02T17:00:00Z"))
    [escort] = [e.resource for e in bundle.entry if e.resource.__resource_type__ == "RelatedPerson"]
    assert escort.name[0].text == "Sam Lee" and escort.telecom[0].value == "555 0100"
    patient = next(e for e in bundle.entry if e.resource.__resource_type__ == "Patient")
    assert escort.patient.reference == patient.fullUrl
