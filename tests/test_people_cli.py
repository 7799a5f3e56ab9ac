"""`kaproom users`, `kaproom audit`, `kaproom settings`, and sign-in at the command line."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from _people_helpers import (
    ADMIN_PIN,
    SUPERVISOR_SECRET,
    THERAPIST_PIN,
    PipedStdin,
    add_staff,
    fast_people,
    rows,
    run,
)

from kaproom.cli.main import main
from kaproom.services.workspace import Workspace


@pytest.fixture
def staffed(data_dir, clock):
    """A data folder with Ana (admin), Sam (supervisor) and Teo (therapist), hashed cheaply for speed."""
    with Workspace(data_dir, clock) as workspace:
        add_staff(fast_people(workspace))
    return str(data_dir)


def test_an_admin_adds_users_from_a_script(data_dir, monkeypatch, capsys):
    folder = str(data_dir)
    assert run(monkeypatch, capsys, "users", "add", "Ana", "--role", "admin", "--data-dir", folder,
               stdin=ADMIN_PIN + "\n")[0] == 0
    code, out, err = run(monkeypatch, capsys, "users", "add", "Teo", "--role", "therapist", "--data-dir", folder,
                         stdin=f"{ADMIN_PIN}\n{THERAPIST_PIN}\n", user="Ana")
    assert code == 0 and "Added Teo as therapist." in out
    assert rows(data_dir, "SELECT name, role, created_by FROM users") == [("Ana", "admin", "Ana"),
                                                                          ("Teo", "therapist", "Ana")]


def test_with_no_users_commands_run_without_sign_in_and_say_so(data_dir, monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, "sessions", "--data-dir", str(data_dir))
    assert code == 0 and "No sessions yet" in out
    assert "no users yet" in err and "kaproom users add NAME --role admin" in err
    code, out, err = run(monkeypatch, capsys, "verify", "--data-dir", str(data_dir))
    assert code == 0 and "Nothing to verify yet: there are no session logs." in out


def test_first_admin_from_piped_input(data_dir, monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, "users", "add", "Teo", "--role", "therapist", "--data-dir",
                         str(data_dir), stdin=THERAPIST_PIN + "\n")
    assert code == 2 and "first user must be an admin" in err
    code, out, err = run(monkeypatch, capsys, "users", "add", "Ana", "--role", "admin", "--data-dir", str(data_dir),
                         stdin=ADMIN_PIN + "\n")
    assert code == 0 and "first admin" in out
    assert rows(data_dir, "SELECT name, role FROM users") == [("Ana", "admin")]


def test_once_users_exist_a_script_must_sign_in(staffed, monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, "sessions", "--data-dir", staffed)
    assert code == 2 and "Sign-in needed: set KAPROOM_USER" in err and out == ""
    code, out, err = run(monkeypatch, capsys, "sessions", "--data-dir", staffed, stdin="000001\n", user="Teo")
    assert code == 2 and "do not match" in err and "Traceback" not in err
    code, out, err = run(monkeypatch, capsys, "verify", "--data-dir", staffed, stdin=THERAPIST_PIN + "\n", user="Teo")
    assert code == 0 and "audit log: intact" in out and "users: agree with the audit log (3 accounts)" in out


def test_therapists_list_only_their_own_sessions(staffed, data_dir, monkeypatch, capsys, clock, protocol):
    with Workspace(data_dir, clock) as workspace:
        workspace.new_session(protocol, "KAP-0001", "Teo")
        workspace.new_session(protocol, "KAP-0002", "Sam")
    code, out, _ = run(monkeypatch, capsys, "sessions", "--json", "--data-dir", staffed, stdin=THERAPIST_PIN + "\n",
                       user="teo")
    assert code == 0 and [r["client_code"] for r in json.loads(out)] == ["KAP-0001"]
    code, out, _ = run(monkeypatch, capsys, "sessions", "--data-dir", staffed, stdin=SUPERVISOR_SECRET + "\n",
                       user="Sam")
    assert code == 0 and "KAP-0001" in out and "KAP-0002" in out
    code, out, err = run(monkeypatch, capsys, "sessions", "--data-dir", staffed, stdin=ADMIN_PIN + "\n", user="Ana")
    assert code == 2 and "Ana is an admin: only a therapist or supervisor may see their own sessions" in err
    assert "KAP-0001" not in out + err


def test_admins_manage_users_and_others_are_refused(staffed, monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, "users", "list", "--data-dir", staffed, stdin=SUPERVISOR_SECRET + "\n",
                         user="Sam")
    assert code == 2 and "Sam is a supervisor: only an admin may manage users" in err
    code, out, _ = run(monkeypatch, capsys, "users", "disable", "Teo", "--data-dir", staffed, stdin=ADMIN_PIN + "\n",
                       user="Ana")
    assert code == 0 and "Teo disabled." in out
    code, out, err = run(monkeypatch, capsys, "sessions", "--data-dir", staffed, stdin=THERAPIST_PIN + "\n", user="Teo")
    assert code == 2 and "disabled" in err
    assert run(monkeypatch, capsys, "users", "enable", "Teo", "--data-dir", staffed, stdin=ADMIN_PIN + "\n",
               user="Ana")[0] == 0
    code, out, _ = run(monkeypatch, capsys, "users", "reset", "Teo", "--data-dir", staffed,
                       stdin=f"{ADMIN_PIN}\n402718\n", user="Ana")
    assert code == 0 and "new PIN or passphrase" in out
    assert run(monkeypatch, capsys, "sessions", "--data-dir", staffed, stdin="402718\n", user="Teo")[0] == 0
    code, out, _ = run(monkeypatch, capsys, "users", "role", "Teo", "supervisor", "--data-dir", staffed,
                       stdin=ADMIN_PIN + "\n", user="Ana")
    assert code == 0 and "Teo now a supervisor." in out
    code, out, _ = run(monkeypatch, capsys, "users", "list", "--json", "--data-dir", staffed, stdin=ADMIN_PIN + "\n",
                       user="Ana")
    listing = {u["name"]: u for u in json.loads(out)}
    assert listing["Teo"]["role"] == "supervisor" and listing["Teo"]["active"] is True
    assert set(listing["Teo"]) == {"name", "role", "active", "signs_in_with", "paused_seconds",
                                   "created_at"}


def test_lockout_and_unlock_at_the_command_line(staffed, monkeypatch, capsys):
    for _attempt in range(4):
        assert "do not match" in run(monkeypatch, capsys, "verify", "--data-dir", staffed, stdin="000001\n",
                                     user="Teo")[2]
    assert "paused for 60 seconds" in run(monkeypatch, capsys, "verify", "--data-dir", staffed, stdin="000001\n",
                                          user="Teo")[2]
    code, out, _ = run(monkeypatch, capsys, "users", "list", "--data-dir", staffed, stdin=ADMIN_PIN + "\n", user="Ana")
    assert any(line.startswith("Teo") and "paused" in line for line in out.splitlines())
    assert run(monkeypatch, capsys, "users", "unlock", "Teo", "--data-dir", staffed, stdin=ADMIN_PIN + "\n",
               user="Ana")[0] == 0
    assert run(monkeypatch, capsys, "verify", "--data-dir", staffed, stdin=THERAPIST_PIN + "\n", user="Teo")[0] == 0


def test_on_a_terminal_the_secret_is_asked_twice_without_echo(data_dir, monkeypatch, capsys):
    typed = iter(["quiet meadow path", "quiet meadow path"])
    prompts: list[str] = []

    class Terminal(PipedStdin):
        def isatty(self) -> bool:
            return True

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(typed)

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    monkeypatch.setattr(sys, "stdin", Terminal(""))
    assert main(["users", "add", "Ana", "--role", "admin", "--data-dir", str(data_dir)]) == 0
    assert prompts == ["PIN or passphrase: ", "Again, to be sure: "]
    monkeypatch.setenv("KAPROOM_USER", "Ana")
    typed = iter(["quiet meadow path", "another phrase here", "another phrase hare"])  # sign-in, new, repeat
    assert main(["users", "add", "Bea", "--role", "admin", "--data-dir", str(data_dir)]) == 2
    assert "two entries differ" in capsys.readouterr().err
    assert rows(data_dir, "SELECT name FROM users") == [("Ana",)]


@pytest.mark.parametrize("name", ["", "Robert'); DROP TABLE users;--", "x" * 5000, "ana\u202eadmin", "🙂🙂"])
def test_bad_names_at_the_command_line_are_refused(staffed, data_dir, monkeypatch, capsys, name):
    code, out, err = run(monkeypatch, capsys, "users", "add", name, "--role", "therapist", "--data-dir", staffed,
                         stdin=f"{ADMIN_PIN}\nquiet meadow path\n", user="Ana")
    assert code == 2 and "kaproom: Name:" in err and "Traceback" not in err
    assert rows(data_dir, "SELECT count(*) FROM users") == [(3,)]


@pytest.mark.parametrize("stdin,words", [("", "nothing on standard input"), ("12\n", "at least 6 digits"),
                                          ("quiet\x00meadow path\n", "control characters"),
                                          ("x" * 100000 + "\n", "at most 256")])
def test_bad_secrets_from_a_script_are_refused(staffed, data_dir, monkeypatch, capsys, stdin, words):
    code, out, err = run(monkeypatch, capsys, "users", "add", "Eve", "--role", "therapist", "--data-dir", staffed,
                         stdin=f"{ADMIN_PIN}\n{stdin}", user="Ana")
    assert code == 2 and words in err
    assert rows(data_dir, "SELECT count(*) FROM users") == [(3,)]


def test_undecodable_input_through_a_real_pipe_is_a_message_not_a_traceback(staffed, tmp_path):
    import os
    env = dict(os.environ, KAPROOM_USER="Ana")
    result = subprocess.run([sys.executable, "-m", "kaproom", "users", "add", "Eve", "--role", "therapist",
                             "--data-dir", staffed], input=b"\xff\xfe\x00garbage\n", capture_output=True, env=env,
                            timeout=60)
    assert result.returncode == 2 and b"Traceback" not in result.stderr
    assert b"kaproom:" in result.stderr


def test_audit_command_for_supervisors_and_admins_only(staffed, monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, "audit", "--data-dir", staffed, stdin=THERAPIST_PIN + "\n", user="Teo")
    assert code == 2 and "only a supervisor or admin may view the audit log" in err
    code, out, err = run(monkeypatch, capsys, "audit", "--json", "--data-dir", staffed,
                         stdin=SUPERVISOR_SECRET + "\n", user="Sam")
    events = json.loads(out)
    assert code == 0 and events[0]["kind"] == "signed_in" and events[0]["user"] == "Sam"
    kinds = [e["kind"] for e in events]
    assert kinds.count("user_added") == 3 and "sign_in_failed" in kinds  # Teo's refused try above
    code, out, _ = run(monkeypatch, capsys, "audit", "--kind", "user_added", "--data-dir", staffed,
                       stdin=ADMIN_PIN + "\n", user="Ana")
    assert code == 0 and len(out.strip().splitlines()) == 3 and "first_admin=True" in out


def test_settings_shown_to_all_changed_by_admins(staffed, data_dir, monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "settings", "--data-dir", staffed)
    assert code == 0 and 'client_identifier = "code"' in out and "review_idle_minutes = 10" in out
    code, out, err = run(monkeypatch, capsys, "settings", "review_idle_minutes", "5", "--data-dir", staffed,
                         stdin=SUPERVISOR_SECRET + "\n", user="Sam")
    assert code == 2 and "only an admin may change clinic settings" in err
    for value, words in (("0", "from 1 to 240"), ("ten", "whole number"), ("1e9", "whole number")):
        code, out, err = run(monkeypatch, capsys, "settings", "review_idle_minutes", value, "--data-dir", staffed,
                             stdin=ADMIN_PIN + "\n", user="Ana")
        assert code == 2 and words in err
    code, out, err = run(monkeypatch, capsys, "settings", "client_identifier", "initials", "--data-dir", staffed,
                         stdin=ADMIN_PIN + "\n", user="Ana")
    assert code == 0 and 'client_identifier = "initials"' in out
    assert oct((data_dir / "settings.toml").stat().st_mode & 0o777) == "0o600"
    code, out, _ = run(monkeypatch, capsys, "audit", "--kind", "settings_changed", "--json", "--data-dir", staffed,
                       stdin=ADMIN_PIN + "\n", user="Ana")
    [change] = json.loads(out)
    assert (change["key"], change["old"], change["new"], change["actor"]) == ("client_identifier", "code",
                                                                               "initials", "Ana")


def test_on_a_terminal_a_command_asks_for_the_name_then_the_secret(staffed, monkeypatch, capsys):
    class Terminal(PipedStdin):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("KAPROOM_USER", raising=False)
    monkeypatch.setattr(sys, "stdin", Terminal("Sam\n"))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": SUPERVISOR_SECRET)
    assert main(["sessions", "--data-dir", staffed]) == 0
    out = capsys.readouterr()
    assert out.err.startswith("Name: ") and "No sessions yet" in out.out


@pytest.mark.parametrize("before", [True, False])
def test_the_data_folder_option_counts_before_or_after_the_command(tmp_path, monkeypatch, capsys, before):
    """The first admin must land in the folder that was named, wherever --data-dir was typed."""
    monkeypatch.setenv("KAPROOM_DATA_DIR", str(tmp_path / "from-env"))
    folder = tmp_path / "named"
    argv = ["users", "add", "Ana", "--role", "admin"]
    argv = ["--data-dir", str(folder), *argv] if before else [*argv, "--data-dir", str(folder)]
    assert run(monkeypatch, capsys, *argv, stdin=ADMIN_PIN + "\n")[0] == 0
    assert rows(folder, "SELECT name FROM users") == [("Ana",)]
    assert not (tmp_path / "from-env").exists()


def test_a_therapist_changes_their_own_pin_at_the_command_line(staffed, monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, "users", "change-pin", "Teo", "--data-dir", staffed,
                         stdin="000001\n275913\n")
    assert code == 2 and "do not match" in err
    code, out, _ = run(monkeypatch, capsys, "users", "change-pin", "Teo", "--data-dir", staffed,
                       stdin=f"{THERAPIST_PIN}\n275913\n")
    assert code == 0 and "Teo's PIN or passphrase is changed" in out
    assert run(monkeypatch, capsys, "verify", "--data-dir", staffed, stdin="275913\n", user="Teo")[0] == 0
    assert "do not match" in run(monkeypatch, capsys, "verify", "--data-dir", staffed, stdin=THERAPIST_PIN + "\n",
                                 user="Teo")[2]
