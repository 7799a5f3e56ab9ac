"""The heads of every chain in a database, as a witness outside it records them.

A chain's head (its last event's number and hash) is what a backup manifest, the clinic server or
a printed report keeps: a database later found with a shorter chain, or a different hash at a
number the witness saw, was rolled back or rewritten. The heads are read from the events and the
audit entries themselves, not from the sessions index or the audit_head row (which a hand edit
can move).
"""
from __future__ import annotations

from kaproom.domain.register import REGISTER_CHAIN
from kaproom.store.store import Store

#: The key of the audit log's head in :func:`chain_heads`.
AUDIT_KEY = "audit"


def chain_heads(store: Store) -> dict[str, tuple[int, str]]:
    """Session uid (and ``"audit"`` when there is an audit log, ``"register"`` when the stock
    register has lines) -> (last seq, last hash)."""
    heads: dict[str, tuple[int, str]] = {
        str(uid): (int(seq), str(digest)) for uid, seq, digest in store._read(
            "SELECT e.session_uid, e.seq, e.hash FROM events e JOIN (SELECT session_uid, max(seq) AS seq FROM events "
            "GROUP BY session_uid) last ON last.session_uid = e.session_uid AND last.seq = e.seq")}
    tables = {row[0] for row in store._read("SELECT name FROM sqlite_master WHERE type='table'")}
    if "audit" in tables:
        last = store._read("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        if last:
            heads[AUDIT_KEY] = (int(last[0][0]), str(last[0][1]))
    if "register" in tables:  # the stock register, once it has a line
        last = store._read("SELECT seq, hash FROM register ORDER BY seq DESC LIMIT 1")
        if last:
            heads[REGISTER_CHAIN] = (int(last[0][0]), str(last[0][1]))
    return heads
