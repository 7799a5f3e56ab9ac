"""Never a sound in the room: no Qt sound classes, beeps or terminal bells anywhere in kaproom/.

Music plays through the Player interface (libvlc); nothing else may make a noise, and alerts in
particular are colour and words only.
"""
from __future__ import annotations

import re
from pathlib import Path

import kaproom

SOURCE = Path(kaproom.__file__).resolve().parent
FORBIDDEN = re.compile(r"QSound\b|QSoundEffect|QtMultimedia|\bbeep\s*\(|\\a[\"']|\\x07|\\007|\\N\{BEL|\bwinsound\b"
                       r"|\bplaysound\b|\bsimpleaudio\b")


def offending_lines() -> list[str]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if FORBIDDEN.search(line):
                found.append(f"{path.relative_to(SOURCE)}:{number}: {line.strip()}")
    return found


def test_no_sound_or_bell_in_kaproom():
    assert offending_lines() == []


def test_the_check_would_catch_each_way_of_making_a_noise():
    for line in ("from PySide6.QtMultimedia import QSoundEffect", "QApplication.beep()", "QSound.play('x.wav')",
                 "print('\\a')", "sys.stdout.write('\\x07')", "import winsound"):
        assert FORBIDDEN.search(line), line


def test_the_sources_were_read():
    assert (SOURCE / "ui" / "vitals" / "panel.py").is_file() and (SOURCE / "ui" / "vitals" / "alerts.py").is_file()
