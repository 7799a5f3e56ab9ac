"""The demo as someone trying KAP Room from a terminal meets it: a private data folder, a quiet
terminal without a sound card (libvlc's and ALSA's messages go to a file; one line says the room
runs without sound), and a home page marked DEMO."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kaproom.services.paths import REPO_ROOT

QT_OFFSCREEN_NOTES = "This plugin does not support"  # Qt's offscreen platform, not KAP Room: absent on a screen


def _demo(tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "KAPROOM_AUDIO_OUTPUT"}
    environment.update(QT_QPA_PLATFORM="offscreen", **env)
    return subprocess.run([sys.executable, "-m", "kaproom", "demo", "--data-dir", str(tmp_path / "data"),
                           "--protocol", "short-check", "--screenshot", str(tmp_path / "demo.png"),
                           "--screenshot-delay", "6000"],
                          cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=120)


def _said(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if not line.startswith(QT_OFFSCREEN_NOTES)]


@pytest.mark.slow
def test_without_a_sound_device_the_terminal_gets_one_line_and_the_noise_goes_to_a_file(tmp_path) -> None:
    """About 3,700 lines of ALSA errors filled the terminal in the first seconds of a demo on a
    computer without a sound card. (ALSA_CARD names a card no computer has, so the test means the
    same on a computer with one.)"""
    done = _demo(tmp_path, KAPROOM_AUDIO_OUTPUT="alsa", ALSA_CARD="kaproom_no_such_card")
    assert done.returncode == 0, done.stderr[-2000:]
    log = tmp_path / "data" / "demo" / "sound.log"
    [line] = _said(done)
    assert "runs without sound" in line and str(log) in line
    assert "ALSA" in log.read_text(encoding="utf-8") and oct(log.stat().st_mode & 0o777) == "0o600"


@pytest.mark.slow
def test_with_the_dummy_output_the_demo_says_nothing_and_keeps_its_folders_private(tmp_path) -> None:
    """The demo made the data folder 0755 (the README promises 0700) when it made its demo/ in it."""
    done = _demo(tmp_path, KAPROOM_AUDIO_OUTPUT="dummy")
    assert done.returncode == 0, done.stderr[-2000:]
    assert _said(done) == []
    for folder in (tmp_path / "data", tmp_path / "data" / "demo"):
        assert oct(folder.stat().st_mode & 0o777) == "0o700", folder
