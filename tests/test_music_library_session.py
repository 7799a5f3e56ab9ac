"""The client's music preferences and live steering in the session, on fake players and a
FakeClock: unfitting tracks are skipped and quietly logged once, a phase with nothing that fits is
silent and named before the start, and Ctrl+Shift+Up/Down bring a calmer or more intense track of
the phase's playlist in with a crossfade (after a fade under way), each request on the timeline."""
from __future__ import annotations

from pathlib import Path

import pytest

from kaproom.domain.clock import FakeClock
from kaproom.domain.music import MusicPreferences, TrackFacts, nearest_by_intensity, skip_reason
from kaproom.domain.protocol import MusicSettings
from kaproom.playback.director import CALMER, MORE_INTENSE, MusicDirector
from kaproom.playback.fake_player import FakePlayer
from kaproom.playback.playlists import Entry, Playlist

SETTINGS = MusicSettings(crossfade_seconds=4, fade_in_seconds=2, fade_out_seconds=4, volume_ceiling=70,
                         start_volume=50, duck_level=15)
#: title, lyrics, language, intensity
TRACKS = (("Still water", "none", "", 1), ("Choir", "sung", "en", 2), ("Drone", "none", "", 3),
          ("Lied", "sung", "de", 4), ("Storm", "none", "", 5))


def playlist(folder: Path, tracks=TRACKS, name: str = "deep.xspf") -> Playlist:
    entries = []
    for title, lyrics, language, intensity in tracks:
        path = folder / f"{title}.ogg"
        path.write_bytes(b"OggS")
        entries.append(Entry(path, title, 300.0, facts=TrackFacts(-18.0, lyrics, language, intensity)))
    return Playlist(name, folder / name, tuple(entries))


class Rig:
    def __init__(self, folder: Path, prefs: MusicPreferences | None = None, tracks=TRACKS) -> None:
        self.list = playlist(folder, tracks)
        self.clock = FakeClock()
        self.players = [FakePlayer("one"), FakePlayer("two")]
        self.events: list[dict] = []
        self.notices: list[str] = []
        self.director = MusicDirector(self.players, SETTINGS, self.clock, self.events.append, lambda _n: self.list,
                                      lambda text, _level: self.notices.append(text),
                                      preferences=prefs or MusicPreferences())
        for player in self.players:
            player.set_listener(self.director.on_player_event)

    def run(self, seconds: float) -> None:
        for _ in range(int(seconds * 10)):
            self.clock.advance(0.1)
            self.director.tick()

    def title(self) -> str:
        track = self.director.track
        return track.display_title if track else ""

    def actions(self, action: str) -> list[dict]:
        return [e for e in self.events if e["action"] == action]


def test_unfitting_tracks_are_skipped_and_logged_once_quietly(tmp_path: Path) -> None:
    rig = Rig(tmp_path, MusicPreferences(no_sung_languages=("EN",), avoid=("storm",)))
    rig.director.start("deep.xspf")
    played = [rig.title()]
    for _ in range(6):  # round the playlist more than once
        rig.director.current.player.finish()
        played.append(rig.title())
    assert played == ["Still water", "Drone", "Lied", "Still water", "Drone", "Lied", "Still water"]
    skipped = [(e["title"], e["message"]) for e in rig.actions("skipped")]
    assert skipped == [("Choir", "skipped: sung words"), ("Storm", "skipped: avoided")]  # once each
    assert rig.notices == []  # quiet: the log only


def test_no_lyrics_at_all_skips_sung_and_some_words(tmp_path: Path) -> None:
    rig = Rig(tmp_path, MusicPreferences(no_lyrics=True))
    rig.director.start("deep.xspf")
    titles = {rig.title()}
    for _ in range(5):
        rig.director.current.player.finish()
        titles.add(rig.title())
    assert titles == {"Still water", "Drone", "Storm"}


def test_a_phase_with_nothing_that_fits_is_silent_and_says_why(tmp_path: Path) -> None:
    rig = Rig(tmp_path, MusicPreferences(no_lyrics=True), tracks=(("Choir", "sung", "en", 2), ("Aria", "some", "", 3)))
    rig.director.start("deep.xspf")
    assert rig.director.track is None and not any(p.is_playing() for p in rig.players)
    assert "fits the client's music preferences" in rig.actions("unavailable")[0]["message"]


def test_calmer_and_more_intense_crossfade_to_the_nearest_intensity(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.director.start("deep.xspf")
    rig.director.current.player.finish()
    rig.director.current.player.finish()
    assert rig.title() == "Drone"  # intensity 3
    rig.run(3)

    assert rig.director.steer(CALMER)
    assert rig.title() == "Choir" and rig.director.is_fading  # intensity 2, coming in with a crossfade
    assert sum(1 for p in rig.players if p.is_playing()) == 2  # both sound during the fade: no cut
    rig.run(5)
    assert [p.is_playing() for p in rig.players].count(True) == 1
    steer = rig.actions("steer")[-1]
    assert steer["direction"] == "calmer" and steer["title"] == "Drone"
    assert "intensity 3 to 2" in rig.actions("crossfade")[-1]["message"]

    assert rig.director.steer(MORE_INTENSE)
    assert rig.title() == "Drone"
    assert max(max(p.volumes) for p in rig.players) <= SETTINGS.volume_ceiling


def test_a_request_during_a_fade_waits_for_it(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.director.start("deep.xspf")  # fade-in under way, "Still water" (1)
    assert rig.director.steer(MORE_INTENSE)
    assert rig.title() == "Still water" and "after the fade" in rig.actions("steer")[-1]["message"]
    rig.run(3)
    assert rig.title() == "Choir"


def test_nothing_calmer_is_said_and_logged(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.director.start("deep.xspf")
    rig.run(3)
    assert not rig.director.steer(CALMER)
    assert rig.title() == "Still water" and "Nothing calmer" in rig.notices[-1]
    assert "nothing calmer" in rig.actions("steer")[-1]["message"]


def test_steering_never_picks_a_track_that_does_not_fit(tmp_path: Path) -> None:
    rig = Rig(tmp_path, MusicPreferences(no_sung_languages=("en",)))
    rig.director.start("deep.xspf")
    rig.run(3)
    assert rig.director.steer(MORE_INTENSE)
    assert rig.title() == "Drone"  # not Choir (2, sung in English)


@pytest.mark.parametrize(("current", "direction", "after", "expected"), [
    (3, -1, 0, 1), (3, +1, 0, 3), (5, +1, 0, None), (None, -1, 0, 1), (3, +1, 3, 4), (3, +1, 4, 3)])
def test_nearest_by_intensity(current, direction, after, expected) -> None:
    assert nearest_by_intensity([1, 2, 3, 4, 4], current, direction, after) == expected


def test_skip_reasons() -> None:
    sung_de = TrackFacts(lyrics="sung", language="de")
    assert skip_reason(MusicPreferences(no_sung_languages=("de",)), sung_de) == "sung words"
    assert skip_reason(MusicPreferences(no_sung_languages=("en",)), sung_de) is None
    assert skip_reason(MusicPreferences(no_sung_languages=("en",)), TrackFacts(lyrics="sung")) == "sung words"
    assert skip_reason(MusicPreferences(no_lyrics=True), TrackFacts(lyrics="some")) == "lyrics"
    assert skip_reason(MusicPreferences(no_lyrics=True), TrackFacts()) is None  # not set yet: plays
    assert skip_reason(MusicPreferences(avoid=("Storm",)), None, "/m/storm.ogg", "storm") == "avoided"
