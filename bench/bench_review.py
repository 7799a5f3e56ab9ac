"""Review: opening a 10,000-event session and listing 5,000 sessions, against bare SQLite reads.

Builds one database (on the project's disk) with 5,000 short sessions and one long session of
10,000 events, all through the Store so every chain is real. Then, offscreen, times:

* open     ``SessionView.load(uid)`` (gather the report, verify the chain, fill the timeline and
           the details, record the view) plus the first paint of the window with its chart;
           baseline: a bare ``sqlite3`` ``SELECT`` of the same 10,000 event rows with their JSON
           decoded;
* list     a new ``SessionListModel`` (count and the first page) plus the first paint of the list,
           then every row fetched by scrolling to the end, then a re-sort by duration; baseline: a
           bare ``SELECT`` of all 5,000 session rows;
* pdf      a typical session (a simulated three hours: 40 notes, 12 check-ins, 20 tracks, about
           130 events) gathered and rendered as the PDF report, as its export does; the PDF of
           the 10,000-event session is printed too, for scale (about 200 pages).

Targets (from the issue): open < 0.3 s, list < 0.5 s, PDF of a typical session < 1 s. Run:
``.venv/bin/python bench/bench_review.py [--quick] [--dir DIR]``.
"""
from __future__ import annotations

import json
import os
import random
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import _common

from kaproom.domain.clock import FakeClock, to_iso
from kaproom.domain.events import Event, Kind
from kaproom.services.simulate import NOTE_TEXTS, TRACKS, realistic_vitals
from kaproom.services.workspace import Workspace

SESSIONS, LONG_EVENTS = 5000, 10_000
TARGETS = {"open": 0.3, "list": 0.5, "pdf": 1.0}
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def build(folder: Path, sessions: int, long_events: int) -> tuple[Path, str, str]:
    """The clinic: many short sessions and one very long one (built with fsync off: setup only)."""
    rng = random.Random(7)
    clock = FakeClock(START)
    workspace = Workspace(folder, clock)
    store = workspace.store
    store._conn.execute("PRAGMA synchronous=OFF")  # building the fixture only; timings use normal reads
    protocol = workspace.protocol("lozenge-3h")
    therapists = ("Ana Ruiz", "Ben Okafor", "Cleo Marsh", "Dev Patel")
    for number in range(sessions):
        when = to_iso(START + timedelta(hours=5 * number))
        therapist = therapists[number % len(therapists)]
        uid = store.create_session(protocol, f"C-{number:05d}", therapist, f"Room {number % 3 + 1}",
                                   wall_time=when)
        store.append(uid, Event(Kind.SESSION_STARTED, {"protocol": protocol.id, "clock_speed": 1.0}, 0.0, when,
                                therapist, ""))
        if number % 7 == 0:
            store.append(uid, Event(Kind.ALERT, {"level": "caution", "field": "systolic", "value": 152,
                                                 "reason": "systolic 152 mmHg is at or above 150"}, 1800.0, when,
                                    therapist, "deep"))
        store.append(uid, Event(Kind.SESSION_ENDED, {"outcome": "discharged", "reason": ""},
                                10000.0 + rng.randint(0, 1200), when, therapist, "integration"))
    runner = workspace.new_session(protocol, "LONG-1", "Ana Ruiz", "Room 1",
                                   screening={q.id: False for q in protocol.screening}, intention="A long one.")
    store._conn.execute("PRAGMA synchronous=OFF")
    written, index = runner.state.last.seq if runner.state.last else 0, 0
    while written < long_events - 1:
        clock.advance(1.0)
        choice = index % 10
        if choice == 0:
            runner.record(Kind.VITALS, realistic_vitals(rng, index % 5))
        elif choice in (1, 2):
            runner.record(Kind.MUSIC, {"action": "track_started", "title": TRACKS[index % len(TRACKS)]})
        else:
            runner.note(rng.choice(NOTE_TEXTS))
        written, index = runner.state.last.seq, index + 1  # type: ignore[union-attr]
    from kaproom.domain.session import State
    while not runner.state.is_last_phase:
        runner.advance("benchmark")
    runner.end(State.DISCHARGED)
    uid = runner.session_uid
    from kaproom.services.simulate import run_simulation
    typical = run_simulation(workspace, notes=40, vitals=12, tracks=20, seed=3, sleep=clock.advance)
    workspace.close()
    return folder, uid, typical.session_uid


def bare_events(db: Path, uid: str) -> int:
    conn = sqlite3.connect(str(db))
    try:
        rows = conn.execute("SELECT id, session_uid, seq, wall_time, session_time, author, phase, kind, payload,"
                            " prev_hash, hash FROM events WHERE session_uid=? ORDER BY seq", (uid,)).fetchall()
        return len([json.loads(row[8]) for row in rows])
    finally:
        conn.close()


