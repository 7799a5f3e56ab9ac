"""What each of the director's two players is doing, its volume ramp, and where to resume."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from kaproom.playback.player import Player
from kaproom.playback.playlists import Entry, Playlist

#: One value the director writes into a ``music`` event's payload (the record keeps it as JSON).
Value = str | int | float | bool | None
#: A ``music`` event's payload as read back from the record: JSON, whatever an older version wrote.
StoredPayload = Mapping[str, object]


@dataclass
class Ramp:
    start_time: float
    seconds: float
    start: float
    end: float
    done: Callable[[], None] | None = None

    def value(self, now: float) -> tuple[float, bool]:
        if self.seconds <= 0:
            return self.end, True
        fraction = min(1.0, max(0.0, (now - self.start_time) / self.seconds))
        return self.start + (self.end - self.start) * fraction, fraction >= 1.0


@dataclass
class Deck:
    """One player and what it is playing."""

    player: Player
    playlist: Playlist | None = None
    index: int = -1
    token: int = -1
    volume: float = 0.0
    ramp: Ramp | None = None
    active: bool = False  # has a track loaded that should be sounding (or paused)
    leaving: bool = False  # fading out for good: no duck, skip or level change applies to it
    failures: int = 0  # errors in a row; a whole playlist of them means it cannot play

    @property
    def entry(self) -> Entry | None:
        if self.playlist is None or not 0 <= self.index < len(self.playlist.entries):
            return None
        return self.playlist.entries[self.index]


@dataclass
class Resume:
    """Where the music was when the app stopped: from the stored ``music`` events."""

    playlist: str
    file: str = ""
    title: str = ""


@dataclass(frozen=True)
class LeftControls:
    """How the therapist had left the music before the app stopped: paused, ducked, a volume."""

    paused: bool = False
    ducked: bool = False
    level: float | None = None

    @property
    def changed(self) -> bool:
        return self.paused or self.ducked or self.level is not None


def left_controls(payloads: Iterable[StoredPayload]) -> LeftControls:
    """Read from the stored ``music`` events, so a restart never brings back music that was
    paused, or at full level music that was ducked while someone spoke."""
    paused = ducked = False
    level: float | None = None
    for payload in payloads:
        action = payload.get("action")
        if action in ("pause", "resume"):
            paused = action == "pause"
        elif action in ("duck", "restore"):
            ducked = action == "duck"
        elif action == "controls_restored":
            paused, ducked = bool(payload.get("paused")), bool(payload.get("ducked"))
        elif action == "volume" and payload.get("by") == "therapist":
            volume = payload.get("volume")
            if isinstance(volume, int | float | str):
                try:
                    level = float(volume)
                except ValueError:  # a word where a number belongs: the level stays as it was
                    pass
    return LeftControls(paused, ducked, level)


def resume_point(payloads: Iterable[StoredPayload], playlist: str) -> Resume | None:
    """The last track started in ``playlist``, if the record has one."""
    found: Resume | None = None
    for payload in payloads:
        if payload.get("action") == "track_started" and payload.get("playlist") == playlist:
            found = Resume(playlist, str(payload.get("file", "")), str(payload.get("title", "")))
    return found
