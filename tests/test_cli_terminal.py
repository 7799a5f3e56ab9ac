"""The command line as a person at a terminal meets it: where an export lands, what the audit
log keeps, what a mistyped --data-dir says, a readable sessions table, and the no-users notice
said once rather than on every command."""
from __future__ import annotations

import os

from _people_helpers import audit_log

from kaproom.cli.main import main
from kaproom.domain.people import AuditKind
from kaproom.services.people import People
from kaproom.services.workspace import Workspace


def _session(data_dir, clock, protocol, therapist: str = "Demo therapist") -> int:
    with Workspace(data_dir, clock) as workspace:
        runner = workspace.new_session(protocol, "KAP-0042", therapist)
        return workspace.store.session(runner.session_uid).id


def test_export_without_o_writes_into_the_private_exports_folder_not_the_current_folder(
        data_dir, clock, protocol, tmp_path, monkeypatch, capsys):
    number = _session(data_dir, clock, protocol)
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    assert main(["export", str(number), "--format", "csv", "--data-dir", str(data_dir)]) == 0
    assert list(here.iterdir()) == []  # health information is not left in the current folder
    [written] = (data_dir / "exports").iterdir()
    assert oct((data_dir / "exports").stat().st_mode & 0o777) == "0o700"
    assert str(written) in capsys.readouterr().out
    # never over an existing file without --force
    assert main(["export", str(number), "--format", "csv", "--data-dir", str(data_dir)]) == 2
    assert "--force" in capsys.readouterr().err


def test_the_audit_log_records_the_absolute_path_of_an_export(data_dir, clock, protocol, tmp_path, monkeypatch,
                                                              capsys):
    number = _session(data_dir, clock, protocol)
    monkeypatch.chdir(tmp_path)
    assert main(["export", str(number), "--format", "csv", "-o", "report.csv", "--data-dir", str(data_dir)]) == 0
    with Workspace(data_dir, clock) as workspace:
        [export] = audit_log(People.of(workspace), (AuditKind.SESSION_EXPORTED,))
    assert export.payload["destination"] == str(tmp_path / "report.csv")


def test_a_data_dir_that_is_a_file_is_called_the_data_folder_and_nothing_is_said_kept(tmp_path, capsys):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x", encoding="utf-8")
    for folder in (a_file, a_file / "inside"):
        assert main(["sessions", "--data-dir", str(folder)]) == 2
        err = capsys.readouterr().err
        assert "data folder" in err and "is a file, not a folder" in err and "--data-dir" in err
        assert "What you typed is kept" not in err and "the database" not in err
    assert a_file.read_text(encoding="utf-8") == "x"


def test_sessions_keeps_a_long_therapist_name_apart_from_the_protocol(data_dir, clock, protocol, capsys):
    _session(data_dir, clock, protocol, therapist="Dr. Maria-Helena Konstantinidou")
    assert main(["sessions", "--data-dir", str(data_dir)]) == 0
    header, line = capsys.readouterr().out.splitlines()
    assert "Dr. Maria-Helena Konstantinidou  " in line  # whole, then two spaces before the protocol
    assert line.index(protocol.id) == header.index("protocol")
    assert line.index("running") == header.index("state")


def test_the_no_users_notice_is_said_once_per_data_folder(data_dir, capsys):
    assert main(["sessions", "--data-dir", str(data_dir)]) == 0
    assert "no users yet" in capsys.readouterr().err
    for command in (["sessions"], ["verify"], ["sessions", "--json"]):
        assert main([*command, "--data-dir", str(data_dir)]) == 0
        assert "no users yet" not in capsys.readouterr().err
    assert os.stat(data_dir).st_mode & 0o077 == 0
