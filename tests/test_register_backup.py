"""The stock register in backups: its head goes into the manifest (a witness outside the file), a
backup's copy of it is verified, and a register rolled back since the backup is caught."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from kaproom.domain.register import REGISTER_CHAIN
from kaproom.services.age_crypto import write_identity_file
from kaproom.services.backup import make_backup, restore, verify_backup, witness_reports
from kaproom.services.backup_manifest import Manifest
from kaproom.services.stock import Person, Stock
from kaproom.services.workspace import Workspace

ANA = Person("Ana")


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, str]:
    identity = tmp_path / "clinic-key.txt"
    return identity, write_identity_file(identity)


@pytest.fixture
def usb(tmp_path: Path) -> Path:
    folder = tmp_path / "usb"
    folder.mkdir()
    return folder


def _stock(workspace: Workspace) -> Stock:
    stock = Stock.of(workspace)
    stock.receive(ANA, product="ketamine", strength_mg="100", form="troche", lot="K1", expiry="2026-12-31",
                  supplier="Valley", quantity="10")
    stock.give_dose(ANA, "K1", dispensed="1", administered="0.5", wasted="0.5", witness=Person("Ben"))
    return stock


def test_the_register_head_is_in_the_manifest_and_the_copy_is_verified(workspace, data_dir, keys, usb):
    stock = _stock(workspace)
    result = make_backup(data_dir, usb, [keys[1]])
    last = stock.state().lines[-1]
    manifest = Manifest.read(result.manifest_path)
    assert manifest.heads[REGISTER_CHAIN] == (4, last.hash) and manifest.sessions == 0
    assert '"register": [' in result.manifest_path.read_text()
    opened = verify_backup(result.path, keys[0])
    assert any(report.chain == "stock register" and report.intact for report in opened.reports)
    balance = stock.state().balance("K1")
    workspace.close()
    shutil.rmtree(data_dir)
    restored = restore(result.path, keys[0], data_dir)
    assert restored.sessions == 0
    with Workspace(data_dir) as again:
        assert Stock.of(again).state().balance("K1") == balance


def test_a_register_rolled_back_since_the_backup_is_caught_by_the_witness(workspace, data_dir, keys, usb):
    _stock(workspace)
    make_backup(data_dir, usb, [keys[1]])
    assert all(report.intact for report in witness_reports(workspace.store, usb))
    conn = sqlite3.connect(data_dir / "kaproom.sqlite3")  # the waste cut from the end, the head moved back
    conn.execute("DROP TRIGGER register_no_delete")
    conn.execute("DELETE FROM register WHERE seq=4")
    conn.execute("UPDATE register_head SET last_seq=3, last_hash=(SELECT hash FROM register WHERE seq=3)")
    conn.commit()
    conn.close()
    assert all(report.intact for report in Stock.of(workspace).register.verify())  # the file alone cannot tell
    (report,) = witness_reports(workspace.store, usb)
    assert not report.intact and "the stock register was rolled back" in report.reason
