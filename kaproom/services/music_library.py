"""The clinic's music library: import a folder, list the tracks, set their facts. No Qt.

An import walks the folder one file at a time (a library of thousands never sits in memory),
reads each file's tags with ``mutagen``, asks libvlc whether it can play it
(:mod:`kaproom.playback.probe`), takes its loudness from ReplayGain tags or measures it once
(:mod:`kaproom.services.loudness`; what libsndfile cannot read, M4A/AAC, is decoded by libvlc),
and stores it with a content hash. What cannot be used is reported by name and reason, never
raised: files that are not music, files VLC cannot play, duplicates of a track already in the
library. A file that has gone is marked missing (its facts kept); the same content found under
a new path is taken as the file having moved. A track without loudness (one imported before M4A
could be measured, or whose decoding failed) is measured again at the next import.
"""
from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import mutagen
from mutagen import MutagenError

from kaproom.domain.clock import to_iso
from kaproom.domain.music import TARGET_LUFS
from kaproom.playback.player import PlaybackUnavailable
from kaproom.playback.probe import ProbeResult, probe
from kaproom.services.loudness import LoudnessError, integrated_loudness
from kaproom.store import Store, StoreError
from kaproom.store.music import LibraryTrack, MusicTracks

AUDIO_SUFFIXES = frozenset({".ogg", ".oga", ".opus", ".flac", ".mp3", ".m4a", ".mp4", ".aac", ".wav", ".wave",
                            ".aif", ".aiff"})
#: Problems listed by name in a report; beyond this they are counted (a folder of 10,000 PDFs).
MAX_LISTED = 200
HASH_CHUNK = 1 << 20
#: ReplayGain 2's reference level; Opus's R128 gains are relative to EBU R128's -23 LUFS.
REPLAYGAIN_REFERENCE = TARGET_LUFS
R128_REFERENCE = -23.0

NOT_AUDIO, CANNOT_PLAY, DUPLICATE, UNREADABLE = "not audio", "cannot play", "duplicate", "unreadable"

#: progress(files done, files in all, the file now) - called before each file.
Progress = Callable[[int, int, Path], None]
Prober = Callable[[Path], ProbeResult]
Measure = Callable[[Path], float]


@dataclass(frozen=True)
class ImportProblem:
    path: str
    kind: str  # NOT_AUDIO | CANNOT_PLAY | DUPLICATE | UNREADABLE
    reason: str

    def as_json(self) -> dict[str, str]:
        return {"path": self.path, "kind": self.kind, "reason": self.reason}


