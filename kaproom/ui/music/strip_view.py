"""The room's music strip (``musicStrip``): what plays, from which playlist, how loud, the controls.

Only the widget: :mod:`kaproom.ui.music.strip` makes the players and the director and keeps the
music in step with the session; the strip shows the director it is given and passes the
therapist's clicks to it.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QSlider, QWidget

from kaproom.domain.vocabulary import shorten
from kaproom.ui.kit.buttons import make_button
from kaproom.ui.kit.labels import ElidedLabel, make_label

if TYPE_CHECKING:
    from kaproom.playback.director import MusicDirector

TITLE_CHARS = 48  # longer track names are shortened on the strip; the tooltip has the file
PLAYLIST_CHARS = 32  # and so are a clinic's long playlist names: the strip must fit a 1366-wide screen


class MusicStrip(QFrame):
    """What plays, from which playlist, how loud (and the ceiling), whether ducked; the controls."""

    retryRequested = Signal()  # "Try music again", offered while the music is off for a reason that may pass

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("musicStrip")
        self.setAccessibleName("Music")
        # The room draws the frame around the strip (the theme leaves the strip itself bare inside it).
        self.director: MusicDirector | None = None
        self.music: QObject | None = None  # what drives it (strip.RoomMusic), kept alive with the strip
        self.track = ElidedLabel("musicTrack", "Music: waiting for the session to start")
        self.playlist = ElidedLabel("musicPlaylist", "")
        self.volume = make_label("musicVolume", plain=True)  # words from files: never rich text
        self.duck_state = make_label("musicDuckState", plain=True)
        self.level = QSlider(Qt.Orientation.Horizontal)
        self.level.setObjectName("musicLevel")
        self.level.setTracking(False)  # one volume event when the therapist lets go, not one per pixel
        self.level.setMinimumWidth(90)
        self.level.setMaximumWidth(160)
        self.level.setAccessibleName("Music volume")
        self.level.setToolTip("Music volume, up to the clinic's ceiling (Ctrl+Up louder, Ctrl+Down softer)")
        # Wired once, to whichever director is attached: "Try music again" brings a new one.
        self.previous_button = _button("musicPrevious", "Previous", "Previous track (Ctrl+Left)",
                                       lambda: self._tell("previous"))
        self.pause_button = _button("musicPause", "Pause", "Pause or resume the music (Ctrl+Space)",
                                    lambda: self._tell("toggle_pause"))
        self.next_button = _button("musicNext", "Next", "Next track (Ctrl+Right)", lambda: self._tell("next"))
        self.duck_button = _button("musicDuck", "Duck", "Lower the music while talking; again to restore (Ctrl+D)",
                                   lambda: self._tell("toggle_duck"))
        self.retry_button = _button("musicRetry", "Try music again",
                                    "Start the music again, for instance after plugging the speakers back in",
                                    self.retryRequested.emit)
        self.retry_button.hide()
        self.level.valueChanged.connect(lambda value: self._tell("set_level", value))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(12)
        for label in (self.track, self.playlist):
            layout.addWidget(label)
        layout.addStretch(1)
        for widget in (self.volume, self.level, self.duck_state, self.previous_button, self.pause_button,
                       self.next_button, self.duck_button, self.retry_button):
            layout.addWidget(widget)
        self._set_controls_enabled(False)

    def _set_controls_enabled(self, enabled: bool) -> None:
        for widget in (self.level, self.previous_button, self.pause_button, self.next_button, self.duck_button):
            widget.setEnabled(enabled)

    def _tell(self, action: str, *args: Any) -> None:
        if self.director is not None:
            getattr(self.director, action)(*args)

    def attach(self, director: MusicDirector) -> None:
        self.detach()
        self.director = director
        self.level.setRange(0, director.ceiling)
        self.level.show()
        self.retry_button.hide()
        director.listeners.append(self.refresh)
        self._set_controls_enabled(True)
        self.refresh()

    def detach(self) -> None:
        """Forget the director (its players are about to be released)."""
        if self.director is not None and self.refresh in self.director.listeners:
            self.director.listeners.remove(self.refresh)
        self.director = None

    def refresh(self) -> None:
        director = self.director
        if director is None:
            return
        entry = director.track
        if director.finished:
            text = "Music: stopped"
        elif entry is not None:
            text = f"{'Paused' if director.paused else 'Playing'}: {shorten(entry.display_title, TITLE_CHARS)}"
        elif director.paused:
            text = "Music: paused"
        elif not director.started:
            text = "Music: starts with the session"
        else:
            text = "Music: none for this phase" if director.wanted is None else "Music: not playing"
        self.track.setText(text)
        self.track.setToolTip(f"{entry.display_title}\n{entry.path}" if entry is not None else "")
        name = director.playlist_name
        self.playlist.setText(f"Playlist: {shorten(name, PLAYLIST_CHARS)}" if name else "")
        self.playlist.setToolTip(name if len(name or "") > PLAYLIST_CHARS else "")
        self.volume.setText(f"Volume {int(round(director.level))} (max {director.ceiling})")
        self.duck_state.setText(f"Ducked to {director.target_volume}" if director.ducked else "")
        self.duck_button.setText("Restore" if director.ducked else "Duck")
        self.pause_button.setText("Resume" if director.paused else "Pause")
        self.level.blockSignals(True)
        self.level.setValue(int(round(director.level)))
        self.level.blockSignals(False)
        self._set_controls_enabled(not director.finished)

    def show_off(self, reason: str, can_retry: bool = False) -> None:
        self.track.setText("Music is off")
        self.track.setToolTip(reason)
        self.playlist.setText("")
        self.volume.setText("")
        self.duck_state.setText("")
        self.level.hide()
        self._set_controls_enabled(False)
        self.retry_button.setVisible(can_retry)
        self.retry_button.setEnabled(can_retry)


def _button(name: str, text: str, tip: str, on_click: Callable[[], object]) -> QPushButton:
    """The strip's buttons: Tab reaches them, a click does not pull the focus out of a note."""
    return make_button(name, text, tip=tip, focus=Qt.FocusPolicy.TabFocus, on_click=on_click)

