"""The audit trail: what is recorded, that it is append-only, and that `kaproom verify` proves it."""
from __future__ import annotations

import sqlite3

import pytest
from _people_helpers import ADMIN_PIN, SUPERVISOR_SECRET, add_staff, audit_log, fast_people

from kaproom.cli.main import main
from kaproom.domain.people import AuditKind
from kaproom.services.people import AccessRefused
from kaproom.services.workspace import Workspace
from kaproom.store import Store
from kaproom.store.accounts import Accounts
from kaproom.store.schema import SCHEMA_VERSION


@pytest.fixture
def recorded(workspace, protocol):
    """A day's worth of audit events of every kind, through the same calls the screens use."""
    people = fast_people(workspace)
    staff = add_staff(people)
    sam = people.sign_in("Sam", SUPERVISOR_SECRET)
    with pytest.raises(AccessRefused):
        people.sign_in("Teo", "000001")
    runner = workspace.new_session(protocol, "KAP-0042", "Teo")
    row = workspace.store.session(runner.session_uid)
    people.record_view(sam, row.uid, row.id)
    people.record_export(sam, [row.uid], "pdf", "/home/clinic/exports/kap-0042.pdf")
    people.record_signoff(sam, row.uid)
    people.record_protocol_change(staff["admin"], "im-1h", "added", "protocols/im-1h.toml")
    people.change_role(staff["admin"], "Teo", "supervisor")
    return people, row


def test_every_kind_of_action_is_recorded_with_who_and_what(recorded):
    people, row = recorded
    events = audit_log(people, newest_first=False)
    kinds = [e.kind for e in events]
    assert kinds == [AuditKind.USER_ADDED] * 3 + [
        AuditKind.SIGNED_IN, AuditKind.SIGN_IN_FAILED, AuditKind.SESSION_VIEWED, AuditKind.SESSION_EXPORTED,
        AuditKind.SIGNED_OFF, AuditKind.PROTOCOL_CHANGED, AuditKind.USER_ROLE_CHANGED]
    by_kind = {e.kind: e for e in events}
    export = by_kind[AuditKind.SESSION_EXPORTED]
    assert export.author == "Sam" and export.payload == {
        "sessions": [row.uid], "format": "pdf", "destination": "/home/clinic/exports/kap-0042.pdf"}
    assert by_kind[AuditKind.SESSION_VIEWED].payload["session_id"] == row.id
    assert by_kind[AuditKind.SIGN_IN_FAILED].payload == {"user": "Teo", "reason": "wrong_secret", "failures": 1,
                                                         "via": "gui"}
    assert by_kind[AuditKind.USER_ROLE_CHANGED].payload["role"] == "supervisor"
    assert all(e.wall_time.startswith("2026-03-02T09:00") for e in events)  # from the injected clock
    # No client code in the audit log: sessions are named by id only.
    assert all("KAP-0042" not in str(e.payload) for e in events)


def test_the_audit_log_is_append_only(recorded, data_dir):
    conn = sqlite3.connect(data_dir / "kaproom.sqlite3")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit SET actor='nobody' WHERE seq=4")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit WHERE seq=5")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit_head")
    conn.close()


