"""Clinic-wide staff accounts, against a real PostgreSQL and real SQLite: an admin at an office
computer adds, disables, enables and resets an account with ``--clinic``; the change is made in the
office's own users table and audit log and published to the server as a new account version; a room
takes it at ``clinic sync`` (one audit entry, never twice) and signs it in with the server stopped.
A room may not publish accounts, and a version that its office's audit entry does not witness is
refused by the room, naming the office and the entry."""
from __future__ import annotations

import json
import sqlite3

import _clinic_helpers
import psycopg
import pytest
from _clinic_helpers import password_of
from _people_helpers import run

from kaproom.clinic.server import init_schema
from kaproom.domain.people import AccountVersion, AuditKind, fingerprint
from kaproom.services.people import AccessRefused, People
from kaproom.services.workspace import Workspace
from kaproom.store import DB_FILENAME

pg, clinic = _clinic_helpers.pg, _clinic_helpers.clinic  # the fixtures

ADA_PIN = "583920"  # the office's admin
TEO_PIN = "917364"
TEO_NEW_PIN = "640218"
RAE_PIN = "275019"  # the room's own admin


def join(clinic, folder, role, kind, name, monkeypatch, capsys) -> None:
    code, out, err = run(monkeypatch, capsys, "clinic", "join", clinic.url(role, with_password=False), kind, name,
                         "--data-dir", str(folder), stdin=password_of(role) + "\n")
    assert code == 0, err


@pytest.fixture
def office_and_room(clinic, tmp_path, monkeypatch, capsys):
    """An office computer with its admin Ada (an account of its own), and a room; both joined."""
    office, room = tmp_path / "office", tmp_path / "room"
    assert run(monkeypatch, capsys, "users", "add", "Ada", "--role", "admin", "--data-dir", str(office),
               stdin=ADA_PIN + "\n")[0] == 0
    join(clinic, office, "office_1", "--office", "Office", monkeypatch, capsys)
    join(clinic, room, "room_a", "--room", "Room A", monkeypatch, capsys)
    return office, room


def as_ada(monkeypatch, capsys, office, *argv: str, new_secret: str | None = None) -> tuple[int, str, str]:
    stdin = ADA_PIN + "\n" + (new_secret + "\n" if new_secret else "")
    return run(monkeypatch, capsys, "users", *argv, "--data-dir", str(office), stdin=stdin, user="Ada")


def sync(monkeypatch, capsys, folder) -> tuple[int, str, str]:
    return run(monkeypatch, capsys, "clinic", "sync", "--data-dir", str(folder))


def versions(clinic) -> list[tuple]:
    with clinic.admin() as conn:
        return [tuple(row) for row in conn.execute(
            "SELECT name, role, active, secret_kind, computer, audit_seq, audit_hash, secret_hash"
            " FROM kaproom.account_versions ORDER BY id").fetchall()]


def sign_in(room, name: str, secret: str):
    with Workspace(room) as workspace:
        return People.of(workspace).sign_in(name, secret, via="cli")


def audit_of(folder, kinds=None):
    with Workspace(folder) as workspace:
        return People.of(workspace).accounts.audit_events(kinds)


def users_of(folder) -> list[tuple]:
    conn = sqlite3.connect(folder / DB_FILENAME)
    try:
        return conn.execute("SELECT name, role, active, secret_kind FROM users ORDER BY name_key").fetchall()
    finally:
        conn.close()


def verify_accounts(folder) -> list[str]:
    with Workspace(folder) as workspace:
        return [report.describe() for report in People.of(workspace).verify() if not report.intact]


