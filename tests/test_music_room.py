"""The music strip inside the real room screen, on the real libvlc (dummy output): it replaces the
placeholder, plays the phase's playlist, follows a phase change, answers Ctrl+D while the cursor
is in the note field, lists its keys in the shortcut help, and goes quiet when the room closes."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from kaproom.ui.music.strip import MusicStrip
from kaproom.ui.room.controller import SessionController
from kaproom.ui.room.window import RoomWindow
from tests._music_helpers import actions, music_events
from tests._room_helpers import activate

pytestmark = [pytest.mark.vlc]
WAIT_MS = 20000


@pytest.fixture
def room(qtbot, workspace, protocol):
    runner = workspace.new_session(protocol, "C-0101", "Dr Room", "Room 3", intention="Rest.")
    window = RoomWindow(SessionController(workspace, runner))
    qtbot.addWidget(window)
    window.show()
    wait_for_music(qtbot, window)
    yield window
    window.close_now()


def wait_for_music(qtbot, window) -> None:
    """libvlc starts once the room has been painted (see the test just below)."""
    strip = window.findChild(MusicStrip, "musicStrip")
    qtbot.waitUntil(lambda: strip.music.director is not None or bool(strip.music.off_reason), timeout=WAIT_MS)


def test_the_room_is_on_screen_before_the_sound_system_starts(qtbot, workspace, protocol) -> None:
    runner = workspace.new_session(protocol, "C-0103", "Dr Room", "Room 3")
    window = RoomWindow(SessionController(workspace, runner))
    qtbot.addWidget(window)
    strip = window.findChild(MusicStrip, "musicStrip")
    assert strip.music.director is None and strip.music.players == []
    assert strip.findChild(QLabel, "musicTrack").text() == "Music: starting"
    window.show()
    qtbot.waitUntil(lambda: strip.music.director is not None, timeout=WAIT_MS)
    assert strip.findChild(QLabel, "musicTrack").text().startswith("Playing")
    hidden = RoomWindow(SessionController(workspace, workspace.new_session(protocol, "C-0104", "Dr Room")))
    qtbot.addWidget(hidden)  # never shown, never painted: its music starts all the same
    music = hidden.findChild(MusicStrip, "musicStrip").music
    qtbot.waitUntil(lambda: music.director is not None, timeout=WAIT_MS)
    window.close_now()
    hidden.close_now()


def test_the_room_plays_its_phase_music_and_the_strip_replaces_the_placeholder(qtbot, room, workspace, clock) -> None:
    strip = room.findChild(MusicStrip, "musicStrip")
    assert strip is not None and strip.music is not None and strip.music.director is not None
    assert not room.findChild(QLabel, "musicPlaceholder").isVisible()
    runner = room.controller.runner
    one, two = strip.music.players
    qtbot.waitUntil(one.is_playing, timeout=WAIT_MS)
    assert strip.findChild(QLabel, "musicTrack").text() == "Playing: Open Door"
    assert strip.findChild(QLabel, "musicVolume").text() == "Volume 50 (max 70)"
    keys = dict(room.shortcuts.rows())
    assert keys["Ctrl+D"].startswith("Duck the music") and "Ctrl+Space" in keys and "Ctrl+Right" in keys

    clock.advance(9)
    qtbot.waitUntil(lambda: one.volume == 50, timeout=WAIT_MS)
    room.controller.advance("ready")
    qtbot.waitUntil(two.is_playing, timeout=WAIT_MS)
    clock.advance(6.1)
    qtbot.waitUntil(lambda: not one.is_playing() and two.volume == 50, timeout=WAIT_MS)
    assert strip.findChild(QLabel, "musicPlaylist").text() == "Playlist: settling.m3u8"
    assert [e["title"] for e in music_events(workspace, runner) if e["action"] == "track_started"] == [
        "Open Door", "Settling Low"]


def typing_while_it_plays(qtbot, room, clock, note: str):
    """The strip and its first player once faded in to 50, with a note being typed in the room."""
    strip = room.findChild(MusicStrip, "musicStrip")
    one = strip.music.players[0]
    clock.advance(9)
    qtbot.waitUntil(lambda: one.is_playing() and one.volume == 50, timeout=WAIT_MS)
    activate(qtbot, room)
    room.note_input.setFocus()
    room.note_input.setText(note)
    return strip, one


def test_ctrl_d_ducks_from_the_note_field(qtbot, room, workspace, clock) -> None:
    strip, one = typing_while_it_plays(qtbot, room, clock, "Client is speaking")
    qtbot.keyClick(room.note_input, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    clock.advance(1.1)
    qtbot.waitUntil(lambda: one.volume == 15, timeout=WAIT_MS)
    assert room.note_input.text() == "Client is speaking", "the typed note is untouched"
    assert strip.findChild(QLabel, "musicDuckState").text() == "Ducked to 15"
    assert actions(workspace, room.controller.runner)[-1] == "duck"


def test_ctrl_up_and_down_change_the_volume_from_the_note_field(qtbot, room, workspace, clock) -> None:
    strip, one = typing_while_it_plays(qtbot, room, clock, "Asked for it quieter")
    qtbot.keyClick(room.note_input, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    clock.advance(0.6)
    qtbot.waitUntil(lambda: one.volume == 45, timeout=WAIT_MS)
    assert strip.findChild(QLabel, "musicVolume").text() == "Volume 45 (max 70)"
    assert room.note_input.text() == "Asked for it quieter", "the typed note is untouched"
    assert music_events(workspace, room.controller.runner)[-1]["volume"] == 45
    for _ in range(6):
        qtbot.keyClick(room.note_input, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    clock.advance(0.6)
    qtbot.waitUntil(lambda: one.volume == 70, timeout=WAIT_MS)
    assert room.status.text() == "The music is already at the clinic's ceiling, 70."
    qtbot.keyClick(room.note_input, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(room.note_input, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert room.status.text() == "Music volume 65 once restored; it is ducked now (Ctrl+D restores it)."
    assert strip.findChild(QLabel, "musicDuckState").text() == "Ducked to 15"
    keys = dict(room.shortcuts.rows())
    assert keys["Ctrl+Up"].startswith("Music louder") and keys["Ctrl+Down"] == "Music softer"


def test_a_room_closed_after_the_end_frees_its_players_at_once(qtbot, room, workspace) -> None:
    """Ctrl+W after the end closes the room and the app deletes it straight after: the players are
    let go during the close itself, not on a later turn of the event loop that would never come."""
    from kaproom.domain.session import State
    strip = room.findChild(MusicStrip, "musicStrip")
    players = list(strip.music.players)
    qtbot.waitUntil(players[0].is_playing, timeout=WAIT_MS)
    room.controller.runner.end(State.ENDED_EARLY, reason="client asked to stop")
    room.close_now()
    assert strip.music._closed and all(p._released for p in players)


def test_closing_the_room_silences_the_music(qtbot, room, workspace) -> None:
    strip = room.findChild(MusicStrip, "musicStrip")
    players = list(strip.music.players)
    qtbot.waitUntil(players[0].is_playing, timeout=WAIT_MS)
    room.close_now()
    qtbot.waitUntil(lambda: strip.music._closed, timeout=WAIT_MS)
    assert all(p._released for p in players), "players are stopped and handed back to libvlc"
    assert music_events(workspace, room.controller.runner)[-1]["message"] == "music stopped (room screen closed)"


def test_the_fade_timer_runs_only_while_the_music_fades(qtbot, room, clock) -> None:
    """An idle room does not wake twenty times a second for music whose volume is not changing."""
    music = room.findChild(MusicStrip, "musicStrip").music
    one = music.players[0]
    qtbot.waitUntil(lambda: one.is_playing() and music.fade_timer.isActive(), timeout=WAIT_MS)  # fading in
    clock.advance(9)
    qtbot.waitUntil(lambda: one.volume == 50 and not music.fade_timer.isActive(), timeout=WAIT_MS)
    music.director.toggle_duck()
    assert music.fade_timer.isActive()
    clock.advance(1.1)
    qtbot.waitUntil(lambda: one.volume == 15 and not music.fade_timer.isActive(), timeout=WAIT_MS)


def test_music_paused_before_a_crash_is_still_paused_when_the_room_comes_back(qtbot, workspace, protocol) -> None:
    from kaproom.domain.events import Kind
    runner = workspace.new_session(protocol, "C-0102", "Dr Room", "Room 3")
    runner.record(Kind.MUSIC, {"action": "track_started", "title": "Open Door", "playlist": "arrival.m3u8"})
    runner.record(Kind.MUSIC, {"action": "pause", "title": "Open Door", "playlist": "arrival.m3u8"})
    resumed = workspace.resume(workspace.store.session(runner.session_uid))  # as after the app was killed
    window = RoomWindow(SessionController(workspace, resumed))
    qtbot.addWidget(window)
    window.show()
    wait_for_music(qtbot, window)
    try:
        strip = window.findChild(MusicStrip, "musicStrip")
        assert strip.music.director.paused
        assert strip.findChild(QLabel, "musicTrack").text() == "Music: paused"
        assert not any(player.is_playing() for player in strip.music.players)
        assert actions(workspace, resumed)[-1] == "controls_restored"
    finally:
        window.close_now()
