"""The one interface every audio backend offers, in the manner of Quod Libet's player backends.

The director (what plays when, how loud) talks only to this interface, so its logic is tested
with a fake player in milliseconds and runs unchanged on libvlc. A player plays one file at a
time and is kept for the whole session: libvlc players are costly to create and reliable when
reused.

Events (end of track, error) may be reported from a backend's own threads: the listener must
only copy the plain ``PlayerEvent`` and hand it on (see ``kaproom.ui.music.bridge``), never call
back into the player from there.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: What is shown and logged when no backend can play.
NO_LIBVLC = ("Music is off: libvlc is not installed — install Debian packages libvlc5 and vlc-plugin-base "
             "(or VLC 3 on Windows and macOS). The session runs normally without music.")


class PlaybackUnavailable(RuntimeError):
    """No audio backend on this machine (libvlc missing or broken); the message says what to do."""


class PlaybackError(RuntimeError):
    """One file could not be started; the next one may well play."""


@dataclass(frozen=True)
class PlayerEvent:
    """Plain values copied out of a backend callback: which player, which load, what happened."""

    player: str
    token: int  # the value ``load`` returned for the track this event is about
    kind: str  # "ended" | "error"
    message: str = ""


Listener = Callable[[PlayerEvent], None]


class Player(ABC):
    """One long-lived audio player. Volume is 0..100, heard as amplitude (volume/100)³ as libvlc maps
    it (so a track's loudness gain is a volume factor, :func:`kaproom.domain.music.volume_factor`);
    every call returns quickly."""

    name: str = "player"

    def __init__(self) -> None:
        self._listener: Listener | None = None

    def set_listener(self, listener: Listener | None) -> None:
        """Who hears of end of track and errors (possibly on another thread)."""
        self._listener = listener

    def _emit(self, token: int, kind: str, message: str = "") -> None:
        listener = self._listener
        if listener is not None:
            listener(PlayerEvent(self.name, token, kind, message))

    @abstractmethod
    def load(self, path: Path) -> int:
        """Make ``path`` the current track (stopping any other); return its event token."""

    @abstractmethod
    def play(self) -> None:
        """Start or resume the current track; raise PlaybackError when it cannot start."""

    @abstractmethod
    def pause(self) -> None:
        """Hold the current track where it is."""

    @abstractmethod
    def stop(self) -> None:
        """Stop and forget the position; safe to call when already stopped."""

    @abstractmethod
    def set_volume(self, volume: int) -> None:
        """0..100; applied at once."""

    @property
    @abstractmethod
    def volume(self) -> int:
        """The volume last set."""

    @abstractmethod
    def is_playing(self) -> bool:
        """True while sound is being produced (not paused, stopped or finished)."""

    def output_problem(self) -> str | None:
        """A sentence when the audio device is not taking the sound, else None."""
        return None

    def release(self) -> None:
        """Free the backend's resources; the player is not used afterwards."""
        self.set_listener(None)
        self.stop()
