"""The clinic server: what joining costs the room, how fast the board hears of an event, how fast
a room catches up, and the review list against a large server. Each against a baseline in the same
run (a throwaway PostgreSQL started here, as the tests do: tests/pg_cluster.py).

1. Enter to committed locally while joined and the sender running, against the same not joined
   (target: within 1.1x).
2. An event in a room to its row on the board (LISTEN/NOTIFY), p50 and p99, with 10 rooms sending
   at once.
3. Catch-up after a three-hour outage of one room (its whole backlog): events per second, against a
   bare psycopg ``executemany`` of the same rows into a table without checks.
4. The review list (one page, newest first) and opening a session on a server with --sessions
   sessions and --events events (generated with COPY), against the same queries on SQLite.
"""
from __future__ import annotations

import sqlite3
import statistics
import sys
import threading
import time
from datetime import UTC, datetime

from _common import cleanup, parse, parser, scratch_dir

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent / "tests"))
import psycopg
from pg_cluster import remove_cluster, start_cluster

from kaproom.clinic import reader
from kaproom.clinic.board import BoardFeed
from kaproom.clinic.schema import OFFICE_GROUP, ROOM_GROUP
from kaproom.clinic.sender import Position, Sender
from kaproom.clinic.server import connect, connection_params, init_schema
from kaproom.domain.clock import SystemClock
from kaproom.domain.events import Kind
from kaproom.services import clinic_sync
from kaproom.services.workspace import Workspace
from kaproom.store import DB_FILENAME
from kaproom.store.outbox import Outbox


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def enter_to_committed(folder, count: int, joined_url: str | None) -> float:
    """p50 of one note committed to the room's SQLite (ms), with or without the sender running."""
    sender = None
    if joined_url:
        clinic_sync.join_clinic(folder, joined_url, folder.name, "room")
        sender = clinic_sync.start_sender(folder)
    times = []
    with Workspace(folder, SystemClock()) as workspace:
        runner = workspace.new_session(workspace.protocol("short-check"), "BENCH", "Teo")
        for i in range(count):
            began = time.perf_counter()
            runner.note(f"note {i}")
            times.append((time.perf_counter() - began) * 1000)
            if sender:
                sender.nudge()
    if sender:
        sender.stop()
    return statistics.median(times)


