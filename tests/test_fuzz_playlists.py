"""Playlist files made by other tools, fuzzed: any bytes give a playlist or a PlaylistError that
names the file (never another exception), no line of an M3U is silently dropped, and music files
with any name a file system allows are found again from M3U8 and XSPF playlists."""
from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kaproom.playback.playlists import PlaylistError, parse_m3u, read_playlist

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def read_or_refuse(path: Path):
    try:
        return read_playlist(path)
    except PlaylistError as exc:
        assert str(exc).startswith(str(path)) and exc.problem and exc.fix
        return None


m3u_lines = st.one_of(
    st.text(st.characters(codec=None, blacklist_categories=("Cs",)), max_size=60),
    st.sampled_from([
        "#EXTM3U", "#EXTINF:123,Title", "#EXTINF:-1,", "#EXTINF:abc", "#EXTINF:" + "9" * 400 + ",Long",
        "#PLAYLIST:Deep", "~nosuchuser-kaproom/song.ogg", "~/song.ogg", "file://[abc/x.ogg", "file:///tmp/%00x.ogg",
        "file://server/share/song.ogg", "http://example.invalid/a.mp3", "C:\\Music\\song.mp3", "\\\\nas\\music\\a.ogg",
        "a" * 5000 + ".ogg", "../../../../etc/passwd", "/dev/null", ".", "..", "song\x00.ogg", "%2e%2e/x.ogg", " ",
        "file:", "file://", "file:///", "vlc://pause:10", "C:", "\ufeffsong.ogg",
    ]),
)


@settings(max_examples=300, **SETTINGS)
@given(lines=st.lists(m3u_lines, max_size=12), suffix=st.sampled_from([".m3u8", ".m3u"]),
       newline=st.sampled_from(["\n", "\r\n", "\r"]), bom=st.booleans())
def test_any_m3u_gives_entries_and_named_problems_never_a_crash(tmp_path, lines, suffix, newline, bom):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + newline.join(lines).encode("utf-8", "surrogatepass"))
    playlist = read_or_refuse(path)
    if playlist is None:
        return
    text = path.read_bytes().decode("utf-8-sig")
    references = {f"line {number}" for number, line in enumerate(re.split(r"\r\n|\r|\n", text), start=1)
                  if line.strip() and not line.lstrip().startswith("#")}
    accounted = {entry.where for entry in playlist.entries} | {problem.where for problem in playlist.problems}
    assert references <= accounted, "a line naming a file vanished without an entry or a problem"
    assert all(entry.where in references for entry in playlist.entries)


@settings(max_examples=200, **SETTINGS)
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".m3u8", ".m3u", ".xspf", ".txt"]))
@example(data=b"\xff\xfe" + "song\x00.ogg\n".encode("utf-16-le"), suffix=".m3u")
@example(data=b"<?xml version='1.0'?><playlist><trackList>" + b"<a>" * 5000 + b"</a>" * 5000
         + b"</trackList></playlist>", suffix=".xspf")
def test_any_bytes_give_a_playlist_or_a_playlist_error(tmp_path, data, suffix):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    read_or_refuse(path)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<playlist xmlns="http://xspf.org/ns/0/"><trackList><track><title>&lol9;</title><location>a.ogg</location></track>
</trackList></playlist>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?><!DOCTYPE p [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<playlist xmlns="http://xspf.org/ns/0/"><trackList><track><title>&secret;</title><location>a.ogg</location></track>
</trackList></playlist>"""


def test_xml_entity_tricks_are_refused(tmp_path):
    for name, data in (("bomb.xspf", BILLION_LAUGHS), ("xxe.xspf", EXTERNAL_ENTITY)):
        path = tmp_path / name
        path.write_bytes(data)
        assert read_or_refuse(path) is None


#: Names a Linux file system allows, as people name their music (no "/" or NUL, not "." or "..").
file_names = st.text(st.characters(codec="utf-8", blacklist_categories=("Cs", "Cc"), blacklist_characters="/\\"),
                     min_size=1, max_size=40).filter(lambda s: s.strip() not in ("", ".", "..")
                                                     and not s.lstrip().startswith(("#", "~"))
                                                     and s == s.strip() and len(s.encode()) < 200)


def _write_tracks(folder: Path, names: list[str]) -> list[Path]:
    music = folder / "music"
    music.mkdir()
    paths = []
    for index, name in enumerate(names):
        path = music / f"{index:02d} {name}.ogg"
        path.write_bytes(b"OggS")
        paths.append(path)
    return paths


@settings(max_examples=60, **SETTINGS)
@given(names=st.lists(file_names, min_size=1, max_size=6), style=st.sampled_from(["relative", "absolute", "uri"]))
def test_music_files_with_any_name_are_found_from_an_m3u8(tmp_path_factory, names, style):
    folder = tmp_path_factory.mktemp("m3u")
    tracks = _write_tracks(folder, names)
    lines = ["#EXTM3U"]
    for track, name in zip(tracks, names):
        reference = {"relative": os.path.relpath(track, folder), "absolute": str(track), "uri": track.as_uri()}[style]
        lines += [f"#EXTINF:61,{name}", reference]
    path = folder / "list.m3u8"
    path.write_text("\r\n".join(lines), encoding="utf-8")
    playlist = read_playlist(path)
    assert [entry.path for entry in playlist.entries] == tracks
    assert [entry.title for entry in playlist.entries] == [name.strip() for name in names]
    assert playlist.problems == ()


@settings(max_examples=60, **SETTINGS)
@given(names=st.lists(file_names, min_size=1, max_size=6), style=st.sampled_from(["relative", "uri"]))
def test_music_files_with_any_name_are_found_from_an_xspf(tmp_path_factory, names, style):
    folder = tmp_path_factory.mktemp("xspf")
    tracks = _write_tracks(folder, names)
    body = []
    for track, name in zip(tracks, names):
        location = quote(os.path.relpath(track, folder)) if style == "relative" else track.as_uri()
        body.append(f"<track><title>{escape(name)}</title><location>{escape(location)}</location></track>")
    path = folder / "list.xspf"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<playlist version="1" xmlns="http://xspf.org/ns/0/">'
                    f"<trackList>{''.join(body)}</trackList></playlist>", encoding="utf-8")
    playlist = read_playlist(path)
    assert [entry.path for entry in playlist.entries] == tracks
    assert playlist.problems == ()


def test_parse_m3u_reports_every_unusable_line_by_number(tmp_path):
    text = "#EXTM3U\nhttp://radio.invalid/stream\nmissing.ogg\n#EXTINF:oops\n"
    playlist = parse_m3u(text, tmp_path / "x.m3u8")
    wheres = sorted({problem.where for problem in playlist.problems})
    assert wheres == ["line 2", "line 3", "line 4"]
