"""The clinic's music library: an import reads tags, checks each file with libvlc, measures or
reads loudness, and lists what it cannot use (not audio, cannot play, duplicates) without ever
stopping; files that move are followed, files that vanish are shown as missing with their facts kept."""
from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaproom.playback.probe import ProbeResult, probe
from kaproom.services.music_library import (
    CANNOT_PLAY,
    DUPLICATE,
    NOT_AUDIO,
    UNREADABLE,
    MusicLibrary,
    read_tags,
)
from kaproom.store import Store
from tests._music_library_helpers import flac, tone


@pytest.fixture
def library(store: Store) -> MusicLibrary:
    return MusicLibrary(store)


def test_an_import_keeps_good_files_and_lists_every_other_one_by_reason(tmp_path: Path, library: MusicLibrary) -> None:
    music = tmp_path / "music"
    tone(music / "calm.wav", dbfs=-26)
    flac(music / "album" / "wave.flac", title="Wave", artist="Someone", album="Sea")
    shutil.copy(music / "calm.wav", music / "album" / "calm copy.wav")  # a duplicate
    (music / "cover.jpg").write_bytes(b"\xff\xd8\xff not really a picture")
    (music / "broken.mp3").write_text("this is not an mp3")
    (music / ".hidden.wav").write_text("left alone")
    seen: list[tuple[int, int]] = []

    report = library.import_folder(music, lambda done, total, _path: seen.append((done, total)))

    # the broken file is kept in the library, marked, so the therapist sees it there too
    assert report.added == 3 and report.counts == {NOT_AUDIO: 1, CANNOT_PLAY: 1, DUPLICATE: 1}
    reasons = {Path(p.path).name: (p.kind, p.reason) for p in report.problems}
    assert reasons["cover.jpg"][0] == NOT_AUDIO
    assert reasons["broken.mp3"][0] == CANNOT_PLAY and "VLC" in reasons["broken.mp3"][1]
    assert reasons["calm copy.wav"][0] == DUPLICATE and "calm.wav" in reasons["calm copy.wav"][1]
    assert seen[0] == (0, 4) and seen[-1] == (4, 4)  # progress: every audio file, with the total known at once
    tracks = {t.title: t for t in library.all()}
    assert set(tracks) == {"calm", "Wave", "broken"}
    assert tracks["Wave"].artist == "Someone" and tracks["Wave"].album == "Sea"
    assert tracks["calm"].duration == pytest.approx(3.0, abs=0.05) and tracks["calm"].loudness_source == "measured"
    assert tracks["broken"].problem and not tracks["broken"].playable


def test_a_second_import_reads_only_what_changed(tmp_path: Path, library: MusicLibrary) -> None:
    music = tmp_path / "music"
    tone(music / "a.wav")
    tone(music / "b.wav", freq=550)
    assert library.import_folder(music).added == 2
    again = library.import_folder(music)
    assert (again.added, again.unchanged, again.problem_count) == (0, 2, 0)


def test_a_vanished_file_is_shown_missing_and_a_moved_one_keeps_its_facts(tmp_path: Path, library: MusicLibrary,
                                                                          store: Store) -> None:
    music = tmp_path / "music"
    tone(music / "stays.wav")
    tone(music / "moves.wav", freq=660)
    tone(music / "goes.wav", freq=770)
    library.import_folder(music)
    moving = next(t for t in library.all() if t.title == "moves")
    library.tracks.set_facts(moving.id, lyrics="none", intensity=2, note="good for the deep phase")

    (music / "goes.wav").unlink()
    (music / "later").mkdir()
    (music / "moves.wav").rename(music / "later" / "moved.wav")
    assert {t.title: t.missing for t in library.all()} == {"stays": False, "moves": True, "goes": True}

    report = library.import_folder(music)
    assert report.moved == 1 and report.added == 0
    tracks = {t.id: t for t in library.all()}
    moved = tracks[moving.id]
    assert moved.path.endswith("moved.wav") and not moved.missing
    assert (moved.lyrics, moved.intensity, moved.note) == ("none", 2, "good for the deep phase")
    assert [t.title for t in tracks.values() if t.missing] == ["goes"]  # still listed, not dropped


def test_replaygain_tags_give_the_loudness_without_measuring(tmp_path: Path, store: Store) -> None:
    measured: list[Path] = []
    library = MusicLibrary(store, measure=lambda path: measured.append(path) or -20.0)
    flac(tmp_path / "m" / "tagged.flac", replaygain_track_gain="-7.00 dB")
    flac(tmp_path / "m" / "plain.flac", freq=500)
    library.import_folder(tmp_path / "m")
    tracks = {t.title: t for t in library.all()}
    assert tracks["tagged"].loudness == pytest.approx(-11.0) and tracks["tagged"].loudness_source == "replaygain"
    assert [p.name for p in measured] == ["plain.flac"]


