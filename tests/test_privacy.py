"""The data folder is private, exports are owner-only, settings are safe to edit by hand, and
nothing identifying reaches stdout/stderr beyond ids."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from _people_helpers import add_staff, fast_people
from hypothesis import given
from hypothesis import strategies as st

from kaproom.domain.people import InputRefused
from kaproom.services.paths import private_file
from kaproom.services.settings import ClinicSettings, check_value, load_settings, parse_value, save_settings
from kaproom.services.simulate import NOTE_TEXTS
from kaproom.services.workspace import Workspace


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """The most careless umask a computer can have: anything not made private would be world-writable."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def test_folder_database_and_its_journal_files_are_private_even_with_an_open_umask(tmp_path, clock, protocol,
                                                                                  open_umask):
    folder = tmp_path / "new" / "data"
    with Workspace(folder, clock) as workspace:
        workspace.new_session(protocol, "KAP-0001", "Teo").note("settled")
        add_staff(fast_people(workspace))
        save_settings(folder, ClinicSettings(review_idle_minutes=5))
        assert mode(folder) == 0o700
        for name in ("kaproom.sqlite3", "kaproom.sqlite3-wal", "kaproom.sqlite3-shm", "settings.toml"):
            assert mode(folder / name) == 0o600, name
        assert workspace.warnings == []


def test_a_world_readable_data_folder_is_warned_about(tmp_path, clock, capsys):
    folder = tmp_path / "data"
    folder.mkdir()
    os.chmod(folder, 0o755)
    with Workspace(folder, clock) as workspace:
        [warning] = workspace.warnings
    assert "can be read by other users" in warning and f"chmod 700 '{folder}'" in warning
    result = subprocess.run([sys.executable, "-m", "kaproom", "sessions", "--data-dir", str(folder)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "warning: The data folder" in result.stderr


def test_an_exported_file_is_made_owner_only(tmp_path, open_umask):
    export = tmp_path / "session-12.pdf"
    export.write_bytes(b"%PDF-1.7 health information")
    assert mode(export) == 0o666  # what the open umask gave it
    private_file(export)
    assert mode(export) == 0o600


def test_settings_default_when_missing_and_defaults_again_for_a_bad_value(tmp_path):
    assert load_settings(tmp_path) == (ClinicSettings(), [])
    (tmp_path / "settings.toml").write_text('client_identifier = "name"\nreview_idle_minutes = 0\n'
                                            "pin_to_unlock_entry = true\n")
    settings, warnings = load_settings(tmp_path)
    assert settings == ClinicSettings(pin_to_unlock_entry=True)
    assert len(warnings) == 2 and "client_identifier: one of code, initials" in warnings[0]
    (tmp_path / "settings.toml").write_bytes(b"\xff\xfe not toml [")
    settings, [warning] = load_settings(tmp_path)
    assert settings == ClinicSettings() and "could not be read" in warning


def test_saving_settings_keeps_other_lines_and_tables(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('# our clinic\nreview_idle_minutes = 3\nroom_name = "Room 2"\n\n[music]\nceiling = 70\n')
    save_settings(tmp_path, ClinicSettings(client_identifier="initials", review_idle_minutes=15))
    text = path.read_text()
    assert "# our clinic" in text and 'room_name = "Room 2"' in text and "[music]\nceiling = 70" in text
    ours = [line for line in text.splitlines() if line.startswith("review_idle_minutes")]
    assert ours == ["review_idle_minutes = 15"]  # replaced in place, not added again
    assert load_settings(tmp_path) == (ClinicSettings("initials", False, 15), [])
    import tomllib
    assert tomllib.loads(text)["music"] == {"ceiling": 70}


def test_simulate_and_verify_print_ids_not_client_codes_or_notes(tmp_path):
    folder = str(tmp_path / "d")
    runs = [
        [sys.executable, "-m", "kaproom", "simulate", "--data-dir", folder, "--speed", "1000000", "--protocol",
         "short-check", "--notes", "10", "--vitals", "3", "--print-commits"],
        [sys.executable, "-m", "kaproom", "verify", "--data-dir", folder],
    ]
    output = ""
    for argv in runs:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        output += result.stdout + result.stderr
    assert "committed session=" in output and "intact" in output
    identifying = ["SIM-0001", "Sim room", "To meet whatever comes", *NOTE_TEXTS]
    assert [text for text in identifying if text in output] == []


def test_the_audit_log_names_sessions_by_id_only(workspace, protocol):
    people = fast_people(workspace)
    staff = add_staff(people)
    runner = workspace.new_session(protocol, "KAP-0042", "Teo", intention="to rest")
    row = workspace.store.session(runner.session_uid)
    people.record_view(staff["supervisor"], row.uid, row.id)
    people.record_export(staff["supervisor"], [row.uid], "csv", "/tmp/out.csv")
    audit_text = str([e.payload for e in people.accounts.audit_events()])
    assert row.uid in audit_text and "KAP-0042" not in audit_text and "to rest" not in audit_text


@given(st.sampled_from(["client_identifier", "pin_to_unlock_entry", "review_idle_minutes", "volume"]),
       st.text(max_size=40))
def test_any_typed_setting_is_accepted_checked_or_refused_with_its_name(key, text):
    try:
        value = parse_value(key, text)
    except InputRefused as exc:
        assert str(exc).startswith(key) or "Unknown setting" in str(exc)
    else:
        assert check_value(key, value) == value


def test_settings_saved_from_any_valid_values_read_back_the_same(tmp_path_factory):
    @given(st.sampled_from(["code", "initials"]), st.booleans(), st.integers(1, 240))
    def round_trip(identifier, pin, minutes):
        folder = tmp_path_factory.mktemp("settings")
        wanted = ClinicSettings(identifier, pin, minutes)
        save_settings(folder, wanted)
        assert load_settings(folder) == (wanted, [])
    round_trip()
