"""The director's decisions, with fake players and a FakeClock: fades, crossfades, the ceiling,
duck, skips, pause, end of track, broken files, session end and resume after a restart."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaproom.domain.clock import FakeClock
from kaproom.domain.protocol import MusicSettings
from kaproom.playback.director import DUCK_SECONDS, LeftControls, MusicDirector, Resume, left_controls, resume_point
from kaproom.playback.fake_player import FakePlayer
from kaproom.playback.player import PlayerEvent
from kaproom.playback.playlists import open_playlist

SETTINGS = MusicSettings(crossfade_seconds=6, fade_in_seconds=8, fade_out_seconds=10,
                         volume_ceiling=70, start_volume=50, duck_level=15)


def make_library(folder: Path) -> Path:
    music = folder / "music"
    music.mkdir(parents=True)
    for name in ("a1", "a2", "a3", "b1", "b2", "c1"):
        (music / f"{name}.ogg").write_bytes(b"OggS")
    lists = folder / "lists"
    lists.mkdir()
    (lists / "arrival.m3u8").write_text(
        "#EXTM3U\n#EXTINF:60,First\n../music/a1.ogg\n#EXTINF:60,Second\n../music/a2.ogg\n#EXTINF:60,Third\n../music/a3.ogg\n")
    (lists / "deep.xspf").write_text('<playlist version="1" xmlns="http://xspf.org/ns/0/"><trackList>'
                                     "<track><location>../music/b1.ogg</location><title>Deep one</title></track>"
                                     "<track><location>../music/b2.ogg</location><title>Deep two</title></track>"
                                     "</trackList></playlist>")
    (lists / "holes.m3u8").write_text("../music/a1.ogg\n../music/gone.ogg\n../music/c1.ogg\n")
    (lists / "broken.m3u8").write_text("../music/a1.ogg\n../music/a2.ogg\n")
    return lists


class Rig:
    """A director on two fake players, with what it logged and told the therapist."""

    def __init__(self, folder: Path, settings: MusicSettings = SETTINGS) -> None:
        self.lists = make_library(folder)
        self.clock = FakeClock()
        self.players = [FakePlayer("one"), FakePlayer("two")]
        self.events: list[dict] = []
        self.notices: list[str] = []
        self.director = MusicDirector(self.players, settings, self.clock, self.events.append,
                                      lambda name: open_playlist(name, [self.lists]),
                                      lambda text, level: self.notices.append(text))
        for player in self.players:
            player.set_listener(self.director.on_player_event)

    def run(self, seconds: float, step: float = 0.1) -> None:
        """Let time pass with the screen's regular ticks."""
        for _ in range(int(round(seconds / step))):
            self.clock.advance(step)
            self.director.tick()

    def actions(self) -> list[str]:
        return [e["action"] for e in self.events]

    def playing(self) -> list[FakePlayer]:
        return [p for p in self.players if p.is_playing()]


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path)


def test_music_fades_in_at_the_start_and_never_jumps_in_loud(rig: Rig) -> None:
    rig.director.start("arrival.m3u8")
    one = rig.players[0]
    assert one.is_playing() and one.path.name == "a1.ogg" and one.volume == 0
    rig.run(4)
    assert 22 <= one.volume <= 28  # halfway through an 8 s fade to 50
    rig.run(4.1)
    assert one.volume == 50
    assert all(b - a <= 2 for a, b in zip(one.volumes, one.volumes[1:])), "rises in small steps only"
    assert rig.actions() == ["track_started", "fade_in", "volume"]
    assert rig.events[0] == {"action": "track_started", "title": "First", "file": str(rig.lists.parent / "music" / "a1.ogg"),
                             "playlist": "arrival.m3u8"}
    assert rig.events[1]["volume"] == 50 and rig.events[2]["message"] == "fade-in finished"


