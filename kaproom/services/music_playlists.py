"""Per-phase playlists built from the clinic's music library, and the phase's music as the session
would play it. No Qt.

A phase's playlist built in KAP Room is saved as standard XSPF in the data folder's
``playlists/`` (as ``deep.xspf`` for a protocol phase that names ``deep.m3u8``: see
:func:`kaproom.playback.playlists.built_name`), with KAP Room's per-track facts in XSPF extension
elements that VLC and other players ignore. Tracks of any playlist that are in the library get
the library's facts (loudness, lyrics, intensity), so even loudness and the client's preferences
apply to the clinic's hand-made .m3u8 files too.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from kaproom.domain.music import MusicPreferences, TrackFacts, skip_reason, total_seconds
from kaproom.domain.protocol import Protocol
from kaproom.domain.protocol_error import ProtocolError
from kaproom.domain.protocol_settings import Phase, duration_words
from kaproom.playback.playlists import (
    Entry,
    Playlist,
    PlaylistError,
    built_name,
    open_phase_playlist,
    write_xspf,
)
from kaproom.services.paths import ASSETS_DIR
from kaproom.store import Store, StoreError
from kaproom.store.music import LibraryTrack, MusicTracks

NO_PREFERENCES = MusicPreferences()
REPEATS = "repeat"
SILENCE = "silence"
FILLS = "fills"


def entry_of(track: LibraryTrack) -> Entry:
    return Entry(Path(track.path), track.display_title, track.duration, facts=track.facts)


def with_library_facts(store: Store, playlist: Playlist) -> Playlist:
    """The playlist with each entry's facts from the library (the therapist's latest word wins over
    what a saved playlist carries), and its duration if the playlist gives none."""
    tracks = MusicTracks(store)
    entries = []
    for entry in playlist.entries:
        try:
            known = tracks.by_path(str(entry.path))
        except StoreError:  # the library unreadable: the music plays without its facts, never stops
            return playlist
        if known is None:
            entries.append(entry)
            continue
        entries.append(replace(entry, facts=known.facts, duration=entry.duration or known.duration,
                               title=entry.title or known.display_title))
    return replace(playlist, entries=tuple(entries))


@dataclass(frozen=True)
class PlannedTrack:
    entry: Entry
    skipped: str | None = None  # why the session would skip it ("sung words", "file not found", ...)
    in_library: bool = True

    def as_json(self) -> dict[str, object]:
        facts = self.entry.facts or TrackFacts()
        return {"title": self.entry.display_title, "path": str(self.entry.path), "duration": self.entry.duration,
                "loudness": facts.loudness, "gain_db": round(facts.gain_db, 2), "lyrics": facts.lyrics,
                "language": facts.language, "intensity": facts.intensity, "skipped": self.skipped,
                "in_library": self.in_library}


@dataclass
class PhasePlan:
    """A phase's music as the session would play it, with its length against the phase's."""

    protocol: str
    phase: str
    phase_name: str
    phase_seconds: float
    playlist: str  # the name the protocol gives ("" when the phase has no music)
    path: str = ""
    tracks: list[PlannedTrack] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def playing(self) -> list[PlannedTrack]:
        return [t for t in self.tracks if t.skipped is None]

    @property
    def music_seconds(self) -> float:
        return total_seconds(t.entry.duration for t in self.playing)

    @property
    def unknown_lengths(self) -> int:
        return sum(1 for t in self.playing if not t.entry.duration)

    @property
    def outcome(self) -> str:
        """What happens over the phase: the music fills it, repeats from its first track, or silence."""
        if not self.playing:
            return SILENCE
        return FILLS if self.music_seconds >= self.phase_seconds or self.unknown_lengths else REPEATS

    def summary(self) -> str:
        if not self.playlist:
            return f"{self.phase_name}: this phase has no music in the protocol."
        if not self.playing:
            why = "; ".join(sorted({t.skipped or "" for t in self.tracks} - {""})) or "no playable track"
            return f"{self.phase_name}: nothing in {self.playlist} fits ({why}); this phase will be silent."
        music, phase = length_words(self.music_seconds), length_words(self.phase_seconds)
        text = f"{self.phase_name}: {music} of music for a {phase} phase"
        if self.unknown_lengths:
            text += f" ({self.unknown_lengths} tracks of unknown length)"
        if self.outcome == REPEATS:
            text += "; the playlist repeats from its first track when it ends"
        skipped = len(self.tracks) - len(self.playing)
        if skipped:
            text += f"; {skipped} skipped"
        return text + "."

    def as_json(self) -> dict[str, object]:
        return {"protocol": self.protocol, "phase": self.phase, "phase_name": self.phase_name,
                "phase_seconds": self.phase_seconds, "playlist": self.playlist, "path": self.path,
                "music_seconds": self.music_seconds, "outcome": self.outcome, "summary": self.summary(),
                "tracks": [t.as_json() for t in self.tracks], "problems": list(self.problems)}


def length_words(seconds: float) -> str:
    """'45 s' under a minute, else '35 min' or '1 h 5 min'."""
    return f"{round(seconds)} s" if seconds < 59.5 else duration_words(seconds / 60)


def find_phase(protocol: Protocol, phase_ref: str) -> Phase:
    for phase in protocol.phases:
        if phase_ref in (phase.id, phase.name) or phase_ref.lower() == phase.name.lower():
            return phase
    known = ", ".join(p.id for p in protocol.phases)
    raise ProtocolError(protocol.id, "phase", f"no phase '{phase_ref}'", f"use one of: {known}")


def phase_plan(store: Store, playlists_dir: Path, protocol: Protocol, phase: Phase,
               prefs: MusicPreferences = NO_PREFERENCES, assets_dir: Path = ASSETS_DIR) -> PhasePlan:
    plan = PhasePlan(protocol.id, phase.id, phase.name, phase.seconds, phase.playlist or "")
    if not phase.playlist:
        return plan
    try:
        playlist = with_library_facts(store, open_phase_playlist(phase.playlist, playlists_dir, assets_dir))
    except PlaylistError as exc:
        plan.problems.append(str(exc))
        return plan
    plan.path = str(playlist.path)
    plan.problems.extend(p.describe() for p in playlist.problems if not p.missing_file)
    tracks = MusicTracks(store)
    for entry in playlist.entries:
        in_library = tracks.by_path(str(entry.path)) is not None
        why = skip_reason(prefs, entry.facts, str(entry.path), entry.display_title)
        if why is None and not entry.exists:
            why = "file not found"
        plan.tracks.append(PlannedTrack(entry, why, in_library))
    return plan


def silent_phases(store: Store, playlists_dir: Path, protocol: Protocol, prefs: MusicPreferences,
                  assets_dir: Path = ASSETS_DIR) -> list[str]:
    """The phases (by name) whose music has nothing left that fits the client: said before the start."""
    found = []
    for phase in protocol.phases:
        if not phase.playlist:
            continue
        plan = phase_plan(store, playlists_dir, protocol, phase, prefs, assets_dir)
        if not plan.playing:
            found.append(phase.name)
    return found


def save_phase_playlist(store: Store, playlists_dir: Path, protocol: Protocol, phase: Phase,
                        track_ids: Sequence[int]) -> Path:
    """Save the therapist's choice and order of library tracks as the phase's playlist (XSPF)."""
    if not phase.playlist:
        raise ProtocolError(protocol.id, f"phases.{phase.id}.playlist", "this phase has no playlist name",
                            'give the phase a playlist = "name.m3u8" in the protocol first')
    if not track_ids:
        raise ValueError("a playlist needs at least one track")
    tracks = MusicTracks(store)
    entries = [entry_of(tracks.get(track_id)) for track_id in track_ids]
    path = playlists_dir / built_name(phase.playlist)
    return write_xspf(path, entries, title=f"{protocol.name}: {phase.name}",
                      annotation=f"Built in KAP Room for the phase '{phase.id}' of the protocol '{protocol.id}'.")


def draft_plan(protocol: Protocol, phase: Phase, tracks: Sequence[LibraryTrack],
               prefs: MusicPreferences = NO_PREFERENCES) -> PhasePlan:
    """The plan of a playlist being built (not saved yet): its length against the phase's."""
    plan = PhasePlan(protocol.id, phase.id, phase.name, phase.seconds, phase.playlist or built_name(phase.id))
    for track in tracks:
        entry = entry_of(track)
        why = skip_reason(prefs, entry.facts, track.path, track.display_title)
        if why is None and (track.missing or track.problem):
            why = "file not found" if track.missing else "cannot play"
        plan.tracks.append(PlannedTrack(entry, why, True))
    return plan


def library_ids(store: Store, playlist: Playlist) -> list[int]:
    """The library's numbers of a playlist's tracks, in order (tracks not in the library left out)."""
    tracks = MusicTracks(store)
    found = [tracks.by_path(str(entry.path)) for entry in playlist.entries]
    return [track.id for track in found if track is not None]
