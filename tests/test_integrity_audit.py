"""Issue 23 point 3: the audit log and the accounts, against hand edits of the database.

Deleting every account and audit entry must not turn a clinic's data folder into one without
sign-in; an account slipped in by hand with a user_added entry in the name of someone who could
not have made it must fail ``verify``; and the chains' heads are there for witnesses outside the
file (backups, the clinic server) to record and compare.
"""
from __future__ import annotations

import json
import sqlite3

import pytest
from _people_helpers import FAST_KDF, add_staff, fast_people

from kaproom.cli.main import main
from kaproom.domain.events import event_hash
from kaproom.domain.people import Role, User, hash_secret, name_key, user_state
from kaproom.services.workspace import Workspace
from kaproom.store import DB_FILENAME
from kaproom.store.heads import chain_heads
from kaproom.store.staff_marker import MARKER_NAME, StaffMissing


def _sqlite(folder):
    conn = sqlite3.connect(folder / DB_FILENAME)
    conn.isolation_level = None
    return conn


def _forge_account(folder, name: str, role: str, secret: str, actor: str) -> None:
    """What someone with the sqlite3 tool and KAP Room's source does: a users row, and a user_added
    entry chained correctly onto the audit log, with its head moved."""
    conn = _sqlite(folder)
    stored = hash_secret(secret, FAST_KDF)
    wall = "2026-03-02T10:00:00.000Z"
    conn.execute("INSERT INTO users (name, name_key, role, secret_hash, secret_kind, active, created_at, created_by,"
                 " updated_at) VALUES (?,?,?,?,?,1,?,?,?)",
                 (name, name_key(name), role, stored, "passphrase", wall, actor, wall))
    seq, prev = conn.execute("SELECT last_seq, last_hash FROM audit_head").fetchone()
    payload = user_state(User(name, Role(role), True, "passphrase"), stored)
    digest = event_hash(prev, "audit", seq + 1, "user_added", wall, 0.0, actor, "", payload)
    conn.execute("INSERT INTO audit (seq, wall_time, actor, kind, payload, prev_hash, hash) VALUES (?,?,?,?,?,?,?)",
                 (seq + 1, wall, actor, "user_added", json.dumps(payload, sort_keys=True), prev, digest))
    conn.execute("UPDATE audit_head SET last_seq=?, last_hash=?", (seq + 1, digest))
    conn.close()


@pytest.fixture
def staffed(data_dir, clock):
    with Workspace(data_dir, clock) as workspace:
        add_staff(fast_people(workspace))
    return data_dir


def test_the_first_account_leaves_a_marker_in_the_data_folder(staffed):
    assert (staffed / MARKER_NAME).exists()
    assert oct((staffed / MARKER_NAME).stat().st_mode & 0o777) == "0o600"


def test_deleting_every_account_and_audit_entry_never_opens_the_folder_without_sign_in(staffed, clock, capsys):
    conn = _sqlite(staffed)
    conn.executescript("DROP TRIGGER audit_no_delete; DELETE FROM audit; DELETE FROM users;"
                       " UPDATE audit_head SET last_seq=0, last_hash='';")
    conn.close()
    with Workspace(staffed, clock) as workspace:
        people = fast_people(workspace)
        with pytest.raises(StaffMissing, match="had staff accounts"):
            people.has_users()
        with pytest.raises(StaffMissing):  # no silent new first admin either
            people.add_user(None, "Eve", "admin", "not a real admin pin 1")
        reports = [r for r in workspace.verify_extra() if not r.intact]
        assert reports and "staff" in reports[0].reason
    assert main(["sessions", "--data-dir", str(staffed)]) != 0  # refused, not listed without sign-in
    assert "had staff accounts" in capsys.readouterr().err


def test_an_account_forged_in_the_name_of_nobody_who_could_fails_verify(staffed, clock):
    _forge_account(staffed, "Mallory", "supervisor", "mallory has the keys now", actor="Sam")  # Sam: not an admin
    with Workspace(staffed, clock) as workspace:
        broken = [r for r in workspace.verify_extra() if not r.intact]
    assert broken and "Mallory" in broken[0].reason and "no one who could" in broken[0].reason


def test_an_account_forged_by_a_name_never_seen_fails_verify(staffed, clock):
    _forge_account(staffed, "Mallory", "supervisor", "mallory has the keys now", actor="Mallory")
    with Workspace(staffed, clock) as workspace:
        assert any("Mallory" in r.reason for r in workspace.verify_extra() if not r.intact)


def test_the_heads_a_witness_records_show_a_cut_audit_tail(staffed, clock):
    with Workspace(staffed, clock) as workspace:
        runner = workspace.new_session(workspace.protocol("short-check"), "C-1", "Teo")
        seen = chain_heads(workspace.store)
    assert set(seen) == {runner.session_uid, "audit"}
    assert seen["audit"][0] == 3
    conn = _sqlite(staffed)  # the tail cut and the head moved back: inside the file this is consistent
    conn.executescript("DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq=3;")
    seq, digest = conn.execute("SELECT seq, hash FROM audit WHERE seq=2").fetchone()
    conn.execute("UPDATE audit_head SET last_seq=?, last_hash=?", (seq, digest))
    conn.close()
    with Workspace(staffed, clock) as workspace:
        now = chain_heads(workspace.store)
    assert now["audit"] != seen["audit"] and now[runner.session_uid] == seen[runner.session_uid]


def test_an_untouched_staffed_folder_verifies(staffed, clock):
    with Workspace(staffed, clock) as workspace:
        assert all(r.intact for r in workspace.verify_extra())
        assert fast_people(workspace).has_users()