def test_end_of_track_advances_and_the_playlist_loops(rig: Rig) -> None:
    rig.director.start("arrival.m3u8")
    one = rig.players[0]
    for expected in ("a2.ogg", "a3.ogg", "a1.ogg"):
        one.finish()
        assert one.is_playing() and one.path.name == expected
    titles = [(e["action"], e.get("title")) for e in rig.events if e["action"] in ("track_started", "track_ended")]
    assert titles == [("track_started", "First"), ("track_ended", "First"), ("track_started", "Second"),
                      ("track_ended", "Second"), ("track_started", "Third"), ("track_ended", "Third"),
                      ("track_started", "First")]


def test_phase_change_crossfades_both_audible_then_only_the_new(rig: Rig) -> None:
    rig.director.start("arrival.m3u8")
    rig.run(9)
    rig.events.clear()
    rig.director.change_playlist("deep.xspf")
    one, two = rig.players
    assert two.is_playing() and two.path.name == "b1.ogg"
    rig.run(3)
    assert one.is_playing() and two.is_playing()
    assert 20 <= one.volume <= 30 and 20 <= two.volume <= 30, "halfway through the crossfade both are heard"
    assert len(rig.director.audible_decks()) == 2
    rig.run(3.1)
    assert rig.playing() == [two] and two.volume == 50 and one.volume == 0
    assert rig.actions() == ["crossfade", "track_started", "volume"]
    assert rig.events[0]["message"] == "from arrival.m3u8 to deep.xspf over 6 s"
    assert rig.events[2] == {"action": "volume", "playlist": "deep.xspf", "volume": 50,
                             "message": "crossfade finished; arrival.m3u8 stopped"}
    rig.director.change_playlist("deep.xspf")  # the same playlist in the next phase: nothing changes
    assert rig.actions() == ["crossfade", "track_started", "volume"]


def test_a_second_phase_change_during_a_crossfade(rig: Rig) -> None:
    rig.director.start("arrival.m3u8")
    rig.run(9)
    rig.director.change_playlist("deep.xspf")
    rig.run(2)
    rig.director.change_playlist("arrival.m3u8")
    rig.run(6.1)
    playing = rig.playing()
    assert len(playing) == 1 and playing[0].path.name == "a1.ogg" and playing[0].volume == 50


def test_a_phase_without_music_fades_out(rig: Rig) -> None:
    rig.director.start("arrival.m3u8")
    rig.run(9)
    rig.director.change_playlist(None)
    rig.director.toggle_duck()  # ducking during the fade-out must not bring the music back
    rig.run(6.1)
    assert rig.playing() == []
    assert [a for a in rig.actions() if a in ("fade_out", "volume")][-2:] == ["fade_out", "volume"]
    rig.director.change_playlist("deep.xspf")
    rig.run(8.1)
    assert rig.players[0].path.name == "b1.ogg" and rig.players[0].volume == 15  # still ducked


def test_duck_lowers_quickly_and_restore_returns_to_the_level(rig: Rig) -> None:
    rig.director.start("arrival.m3u8")
    rig.run(9)
    rig.director.toggle_duck()
    rig.run(DUCK_SECONDS + 0.1)
    assert rig.players[0].volume == 15 and rig.director.ducked
    rig.director.toggle_duck()
    rig.run(DUCK_SECONDS + 0.1)
    assert rig.players[0].volume == 50 and not rig.director.ducked
    ducks = [(e["action"], e["volume"]) for e in rig.events if e["action"] in ("duck", "restore")]
    assert ducks == [("duck", 15), ("restore", 50)]


def test_the_therapists_controls_are_the_directors_own_object(rig: Rig) -> None:
    """The controls hold the therapist's choices; the director shows them and the ceiling holds."""
    controls = rig.director.controls
    rig.director.start("arrival.m3u8")
    rig.run(9)
    controls.set_level(90)  # more than the clinic allows
    controls.toggle_duck()
    rig.run(1.1)
    assert rig.players[0].volume == 15 and rig.director.ducked and rig.director.level == 70
    controls.toggle_pause()
    assert rig.playing() == [] and rig.director.paused
    controls.toggle_pause()
    controls.toggle_duck()
    rig.run(1.6)
    assert rig.players[0].volume == 70 and rig.director.target_volume == 70
    assert [e["action"] for e in rig.events][-5:] == ["volume", "duck", "pause", "resume", "restore"]


