"""Even loudness: two tones 10 dB apart, generated as WAV files, imported (loudness measured by
BS.1770 on the real decoded audio), then played by the director one after the other: the sound
that reaches the room differs by less than 1 dB, and the clinic's ceiling still holds."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile

from kaproom.domain.clock import FakeClock
from kaproom.domain.music import MAX_BOOST_DB, TARGET_LUFS, TrackFacts, level_db
from kaproom.domain.protocol import MusicSettings
from kaproom.playback.director import MusicDirector
from kaproom.playback.fake_player import FakePlayer
from kaproom.playback.playlists import Entry, Playlist
from kaproom.services.loudness import integrated_loudness
from kaproom.services.music_library import MusicLibrary
from kaproom.store import Store
from tests._music_library_helpers import tone

SETTINGS = MusicSettings(crossfade_seconds=4, fade_in_seconds=2, fade_out_seconds=4, volume_ceiling=70,
                         start_volume=50, duck_level=15)


def test_the_meter_agrees_with_the_reference_implementation(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    for rate, channels in ((44100, 2), (48000, 1), (22050, 2)):
        t = np.arange(rate * 6) / rate
        signal = 0.2 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(0.7 * t)) + 0.05 * rng.standard_normal(len(t))
        data = np.stack([signal, 0.5 * signal], axis=1) if channels == 2 else signal
        path = tmp_path / f"{rate}.flac"
        soundfile.write(str(path), data, rate)
        decoded, _ = soundfile.read(str(path))
        assert integrated_loudness(path) == pytest.approx(pyloudnorm.Meter(rate).integrated_loudness(decoded), abs=0.2)


def test_silence_measures_as_no_loudness_and_gets_no_gain(tmp_path: Path) -> None:
    path = tmp_path / "silence.wav"
    soundfile.write(str(path), np.zeros(22050 * 2), 22050)
    assert integrated_loudness(path) == float("-inf")
    assert TrackFacts(loudness=None).gain_db == 0.0


def test_two_tones_ten_db_apart_play_within_one_db(tmp_path: Path, store: Store) -> None:
    tone(tmp_path / "music" / "quiet.wav", seconds=4, dbfs=-20, freq=440)
    tone(tmp_path / "music" / "loud.wav", seconds=4, dbfs=-10, freq=440)
    library = MusicLibrary(store)
    assert library.import_folder(tmp_path / "music").added == 2
    tracks = {t.title: t for t in library.all()}
    quiet, loud = tracks["quiet"], tracks["loud"]
    assert loud.loudness - quiet.loudness == pytest.approx(10.0, abs=0.1)  # measured, not assumed
    assert quiet.loudness_source == loud.loudness_source == "measured"

    playlist = Playlist("tones.xspf", tmp_path / "tones.xspf",
                        tuple(Entry(Path(t.path), t.title, t.duration, facts=t.facts) for t in (quiet, loud)))
    players = [FakePlayer("one"), FakePlayer("two")]
    clock = FakeClock()
    events: list[dict] = []
    director = MusicDirector(players, SETTINGS, clock, events.append, lambda _name: playlist)
    for player in players:
        player.set_listener(director.on_player_event)
    director.start("tones.xspf")
    for _ in range(30):
        clock.advance(0.1)
        director.tick()
    heard_quiet = quiet.loudness + level_db(players[0].volume)
    players[0].finish()  # the next track starts on the same player, at its own gain from its first sound
    assert players[0].path == Path(loud.path) and players[0].volumes[-1] == players[0].volume
    heard_loud = loud.loudness + level_db(players[0].volume)

    assert abs(heard_quiet - heard_loud) < 1.0
    assert max(players[0].volumes) <= SETTINGS.volume_ceiling
    started = [e for e in events if e["action"] == "track_started"]
    assert [round(e["gain_db"]) for e in started] == [round(TARGET_LUFS - quiet.loudness),
                                                      round(TARGET_LUFS - loud.loudness)]


def test_a_boost_never_lifts_a_track_over_the_ceiling(tmp_path: Path) -> None:
    very_quiet = TrackFacts(loudness=-40.0)
    assert very_quiet.gain_db == MAX_BOOST_DB
    (tmp_path / "q.wav").write_bytes(b"RIFF")
    playlist = Playlist("q.m3u8", tmp_path / "q.m3u8", (Entry(tmp_path / "q.wav", facts=very_quiet),))
    players = [FakePlayer("one"), FakePlayer("two")]
    clock = FakeClock()
    settings = MusicSettings(fade_in_seconds=1, volume_ceiling=60, start_volume=60)
    director = MusicDirector(players, settings, clock, lambda _p: None, lambda _name: playlist)
    director.start("q.m3u8")
    clock.advance(2)
    director.tick()
    assert players[0].volume == 60 and max(players[0].volumes) <= 60