def test_an_account_made_at_the_office_signs_in_at_the_room_offline_and_follows_each_change(
        office_and_room, clinic, monkeypatch, capsys):
    office, room = office_and_room
    code, out, err = as_ada(monkeypatch, capsys, office, "add", "Teo", "--role", "therapist", "--clinic",
                            new_secret=TEO_PIN)
    assert code == 0, err
    assert "Added Teo as therapist (clinic-wide)." in out and "Published to the clinic" in out
    # Made at the office as any account is (its users table and its audit log, sent to the server) ...
    added = audit_of(office, (AuditKind.USER_ADDED,))[-1]
    assert added.payload["user"] == "Teo" and added.payload["clinic"] is True
    # ... and published as a version naming that audit entry; the secret's hash is in no audit entry.
    [(name, role, active, kind, computer, seq, digest, secret_hash)] = versions(clinic)
    assert (name, role, active, kind, computer, seq, digest) == ("Teo", "therapist", True, "pin", "Office",
                                                                 added.seq, added.hash)
    assert secret_hash.startswith("$scrypt$") and added.payload["secret_fingerprint"] == fingerprint(secret_hash)
    assert clinic.scalar("SELECT count(*) FROM kaproom.audit WHERE computer = 'Office' AND seq = %s", (seq,)) == 1
    assert clinic.scalar("SELECT count(*) FROM kaproom.audit WHERE strpos(payload, %s) > 0", (secret_hash,)) == 0
    assert json.loads(run(monkeypatch, capsys, "clinic", "status", "--json", "--data-dir", str(office))[1])[
        "accounts"] == 1

    code, out, err = sync(monkeypatch, capsys, room)
    assert code == 0, err
    assert "1 clinic account changed here" in out
    assert users_of(room) == [("Teo", "therapist", 1, "pin")]
    listed = run(monkeypatch, capsys, "users", "list", "--data-dir", str(room), stdin=TEO_PIN + "\n", user="Teo")
    assert listed[0] == 2 and "only an admin may manage users" in listed[2]  # the room's rules, for a clinic account
    listed = as_ada(monkeypatch, capsys, office, "list")[1].splitlines()
    assert any(line.startswith("Teo") and line.endswith("clinic-wide") for line in listed)
    assert any(line.startswith("Ada") and not line.endswith("clinic-wide") for line in listed)
    [taken] = audit_of(room, (AuditKind.ACCOUNT_FROM_CLINIC,))
    assert taken.author == "Ada" and taken.payload == {
        "user": "Teo", "role": "therapist", "active": True, "secret_fingerprint": fingerprint(secret_hash),
        "secret_changed": True, "office": "Office", "office_audit_seq": seq, "office_audit_hash": digest}
    assert all(secret_hash not in json.dumps(event.payload) for event in audit_of(room))
    assert verify_accounts(room) == []

    # Receiving again changes nothing and writes nothing.
    entries = len(audit_of(room))
    code, out, _ = sync(monkeypatch, capsys, room)
    assert code == 0 and "clinic account" not in out
    assert len(audit_of(room)) == entries and len(audit_of(room, (AuditKind.ACCOUNT_FROM_CLINIC,))) == 1

    status = json.loads(run(monkeypatch, capsys, "clinic", "status", "--json", "--data-dir", str(room))[1])
    assert status["accounts_received_at"] and status["accounts"] == 1 and status["accounts_refused"] == []
    assert "accounts:   1 from the clinic, last received" in run(monkeypatch, capsys, "clinic", "status",
                                                                    "--data-dir", str(room))[1]

    # Sign-in in the room with the server stopped: the room's copy is enough.
    clinic.cluster.stop()
    try:
        assert sign_in(room, "Teo", TEO_PIN).name == "Teo"
        with pytest.raises(AccessRefused):
            sign_in(room, "Teo", TEO_NEW_PIN)
    finally:
        clinic.cluster.start_on_same_port()

    # Disabled at the office: refused in the room after its next sync.
    code, out, err = as_ada(monkeypatch, capsys, office, "disable", "Teo", "--clinic")
    assert code == 0 and "Teo disabled." in out and "Published" in out, err
    assert sign_in(room, "Teo", TEO_PIN).name == "Teo"  # not yet: the room has not synced
    assert sync(monkeypatch, capsys, room)[0] == 0
    with pytest.raises(AccessRefused, match="Teo's account is disabled"):
        sign_in(room, "Teo", TEO_PIN)

    # Enabled again and given a new PIN at the office: the new PIN works in the room, the old does not.
    assert as_ada(monkeypatch, capsys, office, "enable", "Teo", "--clinic")[0] == 0
    code, out, err = as_ada(monkeypatch, capsys, office, "reset", "Teo", "--clinic", new_secret=TEO_NEW_PIN)
    assert code == 0, err
    code, out, _ = sync(monkeypatch, capsys, room)
    assert code == 0 and "1 clinic account changed here" in out  # only the latest version is taken
    clinic.cluster.stop()
    try:
        with pytest.raises(AccessRefused):
            sign_in(room, "Teo", TEO_PIN)
        assert sign_in(room, "Teo", TEO_NEW_PIN).name == "Teo"
    finally:
        clinic.cluster.start_on_same_port()
    assert as_ada(monkeypatch, capsys, office, "role", "Teo", "supervisor", "--clinic")[0] == 0
    assert sync(monkeypatch, capsys, room)[0] == 0
    assert users_of(room) == [("Teo", "supervisor", 1, "pin")]
    assert len(versions(clinic)) == 5
    assert verify_accounts(room) == [] and verify_accounts(office) == []
    # The room's audit log, with its account_from_clinic entries, reaches the server too.
    assert sync(monkeypatch, capsys, room)[0] == 0
    assert clinic.scalar("SELECT count(*) FROM kaproom.audit WHERE computer = 'Room A' AND kind = %s",
                         (AuditKind.ACCOUNT_FROM_CLINIC,)) == 4