def test_duck_during_the_fade_in_lands_on_the_duck_level(rig: Rig) -> None:
    rig.director.start("arrival.m3u8")
    rig.run(2)
    rig.director.toggle_duck()
    rig.run(8)
    assert rig.players[0].volume == 15
    assert rig.events[-1] == {"action": "volume", "playlist": "arrival.m3u8", "volume": 15, "message": "fade-in finished"}


@settings(max_examples=60, deadline=None)
@given(ceiling=st.integers(0, 100), start=st.integers(0, 100), duck=st.integers(0, 100),
       moves=st.lists(st.tuples(st.sampled_from(["level", "duck", "next", "previous", "pause", "phase", "end_track",
                                                  "fail", "wait"]), st.integers(0, 150)), max_size=25))
def test_the_ceiling_is_never_exceeded_whatever_the_therapist_does(tmp_path_factory, ceiling, start, duck, moves) -> None:
    rig = Rig(tmp_path_factory.mktemp("lib"), MusicSettings(3, 4, 5, ceiling, min(start, ceiling), duck))
    rig.director.start("arrival.m3u8")
    playlists = ["deep.xspf", "arrival.m3u8", None, "holes.m3u8"]
    for index, (move, value) in enumerate(moves):
        if move == "level":
            rig.director.set_level(value)
        elif move == "duck":
            rig.director.toggle_duck()
        elif move == "next":
            rig.director.next()
        elif move == "previous":
            rig.director.previous()
        elif move == "pause":
            rig.director.toggle_pause()
        elif move == "phase":
            rig.director.change_playlist(playlists[index % len(playlists)])
        elif move == "end_track":
            rig.players[value % 2].finish()
        elif move == "fail":
            rig.players[value % 2].fail()
        rig.run(value / 50)
    rig.director.finish()
    rig.run(5.1)
    for player in rig.players:
        assert max(player.volumes, default=0) <= ceiling
    assert all(e.get("volume", 0) <= ceiling for e in rig.events)
    assert rig.playing() == []


def test_level_is_held_under_the_ceiling_and_logged(rig: Rig) -> None:
    rig.director.start("arrival.m3u8")
    rig.run(9)
    rig.director.set_level(95)
    rig.run(1)
    assert rig.players[0].volume == 70 and rig.director.level == 70
    assert rig.events[-1]["action"] == "volume" and rig.events[-1]["volume"] == 70
    assert "ceiling 70" in rig.events[-1]["message"]


def test_volume_keys_step_by_five_and_stop_quietly_at_either_end(rig: Rig) -> None:
    rig.director.start("arrival.m3u8")
    rig.run(9)
    assert rig.director.step_level(+1) is True
    rig.run(1)
    assert rig.players[0].volume == 55 and rig.events[-1]["action"] == "volume" and rig.events[-1]["volume"] == 55
    for _ in range(10):
        rig.director.step_level(+1)
    rig.run(1)
    assert rig.players[0].volume == 70, "never above the ceiling"
    logged = len(rig.events)
    assert rig.director.step_level(+1) is False, "at the ceiling the key says so"
    assert len(rig.events) == logged, "and nothing more is logged"
    assert [e["volume"] for e in rig.events if e["action"] == "volume" and e.get("by") == "therapist"] == [
        55, 60, 65, 70]
    for _ in range(20):
        rig.director.step_level(-1)
    rig.run(1)
    assert rig.players[0].volume == 0 and rig.director.step_level(-1) is False


def test_a_missing_file_mid_playlist_is_skipped_and_logged(rig: Rig) -> None:
    rig.director.start("holes.m3u8")
    assert rig.notices and "holes.m3u8" in rig.notices[0] and "line 2: '../music/gone.ogg' not found" in rig.notices[0]
    one = rig.players[0]
    one.finish()
    assert one.is_playing() and one.path.name == "c1.ogg"
    error = next(e for e in rig.events if e["action"] == "error")
    assert error["file"].endswith("gone.ogg") and error["playlist"] == "holes.m3u8"
    assert error["message"].startswith("file not found, skipped (line 2 of")
    assert rig.actions() == ["track_started", "fade_in", "track_ended", "error", "track_started"]