def board_latency(cluster, db, base, rooms: int, per_room: int) -> list[float]:
    seen: dict[tuple[str, int], float] = {}
    sent: dict[tuple[str, int], float] = {}
    lock = threading.Lock()

    def on_rows(rows):
        now = time.perf_counter()
        with lock:
            for row in rows:
                key = (row.session_uid, int(row.vitals.get("pulse", 0)))
                seen.setdefault(key, now)

    office = connection_params(cluster.url("bench_office", "pw", db))
    feed = BoardFeed(office, on_rows, refresh_s=60)
    feed.start()
    time.sleep(1.0)

    def room(index: int) -> None:
        folder = base / f"room{index}"
        params = connection_params(cluster.url(f"bench_room{index}", "pw", db))
        from kaproom.clinic.sender import join
        join(params, f"Room {index}", "room")
        with Workspace(folder, SystemClock()) as workspace:
            runner = workspace.new_session(workspace.protocol("short-check"), f"B-{index}", "Teo")
            outbox = Outbox(folder / DB_FILENAME)
            sender = Sender(params, f"Room {index}", outbox)
            position = sender.send_pending(Position())
            for i in range(per_room):
                runner.record(Kind.VITALS, {"pulse": 100 + i, "partial": True, "comment": ""})
                began = time.perf_counter()
                position = sender.send_pending(position)
                with lock:
                    sent[(runner.session_uid, 100 + i)] = began
                time.sleep(0.3)
            sender.close()
            outbox.close()

    threads = [threading.Thread(target=room, args=(i,)) for i in range(rooms)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(2.0)
    feed.stop()
    return [(seen[key] - began) * 1000 for key, began in sent.items() if key in seen]


def catch_up(cluster, db, base, events: int) -> tuple[float, float]:
    folder = base / "outage"
    with Workspace(folder, SystemClock()) as workspace:
        runner = workspace.new_session(workspace.protocol("lozenge-3h"), "OUT", "Teo")
        while len(workspace.store.events(runner.session_uid)) < events:
            runner.note("during the outage")
    params = connection_params(cluster.url("bench_catchup", "pw", db))
    from kaproom.clinic.sender import join
    join(params, "Outage room", "room")
    outbox = Outbox(folder / DB_FILENAME)
    sender = Sender(params, "Outage room", outbox)
    n = outbox.count_events_after(0)
    began = time.perf_counter()
    sender.send_pending(Position())
    ours = n / (time.perf_counter() - began)
    sender.close()
    rows = [(e.session_uid, e.seq, e.wall_time, e.session_time, e.author, e.phase, e.kind, e.payload_text,
             e.prev_hash, e.hash) for e in outbox.events_after(0, n + 10)]
    outbox.close()
    with psycopg.connect(cluster.url(database=db)) as conn:
        conn.execute("CREATE TABLE bare_events (session_uid text, seq int, wall_time text, session_time float8,"
                     " author text, phase text, kind text, payload text, prev_hash text, hash text,"
                     " PRIMARY KEY (session_uid, seq))")
        conn.commit()
        began = time.perf_counter()
        with conn.cursor() as cursor:
            cursor.executemany("INSERT INTO bare_events VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", rows)
        conn.commit()
        bare = n / (time.perf_counter() - began)
    return ours, bare


def large_review(cluster, db, base, sessions: int, events: int) -> dict[str, float]:
    per = max(1, events // sessions)
    with psycopg.connect(cluster.url(database=db)) as conn:
        conn.execute("SET session_replication_role = replica")  # generated rows, straight in
        conn.execute("INSERT INTO kaproom.computers (name, db_role, kind) VALUES ('Gen', 'gen', 'room')")
        with conn.cursor().copy("COPY kaproom.sessions (uid, created_at, started_at, protocol_id, protocol_name,"
                                " client_code, therapist, room, state, last_seq) FROM STDIN") as copy:
            for i in range(sessions):
                when = f"20{20 + i % 7}-0{1 + i % 9}-1{i % 10}T09:{i % 60:02d}:00.000Z"
                copy.write_row((f"gen-{i:08d}", when, when, "lozenge-3h", "Lozenge", f"C{i % 999}", "Teo", "Gen",
                                "discharged", per))
        with conn.cursor().copy("COPY kaproom.events (session_uid, seq, wall_time, session_time, author, phase,"
                                " kind, payload, prev_hash, hash) FROM STDIN") as copy:
            for i in range(sessions):
                for seq in range(1, per + 1):
                    copy.write_row((f"gen-{i:08d}", seq, "2026-01-01T09:00:00.000Z", seq * 10.0, "Teo", "p", "note",
                                    '{"text":"x"}', "0" * 64, "0" * 64))
        conn.execute("ANALYZE")
        conn.commit()
    office = connection_params(cluster.url("bench_office", "pw", db))
    with connect(office) as conn:
        began = time.perf_counter()
        reader.list_sessions(conn, limit=200, offset=0)
        page = time.perf_counter() - began
        began = time.perf_counter()
        reader.session_events(conn, f"gen-{sessions // 2:08d}")
        open_one = time.perf_counter() - began
    lite = sqlite3.connect(base / "large.sqlite3")
    lite.execute("CREATE TABLE sessions (id INTEGER PRIMARY KEY, uid TEXT, created_at TEXT, started_at TEXT)")
    lite.execute("CREATE TABLE events (session_uid TEXT, seq INT, payload TEXT, UNIQUE (session_uid, seq))")
    lite.executemany("INSERT INTO sessions (uid, created_at, started_at) VALUES (?,?,?)",
                     ((f"gen-{i:08d}", "2026", "2026") for i in range(sessions)))
    lite.executemany("INSERT INTO events VALUES (?,?,?)", ((f"gen-{i:08d}", s, '{"text":"x"}')
                                                          for i in range(sessions) for s in range(1, per + 1)))
    lite.execute("CREATE INDEX s_started ON sessions (COALESCE(started_at, created_at) DESC, id DESC)")
    lite.commit()
    began = time.perf_counter()
    lite.execute("SELECT * FROM sessions ORDER BY COALESCE(started_at, created_at) DESC, id DESC LIMIT 200").fetchall()
    lite_page = time.perf_counter() - began
    began = time.perf_counter()
    lite.execute("SELECT * FROM events WHERE session_uid=? ORDER BY seq", (f"gen-{sessions // 2:08d}",)).fetchall()
    lite_open = time.perf_counter() - began
    lite.close()
    return {"page": page, "open": open_one, "lite_page": lite_page, "lite_open": lite_open, "per": per}


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=100_000)
    p.add_argument("--events", type=int, default=10_000_000)
    args = parse(p)
    if args.quick:
        args.sessions, args.events = min(args.sessions, 10_000), min(args.events, 200_000)
    base = scratch_dir(args.dir, "clinic")
    cluster = start_cluster()
    try:
        with psycopg.connect(cluster.url(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench")
        with connect(connection_params(cluster.url(database="bench"))) as conn:
            init_schema(conn)
            conn.commit()
        with psycopg.connect(cluster.url(), autocommit=True) as conn:
            conn.execute(f"CREATE ROLE bench_office LOGIN PASSWORD 'pw' IN ROLE {OFFICE_GROUP}")
            conn.execute(f"CREATE ROLE bench_catchup LOGIN PASSWORD 'pw' IN ROLE {ROOM_GROUP}")
            conn.execute(f"CREATE ROLE bench_joined LOGIN PASSWORD 'pw' IN ROLE {ROOM_GROUP}")
            for i in range(10):
                conn.execute(f"CREATE ROLE bench_room{i} LOGIN PASSWORD 'pw' IN ROLE {ROOM_GROUP}")
        count = 100 if args.quick else 500
        alone = enter_to_committed(base / "alone", count, None)
        joined = enter_to_committed(base / "joined", count, cluster.url("bench_joined", "pw", "bench"))
        print(f"1. Enter to committed: joined and sending {joined:.3f} ms, not joined {alone:.3f} ms "
              f"(p50 of {count}): {joined / alone:.2f}x (target <= 1.1x)")
        with psycopg.connect(cluster.url(database="bench")) as conn:
            conn.execute("INSERT INTO kaproom.computers (name, db_role, kind) VALUES ('Bench office', "
                         "'bench_office', 'office')")
            conn.commit()
        latencies = board_latency(cluster, "bench", base, 10, 5 if args.quick else 20)
        print(f"2. Event to board, 10 rooms: p50 {pct(latencies, 0.5):.0f} ms, p99 {pct(latencies, 0.99):.0f} ms "
              f"over {len(latencies)} events (target < 2000 ms)")
        ours, bare = catch_up(cluster, "bench", base, 2000 if args.quick else 10_000)
        print(f"3. Catch-up: {ours:,.0f} events/s checked by the server, bare executemany {bare:,.0f}/s: "
              f"{bare / ours:.2f}x slower")
        figures = large_review(cluster, "bench", base, args.sessions, args.events)
        print(f"4. {args.sessions:,} sessions / {args.sessions * figures['per']:,} events: review page "
              f"{figures['page'] * 1000:.1f} ms (SQLite {figures['lite_page'] * 1000:.1f} ms), open a session "
              f"{figures['open'] * 1000:.1f} ms (SQLite {figures['lite_open'] * 1000:.1f} ms)")
        print(f"RESULT clinic: enter {joined / alone:.2f}x; board p50 {pct(latencies, 0.5):.0f} ms "
              f"p99 {pct(latencies, 0.99):.0f} ms; catch-up {ours:,.0f}/s ({bare / ours:.2f}x bare); "
              f"page {figures['page'] * 1000:.1f} ms at {args.sessions:,} sessions "
              f"{datetime.now(UTC):%Y-%m-%d}")
    finally:
        remove_cluster(cluster)
        cleanup(base, args.dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
