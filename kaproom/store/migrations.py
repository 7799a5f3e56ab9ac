"""Numbered schema migrations (sqlite-utils' built-in Migrations).

Never edit a migration that has shipped: add the next number. The count of applied migrations
is also written to ``PRAGMA user_version`` so any SQLite tool can see the schema version.
"""
from __future__ import annotations

from sqlite_utils import Database, Migrations

from kaproom.store.schema import MIGRATIONS_TABLE, SCHEMA_VERSION

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


@migrations(name="0002_users_and_audit")
def m0002(db: Database) -> None:
    """Staff accounts (mutable: roles, lockout counters) and the append-only, hash-chained audit log."""
    db.execute("""
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            name_key TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL CHECK (role IN ('therapist', 'supervisor', 'admin')),
            secret_hash TEXT NOT NULL,
            secret_kind TEXT NOT NULL CHECK (secret_kind IN ('pin', 'passphrase')),
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            failed_count INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            lockouts INTEGER NOT NULL DEFAULT 0
        )""")
    db.execute("""
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            seq INTEGER NOT NULL UNIQUE,
            wall_time TEXT NOT NULL,
            actor TEXT NOT NULL,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX audit_kind ON audit(kind)")
    # The chain's head, kept in the same transaction, so events cut from the end are noticed.
    db.execute("""
        CREATE TABLE audit_head (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            last_seq INTEGER NOT NULL,
            last_hash TEXT NOT NULL
        )""")
    db.execute("INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, '')")
    db.execute("""
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""")
    db.execute("""
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: entries cannot be deleted'); END""")
    db.execute("""
        CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: its head cannot be deleted'); END""")


@migrations(name="0003_dose_time")
def m0003(db: Database) -> None:
    """When the dose was given, in the sessions index: the review list shows how long the client was
    observed after it without reading every session's events. Filled in for the sessions already
    here; a dose payload that is not readable JSON (edited outside KAP Room) counts from its event."""
    db.execute("ALTER TABLE sessions ADD COLUMN dose_time REAL")
    db.execute("""
        UPDATE sessions SET dose_time = (
            SELECT CASE WHEN json_valid(payload) AND json_type(payload, '$.effective_time') IN ('integer', 'real')
                        THEN json_extract(payload, '$.effective_time') ELSE session_time END
            FROM events WHERE events.session_uid = sessions.uid AND events.kind = 'dose'
            ORDER BY seq LIMIT 1)""")


@migrations(name="0004_stock_register")
def m0004(db: Database) -> None:
    """The controlled-substance stock register (kaproom.domain.register): its own append-only,
    hash-chained log with one writer (this computer), and its head, kept in the same transaction."""
    db.execute("""
        CREATE TABLE register (
            id INTEGER PRIMARY KEY,
            seq INTEGER NOT NULL UNIQUE,
            wall_time TEXT NOT NULL,
            actor TEXT NOT NULL,
            kind TEXT NOT NULL,
            lot TEXT NOT NULL,
            payload TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX register_lot ON register(lot, seq)")
    db.execute("CREATE INDEX register_time ON register(wall_time)")
    db.execute("""
        CREATE TABLE register_head (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            last_seq INTEGER NOT NULL,
            last_hash TEXT NOT NULL
        )""")
    db.execute("INSERT INTO register_head (id, last_seq, last_hash) VALUES (1, 0, '')")
    db.execute("""
        CREATE TRIGGER register_no_update BEFORE UPDATE ON register
        BEGIN SELECT RAISE(ABORT, 'the stock register is append-only: record an adjustment instead'); END""")
    db.execute("""
        CREATE TRIGGER register_no_delete BEFORE DELETE ON register
        BEGIN SELECT RAISE(ABORT, 'the stock register is append-only: lines cannot be deleted'); END""")
    db.execute("""
        CREATE TRIGGER register_head_no_delete BEFORE DELETE ON register_head
        BEGIN SELECT RAISE(ABORT, 'the stock register is append-only: its head cannot be deleted'); END""")


@migrations(name="0005_music_library")
def m0005(db: Database) -> None:
    """The clinic's music library: each file once, by path, with what its tags and its measured
    loudness say and the facts the therapist set (lyrics, intensity, a note). Ordinary mutable
    state, like the users; a file that has gone is marked missing, never deleted with its facts."""
    db.execute("""
        CREATE TABLE music_tracks (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            size INTEGER NOT NULL DEFAULT 0,
            mtime REAL NOT NULL DEFAULT 0,
            content_hash TEXT NOT NULL DEFAULT '',
            title TEXT NOT NULL DEFAULT '',
            artist TEXT NOT NULL DEFAULT '',
            album TEXT NOT NULL DEFAULT '',
            duration REAL,
            loudness REAL,
            loudness_source TEXT NOT NULL DEFAULT '',
            lyrics TEXT NOT NULL DEFAULT '' CHECK (lyrics IN ('', 'none', 'some', 'sung')),
            language TEXT NOT NULL DEFAULT '',
            intensity INTEGER CHECK (intensity IS NULL OR intensity BETWEEN 1 AND 5),
            note TEXT NOT NULL DEFAULT '',
            problem TEXT NOT NULL DEFAULT '',
            missing INTEGER NOT NULL DEFAULT 0,
            added_at TEXT NOT NULL,
            checked_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX music_tracks_hash ON music_tracks(content_hash)")


@migrations(name="0006_imported_events_recorded_by")
def m0006(db: Database) -> None:
    """Which events of a session came from another computer's bundle, and which computer signed
    them (issue 23): the review, the PDF and the CSV show their authors as recorded there, never
    as a sign-in here, and a re-export of what arrived unchanged keeps that computer's signature.
    One row per import that added events; append-only like the events."""
    db.execute("""
        CREATE TABLE imported_events (
            id INTEGER PRIMARY KEY,
            session_uid TEXT NOT NULL,
            first_seq INTEGER NOT NULL,
            last_seq INTEGER NOT NULL,
            recorded_by TEXT NOT NULL,
            origin TEXT NOT NULL,
            public_key TEXT NOT NULL,
            signature TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX imported_events_session ON imported_events(session_uid, first_seq)")
    db.execute("""
        CREATE TRIGGER imported_events_no_update BEFORE UPDATE ON imported_events
        BEGIN SELECT RAISE(ABORT, 'imported_events is append-only'); END""")
    db.execute("""
        CREATE TRIGGER imported_events_no_delete BEFORE DELETE ON imported_events
        BEGIN SELECT RAISE(ABORT, 'imported_events is append-only'); END""")


@migrations(name="0007_sign_in_tries_per_source")
def m0007(db: Database) -> None:
    """Wrong sign-in tries counted per name AND source (the computer, or the command line's account
    on it), so someone guessing at one computer cannot pause a colleague signing in at another
    (issue 23). ``name_key`` is a user's name key, or ``#`` and a keyed hash for a name nobody has
    (never the typed text). The counts in ``users`` are no longer used for pauses."""
    db.execute("""
        CREATE TABLE sign_in_tries (
            name_key TEXT NOT NULL,
            source TEXT NOT NULL,
            failed_count INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            lockouts INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (name_key, source)
        )""")


@migrations(name="0008_sessions_listed_by_date")
def m0008(db: Database) -> None:
    """The review list's default order (newest first) read from an index: without it every page
    sorted the whole sessions table (45 ms a page at 5,000 sessions, 1 ms with it; the expression
    must stay the same as ``SORT_KEYS["date"]`` in :mod:`kaproom.store.queries` for SQLite to use it)."""
    db.execute("CREATE INDEX sessions_listed ON sessions(COALESCE(started_at, created_at) DESC, id DESC)")


if len(migrations._migrations) != SCHEMA_VERSION or migrations.migrations_table != MIGRATIONS_TABLE:
    raise RuntimeError("kaproom.store.schema is out of step with the migrations: "
                       "set SCHEMA_VERSION to the number of migrations")

__all__ = ["SCHEMA_VERSION", "migrations"]
