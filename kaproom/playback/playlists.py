"""Playlists: M3U / M3U8 (with ``#EXTINF``) and XSPF, as VLC and most music players write them.

Clinics point playlists at their own music, made on other computers with other tools. So the
reader is forgiving where that is safe (byte-order marks, Windows line ends and backslashes,
legacy encodings, ``file://`` URIs, percent-encoding) and precise where it is not: every entry it
cannot use is reported with the playlist file, the line or track number and the reason, while the
usable entries still play. Only a playlist with nothing usable in it raises ``PlaylistError``.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from kaproom.domain.music import TrackFacts

MAX_BYTES = 5 * 1024 * 1024  # far more than any real playlist; refuses a music file opened by mistake
MAX_ENTRIES = 5000
SUFFIXES = (".m3u8", ".m3u", ".xspf")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+):")  # two letters at least: "C:\..." is a path
_EXTINF = re.compile(r"^#EXTINF:\s*(-?\d+(?:\.\d+)?)?([^,]*),(.*)$", re.IGNORECASE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class PlaylistError(ValueError):
    """A playlist that cannot be used at all, naming the file, the problem and the fix."""

    def __init__(self, path: Path | str, problem: str, fix: str) -> None:
        self.path, self.problem, self.fix = str(path), problem, fix
        super().__init__(f"{path}: {problem}. {fix[:1].upper()}{fix[1:]}.")


@dataclass(frozen=True)
class Entry:
    """One track of a playlist: where the file is, and what the playlist calls it."""

    path: Path
    title: str = ""
    duration: float | None = None
    where: str = ""  # "line 4" or "track 2", for messages
    #: KAP Room's own facts (loudness, lyrics, intensity), from the playlist or the music library.
    facts: TrackFacts | None = None

    @property
    def gain_db(self) -> float:
        return self.facts.gain_db if self.facts is not None else 0.0

    @property
    def display_title(self) -> str:
        return self.title or self.path.stem

    @property
    def exists(self) -> bool:
        try:
            return self.path.is_file()
        except OSError:  # e.g. a folder on the way that this user may not enter
            return False


@dataclass(frozen=True)
class Problem:
    """An entry that will not play, and why."""

    where: str
    entry: str
    reason: str
    missing_file: bool = False

    def describe(self) -> str:
        shown = self.entry if len(self.entry) <= 80 else self.entry[:77] + "..."
        return f"{self.where}: '{shown}' {self.reason}" if shown else f"{self.where}: {self.reason}"


@dataclass(frozen=True)
class Playlist:
    name: str  # the file name the protocol uses, e.g. "deep.m3u8"
    path: Path
    entries: tuple[Entry, ...]
    problems: tuple[Problem, ...] = ()
    title: str = ""

    def summary(self, limit: int = 4) -> str:
        """One message for the therapist: which file, which entries, what is wrong."""
        if not self.problems:
            return f"{self.name}: {len(self.entries)} tracks"
        shown = "; ".join(p.describe() for p in self.problems[:limit])
        more = f"; and {len(self.problems) - limit} more" if len(self.problems) > limit else ""
        count = len(self.problems)
        return (f"Playlist {self.name} ({self.path}): {count} {'entry' if count == 1 else 'entries'} "
                f"cannot play: {shown}{more}. The other tracks play.")


# --------------------------------------------------------------------------- locations

def resolve_location(reference: str, base: Path, *, uri_reference: bool = False) -> tuple[Path | None, str]:
    """Turn a playlist entry into a local file path, or (None, why not).

    ``uri_reference`` is for XSPF, whose locations are URIs even when relative (percent-encoded).
    A path that does not exist as written is retried in the other readings (decoded or raw,
    Windows backslashes as folders), because playlists from other tools mix them up.
    """
    text = reference.strip("\r\n")
    if not text.strip():
        return None, "is empty"
    scheme = _SCHEME.match(text.strip())
    if scheme:
        kind = scheme.group(1).lower()
        if kind != "file":
            local = base / (unquote(text) if uri_reference else text)
            if local.is_file():  # a file whose name merely contains a colon
                return Path(os.path.normpath(local)), ""
            return None, f"is a {kind}: address; only files on this computer are played"
        try:
            parts = urlsplit(text.strip())
        except ValueError as exc:  # e.g. "file://[abc/x.ogg": a broken host part
            return None, f"is not a valid file: address ({exc})"
        if parts.netloc not in ("", "localhost"):
            return None, f"is on another computer ({parts.netloc}); copy the music to this one"
        location = unquote(parts.path)
        if re.match(r"^/[A-Za-z]:/", location) and os.name == "nt":  # file:///C:/Music/x.ogg
            location = location[1:]
        return Path(location), ""
    candidates: list[str] = []
    for raw in (text, text.strip()):
        if uri_reference:
            candidates.append(unquote(raw))
        candidates.append(raw)
    if os.sep == "/" and "\\" in text:
        candidates += [c.replace("\\", "/") for c in list(candidates)]
    seen: list[Path] = []
    for candidate in candidates:
        try:
            path = Path(candidate).expanduser() if candidate.startswith("~") else Path(candidate)
        except RuntimeError:  # "~name/..." where no user is called name: read it as a plain folder name
            path = Path(candidate)
        if not path.is_absolute():
            path = base / path
        path = Path(os.path.normpath(path))
        if path not in seen:
            seen.append(path)
        if path.is_file():
            return path, ""
    return seen[0], ""


def _entry(reference: str, base: Path, where: str, title: str, duration: float | None,
           problems: list[Problem], *, uri_reference: bool = False) -> Entry | None:
    try:
        return _checked_entry(reference, base, where, title, duration, problems, uri_reference=uri_reference)
    except (OSError, ValueError) as exc:  # e.g. a name longer than the file system allows
        why = getattr(exc, "strerror", None) or exc
        problems.append(Problem(where, reference.strip(), f"cannot be a file name here ({why})"))
        return None


def _checked_entry(reference: str, base: Path, where: str, title: str, duration: float | None,
                   problems: list[Problem], *, uri_reference: bool = False) -> Entry | None:
    path, why = resolve_location(reference, base, uri_reference=uri_reference)
    if path is None:
        problems.append(Problem(where, reference.strip(), why))
        return None
    if path.is_dir():
        problems.append(Problem(where, reference.strip(), "is a folder, not a music file"))
        return None
    if not path.exists():
        problems.append(Problem(where, reference.strip(), f"not found (looked for {path})", missing_file=True))
    return Entry(path, title.strip(), duration, where)


# --------------------------------------------------------------------------- M3U

def decode_text(data: bytes, path: Path) -> tuple[str, list[Problem]]:
    """UTF-8 (with or without BOM) or UTF-16 with BOM; older .m3u files may be Windows-1252."""
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PlaylistError(path, "is not a text playlist (it contains binary data)",
                            "choose an .m3u8, .m3u or .xspf file saved by a music player")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            raise PlaylistError(path, "is marked as UTF-16 but is not", "save it again as UTF-8") from None
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        note = Problem(f"line {line}", "", "is not UTF-8; the file was read as Windows-1252 "
                       "(save it as UTF-8 .m3u8 if names look wrong)")
    for legacy in ("cp1252", "latin-1"):
        try:
            return data.decode(legacy), [note]
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def parse_m3u(text: str, path: Path, name: str | None = None) -> Playlist:
    """Plain or extended M3U: one entry per line, ``#EXTINF:seconds,title`` before it."""
    base = path.parent
    problems: list[Problem] = []
    entries: list[Entry] = []
    title, pending_line = "", 0
    pending: tuple[float | None, str] | None = None  # the last #EXTINF's seconds and title, awaiting its file
    playlist_title = ""
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):  # not splitlines(): names may hold U+2028
        if not line.strip():
            continue
        if line.lstrip().startswith("#"):
            stripped = line.strip()
            upper = stripped.upper()
            if upper.startswith("#EXTINF"):
                if pending is not None:
                    problems.append(Problem(f"line {pending_line}", "", "#EXTINF has no file after it"))
                match = _EXTINF.match(stripped)
                if match is None:
                    problems.append(Problem(f"line {number}", stripped, "is not a valid #EXTINF "
                                            "(expected #EXTINF:seconds,title); the title is ignored"))
                    pending = (None, "")
                else:
                    seconds = float(match.group(1)) if match.group(1) else None
                    pending = (seconds if seconds is not None and seconds >= 0 else None, match.group(3))
                pending_line = number
            elif upper.startswith("#PLAYLIST:"):
                playlist_title = stripped[len("#PLAYLIST:"):].strip()
            continue
        if len(entries) >= MAX_ENTRIES:
            problems.append(Problem(f"line {number}", "", f"more than {MAX_ENTRIES} entries; the rest are ignored"))
            break
        duration, title = pending if pending else (None, "")
        pending = None
        entry = _entry(line, base, f"line {number}", title, duration, problems)
        if entry is not None:
            entries.append(entry)
    if pending is not None:
        problems.append(Problem(f"line {pending_line}", "", "#EXTINF has no file after it"))
    return _finish(name or path.name, path, entries, problems, playlist_title)


