"""Note to disk: how long from Enter to the entry being committed (fsync'd), against bare SQLite.

Three paths are timed, interleaved in random order within each round so a slow moment of the
disk hits them all alike:

* bare     a plain ``INSERT`` + ``COMMIT`` of the same row (a note's, a check-in's) in its own
           database, with the same durability settings as the Store (WAL, ``synchronous=FULL``);
* note     ``SessionRunner.note(text)``: the session engine, the hash chain and the Store;
* vitals   a vitals check-in as typed: parsed against the protocol's ranges, assessed (statuses,
           NEWS2) and committed through the same runner; and the same followed by the alert
           events it raises (each alert is its own commit, so its own fsync).

When the room screen exists, a fourth path types the note into the real ``RoomWindow`` note
field (offscreen) and presses Enter, timing key press to commit.

Target: p50 (and p99) of note and vitals at most 1.5x the bare insert. Run:
``.venv/bin/python bench/bench_note_to_disk.py [--count 1000] [--quick]``.
"""
from __future__ import annotations

import json
import os
import random
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path

import _common

from kaproom.domain.clock import SystemClock
from kaproom.domain.events import Kind
from kaproom.domain.session import SessionRunner
from kaproom.services.simulate import NOTE_TEXTS, realistic_vitals
from kaproom.services.workspace import Workspace

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


def form_texts(values: dict) -> dict[str, str]:
    """A check-in as the therapist typed it into the form's fields (the typing is not timed)."""
    return {name: "" if value is None else str(value) for name, value in values.items()
            if name not in ("partial", "comment")}


def vitals_recorders(runner: SessionRunner) -> tuple[Callable[[dict], object], Callable[[dict], object],
                                                     Callable[[dict], dict]]:
    """Record vitals as the room screen does on Enter: parse the typed texts against the protocol's
    ranges, assess them (statuses, NEWS2) and commit the check-in; the second recorder commits it
    with the alerts it raises, in one transaction, as the F9 form does. Each takes the form's
    texts (:func:`form_texts`)."""
    try:
        from kaproom.domain.vitals import check_in, parse_vitals
    except ImportError:  # before the vitals rules existed
        plain = lambda values: runner.record(Kind.VITALS, values)  # noqa: E731
        return plain, plain, dict

    def checked(typed: dict):
        result = parse_vitals(typed, runner.protocol.vitals_ranges)
        if not result.ok:
            raise RuntimeError(f"benchmark vitals refused: {result.errors}")
        return check_in(result.reading, runner.protocol.alerts, pre_dose=runner.state.dose_time is None)

    def check_in_only(values: dict) -> object:
        return runner.record(Kind.VITALS, checked(values).payload())

    def with_alerts(values: dict) -> object:
        check = checked(values)
        if not hasattr(runner, "record_with"):  # before check-ins and alerts shared one transaction
            saved = runner.record(Kind.VITALS, check.payload())
            for alert in check.alerts(saved.seq):
                runner.record(Kind.ALERT, alert)
            alert_counts.append(len(check.alerts(saved.seq)))
            return saved
        saved = runner.record_with(Kind.VITALS, check.payload(),
                                   lambda first: [(Kind.ALERT, a) for a in check.alerts(first.seq)])
        alert_counts.append(len(saved) - 1)
        return saved[0]
    return check_in_only, with_alerts, lambda values: checked(values).payload()


alert_counts: list[int] = []


