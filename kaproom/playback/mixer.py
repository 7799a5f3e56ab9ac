"""The two decks' volumes: fades computed from the clock, and never above the clinic's ceiling.

The mixer knows nothing of playlists, phases or the therapist: it holds the two decks, which one
is current, and moves their volumes. The director decides what plays; the therapist's controls
decide how loud; both reach the players' volumes only through ``apply`` and ``ramp``, so the
ceiling holds for every change. Fades are heard in real seconds, so a sped-up demo clock is
divided by its speed.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from kaproom.domain.clock import Clock
from kaproom.domain.music import volume_factor
from kaproom.playback.deck import Deck, Ramp
from kaproom.playback.player import Player
from kaproom.playback.playlists import Entry


class Mixer:
    """Two decks on two players, their fades and the ceiling."""

    def __init__(self, players: Sequence[Player], clock: Clock, ceiling: int,
                 fade_listeners: list[Callable[[], None]]) -> None:
        self.decks = [Deck(p) for p in players]
        self.current = self.decks[0]
        self.clock = clock
        self.ceiling = ceiling
        #: Called when a fade begins, so a host ticks only while one runs (shared with the director).
        self.fade_listeners = fade_listeners
        for deck in self.decks:
            deck.player.set_volume(0)

    @property
    def is_fading(self) -> bool:
        return any(deck.ramp is not None for deck in self.decks)

    def audible(self) -> list[Deck]:
        return [d for d in self.decks if d.active and d.player.is_playing() and d.volume > 0]

    def other(self, deck: Deck) -> Deck:
        return self.decks[1] if deck is self.decks[0] else self.decks[0]

    def now(self) -> float:
        """Seconds as the ear hears them: the injected clock, without a demo's speed-up."""
        return self.clock.monotonic() / max(float(getattr(self.clock, "speed", 1.0)), 1e-6)

    def apply(self, deck: Deck, volume: float) -> None:
        """Set a deck's volume at once, clamped to 0 and the ceiling. The player is given that
        volume corrected by the track's loudness gain (even loudness), never above the ceiling."""
        deck.volume = max(0.0, min(float(volume), float(self.ceiling)))
        level = self.player_level(deck)
        if level != deck.player.volume:
            deck.player.set_volume(level)

    def player_level(self, deck: Deck, entry: Entry | None = None) -> int:
        """The volume the deck's player gets: the deck's volume times its track's gain, under the ceiling."""
        entry = entry or deck.entry
        factor = volume_factor(entry.gain_db) if entry is not None else 1.0
        return int(round(max(0.0, min(deck.volume * factor, float(self.ceiling)))))

    def prepare(self, deck: Deck, entry: Entry) -> None:
        """Before ``entry`` starts on the deck: its own gain applies from its first sound."""
        level = self.player_level(deck, entry)
        if level != deck.player.volume:
            deck.player.set_volume(level)

    def ramp(self, deck: Deck, to: float, seconds: float, done: Callable[[], None] | None = None) -> None:
        """Fade ``deck`` from where it is to ``to``; ``done`` is called when the fade arrives."""
        deck.ramp = Ramp(self.now(), max(0.0, seconds), deck.volume, to, done)
        self.tick()
        if deck.ramp is not None:
            for listener in list(self.fade_listeners):
                listener()

    def remaining(self, deck: Deck) -> float:
        """Seconds left of the deck's fade (0 when none runs)."""
        ramp = deck.ramp
        return 0.0 if ramp is None else max(0.0, ramp.start_time + ramp.seconds - self.now())

    def retarget(self, deck: Deck, to: float, seconds: float) -> None:
        """Send the deck towards a new volume, keeping any fade's own ending and what it then does."""
        done = deck.ramp.done if deck.ramp is not None else None
        self.ramp(deck, to, max(seconds, self.remaining(deck)), done)

    def land(self, deck: Deck) -> None:
        """End the deck's fade at once where it was going, and do what its end does."""
        ramp = deck.ramp
        if ramp is None:
            return
        deck.ramp = None
        self.apply(deck, ramp.end)
        if ramp.done:
            ramp.done()

    def tick(self) -> None:
        """Move every fade to where the clock says it should be."""
        now = self.now()
        for deck in self.decks:
            ramp = deck.ramp
            if ramp is None:
                continue
            value, finished = ramp.value(now)
            self.apply(deck, value)
            if finished and deck.ramp is ramp:
                deck.ramp = None
                if ramp.done is not None:
                    ramp.done()

    def stop(self, deck: Deck) -> None:
        """Stop the deck's player and forget its track and fade; its volume goes to 0."""
        deck.player.stop()
        deck.active, deck.ramp, deck.failures, deck.leaving = False, None, 0, False
        self.apply(deck, 0)
