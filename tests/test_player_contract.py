"""One contract for every audio backend, in the spirit of Quod Libet's player tests: the same
assertions run against the fake player the logic tests use and the real libvlc player (dummy
audio output, no sound card). The director relies on exactly this; where the two differ, the fake
is wrong and is fixed.

Each backend brings only what it cannot share: how the playing track is brought to its end
(libvlc: a seek near the end; the fake: its ``finish()`` lever, called from the event loop as
libvlc's own thread would report it later), and, for the fake that decodes nothing, which file
is garbage (the logic tests tell it the same way)."""
from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer

from kaproom.playback import PlaybackError, PlaybackUnavailable, Player, PlayerEvent
from kaproom.playback.fake_player import FakePlayer
from kaproom.playback.vlc_player import VlcPlayer, shared_backend
from kaproom.services.paths import ASSETS_DIR

WAIT_MS = 20000  # generous for a loaded CI machine; passing waits take milliseconds to a second
TRACK = ASSETS_DIR / "music" / "arrival" / "first-breath.ogg"  # 80 s of real audio
OTHER_TRACK = ASSETS_DIR / "music" / "arrival" / "morning-room.ogg"
GARBAGE = b"garbage\n"
NOT_AUDIO = b"this is not audio" * 100  # libvlc "plays" such a file to its end at once, silently


@dataclass
class Backend:
    """One player under test, what its listener heard, and the backend's own levers."""

    kind: str
    player: Player
    reach_end: Callable[[], None]  # the playing track ends soon, reported by the backend itself
    files: dict[str, Path]
    events: list[PlayerEvent] = field(default_factory=list)

    def listen(self) -> None:
        self.player.set_listener(self.events.append)  # list.append: safe from libvlc's threads


def _fake(tmp_path: Path) -> Backend:
    player = FakePlayer("contract", unplayable=("garbage.ogg", "not-audio.ogg"))
    return Backend("fake", player, lambda: QTimer.singleShot(0, player.finish), _files(tmp_path))


def _vlc(tmp_path: Path) -> Backend:
    try:
        backend = shared_backend()
    except PlaybackUnavailable as exc:  # pragma: no cover - ./run installs libvlc
        pytest.skip(str(exc))
    player = VlcPlayer(backend, "contract")
    return Backend("vlc", player, lambda: player.seek(0.99), _files(tmp_path))


def _files(folder: Path) -> dict[str, Path]:
    (folder / "garbage.ogg").write_bytes(GARBAGE)
    (folder / "not-audio.ogg").write_bytes(NOT_AUDIO)
    copy = folder / "track.ogg"
    shutil.copyfile(TRACK, copy)
    return {"track": copy, "other": OTHER_TRACK, "garbage": folder / "garbage.ogg",
            "not audio": folder / "not-audio.ogg", "missing": folder / "gone.ogg"}


@pytest.fixture(params=["fake", pytest.param("vlc", marks=pytest.mark.vlc)])
def backend(request: pytest.FixtureRequest, tmp_path: Path, qtbot) -> Iterator[Backend]:
    made = _fake(tmp_path) if request.param == "fake" else _vlc(tmp_path)
    made.listen()
    yield made
    made.player.release()


def start(backend: Backend, qtbot, name: str = "track") -> int:
    token = backend.player.load(backend.files[name])
    backend.player.play()
    qtbot.waitUntil(backend.player.is_playing, timeout=WAIT_MS)
    return token


# ---------------------------------------------------------------------------- load and play

def test_load_gives_a_new_token_each_time_and_does_not_start_the_sound(backend: Backend) -> None:
    player = backend.player
    first = player.load(backend.files["track"])
    second = player.load(backend.files["other"])
    third = player.load(backend.files["track"])
    assert first < second < third
    assert not player.is_playing(), "loading alone makes no sound"
    assert backend.events == []


def test_play_with_nothing_loaded_is_refused(backend: Backend) -> None:
    with pytest.raises(PlaybackError):
        backend.player.play()
    assert not backend.player.is_playing()


def test_play_pause_and_play_again(backend: Backend, qtbot) -> None:
    player = backend.player
    start(backend, qtbot)
    player.pause()
    qtbot.waitUntil(lambda: not player.is_playing(), timeout=WAIT_MS)
    player.play()  # resumes the same track
    qtbot.waitUntil(player.is_playing, timeout=WAIT_MS)
    assert backend.events == [], "pausing and resuming report nothing"


