"""Starting a session: a clinic code (never a name), every screening answer, problems named in
words with the typed text kept, and a failed save that continues the same session on retry."""
from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from kaproom.domain.events import Kind
from kaproom.domain.session import State
from kaproom.store import DatabaseLocked
from kaproom.ui.start.page import CLIENT_CODE_MAX, StartPage, client_code_problem, therapist_problem
from tests._room_helpers import activate


@given(st.from_regex(r"[A-Z]{0,3}-?[0-9]{1,6}", fullmatch=True))
def test_clinic_codes_are_accepted(code: str) -> None:
    assert client_code_problem(code) == ""
    assert client_code_problem(f"  {code} ") == ""  # stray spaces around are forgiven


@given(st.text(alphabet=string.ascii_letters + string.digits + "-", min_size=1, max_size=10),
       st.sampled_from(" \t\u00a0\u2003"), st.text(alphabet=string.digits, min_size=1, max_size=10))
def test_a_code_with_a_space_inside_is_refused(left: str, space: str, right: str) -> None:
    assert "no spaces" in client_code_problem(left + space + right)


@given(st.text())
def test_any_text_gets_an_answer_and_never_crashes(text: str) -> None:
    problem = client_code_problem(text)
    assert isinstance(problem, str)
    if problem == "":
        code = text.strip()
        assert 0 < len(code) <= CLIENT_CODE_MAX and any(c.isdigit() for c in code)


@given(st.text(alphabet=string.ascii_letters + " -'", min_size=1, max_size=30))
def test_a_name_is_not_a_client_code(name: str) -> None:
    assert client_code_problem(name) != ""


def test_empty_names_and_long_ones_are_refused() -> None:
    assert "Type the client's clinic code" in client_code_problem("   ")
    assert "at most 24" in client_code_problem("C" + "1" * 30)
    assert "Use the clinic code, not the client's name" in client_code_problem("Jane Doe")
    assert therapist_problem("") and therapist_problem("x" * 81) and not therapist_problem("Dr Ada")


@pytest.fixture
def page(qtbot, workspace):
    page = StartPage(workspace)
    qtbot.addWidget(page)
    page.show()
    return page


def answer_all(page: StartPage, yes: tuple[str, ...] = ()) -> None:
    for qid in page.screening_groups:
        page.findChild(QWidget, f"screening_{qid}_{'yes' if qid in yes else 'no'}").click()


def test_problems_are_named_and_typed_text_stays(qtbot, page, workspace) -> None:
    qtbot.keyClicks(page.client_code, "Jane Doe")
    qtbot.keyClicks(page.intention, "Let go.")
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    error = page.findChild(QLabel, "startError").text()
    assert "not the client's name" in error and "therapist's name" in error and "every screening question" in error
    assert page.client_code.text() == "Jane Doe" and page.intention.toPlainText() == "Let go."
    assert page.focusWidget() is page.client_code
    assert workspace.store.count_sessions() == 0


def test_a_yes_needs_the_recorded_clinical_judgement(qtbot, page, workspace) -> None:
    page.client_code.setText("C-0042")
    page.therapist.setText("Dr Ada")
    answer_all(page, yes=("hypertension",))
    caution = page.findChild(QLabel, "screeningCaution")
    assert caution.isVisible() and "Uncontrolled high blood pressure" in caution.text()
    assert page.start() is None and "Proceed anyway" in page.error.text()
    page.findChild(QWidget, "proceedConfirm").click()
    started = []
    page.sessionStarted.connect(started.append)
    runner = page.start()
    assert started == [runner] and runner.state.state == State.RUNNING
    payload = workspace.store.events(runner.session_uid, (Kind.SCREENING,))[0].payload
    assert payload["answers"]["hypertension"] is True and payload["proceed_confirmed"] is True
    assert sum(payload["answers"].values()) == 1 and len(payload["answers"]) == 8


def test_answers_changed_back_to_no_clear_the_caution(page) -> None:
    answer_all(page, yes=("pregnancy",))
    page.proceed.setChecked(True)
    page.findChild(QWidget, "screening_pregnancy_no").click()
    assert not page.caution.isVisible() and not page.proceed.isVisible() and not page.proceed.isChecked()


