"""The record: durable, append-only, hash-chained, and honest about bad database files."""
from __future__ import annotations

import itertools
import json
import os
import sqlite3
import stat
from datetime import UTC
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaproom.domain.events import Event, Kind, verify_chain
from kaproom.services.workspace import Workspace
from kaproom.store import (
    DatabaseCorrupt,
    DatabaseLocked,
    DatabaseReadOnly,
    NotADatabase,
    NotFound,
    SchemaTooNew,
    Store,
    StoreError,
)
from kaproom.store.migrations import SCHEMA_VERSION
from kaproom.store.store import following_text


def make_session(store: Store, protocol, notes: int = 3) -> str:
    uid = store.create_session(protocol, "C-7", "therapist", "Room 2")
    for i in range(notes):
        store.append(uid, Event(Kind.NOTE, {"text": f"note {i}"}, 10.0 * i, "2026-03-02T09:00:00.000Z", "t", "arrival"))
    return uid


def test_pragmas_and_schema_version(store: Store):
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == store.schema_version
    names = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid")]
    assert names[0] == "0001_sessions_and_events"


def test_database_and_folder_are_private(workspace):
    assert stat.S_IMODE(workspace.folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(workspace.store.path.stat().st_mode) == 0o600


def test_world_readable_folder_is_warned_about(tmp_path: Path):
    folder = tmp_path / "open"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    with Workspace(folder) as ws:
        assert ws.warnings and "chmod 700" in ws.warnings[0]


def test_events_cannot_be_updated_or_deleted(store: Store, protocol):
    uid = make_session(store, protocol)
    conn = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE events SET payload='{}' WHERE seq=2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM events WHERE seq=2")
    assert store.events(uid)[1].payload == {"text": "note 0"}


def test_chain_links_every_event(store: Store, protocol):
    uid = make_session(store, protocol)
    events = store.events(uid)
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    assert all(report.intact for report in store.verify())


def test_a_check_in_and_its_alerts_are_saved_together_or_not_at_all(store: Store, protocol):
    uid = make_session(store, protocol)
    before = store.events(uid)
    check_in = Event(Kind.VITALS, {"values": {"spo2": 88}}, 60.0, "2026-03-02T09:01:00.000Z", "Dr A", "onset")

    def alerts_with_an_unstorable_one(saved):
        return [Event(Kind.ALERT, {"level": "urgent", "vitals_seq": saved.seq}, 60.0, saved.wall_time, "Dr A", "onset"),
                Event(Kind.ALERT, {"value": float("nan")}, 60.0, saved.wall_time, "Dr A", "onset")]
    with pytest.raises(StoreError):
        store.append_group(uid, check_in, alerts_with_an_unstorable_one)
    assert store.events(uid) == before and store.session(uid).last_seq == len(before)  # nothing half-saved

    saved = store.append_group(uid, check_in, lambda s: [Event(Kind.ALERT, {"level": "urgent", "vitals_seq": s.seq},
                                                               60.0, s.wall_time, "Dr A", "onset")])
    assert [e.kind for e in saved] == [Kind.VITALS, Kind.ALERT] and saved[1].payload["vitals_seq"] == saved[0].seq
    assert store.events(uid)[-2:] == saved and store.session(uid).urgents == 1
    assert all(report.intact for report in store.verify())


def tamper(store: Store, sql: str, *params) -> None:
    conn = sqlite3.connect(store.path)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("DROP TRIGGER events_no_delete")
    conn.execute(sql, params)
    conn.commit()
    conn.close()


def test_changed_payload_is_found_and_named(store: Store, protocol):
    uid = make_session(store, protocol)
    target = store.events(uid)[2]
    tamper(store, "UPDATE events SET payload=? WHERE id=?", json.dumps({"text": "nothing happened"}), target.id)
    [report] = store.verify()
    assert not report.intact and report.broken_at == 3 and report.event_id == target.id
    assert "altered" in report.reason


def test_deleted_event_is_found(store: Store, protocol):
    uid = make_session(store, protocol)
    tamper(store, "DELETE FROM events WHERE session_uid=? AND seq=2", uid)
    [report] = store.verify()
    assert report.broken_at == 2 and "missing" in report.reason


def test_removed_last_event_is_found(store: Store, protocol):
    uid = make_session(store, protocol)
    tamper(store, "DELETE FROM events WHERE session_uid=? AND seq=4", uid)
    [report] = store.verify()
    assert not report.intact and "removed from its end" in report.reason


def test_rehashed_forgery_still_breaks_the_next_link(store: Store, protocol):
    """Someone who recomputes the altered event's own hash still breaks the link after it."""
    from kaproom.domain.events import event_hash
    uid = make_session(store, protocol)
    target = store.events(uid)[1]
    forged = {"text": "forged"}
    digest = event_hash(target.prev_hash, uid, target.seq, target.kind, target.wall_time, target.session_time,
                        target.author, target.phase, forged)
    tamper(store, "UPDATE events SET payload=?, hash=? WHERE id=?", json.dumps(forged), digest, target.id)
    [report] = store.verify()
    assert report.broken_at == 3 and "link" in report.reason


def test_not_a_database_is_refused_and_left_untouched(tmp_path: Path):
    path = tmp_path / "kaproom.sqlite3"
    path.write_text("these are someone's notes, not a database\n")
    before = path.read_bytes()
    with pytest.raises(NotADatabase, match="not a KAP Room database.*left untouched"):
        Store(path)
    assert path.read_bytes() == before


def test_other_sqlite_database_is_refused(tmp_path: Path):
    path = tmp_path / "kaproom.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(NotADatabase, match="invoices"):
        Store(path)
    assert path.read_bytes() == before, "left untouched, as the message says (not switched to WAL)"
    assert not Path(f"{path}-wal").exists()


def test_corrupt_database_is_refused_not_repaired(tmp_path: Path, protocol):
    path = tmp_path / "kaproom.sqlite3"
    with Store(path) as s:
        for _ in range(5):
            make_session(s, protocol, notes=30)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(path.read_bytes())
    for offset in range(4096, len(data), 4096):  # scribble over every page after the first: its b-tree
        data[offset:offset + 8] = b"\xff" * 8  # header, and cells further in
        data[offset + 200:offset + 264] = b"\xff" * 64
    path.write_bytes(bytes(data))
    with pytest.raises((DatabaseCorrupt, NotADatabase), match="left untouched"):
        Store(path)
    assert path.read_bytes() == bytes(data)


def test_newer_schema_is_refused(tmp_path: Path):
    path = tmp_path / "kaproom.sqlite3"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(SchemaTooNew, match="newer KAP Room"):
        Store(path)


def test_locked_database_gives_a_clear_message(store: Store, protocol, monkeypatch):
    uid = make_session(store, protocol)
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    store._conn.execute("PRAGMA busy_timeout=100")
    try:
        with pytest.raises(DatabaseLocked, match="locked by another program.*what you typed is kept"):
            store.append(uid, Event(Kind.NOTE, {"text": "x"}, 1.0, "2026-03-02T09:00:00.000Z", "t", ""))
    finally:
        other.execute("ROLLBACK")
    assert len(store.events(uid)) == 4
    store.append(uid, Event(Kind.NOTE, {"text": "x"}, 1.0, "2026-03-02T09:00:00.000Z", "t", ""))


def test_read_only_connection_write_is_refused_clearly(store: Store, protocol):
    uid = make_session(store, protocol)
    store._conn.execute("PRAGMA query_only=ON")
    with pytest.raises(DatabaseReadOnly, match="read-only.*kept"):
        store.append(uid, Event(Kind.NOTE, {"text": "x"}, 1.0, "2026-03-02T09:00:00.000Z", "t", ""))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**62, 2**62) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.dictionaries(st.text(max_size=12), json_values, max_size=5))