def test_pause_before_play_holds_nothing_and_play_still_starts(backend: Backend, qtbot) -> None:
    player = backend.player
    player.load(backend.files["track"])
    player.pause()
    assert not player.is_playing()
    player.play()
    qtbot.waitUntil(player.is_playing, timeout=WAIT_MS)


def test_stop_silences_and_is_safe_to_repeat(backend: Backend, qtbot) -> None:
    player = backend.player
    player.stop()  # nothing loaded yet: harmless
    start(backend, qtbot)
    player.stop()
    assert not player.is_playing()
    player.stop()
    assert not player.is_playing() and backend.events == []


def test_loading_another_track_stops_the_one_playing(backend: Backend, qtbot) -> None:
    player = backend.player
    start(backend, qtbot)
    player.load(backend.files["other"])
    assert not player.is_playing(), "the old track stops as the new one is loaded"
    player.play()
    qtbot.waitUntil(player.is_playing, timeout=WAIT_MS)


# ---------------------------------------------------------------------------- volume

@pytest.mark.parametrize(("asked", "kept"), [(150, 100), (-5, 0), (37, 37), (0, 0), (100, 100)])
def test_volume_is_clamped_to_0_100(backend: Backend, asked: int, kept: int) -> None:
    backend.player.set_volume(asked)
    assert backend.player.volume == kept


def test_volume_set_while_stopped_holds_through_load_and_play(backend: Backend, qtbot) -> None:
    player = backend.player
    player.set_volume(37)
    start(backend, qtbot)
    assert player.volume == 37
    player.set_volume(12)
    assert player.volume == 12 and player.is_playing()


# ---------------------------------------------------------------------------- events

def test_end_of_track_is_one_ended_event_naming_the_player_and_the_load(backend: Backend, qtbot) -> None:
    token = start(backend, qtbot)
    backend.reach_end()
    qtbot.waitUntil(lambda: bool(backend.events), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not backend.player.is_playing(), timeout=WAIT_MS)
    assert backend.events == [PlayerEvent("contract", token, "ended", "")]


def test_after_the_end_the_next_load_plays_even_the_same_file(backend: Backend, qtbot) -> None:
    """What the director does at a track's end, also for a playlist of one track."""
    token = start(backend, qtbot)
    backend.reach_end()
    qtbot.waitUntil(lambda: bool(backend.events), timeout=WAIT_MS)
    again = start(backend, qtbot)
    assert again > token and [e.token for e in backend.events] == [token]


@pytest.mark.parametrize("name", ["missing", "garbage", "not audio"])
def test_a_file_that_cannot_play_is_reported_never_ended(backend: Backend, qtbot, name: str) -> None:
    """Either ``play()`` refuses it, or an error event for that load follows: the director
    handles both the same way (logs it, skips to the next track)."""
    player = backend.player
    token = player.load(backend.files[name])
    try:
        player.play()
    except PlaybackError as exc:
        assert str(exc), "the refusal says why"
        reported = "refused"
    else:
        qtbot.waitUntil(lambda: bool(backend.events), timeout=WAIT_MS)
        reported = "event"
    qtbot.waitUntil(lambda: not player.is_playing(), timeout=WAIT_MS)
    if reported == "event":
        assert [(e.player, e.token, e.kind) for e in backend.events] == [("contract", token, "error")]
        assert backend.events[0].message, "the error says why"
    else:
        assert backend.events == []
    player.load(backend.files["track"])  # the next file plays on the same player
    player.play()
    qtbot.waitUntil(player.is_playing, timeout=WAIT_MS)


def test_no_event_reaches_a_listener_that_was_removed(backend: Backend, qtbot) -> None:
    start(backend, qtbot)
    backend.player.set_listener(None)
    backend.reach_end()
    qtbot.waitUntil(lambda: not backend.player.is_playing(), timeout=WAIT_MS)
    qtbot.wait(200)  # a late event from the backend's thread would arrive in this time
    assert backend.events == []


# ---------------------------------------------------------------------------- release

def test_release_silences_detaches_the_listener_and_is_safe_to_repeat(backend: Backend, qtbot) -> None:
    player = backend.player
    start(backend, qtbot)
    backend.reach_end()  # the end would be reported within about a second...
    player.release()  # ...but the player is released first
    player.release()
    player.stop()
    qtbot.wait(1500)  # longer than the rest of the track: nothing may be reported
    assert backend.events == []
