"""Phase-aware music: what plays when, how loud, and what the record says about it.

Pure Python over the ``Player`` interface and the injected clock. Nothing here waits or runs
by itself: the screen calls ``tick()`` often (volume ramps are computed from the clock, so a
``FakeClock`` runs a fade in no time), and hands over player events (end of track, error) on
the main thread. Two players allow a real crossfade at a phase change: the old playlist ramps
down while the new one ramps up. The director owns two collaborators: the ``Mixer`` (the two
decks, their fades on the clock, never above the clinic's ceiling) and the ``TherapistControls``
(duck, volume, skips, pause), which act through the mixer and the director's ``Conductor`` side.
Track starts, skips, errors, fades, duck and volume changes are logged as ``music`` events
through ``log``; fades log where they start and end, not every step.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

from kaproom.domain.clock import Clock
from kaproom.domain.music import MusicPreferences, nearest_by_intensity, skip_reason
from kaproom.domain.protocol_settings import MusicSettings
from kaproom.playback.controls import DUCK_SECONDS, TherapistControls
from kaproom.playback.deck import Deck, LeftControls, Resume, Value, left_controls, resume_point
from kaproom.playback.mixer import Mixer
from kaproom.playback.player import PlaybackError, Player, PlayerEvent
from kaproom.playback.playlists import Entry, Playlist, PlaylistError

NO_PREFERENCES = MusicPreferences()
CALMER, MORE_INTENSE = -1, +1
STEER_WORDS = {CALMER: "calmer", MORE_INTENSE: "more intense"}

__all__ = ["CALMER", "DUCK_SECONDS", "MORE_INTENSE", "LeftControls", "MusicDirector", "Resume", "left_controls",
           "resume_point"]

Log = Callable[[dict[str, Value]], None]  # one ``music`` event's payload
Notify = Callable[[str, str], None]  # (text, level "info"|"warning"|"error")


@dataclass
class MusicDirector:
    players: Sequence[Player]
    settings: MusicSettings
    clock: Clock
    log: Log
    open_playlist: Callable[[str], Playlist]
    notify: Notify = lambda text, level: None
    listeners: list[Callable[[], None]] = field(default_factory=list)
    #: Called when a fade begins, so a host ticks only while one runs (an idle room stays idle).
    fade_listeners: list[Callable[[], None]] = field(default_factory=list)
    #: The client's wishes from the start page: tracks that do not fit are skipped, quietly logged.
    preferences: MusicPreferences = NO_PREFERENCES

    def __post_init__(self) -> None:
        if len(self.players) != 2 or self.players[0].name == self.players[1].name:
            raise ValueError("the director crossfades between exactly two players with different names")
        self.mixer = Mixer(self.players, self.clock, int(self.settings.volume_ceiling), self.fade_listeners)
        self.controls = TherapistControls(self.mixer, self.settings, self)
        self.finished = False
        self.started = False  # the first start() has happened (the session's music has begun)
        self.resume_at: Resume | None = None  # where a restart found the music, kept through a pause
        self.wanted: str | None = None  # playlist the current phase asks for
        self.steering = 0  # CALMER or MORE_INTENSE while a request waits for the running fade to end
        self._skips_logged: set[tuple[str, str]] = set()  # each unfitting track is logged once per playlist

    # ---------------------------------------------------------------- what the screen shows
    @property
    def decks(self) -> list[Deck]:
        return self.mixer.decks

    @property
    def current(self) -> Deck:
        return self.mixer.current

    @property
    def ceiling(self) -> int:
        return self.mixer.ceiling

    @property
    def level(self) -> float:
        return self.controls.level

    @property
    def ducked(self) -> bool:
        return self.controls.ducked

    @property
    def paused(self) -> bool:
        return self.controls.paused

    @property
    def target_volume(self) -> int:
        """Where the music settles: the therapist's level, or the duck level while ducked."""
        return self.controls.target_volume

    @property
    def track(self) -> Entry | None:
        return self.current.entry if self.current.active else None

    @property
    def playlist_name(self) -> str:
        return self.wanted or ""

    @property
    def is_fading(self) -> bool:
        return self.mixer.is_fading

    @property
    def is_playing(self) -> bool:
        return self.current.active and not self.paused

    def audible_decks(self) -> list[Deck]:
        return self.mixer.audible()

    def changed(self) -> None:
        """Tell the listeners (the screen) that what they show may have changed."""
        for listener in list(self.listeners):
            listener()

    # ---------------------------------------------------------------- the therapist's controls
    # The controls are ``self.controls``; these names are the ones the screen and the tests use.
    def restore_controls(self, left: LeftControls) -> None:
        self.controls.restore_controls(left)

    def toggle_duck(self) -> None:
        self.controls.toggle_duck()

    def set_level(self, volume: float) -> None:
        self.controls.set_level(volume)

    def step_level(self, steps: int) -> bool:
        return self.controls.step_level(steps)

    def next(self) -> None:
        self.controls.next()

    def previous(self) -> None:
        self.controls.previous()

    def toggle_pause(self) -> None:
        self.controls.toggle_pause()

    def pause(self) -> None:
        self.controls.pause()

    def resume(self) -> None:
        self.controls.resume()

    # ---------------------------------------------------------------- logging
    def record(self, action: str, entry: Entry | None = None, playlist: Playlist | str | None = None,
               **extra: Value) -> None:
        """Log one ``music`` event: the action, the track and playlist if any, and the rest given."""
        payload: dict[str, Value] = {"action": action}
        if entry is not None:
            payload.update(title=entry.display_title, file=str(entry.path))
        name = playlist.name if isinstance(playlist, Playlist) else playlist
        if name:
            payload["playlist"] = name
        payload.update({k: v for k, v in extra.items() if v is not None})
        self.log(payload)

    def tick(self) -> None:
        """Move every fade to where the clock says it should be; a steering request waiting for a
        fade to end is carried out once it has."""
        self.mixer.tick()
        if self.steering and not self.mixer.is_fading:
            self._steer_now()

    # ---------------------------------------------------------------- steering by intensity
    def steer(self, direction: int) -> bool:
        """The therapist asks for calmer (CALMER) or more intense (MORE_INTENSE) music: the track
        of the phase's playlist nearest in intensity that way comes in with a crossfade (after the
        fade under way, if one is); never a cut. False (and a quiet word) when nothing is that way."""
        deck = self.current
        words = STEER_WORDS[direction]
        if self.finished or not deck.active or deck.playlist is None:
            self.notify(f"No music is playing to make {words}.", "info")
            return False
        if self._steer_choice(deck, direction) is None:
            self.record("steer", deck.entry, deck.playlist, direction=words,
                        message=f"{words} music asked for; nothing {words} in this phase's playlist")
            self.notify(f"Nothing {words} in {deck.playlist.name}: the intensity of its tracks is set in the "
                        "music library.", "info")
            return False
        self.steering = direction
        waits = self.mixer.is_fading or self.paused
        self.record("steer", deck.entry, deck.playlist, direction=words,
                    message=f"{words} music asked for" + ("; after the fade under way" if waits else ""))
        if not waits:
            self._steer_now()
        self.changed()
        return True

    def _intensities(self, playlist: Playlist) -> list[int | None]:
        """Each entry's intensity, None where it is unknown or the track does not fit the client."""
        return [e.facts.intensity if e.facts is not None and e.exists and self._unfit(e) is None else None
                for e in playlist.entries]

    def _steer_choice(self, deck: Deck, direction: int) -> int | None:
        if deck.playlist is None:
            return None
        entry = deck.entry
        current = entry.facts.intensity if entry is not None and entry.facts is not None else None
        return nearest_by_intensity(self._intensities(deck.playlist), current, direction, deck.index)

    def _steer_now(self) -> None:
        direction, self.steering = self.steering, 0
        outgoing = self.current
        playlist = outgoing.playlist
        if self.finished or self.paused or not outgoing.active or playlist is None:
            return
        index = self._steer_choice(outgoing, direction)
        if index is None:
            return
        before = outgoing.entry
        seconds = self.settings.crossfade_seconds
        incoming = self.mixer.other(outgoing)
        if incoming.active:
            self.mixer.stop(incoming)
        self.mixer.apply(incoming, 0)
        if not self.start_track(incoming, playlist, index):
            return
        after = incoming.entry
        old = before.facts.intensity if before is not None and before.facts is not None else None
        new = after.facts.intensity if after is not None and after.facts is not None else None
        self.record("crossfade", after, playlist, volume=self.target_volume,
                    message=f"{STEER_WORDS[direction]} as asked: intensity {old if old is not None else '?'} "
                            f"to {new if new is not None else '?'}, over {seconds:g} s")
        outgoing.leaving = True
        self.mixer.ramp(outgoing, 0, seconds, lambda: self.mixer.stop(outgoing))
        self.mixer.current = incoming
        self.mixer.ramp(incoming, self.target_volume, seconds)
        self.changed()

    def _unfit(self, entry: Entry) -> str | None:
        if not self.preferences.any:
            return None
        return skip_reason(self.preferences, entry.facts, str(entry.path), entry.display_title)

    # ---------------------------------------------------------------- playlists and tracks
    def _open(self, name: str) -> Playlist | None:
        try:
            playlist = self.open_playlist(name)
        except PlaylistError as exc:
            self.record("error", playlist=name, message=str(exc))
            self.notify(f"No music for this phase: {exc}", "warning")
            return None
        if playlist.problems:
            self.notify(playlist.summary(), "warning")
            broken = [p.describe() for p in playlist.problems if not p.missing_file]
            if broken:  # missing files are logged one by one when their turn comes
                self.record("error", playlist=playlist, message=f"{playlist.path}: " + "; ".join(broken[:10]))
        return playlist

    def start_track(self, deck: Deck, playlist: Playlist, index: int, *, play: bool = True) -> bool:
        """Start the first playable track from ``index`` on; log what was skipped and why."""
        count = len(playlist.entries)
        unfit = 0
        for attempt in range(count):
            position = (index + attempt) % count
            entry = playlist.entries[position]
            why = self._unfit(entry)
            if why is not None:  # the client's wish: said once in the log, not on the screen
                unfit += 1
                if (playlist.name, str(entry.path)) not in self._skips_logged:
                    self._skips_logged.add((playlist.name, str(entry.path)))
                    self.record("skipped", entry, playlist, message=f"skipped: {why}")
                continue
            if not entry.exists:
                self.record("error", entry, playlist,
                            message=f"file not found, skipped ({entry.where} of {playlist.path})")
                continue
            try:
                deck.token = deck.player.load(entry.path)
                self.mixer.prepare(deck, entry)
                if play:
                    deck.player.play()
            except PlaybackError as exc:
                self.record("error", entry, playlist, message=f"{exc}; skipped")
                continue
            deck.playlist, deck.index, deck.active, deck.leaving = playlist, position, True, False
            gain = round(entry.gain_db, 1) if entry.facts is not None and entry.facts.loudness is not None else None
            self.record("track_started", entry, playlist, gain_db=gain)
            return True
        deck.active, deck.playlist = False, playlist
        deck.player.stop()
        self._unavailable(playlist, all_unfit=unfit == count)
        return False

    def _unavailable(self, playlist: Playlist, all_unfit: bool = False) -> None:
        message = (f"nothing in {playlist.name} fits the client's music preferences; this phase is silent"
                   if all_unfit else
                   f"no track in {playlist.name} can be played; the session goes on without music for this phase")
        self.record("unavailable", playlist=playlist, message=message)
        self.notify(message, "warning")

    @staticmethod
    def _index_of(playlist: Playlist, resume: Resume | None) -> int:
        if resume is None:
            return 0
        for index, entry in enumerate(playlist.entries):
            if resume.file and str(entry.path) == resume.file:
                return index
        for index, entry in enumerate(playlist.entries):
            if resume.title and entry.display_title == resume.title:
                return index
        return 0

    # ---------------------------------------------------------------- the session's arc
    def start(self, playlist_name: str | None, resume: Resume | None = None) -> None:
        """Begin (or, after a restart, resume) the music of a phase with a fade-in."""
        if self.finished:
            return
        self.started = True
        self.wanted = playlist_name
        self.resume_at = resume if self.paused and resume is not None and resume.playlist == playlist_name else None
        for deck in self.decks:
            if deck.active:
                self.mixer.stop(deck)
        if not playlist_name or self.paused:
            self.changed()
            return
        playlist = self._open(playlist_name)
        if playlist is not None and self.start_track(self.current, playlist, self._index_of(playlist, resume)):
            self.mixer.apply(self.current, 0)
            seconds = self.settings.fade_in_seconds
            message = f"over {seconds:g} s" + (", resuming after a restart" if resume else "")
            self.record("fade_in", playlist=playlist, volume=self.target_volume, message=message)
            self.mixer.ramp(self.current, self.target_volume, seconds, lambda: self.record(
                "volume", playlist=playlist, volume=self.target_volume, message="fade-in finished"))
        self.changed()

    def change_playlist(self, playlist_name: str | None) -> None:
        """A new phase: crossfade to its playlist (fade out if it has none; nothing if the same)."""
        if self.finished or playlist_name == self.wanted:
            return
        old_name = self.wanted
        if not self.current.active or self.paused:
            self.start(playlist_name)
            return
        self.wanted = playlist_name
        seconds = self.settings.crossfade_seconds
        outgoing, incoming = self.current, self.mixer.other(self.current)
        if incoming.active:  # a crossfade still under way: its old side goes now
            self.mixer.stop(incoming)
        playlist = self._open(playlist_name) if playlist_name else None
        if playlist is None:
            self.record("fade_out", playlist=old_name, volume=0,
                        message=f"over {seconds:g} s; this phase has no music")
            outgoing.leaving = True
            self.mixer.ramp(outgoing, 0, seconds,
                            lambda: self._finish_fade_out(outgoing, old_name, "phase without music"))
            self.changed()
            return
        self.record("crossfade", playlist=playlist, volume=self.target_volume,
                    message=f"from {old_name} to {playlist.name} over {seconds:g} s")
        outgoing.leaving = True
        self.mixer.ramp(outgoing, 0, seconds, lambda: self.mixer.stop(outgoing))
        self.mixer.apply(incoming, 0)
        if self.start_track(incoming, playlist, 0):
            self.mixer.current = incoming
            self.mixer.ramp(incoming, self.target_volume, seconds, lambda: self.record(
                "volume", playlist=playlist, volume=self.target_volume,
                message=f"crossfade finished; {old_name} stopped"))
        self.changed()

    def _finish_fade_out(self, deck: Deck, playlist: str | None, why: str) -> None:
        self.mixer.stop(deck)
        self.record("volume", playlist=playlist, volume=0, message=f"music stopped ({why})")
        self.changed()

    def finish(self) -> None:
        """The session has ended: fade everything out, then stop for good."""
        if self.finished:
            return
        self.finished = True
        sounding = [d for d in self.decks if d.active]
        if not sounding:
            self.changed()
            return
        seconds = self.settings.fade_out_seconds
        name = self.wanted
        self.record("fade_out", playlist=name, volume=0, message=f"session ended; over {seconds:g} s")
        left = {id(d) for d in sounding}

        def one_done(deck: Deck) -> None:
            self.mixer.stop(deck)
            left.discard(id(deck))
            if not left:
                self.record("volume", playlist=name, volume=0, message="music stopped (end of session)")
                self.changed()

        for deck in sounding:
            deck.leaving = True
            if deck.ramp is not None and deck.ramp.end == 0:  # already on its way out: keep its pace
                self.mixer.ramp(deck, 0, min(seconds, self.mixer.remaining(deck)), partial(one_done, deck))
            else:
                self.mixer.ramp(deck, 0, seconds, partial(one_done, deck))
        self.changed()

    def stop_now(self) -> None:
        """Silence at once (window closing, audio device gone); no further music this session."""
        self.finished = True
        for deck in self.decks:
            if deck.active:
                self.mixer.stop(deck)
        self.changed()

    # ---------------------------------------------------------------- the players' events
    def on_player_event(self, event: PlayerEvent) -> None:
        """End of track or error, already on the main thread; stale events are ignored."""
        deck = next((d for d in self.decks if d.player.name == event.player), None)
        if deck is None or event.token != deck.token or not deck.active or deck.playlist is None:
            return
        if deck is not self.current:  # the fading-out side ended early: just let it go
            self.mixer.stop(deck)
            self.changed()
            return
        if event.kind == "ended":
            deck.failures = 0
            self.record("track_ended", deck.entry, deck.playlist)
            if not self.finished:
                self._advance(deck)
            else:
                self.mixer.stop(deck)
        elif event.kind == "error":
            deck.failures += 1
            self.record("error", deck.entry, deck.playlist, message=f"{event.message or 'playback error'}; skipped")
            if deck.failures >= len(deck.playlist.entries):
                self.mixer.stop(deck)
                self._unavailable(deck.playlist)
            elif not self.finished:
                self._advance(deck)
        self.changed()

    def _advance(self, deck: Deck) -> None:
        if deck.playlist is not None:
            self.start_track(deck, deck.playlist, deck.index + 1, play=not self.paused)

    def output_problem(self) -> str | None:
        return self.current.player.output_problem() if self.is_playing else None

    def release(self) -> None:
        for deck in self.decks:
            deck.player.release()
