"""Numbered schema migrations (sqlite-utils' built-in Migrations).

Never edit a migration that has shipped: add the next number. The count of applied migrations
is also written to ``PRAGMA user_version`` so any SQLite tool can see the schema version.
"""
from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("kaproom")


@migrations(name="0001_sessions_and_events")
def m0001(db: Database) -> None:
    db.execute("""
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            protocol_id TEXT NOT NULL,
            protocol_name TEXT NOT NULL,
            client_code TEXT NOT NULL,
            therapist TEXT NOT NULL,
            room TEXT NOT NULL DEFAULT '',
            demo INTEGER NOT NULL DEFAULT 0,
            origin TEXT NOT NULL DEFAULT 'local',
            state TEXT NOT NULL DEFAULT 'created',
            current_phase TEXT NOT NULL DEFAULT '',
            started_at TEXT,
            ended_at TEXT,
            duration_seconds REAL,
            end_reason TEXT NOT NULL DEFAULT '',
            cautions INTEGER NOT NULL DEFAULT 0,
            urgents INTEGER NOT NULL DEFAULT 0,
            music_errors INTEGER NOT NULL DEFAULT 0,
            amendments INTEGER NOT NULL DEFAULT 0,
            amended_after_signoff INTEGER NOT NULL DEFAULT 0,
            signed_at TEXT,
            signed_by TEXT,
            last_seq INTEGER NOT NULL DEFAULT 0,
            last_hash TEXT NOT NULL DEFAULT ''
        )""")
    db.execute("""
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            session_uid TEXT NOT NULL REFERENCES sessions(uid),
            seq INTEGER NOT NULL,
            wall_time TEXT NOT NULL,
            session_time REAL NOT NULL,
            author TEXT NOT NULL,
            phase TEXT NOT NULL,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            UNIQUE (session_uid, seq)
        )""")
    db.execute("CREATE INDEX events_kind ON events(session_uid, kind)")
    db.execute("CREATE INDEX sessions_created ON sessions(created_at)")
    db.execute("""
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only: add an amendment instead'); END""")
    db.execute("""
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only: they cannot be deleted'); END""")


SCHEMA_VERSION = len(migrations._migrations)
