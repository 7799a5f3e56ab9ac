"""SIGKILL a running room screen (offscreen, its own process) at random moments, over and over, while
notes are being typed into it: nothing committed is ever lost, the chain stays intact, and each
restart resumes the same session with the true elapsed time and every saved entry in its log.

Kills land anywhere: while the process is still importing, opening the database or resuming,
and in the middle of typing and saving.
"""
from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kaproom.domain.clock import from_iso
from kaproom.domain.events import Kind
from kaproom.store import DB_FILENAME, Store

CHILD = Path(__file__).with_name("_room_child.py")
COMMITTED = re.compile(r"committed session=(\S+) seq=(\d+) id=(\d+) kind=(\S+)")
RESUMED = re.compile(r"resumed elapsed=(\S+) wall=(\S+) gap=(\S+) phase=(\S*) shown=(\S*)")
KILLS = 24


def launch(folder: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(CHILD), "type", str(folder)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))


def read_until(proc: subprocess.Popen, prefix: str, deadline: float) -> list[str]:
    lines = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith(prefix):
            break
    return lines



def read_until_note(proc: subprocess.Popen, deadline: float) -> list[str]:
    """Lines up to the first note saved by a screen that is up and typing. Not any commit: a resume's
    own entry is committed before the screen is built, and a kill just after it landed, on a loaded
    machine, before the screen could say it had resumed (the count of resumes then depended on the
    machine's load). Kills during start-up and resume are the early ones."""
    lines: list[str] = []
    while time.monotonic() < deadline:
        lines += read_until(proc, "committed", deadline)
        if not lines or not lines[-1].startswith("committed") or "kind=note" in lines[-1]:
            return lines
    return lines


@pytest.mark.slow
def test_sigkill_at_random_moments_of_a_room_screen_loses_nothing(tmp_path):
    rng = random.Random(20261123)
    folder = tmp_path / "data"
    committed: dict[int, int] = {}  # event id -> seq, everything a room ever reported as saved
    resumes = 0
    for attempt in range(KILLS):
        proc = launch(folder)
        early = attempt % 4 == 3 and attempt > 0  # every fourth kill lands during start-up or resume
        lines: list[str] = []
        if early:
            time.sleep(rng.uniform(0.05, 0.8))
        else:
            lines = read_until_note(proc, time.monotonic() + 30)
            time.sleep(rng.uniform(0.0, 0.5))
        os.kill(proc.pid, signal.SIGKILL)
        rest, err = proc.communicate(timeout=30)
        lines += rest.splitlines(keepends=True)
        complete = [line for line in lines if line.endswith("\n")]  # a line cut by the kill does not count

        for match in filter(None, map(COMMITTED.match, complete)):
            committed[int(match.group(3))] = int(match.group(2))
        for match in filter(None, map(RESUMED.match, complete)):
            resumes += 1
            check_resume(folder, match, attempt)

        if not (folder / DB_FILENAME).exists():
            assert not committed, "events were reported saved but no database exists"
            continue
        with Store(folder / DB_FILENAME) as store:
            sessions = store.sessions()
            assert len(sessions) <= 1, f"attempt {attempt}: a restart began a second session instead of resuming"
            stored = {event.id: event.seq for session in sessions for event in store.events(session.uid)}
            lost = {i: s for i, s in committed.items() if stored.get(i) != s}
            assert not lost, f"attempt {attempt}: events reported as saved are missing: {lost}\n{err[-1500:]}"
            assert all(report.intact for report in store.verify()), f"attempt {attempt}"
            assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    assert resumes >= KILLS // 2, f"only {resumes} restarts got as far as resuming"
    with Store(folder / DB_FILENAME) as store:
        [session] = store.sessions()
        kinds = [event.kind for event in store.events(session.uid)]
        assert kinds.count(Kind.SESSION_STARTED) == 1
        assert kinds.count(Kind.SESSION_RESUMED) >= resumes
        assert kinds.count(Kind.NOTE) >= 20


def check_resume(folder: Path, match: re.Match, attempt: int) -> None:
    """The resumed screen showed the true elapsed time and every entry saved before it."""
    elapsed, wall = float(match.group(1)), from_iso(match.group(2))
    shown = {int(seq) for seq in match.group(5).split(",") if seq}
    with Store(folder / DB_FILENAME) as store:
        [session] = store.sessions()
        started = from_iso(session.started_at)
        true_elapsed = (wall - started).total_seconds()
        assert abs(elapsed - true_elapsed) < 1.0, f"attempt {attempt}: resumed at {elapsed:.1f} s, truly {true_elapsed:.1f} s"
        resumed_event = next(e for e in reversed(store.events(session.uid, (Kind.SESSION_RESUMED,)))
                             if from_iso(e.wall_time) <= wall)
        notes_before = {e.seq for e in store.events(session.uid, (Kind.NOTE,)) if e.seq < resumed_event.seq}
    assert notes_before <= shown, f"attempt {attempt}: saved notes missing from the resumed log: {notes_before - shown}"
    assert datetime.now(UTC) >= wall
