"""Music on the real libvlc (dummy audio output, no sound card): the bundled tracks play and
advance at their end, a phase change crossfades with both players sounding during the fade, the
ceiling holds, duck/restore work, missing and undecodable files are skipped and logged, player
events reach the director on the main thread, and a dead audio output gives a banner.

Playback runs in real time here; fades run on the session's FakeClock."""
from __future__ import annotations

import threading

import pytest
from PySide6.QtWidgets import QLabel, QPushButton

from kaproom.playback import PlaybackUnavailable
from kaproom.playback.vlc_player import VlcBackend, VlcPlayer, shared_backend
from kaproom.services.paths import ASSETS_DIR
from kaproom.ui.music import strip as music_strip
from tests._music_helpers import StandInController, StandInRoom, actions, music_events

pytestmark = [pytest.mark.vlc]
WAIT_MS = 20000  # generous: a loaded CI machine; passing runs take about a second each


class RecordingVlcPlayer(VlcPlayer):
    """A real libvlc player that remembers every volume it was given (dummy output reports none)."""

    def __init__(self, backend: VlcBackend, name: str) -> None:
        super().__init__(backend, name)
        self.volumes: list[int] = []

    def set_volume(self, volume: int) -> None:
        self.volumes.append(int(volume))
        super().set_volume(volume)


@pytest.fixture(scope="module")
def backend() -> VlcBackend:
    try:
        return shared_backend()
    except PlaybackUnavailable as exc:  # pragma: no cover - ./run installs libvlc
        pytest.skip(str(exc))


@pytest.fixture
def session(workspace, protocol):
    return workspace.new_session(protocol, "C-0007", "Dr Vlc", "Room 1")


def open_room(qtbot, workspace, runner, backend):
    made: list[RecordingVlcPlayer] = []

    def factory():
        made.extend([RecordingVlcPlayer(backend, "vlc-a"), RecordingVlcPlayer(backend, "vlc-b")])
        return made

    room = StandInRoom(StandInController(workspace, runner))
    qtbot.addWidget(room)
    strip = music_strip.install(room, factory)
    room.show()
    return room, strip, made


def started_titles(workspace, runner) -> list[str]:
    return [e["title"] for e in music_events(workspace, runner) if e["action"] == "track_started"]


def test_bundled_tracks_play_and_the_next_starts_at_track_end(qtbot, workspace, session, backend) -> None:
    room, strip, players = open_room(qtbot, workspace, session, backend)
    first = players[0]
    qtbot.waitUntil(first.is_playing, timeout=WAIT_MS)
    seen_on: list[str] = []
    handler = strip.director.on_player_event
    strip.director.on_player_event = lambda event: (seen_on.append(threading.current_thread().name), handler(event))
    first.seek(0.985)  # the last second and a half of "Open Door"
    qtbot.waitUntil(lambda: started_titles(workspace, session) == ["Open Door", "Morning Room"], timeout=WAIT_MS)
    qtbot.waitUntil(first.is_playing, timeout=WAIT_MS)
    assert first.position() < 0.5
    assert seen_on == [threading.main_thread().name], "libvlc's end event was handled on the main thread"
    assert strip.findChild(QLabel, "musicTrack").text() == "Playing: Morning Room"
    ended = [e for e in music_events(workspace, session) if e["action"] == "track_ended"]
    assert ended and ended[0]["title"] == "Open Door" and ended[0]["playlist"] == "arrival.m3u8"


