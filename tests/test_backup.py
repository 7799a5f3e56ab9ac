"""Backups and restore (issue 22): encrypted to the clinic, checked, and a restore that never makes
things worse. Real SQLite, real age encryption (pyrage), the standard `age` command where it is
installed, real Qt offscreen for the home page."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kaproom.domain.events import Kind
from kaproom.domain.session import State
from kaproom.services.age_crypto import write_identity_file
from kaproom.services.backup import (
    BackupError,
    generations_to_keep,
    list_backups,
    make_backup,
    open_backup,
    restore,
    thin,
    verify_backup,
)
from kaproom.services.backup_manifest import Manifest, manifest_path_for
from kaproom.services.backup_status import backup_status, record_status
from kaproom.services.settings import ClinicSettings, load_settings, save_settings
from kaproom.services.workspace import Workspace
from kaproom.store import DatabaseUnavailable, Store
from kaproom.store.accounts import Accounts
from tests._people_helpers import THERAPIST_PIN, add_staff, fast_people

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, str]:
    """The clinic's key pair: the secret key file (kept off the room computer) and its public key."""
    identity = tmp_path / "clinic-key.txt"
    return identity, write_identity_file(identity)


@pytest.fixture
def destination(tmp_path: Path) -> Path:
    folder = tmp_path / "usb" / "kaproom-backups"
    folder.mkdir(parents=True)
    return folder


def run_session(workspace: Workspace, protocol, client: str, notes: int = 3, end: bool = True):
    runner = workspace.new_session(protocol, client, "Teo")
    for number in range(notes):
        runner.record(Kind.NOTE, {"text": f"note {number} for {client}"})
    if end:
        runner.end(State.ENDED_EARLY, "test")
    return runner


def record_summary(folder: Path) -> tuple[list, list, list]:
    """What a person would compare after a restore: sessions, staff accounts, the audit log."""
    conn = sqlite3.connect(folder / "kaproom.sqlite3")
    try:
        sessions = conn.execute("SELECT uid, client_code, state, last_seq, last_hash FROM sessions ORDER BY id").fetchall()
        users = conn.execute("SELECT name, role, active FROM users ORDER BY name").fetchall()
        audit = conn.execute("SELECT seq, kind, hash FROM audit ORDER BY seq").fetchall()
    finally:
        conn.close()
    return sessions, users, audit


def kaproom(*args: str, data_dir: Path | None = None, user: str = "", **options) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen", "KAPROOM_USER": user}
    if data_dir is not None:
        env["KAPROOM_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "kaproom", *args], capture_output=True, text=True, env=env,
                          timeout=120, **options)


# ----------------------------------------------------------------------------- round trip
def test_round_trip_backup_wipe_restore_gives_the_same_sessions_users_and_audit(workspace, protocol, keys,
                                                                                   destination, data_dir):
    identity, public = keys
    people = fast_people(workspace)
    add_staff(people)
    for client in ("C-1", "C-2", "C-3"):
        run_session(workspace, protocol, client)
    (data_dir / "protocols").mkdir()
    (data_dir / "protocols" / "clinic.toml").write_text("# the clinic's own protocol\n")
    (data_dir / "playlists").mkdir()
    (data_dir / "playlists" / "calm.m3u").write_text("#EXTM3U\nmusic/one.flac\n")
    (data_dir / "playlists" / "one.flac").write_bytes(b"\0" * 1000)  # the music itself is not backed up
    save_settings(data_dir, ClinicSettings(client_identifier="initials"))
    before = record_summary(data_dir)
    result = make_backup(data_dir, destination, [public])
    workspace.close()

    shutil.rmtree(data_dir)  # the disk died
    restored = restore(result.path, identity, data_dir)

    assert restored.kept_aside is None and restored.sessions == 3
    assert record_summary(data_dir) == before
    assert (data_dir / "protocols" / "clinic.toml").read_text() == "# the clinic's own protocol\n"
    assert (data_dir / "playlists" / "calm.m3u").exists() and not (data_dir / "playlists" / "one.flac").exists()
    assert load_settings(data_dir)[0].client_identifier == "initials"
    verify = kaproom("verify", data_dir=data_dir, user="Teo", input=THERAPIST_PIN + "\n")
    assert verify.returncode == 0, verify.stderr
    assert "All 5 logs intact" in verify.stdout  # three sessions, the audit log and the users
    with Workspace(data_dir) as again:  # and the app opens it
        assert len(again.store.sessions()) == 3 and Accounts(again.store).count() == 3


