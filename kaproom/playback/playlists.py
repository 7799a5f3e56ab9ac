"""Playlists: M3U / M3U8 (with ``#EXTINF``) and XSPF, as VLC and most music players write them.

Clinics point playlists at their own music, made on other computers with other tools. So the
reader is forgiving where that is safe (byte-order marks, Windows line ends and backslashes,
legacy encodings, ``file://`` URIs, percent-encoding) and precise where it is not: every entry it
cannot use is reported with the playlist file, the line or track number and the reason, while the
usable entries still play. Only a playlist with nothing usable in it raises ``PlaylistError``.
"""
from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from kaproom.domain.music import INTENSITY_MAX, INTENSITY_MIN, LYRICS_VALUES, TrackFacts

MAX_BYTES = 5 * 1024 * 1024  # far more than any real playlist; refuses a music file opened by mistake
MAX_ENTRIES = 5000
SUFFIXES = (".m3u8", ".m3u", ".xspf")
XSPF_NS = "http://xspf.org/ns/0/"
#: The ``application`` of KAP Room's ``<extension>`` in an XSPF track, and the namespace of what is
#: in it (loudness, lyrics, intensity, note). Other players ignore extensions they do not know.
KAPROOM_XSPF = "urn:x-kaproom:track:1"
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
            facts = _our_facts(track, ns)
            entries.append(replace(entry, facts=facts) if facts is not None else entry)
    return _finish(name or path.name, path, entries, problems, (root.findtext(f"{ns}title") or "").strip())


def _our_facts(track: Any, ns: str) -> TrackFacts | None:
    """KAP Room's facts from a track's ``<extension application="urn:x-kaproom:track:1">``, if any;
    a value that is not what KAP Room writes is left out, never an error."""
    for extension in track.findall(f"{ns}extension"):
        if extension.get("application") != KAPROOM_XSPF:
            continue
        kp = f"{{{KAPROOM_XSPF}}}"
        loudness = _number(extension.findtext(f"{kp}loudness"))
        lyrics_element = extension.find(f"{kp}lyrics")
        lyrics = (lyrics_element.text or "").strip() if lyrics_element is not None else ""
        language = (lyrics_element.get("language") or "").strip().lower() if lyrics_element is not None else ""
        intensity_number = _number(extension.findtext(f"{kp}intensity"))
        intensity = int(intensity_number) if intensity_number is not None and intensity_number.is_integer() else None
        return TrackFacts(
            loudness=loudness if loudness is not None and -100.0 < loudness < 20.0 else None,
            lyrics=lyrics if lyrics in LYRICS_VALUES else "", language=language[:20],
            intensity=intensity if intensity is not None and INTENSITY_MIN <= intensity <= INTENSITY_MAX else None,
            note=(extension.findtext(f"{kp}note") or "").strip())
    return None


def _number(text: str | None) -> float | None:
    try:
        value = float((text or "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


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


# --------------------------------------------------------------------------- writing XSPF

def xspf_text(entries: Sequence[Entry], title: str = "", annotation: str = "") -> str:
    """A standard XSPF playlist of ``entries`` (absolute ``file:`` locations, so the file can be
    moved and still play, in VLC too), with KAP Room's facts in each track's extension."""
    import xml.etree.ElementTree as ET  # noqa: PLC0415 - start-up figure in parse_xspf

    ET.register_namespace("", XSPF_NS)
    ET.register_namespace("kaproom", KAPROOM_XSPF)
    x = f"{{{XSPF_NS}}}"
    k = f"{{{KAPROOM_XSPF}}}"
    root = ET.Element(f"{x}playlist", {"version": "1"})
    if title:
        ET.SubElement(root, f"{x}title").text = _xml_safe(title)
    if annotation:
        ET.SubElement(root, f"{x}annotation").text = _xml_safe(annotation)
    track_list = ET.SubElement(root, f"{x}trackList")
    for entry in entries:
        track = ET.SubElement(track_list, f"{x}track")
        ET.SubElement(track, f"{x}location").text = Path(os.path.abspath(entry.path)).as_uri()
        if entry.title:
            ET.SubElement(track, f"{x}title").text = _xml_safe(entry.title)
        if entry.duration is not None and entry.duration > 0:
            ET.SubElement(track, f"{x}duration").text = str(int(round(entry.duration * 1000)))
        facts = entry.facts
        if facts is None:
            continue
        extension = ET.SubElement(track, f"{x}extension", {"application": KAPROOM_XSPF})
        if facts.loudness is not None and math.isfinite(facts.loudness):
            ET.SubElement(extension, f"{k}loudness").text = f"{facts.loudness:.2f}"
        if facts.lyrics:
            attributes = {"language": _xml_safe(facts.language)} if facts.language else {}
            ET.SubElement(extension, f"{k}lyrics", attributes).text = facts.lyrics
        if facts.intensity is not None:
            ET.SubElement(extension, f"{k}intensity").text = str(facts.intensity)
        if facts.note:
            ET.SubElement(extension, f"{k}note").text = _xml_safe(facts.note)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _xml_safe(text: str) -> str:
    """Text XML 1.0 can hold: control characters (other than tab and line ends) and lone surrogates
    become U+FFFD, so a tag from a strange file never makes an unreadable playlist."""
    return "".join(ch if ch in "\t\n\r" or (ch >= " " and not "\ud800" <= ch <= "\udfff"
                                               and ch not in "\ufffe\uffff") else "\ufffd" for ch in text)


def write_xspf(path: Path, entries: Sequence[Entry], title: str = "", annotation: str = "") -> Path:
    """Write the playlist atomically (a half-written playlist is never left for the room to read)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(xspf_text(entries, title, annotation), encoding="utf-8")
    os.replace(temporary, path)
    return path


def built_name(name: str) -> str:
    """The file a playlist built in KAP Room is saved as, for the phase whose protocol names ``name``:
    ``deep.m3u8`` -> ``deep.xspf`` (XSPF, so KAP Room's per-track facts travel with it)."""
    return f"{Path(name).stem}.xspf"


def open_phase_playlist(name: str, clinic_folder: Path | None, assets_dir: Path) -> Playlist:
    """The playlist a phase plays: one built in KAP Room for it (``built_name`` in the clinic's
    folder) if there is one, else the file the protocol names (the clinic's before the bundled one)."""
    if clinic_folder is not None and not Path(name).is_absolute():
        built = clinic_folder / built_name(name)
        if built.is_file():
            return read_playlist(built, name)
    return open_playlist(name, playlist_folders(clinic_folder, assets_dir))
