"""The therapist's controls over the music: duck, volume, next/previous, pause/resume.

A mixin of ``MusicDirector`` (kept apart so each file stays readable): every control logs one
``music`` event and reaches its volume through the director's ramps, so the clinic's ceiling
and the fades apply to it exactly as to the session's own changes.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kaproom.playback.player import PlaybackError

if TYPE_CHECKING:
    from kaproom.playback.deck import Deck, LeftControls, Resume

DUCK_SECONDS = 1.0  # quick enough to speak over, slow enough not to jolt
LEVEL_SECONDS = 0.5
SKIP_FADE_SECONDS = 1.5  # next / previous / resume: the new sound comes in softly
LEVEL_STEP = 5  # one key press (Ctrl+Up / Ctrl+Down): a change the room hears, never a jump


class TherapistControls:
    """Needs the director's state and helpers (declared here for readers and type checkers)."""

    current: Deck
    ceiling: int
    level: float
    ducked: bool
    paused: bool
    finished: bool
    wanted: str | None
    target_volume: int
    _log: Callable[..., None]
    _changed: Callable[[], None]
    _now: Callable[[], float]
    _ramp: Callable[..., None]
    _apply: Callable[[Deck, float], None]
    _other: Callable[[Deck], Deck]
    _stop_deck: Callable[[Deck], None]
    _start_track: Callable[..., bool]
    _advance: Callable[[Deck], None]
    start: Callable[..., None]
    resume_at: Resume | None

    def restore_controls(self, left: LeftControls) -> None:
        """After a restart: pause, duck and volume as the therapist had left them (before start)."""
        if not left.changed or self.finished:
            return
        if left.level is not None:
            self.level = max(0.0, min(float(left.level), float(self.ceiling)))
        self.paused, self.ducked = left.paused, left.ducked
        self._log("controls_restored", playlist=self.wanted, volume=self.target_volume, paused=left.paused,
                  ducked=left.ducked, message="as left before the restart" + ("; paused" if left.paused else ""))
        self._changed()

    def toggle_duck(self) -> None:
        self.ducked = not self.ducked
        self._log("duck" if self.ducked else "restore", playlist=self.wanted, volume=self.target_volume)
        self._retarget(DUCK_SECONDS)
        self._changed()

    def set_level(self, volume: float) -> None:
        """The therapist's music volume; never above the ceiling."""
        new = max(0.0, min(float(volume), float(self.ceiling)))
        if int(round(new)) == int(round(self.level)):
            return
        self.level = new
        self._log("volume", playlist=self.wanted, volume=int(round(new)), by="therapist",
                  message=f"set by the therapist (ceiling {self.ceiling})" + ("; ducked now" if self.ducked else ""))
        self._retarget(LEVEL_SECONDS)
        self._changed()

    def step_level(self, steps: int) -> bool:
        """Louder (``steps`` > 0) or softer by whole key-press steps, from the level the room
        hears now, within 0 and the ceiling; False when already at that end (nothing logged)."""
        before = int(round(self.level))
        self.set_level(before + steps * LEVEL_STEP)
        return int(round(self.level)) != before

    def _retarget(self, seconds: float) -> None:
        """Send the current deck towards the new target, keeping any fade's own ending."""
        deck = self.current
        if not deck.active or deck.leaving or self.finished:
            return
        now = self._now()
        done, remaining = None, 0.0
        if deck.ramp is not None:
            done = deck.ramp.done
            remaining = max(0.0, deck.ramp.start_time + deck.ramp.seconds - now)
        self._ramp(deck, self.target_volume, max(seconds, remaining), done)

    def next(self) -> None:
        self._skip(+1, "skip")

    def previous(self) -> None:
        self._skip(-1, "previous")

    def _skip(self, step: int, action: str) -> None:
        deck = self.current
        if self.finished or not deck.active or deck.leaving or deck.playlist is None:
            return
        self._log(action, deck.entry, deck.playlist)
        other = self._other(deck)
        if other.active:  # a crossfade's old side would cover the new track: end it
            self._stop_deck(other)
        deck.failures = 0
        self._apply(deck, 0)
        if self._start_track(deck, deck.playlist, deck.index + step, play=not self.paused) and not self.paused:
            self._ramp(deck, self.target_volume, SKIP_FADE_SECONDS)
        self._changed()

    def toggle_pause(self) -> None:
        if self.finished:
            return
        if self.paused:
            self.resume()
        else:
            self.pause()

    def pause(self) -> None:
        if self.finished or self.paused:
            return
        self.paused = True
        for deck in self.decks:
            if deck is not self.current and deck.active:
                self._stop_deck(deck)  # no half-faded old playlist waiting behind the pause
        deck = self.current
        if deck.active:
            if deck.ramp is not None:
                ramp, deck.ramp = deck.ramp, None
                self._apply(deck, ramp.end)
                if ramp.done:
                    ramp.done()
            deck.player.pause()
        self._log("pause", deck.entry if deck.active else None, self.wanted)
        self._changed()

    def resume(self) -> None:
        if self.finished or not self.paused:
            return
        self.paused = False
        deck = self.current
        self._log("resume", deck.entry if deck.active else None, self.wanted)
        if deck.active and deck.playlist is not None and deck.playlist.name == self.wanted:
            self._apply(deck, 0)
            try:
                deck.player.play()
            except PlaybackError as exc:
                self._log("error", deck.entry, deck.playlist, message=f"{exc}; skipped")
                self._advance(deck)
            else:
                self._ramp(deck, self.target_volume, SKIP_FADE_SECONDS)
            self._changed()
        else:  # the phase changed during the pause, or the app restarted paused: start it now
            self.start(self.wanted, self.resume_at)
