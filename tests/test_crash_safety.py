"""SIGKILL a running session at random moments: nothing committed is lost, the chain holds, and
the session resumes with the true elapsed time."""
from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest

from kaproom.domain.clock import SystemClock, from_iso
from kaproom.services.workspace import Workspace

COMMITTED = re.compile(r"committed session=(\S+) seq=(\d+) id=(\d+) kind=(\S+)")
KILLS = 20


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing(tmp_path):
    rng = random.Random(20261123)
    folder = tmp_path / "data"
    for attempt in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, "-m", "kaproom", "simulate", "--data-dir", str(folder), "--speed", "1",
             "--notes", "40000", "--vitals", "400", "--seed", str(attempt), "--print-commits"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = proc.stdout.readline()  # the session exists once this line is out
        assert COMMITTED.match(first), first + proc.stderr.read()
        time.sleep(rng.uniform(0.05, 1.2))
        os.kill(proc.pid, signal.SIGKILL)
        rest, _ = proc.communicate(timeout=30)
        lines = [first] + rest.splitlines()
        confirmed = [COMMITTED.match(line) for line in lines]
        confirmed = [m for m in confirmed if m]  # a line cut by the kill does not count
        killed_at = datetime.now(UTC)

        with Workspace(folder, SystemClock()) as ws:
            uid = confirmed[0].group(1)
            stored = {e.id: e for e in ws.store.events(uid)}
            for match in confirmed:
                assert int(match.group(3)) in stored, f"attempt {attempt}: committed event {match.group(2)} lost"
            assert all(report.intact for report in ws.store.verify(uid)), f"attempt {attempt}"
            [row] = [r for r in ws.store.open_sessions() if r.uid == uid]
            runner = ws.resume(row)
            true_elapsed = (datetime.now(UTC) - from_iso(row.started_at)).total_seconds()
            assert abs(runner.elapsed() - true_elapsed) < 1.0, f"attempt {attempt}"
            assert runner.mark_resumed().payload["gap_seconds"] >= 0
            assert (datetime.now(UTC) - killed_at).total_seconds() < 5