def test_the_manifest_holds_heads_and_checksums_but_no_names_or_notes(workspace, protocol, keys, destination,
                                                                       data_dir):
    add_staff(fast_people(workspace))
    run_session(workspace, protocol, "CLIENT-SECRET-7")
    result = make_backup(data_dir, destination, [keys[1]])
    text = result.manifest_path.read_text()
    assert "CLIENT-SECRET-7" not in text and "Teo" not in text and "note 0" not in text
    manifest = Manifest.read(result.manifest_path)
    uid = workspace.store.sessions()[0].uid
    row = workspace.store.session(uid)
    assert manifest.heads[uid] == (row.last_seq, row.last_hash)
    assert manifest.heads["audit"][0] == Accounts(workspace.store).audit_count()
    assert manifest.schema_version == workspace.store.schema_version and manifest.size == result.path.stat().st_size
    assert b"CLIENT-SECRET-7" not in result.path.read_bytes()  # encrypted
    assert oct(result.path.stat().st_mode & 0o777) == "0o600"


def test_a_backup_taken_while_a_session_is_writing_is_consistent(workspace, protocol, keys, destination, data_dir):
    identity, public = keys
    runner = run_session(workspace, protocol, "C-LIVE", notes=1, end=False)
    assert runner.state.state == State.RUNNING
    uid = workspace.store.sessions()[0].uid
    stop = threading.Event()
    written: list[int] = []

    def room() -> None:  # the running app: its own connection, committing a note every moment
        from kaproom.domain.events import Event
        store = Store(data_dir / "kaproom.sqlite3")
        try:
            while not stop.is_set():
                saved = store.append(uid, Event(Kind.NOTE, {"text": "x" * 300}, 1.0, "2026-03-02T09:00:00.000Z",
                                                "Teo", ""))
                written.append(saved.seq)
        finally:
            store.close()

    writer = threading.Thread(target=room)
    writer.start()
    try:
        results = []
        while len(results) < 3 or len(written) < 50:
            results.append(make_backup(data_dir, destination, [public]))
    finally:
        stop.set()
        writer.join()
    assert written and len(set(written)) == len(written)  # the session kept writing throughout
    live = {event.seq: event.hash for event in workspace.store.events(uid)}
    for result in results:
        opened = open_backup(result.path, identity)
        try:
            assert all(report.intact for report in opened.reports)
            seq, digest = opened.heads[uid]
            assert live[seq] == digest  # a true moment of the live chain, never a mix
        finally:
            opened.close()


# ------------------------------------------------------------------------------ refusals
@pytest.fixture
def one_backup(workspace, protocol, keys, destination, data_dir):
    run_session(workspace, protocol, "C-1")
    return make_backup(data_dir, destination, [keys[1]])


def test_a_wrong_key_is_refused_clearly(one_backup, tmp_path):
    other = tmp_path / "other-key.txt"
    write_identity_file(other)
    with pytest.raises(BackupError, match="was not encrypted to this key"):
        verify_backup(one_backup.path, other)
    public_only = tmp_path / "public.txt"
    public_only.write_text(one_backup.manifest.recipients[0] + "\n")
    with pytest.raises(BackupError, match="public key, which cannot decrypt"):
        verify_backup(one_backup.path, public_only)


def test_a_damaged_file_is_refused(one_backup, keys):
    data = bytearray(one_backup.path.read_bytes())
    data[len(data) // 2] ^= 0x01
    one_backup.path.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="does not match its manifest: its checksum"):
        verify_backup(one_backup.path, keys[0])
    one_backup.manifest_path.unlink()  # without the manifest, the encryption's own check still refuses it
    with pytest.raises(BackupError, match="damaged or incomplete"):
        verify_backup(one_backup.path, keys[0])


def test_a_truncated_file_is_refused(one_backup, keys):
    data = one_backup.path.read_bytes()
    one_backup.path.write_bytes(data[: len(data) - 700])
    with pytest.raises(BackupError, match="cut short or changed"):
        verify_backup(one_backup.path, keys[0])
    one_backup.manifest_path.unlink()
    with pytest.raises(BackupError, match="damaged or incomplete"):
        verify_backup(one_backup.path, keys[0])


def test_a_manifest_that_does_not_match_is_refused(one_backup, keys, workspace, protocol, destination, data_dir):
    text = json.loads(one_backup.manifest_path.read_text())
    uid = next(iter(text["sessions"]))
    text["sessions"][uid][0] += 1  # claims a longer chain than the file holds
    one_backup.manifest_path.write_text(json.dumps(text))
    with pytest.raises(BackupError, match="do not match its manifest"):
        verify_backup(one_backup.path, keys[0])
    later = make_backup(data_dir, destination, [keys[1]])  # another backup's manifest put beside this file
    shutil.copy(later.manifest_path, one_backup.manifest_path)
    with pytest.raises(BackupError, match="not .*kaproom.age: it does not match this backup"):
        verify_backup(one_backup.path, keys[0])