def test_libvlc_says_which_files_it_can_play(tmp_path: Path) -> None:
    good = probe(tone(tmp_path / "good.wav", seconds=2))
    assert good.playable and good.duration == pytest.approx(2.0, abs=0.1)
    (tmp_path / "text.ogg").write_text("plain text with a music name")
    assert not probe(tmp_path / "text.ogg").playable


def test_a_thousand_files_import_in_bounded_steps(tmp_path: Path, store: Store) -> None:
    """Many files: each is read and stored on its own (progress for each); the checker and the
    measurement are stand-ins here, the real ones are tested above."""
    music = tmp_path / "many"
    music.mkdir()
    source = tone(tmp_path / "one.wav", seconds=0.2)
    data = source.read_bytes()
    for n in range(1000):
        (music / f"{n:04d}.wav").write_bytes(data + n.to_bytes(4, "little"))  # distinct content
    calls: list[int] = []
    library = MusicLibrary(store, prober=lambda _p: ProbeResult(True, 0.2), measure=lambda _p: -20.0)
    report = library.import_folder(music, lambda done, total, _p: calls.append(done))
    assert report.added == 1000 and report.problem_count == 0 and len(calls) == 1001
    assert sum(1 for _ in library.tracks.each(batch=64)) == 1000


_RUNS = itertools.count()
_NAME = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"), min_size=1, max_size=40)
_TAG = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_NAME, title=_TAG, artist=_TAG)
def test_odd_names_and_tags_never_stop_an_import(tmp_path: Path, store: Store, name: str, title: str,
                                                 artist: str) -> None:
    if name.startswith(".") or len(name.encode()) > 200 or name in (".", ".."):
        name = "x" + name[:40]
    folder = tmp_path / "odd" / str(abs(hash((name, title, artist))))
    library = MusicLibrary(store, prober=lambda _p: ProbeResult(True, 1.0), measure=lambda _p: -20.0)
    path = flac(folder / f"{name}.flac", title=title or "-", artist=artist or "-", comment=str(folder))
    report = library.import_folder(folder)
    assert report.problem_count == 0 and report.added + report.updated == 1
    track = library.tracks.by_path(str(path.resolve()))
    assert track is not None and track.title  # a name always shows, the file's own when the tag is blank
    tags = read_tags(path)
    assert track.title == (tags.title or path.stem)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=4000), suffix=st.sampled_from([".mp3", ".flac", ".ogg", ".opus", ".wav", ".m4a"]),
       head=st.sampled_from([b"", b"RIFF\x24\x00\x00\x00WAVEfmt ", b"fLaC", b"OggS\x00\x02", b"ID3\x04\x00\x00",
                             b"\x00\x00\x00\x20ftypM4A "]))
def test_any_bytes_under_a_music_name_are_listed_never_raised(tmp_path: Path, store: Store, data: bytes, suffix: str,
                                                              head: bytes) -> None:
    """Real mutagen, real libvlc, real decoding: a damaged file of any kind is reported, the import goes on."""
    run = next(_RUNS)
    folder = tmp_path / "fuzz" / str(run)
    folder.mkdir(parents=True)
    (folder / f"damaged{suffix}").write_bytes(head + data + run.to_bytes(4, "little"))
    tone(folder / "good.wav", seconds=0.5, freq=200 + 7 * run)  # a content of its own in the shared library
    report = MusicLibrary(store).import_folder(folder)
    assert report.added + report.counts.get(UNREADABLE, 0) == 2  # each file kept (marked) or named
    damaged = MusicLibrary(store).tracks.by_path(str((folder / f"damaged{suffix}").resolve()))
    if damaged is not None and not damaged.playable:
        assert report.counts == {CANNOT_PLAY: 1} and damaged.problem
    good = MusicLibrary(store).tracks.by_path(str((folder / "good.wav").resolve()))
    assert good is not None and good.playable


def test_a_closed_library_never_stops_the_music(tmp_path: Path) -> None:
    from kaproom.playback.playlists import Entry, Playlist
    from kaproom.services.music_playlists import with_library_facts

    store = Store(tmp_path / "k.sqlite3")
    store.close()
    playlist = Playlist("p.m3u8", tmp_path / "p.m3u8", (Entry(tmp_path / "a.ogg", "A"),))
    assert with_library_facts(store, playlist) is playlist
