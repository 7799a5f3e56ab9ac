"""A disk that fills up during a session: every refused entry gets a clear message, nothing that
was saved is lost, the refused text can be saved again once there is space, and the database
still opens and verifies afterwards (even after the process dies without closing it).

Two ways to fill a disk: a file-size limit (RLIMIT_FSIZE, needs no privileges, runs everywhere)
and, where this user may mount, a real tiny tmpfs that runs out of space (ENOSPC).
"""
from __future__ import annotations

import errno
import os
import random
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from _fault_support import in_child, lift_file_size_limit, limit_file_size

from kaproom.domain.clock import FakeClock
from kaproom.domain.events import Kind
from kaproom.services.simulate import realistic_vitals
from kaproom.services.workspace import Workspace
from kaproom.store import DB_FILENAME, DiskFull, Store, StoreError

LONG_NOTE = "Client describes a wide open landscape, calm breathing. " * 12  # about 700 characters


def fill_until_refused(runner, clock: FakeClock, limit: int = 2000) -> tuple[list[int], str, StoreError]:
    """Type notes until the store refuses one; return the saved ids, the refused text and the error."""
    saved: list[int] = []
    for index in range(limit):
        clock.advance(7)
        text = f"{index}: {LONG_NOTE}"
        try:
            saved.append(runner.note(text).id)
        except StoreError as exc:
            return saved, text, exc
    raise AssertionError(f"{limit} notes were saved although the disk was full")


def test_file_size_limit_during_notes_and_vitals_loses_nothing(tmp_path: Path, protocol):
    folder = tmp_path / "data"
    vitals = realistic_vitals(random.Random(3), 1)

    def session_on_a_filling_disk() -> dict:
        clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        workspace = Workspace(folder, clock)
        runner = workspace.new_session(protocol, "C-DISK", "therapist", "Room 1")
        runner.note("Arrived, settled in the chair.")
        biggest = max(path.stat().st_size for path in folder.iterdir())
        limit_file_size(biggest + 96 * 1024)  # room for a few more entries, then the disk is "full"
        saved, refused_text, note_error = fill_until_refused(runner, clock)
        seq_before = runner.state.last.seq
        with pytest.raises(StoreError) as vitals_error:
            runner.record(Kind.VITALS, dict(vitals))
        state_unchanged = runner.state.last.seq == seq_before
        lift_file_size_limit()  # someone freed space: the same text is saved with one more Enter
        retried = runner.note(refused_text)
        retried_vitals = runner.record(Kind.VITALS, dict(vitals))
        return {"saved": saved, "refused_text": refused_text, "note_error": str(note_error),
                "vitals_error": str(vitals_error.value), "state_unchanged": state_unchanged,
                "retried": (retried.id, retried.payload["text"]), "retried_vitals": retried_vitals.id,
                "uid": runner.session_uid}

    result = in_child(session_on_a_filling_disk)  # the child exits without closing anything

    assert len(result["saved"]) >= 2, "the limit left room for a few entries before the disk filled"
    for message in (result["note_error"], result["vitals_error"]):
        assert "full" in message and "what you typed is kept" in message, message
    assert result["state_unchanged"], "a refused entry must not count as recorded"
    assert result["retried"][1] == result["refused_text"].strip()

    with Store(folder / DB_FILENAME) as store:
        assert all(report.intact for report in store.verify())
        events = store.events(result["uid"])
        ids = {event.id for event in events}
        assert set(result["saved"]) | {result["retried"][0], result["retried_vitals"]} <= ids
        texts = [event.payload.get("text") for event in events if event.kind == Kind.NOTE]
        assert texts.count(result["refused_text"].strip()) == 1, "refused once, saved once, never half"
        assert [event.kind for event in events].count(Kind.VITALS) == 1
        assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir()
    if os.geteuid() != 0:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
                          capture_output=True)
    return done.returncode == 0


def _fill(folder: Path, leave: int) -> Path:
    """Fill the file system holding ``folder``, then give back ``leave`` bytes."""
    filler = folder / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)  # unbuffered: nothing left to flush at close
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    os.ftruncate(fd, max(0, os.fstat(fd).st_size - leave))
    os.close(fd)
    return filler


def test_a_real_full_disk_says_so_and_keeps_what_was_saved(tmp_path: Path, protocol):
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "2m"):
        pytest.skip("mounting a small tmpfs needs root with mount rights; the file-size-limit test covers this")
    try:
        folder = disk / "data"
        clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        with Workspace(folder, clock) as workspace:
            runner = workspace.new_session(protocol, "C-FULL", "therapist", "Room 1")
            filler = _fill(disk, leave=64 * 1024)
            saved, refused_text, error = fill_until_refused(runner, clock)
            assert isinstance(error, DiskFull), error
            assert "is full" in str(error) and "what you typed is kept" in str(error)
            with pytest.raises(DiskFull):
                runner.record(Kind.VITALS, realistic_vitals(random.Random(1), 0))
            filler.unlink()
            runner.note(refused_text)
            uid = runner.session_uid
        with Store(folder / DB_FILENAME) as store:
            assert all(report.intact for report in store.verify())
            ids = {event.id for event in store.events(uid)}
            assert set(saved) <= ids
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)