def test_a_room_account_of_the_same_name_is_taken_over_and_the_room_cannot_change_a_clinic_account(
        office_and_room, clinic, monkeypatch, capsys):
    office, room = office_and_room
    assert run(monkeypatch, capsys, "users", "add", "Rae", "--role", "admin", "--data-dir", str(room),
               stdin=RAE_PIN + "\n")[0] == 0
    assert run(monkeypatch, capsys, "users", "add", "Teo", "--role", "supervisor", "--data-dir", str(room),
               stdin=f"{RAE_PIN}\n{TEO_NEW_PIN}\n", user="Rae")[0] == 0
    assert as_ada(monkeypatch, capsys, office, "add", "teo", "--role", "therapist", "--clinic",
                  new_secret=TEO_PIN)[0] == 0
    code, out, err = sync(monkeypatch, capsys, room)
    assert code == 0, err
    assert "Clinic accounts: the room account 'teo' was taken over by the clinic's account of the same name " \
           "(from office 'Office')." in out
    assert users_of(room) == [("Rae", "admin", 1, "pin"), ("teo", "therapist", 1, "pin")]
    [taken] = audit_of(room, (AuditKind.ACCOUNT_FROM_CLINIC,))
    assert taken.payload["replaced_local"] is True
    with pytest.raises(AccessRefused):
        sign_in(room, "Teo", TEO_NEW_PIN)
    assert sign_in(room, "Teo", TEO_PIN).role.value == "therapist"
    assert verify_accounts(room) == []
    # Managed once, at the office: the room's admin may unlock it (wrong tries are the room's), nothing more.
    code, _, err = run(monkeypatch, capsys, "users", "disable", "Teo", "--data-dir", str(room), stdin=RAE_PIN + "\n",
                       user="Rae")
    assert code == 2 and "teo is a clinic-wide account (last changed at the office computer 'Office')" in err
    assert run(monkeypatch, capsys, "users", "unlock", "Teo", "--data-dir", str(room), stdin=RAE_PIN + "\n",
               user="Rae")[0] == 0
    # --clinic is for office computers only, refused before anything changes.
    code, _, err = run(monkeypatch, capsys, "users", "add", "Una", "--role", "therapist", "--clinic", "--data-dir",
                       str(room), stdin=f"{RAE_PIN}\n{TEO_PIN}\n", user="Rae")
    assert code == 2 and "joined as the room 'Room A'" in err
    assert [name for name, *_ in users_of(room)] == ["Rae", "teo"]


def test_wrong_tries_stay_with_the_computer_they_were_made_at(office_and_room, clinic, monkeypatch, capsys):
    office, room = office_and_room
    assert as_ada(monkeypatch, capsys, office, "add", "Teo", "--role", "therapist", "--clinic",
                  new_secret=TEO_PIN)[0] == 0
    assert sync(monkeypatch, capsys, room)[0] == 0
    for _ in range(5):
        with pytest.raises(AccessRefused):
            sign_in(room, "Teo", "000111")
    with pytest.raises(AccessRefused, match="paused"):
        sign_in(room, "Teo", TEO_PIN)
    # A new PIN from the office does not lift the room's pause; the office's own sign-in is not paused.
    assert as_ada(monkeypatch, capsys, office, "reset", "Teo", "--clinic", new_secret=TEO_NEW_PIN)[0] == 0
    assert sync(monkeypatch, capsys, room)[0] == 0
    with pytest.raises(AccessRefused, match="paused"):
        sign_in(room, "Teo", TEO_NEW_PIN)
    assert sign_in(office, "Teo", TEO_NEW_PIN).name == "Teo"


