"""M4A/AAC in the music library: libsndfile cannot decode it, so libvlc does (into a temporary WAV
that is always removed) and the same BS.1770 meter measures it. Real AAC files, made by libvlc
from generated tones; real decoding; the timeout and the disk limit leave nothing behind."""
from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

from kaproom.cli.main import main
from kaproom.domain.music import MAX_BOOST_DB, TARGET_LUFS
from kaproom.playback import decode
from kaproom.services.loudness import DECODE_RATE, LoudnessError, integrated_loudness, measure_through_libvlc
from kaproom.services.music_library import CANNOT_PLAY, MusicLibrary
from kaproom.store import Store
from tests._music_library_helpers import m4a


def _leftovers(root: Path) -> list[Path]:
    return sorted(root.rglob("*")) if root.exists() else []


def test_two_m4a_tones_ten_db_apart_are_measured_and_play_within_one_db(tmp_path: Path, store: Store) -> None:
    m4a(tmp_path / "music" / "quiet.m4a", seconds=4, dbfs=-20)
    m4a(tmp_path / "music" / "loud.m4a", seconds=4, dbfs=-10)
    with pytest.raises(soundfile.LibsndfileError):
        soundfile.info(str(tmp_path / "music" / "quiet.m4a"))  # the point: libsndfile cannot read them
    temp = tmp_path / "temp"
    temp.mkdir()
    library = MusicLibrary(store, measure=functools.partial(integrated_loudness, temp_root=temp))

    report = library.import_folder(tmp_path / "music")

    assert report.added == 2 and report.problem_count == 0 and report.warnings == []
    tracks = {t.title: t for t in library.all()}
    quiet, loud = tracks["quiet"], tracks["loud"]
    assert quiet.loudness_source == loud.loudness_source == "measured"
    assert loud.loudness - quiet.loudness == pytest.approx(10.0, abs=0.3)
    assert quiet.facts.gain_db < MAX_BOOST_DB  # the gain is the measured one, not clipped at the boost limit
    heard_quiet, heard_loud = quiet.loudness + quiet.facts.gain_db, loud.loudness + loud.facts.gain_db
    assert abs(heard_quiet - heard_loud) < 1.0 and heard_loud == pytest.approx(TARGET_LUFS, abs=0.01)
    assert _leftovers(temp) == []


@pytest.mark.parametrize("suffix", [".wav", ".flac"])
def test_the_libvlc_path_agrees_with_libsndfile_on_the_same_file(tmp_path: Path, suffix: str) -> None:
    """Music-like audio (a swelling chord over pink noise, stereo, 44.1 and 48 kHz): decoded by libvlc
    at 22.05 kHz it measures as libsndfile's reading of the file at its own rate does."""
    rng = np.random.default_rng(3)
    for rate in (44100, 48000):
        n = rate * 20
        t = np.arange(n) / rate
        spectrum = np.fft.rfft(rng.standard_normal((n, 2)), axis=0)
        freqs = np.fft.rfftfreq(n, 1 / rate)
        spectrum[1:] /= np.sqrt(freqs[1:, None])
        spectrum[0] = 0
        pink = np.fft.irfft(spectrum, n, axis=0)
        pink *= 0.05 / pink.std()
        chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6, 3520.0)) * 0.08
        swell = 0.6 + 0.4 * np.sin(2 * np.pi * t / 7)
        data = pink + np.stack([chord * swell, 0.8 * chord * swell], axis=1)
        path = tmp_path / f"music{rate}{suffix}"
        soundfile.write(str(path), data, rate)
        direct = integrated_loudness(path)
        through_vlc = measure_through_libvlc(path, temp_root=tmp_path)
        assert through_vlc == pytest.approx(direct, abs=0.5), (rate, direct, through_vlc)
    assert DECODE_RATE == 22050
    assert not list(tmp_path.glob("kaproom-decode-*"))


def test_replaygain_in_itunes_freeform_atoms_is_read(tmp_path: Path, store: Store) -> None:
    measured: list[Path] = []
    library = MusicLibrary(store, measure=lambda path: measured.append(path) or -20.0)
    m4a(tmp_path / "m" / "tagged.m4a", seconds=1, replaygain_track_gain="-7.00 dB")
    m4a(tmp_path / "m" / "plain.m4a", seconds=1, freq=500)
    library.import_folder(tmp_path / "m")
    tracks = {t.title: t for t in library.all()}
    assert tracks["tagged"].loudness == pytest.approx(-11.0) and tracks["tagged"].loudness_source == "replaygain"
    assert [p.name for p in measured] == ["plain.m4a"]