@dataclass
class ImportReport:
    folder: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: int = 0
    now_missing: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # problems by kind
    problems: list[ImportProblem] = field(default_factory=list)  # the first MAX_LISTED of them
    warnings: list[str] = field(default_factory=list)

    def problem(self, path: Path | str, kind: str, reason: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append(ImportProblem(str(path), kind, reason))

    def warn(self, text: str) -> None:
        """A note that does not keep the file out (no loudness measured); the first MAX_LISTED are kept."""
        if len(self.warnings) < MAX_LISTED:
            self.warnings.append(text)
        elif len(self.warnings) == MAX_LISTED:
            self.warnings.append("... and more notes like these")

    @property
    def problem_count(self) -> int:
        return sum(self.counts.values())

    def as_json(self) -> dict[str, object]:
        return {"folder": self.folder, "added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "moved": self.moved, "now_missing": self.now_missing, "problem_counts": dict(self.counts),
                "problems": [p.as_json() for p in self.problems],
                "problems_not_listed": self.problem_count - len(self.problems), "warnings": list(self.warnings)}


@dataclass(frozen=True)
class Tags:
    title: str = ""
    artist: str = ""
    album: str = ""
    duration: float | None = None
    loudness: float | None = None  # from ReplayGain / R128 tags


def _now() -> str:
    return to_iso(datetime.now(UTC))


# --------------------------------------------------------------------------- reading one file

def content_hash(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _first_text(value: object) -> str:
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    text = getattr(value, "text", value)
    if isinstance(text, list | tuple):
        text = text[0] if text else ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text).replace("\x00", "").strip()


def _gain_number(text: str) -> float | None:
    word = text.strip().lower().removesuffix("db").strip()
    try:
        value = float(word)
    except ValueError:
        return None
    return value if math.isfinite(value) and -60.0 < value < 60.0 else None


def _tag_loudness(tags: object) -> float | None:
    """Loudness (LUFS) from ReplayGain's track gain, or Opus's R128 track gain, if the file has one."""
    if tags is None or not hasattr(tags, "keys"):
        return None
    for key in list(tags.keys()):
        name = str(key).lower()
        if name.endswith("replaygain_track_gain"):
            gain = _gain_number(_first_text(tags[key]))  # type: ignore[index]
            if gain is not None:
                return REPLAYGAIN_REFERENCE - gain
        elif name == "r128_track_gain":
            try:
                q78 = int(_first_text(tags[key]))  # type: ignore[index]
            except ValueError:
                continue
            return R128_REFERENCE - q78 / 256.0
    return None


def read_tags(path: Path) -> Tags:
    """Title, artist, album and duration (and ReplayGain) with mutagen; MutagenError if unreadable."""
    easy = mutagen.File(path, easy=True)
    if easy is None:
        raise MutagenError("not a format mutagen knows")
    info = getattr(easy, "info", None)
    length = getattr(info, "length", None)
    duration = float(length) if isinstance(length, int | float) and math.isfinite(length) and length > 0 else None
    values = {}
    for name in ("title", "artist", "album"):
        try:
            values[name] = _first_text(easy.tags.get(name, "")) if easy.tags is not None else ""
        except (KeyError, ValueError, TypeError):
            values[name] = ""
    full = mutagen.File(path)
    loudness = _tag_loudness(getattr(full, "tags", None)) if full is not None else None
    return Tags(values["title"], values["artist"], values["album"], duration, loudness)


# --------------------------------------------------------------------------- walking a folder

def audio_files(folder: Path, report: ImportReport) -> Iterator[Path]:
    """Every file under ``folder`` (hidden ones left out), in a stable order; the rest reported."""
    def unreadable(exc: OSError) -> None:
        report.problem(exc.filename or folder, UNREADABLE, f"folder cannot be read ({exc.strerror or exc})")

    for root, dirs, files in os.walk(folder, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(root) / name
            if path.suffix.lower() not in AUDIO_SUFFIXES:
                report.problem(path, NOT_AUDIO, "not a music file (Ogg, FLAC, MP3, M4A or WAV); left out")
                continue
            yield path


def _count(folder: Path) -> int:
    total = 0
    for _root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        total += sum(1 for name in files if not name.startswith(".") and Path(name).suffix.lower() in AUDIO_SUFFIXES)
    return total


class MusicLibrary:
    """The clinic's music library in one data folder's store."""

    def __init__(self, store: Store, prober: Prober = probe, measure: Measure = integrated_loudness) -> None:
        self.tracks = MusicTracks(store)
        self.prober = prober
        self.measure = measure
        self._no_vlc: str | None = None

    # ------------------------------------------------------------------ import
    def import_folder(self, folder: Path | str, progress: Progress | None = None) -> ImportReport:
        folder = Path(folder).expanduser().resolve()
        report = ImportReport(str(folder))
        if not folder.is_dir():
            report.problem(folder, UNREADABLE, "is not a folder" if folder.exists() else "does not exist")
            return report
        total = _count(folder)
        seen: set[str] = set()
        done = 0
        for path in audio_files(folder, report):
            if progress is not None:
                progress(done, total, path)
            done += 1
            try:
                self._import_one(path, report, seen)
            except StoreError:
                raise  # the library itself cannot be written (disk full, locked): said once, by the caller
            except OSError as exc:  # vanished or unreadable between the walk and now
                report.problem(path, UNREADABLE, f"cannot be read ({exc.strerror or exc})")
            except Exception as exc:  # noqa: BLE001 - one strange file (a tag or decoder library's own bug) never stops an import
                report.problem(path, UNREADABLE, f"could not be read ({type(exc).__name__}: {exc})")
        if progress is not None:
            progress(done, total, folder)
        report.now_missing = self.check_missing(under=folder, seen=seen)
        if self._no_vlc:
            report.warnings.insert(0, f"Files were not checked with VLC: {self._no_vlc}")
        return report

    def _import_one(self, path: Path, report: ImportReport, seen: set[str]) -> None:
        key = str(path)
        stat = path.stat()
        known = self.tracks.by_path(key)
        if known is not None and not known.missing and known.size == stat.st_size and known.mtime == stat.st_mtime:
            seen.add(key)
            report.unchanged += 1
            if known.problem:
                report.problem(path, CANNOT_PLAY, known.problem)
            elif known.loudness is None:  # not measured before (an M4A before libvlc decoded them; a failure)
                loudness = self._measure(path, report)
                if loudness is not None:
                    self.tracks.update_file(replace(known, loudness=loudness, loudness_source="measured",
                                                    checked_at=_now()))
            return
        digest = content_hash(path)
        twins = [t for t in self.tracks.by_hash(digest) if t.path != key]
        moved_from: LibraryTrack | None = None
        for twin in twins:
            if twin.path in seen or Path(twin.path).is_file():
                report.problem(path, DUPLICATE, f"same content as {twin.path} (already in the library); left out")
                return
            moved_from = moved_from or twin
        try:
            tags = read_tags(path)
        except Exception as exc:  # noqa: BLE001 - mutagen on a damaged file may raise beyond MutagenError
            tags, tag_problem = Tags(), f"its tags cannot be read ({exc})"
        else:
            tag_problem = ""
        checked = self._probe(path)
        problem = checked.problem or ("" if checked.playable else "VLC cannot play it")
        if tag_problem and not checked.playable:
            problem = f"{problem}; {tag_problem}"
        loudness, source = tags.loudness, "replaygain" if tags.loudness is not None else ""
        if loudness is None and not problem:
            loudness = self._measure(path, report)
            source = "measured" if loudness is not None else ""
        now = _now()
        track = LibraryTrack(
            id=0, path=key, size=stat.st_size, mtime=stat.st_mtime, content_hash=digest,
            title=tags.title or path.stem, artist=tags.artist, album=tags.album,
            duration=tags.duration if tags.duration is not None else checked.duration,
            loudness=loudness, loudness_source=source, lyrics="", language="", intensity=None, note="",
            problem=problem, missing=False, added_at=now, checked_at=now)
        seen.add(key)
        if problem:
            report.problem(path, CANNOT_PLAY, problem)
        if known is not None:
            self.tracks.update_file(_with_id(track, known.id))
            report.updated += 1
        elif moved_from is not None:
            self.tracks.update_file(_with_id(track, moved_from.id), path=key)
            seen.add(moved_from.path)
            report.moved += 1
        else:
            self.tracks.add(track)
            report.added += 1

    def _measure(self, path: Path, report: ImportReport) -> float | None:
        """The track's measured loudness; None (and a note in the report) when it cannot be had."""
        try:
            measured = self.measure(path)
        except Exception as exc:  # noqa: BLE001 - a decoder's failure leaves the track unmeasured, not unimported
            why = str(exc) if isinstance(exc, LoudnessError) else f"could not be measured ({exc})"
            report.warn(f"{path}: loudness not measured: {why}; it plays without level correction")
            return None
        return measured if math.isfinite(measured) else None

    def _probe(self, path: Path) -> ProbeResult:
        if self._no_vlc is not None:
            return ProbeResult(True)
        try:
            return self.prober(path)
        except PlaybackUnavailable as exc:
            self._no_vlc = str(exc)
            return ProbeResult(True)

    # ------------------------------------------------------------------ the library as it is now
    def check_missing(self, under: Path | None = None, seen: set[str] | None = None) -> int:
        """Mark tracks whose file has gone as missing (and found ones as back); how many went missing."""
        now, went = _now(), 0
        prefix = str(under) + os.sep if under is not None else ""
        for track in list(self.tracks.each()):
            if prefix and not track.path.startswith(prefix):
                continue
            if seen is not None and track.path in seen:
                exists = True
            else:
                try:
                    exists = Path(track.path).is_file()
                except OSError:
                    exists = False
            if exists == track.missing:
                self.tracks.mark_missing(track.id, not exists, now)
                went += 0 if exists else 1
        return went

    def all(self) -> list[LibraryTrack]:
        """Every track, missing files marked as they are now."""
        self.check_missing()
        return self.tracks.all()


def _with_id(track: LibraryTrack, track_id: int) -> LibraryTrack:
    return replace(track, id=track_id)