def test_a_change_made_while_the_server_is_down_is_published_at_the_offices_next_sync(
        office_and_room, clinic, monkeypatch, capsys):
    office, room = office_and_room
    clinic.cluster.stop()
    try:
        code, out, err = as_ada(monkeypatch, capsys, office, "add", "Teo", "--role", "therapist", "--clinic",
                                new_secret=TEO_PIN)
        assert code == 1 and "Added Teo as therapist (clinic-wide)." in out
        assert "Teo was added here, but not yet for the clinic" in err and "next `kaproom clinic sync`" in err
    finally:
        clinic.cluster.start_on_same_port()
    assert versions(clinic) == []
    code, out, err = sync(monkeypatch, capsys, office)
    assert code == 0 and "1 clinic account version published" in out, err
    assert sync(monkeypatch, capsys, office)[0] == 0 and len(versions(clinic)) == 1  # once
    assert sync(monkeypatch, capsys, room)[0] == 0
    assert sign_in(room, "Teo", TEO_PIN).name == "Teo"


def test_the_server_refuses_a_version_from_a_room_and_one_its_office_entry_does_not_witness(
        office_and_room, clinic, monkeypatch, capsys):
    office, room = office_and_room
    assert as_ada(monkeypatch, capsys, office, "add", "Teo", "--role", "therapist", "--clinic",
                  new_secret=TEO_PIN)[0] == 0
    name, role, active, kind, computer, seq, digest, secret_hash = versions(clinic)[0]
    insert = ("INSERT INTO kaproom.account_versions (name, role, active, secret_hash, secret_kind, computer, audit_seq,"
              " audit_hash, wall_time) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'now')")
    with clinic.as_role("room_a") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(insert, ("Teo", "admin", True, secret_hash, kind, "Office", seq, digest))
    with clinic.as_role("office_1") as conn:
        with pytest.raises(psycopg.Error, match="does not match audit entry"):  # the entry says therapist
            conn.execute(insert, ("Teo", "admin", True, secret_hash, kind, "Office", seq, digest))
        with pytest.raises(psycopg.Error, match="not on the clinic server yet"):
            conn.execute(insert, ("Teo", "admin", True, secret_hash, kind, "Office", 99, digest))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE kaproom.account_versions SET role = 'admin'")
    with clinic.admin() as conn:  # even the database's owner: append-only, by trigger
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute("UPDATE kaproom.account_versions SET role = 'admin'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute("DELETE FROM kaproom.account_versions")
    assert len(versions(clinic)) == 1


FORGERIES = {  # what someone with the server's keys does, behind the triggers' back
    "missing": ["INSERT INTO kaproom.account_versions (name, role, active, secret_hash, secret_kind, computer, audit_seq,"
                " audit_hash, wall_time) SELECT name, 'admin', active, secret_hash, secret_kind, computer, 99, audit_hash,"
                " wall_time FROM kaproom.account_versions"],
    "differs": ["UPDATE kaproom.account_versions SET role = 'admin'",
                "UPDATE kaproom.audit SET payload = replace(payload, 'therapist', 'admin') WHERE computer = 'Office'"],
    "another account": ["UPDATE kaproom.account_versions SET role = 'admin'"],
}


@pytest.mark.parametrize("forgery, words", [
    ("missing", "office 'Office' audit entry 99 is not on the clinic server"),
    ("differs", "office 'Office' audit entry {seq} on the clinic server differs from the entry the account names"),
    ("another account", "office 'Office' audit entry {seq} does not record this account"),
])
def test_a_room_refuses_a_version_its_office_entry_does_not_witness_and_applies_nothing(
        office_and_room, clinic, monkeypatch, capsys, forgery, words):
    office, room = office_and_room
    assert as_ada(monkeypatch, capsys, office, "add", "Teo", "--role", "therapist", "--clinic",
                  new_secret=TEO_PIN)[0] == 0
    assert sync(monkeypatch, capsys, room)[0] == 0
    seq = versions(clinic)[0][5]
    with clinic.admin() as conn:
        conn.execute("SET session_replication_role = replica")
        for sql in FORGERIES[forgery]:
            conn.execute(sql)
    named = 99 if forgery == "missing" else seq
    before = (users_of(room), len(audit_of(room)))
    code, out, err = sync(monkeypatch, capsys, room)
    assert code == 1
    assert f"REFUSED: the account 'Teo' from office 'Office' (its audit entry {named}): " in err
    assert words.format(seq=seq) in err and "nothing was applied" in err
    assert (users_of(room), len(audit_of(room))) == before
    assert users_of(room) == [("Teo", "therapist", 1, "pin")]
    status = json.loads(run(monkeypatch, capsys, "clinic", "status", "--json", "--data-dir", str(room))[1])
    assert len(status["accounts_refused"]) == 1 and "nothing was applied" in status["accounts_refused"][0]


def test_a_role_edited_by_hand_in_the_room_is_caught_by_verify(office_and_room, clinic, monkeypatch, capsys):
    office, room = office_and_room
    assert as_ada(monkeypatch, capsys, office, "add", "Teo", "--role", "therapist", "--clinic",
                  new_secret=TEO_PIN)[0] == 0
    assert sync(monkeypatch, capsys, room)[0] == 0
    assert verify_accounts(room) == []
    conn = sqlite3.connect(room / DB_FILENAME)
    with conn:
        conn.execute("UPDATE users SET role = 'admin' WHERE name = 'Teo'")
    conn.close()
    assert verify_accounts(room) == ["users: DO NOT AGREE with the audit log: user 'Teo': role differs from the "
                                     "audit log"]
    # And the next sync does not paper over it: the version was taken already.
    assert sync(monkeypatch, capsys, room)[0] == 0
    assert users_of(room) == [("Teo", "admin", 1, "pin")]


def test_a_second_office_takes_the_clinics_accounts_and_manages_them_with_clinic(office_and_room, clinic, tmp_path,
                                                                                 monkeypatch, capsys):
    office, room = office_and_room
    other = tmp_path / "office_2"
    assert run(monkeypatch, capsys, "users", "add", "Bo", "--role", "admin", "--data-dir", str(other),
               stdin=ADA_PIN + "\n")[0] == 0
    join(clinic, other, "office_2", "--office", "Office 2", monkeypatch, capsys)
    assert as_ada(monkeypatch, capsys, office, "add", "Teo", "--role", "therapist", "--clinic",
                  new_secret=TEO_PIN)[0] == 0
    assert sync(monkeypatch, capsys, other)[0] == 0
    assert sign_in(other, "Teo", TEO_PIN).name == "Teo"
    # Office 2 changes it clinic-wide (with --clinic; without, it is refused there as in a room) ...
    as_bo = ("--data-dir", str(other))
    code, _, err = run(monkeypatch, capsys, "users", "disable", "Teo", *as_bo, stdin=ADA_PIN + "\n", user="Bo")
    assert code == 2 and "change it clinic-wide, at an office computer, with --clinic" in err
    code, out, err = run(monkeypatch, capsys, "users", "disable", "Teo", "--clinic", *as_bo, stdin=ADA_PIN + "\n",
                         user="Bo")
    assert code == 0 and "Published" in out, err
    assert [v[4] for v in versions(clinic)] == ["Office", "Office 2"]
    # ... the room takes it, and so does the first office, which publishes nothing back.
    assert sync(monkeypatch, capsys, room)[0] == 0
    with pytest.raises(AccessRefused, match="disabled"):
        sign_in(room, "Teo", TEO_PIN)
    code, out, err = sync(monkeypatch, capsys, office)
    assert code == 0 and "1 clinic account changed here" in out and "published" not in out, err
    with pytest.raises(AccessRefused, match="disabled"):
        sign_in(office, "Teo", TEO_PIN)
    assert len(versions(clinic)) == 2
    assert verify_accounts(office) == [] and verify_accounts(other) == [] and verify_accounts(room) == []
    # The first office enables it again: the latest version wins everywhere.
    assert as_ada(monkeypatch, capsys, office, "enable", "Teo", "--clinic")[0] == 0
    assert sync(monkeypatch, capsys, room)[0] == 0 and sync(monkeypatch, capsys, other)[0] == 0
    assert sign_in(room, "Teo", TEO_PIN).name == "Teo" and sign_in(other, "Teo", TEO_PIN).name == "Teo"
    assert len(versions(clinic)) == 3


def test_an_account_from_the_clinic_written_by_hand_in_a_room_is_caught_by_verify_clinic(
        office_and_room, clinic, monkeypatch, capsys):
    office, room = office_and_room
    assert as_ada(monkeypatch, capsys, office, "add", "Teo", "--role", "therapist", "--clinic",
                  new_secret=TEO_PIN)[0] == 0
    assert sync(monkeypatch, capsys, room)[0] == 0
    code, out, _ = run(monkeypatch, capsys, "verify", "--clinic", "--data-dir", str(room), stdin=TEO_PIN + "\n",
                       user="Teo")
    assert code == 0 and "accounts from the clinic against the offices' audit logs on the clinic server: intact" in out
    # Someone with the room's file and KAP Room's code gives themself an admin account "from the clinic":
    # the room's own audit log holds together (its chain is rewritten with it) ...
    [(_, _, _, _, _, seq, digest, secret_hash)] = versions(clinic)
    forged = AccountVersion("Mallory", "admin", True, secret_hash, "pin", "Office", seq + 40, digest, "2026-03-02")
    with Workspace(room) as workspace:
        People.of(workspace).take_from_clinic(forged, "Ada")
    assert verify_accounts(room) == []
    # ... but the office's audit log on the server, its witness, does not have that entry.
    code, out, err = run(monkeypatch, capsys, "verify", "--clinic", "--data-dir", str(room), stdin=TEO_PIN + "\n",
                         user="Teo")
    assert code == 1
    assert (f"gives 'Mallory' an account from office 'Office', but that office's audit entry {seq + 40} is not on "
            "the clinic server") in out and "VERIFY FAILED" in err


def test_a_clinic_server_not_yet_upgraded_still_takes_the_record_and_says_how_to_hold_accounts(
        office_and_room, clinic, monkeypatch, capsys):
    office, room = office_and_room
    with clinic.admin() as conn:  # a server still at schema 3
        conn.execute("DROP TABLE kaproom.account_versions")
        conn.execute("DROP FUNCTION kaproom.account_version_arrives()")
        conn.execute("DROP INDEX kaproom.sessions_listed")  # and without what came after (migration 5)
        conn.execute("DELETE FROM kaproom.schema_migrations WHERE version >= 4")
    code, out, err = sync(monkeypatch, capsys, room)
    assert code == 0 and "Caught up" in out, err
    code, out, err = as_ada(monkeypatch, capsys, office, "add", "Teo", "--role", "therapist", "--clinic",
                            new_secret=TEO_PIN)
    assert code == 1 and "Added Teo as therapist (clinic-wide)." in out
    assert "does not hold clinic accounts yet: run  kaproom clinic init URL" in err
    with psycopg.connect(clinic.url(), autocommit=False) as conn:  # the clinic upgrades its server
        assert init_schema(conn) == ["0004_account_versions", "0005_review_list_order",
                                      "0006_no_mutable_staff_table"]
    assert sync(monkeypatch, capsys, office)[0] == 0 and sync(monkeypatch, capsys, room)[0] == 0
    assert sign_in(room, "Teo", TEO_PIN).name == "Teo"


def test_the_rooms_staff_screen_shows_which_accounts_are_the_clinics_and_offers_only_to_end_their_pause(
        office_and_room, clinic, monkeypatch, capsys, qtbot):
    """What an admin at the room sees: the clinic's account marked as managed at the office, its
    buttons but "End pause" unavailable (with the reason), the room's own account as before."""
    from kaproom.ui.people.accounts import COLUMNS, UsersAdminWidget
    office, room = office_and_room
    assert run(monkeypatch, capsys, "users", "add", "Rae", "--role", "admin", "--data-dir", str(room),
               stdin=RAE_PIN + "\n")[0] == 0
    assert as_ada(monkeypatch, capsys, office, "add", "Teo", "--role", "therapist", "--clinic",
                  new_secret=TEO_PIN)[0] == 0
    assert sync(monkeypatch, capsys, room)[0] == 0
    with Workspace(room) as workspace:
        people = People.of(workspace)
        widget = UsersAdminWidget(people, people.find("Rae"))
        qtbot.addWidget(widget)
        managed = COLUMNS.index("Managed")
        cells = {widget.table.item(row, 0).text(): widget.table.item(row, managed).text()
                 for row in range(widget.table.rowCount())}
        assert cells == {"Rae": "this computer", "Teo": "clinic-wide, at office 'Office'"}
        widget.select("Teo")
        assert [key for key, button in widget.buttons.items() if button.isEnabled()] == ["add", "unlock"]
        assert "changed at the office computer 'Office'" in widget.buttons["disable"].toolTip()
        widget.select("Rae")
        assert all(button.isEnabled() for button in widget.buttons.values())
    with Workspace(office) as workspace:  # at the office that manages it: every button, marked as its own
        people = People.of(workspace)
        widget = UsersAdminWidget(people, people.find("Ada"))
        qtbot.addWidget(widget)
        row = [widget.table.item(r, 0).text() for r in range(widget.table.rowCount())].index("Teo")
        assert widget.table.item(row, COLUMNS.index("Managed")).text() == "clinic-wide, here"
        widget.select("Teo")
        assert all(button.isEnabled() for button in widget.buttons.values())
