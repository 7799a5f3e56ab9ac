"""Playlists as clinics bring them: any file names, encodings, relative/absolute/URI paths, and
malformed files that must name the file and the entries at fault while the rest still plays."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kaproom.playback.playlists import PlaylistError, find_playlist, open_playlist, read_playlist, shipped_playlists
from kaproom.services.paths import ASSETS_DIR

# File names a music library may really hold: anything but "/", NUL and control characters
# (a line break cannot be written into an M3U line). Emoji, accents, spaces, '#', '%', ':' all in.
NAME_CHARS = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\\\ufeff\ufffe\uffff")
NAMES = st.text(NAME_CHARS, min_size=1, max_size=24)
LEGACY_NAMES = st.text(st.sampled_from("abcXYZ 019-_#%:,.()'éèçàüößñÅØ€…—’"), min_size=1, max_size=24)
TITLE_CHARS = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff\ufffe\uffff")
TITLES = st.text(TITLE_CHARS, max_size=30)


def write_tree(root: Path, names: list[str]) -> list[Path]:
    music = root / "music"
    music.mkdir()
    paths = []
    for name in names:
        path = music / f"{name}.ogg"
        path.write_bytes(b"OggS")
        paths.append(path)
    (root / "lists").mkdir()
    return paths


def m3u_reference(path: Path, style: str) -> str:
    if style == "uri":
        return path.as_uri()
    if style == "absolute":
        return str(path)
    reference = f"../music/{path.name}"
    return reference


def xspf_reference(path: Path, style: str) -> str:
    if style == "uri":
        return path.as_uri()
    if style == "absolute":
        return quote(str(path))
    return "../music/" + quote(path.name)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), style=st.sampled_from(["relative", "absolute", "uri"]),
       fmt=st.sampled_from(["m3u8", "m3u8-bom", "m3u-utf16", "m3u-cp1252", "xspf"]))
def test_any_file_name_resolves_in_every_format_and_path_style(data, style, fmt) -> None:
    names = data.draw(st.lists(LEGACY_NAMES if fmt == "m3u-cp1252" else NAMES, min_size=1, max_size=4,
                               unique_by=lambda n: n), label="names")
    assume(all(n not in (".", "..") for n in names))
    titles = data.draw(st.lists(LEGACY_NAMES if fmt == "m3u-cp1252" else TITLES, min_size=len(names),
                                max_size=len(names)), label="titles")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = write_tree(root, names)
        if fmt == "xspf":
            tracks = "".join(f"<track><location>{escape(xspf_reference(p, style))}</location>"
                             f"<title>{escape(t)}</title><duration>61000</duration></track>"
                             for p, t in zip(paths, titles))
            playlist = root / "lists" / "phase.xspf"
            playlist.write_text(f'<?xml version="1.0" encoding="UTF-8"?><playlist version="1" '
                                f'xmlns="http://xspf.org/ns/0/"><trackList>{tracks}</trackList></playlist>',
                                encoding="utf-8")
        else:
            lines = ["#EXTM3U"]
            for path, title in zip(paths, titles):
                lines += [f"#EXTINF:61,{title}", m3u_reference(path, style)]
            text = "\r\n".join(lines) + "\r\n"
            suffix = ".m3u8" if fmt.startswith("m3u8") else ".m3u"
            playlist = root / "lists" / f"phase{suffix}"
            encoded = {"m3u8": lambda t: t.encode("utf-8"), "m3u8-bom": lambda t: t.encode("utf-8-sig"),
                       "m3u-utf16": lambda t: t.encode("utf-16"),
                       "m3u-cp1252": lambda t: t.encode("cp1252")}[fmt](text)
            if fmt == "m3u-cp1252":  # bytes that also happen to be valid UTF-8 mean something else
                try:
                    assume(encoded.decode("utf-8") == text)
                except UnicodeDecodeError:
                    pass
            playlist.write_bytes(encoded)
        result = read_playlist(playlist)
        assert [e.path for e in result.entries] == [Path(os.path.normpath(p)) for p in paths]
        assert all(e.exists for e in result.entries)
        assert [e.title for e in result.entries] == [t.strip() for t in titles]
        assert all(e.duration == 61 for e in result.entries)
        assert not [p for p in result.problems if p.missing_file]


# ------------------------------------------------------------------ examples a clinic will meet

@pytest.fixture
def library(tmp_path: Path) -> Path:
    music = tmp_path / "Music"
    music.mkdir()
    for name in ("a.ogg", "b.ogg", "c.ogg", "Été à l'aube.ogg"):
        (music / name).write_bytes(b"OggS")
    return music


def test_relative_paths_resolve_against_the_playlist_folder_not_the_working_folder(library, tmp_path, monkeypatch) -> None:
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "p.m3u8").write_text("../Music/a.ogg\nMusic/../../Music/b.ogg\n", encoding="utf-8")
    monkeypatch.chdir(library)
    playlist = read_playlist(lists / "p.m3u8")
    assert [e.path for e in playlist.entries] == [library / "a.ogg", tmp_path / "Music" / "b.ogg"]


def test_windows_playlist_with_backslashes_and_crlf(library) -> None:
    path = library.parent / "win.m3u"
    path.write_bytes("#EXTM3U\r\n#EXTINF:120,Été\r\nMusic\\Été à l'aube.ogg\r\n".encode("cp1252"))
    playlist = read_playlist(path)
    assert playlist.entries[0].path == library / "Été à l'aube.ogg"
    assert playlist.entries[0].title == "Été"
    assert [p.describe() for p in playlist.problems] == [
        "line 2: is not UTF-8; the file was read as Windows-1252 (save it as UTF-8 .m3u8 if names look wrong)"]


def test_missing_files_are_named_with_their_line_and_the_others_still_play(library) -> None:
    path = library / "phase.m3u8"
    path.write_text("#EXTM3U\n#EXTINF:10,One\na.ogg\n#EXTINF:10,Gone\ngone.ogg\nc.ogg\n", encoding="utf-8")
    playlist = read_playlist(path)
    assert [e.path.name for e in playlist.entries] == ["a.ogg", "gone.ogg", "c.ogg"]
    assert [e.exists for e in playlist.entries] == [True, False, True]
    summary = playlist.summary()
    assert "phase.m3u8" in summary and str(path) in summary
    assert "line 5: 'gone.ogg' not found" in summary and "The other tracks play" in summary


@pytest.mark.parametrize("content, fragment", [
    (b"", "has no playable entries"),
    (b"#EXTM3U\n# only comments\n\n", "has no playable entries"),
    (b"OggS\x00\x02\x00\x00binary", "binary data"),
    (b"<html><body>Not found</body></html>", "looks like XML or HTML"),
    (b"#EXTM3U\nhttp://radio.example/stream\n", "is a http: address; only files on this computer are played"),
    (b"file://nas.local/music/a.ogg\n", "is on another computer (nas.local)"),
])
def test_malformed_m3u_is_refused_with_the_file_and_the_reason(tmp_path, content, fragment) -> None:
    path = tmp_path / "broken.m3u"
    path.write_bytes(content)
    with pytest.raises(PlaylistError) as caught:
        read_playlist(path)
    assert str(path) in str(caught.value) and fragment in str(caught.value)


def test_bad_lines_are_reported_while_good_entries_play(library) -> None:
    path = library / "mixed.m3u8"
    path.write_text("#EXTM3U\n#EXTINF:abc\na.ogg\nhttps://x.example/b.mp3\n#EXTINF:5,Folder\n.\n"
                    "#EXTINF:3,Dangling\n#EXTINF:4,Last\nc.ogg\n#EXTINF:9,End without file\n", encoding="utf-8")
    playlist = read_playlist(path)
    assert [e.path.name for e in playlist.entries] == ["a.ogg", "c.ogg"]
    assert playlist.entries[0].title == "" and playlist.entries[1].title == "Last"
    described = [p.describe() for p in playlist.problems]
    assert described == [
        "line 2: '#EXTINF:abc' is not a valid #EXTINF (expected #EXTINF:seconds,title); the title is ignored",
        "line 4: 'https://x.example/b.mp3' is a https: address; only files on this computer are played",
        "line 6: '.' is a folder, not a music file",
        "line 7: #EXTINF has no file after it",
        "line 10: #EXTINF has no file after it",
    ]


XSPF_HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<playlist version="1" xmlns="http://xspf.org/ns/0/">\n'


@pytest.mark.parametrize("content, fragment", [
    (XSPF_HEAD + b"<trackList><track><location>a.ogg</track>\n", "not well-formed XML (line 3, column "),
    (XSPF_HEAD + b"<title>no tracks</title></playlist>", "has no <trackList>"),
    (b'<?xml version="1.0"?><rss><channel/></rss>', "not an XSPF playlist (its root is <rss>)"),
    (b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><playlist>&b;</playlist>',
     "declares XML entities"),
    (XSPF_HEAD + b"<trackList><track><title>no location</title></track></trackList></playlist>",
     "track 1: 'no location' has no <location>"),
])
def test_malformed_xspf_is_refused_with_the_file_and_the_reason(tmp_path, content, fragment) -> None:
    path = tmp_path / "broken.xspf"
    path.write_bytes(content)
    with pytest.raises(PlaylistError) as caught:
        read_playlist(path)
    assert str(path) in str(caught.value) and fragment in str(caught.value)


def test_xspf_track_without_location_is_reported_and_the_rest_play(library) -> None:
    path = library / "p.xspf"
    path.write_bytes(XSPF_HEAD + b"<trackList><track><location>a.ogg</location></track><track><title>Lost"
                     b"</title></track><track><location>%C3%89t%C3%A9%20%C3%A0%20l'aube.ogg</location>"
                     b"<duration>x</duration></track></trackList></playlist>")
    playlist = read_playlist(path)
    assert [e.path.name for e in playlist.entries] == ["a.ogg", "Été à l'aube.ogg"]
    assert playlist.entries[1].duration is None
    assert [p.describe() for p in playlist.problems] == ["track 2: 'Lost' has no <location>"]


def test_xspf_with_unencoded_names_as_some_tools_write_them(library) -> None:
    (library / "100% calm.ogg").write_bytes(b"OggS")
    path = library / "raw.xspf"
    path.write_text('<playlist version="1" xmlns="http://xspf.org/ns/0/"><trackList>'
                    "<track><location>100% calm.ogg</location></track>"
                    "<track><location>Été à l'aube.ogg</location></track></trackList></playlist>", encoding="utf-8")
    assert [e.path.name for e in read_playlist(path).entries] == ["100% calm.ogg", "Été à l'aube.ogg"]


def test_unreadable_playlists_say_what_is_wrong(tmp_path) -> None:
    with pytest.raises(PlaylistError, match="does not exist"):
        read_playlist(tmp_path / "nope.m3u8")
    with pytest.raises(PlaylistError, match="is a folder"):
        read_playlist(tmp_path)
    big = tmp_path / "big.m3u"
    with big.open("wb") as out:
        out.truncate(6 * 1024 * 1024)
    with pytest.raises(PlaylistError, match="too large to be a playlist"):
        read_playlist(big)


def test_clinic_folder_wins_over_the_bundled_playlists(tmp_path, library) -> None:
    clinic = tmp_path / "clinic"
    clinic.mkdir()
    (clinic / "deep.m3u8").write_text(f"{library / 'a.ogg'}\n", encoding="utf-8")
    folders = [clinic, ASSETS_DIR / "playlists"]
    assert find_playlist("deep.m3u8", folders) == clinic / "deep.m3u8"
    assert find_playlist("onset.xspf", folders) == ASSETS_DIR / "playlists" / "onset.xspf"
    assert open_playlist("deep.m3u8", folders).entries[0].path == library / "a.ogg"
    with pytest.raises(PlaylistError) as caught:
        find_playlist("missing.m3u8", folders)
    assert "missing.m3u8: was not found in" in str(caught.value) and str(clinic) in str(caught.value)


def test_every_protocol_playlist_is_shipped_with_playable_files(protocol, short_protocol) -> None:
    shipped = {p.name for p in shipped_playlists(ASSETS_DIR / "playlists")}
    for proto in (protocol, short_protocol):
        for phase in proto.phases:
            assert phase.playlist in shipped, f"{proto.id} phase {phase.id} names a playlist that is not shipped"
    total = 0
    for path in shipped_playlists(ASSETS_DIR / "playlists"):
        playlist = read_playlist(path)
        assert not playlist.problems, playlist.summary()
        assert len(playlist.entries) >= 2, f"{path.name} needs several tracks"
        for entry in playlist.entries:
            assert entry.exists and entry.path.suffix == ".ogg" and entry.title
            assert ASSETS_DIR in entry.path.parents
            total += entry.path.stat().st_size
    assert total < 8 * 1024 * 1024, "the bundled music should stay small"
    assert (ASSETS_DIR / "LICENSE-music.md").read_text(encoding="utf-8").count("CC0") >= 1