def test_unplayable_files_are_skipped_and_a_wholly_broken_playlist_goes_quiet(rig: Rig) -> None:
    rig.director.start("arrival.m3u8")
    one = rig.players[0]
    one.fail("VLC could not play this file")
    assert one.path.name == "a2.ogg" and one.is_playing()
    one.unplayable.update({"a1.ogg", "a2.ogg", "a3.ogg"})
    rig.director.next()
    assert not one.is_playing()
    assert rig.actions()[-4:] == ["error", "error", "error", "unavailable"]
    assert "no track in arrival.m3u8 can be played" in rig.notices[-1]


def test_a_playlist_that_cannot_be_opened_leaves_the_phase_silent_with_a_message(rig: Rig) -> None:
    rig.director.start("nowhere.m3u8")
    assert rig.playing() == [] and rig.actions() == ["error"]
    assert "nowhere.m3u8" in rig.events[0]["message"] and "was not found" in rig.notices[0]


def test_next_and_previous_are_logged_and_come_in_softly(rig: Rig) -> None:
    rig.director.start("arrival.m3u8")
    rig.run(9)
    rig.director.next()
    one = rig.players[0]
    assert one.path.name == "a2.ogg" and one.volume == 0
    rig.run(2)
    assert one.volume == 50
    rig.director.previous()
    rig.director.previous()
    assert one.path.name == "a3.ogg"
    skips = [(e["action"], e["title"]) for e in rig.events if e["action"] in ("skip", "previous")]
    assert skips == [("skip", "First"), ("previous", "Second"), ("previous", "First")]


def test_pause_and_resume(rig: Rig) -> None:
    rig.director.start("arrival.m3u8")
    rig.run(9)
    rig.director.toggle_pause()
    assert rig.playing() == [] and rig.director.paused
    rig.director.change_playlist("deep.xspf")  # the phase moves on while paused: still quiet
    assert rig.playing() == []
    rig.director.toggle_pause()
    rig.run(8.1)
    assert rig.playing()[0].path.name == "b1.ogg" and rig.playing()[0].volume == 50
    assert rig.actions()[3:] == ["pause", "resume", "track_started", "fade_in", "volume"]


def test_pause_then_resume_the_same_track(rig: Rig) -> None:
    rig.director.start("arrival.m3u8")
    rig.run(3)
    rig.director.pause()
    one = rig.players[0]
    assert one.state == "paused" and one.volume == 50  # the fade's end is reached at once
    rig.director.resume()
    rig.run(2)
    assert one.is_playing() and one.path.name == "a1.ogg" and one.volume == 50


def test_session_end_fades_out_then_stops_for_good(rig: Rig) -> None:
    rig.director.start("arrival.m3u8")
    rig.run(9)
    rig.director.finish()
    rig.run(5)
    assert 20 <= rig.players[0].volume <= 30
    rig.run(5.1)
    assert rig.playing() == []
    assert rig.actions()[-2:] == ["fade_out", "volume"]
    assert rig.events[-1]["message"] == "music stopped (end of session)"
    count = len(rig.events)
    rig.director.next()
    rig.director.toggle_pause()
    rig.director.change_playlist("deep.xspf")
    rig.players[0].finish()
    assert len(rig.events) == count and rig.playing() == []


def test_fades_log_their_start_and_end_only(rig: Rig) -> None:
    rig.director.start("arrival.m3u8")
    rig.run(9, step=0.02)
    rig.director.change_playlist("deep.xspf")
    rig.run(7, step=0.02)
    rig.director.finish()
    rig.run(11, step=0.02)
    assert rig.actions() == ["track_started", "fade_in", "volume", "crossfade", "track_started", "volume",
                             "fade_out", "volume"]


