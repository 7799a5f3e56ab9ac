"""Export files against a hostile folder or a failing record (issue #23, points 6 and 7).

A shared folder where another local user prepared the temporary file's name, a link put there
to point at someone else's file, a device or a FIFO under the chosen name, an existing report,
and an audit trail that cannot be written just then: in each case the export either goes out
owner-only, as the user asked, with its audit entry, or nothing leaves and the message says why.
"""
from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from _export_helpers import finished_session
from _fault_support import NOBODY

from kaproom.cli.main import main
from kaproom.domain.people import AuditKind
from kaproom.export.output import ExportError
from kaproom.export.session_export import export_session
from kaproom.services.people import People
from kaproom.store import DB_FILENAME


@pytest.fixture
def session(tmp_path):
    workspace, uid = finished_session(tmp_path / "room")
    yield workspace, uid
    workspace.close()


def exports_recorded(workspace) -> int:
    return len(People.of(workspace).audit((AuditKind.SESSION_EXPORTED,)))


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith((".part", ".probe"))]


def test_a_link_at_the_temporary_name_does_not_overwrite_its_target(session, tmp_path):
    """Before: the temporary name was .NAME.PID.part, opened following links, so a link placed
    there made the export write health data into the file it pointed to."""
    workspace, uid = session
    shared = tmp_path / "shared"
    shared.mkdir()
    victim = tmp_path / "victim.conf"
    victim.write_text("important settings\n")
    for name in ("report.csv", ".report.csv"):
        os.symlink(victim, shared / f".{name}.{os.getpid()}.part")
    result = export_session(workspace, uid, "csv", shared / "report.csv")
    assert victim.read_text() == "important settings\n"
    assert not result.path.is_symlink() and result.path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason="handing a file to another user needs root")
def test_a_temporary_file_made_in_advance_by_another_user_is_not_used(session, tmp_path):
    """Before: another user who created .NAME.PID.part first ended up owning the exported file."""
    workspace, uid = session
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o1777)
    planted = shared / f".report.csv.{os.getpid()}.part"
    planted.write_bytes(b"")
    os.chown(planted, NOBODY, NOBODY)
    os.chmod(planted, 0o666)
    result = export_session(workspace, uid, "csv", shared / "report.csv")
    info = result.path.stat()
    assert info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) == 0o600
    assert planted.stat().st_size == 0, "the planted file got none of the export"


def test_a_fifo_under_the_chosen_name_is_refused_and_kept(session, tmp_path):
    workspace, uid = session
    fifo = tmp_path / "report.csv"
    os.mkfifo(fifo)
    with pytest.raises(ExportError, match="not a regular file"):
        export_session(workspace, uid, "csv", fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert exports_recorded(workspace) == 0 and leftovers(tmp_path) == []


def test_a_device_under_the_chosen_name_is_refused_and_kept(session, tmp_path):
    """Before: exporting to /dev/full as root replaced the device with a file of health data."""
    workspace, uid = session
    device = tmp_path / "full"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    except (PermissionError, OSError):
        pytest.skip("making a device node needs root with CAP_MKNOD")
    with pytest.raises(ExportError, match="device"):
        export_session(workspace, uid, "csv", device)
    assert stat.S_ISCHR(os.lstat(device).st_mode)
    assert exports_recorded(workspace) == 0


def test_a_link_as_the_chosen_name_is_refused(session, tmp_path):
    workspace, uid = session
    other = tmp_path / "elsewhere.txt"
    other.write_text("keep me")
    link = tmp_path / "report.csv"
    os.symlink(other, link)
    with pytest.raises(ExportError, match="link"):
        export_session(workspace, uid, "csv", link)
    assert link.is_symlink() and other.read_text() == "keep me"


def test_an_existing_file_is_replaced_only_on_purpose(session, tmp_path):
    """Before: an existing file was replaced silently."""
    workspace, uid = session
    target = tmp_path / "report.csv"
    target.write_text("last week's report")
    with pytest.raises(ExportError, match="already exists.*--force"):
        export_session(workspace, uid, "csv", target)
    assert target.read_text() == "last week's report" and exports_recorded(workspace) == 0
    result = export_session(workspace, uid, "csv", target, replace=True)
    assert result.path == target and target.read_bytes().startswith(b"\xef\xbb\xbf")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 and exports_recorded(workspace) == 1
    with pytest.raises(ExportError, match="already exists"):  # the default name in a folder too
        export_session(workspace, uid, "json", tmp_path)
        export_session(workspace, uid, "json", tmp_path)


def test_the_command_line_replaces_a_file_only_with_force(session, tmp_path, capsys):
    workspace, uid = session
    target = tmp_path / "report.csv"
    target.write_text("last week's report")
    args = ["export", "--data-dir", str(workspace.folder), "1", "--format", "csv", "-o", str(target)]
    assert main(args) == 2
    assert "already exists" in capsys.readouterr().err and target.read_text() == "last week's report"
    assert main([*args, "--force"]) == 0
    assert "Exported session 1" in capsys.readouterr().out
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")


def test_an_export_that_cannot_be_recorded_does_not_leave(session, tmp_path):
    """Before: the file was written, the audit entry failed, and the message spoke of something typed
    being kept: health data left with no record of it. Here another program holds the database."""
    workspace, uid = session
    target = tmp_path / "out" / "report.csv"
    target.parent.mkdir()
    other = sqlite3.connect(workspace.folder / DB_FILENAME, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(ExportError) as caught:
            export_session(workspace, uid, "csv", target)
    finally:
        other.rollback()
        other.close()
    message = str(caught.value)
    assert "was not exported" in message and "audit trail" in message and "locked" in message
    assert "what you typed is kept" not in message
    assert list(target.parent.iterdir()) == [], "neither the export nor a temporary file is left"
    assert exports_recorded(workspace) == 0
    export_session(workspace, uid, "csv", target)  # once the database is free, it goes, recorded
    assert target.exists() and exports_recorded(workspace) == 1