def test_a_failed_save_keeps_everything_and_the_retry_continues_the_same_session(qtbot, page, workspace,
                                                                                  monkeypatch) -> None:
    page.client_code.setText("C-0042")
    page.therapist.setText("Dr Ada")
    page.intention.setPlainText("Meet it with curiosity.")
    answer_all(page)
    real_append = workspace.store.append

    def locked_for_screening(uid, event):
        if event.kind == Kind.SCREENING:
            raise DatabaseLocked("Could not save the screening: the database is locked by another program. "
                                 "Nothing was lost; what you typed is kept.")
        return real_append(uid, event)

    monkeypatch.setattr(workspace.store, "append", locked_for_screening)
    assert page.start() is None
    assert "locked by another program" in page.error.text() and "Press Start again" in page.error.text()
    assert page.intention.toPlainText() == "Meet it with curiosity." and page.client_code.text() == "C-0042"
    assert not page.client_code.isEnabled()  # the session exists with this code now
    monkeypatch.setattr(workspace.store, "append", real_append)
    runner = page.start()
    assert runner is not None and workspace.store.count_sessions() == 1
    kinds = [e.kind for e in workspace.store.events(runner.session_uid)]
    assert kinds == [Kind.SESSION_CREATED, Kind.SCREENING, Kind.INTENTION, Kind.SESSION_STARTED, Kind.PHASE_CHANGED]


def test_a_broken_clinic_protocol_is_named_and_the_others_stay(qtbot, workspace) -> None:
    workspace.protocols_dir.mkdir()
    (workspace.protocols_dir / "nasal.toml").write_text("[protocol]\nid = 'nasal'\nname = \n", encoding="utf-8")
    page = StartPage(workspace)
    qtbot.addWidget(page)
    page.show()
    problems = page.findChild(QLabel, "protocolProblems")
    assert problems.isVisible() and "nasal.toml" in problems.text()
    assert page.protocol_choice.count() == 2 and page.start_button.isEnabled()
    assert page.protocol_choice.accessibleName() == "Protocol"


def test_every_control_on_the_start_and_home_pages_has_an_accessible_name(qtbot, workspace, page) -> None:
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit, QPlainTextEdit

    from kaproom.ui.shell.home import HomeWindow
    home = HomeWindow(workspace)
    qtbot.addWidget(home)
    for window in (page, home):
        assert window.windowTitle().startswith("KAP Room")
        controls = [w for kind in (QAbstractButton, QLineEdit, QComboBox, QPlainTextEdit)
                    for w in window.findChildren(kind) if w.objectName() != "qt_spinbox_lineedit"]
        assert controls and [w.objectName() for w in controls if not w.accessibleName()] == []


def test_once_staff_are_registered_the_therapist_signs_in_and_the_name_is_fixed(qtbot, workspace, monkeypatch) -> None:
    from types import SimpleNamespace

    from kaproom.domain.people import Permission
    from kaproom.ui.shell import wiring
    from kaproom.ui.shell.launcher import Launcher
    assert wiring.identify_for_session(workspace) == ("", False)  # nobody registered: the name is typed
    asked = []
    from kaproom.services.people import People
    People.of(workspace).add_user(None, "Ada", "admin", "7391528460")  # the clinic now has staff
    monkeypatch.setattr("kaproom.ui.people.signin.sign_in",
                        lambda ws, parent, **kw: asked.append(kw) or SimpleNamespace(name="Dr Ada"))
    page = Launcher(workspace, identify=wiring.identify_for_session, extensions=()).show_start()
    qtbot.addWidget(page)
    assert asked[0]["permission"] == Permission.RUN_SESSION
    assert page.therapist.text() == "Dr Ada" and page.therapist.isReadOnly()
    monkeypatch.setattr("kaproom.ui.people.signin.sign_in", lambda ws, parent, **kw: None)  # cancelled
    assert Launcher(workspace, identify=wiring.identify_for_session).show_start() is None


