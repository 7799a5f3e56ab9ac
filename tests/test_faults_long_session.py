"""A three-hour session makes hundreds of thousands of calls into Qt (the clock label alone is
set several times a second). A binding that drops a reference to None or True on each call
crashes the app once the count runs out ("Fatal Python error: none_dealloc"), minutes into a
real session on Python 3.11, whose None is not immortal. PySide6 6.12.0 does exactly that; 6.11
does not, and on Python 3.12+ None and True are immortal so the bug is harmless.

This test makes 60,000 of the room screen's kind of calls in a fresh process and expects it to
live. It is marked as an expected failure on the known-bad combination, so CI stays honest about
it: once the dependency is pinned to a good PySide6 (or Python 3.12+ is used) it must pass.
"""
from __future__ import annotations

import os
import subprocess
import sys

import PySide6
import pytest

CALLS = r"""
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit

class Relay(QObject):
    changed = Signal(object)

app = QApplication([])
label, field, relay = QLabel(), QLineEdit(), Relay()
relay.changed.connect(lambda value: None)
for i in range(20_000):  # what a room screen does over a session: labels, fields, signals
    label.setText(f"0:{i % 60:02d}")
    field.clear()
    relay.changed.emit(i)
print("alive", flush=True)
"""

KNOWN_BAD = PySide6.__version__ == "6.12.0" and sys.version_info < (3, 12)


@pytest.mark.slow
@pytest.mark.xfail(KNOWN_BAD, strict=True,
                   reason="PySide6 6.12.0 drops a reference to None/True on each call; on Python 3.11 the app "
                          "crashes minutes into a session. Pin PySide6-Essentials<6.12 or use Python 3.12+")
def test_sixty_thousand_qt_calls_do_not_crash_the_app():
    done = subprocess.run([sys.executable, "-c", CALLS], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert done.returncode == 0 and "alive" in done.stdout, done.stderr[-1500:]
