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

from kaproom.clinic.board import BoardFeed
from kaproom.clinic.schema import OFFICE_GROUP, ROOM_GROUP
from kaproom.clinic.sender import Position, Sender
from kaproom.clinic.server import connect, connection_params, init_schema
from kaproom.domain.clock import SystemClock
from kaproom.domain.events import Kind
from kaproom.services import clinic_sync
from kaproom.services.clinic_review import LIST_COLUMNS, ClinicReader, order_clause, where_clause
from kaproom.services.workspace import Workspace
from kaproom.store import DB_FILENAME, SessionRow, Store
from kaproom.store.index_check import index_from_events
from kaproom.store.outbox import Outbox
from kaproom.store.queries import SESSION_COLUMNS, SessionFilter
from kaproom.store.queries import order_clause as lite_order
from kaproom.store.queries import too_soon_condition as lite_too_soon
from kaproom.store.queries import where_clause as lite_where
from kaproom.store.rows import EVENT_COLUMNS, event_from_row


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
        for _ in range(events - len(workspace.store.events(runner.session_uid))):  # (counted once: not per note)
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


#: Generated sessions: one every 30 minutes from 2020 (ten rooms, four therapists), discharged.
#: The same rows on both sides, made by the database itself (no Python per row).
PG_SESSIONS = """
INSERT INTO kaproom.sessions (uid, created_at, started_at, protocol_id, protocol_name, client_code, therapist, room,
                              state, last_seq, last_hash, duration_seconds, dose_time)
SELECT 'gen-' || lpad(i::text, 8, '0'), t, t, 'lozenge-3h', 'Lozenge 3 h', 'C' || (i %% 997),
       (ARRAY['Teo', 'Ana', 'Mia', 'Lu'])[1 + i %% 4], 'Generated room ' || (i %% 10), 'discharged', %(per)s, repeat('0', 64),
       10800.0, 600.0
  FROM generate_series(%(first)s::int, %(last)s::int) i,
       LATERAL (SELECT to_char(timestamp '2020-01-01' + i * interval '30 minutes',
                               'YYYY-MM-DD"T"HH24:MI:SS".000Z"') AS t) w
"""
PG_EVENTS = """
INSERT INTO kaproom.events (session_uid, seq, wall_time, session_time, author, phase, kind, payload, prev_hash, hash)
SELECT 'gen-' || lpad(i::text, 8, '0'), q, '2026-01-01T09:00:00.000Z', q * 10.0, 'Teo', 'dosing',
       CASE WHEN q = 1 THEN 'session_created' WHEN q = 2 THEN 'session_started' WHEN q = %(per)s THEN 'session_ended'
            WHEN q %% 10 = 0 THEN 'vitals' ELSE 'note' END,
       CASE WHEN q = 1 THEN %(created)s WHEN q = 2 THEN '{}' WHEN q = %(per)s THEN '{"outcome":"discharged"}'
            ELSE '{"text":"a note of a few words"}' END,
       repeat('0', 64), repeat('0', 64)
  FROM generate_series(%(first)s::int, %(last)s::int) i CROSS JOIN LATERAL generate_series(1, %(per)s::int) q
"""
LITE_SESSIONS = """
WITH RECURSIVE s(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM s WHERE i < ?)
INSERT INTO sessions (uid, created_at, started_at, protocol_id, protocol_name, client_code, therapist, room, state,
                      last_seq, last_hash, duration_seconds, dose_time)
SELECT printf('gen-%08d', i), t, t, 'lozenge-3h', 'Lozenge 3 h', 'C' || (i % 997),
       CASE i % 4 WHEN 0 THEN 'Teo' WHEN 1 THEN 'Ana' WHEN 2 THEN 'Mia' ELSE 'Lu' END, 'Generated room ' || (i % 10),
       'discharged', ?, printf('%064d', 0), 10800.0, 600.0
  FROM (SELECT i, strftime('%Y-%m-%dT%H:%M:%S.000Z', '2020-01-01', '+' || (i * 30) || ' minutes') AS t FROM s)
"""
LITE_EVENTS = """
WITH RECURSIVE s(i) AS (SELECT :first UNION ALL SELECT i + 1 FROM s WHERE i < :last),
               q(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM q WHERE n < :per)
INSERT INTO events (session_uid, seq, wall_time, session_time, author, phase, kind, payload, prev_hash, hash)
SELECT printf('gen-%08d', i), n, '2026-01-01T09:00:00.000Z', n * 10.0, 'Teo', 'dosing',
       CASE WHEN n = 1 THEN 'session_created' WHEN n = 2 THEN 'session_started' WHEN n = :per THEN 'session_ended'
            WHEN n % 10 = 0 THEN 'vitals' ELSE 'note' END,
       CASE WHEN n = 1 THEN :created WHEN n = 2 THEN '{}' WHEN n = :per THEN '{"outcome":"discharged"}'
            ELSE '{"text":"a note of a few words"}' END,
       printf('%064d', 0), printf('%064d', 0)
  FROM s CROSS JOIN q
"""
#: The first event of every generated session (what the review reads its header from).
CREATED = ('{"client_code":"C1","protocol":{"id":"lozenge-3h","name":"Lozenge 3 h"},"room":"Room 1",'
           '"therapist":"Teo"}')