def test_the_whole_page_can_be_filled_from_the_keyboard_in_reading_order(qtbot, workspace) -> None:
    """Tab goes from the intention to the facts before the dose, then the screening questions, then
    to Start; Back comes last, so a Space typed after a stray Tab never throws the filled-in page away."""
    from PySide6.QtWidgets import QApplication
    page = StartPage(workspace)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    activate(qtbot, page)

    def focused():
        return QApplication.focusWidget()

    page.client_code.setFocus()
    for field, text in ((page.client_code, "C-0100"), (page.therapist, "Dr Ana Ruiz"), (page.room, "Room 3"),
                        (page.dose, "300 mg"), (page.intention, "To rest.")):
        assert focused() is field
        qtbot.keyClicks(field, text)
        qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    facts = {"escort_name": "Sam Lee", "escort_phone": "555 0100", "last_food": "7:30", "last_drink": "9:15",
             "touch_consent": "ask"}
    assert page.facts is not None and list(page.facts.fields) == list(facts)  # the built-in protocol asks these
    for name, text in facts.items():  # in reading order after the intention
        assert focused() is page.facts.fields[name], focused().objectName()
        qtbot.keyClicks(focused(), text)
        qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    for qid in page.screening_groups:  # each question in turn: Tab lands on it, Right and Space answer "No"
        assert focused().objectName().startswith(f"screening_{qid}_"), focused().objectName()
        qtbot.keyClick(focused(), Qt.Key.Key_Right)
        qtbot.keyClick(focused(), Qt.Key.Key_Space)
        assert page.screening_groups[qid].checkedId() == 0, qid
        qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    assert focused() is page.start_button
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    assert focused() is page.back_button
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    assert focused() is page.no_lyrics  # then the music wishes
    with qtbot.waitSignal(page.sessionStarted):
        page.start_button.setFocus()
        qtbot.keyClick(focused(), Qt.Key.Key_Space)
    assert workspace.store.count_sessions() == 1
    [created] = workspace.store.events(workspace.store.sessions()[0].uid, (Kind.SESSION_CREATED,))
    assert created.payload["prescribed_dose_mg"] == 300
    [typed] = workspace.store.events(workspace.store.sessions()[0].uid, (Kind.PRE_DOSE,))
    assert typed.payload == {"escort_name": "Sam Lee", "escort_phone": "555 0100", "last_food": "07:30",
                             "last_drink": "09:15", "touch_consent": "ask_first"}


