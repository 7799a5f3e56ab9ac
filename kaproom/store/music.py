"""The music library's table: the SQL behind :mod:`kaproom.services.music_library`.

One row per file, by its path. The therapist's facts (lyrics, language, intensity, note) are
kept when a file is re-read, and a file that has gone is marked missing, never deleted: the
facts come back with it, or move with it when the same content turns up under another path.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields, replace

from kaproom.domain.music import TrackFacts
from kaproom.store.errors import NotFound
from kaproom.store.rows import Row
from kaproom.store.store import Store


@dataclass(frozen=True)
class LibraryTrack:
    """One file of the clinic's music library, as stored."""

    id: int
    path: str
    size: int
    mtime: float
    content_hash: str
    title: str
    artist: str
    album: str
    duration: float | None
    loudness: float | None
    loudness_source: str  # "replaygain" | "measured" | ""
    lyrics: str
    language: str
    intensity: int | None
    note: str
    problem: str  # why libvlc cannot play it ("" when it can)
    missing: bool
    added_at: str
    checked_at: str

    @property
    def facts(self) -> TrackFacts:
        return TrackFacts(self.loudness, self.lyrics, self.language, self.intensity, self.note)

    @property
    def playable(self) -> bool:
        return not self.problem and not self.missing

    @property
    def display_title(self) -> str:
        return self.title or self.path.replace("\\", "/").rsplit("/", 1)[-1]


COLUMNS = tuple(f.name for f in fields(LibraryTrack))
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM music_tracks"
#: What a re-read of the file may change; the therapist's facts are not among them.
FILE_COLUMNS = ("size", "mtime", "content_hash", "title", "artist", "album", "duration", "loudness",
                "loudness_source", "problem", "missing", "checked_at")
FACT_COLUMNS = ("lyrics", "language", "intensity", "note")


def _track(row: Row) -> LibraryTrack:
    values = dict(zip(COLUMNS, row))
    values["missing"] = bool(values["missing"])
    return LibraryTrack(**values)


class MusicTracks:
    """The music library inside one :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def count(self) -> int:
        return int(self.store._read("SELECT count(*) FROM music_tracks")[0][0])

    def all(self) -> list[LibraryTrack]:
        return [_track(row) for row in self.store._read(f"{_SELECT} ORDER BY lower(artist), lower(album), "
                                                        "lower(title), path")]

    def each(self, batch: int = 500) -> Iterator[LibraryTrack]:
        """Every track, a batch at a time (a library of thousands is never all in memory)."""
        last = 0
        while True:
            rows = self.store._read(f"{_SELECT} WHERE id > ? ORDER BY id LIMIT ?", (last, batch))
            if not rows:
                return
            for row in rows:
                track = _track(row)
                last = track.id
                yield track

    def get(self, track_id: int) -> LibraryTrack:
        rows = self.store._read(f"{_SELECT} WHERE id=?", (track_id,))
        if not rows:
            raise NotFound(f"There is no track {track_id} in the music library. `kaproom music list` shows them.")
        return _track(rows[0])

    def by_path(self, path: str) -> LibraryTrack | None:
        rows = self.store._read(f"{_SELECT} WHERE path=?", (path,))
        return _track(rows[0]) if rows else None

    def by_hash(self, content_hash: str) -> list[LibraryTrack]:
        if not content_hash:
            return []
        return [_track(row) for row in self.store._read(f"{_SELECT} WHERE content_hash=? ORDER BY id",
                                                        (content_hash,))]

    def add(self, track: LibraryTrack) -> LibraryTrack:
        """Insert a new file (its id is assigned here)."""
        names = [c for c in COLUMNS if c != "id"]
        values = [getattr(track, c) for c in names]
        with self.store._write("add the track to the music library") as conn:
            cursor = conn.execute(f"INSERT INTO music_tracks ({', '.join(names)}) VALUES "
                                  f"({', '.join('?' * len(names))})", [int(v) if isinstance(v, bool) else v
                                                                       for v in values])
        return replace(track, id=int(cursor.lastrowid or 0))

    def update_file(self, track: LibraryTrack, path: str | None = None) -> None:
        """Write what the file says now (and its new path, when it moved); the facts stay."""
        sets = {c: getattr(track, c) for c in FILE_COLUMNS}
        if path is not None:
            sets["path"] = path
        with self.store._write("update the music library") as conn:
            conn.execute(f"UPDATE music_tracks SET {', '.join(f'{c}=?' for c in sets)} WHERE id=?",
                         [*(int(v) if isinstance(v, bool) else v for v in sets.values()), track.id])

    def set_facts(self, track_id: int, **facts: object) -> LibraryTrack:
        """Change the therapist's facts of one track (lyrics, language, intensity, note)."""
        unknown = set(facts) - set(FACT_COLUMNS)
        if unknown:
            raise ValueError(f"not a track fact: {', '.join(sorted(unknown))}")
        self.get(track_id)
        if facts:
            with self.store._write("change the track's facts") as conn:
                conn.execute(f"UPDATE music_tracks SET {', '.join(f'{c}=?' for c in facts)} WHERE id=?",
                             [*facts.values(), track_id])
        return self.get(track_id)

    def mark_missing(self, track_id: int, missing: bool, checked_at: str) -> None:
        with self.store._write("update the music library") as conn:
            conn.execute("UPDATE music_tracks SET missing=?, checked_at=? WHERE id=?",
                         (int(missing), checked_at, track_id))
