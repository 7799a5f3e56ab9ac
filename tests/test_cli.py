"""The command line: the same data without a screen."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC

from kaproom import __version__
from kaproom.cli.main import main


def modules_loaded_by(code: str, env: dict[str, str] | None = None) -> str:
    """What a fresh Python process running ``code`` printed (a list of loaded modules)."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def kaproom(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kaproom", *args], capture_output=True, text=True, timeout=120,
                          env=env)


def test_help_lists_every_command(capsys):
    result = kaproom("--help")
    assert result.returncode == 0
    for command in ("sessions", "verify", "simulate", "demo", "--data-dir", "--version"):
        assert command in result.stdout


def test_version():
    result = kaproom("--version")
    assert result.stdout.strip() == f"KAP Room {__version__}"


def test_installed_package_reports_the_same_version():
    """pyproject.toml takes the version from kaproom.__version__, so pip and the app agree."""
    from importlib.metadata import version
    assert version("kaproom") == __version__


def test_simulate_then_list_and_verify(tmp_path, capsys):
    folder = str(tmp_path / "d")
    assert main(["simulate", "--data-dir", folder, "--speed", "1000000", "--protocol", "short-check",
                 "--notes", "5", "--vitals", "3"]) == 0
    capsys.readouterr()
    assert main(["sessions", "--data-dir", folder, "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["state"] == "discharged" and row["protocol_id"] == "short-check"
    assert row["duration_seconds"] >= 12 * 60
    assert main(["sessions", "--data-dir", folder]) == 0
    listing = capsys.readouterr().out
    assert "SIM-0001" in listing and "discharged" in listing
    assert main(["verify", "--data-dir", folder]) == 0
    assert "The one log is intact." in capsys.readouterr().out


def test_a_simulated_session_is_dated_in_the_minutes_just_past_not_hours_ahead(tmp_path, capsys):
    """On a fast clock started now, the simulated session was dated hours ahead and topped the
    review list as if it had not happened yet. It now ends about when the command does."""
    from datetime import datetime

    from kaproom.domain.clock import from_iso
    folder = str(tmp_path / "d")
    assert main(["simulate", "--data-dir", folder, "--speed", "600", "--protocol", "short-check"]) == 0
    finished = datetime.now(UTC)
    capsys.readouterr()
    assert main(["sessions", "--data-dir", folder, "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (finished - from_iso(row["ended_at"])).total_seconds() >= 0, "it has ended: not dated in the future"
    assert (finished - from_iso(row["started_at"])).total_seconds() < 20 * 60, "and began about 12 minutes before"


def test_verify_fails_and_names_the_tampered_event(tmp_path, capsys):
    folder = tmp_path / "d"
    main(["simulate", "--data-dir", str(folder), "--speed", "1000000", "--protocol", "short-check", "--notes", "4"])
    conn = sqlite3.connect(folder / "kaproom.sqlite3")
    conn.execute("DROP TRIGGER events_no_update")
    event_id = conn.execute("SELECT id FROM events WHERE kind='note' ORDER BY seq LIMIT 1 OFFSET 1").fetchone()[0]
    seq = conn.execute("SELECT seq FROM events WHERE id=?", (event_id,)).fetchone()[0]
    conn.execute("UPDATE events SET payload='{\"text\": \"edited later\"}' WHERE id=?", (event_id,))
    conn.commit()
    conn.close()
    capsys.readouterr()
    assert main(["verify", "--data-dir", str(folder)]) == 1
    out = capsys.readouterr()
    assert f"BROKEN at event {seq} (id {event_id})" in out.out
    assert "VERIFY FAILED" in out.err


def test_env_var_chooses_the_data_folder(tmp_path):
    import os
    env = dict(os.environ, KAPROOM_DATA_DIR=str(tmp_path / "from-env"))
    result = kaproom("sessions", env=env)
    assert result.returncode == 0 and "No sessions yet" in result.stdout
    assert (tmp_path / "from-env" / "kaproom.sqlite3").exists()


def test_bad_database_is_a_clear_error_not_a_traceback(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir(mode=0o700)
    (folder / "kaproom.sqlite3").write_bytes(b"PK\x03\x04 a zip file, not a database")
    result = kaproom("sessions", "--data-dir", str(folder))
    assert result.returncode == 2
    assert "not a KAP Room database" in result.stderr and "Traceback" not in result.stderr


def test_unknown_session_is_a_clear_error(tmp_path):
    result = kaproom("verify", "42", "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 2 and "'42' is not a session here" in result.stderr


def test_extension_table_names_exactly_the_commands_each_module_adds():
    """The app imports only the module that owns the typed command, so the table must be true."""
    import argparse
    import importlib

    from kaproom.cli.main import CORE, CORE_COMMANDS, EXTENSIONS
    for module, commands in {**CORE, **EXTENSIONS}.items():
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(module).register(sub, argparse.ArgumentParser(add_help=False))
        assert tuple(sub.choices) == commands, module
    every = [c for commands in EXTENSIONS.values() for c in commands] + list(CORE_COMMANDS)
    assert len(every) == len(set(every))


def test_each_command_line_loads_only_what_it_needs():
    from kaproom.cli.main import EXTENSIONS, extensions_for
    assert extensions_for([]) == []  # the app: kaproom.cli.app is imported to run it
    assert extensions_for(["--data-dir", "review", "resume"]) == ["kaproom.cli.app"]  # a folder named "review"
    assert extensions_for(["export", "3", "-f", "csv"]) == ["kaproom.cli.export"]
    assert extensions_for(["users", "list"]) == ["kaproom.cli.people"]
    assert extensions_for(["verify"]) == []
    assert len(extensions_for(["--help"])) == len(extensions_for(["no-such-command"])) == len(EXTENSIONS)


def test_an_unknown_command_still_lists_every_command():
    result = kaproom("no-such-command")
    assert result.returncode == 2
    for command in ("export", "users", "review", "demo", "verify"):
        assert command in result.stderr


def test_starting_the_app_does_not_load_exporters_or_sqlite_utils():
    """What `kaproom` imports before its window shows (start-up time is in bench/bench_startup.py)."""
    code = ("import sys, kaproom.cli.main as c; c.build_parser([]); import kaproom.cli.app.gui, kaproom.ui.shell.launcher; "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith(('kaproom.export.report_data', "
            "'kaproom.export.pdf', 'sqlite_utils', 'kaproom.cli.people', 'kaproom.ui.room.window', 'vlc', "
            "'kaproom.playback', 'kaproom.ui.shell.night', 'ctypes', 'kaproom.domain.people')))))")
    assert modules_loaded_by(code) == ""


def test_the_command_line_loads_no_qt_until_a_window_is_wanted():
    """Commands without a window (verify, export, sessions) run without Qt, and bench/bench_startup.py
    loads the command line before Qt, as the ``kaproom`` command does."""
    code = ("import sys, kaproom.cli.main as c; c.build_parser([]); "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))))")
    assert modules_loaded_by(code) == ""


def test_help_loads_no_qt():
    """`kaproom --help` builds every command's parser; the window commands load Qt only to run,
    the music commands scipy only to measure loudness (1-2 s), and the clinic commands psycopg only
    to reach the server (~0.4 s); `kaproom clinic --help` and `kaproom board --help` neither."""
    code = ("import sys, contextlib, io; from kaproom.cli.main import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit): main(['--help'])\n"
            "assert 'review' in out.getvalue() and 'demo' in out.getvalue() and 'stock' in out.getvalue()\n"
            "assert 'clinic' in out.getvalue() and 'board' in out.getvalue()\n"
            "for argv in (['clinic', '--help'], ['clinic', 'sync', '--help'], ['board', '--help']):\n"
            "    with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit): main(argv)\n"
            "    assert argv[-2] in out.getvalue(), out.getvalue()\n"
            "print(' '.join(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'scipy', "
            "'psycopg', 'kaproom.clinic')))))")
    assert modules_loaded_by(code) == ""


def test_the_home_page_does_not_build_qts_namespace_before_its_first_paint():
    """Importing ``Qt`` from QtCore builds every enum of Qt's namespace (27-48 ms on a quiet
    machine, more under load: bench/bench_startup.py, home page); the modules the home page loads
    before its first paint name it only for type checking or inside the functions that need it.
    Likewise the start-failure window's message box (its type and enums, 2-5 ms)."""
    code = ("import sys, kaproom.cli.main as c; import kaproom.cli.app.gui, kaproom.ui.shell.wiring; "
            "import PySide6.QtCore as core, PySide6.QtWidgets as widgets; "
            "print(' '.join(name for name, module in (('Qt', core), ('QMessageBox', widgets)) if name in vars(module)))")
    assert modules_loaded_by(code) == ""


def test_a_simulation_on_a_fake_clock_finishes_whatever_its_plan(tmp_path):
    """Planned times a float clock cannot step onto exactly once looped for ever."""
    code = ("import sys; from pathlib import Path; from kaproom.domain.clock import FakeClock; "
            "from kaproom.services.workspace import Workspace; from kaproom.services.simulate import run_simulation; "
            "clock = FakeClock(); workspace = Workspace(Path(sys.argv[1]), clock); "
            "print(run_simulation(workspace, notes=40, vitals=12, tracks=20, seed=3, sleep=clock.advance).events)")
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "sim")], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == 84


def test_commands_run_with_the_garbage_collector_on_and_leave_it_on(tmp_path, monkeypatch, capsys):
    """The app pauses Python's collector while it starts (its window turns it back on); a
    command without a window must not run, nor leave the process, without it."""
    import gc

    import kaproom.cli.records as records
    seen: list[bool] = []
    monkeypatch.setattr(records, "cmd_sessions", lambda args: seen.append(gc.isenabled()) or 0)
    assert main(["sessions", "--data-dir", str(tmp_path / "d")]) == 0
    assert seen == [True] and gc.isenabled()
    try:
        main(["no-such-command"])
    except SystemExit:
        pass
    assert gc.isenabled()


def test_the_app_starts_with_the_collector_paused_and_never_leaves_it_paused(monkeypatch):
    import gc

    import kaproom.cli.app as app
    seen: list[bool] = []
    monkeypatch.setattr(app, "main_gui", lambda args: seen.append(gc.isenabled()) or 0)  # sign-in cancelled
    assert main([]) == 0
    assert seen == [False] and gc.isenabled()


def test_resuming_a_session_loads_no_staff_code_parsers_or_markup_before_its_first_paint(tmp_path):
    """What the room screen and its extensions import, and who is asked to sign in when the clinic
    has no staff yet (start-up time is in bench/bench_startup.py)."""
    from kaproom.services.workspace import Workspace
    Workspace(tmp_path / "d").close()  # a clinic's folder: its database made (and migrated) before
    code = ("import sys; from kaproom.services.workspace import Workspace; from kaproom.ui.shell.wiring import identify_for_session; "
            "import kaproom.ui.room.window, kaproom.ui.music.strip, kaproom.ui.vitals.panel, kaproom.ui.shell.launcher; "
            f"ws = Workspace({str(tmp_path / 'd')!r}); assert identify_for_session(ws) == ('', False); ws.close(); "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith(('kaproom.services.people', 'kaproom.services.settings', 'kaproom.cli.people', 'xml.etree', "
            "'difflib', 'html', 'sqlite_utils', 'kaproom.export')))))")
    assert modules_loaded_by(code, {**os.environ, "QT_QPA_PLATFORM": "offscreen"}) == ""
