"""Issue 23, point 12: what the command line prints and where `simulate` may write."""
from __future__ import annotations

from kaproom.cli.main import main
from kaproom.services.workspace import Workspace
from tests._people_helpers import add_staff, fast_people


def test_sessions_escapes_terminal_control_sequences_in_client_therapist_and_room(tmp_path, capsys, clock, protocol):
    folder = tmp_path / "d"
    with Workspace(folder, clock) as workspace:
        workspace.new_session(protocol, "C\x1b[2J1", "Dr\x1b]0;owned\x07X", room="R\x1b[31m")
    assert main(["sessions", "--data-dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b" in out  # shown, escaped, so the clinic can see something odd was stored


def test_simulate_refuses_a_data_folder_that_has_staff(tmp_path, capsys, clock):
    folder = tmp_path / "clinic"
    with Workspace(folder, clock) as workspace:
        add_staff(fast_people(workspace))
    assert main(["simulate", "--data-dir", str(folder), "--speed", "1000000", "--protocol", "short-check"]) == 2
    err = capsys.readouterr().err
    assert "staff" in err and "simulate" in err
    with Workspace(folder, clock) as workspace:
        assert workspace.store.sessions() == []
