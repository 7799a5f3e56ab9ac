"""Per-phase playlists built from the library: saved as standard XSPF in the data folder's
playlists/ with KAP Room's facts in extension elements, read back by KAP Room with those facts,
opened by VLC itself, and shown as the session would play them (length against the phase's,
repeat or silence)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaproom.cli.main import main
from kaproom.domain.music import MusicPreferences, TrackFacts
from kaproom.domain.protocol import builtin_protocol
from kaproom.playback.playlists import Entry, open_phase_playlist, read_playlist, write_xspf
from kaproom.services.music_library import MusicLibrary
from kaproom.services.music_playlists import REPEATS, SILENCE, find_phase, phase_plan, save_phase_playlist
from kaproom.services.paths import ASSETS_DIR
from kaproom.services.workspace import Workspace
from tests._music_library_helpers import tone

CVLC = shutil.which("cvlc")


def _library(workspace: Workspace, folder: Path, count: int = 3, seconds: float = 2.0) -> list[int]:
    for n in range(count):
        tone(folder / f"track {n + 1}.wav", seconds=seconds, freq=300 + 70 * n)
    MusicLibrary(workspace.store).import_folder(folder)
    return [t.id for t in sorted(MusicLibrary(workspace.store).all(), key=lambda t: t.title)]


def test_a_built_playlist_is_xspf_that_keeps_our_facts_and_the_order(tmp_path: Path, workspace: Workspace) -> None:
    ids = _library(workspace, tmp_path / "music")
    tracks = MusicLibrary(workspace.store).tracks
    tracks.set_facts(ids[2], lyrics="sung", language="de", intensity=4, note="Rilke, sung")
    protocol = builtin_protocol("lozenge-3h")
    deep = find_phase(protocol, "deep")
    saved = save_phase_playlist(workspace.store, workspace.playlists_dir, protocol, deep, [ids[2], ids[0]])

    assert saved == workspace.playlists_dir / "deep.xspf"
    text = saved.read_text(encoding="utf-8")
    assert 'xmlns="http://xspf.org/ns/0/"' in text and '<extension application="urn:x-kaproom:track:1">' in text
    played = open_phase_playlist(deep.playlist, workspace.playlists_dir, ASSETS_DIR)  # the phase now plays it
    assert played.name == "deep.m3u8" and played.path == saved
    assert [e.display_title for e in played.entries] == ["track 3", "track 1"]
    third = played.entries[0].facts
    assert third is not None and (third.lyrics, third.language, third.intensity, third.note) == ("sung", "de", 4,
                                                                                                 "Rilke, sung")
    assert third.loudness == pytest.approx(tracks.get(ids[2]).loudness, abs=0.01)
    assert played.entries[0].duration == pytest.approx(2.0, abs=0.01)


def test_the_phase_plan_says_repeat_or_silence(tmp_path: Path, workspace: Workspace) -> None:
    ids = _library(workspace, tmp_path / "music")
    MusicLibrary(workspace.store).tracks.set_facts(ids[0], lyrics="sung", language="en")
    protocol = builtin_protocol("short-check")
    deep = find_phase(protocol, "Deep")
    save_phase_playlist(workspace.store, workspace.playlists_dir, protocol, deep, ids)

    plan = phase_plan(workspace.store, workspace.playlists_dir, protocol, deep)
    assert plan.outcome == REPEATS and plan.music_seconds == pytest.approx(6.0, abs=0.1)
    assert "6 s of music for a 3 min phase" in plan.summary() and "repeats" in plan.summary()

    english = phase_plan(workspace.store, workspace.playlists_dir, protocol, deep,
                         MusicPreferences(no_sung_languages=("en",)))
    assert [t.skipped for t in english.tracks] == ["sung words", None, None]
    nothing = phase_plan(workspace.store, workspace.playlists_dir, protocol, deep,
                         MusicPreferences(no_sung_languages=("en",), avoid=("track 2", "track 3")))
    assert nothing.outcome == SILENCE and "will be silent" in nothing.summary()


def test_music_playlist_command(tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture) -> None:
    with Workspace(data_dir) as workspace:
        ids = _library(workspace, tmp_path / "music")
    assert main(["music", "playlist", "short-check", "deep", "--set", str(ids[1]), str(ids[0]), "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert [t["title"] for t in plan["tracks"]] == ["track 2", "track 1"] and plan["outcome"] == "repeat"
    assert plan["phase_seconds"] == 180 and plan["path"].endswith("deep.xspf")
    assert main(["music", "playlist", "short-check", "deep", "--avoid", "track 2"]) == 0
    out = capsys.readouterr().out
    assert "SKIPPED (avoided) track 2" in out and "for a 3 min phase" in out
    assert main(["music", "playlist", "short-check", "arrival"]) == 0  # the bundled list: outside the library
    out = capsys.readouterr().out
    assert "not in the library" in out and "arrival.m3u8" in out
    assert main(["music", "playlist", "short-check", "nowhere"]) == 2
    assert "no phase 'nowhere'" in capsys.readouterr().err


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=_TEXT, note=_TEXT, language=_TEXT)
def test_any_title_or_note_gives_a_playlist_kaproom_reads_back(tmp_path: Path, title: str, note: str,
                                                               language: str) -> None:
    music = tmp_path / "m"
    music.mkdir(exist_ok=True)
    (music / "a b#%?.ogg").write_bytes(b"OggS")
    entry = Entry(music / "a b#%?.ogg", title, 61.5, facts=TrackFacts(-20.5, "sung", language, 3, note))
    path = write_xspf(tmp_path / "p.xspf", [entry], title=title)
    back = read_playlist(path).entries
    assert len(back) == 1 and back[0].path == entry.path and back[0].duration == pytest.approx(61.5)
    facts = back[0].facts
    assert facts is not None and facts.intensity == 3 and facts.loudness == pytest.approx(-20.5)


@pytest.mark.vlc
@pytest.mark.slow
@pytest.mark.skipif(CVLC is None, reason="cvlc not installed (Debian package vlc-bin)")
def test_vlc_itself_opens_and_plays_every_track_of_a_saved_playlist(workspace: Workspace) -> None:
    shared = Path(tempfile.mkdtemp(prefix="kaproom-vlc-"))  # readable by the unprivileged user VLC runs as
    try:
        os.chmod(shared, 0o755)
        ids = _library(workspace, shared / "music library", seconds=1.0)
        protocol = builtin_protocol("short-check")
        saved = save_phase_playlist(workspace.store, workspace.playlists_dir, protocol, find_phase(protocol, "deep"),
                                    ids)
        copy = shared / "deep.xspf"
        shutil.copy(saved, copy)
        for path in [copy, *(shared / "music library").iterdir()]:
            os.chmod(path, 0o644)
        os.chmod(shared / "music library", 0o755)
        command = [CVLC, "--aout=dummy", "--play-and-exit", "--no-video", "--intf", "dummy", "--rate=30",
                   "--no-metadata-network-access", "--album-art=0", "--no-media-library", "-vv", str(copy)]
        if os.geteuid() == 0:  # VLC refuses to run as root
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                pytest.skip("running as root without setpriv to drop to an ordinary user for VLC")
            command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        done = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=60,
                              env={**os.environ, "HOME": str(shared)})
        log = done.stdout + done.stderr
        assert done.returncode == 0, log[-2000:]
        opened = [line for line in log.splitlines() if ".wav' successfully opened" in line]
        assert len(opened) == 3, log[-3000:]
        for n in (1, 2, 3):
            assert any(f"track {n}.wav" in line or f"track%20{n}.wav" in line for line in opened)
    finally:
        shutil.rmtree(shared, ignore_errors=True)