def test_any_payload_round_trips_unchanged(store: Store, protocol, payload):
    uid = store.create_session(protocol, "C", "t")
    written = store.append(uid, Event(Kind.NOTE, payload, 1.5, "2026-03-02T09:00:00.000Z", "t", "arrival"))
    [read] = store.events(uid, (Kind.NOTE,))
    assert read.payload == payload == written.payload
    assert read.hash == written.hash
    assert verify_chain("x", store.events(uid)).intact


def test_unstorable_payload_is_refused_with_a_message(store: Store, protocol):
    uid = store.create_session(protocol, "C", "t")
    with pytest.raises(StoreError, match="cannot be stored"):
        store.append(uid, Event(Kind.NOTE, {"value": float("nan")}, 1.0, "x", "t", ""))
    with pytest.raises(StoreError, match="cannot be stored"):
        store.append(uid, Event(Kind.NOTE, {"text": "bad \ud800 surrogate"}, 1.0, "x", "t", ""))
    assert len(store.events(uid)) == 1


@settings(max_examples=300, deadline=None)
@given(payload=st.dictionaries(st.text(max_size=12), json_values, max_size=5), prev=st.text(max_size=70),
       uid=st.text(max_size=40), seq=st.integers(0, 2**40), kind=st.text(max_size=20), wall=st.text(max_size=30),
       session_time=st.floats(0, 1e7, allow_nan=False), author=st.text(max_size=30), phase=st.text(max_size=20))
def test_hashing_the_stored_text_is_the_same_as_hashing_the_payload(payload, prev, uid, seq, kind, wall,
                                                                     session_time, author, phase):
    """The store hashes the payload text it writes; that must be the chain's one recipe exactly."""
    from kaproom.domain.events import canonical_json, event_hash, event_hash_of_text
    assert (event_hash_of_text(prev, uid, seq, kind, wall, session_time, author, phase, canonical_json(payload))
            == event_hash(prev, uid, seq, kind, wall, session_time, author, phase, payload))


