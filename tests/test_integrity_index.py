"""Issue 23 point 1: the sessions table is an index, checked against the hashed events.

A hand edit of the ``sessions`` table (deleting a line, changing whose session it is, marking it
signed) must not make a session vanish from ``verify``, nor change what a reader of the session is
told: ``verify`` names every disagreement, and opening the session refuses a line whose header
facts are not what the events say.
"""
from __future__ import annotations

import sqlite3

import pytest

from kaproom.cli.main import main
from kaproom.domain.session import State
from kaproom.services.workspace import Workspace
from kaproom.store import DB_FILENAME, IndexMismatch


def _edit(folder, sql: str, *params: object) -> None:
    """What someone with the sqlite3 tool does: foreign keys off, as it opens files by default."""
    conn = sqlite3.connect(folder / DB_FILENAME)
    conn.execute(sql, params)
    conn.commit()
    conn.close()


@pytest.fixture
def two_sessions(data_dir, clock, short_protocol):
    with Workspace(data_dir, clock) as workspace:
        uids = []
        for code in ("C-ONE", "C-TWO"):
            runner = workspace.new_session(short_protocol, code, "Dana")
            clock.advance(60)
            runner.note("Settled.")
            runner.end(State.ENDED_EARLY, "test")
            uids.append(runner.session_uid)
    return uids


def test_a_deleted_session_line_is_reported_by_verify_with_its_uid(data_dir, clock, two_sessions, capsys):
    gone = two_sessions[0]
    _edit(data_dir, "DELETE FROM sessions WHERE uid=?", gone)
    assert main(["verify", "--data-dir", str(data_dir)]) == 1
    out = capsys.readouterr()
    assert gone in out.out
    assert "deleted" in out.out
    assert "intact" not in out.out.splitlines()[-1]


def test_a_changed_therapist_or_client_is_named_by_verify_and_refused_on_opening(data_dir, clock, two_sessions,
                                                                                  capsys):
    uid = two_sessions[1]
    _edit(data_dir, "UPDATE sessions SET client_code='C-FAKE', therapist='Mallory' WHERE uid=?", uid)
    assert main(["verify", "--data-dir", str(data_dir)]) == 1
    out = capsys.readouterr().out
    assert "client code" in out and "therapist" in out and "Mallory" in out
    with Workspace(data_dir, clock) as workspace:
        with pytest.raises(IndexMismatch, match="therapist"):
            workspace.store.session(uid)
        other = workspace.store.session(two_sessions[0])  # the untouched one still opens
        assert other.client_code == "C-ONE"


def test_a_forged_signature_in_the_index_is_caught(data_dir, clock, two_sessions, capsys):
    uid = two_sessions[0]
    _edit(data_dir, "UPDATE sessions SET signed_at='2026-03-02T10:00:00.000Z', signed_by='Sam' WHERE uid=?", uid)
    with Workspace(data_dir, clock) as workspace:
        with pytest.raises(IndexMismatch, match="signed"):
            workspace.store.session(uid)
    assert main(["verify", "--data-dir", str(data_dir), uid]) == 1
    assert "signed at" in capsys.readouterr().out


def test_counters_edited_in_the_index_are_named(data_dir, clock, two_sessions, capsys):
    _edit(data_dir, "UPDATE sessions SET urgents=0, cautions=0, state='discharged' WHERE uid=?", two_sessions[0])
    assert main(["verify", "--data-dir", str(data_dir)]) == 1
    out = capsys.readouterr().out
    assert "state" in out


def test_an_untouched_record_still_verifies(data_dir, clock, two_sessions, capsys):
    assert main(["verify", "--data-dir", str(data_dir)]) == 0
    assert "All 2 logs intact." in capsys.readouterr().out


# ---------------------------------------------------------------- the list says what it cannot believe
def _sessions_lines(data_dir, capsys) -> dict[str, str]:
    assert main(["sessions", "--data-dir", str(data_dir)]) == 0
    return {code: line for line in capsys.readouterr().out.splitlines() for code in ("C-ONE", "C-TWO", "C-FAKE")
            if code in line}


def test_kaproom_sessions_marks_a_line_edited_by_hand(data_dir, clock, two_sessions, capsys):
    _edit(data_dir, "UPDATE sessions SET client_code='C-FAKE', signed_at='2026-03-02T10:00:00.000Z', "
          "state='discharged' WHERE uid=?", two_sessions[1])
    lines = _sessions_lines(data_dir, capsys)
    assert "index edited" in lines["C-FAKE"]
    assert "index edited" not in lines["C-ONE"]


def test_kaproom_sessions_lists_a_session_whose_line_was_deleted_from_its_events(data_dir, clock, two_sessions,
                                                                                capsys):
    _edit(data_dir, "DELETE FROM sessions WHERE uid=?", two_sessions[0])
    lines = _sessions_lines(data_dir, capsys)
    assert "C-ONE" in lines, "the session whose index line was deleted vanished from the list"
    assert "index line deleted" in lines["C-ONE"]
    assert "index" not in lines["C-TWO"]


def test_the_review_list_marks_edited_and_deleted_lines(data_dir, clock, two_sessions):
    from kaproom.store.queries import count_sessions, index_marks, list_sessions
    _edit(data_dir, "UPDATE sessions SET therapist='Mallory' WHERE uid=?", two_sessions[1])
    _edit(data_dir, "DELETE FROM sessions WHERE uid=?", two_sessions[0])
    with Workspace(data_dir, clock) as workspace:
        rows = list_sessions(workspace.store)
        assert {row.uid for row in rows} == set(two_sessions)
        assert count_sessions(workspace.store) == 2
        marks = index_marks(workspace.store, rows)
        assert "index edited" in marks[two_sessions[1]]
        assert "index line deleted" in marks[two_sessions[0]]
        listed = {row.uid: row for row in rows}
        assert listed[two_sessions[0]].client_code == "C-ONE"  # rebuilt from its hashed events


def test_the_review_window_list_shows_the_marks(qtbot, data_dir, clock, two_sessions):
    from kaproom.ui.review.list_model import COLUMNS, SessionListModel
    _edit(data_dir, "UPDATE sessions SET client_code='C-FAKE' WHERE uid=?", two_sessions[1])
    _edit(data_dir, "DELETE FROM sessions WHERE uid=?", two_sessions[0])
    date_column = [key for _, key in COLUMNS].index("date")
    with Workspace(data_dir, clock) as workspace:
        model = SessionListModel(workspace.store)
        assert model.rowCount() == 2
        texts = {}
        for number in range(model.rowCount()):
            row = model.session_at(number)
            assert row is not None
            texts[row.uid] = str(model.data(model.index(number, date_column)))
        assert "index edited" in texts[two_sessions[1]]
        assert "index line deleted" in texts[two_sessions[0]]


def test_the_review_list_pages_through_a_deleted_line_without_repeating_or_losing_a_session(
        qtbot, data_dir, clock, two_sessions):
    """The sessions without an index line are found once per reload (not per page) and still come
    first, each exactly once, however small the pages."""
    from kaproom.ui.review.list_model import SessionListModel
    _edit(data_dir, "DELETE FROM sessions WHERE uid=?", two_sessions[0])
    with Workspace(data_dir, clock) as workspace:
        model = SessionListModel(workspace.store, page_size=1)
        while model.canFetchMore():
            model.fetchMore()
        listed = [model.session_at(number) for number in range(model.rowCount())]
        assert [row.uid for row in listed if row] == [two_sessions[0], two_sessions[1]]
        assert model.total == 2
