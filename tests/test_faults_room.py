"""Faults met in the real room screen: the database locked, the disk full or the file deleted while
the therapist types a note. The typed text stays in the note field, the message says what
happened, and one more Enter saves it once the problem is gone: saved exactly once."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _fault_support import lock_from_another_process, release
from _room_helpers import open_room, stored_notes, type_note

from kaproom.domain.events import Kind
from kaproom.store import Store

CHILD = Path(__file__).with_name("_room_child.py")


@pytest.fixture
def short_busy_timeout(monkeypatch):
    monkeypatch.setattr("kaproom.store.store.BUSY_TIMEOUT_MS", 200)


def test_a_note_typed_while_the_database_is_locked_stays_in_the_field(short_busy_timeout, qtbot, workspace,
                                                                        protocol):
    runner = workspace.new_session(protocol, "C-ROOM", "therapist")
    room = open_room(qtbot, workspace, runner)
    type_note(qtbot, room, "Settled in.")
    other = lock_from_another_process(workspace.store.path)
    try:
        type_note(qtbot, room, "Tearful, then laughing.")
        assert room.note_input.text() == "Tearful, then laughing.", "what was typed is kept"
        assert room.save_error.isVisible() and "locked by another program" in room.save_error.text()
        assert "kept" in room.status.text()
        assert not any("Tearful" in line for line in room.log_view.lines()), "the log shows only saved entries"
    finally:
        release(other)
    qtbot.keyClick(room.note_input, "\r")  # the same text, one more Enter
    assert room.note_input.text() == "" and not room.save_error.isVisible()
    assert stored_notes(workspace, runner) == ["Settled in.", "Tearful, then laughing."]
    assert sum("Tearful" in line for line in room.log_view.lines()) == 1


def test_a_note_typed_after_the_database_was_deleted_is_kept_and_the_rest_rescued(qtbot, workspace, protocol,
                                                                                   tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    runner = workspace.new_session(protocol, "C-GONE", "therapist")
    room = open_room(qtbot, workspace, runner)
    type_note(qtbot, room, "Eyeshades on.")
    for path in workspace.folder.glob("kaproom.sqlite3*"):
        path.unlink()
    type_note(qtbot, room, "Breathing slowly.")
    assert room.note_input.text() == "Breathing slowly."
    message = room.save_error.text()
    assert "deleted, moved or replaced" in message and "kaproom-rescued-" in message
    [rescue] = workspace.folder.glob("kaproom-rescued-*.sqlite3")
    with Store(rescue) as rescued:
        assert [e.payload["text"] for e in rescued.events(runner.session_uid, (Kind.NOTE,))] == ["Eyeshades on."]


def test_a_note_typed_on_a_full_disk_stays_in_the_field_and_saves_once_space_is_freed(tmp_path):
    folder = tmp_path / "data"
    done = subprocess.run([sys.executable, str(CHILD), "diskfull", str(folder)], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, done.stdout + done.stderr
    report = json.loads(lines[-1])
    typed = report["typed"]
    full, freed = report["full"], report["freed"]
    assert full["note_input"] == typed, "the typed note is still in the field"
    assert full["error_visible"] and "full" in full["error"], full["error"]
    assert "kept" in full["status"]
    assert not any(typed.strip()[:30] in line for line in full["log"])
    assert freed["note_input"] == "" and not freed["error_visible"]
    with Store(folder / "kaproom.sqlite3") as store:
        [session] = store.sessions()
        notes = [e.payload["text"] for e in store.events(session.uid, (Kind.NOTE,))]
        assert notes == ["Before the disk filled.", typed.strip()]
        assert all(report.intact for report in store.verify())


def test_f10_while_the_database_is_locked_records_neither_the_dose_nor_the_phase_and_a_retry_records_both(
        short_busy_timeout, qtbot, workspace, protocol, clock):
    """The dose and the dosing phase it starts are one transaction: a lock refuses both, and the
    screen still shows the phase the record holds."""
    from tests._vitals_helpers import COMPLETE, ESCORT, fill, open_vitals_room, press, save, stored
    runner = workspace.new_session(protocol, "C-DOSE", "therapist", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    fill(room, **COMPLETE)
    save(room)
    clock.advance(13 * 60)
    room.controller.tick()
    other = lock_from_another_process(workspace.store.path)
    try:
        press("F10")
        assert stored(workspace, runner, Kind.DOSE) == [] and runner.state.phase.id == "arrival"
        assert runner.state.dose_time is None and room.phase_label.text().startswith("Arrival & intention")
        assert "not saved" in room.vitals.form.dose_question.text() and "locked" in room.vitals.form.dose_question.text()
    finally:
        release(other)
    press("F10")  # again, as the question says
    [dose] = stored(workspace, runner, Kind.DOSE)
    assert "without_baseline" not in dose.payload, "the baseline was taken: the retry must not say otherwise"
    assert runner.state.phase.id == "dosing"
    assert [e.payload["how"] for e in stored(workspace, runner, Kind.PHASE_CHANGED)] == ["start", "dose"]
