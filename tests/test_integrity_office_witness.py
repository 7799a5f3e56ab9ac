"""Issue 23, point 2: an office computer that joined the clinic server compares its own chain (its
audit log: imports, exports, pins of room keys, sign-ins) with what the server received, when
`kaproom verify` runs with no options, as a room does for its sessions; in bounded time."""
from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import _clinic_helpers
from _clinic_helpers import password_of
from _people_helpers import PipedStdin

from kaproom.cli.main import main
from kaproom.domain.clock import to_iso
from kaproom.domain.events import Event
from kaproom.domain.people import AuditKind
from kaproom.services.clinic_sync import CONFIG_FILE
from kaproom.services.workspace import Workspace
from kaproom.store.accounts import Accounts

pg, clinic = _clinic_helpers.pg, _clinic_helpers.clinic  # the fixtures


def cut_last_audit_entry(folder: Path) -> None:
    """Delete the audit log's last entry and move its stored head back, as someone with the file could."""
    conn = sqlite3.connect(folder / "kaproom.sqlite3")
    conn.execute("DROP TRIGGER audit_no_delete")
    conn.execute("DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)")
    conn.execute("UPDATE audit_head SET last_seq = last_seq - 1, "
                 "last_hash = (SELECT hash FROM audit ORDER BY seq DESC LIMIT 1)")
    conn.commit()
    conn.close()


def test_an_office_compares_its_own_audit_log_with_the_clinic_server_unasked(clinic, tmp_path, clock, monkeypatch,
                                                                             capsys):
    office = tmp_path / "office"
    with Workspace(office, clock) as workspace:  # what an office records: exports of sessions, among others
        for number in range(3):
            Accounts(workspace.store).append_audit(Event(AuditKind.SESSION_EXPORTED, {
                "sessions": [], "format": "pdf", "destination": f"/home/office/s{number}.pdf"}, 0.0,
                to_iso(clock.now()), "", ""))
    monkeypatch.setattr("sys.stdin", PipedStdin(password_of("office_1") + "\n"))
    assert main(["clinic", "join", clinic.url("office_1", with_password=False), "--office", "Office",
                 "--data-dir", str(office)]) == 0
    assert main(["clinic", "sync", "--data-dir", str(office)]) == 0
    capsys.readouterr()

    assert main(["verify", "--data-dir", str(office)]) == 0
    out = capsys.readouterr().out
    assert "this computer's audit log against the clinic server" in out and "Compared with: clinic server" in out

    cut_last_audit_entry(office)  # the export to s2.pdf is hidden here; the server received it
    assert main(["verify", "--data-dir", str(office)]) == 1
    captured = capsys.readouterr()
    assert "the clinic server holds 3 entries of it and this record only 2 (entries were removed here)" in captured.out
    assert "VERIFY FAILED" in captured.err


def test_an_office_whose_clinic_server_is_down_is_told_within_seconds(tmp_path, clock, capsys):
    office = tmp_path / "office"
    Workspace(office, clock).close()
    (office / CONFIG_FILE).write_text(json.dumps({  # joined once as an office; nothing listens there now
        "url": "postgresql://office@127.0.0.1:9/kaproom", "computer": "Office", "kind": "office", "password": "x"}))
    started = time.monotonic()
    assert main(["verify", "--data-dir", str(office)]) == 0
    assert time.monotonic() - started < 8
    out = capsys.readouterr().out
    assert "Not reachable (not a fault of the record): clinic server 127.0.0.1" in out
    assert "Not compared" not in out
