"""``kaproom verify`` with no options compares the record with every witness it can reach: the
newest manifest in the clinic's backup destination and the clinic server this computer joined
(issue 23, point 2). A witness that cannot be reached is said, never taken for a broken record."""
from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import _clinic_helpers
import test_backup
from test_backup import run_session
from test_clinic_sync import join_by_cli, simulate

from kaproom.cli.main import main
from kaproom.services.backup import make_backup
from kaproom.services.clinic_sync import CONFIG_FILE
from kaproom.services.settings import ClinicSettings, save_settings

pg, clinic = _clinic_helpers.pg, _clinic_helpers.clinic  # the fixtures
keys, destination = test_backup.keys, test_backup.destination


def cut_last_event(folder: Path) -> None:
    """Delete each session's last event and move its stored head back, as someone with the file could."""
    conn = sqlite3.connect(folder / "kaproom.sqlite3")
    conn.execute("DROP TRIGGER events_no_delete")
    conn.execute("DELETE FROM events WHERE seq = (SELECT max(seq) FROM events e WHERE e.session_uid = events.session_uid)")
    conn.execute("UPDATE sessions SET last_seq = last_seq - 1, "
                 "last_hash = (SELECT hash FROM events e WHERE e.session_uid = sessions.uid ORDER BY seq DESC LIMIT 1)")
    conn.commit()
    conn.close()


def test_a_truncated_chain_is_caught_by_the_backup_manifest_without_being_told(workspace, protocol, keys, destination,
                                                                                data_dir, capsys):
    runner = run_session(workspace, protocol, "C-1")
    save_settings(data_dir, ClinicSettings(backup_to=str(destination)))
    make_backup(data_dir, destination, [keys[1]])
    workspace.close()
    assert main(["verify", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "Compared with: backup manifest of " in out and f"in {destination}" in out, out
    assert "as the backup saw them" in out

    cut_last_event(data_dir)
    assert main(["verify", "--data-dir", str(data_dir)]) == 1  # no --witness: the settings name the folder
    captured = capsys.readouterr()
    assert f"session {runner.session_uid[:8]} was rolled back" in captured.out, captured.out
    assert "VERIFY FAILED" in captured.err


def test_a_computer_with_neither_witness_says_so(workspace, protocol, data_dir, capsys):
    run_session(workspace, protocol, "C-1")
    workspace.close()
    assert main(["verify", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "Compared with: no witness outside this file" in out and "The one log is intact." in out


def test_a_backup_disk_that_is_not_there_is_not_a_fault_of_the_record(workspace, protocol, data_dir, tmp_path, capsys):
    run_session(workspace, protocol, "C-1")
    save_settings(data_dir, ClinicSettings(backup_to=str(tmp_path / "unplugged")))
    workspace.close()
    assert main(["verify", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "Not reachable (not a fault of the record): backup manifests in" in out
    assert "Compared with: no witness outside this file" in out


def test_a_clinic_server_that_is_down_is_said_within_seconds(workspace, protocol, data_dir, capsys):
    run_session(workspace, protocol, "C-1")
    workspace.close()
    (data_dir / CONFIG_FILE).write_text(json.dumps({  # joined once; nothing listens there now
        "url": "postgresql://room@127.0.0.1:9/kaproom", "computer": "Room 1", "kind": "room", "password": "x"}))
    started = time.monotonic()
    assert main(["verify", "--data-dir", str(data_dir)]) == 0
    assert time.monotonic() - started < 8
    out = capsys.readouterr().out
    assert "Not reachable (not a fault of the record): clinic server 127.0.0.1" in out
    assert "Compared with: no witness outside this file" in out


def test_a_truncated_chain_is_caught_by_the_clinic_server_without_being_told(clinic, tmp_path, clock, monkeypatch,
                                                                              capsys):
    folder = tmp_path / "room_a"
    result = simulate(folder, clock)
    join_by_cli(clinic, folder, "room_a", "Room A", monkeypatch, capsys)
    assert main(["clinic", "sync", "--data-dir", str(folder)]) == 0
    capsys.readouterr()
    assert main(["verify", "--data-dir", str(folder)]) == 0
    assert "Compared with: clinic server " in capsys.readouterr().out

    cut_last_event(folder)
    assert main(["verify", "--data-dir", str(folder)]) == 1
    captured = capsys.readouterr()
    assert f"({result.session_uid[:8]}) against the clinic server: BROKEN" in captured.out, captured.out
    assert "events were removed here" in captured.out