def test_payloads_are_stored_in_canonical_form_and_older_rows_still_verify(store: Store, protocol):
    from kaproom.domain.events import event_hash
    uid = make_session(store, protocol, notes=1)
    stored = store._conn.execute("SELECT payload FROM events WHERE kind='note'").fetchone()[0]
    assert stored == '{"text":"note 0"}'  # compact and sorted: exactly the text the hash covers
    last = store.events(uid)[-1]
    payload = {"text": "written by an earlier KAP Room", "b": [1, 2]}
    digest = event_hash(last.hash, uid, last.seq + 1, Kind.NOTE, last.wall_time, 30.0, "t", "arrival", payload)
    with store._write("insert an older-style row") as conn:  # default separators, as before this change
        conn.execute("INSERT INTO events (session_uid, seq, wall_time, session_time, author, phase, kind, payload,"
                     " prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
                     (uid, last.seq + 1, last.wall_time, 30.0, "t", "arrival", Kind.NOTE,
                      json.dumps(payload, ensure_ascii=False, sort_keys=True), last.hash, digest))
        conn.execute("UPDATE sessions SET last_seq=?, last_hash=? WHERE uid=?", (last.seq + 1, digest, uid))
    assert all(report.intact for report in store.verify())
    tamper(store, "UPDATE events SET payload=? WHERE seq=?", '{"text":"note 9"}', 2)
    (report,) = store.verify(uid)
    assert not report.intact and report.broken_at == 2


@pytest.mark.parametrize("garbled, shown", [("not json {", "not json {"), ('["a", "list"]', '["a", "list"]'),
                                            (b'{"text": "a blob"}', '{"text": "a blob"}'), (42, "42")])
def test_a_payload_that_is_not_json_text_is_read_as_unreadable_and_breaks_the_chain(store: Store, protocol, garbled,
                                                                                    shown):
    """Edited behind the app's back into something that is not JSON text: the record still opens,
    the event says its payload is unreadable, and verification names it."""
    uid = make_session(store, protocol, notes=3)
    tamper(store, "UPDATE events SET payload=? WHERE seq=?", garbled, 3)
    events = store.events(uid)
    assert len(events) == 4 and events[2].seq == 3
    assert events[2].payload == {"unreadable_payload": shown}
    assert events[1].payload == {"text": "note 0"}
    (report,) = store.verify(uid)
    assert not report.intact and report.broken_at == 3


# --------------------------------------------------------------------------- the full check at open
# SQLite's quick_check reads the whole file (~0.75 ms per MB): it runs when the file may have been
# damaged, not at every start of a record that grows year by year (kaproom/store/seal.py).

def test_a_cleanly_closed_database_is_not_read_through_again_until_something_changes_it(tmp_path: Path, protocol):
    path = tmp_path / "kaproom.sqlite3"
    with Store(path) as store:
        make_session(store, protocol, notes=2)
        assert store.fully_checked_now  # new file
    with Store(path) as store:
        assert not store.fully_checked_now
        make_session(store, protocol, notes=2)  # our own writes, then a clean close
    with Store(path) as store:
        assert not store.fully_checked_now and len(store.sessions()) == 2
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1))  # something else wrote to it
    with Store(path) as store:
        assert store.fully_checked_now


def test_a_database_whose_app_was_killed_is_read_through_at_the_next_open(tmp_path: Path, protocol):
    import subprocess
    import sys
    path = tmp_path / "kaproom.sqlite3"
    with Store(path) as store:
        make_session(store, protocol, notes=1)
    child = ("import os, sys\n"
             "from kaproom.store import Store\n"
             "from kaproom.domain.events import Event, Kind\n"
             "store = Store(sys.argv[1])\n"
             "uid = store.sessions()[0].uid\n"
             "store.append(uid, Event(Kind.NOTE, {'text': 'last words'}, 5.0, '2026-03-02T09:00:00.000Z', 't', ''))\n"
             "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", child, str(path)], check=True, timeout=60)
    with Store(path) as store:
        assert store.fully_checked_now
        assert store.events(store.sessions()[0].uid)[-1].payload == {"text": "last words"}


@pytest.mark.parametrize("days_ago", [8, -1])
def test_even_an_untouched_database_is_read_through_weekly(tmp_path: Path, protocol, days_ago):
    """(-1: a check 'from the future' after the clock was set back counts as not done.)"""
    from datetime import datetime, timedelta

    from kaproom.store.seal import seal_path
    path = tmp_path / "kaproom.sqlite3"
    Store(path).close()
    seal = json.loads(seal_path(path).read_text())
    seal["checked_at"] = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
    seal_path(path).write_text(json.dumps(seal))
    with Store(path) as store:
        assert store.fully_checked_now