def bare_sessions(db: Path) -> int:
    conn = sqlite3.connect(str(db))
    try:
        return len(conn.execute("SELECT * FROM sessions ORDER BY created_at DESC").fetchall())
    finally:
        conn.close()


def timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def main() -> int:
    parser = _common.parser(__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=SESSIONS)
    parser.add_argument("--events", type=int, default=LONG_EVENTS)
    args = _common.parse(parser)
    rounds = 3 if args.quick else 7
    scratch = _common.scratch_dir(args.dir, "review")
    print(f"bench_review: {_common.machine_line()}")
    print(f"scratch folder {scratch} ({_common.filesystem_of(scratch)})")

    from PySide6.QtCore import QModelIndex, Qt
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from kaproom.ui.kit.theme import apply_theme
    apply_theme(app)
    from kaproom.export.pdf import render_pdf
    from kaproom.export.report_data import gather
    from kaproom.ui.review.list_model import SessionListModel
    from kaproom.ui.review.window import ReviewWindow

    build_time, (folder, long_uid, typical_uid) = timed(lambda: build(scratch / "data", args.sessions, args.events))
    db = folder / "kaproom.sqlite3"
    print(f"built {args.sessions:,} sessions and one of {args.events:,} events in {build_time:.1f} s "
          f"({db.stat().st_size / 1e6:.1f} MB)")

    results: dict[str, list[float]] = {k: [] for k in ("bare_events", "open", "gather", "bare_sessions", "list",
                                                          "fetch_all", "sort", "pdf", "pdf_long")}
    workspace = Workspace(folder, FakeClock(START + timedelta(days=400)))
    try:
        window = ReviewWindow(workspace, "Bench")
        window.resize(1600, 1000)
        window.show()
        app.processEvents()
        for _ in range(rounds):
            results["bare_events"].append(timed(lambda: bare_events(db, long_uid))[0])

            def open_and_paint() -> None:
                window.open_session(long_uid)
                window.grab()  # the first paint, chart included
            results["open"].append(timed(open_and_paint)[0])
            window.show_list()
            results["gather"].append(timed(lambda: gather(workspace, long_uid))[0])
            results["bare_sessions"].append(timed(lambda: bare_sessions(db))[0])

            def list_and_paint() -> SessionListModel:
                model = SessionListModel(workspace.store)
                window.table.setModel(model)
                window.grab()
                return model
            seconds, model = timed(list_and_paint)
            results["list"].append(seconds)

            def fetch_all() -> None:
                while model.canFetchMore(QModelIndex()):  # type: ignore[union-attr]
                    model.fetchMore(QModelIndex())  # type: ignore[union-attr]
            results["fetch_all"].append(timed(fetch_all)[0])
            results["sort"].append(timed(lambda: model.sort(5, Qt.SortOrder.DescendingOrder))[0])  # type: ignore
            results["pdf"].append(timed(lambda: render_pdf(gather(workspace, typical_uid),
                                                           "2026-01-01T00:00:00.000Z"))[0])
            report = gather(workspace, long_uid)
            results["pdf_long"].append(timed(lambda: render_pdf(report, "2026-01-01T00:00:00.000Z"))[0])
        window.close()
    finally:
        workspace.close()
        _common.cleanup(scratch, args.dir)

    med = {key: statistics.median(values) for key, values in results.items()}
    for key, values in results.items():
        print(f"  {key:<14} " + " ".join(f"{v:.3f}" for v in values))
    print(f"\nmedian of {rounds} rounds (seconds)")
    print(f"  bare SELECT of the {args.events:,} events (+ JSON)   {med['bare_events']:.4f}")
    print(f"  open the session in the review window          {med['open']:.4f}   "
          f"({med['open'] / med['bare_events']:.1f}x bare; gather alone {med['gather']:.4f})")
    print(f"  bare SELECT of all {args.sessions:,} sessions             {med['bare_sessions']:.4f}")
    print(f"  list: count + first page + paint               {med['list']:.4f}   "
          f"({med['list'] / med['bare_sessions']:.1f}x bare)")
    print(f"  list: scroll to the end (all {args.sessions:,} rows)        {med['fetch_all']:.4f}")
    print(f"  list: re-sort by duration                      {med['sort']:.4f}")
    print(f"  PDF report of a typical session (gathered)     {med['pdf']:.4f}")
    print(f"  PDF report of the 10,000-event session         {med['pdf_long']:.4f}   (for scale; no target)")
    verdicts = [f"{key} {_common.verdict(med[key], target)} ({med[key]:.3f} s vs < {target} s)"
                for key, target in TARGETS.items()]
    print(f"RESULT open={med['open']:.3f}s ({med['open'] / med['bare_events']:.1f}x bare) "
          f"list={med['list']:.3f}s ({med['list'] / med['bare_sessions']:.1f}x bare) "
          f"all_rows={med['fetch_all']:.3f}s pdf={med['pdf']:.3f}s pdf_long={med['pdf_long']:.3f}s; "
          + "; ".join(verdicts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
