"""Helpers for the fault-injection tests: run a piece of the app in a forked child process under
a file-size limit (a disk that fills up) or as an unprivileged user (a read-only folder).

A fork, not a fresh interpreter: the child needs no re-import (fast), and as an unprivileged user
it could not start the virtual environment's Python, which lives under root's home.
"""
from __future__ import annotations

import os
import pickle
import resource
import signal
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

NOBODY = 65534


class ChildFailed(AssertionError):
    """The child raised something unexpected; carries its traceback."""


def in_child(work: Callable[[], Any], *, as_user: int | None = None) -> Any:
    """Run ``work()`` in a forked child (as ``as_user`` if given) and return its picklable result.

    The child ends with ``os._exit`` and closes nothing, like a process that is killed: whatever
    it committed must be on disk without a clean shutdown.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_end)
        status = 0
        try:
            if as_user is not None:
                os.setgid(as_user)
                os.setuid(as_user)
            payload = pickle.dumps(("ok", work()))
        except BaseException:
            payload = pickle.dumps(("error", traceback.format_exc()))
            status = 1
        with os.fdopen(write_end, "wb") as out:
            out.write(payload)
        os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as incoming:
        data = incoming.read()
    _, _ = os.waitpid(pid, 0)
    kind, value = pickle.loads(data)
    if kind == "error":
        raise ChildFailed(f"the child process failed:\n{value}")
    return value


def limit_file_size(max_bytes: int) -> None:
    """From now on no file of this process may grow past ``max_bytes``: the disk is "full".

    SIGXFSZ is ignored so a write past the limit fails (EFBIG) instead of killing the process.
    """
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, hard))


def lift_file_size_limit() -> None:
    """Space was freed."""
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))


def give_to(path: os.PathLike | str, uid: int = NOBODY) -> None:
    """chown a folder and everything in it."""
    os.chown(path, uid, uid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(root, name), uid, uid)


LOCKER = r"""
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=5)
if sys.argv[2] == "exclusive":
    conn.execute("PRAGMA locking_mode=EXCLUSIVE")
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('lock-test', 'x', 'now')"
             if sys.argv[2] == "exclusive" else "SELECT 1")
print("locked", flush=True)
if float(sys.argv[3]) > 0:
    time.sleep(float(sys.argv[3]))
else:
    sys.stdin.readline()
conn.execute("ROLLBACK")
print("released", flush=True)
"""


def lock_from_another_process(db: Path, mode: str = "write", hold: float = 0.0) -> subprocess.Popen:
    """Another program takes the database's write lock; released on a line to its stdin (or after ``hold``)."""
    proc = subprocess.Popen([sys.executable, "-c", LOCKER, str(db), mode, str(hold)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def release(proc: subprocess.Popen) -> None:
    proc.stdin.write("\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == "released"
    proc.wait(timeout=10)