def test_verify_reports_the_audit_log_and_users_as_intact(recorded, data_dir, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", __import__("_people_helpers").PipedStdin(SUPERVISOR_SECRET + "\n"))
    monkeypatch.setenv("KAPROOM_USER", "Sam")
    assert main(["verify", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "audit log: intact (11 events)" in out  # the ten above and this sign-in
    assert "users: agree with the audit log (3 accounts)" in out and "All 3 logs intact." in out


def tamper(data_dir, *statements: str) -> None:
    conn = sqlite3.connect(data_dir / "kaproom.sqlite3")
    for trigger in ("audit_no_update", "audit_no_delete"):
        conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def verify_output(data_dir, capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    with Workspace(data_dir) as workspace:  # verify without signing in: the check itself
        reports = workspace.verify_extra()
    broken = [r for r in reports if not r.intact]
    return len(broken), "\n".join(r.describe() for r in reports), ""


def test_an_altered_audit_event_is_named(recorded, data_dir, capsys, monkeypatch):
    people, _ = recorded
    export = audit_log(people, (AuditKind.SESSION_EXPORTED,))[0]
    tamper(data_dir, f"UPDATE audit SET payload=replace(payload, 'kap-0042.pdf', 'other.pdf') WHERE id={export.id}")
    broken, text, _ = verify_output(data_dir, capsys)
    assert broken == 1
    assert (f"audit log: BROKEN at event {export.seq} (id {export.id}): its content does not match its hash "
            "(the 'session_exported' event was altered)") in text
    # And the command line says so with exit status 1 (the folder has users, so sign in first).
    monkeypatch.setattr("sys.stdin", __import__("_people_helpers").PipedStdin(ADMIN_PIN + "\n"))
    monkeypatch.setenv("KAPROOM_USER", "Ana")
    assert main(["verify", "--data-dir", str(data_dir)]) == 1
    err = capsys.readouterr().err
    assert "VERIFY FAILED" in err and "session_exported" in err


def test_a_removed_audit_event_breaks_the_chain(recorded, data_dir, capsys):
    tamper(data_dir, "DELETE FROM audit WHERE seq=5")
    broken, text, _ = verify_output(data_dir, capsys)
    assert broken == 1 and "audit log: BROKEN at event 5" in text and "is missing" in text


def test_events_cut_from_the_end_are_noticed(recorded, data_dir, capsys):
    tamper(data_dir, "DELETE FROM audit WHERE seq >= 9")  # the protocol change and Teo's new role
    broken, text, _ = verify_output(data_dir, capsys)
    assert broken == 2 and "the log ends at event 8 but 10 were recorded" in text
    assert "user 'Teo': role differs from the audit log" in text


def test_a_role_or_secret_changed_behind_the_apps_back_is_noticed(recorded, data_dir, capsys):
    stranger_hash = "$scrypt$ln=4,r=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    tamper(data_dir, "UPDATE users SET role='admin' WHERE name='Sam'",
           f"UPDATE users SET secret_hash='{stranger_hash}' WHERE name='Ana'",
           "INSERT INTO users (name, name_key, role, secret_hash, secret_kind, created_at, created_by, updated_at)"
           " VALUES ('Mallory', 'mallory', 'admin', 'x', 'pin', '', '', '')")
    broken, text, _ = verify_output(data_dir, capsys)
    assert broken == 1 and "users: DO NOT AGREE with the audit log" in text
    assert "user 'Sam': role differs" in text and "user 'Ana': secret differs" in text
    assert "user 'Mallory' is not in the audit log" in text
    assert "audit log: intact" in text


def test_a_fresh_folder_has_no_audit_log_to_report(workspace):
    assert workspace.verify_extra() == []


def test_a_database_from_before_accounts_is_upgraded_in_place(tmp_path, protocol):
    path = tmp_path / "kaproom.sqlite3"
    with Store(path) as store:
        uid = store.create_session(protocol, "KAP-0001", "Teo")
    conn = sqlite3.connect(path)  # make it look like schema 1, as written before this feature
    conn.executescript("DROP TABLE users; DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;"
                       "DROP TRIGGER audit_head_no_delete; DROP TABLE audit; DROP TABLE audit_head;"
                       "ALTER TABLE sessions DROP COLUMN dose_time;"
                       "DELETE FROM _sqlite_migrations WHERE name IN ('0002_users_and_audit', '0003_dose_time');"
                       "PRAGMA user_version=1;")
    conn.close()
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION and store.session(uid).client_code == "KAP-0001"
        assert Accounts(store).count() == 0 and Accounts(store).verify() == []


def test_an_export_at_the_command_line_is_audited_with_format_and_destination(data_dir, clock, protocol, tmp_path,
                                                                               monkeypatch, capsys):
    from _people_helpers import PipedStdin
    with Workspace(data_dir, clock) as workspace:
        people = fast_people(workspace)
        add_staff(people)
        runner = workspace.new_session(protocol, "KAP-0042", "Teo")
        row = workspace.store.session(runner.session_uid)
    target = tmp_path / "out" / "kap.csv"
    target.parent.mkdir()
    monkeypatch.setenv("KAPROOM_USER", "Teo")  # a therapist may not export
    monkeypatch.setattr("sys.stdin", PipedStdin("917364\n"))
    assert main(["export", str(row.id), "--format", "csv", "-o", str(target), "--data-dir", str(data_dir)]) == 2
    assert "only a supervisor may export sessions" in capsys.readouterr().err and not target.exists()
    monkeypatch.setenv("KAPROOM_USER", "Sam")
    monkeypatch.setattr("sys.stdin", PipedStdin(SUPERVISOR_SECRET + "\n"))
    assert main(["export", str(row.id), "--format", "csv", "-o", str(target), "--data-dir", str(data_dir)]) == 0
    assert "health information" in capsys.readouterr().out
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    with Workspace(data_dir, clock) as workspace:
        [export] = audit_log(fast_people(workspace), (AuditKind.SESSION_EXPORTED,))
    assert export.author == "Sam" and export.payload["format"] == "csv"
    assert export.payload["sessions"] == [row.uid] and export.payload["destination"] == str(target)