def test_restore_over_a_record_holding_more_is_refused_and_nothing_is_lost(workspace, protocol, keys, destination,
                                                                            data_dir):
    identity, public = keys
    first = run_session(workspace, protocol, "C-1", end=False)
    result = make_backup(data_dir, destination, [public])
    first.record(Kind.NOTE, {"text": "written after the backup"})
    run_session(workspace, protocol, "C-NEW")
    workspace.close()
    before = {path.name: path.read_bytes() for path in data_dir.iterdir() if path.is_file()}

    with pytest.raises(BackupError) as refused:
        restore(result.path, identity, data_dir)
    message = str(refused.value)
    assert "Refused" in message and "Nothing was changed" in message and "--beside" in message
    assert "client C-NEW" in message and "is not there at all" in message  # the newer session, by name
    assert "client C-1" in message and "1 more event" in message  # the longer chain
    assert {path.name: path.read_bytes() for path in data_dir.iterdir() if path.is_file()} == before

    beside = restore(result.path, identity, data_dir, beside=True)  # what the user may choose instead
    assert beside.folder != data_dir and beside.folder.parent == data_dir.parent
    assert record_summary(beside.folder)[0][0][0] == record_summary(data_dir)[0][0][0]
    assert {path.name: path.read_bytes() for path in data_dir.iterdir() if path.is_file()} == before


def test_restore_over_an_older_record_keeps_the_current_one_aside(workspace, protocol, keys, destination, data_dir):
    identity, public = keys
    run_session(workspace, protocol, "C-1")
    old_bytes = (data_dir / "kaproom.sqlite3").read_bytes()
    workspace.close()
    with Workspace(data_dir) as again:
        run_session(again, protocol, "C-2")
        result = make_backup(data_dir, destination, [public])
    restored = restore(result.path, identity, data_dir)  # the backup holds all the record holds, and more
    assert restored.kept_aside is not None and (restored.kept_aside / "kaproom.sqlite3").exists()
    assert len(record_summary(data_dir)[0]) == 2
    assert old_bytes != (data_dir / "kaproom.sqlite3").read_bytes()


def test_restore_refuses_while_kaproom_runs_on_the_folder(one_backup, keys, data_dir):
    app = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        import socket
        (data_dir / "kaproom.lock").write_text(f"{app.pid}\nKAP Room\n{socket.gethostname()}\n")
        with pytest.raises(BackupError, match=f"KAP Room is running on .*process {app.pid}"):
            restore(one_backup.path, keys[0], data_dir)
    finally:
        app.kill()
        app.wait()