def test_phase_change_crossfade_with_two_real_players(qtbot, workspace, session, backend, clock) -> None:
    room, strip, (one, two) = open_room(qtbot, workspace, session, backend)
    clock.advance(9)
    qtbot.waitUntil(lambda: one.is_playing() and one.volume == 50, timeout=WAIT_MS)
    session.advance("ready to dose")
    qtbot.waitUntil(two.is_playing, timeout=WAIT_MS)
    clock.advance(3)  # halfway through the 6 s crossfade
    qtbot.waitUntil(lambda: 20 <= two.volume <= 30 and 20 <= one.volume <= 30, timeout=WAIT_MS)
    assert one.is_playing() and two.is_playing(), "both players sound during the fade"
    assert len(strip.director.audible_decks()) == 2
    clock.advance(3.1)
    qtbot.waitUntil(lambda: not one.is_playing(), timeout=WAIT_MS)
    assert two.is_playing() and two.volume == 50 and one.volume == 0
    events = music_events(workspace, session)
    crossfade = next(e for e in events if e["action"] == "crossfade")
    assert crossfade["playlist"] == "settling.m3u8" and crossfade["volume"] == 50
    assert events[-1] == {"action": "volume", "playlist": "settling.m3u8", "volume": 50,
                          "message": "crossfade finished; arrival.m3u8 stopped"}
    assert started_titles(workspace, session) == ["Open Door", "Settling Low"]


def test_ceiling_holds_and_duck_restore_on_real_players(qtbot, workspace, session, backend, clock) -> None:
    room, strip, (one, two) = open_room(qtbot, workspace, session, backend)
    qtbot.waitUntil(one.is_playing, timeout=WAIT_MS)
    strip.level.setValue(100)
    strip.director.set_level(100)  # as if asked for more than the clinic allows
    clock.advance(9)
    qtbot.waitUntil(lambda: one.volume == 70, timeout=WAIT_MS)
    strip.director.toggle_duck()
    clock.advance(1.1)
    qtbot.waitUntil(lambda: one.volume == 15, timeout=WAIT_MS)
    assert one.is_playing(), "ducked music still plays, only quieter"
    strip.director.toggle_duck()
    clock.advance(1.1)
    qtbot.waitUntil(lambda: one.volume == 70, timeout=WAIT_MS)
    assert max(one.volumes + two.volumes) == 70
    logged = [(e["action"], e.get("volume")) for e in music_events(workspace, session) if e["action"] in ("duck", "restore")]
    assert logged == [("duck", 15), ("restore", 70)]


def test_missing_and_undecodable_files_are_skipped_and_logged(qtbot, workspace, session, backend, tmp_path) -> None:
    junk = tmp_path / "broken.ogg"
    junk.write_bytes(b"this is not audio" * 100)  # VLC "plays" it to its end at once, silently
    garbage = tmp_path / "garbage.ogg"
    garbage.write_bytes(b"garbage\n")  # VLC reports an error
    music = ASSETS_DIR / "music" / "arrival"
    workspace.playlists_dir.mkdir()
    (workspace.playlists_dir / "arrival.m3u8").write_text(
        f"#EXTM3U\n#EXTINF:1,Broken\n{junk}\n#EXTINF:1,Garbage\n{garbage}\n#EXTINF:100,Open Door\n{music / 'open-door.ogg'}\n"
        f"#EXTINF:1,Gone\n{tmp_path / 'gone.ogg'}\n#EXTINF:80,First Breath\n{music / 'first-breath.ogg'}\n",
        encoding="utf-8")
    room, strip, (one, _two) = open_room(qtbot, workspace, session, backend)
    qtbot.waitUntil(lambda: started_titles(workspace, session)[-1:] == ["Open Door"], timeout=WAIT_MS)
    qtbot.waitUntil(one.is_playing, timeout=WAIT_MS)
    assert any("gone.ogg" in text for _level, text in room.statuses), "the therapist is told which entry is missing"
    one.seek(0.985)
    qtbot.waitUntil(lambda: started_titles(workspace, session)[-1:] == ["First Breath"], timeout=WAIT_MS)
    qtbot.waitUntil(one.is_playing, timeout=WAIT_MS)
    errors = [e for e in music_events(workspace, session) if e["action"] == "error"]
    assert [e["title"] for e in errors] == ["Broken", "Garbage", "Gone"]
    for error in errors[:2]:
        assert error["message"] in ("VLC found no audio in this file; skipped", "VLC could not play this file; skipped")
    assert "track_ended" not in [e["action"] for e in music_events(workspace, session)][:5]
    assert errors[2]["message"].startswith("file not found, skipped (line 9 of")
    assert workspace.store.session(session.session_uid).music_errors == 3


