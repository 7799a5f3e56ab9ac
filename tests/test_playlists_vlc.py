"""The shipped playlists open in VLC itself, not only in our parser: a clinic can check or edit
them with VLC, and VLC's reading of every entry matches ours."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from kaproom.playback.playlists import read_playlist, shipped_playlists
from kaproom.services.paths import ASSETS_DIR

pytestmark = [pytest.mark.vlc, pytest.mark.slow]
CVLC = shutil.which("cvlc")
PLAYLISTS = list(shipped_playlists(ASSETS_DIR / "playlists"))


def cvlc_command(playlist: Path) -> list[str]:
    # --rate plays fast and --run-time cuts each item short: every entry is opened and decoded,
    # in well under a second per playlist.
    command = [CVLC, "--aout=dummy", "--play-and-exit", "--no-video", "--intf", "dummy", "--rate=30",
               "--run-time=0.3", "--no-metadata-network-access", "--album-art=0", "--no-media-library",
               "-vv", str(playlist)]
    if os.geteuid() == 0:  # VLC refuses to run as root; CI containers often are root
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv to drop to an ordinary user for VLC")
        command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    return command


@pytest.mark.skipif(CVLC is None, reason="cvlc not installed (Debian package vlc-bin)")
@pytest.mark.parametrize("playlist", PLAYLISTS, ids=[p.name for p in PLAYLISTS])
def test_cvlc_plays_every_entry_of_the_shipped_playlist_and_exits_0(playlist: Path) -> None:
    home = Path(tempfile.mkdtemp(prefix="kaproom-vlc-home-"))
    os.chmod(home, 0o777)
    try:
        done = subprocess.run(cvlc_command(playlist), capture_output=True, text=True, errors="replace",
                              timeout=60, env={**os.environ, "HOME": str(home)})
    finally:
        shutil.rmtree(home, ignore_errors=True)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-2000:]
    opened = [line for line in log.splitlines() if ".ogg' successfully opened" in line]
    ours = read_playlist(playlist).entries
    assert len(opened) == len(ours), log[-3000:]
    for entry in ours:
        assert any(entry.path.as_uri() in line for line in opened), f"VLC did not open {entry.path}"
    assert "main input error" not in log
    assert log.count('using audio decoder module "vorbis"') == len(ours)
