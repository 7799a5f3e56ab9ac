"""The library in the room (fake players, real store and Qt offscreen): the client's preferences
chosen at the start are kept in the record and honoured by the room's music, and
Ctrl+Shift+Down / Ctrl+Shift+Up steer the intensity, each request on the session's timeline."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from kaproom.domain.music import MusicPreferences
from kaproom.playback.fake_player import FakePlayer
from kaproom.services.music_library import MusicLibrary
from kaproom.services.music_playlists import find_phase, save_phase_playlist
from kaproom.ui.music import strip as music_strip
from tests._music_helpers import StandInController, StandInRoom, music_events
from tests._music_library_helpers import tone
from tests._room_helpers import activate

SHIFT_CTRL = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


class Factory:
    def __init__(self) -> None:
        self.made: list[FakePlayer] = []

    def __call__(self) -> list[FakePlayer]:
        self.made = [FakePlayer("fake-1"), FakePlayer("fake-2")]
        return self.made


def test_preferences_and_steering_in_the_room(qtbot, tmp_path: Path, workspace, protocol, clock) -> None:
    for n, name in enumerate(("calm", "sung", "middle", "intense")):
        tone(tmp_path / "music" / f"{name}.wav", seconds=1, freq=300 + 50 * n)
    library = MusicLibrary(workspace.store)
    library.import_folder(tmp_path / "music")
    ids = {t.title: t.id for t in library.all()}
    for title, intensity in (("calm", 1), ("sung", 2), ("middle", 3), ("intense", 5)):
        library.tracks.set_facts(ids[title], intensity=intensity)
    library.tracks.set_facts(ids["sung"], lyrics="sung", language="en")
    arrival = protocol.phases[0]
    save_phase_playlist(workspace.store, workspace.playlists_dir, protocol, find_phase(protocol, arrival.id),
                        [ids["middle"], ids["sung"], ids["calm"], ids["intense"]])

    starting = workspace.session_start(protocol, "C-0042", "Dr Ada", "Room 2",
                                       music_preferences=MusicPreferences(no_sung_languages=("en",)))
    session = starting.run()
    created = workspace.store.events(session.session_uid)[0].payload
    assert created["music_preferences"] == {"no_lyrics": False, "no_sung_languages": ["en"], "avoid": []}

    factory = Factory()
    room = StandInRoom(StandInController(workspace, session))
    qtbot.addWidget(room)
    music_strip.install(room, factory)
    room.show()
    assert factory.made[0].path.name == "middle.wav"
    clock.advance(9)
    qtbot.waitUntil(lambda: factory.made[0].volume > 0 and not any(p.volumes[-1:] == [0] for p in factory.made[:1]),
                    timeout=3000)

    activate(qtbot, room)
    qtbot.keyClick(room, Qt.Key.Key_Down, SHIFT_CTRL)  # calmer: "sung" (2) does not fit, so "calm" (1)
    qtbot.waitUntil(lambda: factory.made[1].path is not None and factory.made[1].is_playing(), timeout=3000)
    assert factory.made[1].path.name == "calm.wav"
    events = music_events(workspace, session)
    steer = [e for e in events if e["action"] == "steer"]
    assert steer[-1]["direction"] == "calmer" and steer[-1]["title"] == "middle"
    clock.advance(7)
    qtbot.waitUntil(lambda: not factory.made[0].is_playing(), timeout=3000)

    qtbot.keyClick(room, Qt.Key.Key_Up, SHIFT_CTRL)  # more intense from 1: "middle" (3), never "sung"
    qtbot.waitUntil(lambda: factory.made[0].is_playing(), timeout=3000)
    assert factory.made[0].path.name == "middle.wav"
    assert [e["direction"] for e in music_events(workspace, session) if e["action"] == "steer"] == [
        "calmer", "more intense"]

    clock.advance(7)
    factory.made[0].finish()  # "middle" ends: "sung" is next in the playlist, and does not fit the client
    qtbot.waitUntil(lambda: factory.made[0].path.name == "calm.wav", timeout=3000)
    skipped = [e for e in music_events(workspace, session) if e["action"] == "skipped"]
    assert [(e["title"], e["message"]) for e in skipped] == [("sung", "skipped: sung words")]


def test_the_start_page_takes_the_wishes_and_names_a_phase_left_silent(qtbot, tmp_path: Path, workspace,
                                                                       protocol) -> None:
    from kaproom.ui.start.page import StartPage

    tone(tmp_path / "music" / "song.wav", seconds=1)
    library = MusicLibrary(workspace.store)
    library.import_folder(tmp_path / "music")
    [song] = library.all()
    library.tracks.set_facts(song.id, lyrics="sung", language="de")
    deep = find_phase(protocol, "deep")
    save_phase_playlist(workspace.store, workspace.playlists_dir, protocol, deep, [song.id])

    page = StartPage(workspace)
    qtbot.addWidget(page)
    page.show()
    assert page.music_check.isHidden()
    page.no_sung.setText("DE, en")
    page.no_sung.editingFinished.emit()
    assert page.music_check.isVisible() and f"music of {deep.name} fits" in page.music_check.text()
    page.no_sung.setText("fr")
    page.no_sung.editingFinished.emit()
    assert page.music_check.isHidden()

    page.no_lyrics.setChecked(True)
    assert "will be silent" in page.music_check.text()  # said before the start; the start is not refused
    page.avoid.setText("Storm; Choir, Op. 2")
    page.client_code.setText("C-0042")
    page.therapist.setText("Dr Ada")
    for group in page.screening_groups.values():
        group.button(0).setChecked(True)
    with qtbot.waitSignal(page.sessionStarted):
        page.start_button.click()
    created = workspace.store.events(workspace.store.sessions()[0].uid)[0].payload
    assert created["music_preferences"] == {"no_lyrics": True, "no_sung_languages": ["fr"],
                                            "avoid": ["Storm", "Choir, Op. 2"]}


@pytest.mark.vlc
def test_ctrl_shift_down_from_the_note_field_in_the_real_room(qtbot, workspace, protocol, clock) -> None:
    """The real room on the real libvlc (dummy output): the keys work while a note is being typed,
    and the calmer track comes in on the other player."""
    from kaproom.services.paths import ASSETS_DIR
    from kaproom.ui.music.strip import MusicStrip
    from kaproom.ui.room.controller import SessionController
    from kaproom.ui.room.window import RoomWindow

    library = MusicLibrary(workspace.store)
    library.import_folder(ASSETS_DIR / "music" / "arrival")
    tracks = sorted(library.all(), key=lambda t: t.path)
    for intensity, track in enumerate(tracks, start=2):
        library.tracks.set_facts(track.id, intensity=min(intensity, 5))
    first = protocol.phases[0]
    save_phase_playlist(workspace.store, workspace.playlists_dir, protocol, first, [t.id for t in reversed(tracks)])
    runner = workspace.new_session(protocol, "C-0102", "Dr Room", "Room 3")
    window = RoomWindow(SessionController(workspace, runner))
    qtbot.addWidget(window)
    window.show()
    strip = window.findChild(MusicStrip, "musicStrip")
    qtbot.waitUntil(lambda: strip.music.director is not None, timeout=20000)
    one, two = strip.music.players
    clock.advance(9)
    qtbot.waitUntil(lambda: one.is_playing(), timeout=20000)
    activate(qtbot, window)
    window.note_input.setFocus()
    window.note_input.setText("Client asks for something softer")
    qtbot.keyClick(window.note_input, Qt.Key.Key_Down, SHIFT_CTRL)
    qtbot.waitUntil(lambda: two.is_playing(), timeout=20000)
    assert window.note_input.text() == "Client asks for something softer"
    steer = [e for e in music_events(workspace, runner) if e["action"] == "steer"]
    assert steer and steer[-1]["direction"] == "calmer"
    assert strip.music.director.track.display_title == tracks[-2].display_title
    window.close_now()