def test_an_audio_output_that_plays_nothing_gives_a_banner(qtbot, workspace, session, monkeypatch) -> None:
    monkeypatch.setattr(music_strip, "OUTPUT_CHECK_MS", 300)
    silent = VlcBackend(output="none")  # libvlc decodes, but no output takes the sound

    room = StandInRoom(StandInController(workspace, session))
    qtbot.addWidget(room)
    music_strip.install(room, lambda: [silent.player("dead-1"), silent.player("dead-2")])
    room.show()
    qtbot.waitUntil(lambda: bool(room.banners), timeout=WAIT_MS)
    assert "audio device is not playing" in room.banners[0].text()
    assert actions(workspace, session)[-1] == "unavailable"
    session.advance()
    session.note("Session continues without music.")
    qtbot.wait(100)
    assert actions(workspace, session)[-1] == "unavailable"


def test_try_music_again_on_a_working_output_brings_the_music_back(qtbot, workspace, session, backend,
                                                                  monkeypatch) -> None:
    """The sound went nowhere; the therapist fixes the speakers and presses "Try music again"."""
    monkeypatch.setattr(music_strip, "OUTPUT_CHECK_MS", 300)
    silent = VlcBackend(output="none")
    outputs = [silent, backend]  # first the dead output, then the working (dummy) one
    made: list = []

    def factory():
        chosen = outputs.pop(0)
        made[:] = [chosen.player("vlc-x"), chosen.player("vlc-y")]
        return list(made)

    room = StandInRoom(StandInController(workspace, session))
    qtbot.addWidget(room)
    strip = music_strip.install(room, factory)
    room.show()
    qtbot.waitUntil(lambda: bool(room.banners) and room.banners[0].isVisible(), timeout=WAIT_MS)
    retry = strip.findChild(QPushButton, "musicRetry")
    assert retry.isVisible()
    retry.click()
    qtbot.waitUntil(lambda: made[0].is_playing(), timeout=WAIT_MS)
    assert not room.banners[0].isVisible()
    qtbot.wait(1000)  # three output checks at 300 ms: the sound now plays, no banner comes back
    assert not room.banners[0].isVisible() and made[0].output_problem() is None
    said = [a for a in actions(workspace, session) if a in ("track_started", "unavailable", "retry")]
    assert said == ["track_started", "unavailable", "retry", "track_started"]


def test_music_plays_on_a_libvlc_without_the_light_resampler(tmp_path):
    """KAP Room asks libvlc for speex's resampler (the lightest); a libvlc built without it still plays."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    system = next((p for p in (Path("/usr/lib/x86_64-linux-gnu/vlc/plugins"), Path("/usr/lib/vlc/plugins"))
                   if p.is_dir()), None)
    if system is None:  # pragma: no cover - ./run installs Debian's libvlc
        pytest.skip("no system libvlc plugin folder")
    plugins = tmp_path / "plugins"
    for plugin in system.rglob("*.so"):
        if "speex_resampler" in plugin.name:
            continue
        link = plugins / plugin.relative_to(system)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(plugin)
    track = next((ASSETS_DIR / "music" / "deep").glob("*.ogg"))
    code = ("import sys, time, vlc; from kaproom.playback.vlc_player import instance_options; "
            "inst = vlc.Instance(instance_options('dummy')); p = inst.media_player_new(); "
            f"p.set_media(inst.media_new({str(track)!r})); p.play(); end = time.monotonic() + 15\n"
            "while p.get_time() < 500 and time.monotonic() < end: time.sleep(0.05)\n"
            "print(p.get_state(), p.get_time())")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "VLC_PLUGIN_PATH": str(plugins)})
    state, played = result.stdout.split()
    assert state == "State.Playing" and int(played) >= 500, result.stderr[-2000:]
