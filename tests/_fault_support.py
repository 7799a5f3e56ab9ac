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
import traceback
from typing import Any, Callable

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
        except BaseException:  # noqa: BLE001 - everything goes back to the parent
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
