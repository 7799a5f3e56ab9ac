"""The error bridge every screen uses: a store or domain refusal is said in the same words on the
screen's message line, nothing typed is touched, and a bug is not mistaken for a refusal."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel, QLineEdit

from kaproom.domain.people import InputRefused
from kaproom.domain.protocol_error import ProtocolError
from kaproom.domain.session import SessionError
from kaproom.store.errors import DatabaseLocked
from kaproom.ui.kit.errors import NO_WORDS, quietly, run_guarded

LOCKED = "Could not save: the database is locked by another program. What you typed is kept."


def refused(exc: Exception):
    def action():
        raise exc
    return action


@pytest.mark.parametrize("exc", [DatabaseLocked(LOCKED), InputRefused("Name: at least 2 characters."),
                                 ProtocolError("p.yaml", "phases", "no phases", "add one"),
                                 SessionError("The session has ended.")])
def test_a_refusal_is_said_on_the_message_line_in_its_own_words(qtbot, exc):
    message, typed = QLabel(), QLineEdit("Tearful, then laughing.")
    qtbot.addWidget(message)
    qtbot.addWidget(typed)
    done: list[object] = []
    assert run_guarded(message, refused(exc), done.append) is None
    assert message.text() == str(exc) and message.property("level") == "error"
    assert done == [] and typed.text() == "Tearful, then laughing."


def test_after_success_the_screen_goes_on_and_gets_the_result(qtbot):
    message = QLabel("")
    qtbot.addWidget(message)
    assert run_guarded(message, lambda: 41, lambda value: value + 1) == 42
    assert run_guarded(message, lambda: "saved") == "saved"
    assert message.text() == ""


def test_a_screen_can_say_it_its_own_way(qtbot):
    said: list[Exception] = []
    exc = DatabaseLocked(LOCKED)
    assert run_guarded(said.append, refused(exc)) is None
    assert said == [exc]


def test_a_bug_is_not_a_refusal_and_goes_on_up(qtbot):
    message = QLabel("")
    qtbot.addWidget(message)
    with pytest.raises(KeyError):
        run_guarded(message, refused(KeyError("phase")))
    with pytest.raises(KeyError):
        quietly(refused(KeyError("phase")), [])
    assert message.text() == ""
    assert run_guarded(message, refused(KeyError("phase")), also=(KeyError,)) is None  # the home page's choice
    assert message.text() == "'phase'"


def test_an_error_without_words_still_says_something_calm(qtbot):
    message = QLabel("")
    qtbot.addWidget(message)
    run_guarded(message, refused(DatabaseLocked("")))
    assert message.text() == NO_WORDS


def test_what_is_only_a_courtesy_falls_back_quietly():
    assert quietly(refused(DatabaseLocked(LOCKED)), []) == []
    assert quietly(lambda: ["pdf"], []) == ["pdf"]
