"""The database under attack from outside the app: locked by another process, deleted or replaced
while a session runs, a read-only data folder. Every case ends in a clear message, no crash, the
refused text still in hand, and nothing that was saved silently lost."""
from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from _fault_support import NOBODY, give_to, in_child, lock_from_another_process, release

from kaproom.domain.clock import FakeClock
from kaproom.domain.events import Event, Kind
from kaproom.services.workspace import Workspace
from kaproom.store import DB_FILENAME, DatabaseLocked, DatabaseReadOnly, DatabaseUnavailable, Store, StoreError


@pytest.fixture
def short_busy_timeout(monkeypatch):
    """Give up on a lock after 0.3 s instead of 3 s, to keep the suite fast."""
    monkeypatch.setattr("kaproom.store.store.BUSY_TIMEOUT_MS", 300)


@pytest.fixture
def session(tmp_path: Path, protocol, short_busy_timeout):
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    workspace = Workspace(tmp_path / "data", clock)
    runner = workspace.new_session(protocol, "C-LOCK", "therapist", "Room 1")
    runner.note("Arrived calm.")
    yield workspace, runner, clock
    workspace.close()


# ------------------------------------------------------------------------- locked by another process

def test_a_note_while_another_process_holds_the_lock_is_refused_then_saved(session):
    workspace, runner, clock = session
    seq_before = runner.state.last.seq
    other = lock_from_another_process(workspace.store.path)
    try:
        clock.advance(30)
        with pytest.raises(DatabaseLocked) as refused:
            runner.note("Tearful, then laughing.")
        with pytest.raises(DatabaseLocked):
            runner.record(Kind.VITALS, {"pulse": 72, "comment": "", "partial": True})
    finally:
        release(other)
    assert "locked by another program" in str(refused.value) and "what you typed is kept" in str(refused.value).lower()
    assert runner.state.last.seq == seq_before, "the refused note must not count as recorded"
    saved = runner.note("Tearful, then laughing.")
    assert saved.seq == seq_before + 1
    assert [e.payload.get("text") for e in workspace.store.events(runner.session_uid, (Kind.NOTE,))] == [
        "Arrived calm.", "Tearful, then laughing."]
    assert all(report.intact for report in workspace.store.verify())


def test_a_short_lock_by_another_process_only_delays_the_note(tmp_path: Path, protocol):
    """A backup tool or `kaproom verify` holding the lock for a moment must not refuse an entry."""
    with Workspace(tmp_path / "data", FakeClock()) as workspace:
        runner = workspace.new_session(protocol, "C-WAIT", "therapist")
        other = lock_from_another_process(workspace.store.path, hold=0.4)
        saved = runner.note("Saved after a short wait.")  # the store waits up to 3 s for the lock
        other.wait(timeout=10)
        assert workspace.store.events(runner.session_uid)[-1].id == saved.id


def test_opening_a_database_another_process_holds_exclusively_says_so(tmp_path: Path, protocol,
                                                                       short_busy_timeout):
    folder = tmp_path / "data"
    with Workspace(folder, FakeClock()) as workspace:
        workspace.new_session(protocol, "C-EXCL", "therapist")
    other = lock_from_another_process(folder / DB_FILENAME, mode="exclusive")
    try:
        with pytest.raises(DatabaseLocked, match="locked by another program.*Close the other program"):
            Workspace(folder, FakeClock())
    finally:
        release(other)
    with Workspace(folder, FakeClock()) as workspace:  # and it opens once the other lets go
        assert all(report.intact for report in workspace.store.verify())


# ------------------------------------------------------------------------- deleted or replaced while running

def _delete_db(folder: Path) -> None:
    (folder / DB_FILENAME).unlink()


def _delete_db_and_log(folder: Path) -> None:
    for path in folder.glob(DB_FILENAME + "*"):
        path.unlink()


def _delete_log_only(folder: Path) -> None:
    (folder / (DB_FILENAME + "-wal")).unlink()


def _replace_db(folder: Path) -> None:
    other = folder.parent / "other.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE unrelated (x)")
    conn.commit()
    conn.close()
    os.replace(other, folder / DB_FILENAME)


def _move_folder(folder: Path) -> None:
    folder.rename(folder.parent / "moved-away")


def _delete_folder(folder: Path) -> None:
    shutil.rmtree(folder)


@pytest.mark.parametrize("mishap", [_delete_db, _delete_db_and_log, _delete_log_only, _replace_db, _move_folder,
                                    _delete_folder], ids=lambda f: f.__name__.strip("_"))