def test_a_broken_m4a_is_listed_and_the_import_carries_on(tmp_path: Path, store: Store) -> None:
    music = tmp_path / "music"
    m4a(music / "good.m4a", seconds=2)
    (music / "broken.m4a").write_bytes(np.random.default_rng(5).bytes(20000))
    report = MusicLibrary(store).import_folder(music)
    assert report.added == 2 and report.counts == {CANNOT_PLAY: 1}
    [problem] = report.problems
    assert problem.path.endswith("broken.m4a") and "VLC" in problem.reason
    tracks = {t.title: t for t in MusicLibrary(store).all()}
    assert tracks["good"].loudness_source == "measured" and tracks["good"].playable
    assert tracks["broken"].loudness is None and not tracks["broken"].playable


def test_a_decode_that_takes_too_long_is_said_and_leaves_no_temporary_files(tmp_path: Path, store: Store) -> None:
    track = m4a(tmp_path / "music" / "long.m4a", seconds=30)
    temp = tmp_path / "temp"
    temp.mkdir()
    with pytest.raises(LoudnessError, match=r"^could not be decoded in 0 s$"):
        measure_through_libvlc(track, timeout=1e-6, temp_root=temp)
    assert _leftovers(temp) == []

    library = MusicLibrary(store, measure=functools.partial(integrated_loudness, decode_timeout=1e-6, temp_root=temp))
    report = library.import_folder(tmp_path / "music")
    assert report.added == 1 and report.problem_count == 0
    assert report.warnings == [f"{track}: loudness not measured: could not be decoded in 0 s; "
                               "it plays without level correction"]
    assert library.all()[0].loudness is None
    assert _leftovers(temp) == []


def test_a_decode_past_the_disk_limit_stops_and_leaves_no_temporary_files(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    track = m4a(tmp_path / "long.m4a", seconds=30)
    monkeypatch.setattr(decode, "MAX_DECODED_BYTES", 100_000)  # 30 s at 22.05 kHz stereo is 2.6 MB
    with pytest.raises(LoudnessError, match="disk space allowed"):
        measure_through_libvlc(track, temp_root=tmp_path)
    assert not list(tmp_path.glob("kaproom-decode-*"))


def test_import_and_list_show_the_loudness_of_m4a_tracks(tmp_path: Path, data_dir: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    m4a(tmp_path / "music" / "tone.m4a", seconds=3, dbfs=-20)
    assert main(["music", "import", str(tmp_path / "music"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["added"] == 1 and report["warnings"] == []
    assert main(["music", "list", "--json"]) == 0
    [track] = json.loads(capsys.readouterr().out)
    assert track["loudness_source"] == "measured" and track["loudness"] == pytest.approx(-20.7, abs=0.5)
    assert main(["music", "list"]) == 0
    assert f"{track['loudness']:.1f} LUFS" in capsys.readouterr().out


def test_odd_characters_in_the_track_and_temporary_paths_reach_libvlc_intact(tmp_path: Path) -> None:
    """The WAV's path goes inside libvlc's option chain (quotes, braces, commas, colons and
    backslashes would end it early): it is quoted there, and the track's own name never enters it."""
    odd = 'a "quoted" {braced}, b:c\\d é'
    track = m4a(tmp_path / odd / f"{odd}.m4a", seconds=2, dbfs=-20)
    temp = tmp_path / f"temp {odd}"
    temp.mkdir()
    assert measure_through_libvlc(track, temp_root=temp) == pytest.approx(-20.7, abs=0.5)
    assert _leftovers(temp) == []
    assert decode.chain_value('C:\\Temp\\a "b"') == '"C:\\\\Temp\\\\a \\"b\\""'


def test_an_m4a_left_unmeasured_by_an_earlier_import_is_measured_by_the_next(tmp_path: Path, store: Store) -> None:
    """A library imported before M4A could be measured (or when its decode failed) holds the track
    without loudness; importing the folder again measures it, though the file has not changed."""
    m4a(tmp_path / "music" / "old.m4a", seconds=2, dbfs=-20)

    def cannot(_path: Path) -> float:
        raise LoudnessError("cannot be measured here (Format not recognised)")

    first = MusicLibrary(store, measure=cannot).import_folder(tmp_path / "music")
    assert first.added == 1 and len(first.warnings) == 1
    assert MusicLibrary(store).all()[0].loudness is None

    again = MusicLibrary(store).import_folder(tmp_path / "music")

    assert (again.added, again.updated, again.unchanged, again.warnings) == (0, 0, 1, [])
    [track] = MusicLibrary(store).all()
    assert track.loudness_source == "measured" and track.loudness == pytest.approx(-20.7, abs=0.5)
    assert MusicLibrary(store).import_folder(tmp_path / "music").unchanged == 1