def ui_note_path(workspace: Workspace, runner: SessionRunner):
    """Two callables for the real RoomWindow (offscreen): one types a note into its note field
    (not timed: the typing is not part of Enter-to-disk), the other presses Enter and returns when
    the commit finished (perf_counter_ns, taken as the store's append returns); the caller's own
    timing also covers the screen's update after it. None when not possible."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        import PySide6
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest
        from PySide6.QtWidgets import QApplication

        from kaproom.ui.room.controller import SessionController
        from kaproom.ui.room.window import RoomWindow
    except ImportError as exc:
        print(f"  (no room screen: {exc}; the RoomWindow path is skipped)")
        return None
    if PySide6.__version__ == "6.12.0" and sys.version_info < (3, 12):
        print("  (PySide6 6.12.0 on Python 3.11 crashes after a few thousand Qt calls, see "
              "tests/test_faults_long_session.py: the RoomWindow path is skipped)")
        return None
    app = QApplication.instance() or QApplication(sys.argv[:1])
    room = RoomWindow(SessionController(workspace, runner), extensions=())
    room.resize(1366, 768)
    room.show()
    app.processEvents()
    keep_alive.append((app, room))

    committed: list[int] = []
    sink_append = runner.sink.append

    def append_and_time(event):  # the moment the event is durable, before the screen hears of it
        recorded = sink_append(event)
        committed.append(time.perf_counter_ns())
        return recorded
    runner.sink.append = append_and_time

    def type_note(text: str) -> None:
        room.note_input.setText(text)
        committed.clear()

    def press_enter() -> int:
        QTest.keyClick(room.note_input, Qt.Key.Key_Return)
        if room.note_input.text() or not committed:
            raise RuntimeError(f"the room did not save the note: {room.save_error.text()}")
        return committed[0]

    return type_note, press_enter


keep_alive: list = []
UI_COMMITTED = "note (RoomWindow, Enter)"  # key press to the commit
UI_SHOWN = "  ... and shown in the log"  # the same, to the screen updated after it


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
    record_vitals, record_vitals_and_alerts, vitals_payload = vitals_recorders(runner)
    # The room screen gets a session of its own: on the same runner it would hear every event of
    # the other paths too and update its log for each, which is not part of their Enter-to-disk.
    room_runner = workspace.new_session(protocol, "BENCH-2", "bench", "Bench room")
    room = None if args.no_ui else ui_note_path(workspace, room_runner)

    texts = [rng.choice(NOTE_TEXTS) + f" ({i})" for i in range(count)]
    vitals = [realistic_vitals(rng, 1 + i % 6) for i in range(count)]
    typed_vitals = [form_texts(v) for v in vitals]
    vitals_rows = [json.dumps(vitals_payload(t), ensure_ascii=False, sort_keys=True) for t in typed_vitals]
    paths: dict[str, Callable[[int], object]] = {
        "bare, note row": lambda i: bare_insert(bare, i, json.dumps({"text": texts[i]}, ensure_ascii=False)),
        "bare, vitals row": lambda i: bare_insert(bare, i, vitals_rows[i]),
        "note": lambda i: runner.note(texts[i]),
        "vitals": lambda i: record_vitals(typed_vitals[i]),
        "vitals + its alerts": lambda i: record_vitals_and_alerts(typed_vitals[i]),
    }
    if room is not None:
        type_note, press_enter = room
        paths[UI_SHOWN] = lambda i: press_enter()
    samples: dict[str, list[int]] = {name: [] for name in paths}
    if room is not None:
        samples = {**{n: v for n, v in samples.items() if n != UI_SHOWN}, UI_COMMITTED: [], UI_SHOWN: []}

    for name, run in paths.items():  # warm-up: first inserts grow the files
        for i in range(5):
            if name == UI_SHOWN:
                type_note(texts[i])
            run(i)
    for i in range(count):
        order = list(paths)
        rng.shuffle(order)
        for name in order:
            if name == UI_SHOWN:
                type_note(texts[i])
            start = time.perf_counter_ns()
            result = paths[name](i)
            samples[name].append(time.perf_counter_ns() - start)
            if name == UI_SHOWN:
                samples[UI_COMMITTED].append(result - start)

    stored = len(workspace.store.events(runner.session_uid)) + len(workspace.store.events(room_runner.session_uid))
    intact = all(r.intact for r in workspace.store.verify())
    workspace.close()
    bare.close()

    print("Note to disk (Enter -> committed, fsync'd; WAL, synchronous=FULL)")
    print(f"  {_common.machine_line()}")
    print(f"  scratch folder {folder} on {_common.filesystem_of(folder)}; {count} entries per path")
    if _common.filesystem_of(folder) == "tmpfs":
        print("  WARNING: tmpfs makes fsync free; use --dir on a real disk for meaningful figures")
    print(f"  {'path':<26} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'max ms':>8}  ratio p50 / p99 vs bare, same row")
    worst = 0.0
    for name, values in samples.items():
        s = _common.summary_ms(values)
        line = f"  {name:<26} {s['p50']:>8.3f} {s['p99']:>8.3f} {s['mean']:>8.3f} {s['max']:>8.2f}"
        if not name.startswith("bare"):
            base = _common.summary_ms(samples["bare, vitals row" if "vitals" in name else "bare, note row"])
            r50, r99 = s["p50"] / base["p50"], s["p99"] / base["p99"]
            if "alerts" not in name and name != UI_SHOWN:  # the target is Enter to committed
                worst = max(worst, r50)
            line += f"  {r50:.2f}x / {r99:.2f}x"
        print(line)
    if alert_counts:
        raised = sum(1 for count in alert_counts if count)
        print(f"  'vitals + its alerts': {raised} of {len(alert_counts)} check-ins raised alerts "
              f"({sum(alert_counts)} alert events, committed with their check-in); the target is judged on the others")
    print(f"  session logs: {stored} events, chains {'intact' if intact else 'BROKEN'}")
    _common.cleanup(folder, args.dir)
    print(f"  RESULT note_to_disk worst p50 ratio {worst:.2f}x (target <= {TARGET}x): {_common.verdict(worst, TARGET)}")
    return 0 if intact else 1


if __name__ == "__main__":
    sys.exit(main())
