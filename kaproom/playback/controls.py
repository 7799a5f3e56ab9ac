"""The therapist's controls over the music: duck, volume, next/previous, pause/resume.

``TherapistControls`` is an object the director owns (``director.controls``). It holds what the
therapist chose (the level, ducked, paused) and acts on the music through the director's
``Mixer`` (volumes and fades, so the clinic's ceiling and the fades apply to it exactly as to the
session's own changes) and the small ``Conductor`` interface the director offers (what the phase
wants, how a track starts, the record). Every control logs one ``music`` event.
"""
from __future__ import annotations

from typing import Protocol

from kaproom.domain.protocol_settings import MusicSettings
from kaproom.playback.deck import Deck, LeftControls, Resume, Value
from kaproom.playback.mixer import Mixer
from kaproom.playback.player import PlaybackError
from kaproom.playback.playlists import Entry, Playlist

DUCK_SECONDS = 1.0  # quick enough to speak over, slow enough not to jolt
LEVEL_SECONDS = 0.5
SKIP_FADE_SECONDS = 1.5  # next / previous / resume: the new sound comes in softly
LEVEL_STEP = 5  # one key press (Ctrl+Up / Ctrl+Down): a change the room hears, never a jump


class Conductor(Protocol):
    """What the controls need of the music's director: the phase's playlist, starting a track, the record."""

    @property
    def finished(self) -> bool:
        """The session's music has ended for good; no control applies any more."""

    @property
    def wanted(self) -> str | None:
        """The playlist the current phase asks for."""

    @property
    def resume_at(self) -> Resume | None:
        """Where a restart found the music, kept through a pause."""

    def start(self, playlist_name: str | None, resume: Resume | None = None) -> None:
        """Begin the music of a phase with a fade-in."""

    def start_track(self, deck: Deck, playlist: Playlist, index: int, *, play: bool = True) -> bool:
        """Start the first playable track from ``index`` on; False when none can be played."""

    def record(self, action: str, entry: Entry | None = None, playlist: Playlist | str | None = None,
               **extra: Value) -> None:
        """Log one ``music`` event."""

    def changed(self) -> None:
        """Tell the screen that what it shows may have changed."""


class TherapistControls:
    """The therapist's choices (level, ducked, paused) and the actions that change them."""

    def __init__(self, mixer: Mixer, settings: MusicSettings, conductor: Conductor) -> None:
        self.mixer = mixer
        self.conductor = conductor
        self.duck_level = settings.duck_level
        self.level = float(min(settings.start_volume, mixer.ceiling))
        self.ducked = False
        self.paused = False

    @property
    def target_volume(self) -> int:
        """Where the music settles: the therapist's level, or the duck level while ducked."""
        wanted = min(self.level, self.duck_level) if self.ducked else self.level
        return int(round(min(wanted, self.mixer.ceiling)))

    def restore_controls(self, left: LeftControls) -> None:
        """After a restart: pause, duck and volume as the therapist had left them (before start)."""
        if not left.changed or self.conductor.finished:
            return
        if left.level is not None:
            self.level = max(0.0, min(float(left.level), float(self.mixer.ceiling)))
        self.paused, self.ducked = left.paused, left.ducked
        self.conductor.record(
            "controls_restored", playlist=self.conductor.wanted, volume=self.target_volume, paused=left.paused,
            ducked=left.ducked, message="as left before the restart" + ("; paused" if left.paused else ""))
        self.conductor.changed()

    def toggle_duck(self) -> None:
        self.ducked = not self.ducked
        self.conductor.record("duck" if self.ducked else "restore", playlist=self.conductor.wanted,
                              volume=self.target_volume)
        self._retarget(DUCK_SECONDS)
        self.conductor.changed()

    def set_level(self, volume: float) -> None:
        """The therapist's music volume; never above the ceiling."""
        ceiling = self.mixer.ceiling
        new = max(0.0, min(float(volume), float(ceiling)))
        if int(round(new)) == int(round(self.level)):
            return
        self.level = new
        self.conductor.record(
            "volume", playlist=self.conductor.wanted, volume=int(round(new)), by="therapist",
            message=f"set by the therapist (ceiling {ceiling})" + ("; ducked now" if self.ducked else ""))
        self._retarget(LEVEL_SECONDS)
        self.conductor.changed()

    def step_level(self, steps: int) -> bool:
        """Louder (``steps`` > 0) or softer by whole key-press steps, from the level the room
        hears now, within 0 and the ceiling; False when already at that end (nothing logged)."""
        before = int(round(self.level))
        self.set_level(before + steps * LEVEL_STEP)
        return int(round(self.level)) != before

    def _retarget(self, seconds: float) -> None:
        """Send the current deck towards the new target, keeping any fade's own ending."""
        deck = self.mixer.current
        if not deck.active or deck.leaving or self.conductor.finished:
            return
        self.mixer.retarget(deck, self.target_volume, seconds)

    def next(self) -> None:
        self._skip(+1, "skip")

    def previous(self) -> None:
        self._skip(-1, "previous")

    def _skip(self, step: int, action: str) -> None:
        deck = self.mixer.current
        if self.conductor.finished or not deck.active or deck.leaving or deck.playlist is None:
            return
        self.conductor.record(action, deck.entry, deck.playlist)
        other = self.mixer.other(deck)
        if other.active:  # a crossfade's old side would cover the new track: end it
            self.mixer.stop(other)
        deck.failures = 0
        self.mixer.apply(deck, 0)
        started = self.conductor.start_track(deck, deck.playlist, deck.index + step, play=not self.paused)
        if started and not self.paused:
            self.mixer.ramp(deck, self.target_volume, SKIP_FADE_SECONDS)
        self.conductor.changed()

    def toggle_pause(self) -> None:
        if self.conductor.finished:
            return
        if self.paused:
            self.resume()
        else:
            self.pause()

    def pause(self) -> None:
        if self.conductor.finished or self.paused:
            return
        self.paused = True
        current = self.mixer.current
        for deck in self.mixer.decks:
            if deck is not current and deck.active:
                self.mixer.stop(deck)  # no half-faded old playlist waiting behind the pause
        if current.active:
            self.mixer.land(current)
            current.player.pause()
        self.conductor.record("pause", current.entry if current.active else None, self.conductor.wanted)
        self.conductor.changed()

    def resume(self) -> None:
        if self.conductor.finished or not self.paused:
            return
        self.paused = False
        deck = self.mixer.current
        wanted = self.conductor.wanted
        self.conductor.record("resume", deck.entry if deck.active else None, wanted)
        if deck.active and deck.playlist is not None and deck.playlist.name == wanted:
            self.mixer.apply(deck, 0)
            try:
                deck.player.play()
            except PlaybackError as exc:
                self.conductor.record("error", deck.entry, deck.playlist, message=f"{exc}; skipped")
                self.conductor.start_track(deck, deck.playlist, deck.index + 1)  # the next one, playing
            else:
                self.mixer.ramp(deck, self.target_volume, SKIP_FADE_SECONDS)
            self.conductor.changed()
        else:  # the phase changed during the pause, or the app restarted paused: start it now
            self.conductor.start(wanted, self.conductor.resume_at)
