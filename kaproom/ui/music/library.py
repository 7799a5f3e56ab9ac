"""The clinic's music: the library (import a folder, each track's facts) and the playlist builder
(choose and order tracks for each phase of each protocol, the total against the phase's length,
a quiet preview). Opened by *Music* on the home page.

The work is done by :mod:`kaproom.services.music_library` and
:mod:`kaproom.services.music_playlists`; an import runs on a worker thread (a folder of thousands
of files keeps the window responsive, with progress) and hands its report back with a queued signal.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QObject, Qt, QThread, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kaproom.domain.music import INTENSITY_WORDS, LYRICS_VALUES, LYRICS_WORDS, normalise_language, volume_factor
from kaproom.domain.protocol import Protocol
from kaproom.playback import PlaybackError, PlaybackUnavailable, Player, create_players
from kaproom.playback.playlists import PlaylistError, open_phase_playlist
from kaproom.services.music_library import ImportReport, MusicLibrary
from kaproom.services.music_playlists import draft_plan, find_phase, library_ids, save_phase_playlist
from kaproom.services.paths import ASSETS_DIR
from kaproom.services.workspace import Workspace
from kaproom.store import StoreError
from kaproom.store.music import LibraryTrack
from kaproom.ui.kit.errors import calm_message

#: The preview plays this quietly (before the track's own gain): a check on the computer's speakers,
#: never a surprise in a quiet room.
PREVIEW_VOLUME = 25
COLUMNS = ("Title", "Artist", "Length", "Loudness", "Lyrics", "Intensity", "Note", "State")


def _length(seconds: float | None) -> str:
    if seconds is None:
        return "?:??"
    whole = int(round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def _state(track: LibraryTrack) -> str:
    """Short, for the table; the tooltip has the whole reason."""
    if track.missing:
        return "Missing"
    return "Cannot play" if track.problem else "OK"


def _state_detail(track: LibraryTrack) -> str:
    if track.missing:
        return f"Missing: {track.path} has been moved or deleted. Import its new folder to find it again."
    return f"Cannot play: {track.problem}" if track.problem else track.path


class ImportWorker(QObject):
    """Runs one import on a worker thread; reports progress and the outcome by queued signals."""

    progressed = Signal(int, int, str)
    done = Signal(object)  # ImportReport, or the exception that stopped it

    def __init__(self, library: MusicLibrary, folder: Path) -> None:
        super().__init__()
        self.library, self.folder = library, folder

    def run(self) -> None:
        try:
            result: object = self.library.import_folder(
                self.folder, lambda done, total, path: self.progressed.emit(done, total, path.name))
        except Exception as exc:  # noqa: BLE001 - any failure is said in the window, never a crash
            result = exc
        self.done.emit(result)


class MusicLibraryWindow(QMainWindow):
    """The library on the left (tracks and the selected track's facts), the builder on the right."""

    importFinished = Signal(object)  # the ImportReport (or the error), once the window shows it
    saved = Signal(str)  # the playlist file written

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.library = MusicLibrary(workspace.store)
        self.tracks: list[LibraryTrack] = []
        self.protocols, _errors = workspace.protocols()
        self._thread: QThread | None = None
        self._worker: ImportWorker | None = None
        self._preview: Player | None = None
        self.setObjectName("musicLibrary")
        self.setWindowTitle("KAP Room \u2014 music")
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._library_side())
        splitter.addWidget(self._builder_side())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.setCentralWidget(splitter)
        self.refresh()
        self._load_phase()

    # ---------------------------------------------------------------- building
    def _library_side(self) -> QWidget:
        side = QWidget()
        column = QVBoxLayout(side)
        column.setContentsMargins(16, 12, 8, 12)
        title = QLabel("Music library")
        title.setObjectName("musicLibraryTitle")
        title.setStyleSheet("font-size: 18pt;")
        self.import_button = QPushButton("Import a folder\u2026")
        self.import_button.setObjectName("musicImport")
        self.import_button.setAccessibleName("Import a folder of music files into the library")
        self.import_button.clicked.connect(lambda _=False: self.choose_folder())
        self.preview_button = QPushButton("Preview")
        self.preview_button.setObjectName("musicPreview")
        self.preview_button.setAccessibleName("Preview the selected track quietly on this computer")
        self.preview_button.clicked.connect(lambda _=False: self.toggle_preview())
        top = QHBoxLayout()
        top.addWidget(title, 1)
        top.addWidget(self.preview_button)
        top.addWidget(self.import_button)
        self.progress = QProgressBar()
        self.progress.setObjectName("musicImportProgress")
        self.progress.setAccessibleName("Import progress")
        self.progress.hide()
        self.status = QLabel()
        self.status.setObjectName("musicStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("musicTracks")
        self.table.setAccessibleName("The library's tracks")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COLUMNS.index("Note"), QHeaderView.ResizeMode.Interactive)
        header.resizeSection(COLUMNS.index("Note"), 140)
        self.table.itemSelectionChanged.connect(self._show_facts)
        column.addLayout(top)
        column.addWidget(self.progress)
        column.addWidget(self.status)
        column.addWidget(self.table, 1)
        column.addWidget(self._facts_form())
        return side

    def _facts_form(self) -> QWidget:
        box = QWidget()
        form = QFormLayout(box)
        form.setContentsMargins(0, 4, 0, 0)
        self.lyrics = QComboBox()
        self.lyrics.setObjectName("musicLyrics")
        self.lyrics.setAccessibleName("Lyrics")
        for value in LYRICS_VALUES:
            self.lyrics.addItem(LYRICS_WORDS[value], value)
        self.language = QLineEdit()
        self.language.setObjectName("musicLanguage")
        self.language.setAccessibleName("Language of the sung words")
        self.language.setPlaceholderText("e.g. en, de (for sung words)")
        self.language.setMaxLength(20)
        self.intensity = QComboBox()
        self.intensity.setObjectName("musicIntensity")
        self.intensity.setAccessibleName("Intensity")
        self.intensity.addItem("not set", None)
        for level, word in INTENSITY_WORDS.items():
            self.intensity.addItem(f"{level} {word}", level)
        self.note = QLineEdit()
        self.note.setObjectName("musicNote")
        self.note.setAccessibleName("Note")
        self.note.setMaxLength(500)
        self.save_facts_button = QPushButton("Save the track's facts")
        self.save_facts_button.setObjectName("musicSaveFacts")
        self.save_facts_button.setAccessibleName("Save the selected track's lyrics, intensity and note")
        self.save_facts_button.clicked.connect(lambda _=False: self.save_facts())
        row = QHBoxLayout()
        row.addWidget(self.lyrics)
        row.addWidget(self.language, 1)
        form.addRow("Lyrics", row)
        form.addRow("Intensity", self.intensity)
        form.addRow("Note", self.note)
        form.addRow("", self.save_facts_button)
        return box

    def _builder_side(self) -> QWidget:
        side = QWidget()
        column = QVBoxLayout(side)
        column.setContentsMargins(8, 12, 16, 12)
        title = QLabel("Playlist for a phase")
        title.setStyleSheet("font-size: 14pt;")
        self.protocol_choice = QComboBox()
        self.protocol_choice.setObjectName("musicProtocol")
        self.protocol_choice.setAccessibleName("Protocol")
        for protocol in self.protocols:
            self.protocol_choice.addItem(protocol.name, protocol.id)
        self.phase_choice = QComboBox()
        self.phase_choice.setObjectName("musicPhase")
        self.phase_choice.setAccessibleName("Phase")
        self.protocol_choice.currentIndexChanged.connect(lambda _i: self._fill_phases())
        self.phase_choice.currentIndexChanged.connect(lambda _i: self._load_phase())
        self.playlist = QListWidget()
        self.playlist.setObjectName("musicPlaylist")
        self.playlist.setAccessibleName("The phase's tracks, in playing order")
        self.playlist.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.playlist.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.playlist.model().rowsMoved.connect(lambda *_: self._update_plan())
        buttons = QHBoxLayout()
        self.add_button = self._button("musicAdd", "Add selected", "Add the tracks selected in the library",
                                       self.add_selected)
        self.remove_button = self._button("musicRemove", "Remove", "Remove the track from the playlist",
                                          self.remove_current)
        self.up_button = self._button("musicUp", "Up", "Play this track earlier", lambda: self.move_current(-1))
        self.down_button = self._button("musicDown", "Down", "Play this track later", lambda: self.move_current(+1))
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(button)
        self.plan_text = QLabel()
        self.plan_text.setObjectName("musicPlan")
        self.plan_text.setWordWrap(True)
        self.plan_text.setTextFormat(Qt.TextFormat.PlainText)
        self.plan_text.setMinimumHeight(self.plan_text.fontMetrics().lineSpacing() * 3 + 4)
        self.plan_text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.save_button = self._button("musicSavePlaylist", "Save playlist",
                                        "Save the playlist for this phase (XSPF, in the data folder)", self.save)
        form = QFormLayout()
        form.addRow("Protocol", self.protocol_choice)
        form.addRow("Phase", self.phase_choice)
        column.addWidget(title)
        column.addLayout(form)
        column.addWidget(self.playlist, 1)
        column.addLayout(buttons)
        column.addWidget(self.plan_text)
        column.addWidget(self.save_button)
        self._fill_phases()
        return side

    @staticmethod
    def _button(name: str, text: str, accessible: str, action: Callable[[], object]) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setAccessibleName(accessible)
        button.clicked.connect(lambda _=False: action())
        return button

    # ---------------------------------------------------------------- the library
    def refresh(self) -> None:
        try:
            self.tracks = self.library.all()
        except StoreError as exc:
            self.status.setText(f"The library could not be read: {calm_message(exc)}")
            return
        self.table.setRowCount(len(self.tracks))
        for row, track in enumerate(self.tracks):
            lyrics = LYRICS_WORDS.get(track.lyrics, track.lyrics) + (f" ({track.language})" if track.language else "")
            loudness = "not measured" if track.loudness is None else f"{track.loudness:.1f} LUFS"
            intensity = "" if track.intensity is None else f"{track.intensity} {INTENSITY_WORDS[track.intensity]}"
            values = (track.display_title, track.artist, _length(track.duration), loudness, lyrics, intensity,
                      track.note, _state(track))
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, track.id)
                if column == 0:
                    item.setToolTip(track.path)
                elif column == len(values) - 1:
                    item.setToolTip(_state_detail(track))
                elif column == COLUMNS.index("Note") and track.note:
                    item.setToolTip(track.note)
                self.table.setItem(row, column, item)
        missing = sum(1 for t in self.tracks if t.missing)
        broken = sum(1 for t in self.tracks if t.problem and not t.missing)
        if not self.status.text() or not self.progress.isVisible():
            words = f"{len(self.tracks)} tracks"
            if missing:
                words += f", {missing} missing (import their new folder to find them again)"
            if broken:
                words += f", {broken} that VLC cannot play"
            self.status.setText(words + "." if self.tracks else
                                "The library is empty: import the clinic's music folder (Ogg, FLAC, MP3, M4A, WAV).")

    def selected_tracks(self) -> list[LibraryTrack]:
        rows = sorted({index.row() for index in self.table.selectedIndexes()})
        return [self.tracks[row] for row in rows if 0 <= row < len(self.tracks)]

    def select_track(self, track_id: int) -> None:
        for row, track in enumerate(self.tracks):
            if track.id == track_id:  # this track alone, whatever keys are held (selectRow would add to it)
                flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
                self.table.selectionModel().select(self.table.model().index(row, 0), flags)
                self.table.setCurrentCell(row, 0, flags)
                return

    def _show_facts(self) -> None:
        chosen = self.selected_tracks()
        track = chosen[0] if len(chosen) == 1 else None
        for widget in (self.lyrics, self.language, self.intensity, self.note, self.save_facts_button):
            widget.setEnabled(track is not None)
        if track is None:
            return
        self.lyrics.setCurrentIndex(max(0, self.lyrics.findData(track.lyrics)))
        self.language.setText(track.language)
        self.intensity.setCurrentIndex(max(0, self.intensity.findData(track.intensity)))
        self.note.setText(track.note)

    def save_facts(self) -> None:
        chosen = self.selected_tracks()
        if len(chosen) != 1:
            return
        track = chosen[0]
        try:
            self.library.tracks.set_facts(track.id, lyrics=self.lyrics.currentData(),
                                          language=normalise_language(self.language.text()),
                                          intensity=self.intensity.currentData(), note=self.note.text().strip())
        except (StoreError, ValueError) as exc:
            self.status.setText(f"Not saved: {calm_message(exc)}")
            return
        self.refresh()
        self.select_track(track.id)
        self.status.setText(f"Saved the facts of {track.display_title}.")
        self._update_plan()

    # ---------------------------------------------------------------- importing
    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import the clinic's music from a folder")
        if folder:
            self.import_folder(Path(folder))

    def import_folder(self, folder: Path) -> None:
        """Import on a worker thread; the window stays responsive and shows progress."""
        if self._thread is not None:
            return
        self.import_button.setEnabled(False)
        self.save_facts_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.status.setText(f"Reading {folder}\u2026")
        thread = QThread(self)
        worker = ImportWorker(self.library, folder)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progressed.connect(self._progressed, Qt.ConnectionType.QueuedConnection)
        worker.done.connect(self._imported, Qt.ConnectionType.QueuedConnection)
        worker.done.connect(thread.quit)
        self._thread, self._worker = thread, worker
        thread.start()

    def _progressed(self, done: int, total: int, name: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.status.setText(f"{done} of {total}: {name}")

    def _imported(self, result: object) -> None:
        thread = self._thread
        if thread is not None:
            thread.wait(5000)
        self._thread, self._worker = None, None
        self.progress.hide()
        self.import_button.setEnabled(True)
        self.refresh()
        self.status.setText(self._report_words(result))
        self.importFinished.emit(result)

    @staticmethod
    def _report_words(result: object) -> str:
        if not isinstance(result, ImportReport):
            return f"The import stopped: {calm_message(result) if isinstance(result, BaseException) else result}"
        text = (f"Imported from {result.folder}: {result.added} added, {result.updated} updated, "
                f"{result.unchanged} unchanged, {result.moved} moved.")
        if result.problem_count:
            kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(result.counts.items()))
            text += f" {result.problem_count} files not used ({kinds}):"
            text += "".join(f"\n  {Path(p.path).name}: {p.reason}" for p in result.problems[:8])
            if result.problem_count > 8:
                text += f"\n  and {result.problem_count - 8} more (kaproom music import --json lists them)"
        for warning in result.warnings[:3]:
            text += f"\n{warning}"
        return text

    # ---------------------------------------------------------------- preview
    def toggle_preview(self) -> None:
        """Play the selected track quietly on this computer; again to stop."""
        if self._preview is not None and self._preview.is_playing():
            self.stop_preview()
            return
        chosen = self.selected_tracks()
        if not chosen:
            self.status.setText("Select a track to preview.")
            return
        track = chosen[0]
        try:
            if self._preview is None:
                [self._preview] = create_players(1)
            self._preview.load(Path(track.path))
            self._preview.set_volume(int(round(PREVIEW_VOLUME * volume_factor(track.facts.gain_db))))
            self._preview.play()
        except (PlaybackUnavailable, PlaybackError) as exc:
            self.status.setText(f"No preview: {calm_message(exc)}")
            return
        self.preview_button.setText("Stop preview")
        self.status.setText(f"Previewing {track.display_title} quietly (volume {PREVIEW_VOLUME}).")

    def stop_preview(self) -> None:
        if self._preview is not None:
            self._preview.stop()
        self.preview_button.setText("Preview")

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self._preview is not None:
            self._preview.release()
            self._preview = None
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait(10000)
        super().closeEvent(event)

    # ---------------------------------------------------------------- the builder
    @property
    def protocol(self) -> Protocol | None:
        index = self.protocol_choice.currentIndex()
        return self.protocols[index] if 0 <= index < len(self.protocols) else None

    def _fill_phases(self) -> None:
        protocol = self.protocol
        self.phase_choice.blockSignals(True)
        self.phase_choice.clear()
        for phase in protocol.phases if protocol else ():
            self.phase_choice.addItem(f"{phase.name} ({phase.minutes:g} min)", phase.id)
        self.phase_choice.blockSignals(False)
        self._load_phase()

    def choose_phase(self, protocol_id: str, phase_id: str) -> None:
        self.protocol_choice.setCurrentIndex(max(0, self.protocol_choice.findData(protocol_id)))
        self.phase_choice.setCurrentIndex(max(0, self.phase_choice.findData(phase_id)))

    def _load_phase(self) -> None:
        """The phase's playlist as it is now: its library tracks, in order."""
        self.playlist.clear()
        protocol = self.protocol
        phase_id = self.phase_choice.currentData()
        if protocol is None or phase_id is None:
            self._update_plan()
            return
        phase = find_phase(protocol, phase_id)
        ids: list[int] = []
        if phase.playlist:
            try:
                ids = library_ids(self.workspace.store,
                                  open_phase_playlist(phase.playlist, self.workspace.playlists_dir, ASSETS_DIR))
            except (PlaylistError, StoreError):
                ids = []
        by_id = {t.id: t for t in self.tracks}
        for track_id in ids:
            if track_id in by_id:
                self._append(by_id[track_id])
        self._update_plan()

    def _append(self, track: LibraryTrack) -> None:
        item = QListWidgetItem(f"{track.display_title}  {_length(track.duration)}"
                               + (f"  intensity {track.intensity}" if track.intensity is not None else ""))
        item.setData(Qt.ItemDataRole.UserRole, track.id)
        self.playlist.addItem(item)

    def playlist_ids(self) -> list[int]:
        return [int(self.playlist.item(row).data(Qt.ItemDataRole.UserRole)) for row in range(self.playlist.count())]

    def add_selected(self) -> None:
        for track in self.selected_tracks():
            self._append(track)
        self._update_plan()

    def remove_current(self) -> None:
        row = self.playlist.currentRow()
        if row >= 0:
            self.playlist.takeItem(row)
            self._update_plan()

    def move_current(self, step: int) -> None:
        row = self.playlist.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.playlist.count():
            return
        item = self.playlist.takeItem(row)
        self.playlist.insertItem(target, item)
        self.playlist.setCurrentRow(target)
        self._update_plan()

    def _update_plan(self) -> None:
        protocol = self.protocol
        phase_id = self.phase_choice.currentData()
        if protocol is None or phase_id is None:
            self.plan_text.setText("No protocol to build playlists for.")
            self.save_button.setEnabled(False)
            return
        phase = find_phase(protocol, phase_id)
        by_id = {t.id: t for t in self.tracks}
        plan = draft_plan(protocol, phase, [by_id[i] for i in self.playlist_ids() if i in by_id])
        if not plan.tracks:
            self.plan_text.setText(f"{phase.name}: no library tracks chosen yet"
                                   + (f" (it plays {phase.playlist} as it is)." if phase.playlist else "."))
        else:
            self.plan_text.setText(plan.summary())
        self.save_button.setEnabled(bool(plan.tracks) and bool(phase.playlist))

    def save(self) -> None:
        protocol = self.protocol
        phase_id = self.phase_choice.currentData()
        if protocol is None or phase_id is None:
            return
        try:
            path = save_phase_playlist(self.workspace.store, self.workspace.playlists_dir, protocol,
                                       find_phase(protocol, phase_id), self.playlist_ids())
        except (StoreError, ValueError, OSError) as exc:
            self.status.setText(f"The playlist was not saved: {calm_message(exc)}")
            return
        self.status.setText(f"Saved {path}: the phase plays it from the next session on.")
        self.saved.emit(str(path))


def open_library(workspace: Workspace, parent: QWidget | None = None) -> MusicLibraryWindow:
    window = MusicLibraryWindow(workspace, parent)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return window
