"""Note to disk: how long from Enter to the entry being committed (fsync'd), against bare SQLite.

Three paths are timed, interleaved in random order within each round so a slow moment of the
disk hits them all alike:

* bare     a plain ``INSERT`` + ``COMMIT`` of the same row in its own database, with the same
           durability settings as the Store (WAL, ``synchronous=FULL``);
* note     ``SessionRunner.note(text)``: the session engine, the hash chain and the Store;
* vitals   a vitals check-in through the same runner (validated first where the vitals rules
           module exists), as the room screen records it.

When the room screen exists, a fourth path types the note into the real ``RoomWindow`` note
field (offscreen) and presses Enter, timing key press to commit.

Target: p50 (and p99) of note and vitals at most 1.5x the bare insert. Run:
``.venv/bin/python bench/bench_note_to_disk.py [--count 1000] [--quick]``.
"""
from __future__ import annotations

import json
import random
import sqlite3
import sys
import time
from pathlib import Path
from typing import Callable

import _common

from kaproom.domain.clock import SystemClock
from kaproom.domain.events import Kind
from kaproom.domain.session import SessionRunner
from kaproom.simulate import NOTE_TEXTS, realistic_vitals
from kaproom.workspace import Workspace

TARGET = 1.5


def bare_database(path: Path) -> sqlite3.Connection:
    """A database with the Store's durability settings and an events table of the same shape."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, session_uid TEXT, seq INTEGER, wall_time TEXT,"
                 " session_time REAL, author TEXT, phase TEXT, kind TEXT, payload TEXT, prev_hash TEXT, hash TEXT)")
    return conn


def bare_insert(conn: sqlite3.Connection, seq: int, payload: str) -> None:
    conn.execute("BEGIN")
    conn.execute("INSERT INTO events (session_uid, seq, wall_time, session_time, author, phase, kind, payload,"
                 " prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
                 ("bench", seq, "2026-03-02T09:00:00.000Z", float(seq), "bench", "deep", "note", payload,
                  "0" * 64, "f" * 64))
    conn.execute("COMMIT")


def vitals_recorder(runner: SessionRunner) -> Callable[[dict], object]:
    """Record vitals as the room screen does: through the vitals rules module when it exists."""
    try:
        from kaproom.domain import vitals as rules  # noqa: F401  (landing with the vitals work)
    except ImportError:
        rules = None
    recorder = getattr(rules, "record_vitals", None) if rules else None
    if callable(recorder):
        return lambda values: recorder(runner, values)
    return lambda values: runner.record(Kind.VITALS, values)


def ui_note_path(workspace: Workspace, runner: SessionRunner):
    """A callable that types a note into the real RoomWindow and presses Enter, or None."""
    try:
        from _room_harness import room_note_typer
    except ImportError:
        return None
    return room_note_typer(workspace, runner)


def main() -> int:
    p = _common.parser("Enter-to-commit latency for notes and vitals against a bare SQLite insert")
    p.add_argument("--count", type=int, default=1000, help="entries per path (default 1000)")
    p.add_argument("--no-ui", action="store_true", help="skip the RoomWindow path even if it exists")
    args = _common.parse(p)
    count = 100 if args.quick else args.count
    folder = _common.scratch_dir(args.dir, "note-to-disk")
    rng = random.Random(7)

    bare = bare_database(folder / "bare.sqlite3")
    workspace = Workspace(folder / "data", SystemClock())
    protocol = workspace.protocol("lozenge-3h")
    runner = workspace.new_session(protocol, "BENCH-1", "bench", "Bench room")
    record_vitals = vitals_recorder(runner)
    typer = None if args.no_ui else ui_note_path(workspace, runner)

    texts = [rng.choice(NOTE_TEXTS) + f" ({i})" for i in range(count)]
    vitals = [realistic_vitals(rng, 1 + i % 6) for i in range(count)]
    paths: dict[str, Callable[[int], object]] = {
        "bare": lambda i: bare_insert(bare, i, json.dumps({"text": texts[i]}, ensure_ascii=False)),
        "note": lambda i: runner.note(texts[i]),
        "vitals": lambda i: record_vitals(dict(vitals[i])),
    }
    if typer is not None:
        paths["note (RoomWindow, Enter)"] = lambda i: typer(texts[i])
    samples: dict[str, list[int]] = {name: [] for name in paths}

    for name, run in paths.items():  # warm-up: first inserts grow the files
        for i in range(5):
            run(i)
    for i in range(count):
        order = list(paths)
        rng.shuffle(order)
        for name in order:
            start = time.perf_counter_ns()
            paths[name](i)
            samples[name].append(time.perf_counter_ns() - start)

    stored = len(workspace.store.events(runner.session_uid))
    intact = all(r.intact for r in workspace.store.verify(runner.session_uid))
    workspace.close()
    bare.close()

    print("Note to disk (Enter -> committed, fsync'd; WAL, synchronous=FULL)")
    print(f"  {_common.machine_line()}")
    print(f"  scratch folder {folder} on {_common.filesystem_of(folder)}; {count} entries per path")
    if _common.filesystem_of(folder) == "tmpfs":
        print("  WARNING: tmpfs makes fsync free; use --dir on a real disk for meaningful figures")
    base = _common.summary_ms(samples["bare"])
    print(f"  {'path':<26} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'max ms':>8}  ratio p50 / p99 vs bare")
    worst = 0.0
    for name, values in samples.items():
        s = _common.summary_ms(values)
        line = f"  {name:<26} {s['p50']:>8.3f} {s['p99']:>8.3f} {s['mean']:>8.3f} {s['max']:>8.2f}"
        if name != "bare":
            r50, r99 = s["p50"] / base["p50"], s["p99"] / base["p99"]
            worst = max(worst, r50)
            line += f"  {r50:.2f}x / {r99:.2f}x"
        print(line)
    print(f"  session log: {stored} events, chain {'intact' if intact else 'BROKEN'}")
    _common.cleanup(folder, args.dir)
    print(f"  RESULT note_to_disk worst p50 ratio {worst:.2f}x (target <= {TARGET}x): {_common.verdict(worst, TARGET)}")
    return 0 if intact else 1


if __name__ == "__main__":
    sys.exit(main())