def test_late_events_of_an_earlier_track_are_ignored(rig: Rig) -> None:
    rig.director.start("arrival.m3u8")
    one = rig.players[0]
    stale = one.token
    rig.director.next()
    rig.director.on_player_event(PlayerEvent("one", stale, "ended"))
    assert one.path.name == "a2.ogg"
    assert "track_ended" not in rig.actions()


def test_resume_after_a_restart_starts_at_the_recorded_track_faded_in(rig: Rig) -> None:
    music = rig.lists.parent / "music"
    stored = [{"action": "track_started", "title": "First", "file": str(music / "a1.ogg"), "playlist": "arrival.m3u8"},
              {"action": "track_started", "title": "Deep two", "file": str(music / "b2.ogg"), "playlist": "deep.xspf"},
              {"action": "duck", "volume": 15}]
    point = resume_point(stored, "deep.xspf")
    assert point == Resume("deep.xspf", str(music / "b2.ogg"), "Deep two")
    assert resume_point(stored, "other.m3u8") is None
    rig.director.start("deep.xspf", resume=point)
    assert rig.players[0].path.name == "b2.ogg" and rig.players[0].volume == 0
    rig.run(8.1)
    assert rig.players[0].volume == 50
    assert rig.events[1]["message"] == "over 8 s, resuming after a restart"
    moved = Resume("deep.xspf", "/elsewhere/b2.ogg", "Deep two")  # library moved: found by title
    rig.director.start("deep.xspf", resume=moved)
    assert rig.playing()[0].path.name == "b2.ogg"


def test_the_record_says_how_the_therapist_left_the_music() -> None:
    assert left_controls([]) == LeftControls() and not LeftControls().changed
    stored = [{"action": "pause"}, {"action": "resume"}, {"action": "duck", "volume": 15},
              {"action": "volume", "volume": 40, "message": "fade-in finished"},  # the music's own, not a choice
              {"action": "volume", "volume": 35, "by": "therapist"}, {"action": "pause"}]
    assert left_controls(stored) == LeftControls(paused=True, ducked=True, level=35.0)
    assert left_controls(stored + [{"action": "restore"}, {"action": "resume"}]) == LeftControls(level=35.0)
    restarted = [{"action": "controls_restored", "paused": True, "ducked": False}]
    assert left_controls(stored + restarted).paused and not left_controls(stored + restarted).ducked


def test_music_paused_before_a_restart_stays_paused_until_resumed_at_its_track(rig: Rig) -> None:
    music = rig.lists.parent / "music"
    point = Resume("deep.xspf", str(music / "b2.ogg"), "Deep two")
    rig.director.restore_controls(LeftControls(paused=True, level=40))
    rig.director.start("deep.xspf", resume=point)
    rig.run(10)
    assert rig.playing() == [] and rig.director.paused, "no music comes back on its own after a restart"
    assert rig.events[0] == {"action": "controls_restored", "volume": 40, "paused": True,
                             "ducked": False, "message": "as left before the restart; paused"}
    rig.director.toggle_pause()
    assert rig.players[0].path.name == "b2.ogg" and rig.players[0].volume == 0  # its track, faded in
    rig.run(8.1)
    assert rig.playing()[0].volume == 40


def test_music_ducked_before_a_restart_comes_back_ducked(rig: Rig) -> None:
    rig.director.restore_controls(LeftControls(ducked=True))
    rig.director.start("arrival.m3u8")
    rig.run(8.1)
    assert rig.players[0].is_playing() and rig.players[0].volume == 15
    rig.director.toggle_duck()
    rig.run(1.1)
    assert rig.players[0].volume == 50


def test_a_sped_up_demo_clock_keeps_fades_in_real_seconds(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.clock.speed = 60.0  # the demo runs the session sixty times faster; ears do not
    rig.director.start("arrival.m3u8")
    rig.clock.advance(8 * 60 / 2)  # four real seconds
    rig.director.tick()
    assert 22 <= rig.players[0].volume <= 28
    rig.clock.advance(8 * 60 / 2 + 1)
    rig.director.tick()
    assert rig.players[0].volume == 50