# -------------------------------------------------------------------------- the age CLI
@pytest.mark.skipif(shutil.which("age") is None, reason="needs Debian's age package (./run installs it)")
def test_the_standard_age_command_decrypts_our_backup(one_backup, keys, tmp_path, data_dir):
    identity, _ = keys
    out = tmp_path / "backup.tar"
    done = subprocess.run(["age", "--decrypt", "-i", str(identity), "-o", str(out), str(one_backup.path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    import tarfile
    with tarfile.open(out) as archive:
        assert archive.getnames() == ["kaproom.sqlite3"]
        archive.extract("kaproom.sqlite3", tmp_path / "x", filter="data")
    copy = tmp_path / "x" / "kaproom.sqlite3"
    assert sqlite3.connect(copy).execute("SELECT client_code FROM sessions").fetchall() == [("C-1",)]
    assert subprocess.run(["age-keygen", "-y", str(identity)], capture_output=True, text=True
                          ).stdout.strip() == keys[1]  # our key file is age's own format


# ------------------------------------------------------- the backup disk missing or full
def test_a_missing_or_full_destination_is_recorded_never_raised_and_the_home_page_says_so(
        workspace, protocol, keys, destination, data_dir, qtbot, monkeypatch):
    from kaproom.ui.shell.auto_backup import AutoBackup
    from kaproom.ui.shell.home import HomeWindow
    save_settings(data_dir, ClinicSettings(backup_to=str(destination.parent / "unplugged"),
                                           backup_recipients=keys[1]))
    runner = run_session(workspace, protocol, "C-1", end=False)
    auto = AutoBackup(data_dir)
    with qtbot.waitSignal(auto.finished, timeout=60000):
        runner.end(State.ENDED_EARLY, "the session ends; the automatic backup follows")
        auto.run()  # as the app does when the room's session ends: its own process
        runner.record(Kind.NOTE, {"text": "written while the backup runs"})  # the record goes on regardless
    assert all(report.intact for report in workspace.store.verify())
    home = HomeWindow(workspace)
    qtbot.addWidget(home)
    home.show()
    qtbot.waitUntil(lambda: home.backup_line.level == "failing")
    assert "not there: is the USB disk connected" in home.backup_line.text()
    assert "No good backup has been made yet" in home.backup_line.text()

    # a full disk: the write fails part-way; nothing half-written is left as a backup
    import errno

    import kaproom.services.backup as backup_module
    real_init = backup_module._HashingWriter.__init__

    class FullDisk:  # the backup disk fills up after the first kilobyte
        def __init__(self, handle):
            self.handle, self.written = handle, 0

        def write(self, data):
            if self.written > 1000:
                raise OSError(errno.ENOSPC, "No space left on device")
            self.written += len(data)
            return self.handle.write(data)

    monkeypatch.setattr(backup_module._HashingWriter, "__init__",
                        lambda self, handle: real_init(self, FullDisk(handle)))
    settings = ClinicSettings(backup_to=str(destination), backup_recipients=keys[1])
    save_settings(data_dir, settings)
    assert backup_module.auto_backup(data_dir) is None
    assert list(destination.iterdir()) == []
    status = backup_status(data_dir, settings)
    assert status.level == "failing" and "is full" in status.text
    home.backup_line.refresh()
    assert "is full" in home.backup_line.text()


def test_the_home_page_line_is_calm_when_recent_and_warns_when_old(workspace, data_dir, qtbot, destination):
    settings = ClinicSettings(backup_to=str(destination))
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert backup_status(data_dir, ClinicSettings()).level == "off"
    record_status(data_dir, ok=True, message="checked", destination=str(destination),
                  good_file=str(destination / "kaproom-x.kaproom.age"), good_at="2026-03-02T09:00:00.000Z", now=now)
    good = backup_status(data_dir, settings, now)
    assert good.level == "good" and str(destination) in good.text and "Last good backup" in good.text
    old = backup_status(data_dir, settings, now + timedelta(hours=30))
    assert old.level == "old" and "more than 24 hours ago" in old.text


# ------------------------------------------------------------- the file behind our back
def test_a_database_copied_over_the_open_one_is_noticed_before_the_next_write(workspace, protocol, data_dir):
    """Clinic IT's `cp old.sqlite3 kaproom.sqlite3` while the app runs keeps the inode."""
    runner = run_session(workspace, protocol, "C-1", end=False)
    store_path = data_dir / "kaproom.sqlite3"
    old_copy = data_dir.parent / "old.sqlite3"
    source = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    source.backup(dest := sqlite3.connect(old_copy))
    dest.close()
    source.close()
    for number in range(40):
        runner.record(Kind.NOTE, {"text": f"after the copy {number} " + "y" * 200})
    inode = store_path.stat().st_ino
    subprocess.run(["cp", str(old_copy), str(store_path)], check=True)
    assert store_path.stat().st_ino == inode
    with pytest.raises(DatabaseUnavailable, match="written by another program .*copied over with cp"):
        runner.record(Kind.NOTE, {"text": "the next entry"})
    with pytest.raises(DatabaseUnavailable, match="kaproom restore BACKUP --identity KEYFILE"):
        runner.record(Kind.NOTE, {"text": "and the one after"})
    workspace.close()
    assert not (data_dir / "kaproom.sqlite3.checked").exists()  # no "checked" seal for a file it did not check


def test_another_kaproom_process_writing_is_not_taken_for_a_foreign_write(workspace, protocol, data_dir):
    runner = run_session(workspace, protocol, "C-1", end=False)
    for _ in range(3):
        other = kaproom("users", "add", "Ana", "--role", "admin", data_dir=data_dir, input="583920\n583920\n")
        assert other.returncode in (0, 2), other.stderr
        runner.record(Kind.NOTE, {"text": "the room goes on"})
    workspace.close()
    assert (data_dir / "kaproom.sqlite3.checked").exists()


# ------------------------------------------------------------------- the command line
def test_the_command_line_keygen_backup_list_verify_restore_and_witness(workspace, protocol, data_dir, tmp_path,
                                                                        destination):
    run_session(workspace, protocol, "C-1")
    workspace.close()
    key = tmp_path / "clinic.key"
    made = kaproom("backup", "keygen", "-o", str(key), data_dir=data_dir)
    assert made.returncode == 0, made.stderr
    public = made.stdout.strip()
    lines = key.read_text().splitlines()
    assert lines[1] == f"# public key: {public}" and lines[2].startswith("AGE-SECRET-KEY-1")
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert kaproom("backup", "keygen", "-o", str(key)).returncode == 2  # never overwritten

    done = kaproom("backup", "--to", str(destination), "--recipient", public, data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    assert "written and checked" in done.stdout
    listed = kaproom("backup", "list", "--json", "--to", str(destination), data_dir=data_dir)
    entries = json.loads(listed.stdout)
    assert len(entries) == 1 and entries[0]["ok"] and entries[0]["sessions"] == 1
    backup = entries[0]["file"]
    checked = kaproom("backup", "verify", backup, "--identity", str(key), data_dir=data_dir)
    assert checked.returncode == 0 and "intact" in checked.stdout, checked.stderr
    witness = kaproom("verify", "--witness", str(destination), data_dir=data_dir)
    assert witness.returncode == 0 and "as the backup saw them" in witness.stdout, witness.stdout + witness.stderr

    beside = kaproom("restore", backup, "--identity", str(key), "--data-dir", str(tmp_path / "fresh"))
    assert beside.returncode == 0 and "Restored into" in beside.stdout, beside.stderr

    # a rollback (an older copy of the file put back) is caught by the witness
    conn = sqlite3.connect(data_dir / "kaproom.sqlite3")
    conn.execute("DROP TRIGGER events_no_delete")
    conn.execute("DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)")
    conn.execute("UPDATE sessions SET last_seq = last_seq - 1, "
                 "last_hash = (SELECT hash FROM events e WHERE e.session_uid = sessions.uid ORDER BY seq DESC LIMIT 1)")
    conn.commit()
    conn.close()
    rolled = kaproom("verify", "--witness", str(destination), data_dir=data_dir)
    assert rolled.returncode == 1 and "rolled back" in rolled.stdout + rolled.stderr
    missing = kaproom("verify", "--witness", str(tmp_path / "no-such"), data_dir=data_dir)
    assert missing.returncode == 1


def test_settings_hold_the_destination_keys_and_retention(data_dir, keys, workspace):
    done = kaproom("settings", "backup_recipients", keys[1], data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    refused = kaproom("settings", "backup_recipients", "AGE-SECRET-KEY-1XYZ", data_dir=data_dir)
    assert refused.returncode == 2 and "age public keys" in refused.stderr
    settings, warnings = load_settings(data_dir)
    assert settings.backup_recipients == keys[1] and not warnings
    assert (settings.backup_keep_daily, settings.backup_keep_weekly, settings.backup_keep_monthly,
            settings.backup_warn_hours) == (14, 8, 24, 24)


# ------------------------------------------------------------------------- generations
def test_generations_are_thinned_to_daily_weekly_and_monthly():
    start = datetime(2024, 1, 1, 12, tzinfo=UTC)
    times = [start + timedelta(hours=12 * n) for n in range(2 * 800)]  # two a day for 800 days
    kept = generations_to_keep(times, 14, 8, 24)
    newest = max(times)
    assert newest in kept
    days = {t.astimezone().date() for t in kept}
    assert len(kept) <= 14 + 8 + 24 and len(days) == len(kept)  # one per day at most
    assert min(kept) >= newest - timedelta(days=24 * 31 + 1)


def test_thinning_removes_old_generations_of_this_record_only(workspace, protocol, keys, destination, data_dir):
    run_session(workspace, protocol, "C-1")
    start = datetime(2026, 1, 1, 10, tzinfo=UTC)
    for day in range(5):
        make_backup(data_dir, destination, [keys[1]], now=start + timedelta(days=day))
    foreign = destination / "kaproom-other.manifest.json"  # another room's backups share the folder
    text = json.loads(manifest_path_for(next(destination.glob("*.kaproom.age"))).read_text())
    text["record"] = "another-room"
    foreign.write_text(json.dumps(text))
    removed = thin(destination, make_backup(data_dir, destination, [keys[1]], now=start + timedelta(days=6))
                   .manifest.record, ClinicSettings(backup_keep_daily=2, backup_keep_weekly=0, backup_keep_monthly=0))
    assert len(removed) == 2 * 4
    assert foreign.exists()
    assert len([e for e in list_backups(destination) if e.manifest and e.manifest.record != "another-room"]) == 2


def test_the_app_starts_without_loading_the_backup_code():
    """The home page's line reads a small status file; encryption and archives load only to back up."""
    code = ("import sys, kaproom.cli.main as c; c.build_parser([]); import kaproom.cli.app.gui, kaproom.ui.shell.launcher; "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith(('pyrage', 'tarfile', "
            "'kaproom.services.backup', 'kaproom.services.age_crypto', 'kaproom.services.settings')))))")
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
