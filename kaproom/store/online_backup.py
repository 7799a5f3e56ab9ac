"""A consistent copy of the live database, and the chain heads a copy is checked against.

The copy is made with SQLite's online backup API from a read-only connection, never by copying
the file: the app may be writing at that moment, and a file copied page by page under a writer
(or with its write-ahead log left behind) is not a database. The read-only connection never
writes the file, never checkpoints its log and never touches the "checked" seal, so a backup
taken beside a running session changes nothing the session relies on. In WAL mode the copy is
one read transaction: the session keeps committing meanwhile and the copy is the record as it
was when the copy began.

Heads are ``{chain: (last sequence number, last hash)}``: one per session (its uid) and one for
the audit log (``"audit"``) and one for the stock register (``"register"``) once it has lines; ids,
numbers and hashes only, never names or notes.
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from kaproom.domain.register import REGISTER_CHAIN
from kaproom.store.accounts import AUDIT_CHAIN
from kaproom.store.errors import StoreError, translate
from kaproom.store.store import BUSY_TIMEOUT_MS, SQLITE_HEADER

Heads = dict[str, tuple[int, str]]
#: Pages copied per step of the online backup (8 MB at SQLite's default 4 KB page), each then written out.
STEP_PAGES = 2048


def _flush(fd: int) -> None:
    try:
        os.fdatasync(fd) if hasattr(os, "fdatasync") else os.fsync(fd)
    except OSError:
        pass  # only pacing: the copy is checked whatever happens here


def open_read_only(path: Path, immutable: bool = False) -> sqlite3.Connection:
    """A connection that cannot write ``path`` (nor checkpoint its log). ``immutable`` also keeps
    SQLite from creating a log and shared memory beside it: only for a file nothing else has open."""
    try:
        with open(path, "rb") as handle:
            if handle.read(16) != SQLITE_HEADER:
                raise StoreError(f"{path} is not a KAP Room database (it is not an SQLite file).")
    except OSError as exc:
        raise translate(exc, str(path), "read the database") from None
    try:
        mode = "mode=ro&immutable=1" if immutable else "mode=ro"
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?{mode}", uri=True, isolation_level=None,
                               check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    except sqlite3.Error as exc:
        raise translate(exc, str(path), "read the database") from None
    return conn


def copy_database(source: Path, target: Path) -> Heads:
    """Copy the live database at ``source`` into a new file ``target`` (0600, one file, no log) with
    SQLite's online backup API; return the copy's heads. The copy is checked by SQLite's quick check
    and its heads against the events they name before this returns."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # health records: this user only
    os.close(fd)
    src = open_read_only(source)
    try:
        dst = sqlite3.connect(str(target), isolation_level=None)
        try:
            dst.execute("PRAGMA journal_mode=OFF")  # a scratch copy: removed if anything fails, never
            dst.execute("PRAGMA synchronous=OFF")  # opened by the app (the encrypted file is synced)
            src.execute("BEGIN")  # one read transaction for the whole copy: one moment of the record,
            src.execute("SELECT count(*) FROM sqlite_master").fetchone()  # however the room writes meanwhile
            sync = os.open(target, os.O_RDONLY)
            try:  # in steps, each written out: the room's next fsync never waits behind the whole copy
                src.backup(dst, pages=STEP_PAGES, progress=lambda *_: _flush(sync))
            finally:
                os.close(sync)
            src.execute("COMMIT")
            dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            problems = check_copy(dst)
            if problems:
                raise StoreError(f"The copy of {source} did not check out ({problems}). Nothing was backed up.")
            return read_heads(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise translate(exc, str(source), "copy the database") from None
    finally:
        src.close()


def check_copy(conn: sqlite3.Connection) -> str:
    """'' if the copy reads whole (SQLite's quick check) and every head names the last event of its
    chain; otherwise what is wrong."""
    result = conn.execute("PRAGMA quick_check").fetchall()
    if result != [("ok",)]:
        return "; ".join(str(row[0]) for row in result[:3])
    wrong = conn.execute(
        "SELECT s.uid FROM sessions s LEFT JOIN events e ON e.session_uid = s.uid AND e.seq = s.last_seq "
        "WHERE (s.last_seq > 0 AND (e.hash IS NULL OR e.hash != s.last_hash)) "
        "OR EXISTS (SELECT 1 FROM events x WHERE x.session_uid = s.uid AND x.seq > s.last_seq) LIMIT 3").fetchall()
    if wrong:
        return "the sessions index does not match the events of " + ", ".join(row[0][:8] for row in wrong)
    if _has_table(conn, "audit_head"):
        head = conn.execute("SELECT last_seq, last_hash FROM audit_head WHERE id=1").fetchone()
        if head and head[0]:
            last = conn.execute("SELECT hash FROM audit WHERE seq=?", (head[0],)).fetchone()
            if last is None or last[0] != head[1]:
                return "the audit log's head does not match its last entry"
    if _has_table(conn, "register_head"):
        head = conn.execute("SELECT last_seq, last_hash FROM register_head WHERE id=1").fetchone()
        if head and head[0]:
            last = conn.execute("SELECT hash FROM register WHERE seq=?", (head[0],)).fetchone()
            if last is None or last[0] != head[1]:
                return "the stock register's head does not match its last line"
    return ""


def read_heads(conn: sqlite3.Connection) -> Heads:
    """Every chain's head as the record's index holds it."""
    heads: Heads = {str(uid): (int(seq), str(digest or ""))
                    for uid, seq, digest in conn.execute("SELECT uid, last_seq, last_hash FROM sessions")}
    if _has_table(conn, "audit_head"):
        row = conn.execute("SELECT last_seq, last_hash FROM audit_head WHERE id=1").fetchone()
        if row and row[0]:
            heads[AUDIT_CHAIN] = (int(row[0]), str(row[1] or ""))
    if _has_table(conn, "register_head"):
        row = conn.execute("SELECT last_seq, last_hash FROM register_head WHERE id=1").fetchone()
        if row and row[0]:
            heads[REGISTER_CHAIN] = (int(row[0]), str(row[1] or ""))
    return heads


def hash_at(conn: sqlite3.Connection, chain: str, seq: int) -> str | None:
    """The hash of event ``seq`` of ``chain`` (a session uid, the audit log or the stock register),
    or None if absent."""
    if seq <= 0:
        return ""
    if chain == AUDIT_CHAIN:
        row = conn.execute("SELECT hash FROM audit WHERE seq=?", (seq,)).fetchone()
    elif chain == REGISTER_CHAIN:
        row = conn.execute("SELECT hash FROM register WHERE seq=?", (seq,)).fetchone() \
            if _has_table(conn, "register") else None
    else:
        row = conn.execute("SELECT hash FROM events WHERE session_uid=? AND seq=?", (chain, seq)).fetchone()
    return None if row is None else str(row[0])


def count_events(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None