def test_database_deleted_or_replaced_while_running_is_noticed_and_rescued(session, mishap, tmp_path, monkeypatch):
    workspace, runner, clock = session
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # where a rescue goes if the data folder is gone
    (tmp_path / "home").mkdir()
    clock.advance(60)
    runner.note("Eyeshades on.")
    saved_before = len(workspace.store.events(runner.session_uid))
    seq_before = runner.state.last.seq

    mishap(workspace.folder)
    clock.advance(60)
    with pytest.raises(DatabaseUnavailable) as refused:
        runner.note("Breathing slowly.")
    message = str(refused.value)
    assert "deleted, moved or replaced" in message and "what you typed is kept" in message.lower()
    assert runner.state.last.seq == seq_before
    with pytest.raises(DatabaseUnavailable):  # and it stays refused: nothing goes into the lost file
        runner.record(Kind.VITALS, {"pulse": 70, "comment": "", "partial": True})

    rescues = list((tmp_path / "data").glob("kaproom-rescued-*.sqlite3")) if (tmp_path / "data").is_dir() else []
    rescues += list((tmp_path / "home").glob("kaproom-rescued-*.sqlite3"))
    assert len(rescues) == 1 and str(rescues[0]) in message
    with Store(rescues[0]) as rescued:
        events = rescued.events(runner.session_uid)
        assert len(events) == saved_before, "the rescue copy holds everything saved before the mishap"
        assert all(report.intact for report in rescued.verify())
    if mishap is _replace_db:  # the file that took its place is left alone
        conn = sqlite3.connect(workspace.folder / DB_FILENAME)
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")] == ["unrelated"]
        conn.close()


# ------------------------------------------------------------------------- read-only data folder

@pytest.fixture
def shared_tmp():
    """A scratch folder an unprivileged user can reach (pytest's tmp_path is root-only)."""
    if os.geteuid() != 0:
        pytest.skip("these tests switch to an unprivileged user, which needs root")
    base = Path(tempfile.mkdtemp(prefix="kaproom-ro-"))
    os.chmod(base, 0o755)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def _prepare(base: Path, protocol) -> tuple[Path, str, int]:
    folder = base / "data"
    with Workspace(folder, FakeClock()) as workspace:
        runner = workspace.new_session(protocol, "C-RO", "therapist")
        runner.note("Written before the folder became read-only.")
        uid, count = runner.session_uid, runner.state.last.seq
    give_to(base)
    return folder, uid, count


def _try_as_nobody(folder: Path, uid: str) -> dict:
    def work() -> dict:
        try:
            workspace = Workspace(folder, FakeClock())
        except StoreError as exc:
            return {"open": type(exc).__name__, "message": str(exc)}
        result = {"open": "ok", "readable": len(workspace.store.events(uid))}
        try:
            workspace.store.append(uid, Event(Kind.NOTE, {"text": "x"}, 1.0, "2026-03-02T09:01:00.000Z", "t", ""))
            result["append"] = "ok"
        except StoreError as exc:
            result.update(append=type(exc).__name__, message=str(exc))
        return result
    return in_child(work, as_user=NOBODY)


def test_read_only_database_file_can_be_reviewed_but_refuses_entries_clearly(shared_tmp, protocol):
    folder, uid, count = _prepare(shared_tmp, protocol)
    os.chmod(folder / DB_FILENAME, 0o400)
    result = _try_as_nobody(folder, uid)
    assert result["open"] == "ok" and result["readable"] == count
    assert result["append"] == "DatabaseReadOnly" and "read-only" in result["message"]
    assert "what you typed is kept" in result["message"].lower()
    with Store(folder / DB_FILENAME) as store:
        assert len(store.events(uid)) == count and all(r.intact for r in store.verify())


def test_read_only_data_folder_is_refused_at_open_with_a_message(shared_tmp, protocol):
    folder, uid, count = _prepare(shared_tmp, protocol)
    os.chmod(folder, 0o500)
    result = _try_as_nobody(folder, uid)
    assert result["open"] == "DatabaseReadOnly" and "read-only" in result["message"]
    assert str(folder) in result["message"]
    os.chmod(folder, 0o700)
    with Store(folder / DB_FILENAME) as store:
        assert len(store.events(uid)) == count and all(r.intact for r in store.verify())


def test_data_folder_that_cannot_be_created_gives_a_message_not_a_traceback(shared_tmp):
    parent = shared_tmp / "locked-parent"
    parent.mkdir()
    give_to(parent)
    os.chmod(parent, 0o500)

    def work() -> str:
        with pytest.raises(DatabaseReadOnly) as refused:
            Workspace(parent / "data", FakeClock())
        return str(refused.value)

    message = in_child(work, as_user=NOBODY)
    assert "read-only" in message and str(parent / "data") in message
