"""The room screen's music: the wiring that makes music follow the session (the strip widget
itself, ``musicStrip``, is :mod:`kaproom.ui.music.strip_view`).

``install(room)`` is called once at the end of the room window's construction. It creates two
long-lived players (libvlc, or a clear banner when music cannot play: the session always goes
on), the director, the strip and the shortcuts; it follows phase changes, fades out at the end
of the session and, after a crash, resumes in the current phase's playlist at the recorded
track. Player events reach the director through the queued bridge, on the main thread.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QLabel

from kaproom.domain.events import Kind, RecordedEvent
from kaproom.domain.music import PREFERENCES_KEY, MusicPreferences
from kaproom.domain.session import State
from kaproom.playback import PlaybackUnavailable, Player, PlayerEvent, create_players
from kaproom.playback.director import CALMER, MORE_INTENSE, MusicDirector, Resume, left_controls, resume_point
from kaproom.playback.playlists import Playlist, open_phase_playlist
from kaproom.services.music_playlists import with_library_facts
from kaproom.services.paths import ASSETS_DIR
from kaproom.ui.kit.after_start import after_first_paint as when_first_painted
from kaproom.ui.kit.host import RoomHost
from kaproom.ui.kit.labels import plain_label
from kaproom.ui.music.bridge import PlayerEventBridge
from kaproom.ui.music.strip_view import MusicStrip

TICK_MS = 50  # fades are computed from the clock; this only sets how smooth the steps are (and runs only during one)
OUTPUT_CHECK_MS = 3000
#: libvlc starts once the room is on screen (it may take a moment to find the sound system); if the
#: room is never painted (hidden), the music starts after this long all the same.
START_AT_THE_LATEST_MS = 1500

SHORTCUTS = (
    ("Ctrl+D", "Duck the music while talking; press again to restore it", "duck"),
    ("Ctrl+Right", "Next music track", "next"),
    ("Ctrl+Left", "Previous music track", "previous"),
    ("Ctrl+Space", "Pause or resume the music", "pause"),
    ("Ctrl+Up", "Music louder (up to the clinic's ceiling)", "louder"),
    ("Ctrl+Down", "Music softer", "softer"),
    ("Ctrl+Shift+Down", "Calmer music: the next track is a calmer one of this phase, with a crossfade", "calmer"),
    ("Ctrl+Shift+Up", "More intense music: the next track is a more intense one of this phase, with a crossfade",
     "intense"),
)


class RoomMusic(QObject):
    """Keeps the director in step with the session shown by one room window."""

    def __init__(self, room: RoomHost, strip: MusicStrip, player_factory: Callable[[], list[Player]],
                 after_first_paint: bool = False) -> None:
        super().__init__(strip)
        self.room, self.strip = room, strip
        self._window = room.window()  # watched for its close
        self.controller = room.controller
        self.runner = self.controller.runner
        self.director: MusicDirector | None = None
        self.players: list[Player] = []
        self.bridge: PlayerEventBridge | None = None
        self.off_reason = ""
        self._closed = False
        self._started = False
        self._silent_checks = 0  # output checks in a row that found the sound going nowhere
        self._player_factory = player_factory
        self._waiting_for_paint = False
        self._wired = False
        self._banner: QLabel | None = None
        # Made once, here: they outlive each set of players ("Try music again" makes new ones).
        self.fade_timer = QTimer(self)
        self.fade_timer.setInterval(TICK_MS)
        self.fade_timer.timeout.connect(self._tick)
        self.output_timer = QTimer(self)
        self.output_timer.setInterval(OUTPUT_CHECK_MS)
        self.output_timer.timeout.connect(self._check_output)
        strip.retryRequested.connect(self.try_again)
        for key, description, action in SHORTCUTS:
            room.add_shortcut(key, description, partial(self._shortcut, action))
        if self._off_if_ended():
            return
        self._window.installEventFilter(self)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        if after_first_paint:  # the clock and the note field first; the sound system after
            self._waiting_for_paint = True
            strip.track.setText("Music: starting")
            when_first_painted(self._window, self._start_players)
            QTimer.singleShot(START_AT_THE_LATEST_MS, self._start_players)
        else:
            self._start_players()

    def _off_if_ended(self) -> bool:
        """No music for a session that has ended: the strip says so."""
        if self.runner.state.state.is_open:
            return False
        self.off_reason = "The session has ended; music is off."
        self.strip.show_off(self.off_reason)
        return True

    def _start_players(self) -> None:
        """Create the players and the director, and start the current phase's music (once)."""
        self._waiting_for_paint = False
        if self._closed or self.off_reason or self.director is not None:
            return
        if self._off_if_ended():  # also when it ended while the room was being shown
            return
        strip = self.strip
        try:
            self.players = list(self._player_factory())
        except PlaybackUnavailable as exc:
            self.music_off(str(exc))
            return
        self.bridge = PlayerEventBridge(self._on_player_event, self)
        for player in self.players:
            player.set_listener(self.bridge.post)
        self.director = MusicDirector(self.players, self.runner.protocol.music, self.controller.clock, self._log,
                                      self._open_playlist, self._notify, preferences=self._preferences())
        strip.attach(self.director)
        self._wire_once()
        self.director.fade_listeners.append(self._fade_started)
        self._silent_checks = 0
        self.output_timer.start()
        if self.runner.state.state == State.RUNNING and self.runner.state.phase is not None:
            self._start_current_phase()

    def _preferences(self) -> MusicPreferences:
        """The client's music preferences, as the session's created event keeps them."""
        try:
            created = self.controller.workspace.store.events(self.runner.session_uid, (Kind.SESSION_CREATED,))
        except Exception:  # noqa: BLE001 - without them the music plays everything, never stops
            return MusicPreferences()
        return MusicPreferences.from_payload(created[0].payload.get(PREFERENCES_KEY)) if created else MusicPreferences()

    def _wire_once(self) -> None:
        """What outlives one set of players: the session's signals and the last release."""
        if self._wired:
            return
        self._wired = True
        self.strip.destroyed.connect(lambda *_: _release(self.players, self.bridge))
        self.controller.eventRecorded.connect(self._on_event, Qt.ConnectionType.QueuedConnection)
        self.controller.sessionEnded.connect(self._on_session_ended, Qt.ConnectionType.QueuedConnection)

    # ---------------------------------------------------------------- session → music
    def _start_current_phase(self) -> None:
        """First music of this window: the current phase's playlist, at the recorded track if any."""
        assert self.director is not None
        name = self.runner.state.phase.playlist if self.runner.state.phase else None
        resume: Resume | None = None
        try:
            stored = [e.payload for e in self.controller.workspace.store.events(self.runner.session_uid, (Kind.MUSIC,))]
        except Exception:  # noqa: BLE001 - without the history the music simply starts afresh
            stored = []
        if stored and name:
            resume = resume_point(stored, name) or Resume(name)
        self._started = True
        self.director.restore_controls(left_controls(stored))  # paused stays paused, ducked stays ducked
        self.director.start(name, resume)

    def _on_event(self, event: RecordedEvent) -> None:
        if self.director is None or self._closed:
            return
        if event.kind == Kind.PHASE_CHANGED:
            index = int(event.payload.get("index", -1))
            phases = self.runner.protocol.phases
            name = phases[index].playlist if 0 <= index < len(phases) else None
            if self._started:
                self.director.change_playlist(name)
            else:
                self._started = True
                self.director.start(name)
        elif event.kind == Kind.SESSION_ENDED:
            self.director.finish()

    def _on_session_ended(self, *_: Any) -> None:
        if self.director is not None and not self._closed:
            self.director.finish()

    def _on_player_event(self, event: PlayerEvent) -> None:
        if self.director is not None and not self._closed:
            self.director.on_player_event(event)

    def _fade_started(self) -> None:
        if not self._closed and not self.fade_timer.isActive():
            self.fade_timer.start()

    def _tick(self) -> None:
        if self.director is not None and self.director.is_fading:
            self.director.tick()
        if self.director is None or not self.director.is_fading:
            self.fade_timer.stop()  # nothing to move until the next fade begins

    # ---------------------------------------------------------------- music → record and screen
    def _log(self, payload: dict[str, Any]) -> None:
        try:
            self.controller.record(Kind.MUSIC, payload)
        except Exception as exc:  # noqa: BLE001 - music must never take the session down
            self._notify(f"A music event could not be saved: {exc}", "error")

    def _notify(self, text: str, level: str) -> None:
        try:
            self.room.show_status(text, level)
        except Exception:  # noqa: BLE001 - a status line is a courtesy
            pass

    def _open_playlist(self, name: str) -> Playlist:
        workspace = self.controller.workspace
        return with_library_facts(workspace.store, open_phase_playlist(name, workspace.playlists_dir, ASSETS_DIR))

    def music_off(self, reason: str) -> None:
        """No music until the therapist tries again: a banner says why and what to do; the session goes on."""
        if self.off_reason:
            return
        self.off_reason = reason
        if self._banner is None:
            self._banner = plain_label("musicBanner")
            self.room.add_banner(self._banner)
        self._banner.setText(reason)
        self._banner.show()
        if self.director is not None:
            self.director.stop_now()  # first: its last refresh of the strip must not say "stopped" over "off"
        self.strip.show_off(reason, can_retry=True)
        if self.runner.state.state.is_open:
            self._log({"action": "unavailable", "message": reason})

    def try_again(self) -> None:
        """New players after the music went off (speakers plugged back in, the device freed), and
        the phase's music from the recorded track; if it still cannot play, the banner comes back."""
        if self._closed or not self.off_reason or self._waiting_for_paint:
            return
        if not self.runner.state.state.is_open:
            self.strip.show_off("The session has ended; music is off.")
            return
        self._log({"action": "retry", "message": f"music tried again after: {self.off_reason}"})
        self.output_timer.stop()
        self.fade_timer.stop()
        if self.director is not None:
            self.director.stop_now()
        self.strip.detach()
        _release(self.players, self.bridge)
        self.players, self.bridge, self.director = [], None, None
        self.off_reason, self._started = "", False
        if self._banner is not None:
            self._banner.hide()
        self.strip.retry_button.hide()
        self.strip.track.setText("Music: starting")
        self._start_players()

    def _check_output(self) -> None:
        if self.director is None or self._closed or self.off_reason:
            return
        problem = self.director.output_problem()
        self._silent_checks = self._silent_checks + 1 if problem else 0
        if problem and self._silent_checks >= 2:  # twice in a row: not a device that is merely slow to start
            self.output_timer.stop()
            self.music_off(problem)

    def _shortcut(self, action: str) -> None:
        director = self.director
        if director is None or self.off_reason:
            self._notify(self._why_no_music(), "info")
            return
        if action in ("louder", "softer"):
            self._step_volume(director, +1 if action == "louder" else -1)
            return
        if action in ("calmer", "intense"):
            director.steer(CALMER if action == "calmer" else MORE_INTENSE)
            return
        {"duck": director.toggle_duck, "next": director.next, "previous": director.previous,
         "pause": director.toggle_pause}[action]()

    def _why_no_music(self) -> str:
        """What a music key says while there is no music: the reason is the banner's to say (said
        once, where it stays), so the status line only points at it."""
        if self._waiting_for_paint:
            return "Music is starting."
        if self._banner is not None and self._banner.isVisible():
            return "Music is off, so that key did nothing (the banner above says why)."
        return self.off_reason or "Music is off."

    def _step_volume(self, director: MusicDirector, steps: int) -> None:
        """The strip shows the new level; the status line speaks only where the key did nothing
        or where the room will not hear the change yet (ducked, paused)."""
        if not director.step_level(steps):
            self._notify(f"The music is already at the clinic's ceiling, {director.ceiling}." if steps > 0
                         else "The music is already at 0 (silent); Ctrl+Up raises it.", "info")
        elif director.ducked:
            self._notify(f"Music volume {int(round(director.level))} once restored; it is ducked now "
                         "(Ctrl+D restores it).", "info")
        elif director.paused:
            self._notify(f"Music volume {int(round(director.level))} when it resumes (Ctrl+Space).", "info")

    # ---------------------------------------------------------------- closing
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self._window and event.type() == QEvent.Type.Close:
            if self.room.will_close():
                self.shutdown()  # it goes now, and may be deleted next: silence and free the players first
            else:
                QTimer.singleShot(0, self._after_close)  # the window may still refuse to close
        return False

    def _after_close(self) -> None:
        if not self._closed and not self._window.isVisible():
            self.shutdown()

    def shutdown(self) -> None:
        """The room screen is gone: silence now, free the players."""
        if self._closed:
            return
        self._closed = True
        director = self.director
        if director is not None:
            if not director.finished and director.is_playing and self.runner.state.state.is_open:
                self._log({"action": "volume", "volume": 0, "playlist": director.playlist_name,
                           "message": "music stopped (room screen closed)"})
            director.stop_now()
        self.fade_timer.stop()
        self.output_timer.stop()
        _release(self.players, self.bridge)


def _release(players: list[Player], bridge: PlayerEventBridge | None) -> None:
    if bridge is not None:
        try:
            bridge.close()
        except RuntimeError:
            pass
    for player in players:
        try:
            player.release()
        except Exception:  # noqa: BLE001 - tearing down; nothing left to tell
            pass


def install(room: RoomHost, player_factory: Callable[[], list[Player]] | None = None) -> MusicStrip:
    """Give ``room`` its music strip, shortcuts and phase-following music. Never raises for audio.

    With the system's libvlc (no ``player_factory``), the players are made once the room has been
    painted: starting libvlc may take a moment (it probes the sound system), and the clock and the
    note field must never wait for it."""
    strip = MusicStrip()
    room.set_music_strip(strip)
    strip.music = RoomMusic(room, strip, player_factory or create_players, after_first_paint=player_factory is None)
    return strip
