"""A database KAP Room cannot open at start-up is named in a window, not only on the terminal:
started from the desktop launcher, the app would otherwise just not appear. The file is left as
it was, and the app leaves once the window is closed."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from kaproom.cli.main import main
from kaproom.domain.clock import FakeClock
from kaproom.services.workspace import Workspace
from kaproom.store import DB_FILENAME


@pytest.fixture
def qapp(qapp):
    """The app as the command themes it; put back afterwards for the tests that follow."""
    sheet, palette = qapp.styleSheet(), qapp.palette()
    yield qapp
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
    qapp.setProperty("kaproomThemed", False)
    qapp.setCursorFlashTime(1000)


def damage(folder: Path, protocol) -> None:
    """A clinic database with a few sessions, its pages after the first scribbled over."""
    with Workspace(folder, FakeClock()) as workspace:
        for index in range(3):
            runner = workspace.new_session(protocol, f"C-{index}", "Dr A")
            for minute in range(20):
                runner.note(f"Observation {minute}")
    path = folder / DB_FILENAME
    data = bytearray(path.read_bytes())
    for offset in range(4096, len(data), 4096):
        data[offset:offset + 8] = b"\xff" * 8
        data[offset + 200:offset + 264] = b"\xff" * 64
    path.write_bytes(bytes(data))


def not_ours(folder: Path, _protocol) -> None:
    folder.mkdir(parents=True)
    with sqlite3.connect(folder / DB_FILENAME) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")


def close_the_window_when_shown(seen: dict) -> None:
    """Reads the start-failure window once it is up, then presses its Close button."""
    tries = [0]

    def look() -> None:
        box = next((w for w in QApplication.topLevelWidgets()
                    if w.objectName() == "startFailure" and w.isVisible()), None)
        if box is None:
            tries[0] += 1
            if tries[0] < 500:  # a window that never comes ends the looking, not the test run
                QTimer.singleShot(10, look)
            return
        seen.update(title=box.text(), text=box.informativeText())
        box.button(QMessageBox.StandardButton.Close).click()

    QTimer.singleShot(0, look)


@pytest.mark.parametrize("mishap, words", [(damage, "is damaged"), (not_ours, "not a KAP Room database")])
def test_a_database_that_cannot_be_opened_is_named_in_a_window(qapp, data_dir, protocol, capsys, mishap, words):
    mishap(data_dir, protocol)
    before = (data_dir / DB_FILENAME).read_bytes()
    seen: dict = {}
    close_the_window_when_shown(seen)
    assert main([]) == 2  # the home page, as the desktop launcher starts it
    assert seen["title"] == "KAP Room could not open its records"
    assert words in seen["text"] and str(data_dir) in seen["text"]
    assert "left untouched" in seen["text"] and seen["text"].endswith("start KAP Room again.")
    assert words in capsys.readouterr().err, "and on the terminal, for whoever started it there"
    assert (data_dir / DB_FILENAME).read_bytes() == before, "left exactly as it was"


def test_scripts_asking_for_a_screenshot_get_the_message_without_a_window(qapp, data_dir, protocol, capsys):
    damage(data_dir, protocol)
    assert main(["home", "--screenshot", str(data_dir.parent / "shot.png")]) == 2
    assert not any(w.objectName() == "startFailure" for w in QApplication.topLevelWidgets())
    assert "is damaged" in capsys.readouterr().err
