"""One word per thing: the room, the review, the PDF and the CSV name kinds and outcomes alike."""
from __future__ import annotations

from kaproom.domain.events import Kind, RecordedEvent
from kaproom.domain.vocabulary import OUTCOME_WORDS, kind_heading, kind_name, outcome_words, shorten
from kaproom.export.summary import summarize


def test_an_amendment_is_an_amendment_in_the_room_and_the_review():
    from kaproom.ui.room.log_text import kind_label as room_label
    event = RecordedEvent(kind=Kind.AMENDMENT, wall_time="2025-01-01T10:00:00+00:00", session_time=60.0,
                          author="Ana", phase="", payload={"amends_seq": 4, "amends_kind": "note", "text": "Pulse normal"},
                          seq=5)
    assert room_label(event) == kind_name(Kind.AMENDMENT) == kind_heading(Kind.AMENDMENT) == "Amendment"
    assert summarize(Kind.AMENDMENT, event.payload).startswith("Amends event 4")


def test_outcomes_read_the_same_everywhere():
    assert [outcome_words(state) for state in OUTCOME_WORDS] == ["Discharged", "Ended early", "Still open",
                                                                "Not started"]
    assert summarize(Kind.SESSION_ENDED, {"outcome": "ended_early", "reason": "unwell"}) == \
        "Session ended: ended early — unwell"
    assert outcome_words("paused_for_ever") == "Paused for ever"  # a state this version does not know


def test_long_text_is_cut_with_an_ellipsis():
    assert shorten("short", 10) == "short"
    assert shorten("a long track name here", 8) == "a long\u2026"
