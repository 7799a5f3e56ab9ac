"""A save that fails (database locked by another program, disk full) keeps what was typed, says why,
shows nothing as saved, and saves normally once the cause is gone."""
from __future__ import annotations

import errno
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel

from kaproom.domain.clock import FakeClock
from kaproom.domain.events import Kind
from kaproom.services.workspace import Workspace
from kaproom.store.errors import translate
from tests._room_helpers import assert_log_matches_store, open_room, press, stored, type_note


@pytest.fixture
def quick_lock_workspace(tmp_path: Path, monkeypatch):
    """Give up on a lock after 0.1 s instead of 3 s, to keep the test fast."""
    monkeypatch.setattr("kaproom.store.store.BUSY_TIMEOUT_MS", 100)
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    workspace = Workspace(tmp_path / "data", clock)
    yield workspace, clock
    workspace.close()


def lock(workspace: Workspace) -> sqlite3.Connection:
    other = sqlite3.connect(str(workspace.store.path), isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program holds the database
    return other


def test_locked_database_keeps_the_note_and_says_why(qtbot, quick_lock_workspace, short_protocol) -> None:
    workspace, clock = quick_lock_workspace
    runner = workspace.new_session(short_protocol, "C-LOCK", "Dr A")
    room = open_room(qtbot, workspace, runner)
    lines_before = room.log_view.lines()
    seq_before = runner.state.last.seq
    other = lock(workspace)
    try:
        clock.advance(20)
        type_note(qtbot, room, "Breathing slow, hands warm")
        error = room.findChild(QLabel, "saveError")
        assert room.note_input.text() == "Breathing slow, hands warm"
        assert error.isVisible() and "locked by another program" in error.text()
        assert "what you typed is kept" in error.text()
        press(room, "F3")  # a quick tag fails the same way, and shows nothing as saved
        assert room.log_view.lines() == lines_before
        # The clock ends the phase while locked: one calm message, retried on the next tick.
        clock.advance(120)
        room.controller.tick()
        room.controller.tick()
        assert runner.state.phase.id == "arrival"
        assert "automatic phase change could not be saved yet" in error.text()
    finally:
        other.rollback()
        other.close()
    assert stored(workspace, runner)[-1].seq == seq_before  # nothing half-written
    room.controller.tick()
    assert runner.state.phase.id == "dosing" and room.phase_strip.current_name() == "Dosing"
    room.note_input.setFocus()
    press(room, "Return")  # the same text, saved now
    assert room.note_input.text() == "" and not error.isVisible()
    assert [e.payload["text"] for e in stored(workspace, runner, Kind.NOTE)] == ["Breathing slow, hands warm"]
    assert_log_matches_store(room, workspace, runner)


def test_full_disk_keeps_the_correction_being_typed(qtbot, workspace, short_protocol, monkeypatch) -> None:
    """The store reports a full disk as it does for ENOSPC (real full-disk writes are in test_faults_disk)."""
    runner = workspace.new_session(short_protocol, "C-FULL", "Dr A")
    room = open_room(qtbot, workspace, runner)
    type_note(qtbot, room, "Nausea mild")
    real_append = workspace.store.append

    def full_disk(*_args, **_kwargs):
        raise translate(OSError(errno.ENOSPC, "No space left on device"), str(workspace.store.path), "save the amendment")

    monkeypatch.setattr(workspace.store, "append", full_disk)
    press(room, "Ctrl+Shift+A")
    room.prompt.field.setText("Nausea moderate, bowl given")
    press(room, "Return")
    assert room.prompt.is_open and room.prompt.field.text() == "Nausea moderate, bowl given"
    assert "disk holding" in room.prompt.message.text() and "is full" in room.prompt.message.text()
    assert "is full" in room.findChild(QLabel, "saveError").text()
    assert not stored(workspace, runner, Kind.AMENDMENT)
    monkeypatch.setattr(workspace.store, "append", real_append)
    press(room, "Return")
    assert not room.prompt.is_open
    assert stored(workspace, runner, Kind.AMENDMENT)[0].payload["text"] == "Nausea moderate, bowl given"
    assert_log_matches_store(room, workspace, runner)


def test_an_empty_note_saves_nothing_and_says_so(qtbot, workspace, short_protocol) -> None:
    runner = workspace.new_session(short_protocol, "C-1", "Dr A")
    room = open_room(qtbot, workspace, runner)
    count = len(stored(workspace, runner))
    type_note(qtbot, room, "   ")
    assert len(stored(workspace, runner)) == count
    assert "nothing was saved" in room.status.text()
