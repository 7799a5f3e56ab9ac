"""A player that makes no sound, for logic tests: tracks end and fail when the test says so.

It keeps the player contract that libvlc keeps (tests/test_player_contract.py runs the same
assertions on both): a file that is not there, or that the test names unplayable, is refused by
``play()``; it decodes nothing, so it never judges a file's content by itself."""
from __future__ import annotations

from pathlib import Path

from kaproom.playback.player import PlaybackError, Player


class FakePlayer(Player):
    """Records everything it is asked to do; ``finish()`` and ``fail()`` play the backend's part."""

    def __init__(self, name: str = "fake", unplayable: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.name = name
        self.unplayable = set(unplayable)  # file names whose play() raises, like a corrupt file
        self.path: Path | None = None
        self.token = 0
        self.state = "stopped"  # stopped | playing | paused
        self._volume = 0
        self.volumes: list[int] = []  # every volume ever set, to check the ceiling
        self.loaded: list[Path] = []
        self.released = False

    def load(self, path: Path) -> int:
        self.path = Path(path)
        self.loaded.append(self.path)
        self.state = "stopped"
        self.token += 1
        return self.token

    def play(self) -> None:
        if self.path is None:
            raise PlaybackError("nothing loaded")
        if not self.path.is_file():  # libvlc reports such a file too (as an error event)
            raise PlaybackError(f"{self.path.name} cannot be found")
        if self.path.name in self.unplayable:
            raise PlaybackError(f"{self.path.name} cannot be decoded")
        self.state = "playing"

    def pause(self) -> None:
        if self.state == "playing":
            self.state = "paused"

    def stop(self) -> None:
        self.state = "stopped"

    def set_volume(self, volume: int) -> None:
        self._volume = max(0, min(100, int(volume)))
        self.volumes.append(self._volume)

    @property
    def volume(self) -> int:
        return self._volume

    def is_playing(self) -> bool:
        return self.state == "playing"

    def release(self) -> None:
        super().release()
        self.released = True

    # ---------------------------------------------------------------- the test's levers
    def finish(self) -> None:
        """The current track reaches its end."""
        self.state = "stopped"
        self._emit(self.token, "ended")

    def fail(self, message: str = "cannot decode this file") -> None:
        """The backend reports an error for the current track."""
        self.state = "stopped"
        self._emit(self.token, "error", message)