def test_an_unreadable_seal_means_the_database_is_read_through(tmp_path: Path, protocol):
    from kaproom.store.seal import seal_path
    path = tmp_path / "kaproom.sqlite3"
    Store(path).close()
    assert stat.S_IMODE(seal_path(path).stat().st_mode) == 0o600
    seal_path(path).write_text("{not json")
    with Store(path) as store:
        assert store.fully_checked_now


def test_a_closed_store_refuses_with_a_message_rather_than_failing(tmp_path: Path, protocol):
    store = Store(tmp_path / "kaproom.sqlite3")
    uid = make_session(store, protocol, notes=1)
    store.close()
    with pytest.raises(StoreError, match="has been closed"):
        store.events(uid)
    with pytest.raises(StoreError, match="has been closed"):
        store.append(uid, Event(Kind.NOTE, {"text": "late"}, 1.0, "2026-03-02T09:00:00.000Z", "t", ""))


def test_a_session_is_found_by_number_uid_or_uid_prefix_even_when_the_uid_begins_with_eight_digits(store: Store,
                                                                                                    protocol):
    """Lists show a uid's first eight characters; about one uid in forty begins with eight
    digits, which were read as a session number and found nothing."""
    digits = store.create_session(protocol, "C-1", "Dr A", uid="12937459-23c0-43e3-b010-9f4029b6f5ad")
    letters = store.create_session(protocol, "C-2", "Dr A", uid="a2937459-23c0-43e3-b010-9f4029b6f5ad")
    assert store.session("12937459").uid == digits
    assert store.session("1").uid == digits and store.session("#2").uid == letters  # numbers first
    assert store.session("a293").uid == letters and store.session(digits).uid == digits
    for missing in ("1293", "3", "%", "_2937459", ""):  # short numbers stay numbers; LIKE wildcards are text
        with pytest.raises(NotFound):
            store.session(missing)



def test_a_session_opened_by_its_uid_is_found_through_the_uid_index_not_by_comparing_every_uid(store: Store,
                                                                                                  protocol):
    """The review opens a session by its uid: at 100,000 sessions comparing every uid took 57 ms."""
    uid = store.create_session(protocol, "C-1", "Dr A")
    executed: list[str] = []
    store._conn.set_trace_callback(executed.append)
    try:
        assert store.session(uid).uid == uid and store.session(uid[:8]).uid == uid
    finally:
        store._conn.set_trace_callback(None)
    lookups = [sql for sql in executed if "FROM sessions WHERE uid >=" in sql]
    assert len(lookups) == 2
    for sql in lookups:
        plan = " / ".join(str(row[3]) for row in store._conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert "USING INDEX sqlite_autoindex_sessions_1 (uid>? AND uid<?)" in plan, plan


@given(prefix=st.text(min_size=1, max_size=6), text=st.text(max_size=8))
def test_the_text_after_a_prefix_bounds_exactly_the_texts_that_begin_with_it(prefix: str, text: str):
    """In SQLite's binary (UTF-8) order, the texts beginning with ``prefix`` are exactly those from
    ``prefix`` up to, not including, ``following_text(prefix)``."""
    after = following_text(prefix)
    as_bytes = text.encode()
    in_range = prefix.encode() <= as_bytes and (after is None or as_bytes < after.encode())
    assert in_range == text.startswith(prefix)


def test_the_text_after_a_prefix_steps_over_the_last_character_and_the_surrogates():
    assert following_text("a293") == "a294"
    assert following_text("ab\U0010ffff") == "ac" and following_text("\U0010ffff") is None
    assert following_text("a\ud7ff") == "a\ue000"  # U+D800-DFFF are not characters SQLite can store

def test_a_database_from_before_the_dose_column_gets_each_sessions_dose_time(tmp_path: Path, protocol, clock):
    """Opening a clinic's older database fills the new index column from the events already there."""
    with Workspace(tmp_path / "clinic", clock) as workspace:
        dosed = workspace.new_session(protocol, "C-1", "Dr A")
        clock.advance(45 * 60)
        dosed.tick()
        dosed.give_dose("lozenge", given_at=22 * 60)
        assert workspace.store.session(dosed.session_uid).dose_time == 22 * 60  # kept as events are written
        undosed = workspace.new_session(protocol, "C-2", "Dr A")
        path = workspace.store.path
    conn = sqlite3.connect(path)  # back to how the file looked at schema 2
    conn.execute("ALTER TABLE sessions DROP COLUMN dose_time")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name='0003_dose_time'")
    conn.execute("PRAGMA user_version=2")
    conn.commit()
    conn.close()
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.session(dosed.session_uid).dose_time == 22 * 60
        assert store.session(undosed.session_uid).dose_time is None