def test_back_asks_in_the_page_before_it_discards_what_was_typed(qtbot, workspace) -> None:
    page = StartPage(workspace, therapist="Dr Ana")
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitSignal(page.cancelled):  # nothing typed yet (the signed-in name is not typing): no question
        qtbot.mouseClick(page.back_button, Qt.MouseButton.LeftButton)
    assert not page.leave_question.isVisible()
    qtbot.keyClicks(page.intention, "To rest.")
    answer_all(page)
    with qtbot.assertNotEmitted(page.cancelled):
        qtbot.mouseClick(page.back_button, Qt.MouseButton.LeftButton)
        assert page.leave_question.isVisible() and page.focusWidget() is page.stay_button
        qtbot.keyClick(page.stay_button, Qt.Key.Key_Escape)  # Esc stays, as does "Stay on this page"
    assert not page.leave_question.isVisible()
    assert page.intention.toPlainText() == "To rest." and all(value is False for value in page.answers().values())
    qtbot.keyClick(page.back_button, Qt.Key.Key_Return)  # Enter on a focused button presses it, as Space does
    assert page.leave_question.isVisible() and page.focusWidget() is page.stay_button
    qtbot.keyClick(page.stay_button, Qt.Key.Key_Return)  # Enter on the default answer stays
    assert not page.leave_question.isVisible() and page.intention.toPlainText() == "To rest."
    qtbot.mouseClick(page.back_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(page.cancelled):
        qtbot.mouseClick(page.leave_button, Qt.MouseButton.LeftButton)
    assert workspace.store.count_sessions() == 0


def test_a_session_still_open_is_named_before_a_second_one_starts(qtbot, workspace, protocol, clock) -> None:
    """Yesterday's session, never resumed after the computer stopped, still counts its clock:
    the start page names it and says how to close it, and starting anyway is still possible."""
    left_open = workspace.new_session(protocol, "C-0041", "Dr A", "Room 2")
    clock.advance(50 * 60)
    left_open.tick()
    page = StartPage(workspace)
    qtbot.addWidget(page)
    page.show()
    note = page.findChild(QLabel, "startStillOpen")
    assert note.isVisible() and note.property("level") == "caution"
    assert note.text().startswith(f"Still open: session {workspace.store.open_sessions()[0].id}, client C-0041, "
                                  "Deep phase, started ")
    assert "Starting a new session leaves it open. If it is over, go Back, resume it and end it" in note.text()
    assert page.focusWidget() is page.client_code  # it informs; typing starts where it always does
    qtbot.keyClicks(page.client_code, "C-0042")
    qtbot.keyClicks(page.therapist, "Dr A")
    answer_all(page)
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    assert [row.client_code for row in workspace.store.open_sessions()] == ["C-0042", "C-0041"]


def test_with_no_session_open_the_start_page_says_nothing_about_one(qtbot, page) -> None:
    assert not page.findChild(QLabel, "startStillOpen").isVisible()


def test_a_dose_that_is_not_milligrams_is_refused_at_the_field_and_kept(qtbot, page, workspace) -> None:
    qtbot.keyClicks(page.client_code, "C-0042")
    qtbot.keyClicks(page.therapist, "Dr A")
    answer_all(page)
    qtbot.keyClicks(page.dose, "30O mg")  # a letter O for a zero
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    error = page.findChild(QLabel, "startError").text()
    assert "Dose: type milligrams as a number, e.g. 300 or 300 mg (you typed '30O mg')" in error
    assert page.dose.text() == "30O mg" and page.focusWidget() is page.dose
    assert workspace.store.count_sessions() == 0
    page.dose.setText("")  # the dose is optional
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    [created] = workspace.store.events(workspace.store.sessions()[0].uid, (Kind.SESSION_CREATED,))
    assert "prescribed_dose_mg" not in created.payload


def test_on_a_wide_screen_each_screening_answer_stays_near_its_question(qtbot, workspace) -> None:
    """At 2560 px the page spread over the whole width: the Yes and No of a question sat about a
    thousand pixels from its words. The page now keeps a reading width, centred."""
    from PySide6.QtWidgets import QLabel, QRadioButton

    from kaproom.ui.start.page import PAGE_MAX_WIDTH
    page = StartPage(workspace)
    qtbot.addWidget(page)
    page.resize(2560, 1440)
    page.show()
    qtbot.waitExposed(page)
    first = page.protocol.screening[0]
    question = next(label for label in page.findChildren(QLabel) if label.text() == first.text)
    no = page.findChild(QRadioButton, f"screening_{first.id}_no")
    left = question.mapTo(page, question.rect().topLeft()).x()
    right = no.mapTo(page, no.rect().topRight()).x()
    assert right - left < PAGE_MAX_WIDTH / 2, (left, right)
    title = page.findChild(QLabel, "startTitle")
    margin = title.mapTo(page, title.rect().topLeft()).x()
    assert margin > (2560 - PAGE_MAX_WIDTH) / 2 - 40, "centred, not stuck to the left edge"


def test_each_problem_under_start_reads_as_its_own_sentence_on_its_own_line(qtbot, page) -> None:
    """The problems ran on as one paragraph, and the facts' messages had no full stop: "... or
    7:30 pm Answer every screening question". Each is now a sentence on a line of its own."""
    qtbot.keyClicks(page.client_code, "Jane Doe")
    page.facts.fields["last_food"].setText("25:00")
    page.facts.fields["escort_phone"].setText("call Sam")
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    lines = page.error.text().split("\n")
    assert len(lines) == 5, lines  # client code, therapist, phone, last food, the screening
    assert all(line.strip() and line.rstrip().endswith((".", "?")) for line in lines), lines
    assert "Last food: '25:00' is not a time of day; type it as 07:30 or 7:30 pm." in lines
    assert lines[-1] == "Answer every screening question (Yes or No)."
    page.client_code.setText("C-0042")  # the line follows the fields, still a line each
    assert len(page.error.text().split("\n")) == 4


def test_the_music_wishes_are_asked_in_one_place_and_the_words_typed_there_are_kept(qtbot, workspace) -> None:
    """A protocol asking for "music preferences" before the dose showed a second music box among the
    facts, beside the music wishes the session follows. The wishes are now one section: the three the
    music follows, and a note in words kept in the record as the music preferences always were."""
    import re

    from kaproom.domain.protocol import builtin_protocol
    from kaproom.export.summary import summarize
    base = re.sub(r"(?ms)^\[pre_dose\]\n.*?(?=^\[music\])", "", builtin_protocol("lozenge-3h").text)
    text = base.replace("[music]", '[pre_dose]\nask = ["escort_name", "touch_consent", "music_preferences"]\n\n'
                        "[music]", 1).replace('id = "lozenge-3h"', 'id = "lozenge-music"')
    workspace.protocols_dir.mkdir(parents=True, exist_ok=True)
    (workspace.protocols_dir / "music.toml").write_text(text, encoding="utf-8")
    page = StartPage(workspace)
    qtbot.addWidget(page)
    page.show()
    page.protocol_choice.setCurrentIndex(page.protocol_choice.findData("lozenge-music"))
    assert page.facts is not None and list(page.facts.fields) == ["escort_name", "touch_consent"]
    music = page.findChild(QWidget, "musicPreferences")
    assert page.music_note.isVisible() and music.isAncestorOf(page.music_note)
    boxes = [w for w in page.findChildren(QWidget) if w.isVisible() and "music" in w.accessibleName().lower()
             and w.metaObject().className() in ("QLineEdit", "QCheckBox", "QPlainTextEdit")]
    assert all(music.isAncestorOf(box) for box in boxes), [b.objectName() for b in boxes]
    page.client_code.setText("C-0042")
    page.therapist.setText("Dr Ada")
    answer_all(page)
    page.no_lyrics.setChecked(True)
    page.music_note.setText("x" * 301)
    assert page.start() is None and "Music preferences: at most 300 characters." in page.error.text()
    assert page.focusWidget() is page.music_note
    page.music_note.setText("Quieter than usual; she loves cello")
    runner = page.start()
    assert runner is not None
    events = workspace.store.events(runner.session_uid)
    assert events[0].payload["music_preferences"]["no_lyrics"] is True  # the wishes the music follows
    [facts] = [e for e in events if e.kind == Kind.PRE_DOSE]
    assert facts.payload["music_preferences"] == "Quieter than usual; she loves cello"  # read as before
    assert summarize(Kind.PRE_DOSE, facts.payload).endswith("music: Quieter than usual; she loves cello")
    assert not page.music_note.isEnabled() or page.music_note.isReadOnly()  # saved: no longer changed here


def test_the_messages_beside_the_facts_before_the_dose_are_shown_whole(qtbot, workspace) -> None:
    """At 1366x768 the message under a refused fact was cut after two lines ("... not a phone
    number; type"): the page's height was reckoned as if its column were wider. So were the
    problems under Start, once the facts had their height."""
    from PySide6.QtWidgets import QApplication

    from kaproom.ui.kit.theme import apply_theme
    app = QApplication.instance()
    apply_theme(app)
    try:
        for size in ((1366, 768), (1920, 1080)):
            page = StartPage(workspace)
            qtbot.addWidget(page)
            page.resize(*size)
            page.show()
            qtbot.waitExposed(page)
            page.facts.fields["escort_phone"].setText("call Sam")
            page.facts.fields["last_food"].setText("25:00")
            assert page.start() is None
            shown = [label for label in page.facts.errors.values() if label.isVisible()]
            assert len(shown) == 2

            def whole(shown=shown, page=page) -> bool:  # and the problems under Start, not over the facts
                return all(label.height() >= label.heightForWidth(label.width()) for label in (*shown, page.error))
            qtbot.waitUntil(whole, timeout=2000)  # the page lays itself out again once it knows the height
            page.close()
    finally:
        apply_theme(app)
