"""The music strip in a room screen, with fake players: it follows the session's phases, answers
the shortcuts and buttons, logs into the session record, survives a restart and a missing libvlc."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton

from kaproom.domain.session import State
from kaproom.playback import NO_LIBVLC, PlaybackUnavailable
from kaproom.playback.fake_player import FakePlayer
from kaproom.ui.music import strip as music_strip
from tests._music_helpers import StandInController, StandInRoom, actions, music_events
from tests._room_helpers import activate


class FakeFactory:
    def __init__(self) -> None:
        self.made: list[FakePlayer] = []

    def __call__(self) -> list[FakePlayer]:
        self.made = [FakePlayer("fake-1"), FakePlayer("fake-2")]
        return self.made

    def playing(self) -> list[FakePlayer]:
        return [p for p in self.made if p.is_playing()]


def open_room(qtbot, workspace, runner, factory):
    room = StandInRoom(StandInController(workspace, runner))
    qtbot.addWidget(room)
    strip = music_strip.install(room, factory)
    room.show()
    return room, strip


@pytest.fixture
def session(workspace, protocol):
    return workspace.new_session(protocol, "C-0042", "Dr Ada", "Room 2", intention="Be curious.")


def text(strip, name: str) -> str:
    return strip.findChild(QLabel, name).text()


def test_strip_shows_track_playlist_volume_and_ceiling_and_offers_shortcuts(qtbot, workspace, session, clock) -> None:
    factory = FakeFactory()
    room, strip = open_room(qtbot, workspace, session, factory)
    assert strip.objectName() == "musicStrip"
    assert factory.made[0].is_playing() and factory.made[0].path.name == "open-door.ogg"
    assert text(strip, "musicTrack") == "Playing: Open Door"
    assert text(strip, "musicPlaylist") == "Playlist: arrival.m3u8"
    assert text(strip, "musicVolume") == "Volume 50 (max 70)"
    assert set(room.shortcuts) == {"Ctrl+D", "Ctrl+Right", "Ctrl+Left", "Ctrl+Space", "Ctrl+Up", "Ctrl+Down",
                                   "Ctrl+Shift+Up", "Ctrl+Shift+Down"}
    clock.advance(8.1)
    qtbot.waitUntil(lambda: factory.made[0].volume == 50, timeout=3000)
    assert actions(workspace, session) == ["track_started", "fade_in", "volume"]


def test_phase_change_crossfades_to_the_next_playlist_and_is_logged(qtbot, workspace, session, clock) -> None:
    factory = FakeFactory()
    room, strip = open_room(qtbot, workspace, session, factory)
    clock.advance(9)
    qtbot.waitUntil(lambda: factory.made[0].volume == 50, timeout=3000)
    session.advance("client ready")  # to Dosing: settling.m3u8
    qtbot.waitUntil(lambda: factory.made[1].is_playing(), timeout=3000)
    clock.advance(3)
    qtbot.waitUntil(lambda: factory.made[1].volume >= 20, timeout=3000)
    assert len(factory.playing()) == 2 and factory.made[0].volume > 0
    clock.advance(3.1)
    qtbot.waitUntil(lambda: factory.playing() == [factory.made[1]], timeout=3000)
    assert text(strip, "musicPlaylist") == "Playlist: settling.m3u8"
    assert text(strip, "musicTrack") == "Playing: Settling Low"
    events = music_events(workspace, session)
    assert [e["action"] for e in events][-3:] == ["crossfade", "track_started", "volume"]
    assert events[-1]["message"] == "crossfade finished; arrival.m3u8 stopped"


def test_duck_shortcut_and_buttons(qtbot, workspace, session, clock) -> None:
    factory = FakeFactory()
    room, strip = open_room(qtbot, workspace, session, factory)
    clock.advance(9)
    qtbot.waitUntil(lambda: factory.made[0].volume == 50, timeout=3000)
    activate(qtbot, room)
    qtbot.keyClick(room, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    clock.advance(1.1)
    qtbot.waitUntil(lambda: factory.made[0].volume == 15, timeout=3000)
    assert text(strip, "musicDuckState") == "Ducked to 15"
    assert strip.findChild(QPushButton, "musicDuck").text() == "Restore"
    qtbot.mouseClick(strip.findChild(QPushButton, "musicDuck"), Qt.MouseButton.LeftButton)
    clock.advance(1.1)
    qtbot.waitUntil(lambda: factory.made[0].volume == 50, timeout=3000)
    assert text(strip, "musicDuckState") == ""
    qtbot.keyClick(room, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert text(strip, "musicTrack") == "Playing: Morning Room"
    qtbot.mouseClick(strip.findChild(QPushButton, "musicPrevious"), Qt.MouseButton.LeftButton)
    assert text(strip, "musicTrack") == "Playing: Open Door"
    qtbot.keyClick(room, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
    assert text(strip, "musicTrack") == "Paused: Open Door" and factory.playing() == []
    qtbot.mouseClick(strip.findChild(QPushButton, "musicPause"), Qt.MouseButton.LeftButton)
    assert factory.made[0].is_playing()
    assert actions(workspace, session)[3:] == ["duck", "restore", "skip", "track_started", "previous",
                                               "track_started", "pause", "resume"]


def test_the_level_slider_stays_under_the_ceiling(qtbot, workspace, session, clock) -> None:
    factory = FakeFactory()
    room, strip = open_room(qtbot, workspace, session, factory)
    slider = strip.level
    assert slider.maximum() == 70
    slider.setValue(100)  # clamped by the slider itself
    slider.triggerAction(slider.SliderAction.SliderToMaximum)
    clock.advance(9)
    qtbot.waitUntil(lambda: factory.made[0].volume == 70, timeout=3000)
    assert max(factory.made[0].volumes) == 70
    assert text(strip, "musicVolume") == "Volume 70 (max 70)"


def test_session_end_fades_the_music_out(qtbot, workspace, session, clock) -> None:
    factory = FakeFactory()
    room, strip = open_room(qtbot, workspace, session, factory)
    clock.advance(9)
    session.end(State.ENDED_EARLY, "client asked to stop")
    qtbot.waitUntil(lambda: "fade_out" in actions(workspace, session), timeout=3000)
    assert factory.made[0].is_playing()
    clock.advance(10.1)
    qtbot.waitUntil(lambda: factory.playing() == [], timeout=3000)
    assert actions(workspace, session)[-2:] == ["fade_out", "volume"]
    assert text(strip, "musicTrack") == "Music: stopped"
    assert not strip.findChild(QPushButton, "musicNext").isEnabled()


def test_after_a_crash_music_resumes_in_the_phase_playlist_at_the_recorded_track(qtbot, workspace, session, clock) -> None:
    factory = FakeFactory()
    room, strip = open_room(qtbot, workspace, session, factory)
    session.advance()
    session.advance()  # onset.xspf
    qtbot.waitUntil(lambda: text(strip, "musicPlaylist") == "Playlist: onset.xspf", timeout=3000)
    strip.director.next()
    assert text(strip, "musicTrack") == "Playing: Long Horizon"
    # The app dies here (no goodbye); the next start resumes the stored session.
    clock.advance(120)
    row = workspace.store.session(session.session_uid)
    resumed = workspace.resume(row)
    resumed.mark_resumed()
    factory2 = FakeFactory()
    room2, strip2 = open_room(qtbot, workspace, resumed, factory2)
    player = factory2.made[0]
    assert player.is_playing() and player.path.name == "long-horizon.ogg" and player.volume == 0
    last = music_events(workspace, resumed)[-2:]
    assert [e["action"] for e in last] == ["track_started", "fade_in"]
    assert last[1]["message"] == "over 8 s, resuming after a restart"
    clock.advance(8.1)
    qtbot.waitUntil(lambda: player.volume == 50, timeout=3000)


def test_no_libvlc_shows_a_banner_and_the_session_goes_on(qtbot, workspace, session) -> None:
    def no_vlc():
        raise PlaybackUnavailable(NO_LIBVLC)

    room, strip = open_room(qtbot, workspace, session, no_vlc)
    assert [b.text() for b in room.banners] == [NO_LIBVLC]
    assert "libvlc5 and vlc-plugin-base" in room.banners[0].text()
    assert text(strip, "musicTrack") == "Music is off"
    assert actions(workspace, session) == ["unavailable"]
    qtbot.keyClick(room, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    session.advance()  # nothing crashes when phases change without music
    session.note("Settled.")
    qtbot.wait(50)
    assert actions(workspace, session) == ["unavailable"]


def test_python_vlc_exiting_on_a_missing_library_is_caught() -> None:
    """python-vlc calls sys.exit() when PYTHON_VLC_LIB_PATH is wrong; KAP Room must carry on."""
    code = ("from kaproom.playback import create_players, PlaybackUnavailable\n"
            "try:\n    create_players()\nexcept PlaybackUnavailable as exc:\n    print('OFF:', exc)\n")
    env = {**os.environ, "PYTHON_VLC_LIB_PATH": "/nonexistent/libvlc.so.5"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "OFF: Music is off: libvlc is not installed" in done.stdout


def test_closing_the_room_stops_and_releases_the_players(qtbot, workspace, session) -> None:
    factory = FakeFactory()
    room, strip = open_room(qtbot, workspace, session, factory)
    room.close()
    qtbot.waitUntil(lambda: all(p.released for p in factory.made), timeout=3000)
    assert factory.playing() == []
    assert music_events(workspace, session)[-1]["message"] == "music stopped (room screen closed)"


def test_an_ended_session_opens_without_music(qtbot, workspace, session) -> None:
    session.end(State.ENDED_EARLY, "test")
    factory = FakeFactory()
    room, strip = open_room(qtbot, workspace, session, factory)
    assert factory.made == [] and text(strip, "musicTrack") == "Music is off"


def test_bridge_delivers_events_from_another_thread_on_the_main_thread(qtbot) -> None:
    import threading

    from kaproom.playback.player import PlayerEvent
    from kaproom.ui.music.bridge import PlayerEventBridge

    received: list[tuple[str, PlayerEvent]] = []
    bridge = PlayerEventBridge(lambda event: received.append((threading.current_thread().name, event)))
    worker = threading.Thread(target=lambda: bridge.post(PlayerEvent("vlc-1", 3, "ended")), name="libvlc-like")
    worker.start()
    worker.join()
    assert received == [], "never handled on the posting thread"
    qtbot.waitUntil(lambda: bool(received), timeout=3000)
    assert received == [(threading.main_thread().name, PlayerEvent("vlc-1", 3, "ended"))]
    bridge.close()
    bridge.post(PlayerEvent("vlc-1", 4, "ended"))
    qtbot.wait(50)
    assert len(received) == 1


class SilentFakePlayer(FakePlayer):
    """Plays, but the sound goes nowhere until ``plugged_in`` (as libvlc reports unplugged speakers)."""

    plugged_in = False

    def output_problem(self) -> str | None:
        return None if self.plugged_in else "Music is off: the audio device is not playing."


def test_try_music_again_brings_the_phase_music_back_after_the_speakers_are_plugged_in(
        qtbot, workspace, session, monkeypatch) -> None:
    monkeypatch.setattr(music_strip, "OUTPUT_CHECK_MS", 20)
    made: list[list[FakePlayer]] = []

    def factory() -> list[FakePlayer]:
        made.append([SilentFakePlayer(f"fake-{len(made)}-a"), SilentFakePlayer(f"fake-{len(made)}-b")])
        return made[-1]

    room, strip = open_room(qtbot, workspace, session, factory)
    retry = strip.findChild(QPushButton, "musicRetry")
    assert not retry.isVisible()  # nothing to retry while the music plays
    qtbot.waitUntil(lambda: bool(room.banners) and room.banners[0].isVisible(), timeout=3000)
    assert text(strip, "musicTrack") == "Music is off" and retry.isVisible()
    assert not any(p.is_playing() for p in made[0])
    monkeypatch.setattr(SilentFakePlayer, "plugged_in", True)
    qtbot.mouseClick(retry, Qt.MouseButton.LeftButton)
    assert not room.banners[0].isVisible() and not retry.isVisible()
    assert all(p.released for p in made[0]) and len(made) == 2  # the old players freed, new ones made
    assert made[1][0].is_playing() and made[1][0].path.name == "open-door.ogg"  # the phase's track again
    assert text(strip, "musicTrack") == "Playing: Open Door"
    said = [a for a in actions(workspace, session) if a in ("track_started", "unavailable", "retry")]
    assert said == ["track_started", "unavailable", "retry", "track_started"]
    qtbot.wait(100)  # the output checks go on, and now find the sound playing
    assert not room.banners[0].isVisible()
    qtbot.mouseClick(strip.findChild(QPushButton, "musicDuck"), Qt.MouseButton.LeftButton)
    assert "duck" in actions(workspace, session)  # the buttons drive the new players
    assert made[1][0].volume < 50


def test_try_music_again_when_it_still_cannot_play_shows_the_banner_again(qtbot, workspace, session) -> None:
    def no_vlc():
        raise PlaybackUnavailable(NO_LIBVLC)

    room, strip = open_room(qtbot, workspace, session, no_vlc)
    retry = strip.findChild(QPushButton, "musicRetry")
    qtbot.mouseClick(retry, Qt.MouseButton.LeftButton)
    assert [b.isVisible() for b in room.banners] == [True]  # one banner, shown again, not a second one
    assert retry.isVisible() and text(strip, "musicTrack") == "Music is off"
    assert actions(workspace, session) == ["unavailable", "retry", "unavailable"]


def test_long_track_and_playlist_names_are_shortened_so_the_strip_fits_a_small_screen(qtbot) -> None:
    from types import SimpleNamespace
    title = "Variations on a theme for strings, piano and slow breathing, movement two (extended)"
    playlist = "clinic-deep-phase-strings-and-piano-long-form-winter-2026.m3u8"
    director = SimpleNamespace(listeners=[], ceiling=70, finished=False, paused=False, started=True, wanted=playlist,
                               track=SimpleNamespace(display_title=title, path="/music/track.ogg"),
                               playlist_name=playlist, level=50.0, ducked=True, target_volume=20)
    strip = music_strip.MusicStrip()
    qtbot.addWidget(strip)
    strip.attach(director)
    assert text(strip, "musicTrack").endswith("\u2026") and text(strip, "musicPlaylist").endswith("\u2026")
    assert strip.findChild(QLabel, "musicPlaylist").toolTip() == playlist  # the whole name is a hover away
    assert strip.minimumSizeHint().width() <= 1366 - 60  # inside the room's margins on a 1366-wide screen