CHUNK = 10_000  # sessions per generated transaction (progress is printed after each)


def generate(label: str, sessions: int, per: int, insert) -> float:
    """Fill one side in chunks; returns the seconds it took (printed as a rate as it goes)."""
    began = time.perf_counter()
    for first in range(0, sessions, CHUNK):
        last = min(sessions, first + CHUNK) - 1
        insert(first, last)
        done = (last + 1) * per
        elapsed = time.perf_counter() - began
        print(f"   {label}: {last + 1:,} sessions / {done:,} events in {elapsed:.0f} s "
              f"({done / elapsed:,.0f} events/s)", flush=True)
    return time.perf_counter() - began


def timed(action, runs: int = 5) -> tuple[float, float]:
    """(first run, median of the next ``runs``) in ms."""
    began = time.perf_counter()
    action()
    first = (time.perf_counter() - began) * 1000
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        times.append((time.perf_counter() - began) * 1000)
    return first, statistics.median(times)


def large_review(cluster, db, base, sessions: int, events: int, explain: bool = False) -> dict[str, object]:
    """The review list and opening a session, on the server (what ``kaproom review --clinic`` runs:
    services.clinic_review.ClinicReader) and the same SQL on SQLite with the room's own schema."""
    per = max(1, events // sessions)
    with psycopg.connect(cluster.url(database=db), autocommit=True) as conn:
        # A bench shortcut: the arrival triggers (hash re-check, the session index) and the foreign
        # keys are off for the bulk load (session_replication_role = replica); the rows are not chains.
        conn.execute("SET session_replication_role = replica")
        for i in range(10):
            conn.execute("INSERT INTO kaproom.computers (name, db_role, kind) VALUES (%s, %s, 'room')",
                         (f"Generated room {i}", f"gen_room{i}"))

        def pg_insert(first: int, last: int) -> None:
            with conn.transaction():
                conn.execute(PG_SESSIONS, {"first": first, "last": last, "per": per})
                conn.execute(PG_EVENTS, {"first": first, "last": last, "per": per, "created": CREATED})

        pg_seconds = generate("server", sessions, per, pg_insert)
        began = time.perf_counter()
        conn.execute("VACUUM ANALYZE kaproom.sessions")
        conn.execute("VACUUM ANALYZE kaproom.events")
        pg_vacuum = time.perf_counter() - began
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    Store(base / "large.sqlite3").close()  # the room's schema, empty
    lite = sqlite3.connect(base / "large.sqlite3", isolation_level=None)
    lite.execute("PRAGMA journal_mode=OFF")  # a bench shortcut for the bulk load
    lite.execute("PRAGMA synchronous=OFF")

    def lite_insert(first: int, last: int) -> None:
        lite.execute("BEGIN")
        lite.execute(LITE_SESSIONS, (first, last, per))
        lite.execute(LITE_EVENTS, {"first": first, "last": last, "per": per, "created": CREATED})
        lite.execute("COMMIT")

    lite_seconds = generate("SQLite", sessions, per, lite_insert)
    lite.execute("ANALYZE")
    lite.close()
    lite = sqlite3.connect(base / "large.sqlite3")
    lite_size = (base / "large.sqlite3").stat().st_size
    middle = f"gen-{sessions // 2:08d}"

    office = clinic_sync.ClinicConfig(cluster.url("bench_office", None, db), "Bench office", "office", "pw")
    figures: dict[str, object] = {"per": per, "pg_seconds": pg_seconds, "lite_seconds": lite_seconds,
                                  "pg_vacuum": pg_vacuum, "pg_size": size, "lite_size": lite_size}
    flt = SessionFilter()
    therapist = SessionFilter(therapist="Ana")
    with ClinicReader(office) as server:
        server.count()  # connected
        figures["list"] = timed(lambda: (server.count(flt), server.page(flt), server.totals(flt)))
        figures["deep"] = timed(lambda: server.page(flt, offset=sessions // 2))
        figures["by_therapist"] = timed(lambda: server.page(flt, sort="therapist"))
        figures["filtered"] = timed(lambda: (server.count(therapist), server.page(therapist),
                                             server.totals(therapist)))
        figures["names"] = timed(lambda: (server.therapists(), server.rooms()))
        figures["open"] = timed(lambda: server.session(middle))
        # The same first page without migration 0004's index (dropped in a transaction, rolled back).
        where, params = where_clause(flt)
        page_sql = (f"SELECT {LIST_COLUMNS} FROM kaproom.sessions WHERE {where} ORDER BY {order_clause()} "
                    "LIMIT 200 OFFSET 0")
        with psycopg.connect(cluster.url(database=db)) as conn:
            figures["page"] = timed(lambda: conn.execute(page_sql, params).fetchall())
            conn.execute("DROP INDEX kaproom.sessions_listed")
            figures["page_before"] = timed(lambda: conn.execute(page_sql, params).fetchall())
            conn.rollback()
        if explain:
            with connect(office.params()) as conn:
                for label, sql, params in (
                        ("page", f"SELECT {LIST_COLUMNS} FROM kaproom.sessions WHERE {where_clause(flt)[0]} "
                                 f"ORDER BY {order_clause()} LIMIT 200", []),
                        ("by therapist", f"SELECT {LIST_COLUMNS} FROM kaproom.sessions WHERE {where_clause(flt)[0]} "
                                         f"ORDER BY {order_clause('therapist')} LIMIT 200", []),
                        ("count", f"SELECT count(*) FROM kaproom.sessions WHERE {where_clause(flt)[0]}", []),
                        ("names", "SELECT DISTINCT therapist FROM kaproom.sessions WHERE therapist <> '' "
                                  "ORDER BY 1", []),
                        ("find", "SELECT id FROM kaproom.sessions WHERE uid LIKE %s LIMIT 2", [middle + "%"]),
                        ("events", "SELECT * FROM kaproom.events WHERE session_uid = %s ORDER BY seq", [middle])):
                    plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).fetchall()
                    print(f"   EXPLAIN {label}:\n" + "\n".join("     " + row[0] for row in plan))

    def lite_list(f: SessionFilter, sort: str = "date", offset: int = 0) -> list[object]:
        where, params = lite_where(f)
        return lite.execute(f"SELECT {SESSION_COLUMNS} FROM sessions WHERE {where} ORDER BY "
                            f"{lite_order(sort, True)} LIMIT 200 OFFSET ?", [*params, offset]).fetchall()

    def lite_totals(f: SessionFilter) -> object:
        where, params = lite_where(f)
        lite.execute(f"SELECT count(*) FROM sessions WHERE {where}", params).fetchone()
        too_soon, more = lite_too_soon(f)
        return lite.execute(
            "SELECT count(*), coalesce(sum((cautions + urgents) > 0), 0), coalesce(sum(signed_at IS NULL), 0),"
            f" coalesce(sum(amended_after_signoff > 0), 0), coalesce(sum({too_soon}), 0) FROM sessions WHERE {where}",
            [*more, *params]).fetchone()

    def lite_open(uid: str) -> object:
        row = lite.execute(f"SELECT {SESSION_COLUMNS} FROM sessions WHERE substr(uid, 1, ?)=?",
                           (len(uid), uid)).fetchall()
        events = [event_from_row(r) for r in lite.execute(f"SELECT {EVENT_COLUMNS} FROM events WHERE session_uid=? "
                                                          "ORDER BY seq", (uid,))]
        return Store.check_chain(SessionRow(*row[0]), events), index_from_events(events)

    figures["lite_list"] = timed(lambda: (lite_totals(flt), lite_list(flt)))
    figures["lite_deep"] = timed(lambda: lite_list(flt, offset=sessions // 2))
    figures["lite_by_therapist"] = timed(lambda: lite_list(flt, sort="therapist"))
    figures["lite_filtered"] = timed(lambda: (lite_totals(therapist), lite_list(therapist)))
    figures["lite_names"] = timed(lambda: (
        lite.execute("SELECT DISTINCT therapist FROM sessions WHERE therapist <> ''").fetchall(),
        lite.execute("SELECT DISTINCT room FROM sessions WHERE room <> ''").fetchall()))
    figures["lite_open"] = timed(lambda: lite_open(middle))
    lite.close()
    return figures


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=100_000)
    p.add_argument("--events", type=int, default=10_000_000)
    p.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the server's list queries")
    p.add_argument("--only-review", action="store_true", help="measure only 4 (the large review)")
    p.add_argument("--no-review", action="store_true", help="measure 1-3 only (not the large review)")
    args = parse(p)
    if args.quick:
        args.sessions, args.events = min(args.sessions, 10_000), min(args.events, 200_000)
    base = scratch_dir(args.dir, "clinic")
    cluster = start_cluster()
    try:
        # The tests' cluster has 32 MB of shared buffers; a clinic's server has at least PostgreSQL's default.
        with psycopg.connect(cluster.url(), autocommit=True) as conn:
            conn.execute("ALTER SYSTEM SET shared_buffers = '128MB'")
        cluster.stop()
        cluster.start_on_same_port()
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
        with psycopg.connect(cluster.url(database="bench")) as conn:
            conn.execute("INSERT INTO kaproom.computers (name, db_role, kind) VALUES ('Bench office', "
                         "'bench_office', 'office')")
            conn.commit()
        summary = ""
        if not args.only_review:
            count = 100 if args.quick else 500
            # Not joined before and after (the disk's cache and the VM's load change over a run).
            before = enter_to_committed(base / "alone", count, None)
            joined = enter_to_committed(base / "joined", count, cluster.url("bench_joined", "pw", "bench"))
            after = enter_to_committed(base / "alone_again", count, None)
            alone = (before + after) / 2
            print(f"1. Enter to committed: joined and sending {joined:.3f} ms, not joined {before:.3f} ms before "
                  f"and {after:.3f} ms after (p50 of {count} each): {joined / alone:.2f}x (target <= 1.1x)")
            latencies = board_latency(cluster, "bench", base, 10, 5 if args.quick else 20)
            print(f"2. Event to board, 10 rooms: p50 {pct(latencies, 0.5):.0f} ms, p99 {pct(latencies, 0.99):.0f} ms "
                  f"over {len(latencies)} events (target < 2000 ms)")
            ours, bare = catch_up(cluster, "bench", base, 2000 if args.quick else 10_000)
            print(f"3. Catch-up: {ours:,.0f} events/s checked by the server, bare executemany {bare:,.0f}/s: "
                  f"{bare / ours:.2f}x slower")
            summary = (f"enter {joined / alone:.2f}x; board p50 {pct(latencies, 0.5):.0f} ms "
                       f"p99 {pct(latencies, 0.99):.0f} ms; catch-up {ours:,.0f}/s ({bare / ours:.2f}x bare); ")
        if args.no_review:
            print(f"RESULT clinic: {summary}{datetime.now(UTC):%Y-%m-%d}")
            return 0
        figures = large_review(cluster, "bench", base, args.sessions, args.events, args.explain)
        total = args.sessions * int(figures["per"])  # type: ignore[call-overload]
        print(f"4. {args.sessions:,} sessions / {total:,} events, generated on the server in "
              f"{figures['pg_seconds']:.0f} s ({total / figures['pg_seconds']:,.0f} events/s; VACUUM ANALYZE "
              f"{figures['pg_vacuum']:.0f} s; {figures['pg_size'] / 1e9:.2f} GB) and in SQLite in "
              f"{figures['lite_seconds']:.0f} s ({total / figures['lite_seconds']:,.0f} events/s; "
              f"{figures['lite_size'] / 1e9:.2f} GB)")
        print("   ms, first run / median of the next 5: server (ClinicReader) vs the same SQL on SQLite")
        print(f"   the first page's query alone: {figures['page'][1]:.1f} ms; without migration 0004's index "
              f"{figures['page_before'][1]:.1f} ms "
              f"({figures['page_before'][1] / max(figures['page'][1], 0.001):.0f}x)")  # type: ignore[index]
        for key, words in (("list", "review list (count, first page of 200, totals)"),
                           ("deep", f"page at offset {args.sessions // 2:,}"),
                           ("by_therapist", "first page sorted by therapist"),
                           ("filtered", "list filtered to one therapist"),
                           ("names", "therapist and room names for the filters"),
                           ("open", f"open a session of {figures['per']} events (read, check the chain)")):
            first, median = figures[key]  # type: ignore[misc]
            lfirst, lmedian = figures["lite_" + key]  # type: ignore[misc]
            print(f"   {words}: {first:.1f} / {median:.1f} ms vs SQLite {lfirst:.1f} / {lmedian:.1f} ms "
                  f"({median / max(lmedian, 0.001):.1f}x)")
        page = figures["list"][1]  # type: ignore[index]
        print(f"RESULT clinic: {summary}list {page:.1f} ms at {args.sessions:,} sessions / {total:,} events "
              f"{datetime.now(UTC):%Y-%m-%d}")
    finally:
        remove_cluster(cluster)
        cleanup(base, args.dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