# --------------------------------------------------------------------------- XSPF

def parse_xspf(data: bytes, path: Path, name: str | None = None) -> Playlist:
    """XSPF (XML Shareable Playlist Format): ``<track><location>`` URIs, relative to the file."""
    if b"<!ENTITY" in data:  # never needed by XSPF; refuses entity-expansion bombs
        raise PlaylistError(path, "declares XML entities, which playlists never need",
                            "save the playlist again from a music player")
    # Here, not at the top: only XSPF playlists need the XML parser, and importing it costs about 5 ms,
    # which bench/bench_startup.py's resume-to-the-room figure would carry for the usual .m3u8 lists.
    import xml.etree.ElementTree as ET  # noqa: PLC0415 - start-up figure above
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line, column = exc.position
        raise PlaylistError(path, f"is not well-formed XML (line {line}, column {column + 1})",
                            "open it in a text editor and fix that line, or save the playlist again") from None
    if _local(root.tag) != "playlist":
        raise PlaylistError(path, f"is XML but not an XSPF playlist (its root is <{_local(root.tag)}>)",
                            "use a file saved as XSPF, .m3u8 or .m3u")
    ns = root.tag[:-len("playlist")]
    track_list = root.find(f"{ns}trackList")
    if track_list is None:
        raise PlaylistError(path, "has no <trackList>",
                            "add a <trackList> with <track><location>...</location></track> entries")
    problems: list[Problem] = []
    entries: list[Entry] = []
    for number, track in enumerate(track_list.findall(f"{ns}track"), start=1):
        where = f"track {number}"
        if len(entries) >= MAX_ENTRIES:
            problems.append(Problem(where, "", f"more than {MAX_ENTRIES} entries; the rest are ignored"))
            break
        title = (track.findtext(f"{ns}title") or "").strip()
        locations = [(loc.text or "").strip() for loc in track.findall(f"{ns}location")]
        locations = [loc for loc in locations if loc]
        if not locations:
            problems.append(Problem(where, title, "has no <location>"))
            continue
        duration = _milliseconds(track.findtext(f"{ns}duration"))
        entry = _entry(locations[0], path.parent, where, title, duration, problems, uri_reference=True)
        if entry is not None:
            entries.append(entry)
    return _finish(name or path.name, path, entries, problems, (root.findtext(f"{ns}title") or "").strip())


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _milliseconds(text: str | None) -> float | None:
    try:
        value = int((text or "").strip())
    except ValueError:
        return None
    return value / 1000.0 if value >= 0 else None


