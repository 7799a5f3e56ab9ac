"""The music window (real Qt offscreen, real store): *Music* on the home page opens it; an import
runs on a worker thread with progress and lists what it could not use; a track's facts are set;
a phase's playlist is built, shows its length against the phase's, and is saved as the phase's
XSPF. Screenshots at 1366x768 and 1920x1080 go to build/screenshots."""
from __future__ import annotations

import os
from pathlib import Path

from kaproom.playback.playlists import read_playlist
from kaproom.ui.music.library import MusicLibraryWindow
from kaproom.ui.shell.home import HomeWindow
from kaproom.ui.shell.launcher import Launcher
from tests._music_library_helpers import flac, tone

SHOTS = Path(os.environ.get("KAPROOM_SHOTS", Path(__file__).resolve().parents[1] / "build" / "screenshots"))


def _music(folder: Path) -> Path:
    tone(folder / "Slow Tide.wav", seconds=3, dbfs=-20)
    tone(folder / "Deep Field.wav", seconds=2, dbfs=-12, freq=330)
    flac(folder / "album" / "choir.flac", seconds=2, title="Choir of the Valley", artist="Ensemble",
         replaygain_track_gain="-4 dB")
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4 not music")
    (folder / "broken.ogg").write_text("not an ogg")
    return folder


def test_music_on_the_home_page_opens_the_music_window(qtbot, workspace) -> None:
    launcher = Launcher(workspace)
    home = launcher.show_home()
    qtbot.addWidget(home)
    assert isinstance(home, HomeWindow) and home.music_button.accessibleName().startswith("Music")
    home.music_button.click()
    [window] = [w for w in launcher._extra_windows if isinstance(w, MusicLibraryWindow)]
    qtbot.addWidget(window)
    assert window.isVisible() and launcher.window is home  # beside the home page, which stays
    window.close()
    qtbot.waitUntil(lambda: not launcher._extra_windows, timeout=3000)


def test_import_facts_and_a_phase_playlist(qtbot, tmp_path: Path, workspace) -> None:
    window = MusicLibraryWindow(workspace)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    assert "library is empty" in window.status.text()

    with qtbot.waitSignal(window.importFinished, timeout=60000) as finished:
        window.import_folder(_music(tmp_path / "music"))
        assert not window.import_button.isEnabled()  # one import at a time, the window still answers
    report = finished.args[0]
    assert report.added == 4 and report.problem_count == 2
    assert "notes.pdf" in window.status.text() and "broken.ogg" in window.status.text()
    assert window.table.rowCount() == 4
    titles = [window.table.item(row, 0).text() for row in range(4)]
    assert "Choir of the Valley" in titles

    choir = next(t for t in window.tracks if t.title == "Choir of the Valley")
    window.select_track(choir.id)
    window.lyrics.setCurrentIndex(window.lyrics.findData("sung"))
    window.language.setText("EN")
    window.intensity.setCurrentIndex(window.intensity.findData(2))
    window.note.setText("for the return")
    window.save_facts()
    saved = window.library.tracks.get(choir.id)
    assert (saved.lyrics, saved.language, saved.intensity, saved.note) == ("sung", "en", 2, "for the return")

    window.choose_phase("short-check", "deep")
    assert "no library tracks chosen yet" in window.plan_text.text()
    for title in ("Slow Tide", "Choir of the Valley", "Deep Field"):
        window.select_track(next(t.id for t in window.tracks if t.title == title))
        window.add_selected()
    window.playlist.setCurrentRow(2)
    window.move_current(-1)  # Deep Field before the choir
    assert "7 s of music for a 3 min phase" in window.plan_text.text()
    assert "repeats from its first track" in window.plan_text.text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    window.select_track(choir.id)
    window.grab().save(str(SHOTS / "music-library-1366x768.png"))
    window.resize(1920, 1080)
    qtbot.waitUntil(lambda: window.width() == 1920, timeout=3000)
    window.grab().save(str(SHOTS / "music-library-1920x1080.png"))

    with qtbot.waitSignal(window.saved) as done:
        window.save_button.click()
    playlist = read_playlist(Path(done.args[0]))
    assert [e.display_title for e in playlist.entries] == ["Slow Tide", "Deep Field", "Choir of the Valley"]
    assert playlist.entries[2].facts is not None and playlist.entries[2].facts.intensity == 2

    window.choose_phase("short-check", "onset")
    window.choose_phase("short-check", "deep")  # the saved playlist is what the builder shows again
    assert window.playlist_ids()[0] == next(t.id for t in window.tracks if t.title == "Slow Tide")
    assert window.playlist.count() == 3


def test_a_missing_file_is_shown_as_missing(qtbot, tmp_path: Path, workspace) -> None:
    window = MusicLibraryWindow(workspace)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.importFinished, timeout=60000):
        window.import_folder(_music(tmp_path / "music"))
    (tmp_path / "music" / "Deep Field.wav").unlink()
    window.refresh()
    states = {window.table.item(r, 0).text(): window.table.item(r, 7).text() for r in range(window.table.rowCount())}
    assert states["Deep Field"] == "Missing" and states["Slow Tide"] == "OK"
    assert states["broken"].startswith("Cannot play")
    assert "1 missing" in window.status.text()