# --------------------------------------------------------------------------- reading files

def _finish(name: str, path: Path, entries: list[Entry], problems: list[Problem], title: str) -> Playlist:
    if not entries:
        detail = f": {problems[0].describe()}" if problems else ""
        raise PlaylistError(path, f"has no playable entries{detail}",
                            "add music files to it (one path per line in .m3u8; <location> in .xspf)")
    return Playlist(name, path, tuple(entries), tuple(problems), title)


def read_playlist(path: Path | str, name: str | None = None) -> Playlist:
    """Read one playlist file; its kind comes from the suffix, or from its content if unusual."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise PlaylistError(path, f"is {size // (1024 * 1024)} MB, too large to be a playlist",
                                "choose the playlist file, not a music file")
        data = path.read_bytes()
    except PlaylistError:
        raise
    except FileNotFoundError:
        raise PlaylistError(path, "does not exist",
                            "check the file name in the protocol and the playlists folder") from None
    except IsADirectoryError:
        raise PlaylistError(path, "is a folder", "name a playlist file (.m3u8, .m3u or .xspf)") from None
    except OSError as exc:
        raise PlaylistError(path, f"cannot be read ({exc.strerror or exc})",
                            "check that the file is readable") from None
    head = data[:200].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if path.suffix.lower() == ".xspf" or head.startswith((b"<?xml", b"<playlist")):
        return parse_xspf(data, path, name)
    text, notes = decode_text(data, path)
    if text.lstrip().startswith("<"):
        raise PlaylistError(path, "looks like XML or HTML, not an M3U playlist", "save the playlist as .m3u8 or .xspf")
    playlist = parse_m3u(text, path, name)
    if notes:
        playlist = Playlist(playlist.name, playlist.path, playlist.entries, tuple(notes) + playlist.problems,
                            playlist.title)
    return playlist


def find_playlist(name: str, folders: Sequence[Path]) -> Path:
    """The first folder holding ``name`` wins (the clinic's folder comes before the bundled one)."""
    if Path(name).is_absolute():
        if Path(name).is_file():
            return Path(name)
        raise PlaylistError(name, "does not exist", "check the playlist path in the protocol")
    for folder in folders:
        candidate = Path(folder) / name
        if candidate.is_file():
            return candidate
    looked = " or ".join(str(f) for f in folders) or "no folder"
    raise PlaylistError(name, f"was not found in {looked}",
                        "put the playlist in the clinic's playlists folder, or fix its name in the protocol")


def open_playlist(name: str, folders: Sequence[Path]) -> Playlist:
    return read_playlist(find_playlist(name, folders), name)


def playlist_folders(clinic_folder: Path | None, assets_dir: Path) -> list[Path]:
    folders = [clinic_folder] if clinic_folder is not None else []
    return folders + [assets_dir / "playlists"]


def shipped_playlists(folder: Path) -> Iterable[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES) if folder.is_dir() else []
