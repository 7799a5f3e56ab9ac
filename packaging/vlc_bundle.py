"""Which parts of VLC 3 a KAP Room build carries, and where they sit inside the bundle.

KAP Room only plays local audio files, so the bundle takes libvlc, libvlccore and an
audio-only plugin subset (about 2 MB instead of VLC's 14 MB and its video stack). The same
plugin names exist in VLC 3.0.x on Linux (Debian's packages), Windows (VLC's folder) and
macOS (VLC.app); only the audio output differs. Used by ``kaproom.spec`` at build time and by
the tests; it imports nothing outside the standard library.
"""
from __future__ import annotations

import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

#: Plugins every build needs, by VLC category folder: read a local file, demux and decode
#: Ogg/Vorbis/Opus, FLAC, MP3, WAV and AAC, convert and mix the audio, set the volume; and, to
#: measure the loudness of what libsndfile cannot read (M4A/AAC) at import, decode it through
#: the stream output into a temporary WAV (kaproom/playback/decode.py: transcode to PCM with the
#: araw encoder and the ugly (nearest-neighbour) resampler, the standard output, the WAV muxer,
#: the file access output).
COMMON_PLUGINS: dict[str, tuple[str, ...]] = {
    "access": ("filesystem",),
    "stream_out": ("stream_out_transcode", "stream_out_standard"),
    "mux": ("mux_wav",),
    "access_output": ("access_output_file",),
    "demux": ("ogg", "wav", "flacsys", "es", "mp4", "playlist"),
    "codec": ("vorbis", "opus", "flac", "mpg123", "araw", "lpcm", "faad"),
    "packetizer": ("packetizer_flac", "packetizer_mpegaudio", "packetizer_mpeg4audio", "packetizer_copy"),
    "audio_filter": ("audio_format", "remap", "simple_channel_mixer", "trivial_channel_mixer",
                     "speex_resampler", "samplerate", "ugly_resampler", "scaletempo", "gain"),
    "audio_mixer": ("float_mixer", "integer_mixer"),
    "audio_output": ("adummy", "amem"),
    "stream_filter": ("cache_read", "cache_block", "prefetch", "skiptags"),
    "logger": ("console_logger",),
}

#: The speakers: each platform's own audio output.
PLATFORM_OUTPUTS: dict[str, tuple[str, ...]] = {
    "linux": ("pulse", "alsa"),
    "win32": ("mmdevice", "wasapi", "directsound", "waveout"),
    "darwin": ("auhal",),
}

#: AAC decoders beyond ``faad`` (Debian's): VLC's own Windows and macOS builds decode AAC with
#: avcodec (FFmpeg linked in). Not on Linux, where faad does it and avcodec would bring Debian's
#: FFmpeg libraries (tens of MB) into the bundle.
PLATFORM_DECODERS: dict[str, tuple[str, ...]] = {
    "linux": (),
    "win32": ("avcodec",),
    "darwin": ("avcodec",),
}

#: Without these the bundle cannot play an Ogg file at all: the build stops if one is missing.
REQUIRED = frozenset({"filesystem", "ogg", "vorbis", "float_mixer", "adummy", "audio_format"})

#: What measuring an M4A at import needs (a build without one says so; its M4A tracks then play
#: with their ReplayGain tags or uncorrected, as the import reports).
MEASURING = frozenset({"stream_out_transcode", "stream_out_standard", "mux_wav", "access_output_file", "araw",
                       "ugly_resampler", "mp4", "faad"})


@dataclass(frozen=True)
class VlcLayout:
    """Where libvlc lives on the build machine and where it goes in the bundle."""
    libvlc: str            # file name of libvlc (the one python-vlc loads)
    libvlccore: str
    plugin_dest: str       # plugin folder inside the bundle, relative to sys._MEIPASS
    plugin_suffix: str     # e.g. ".so"


LAYOUTS = {
    # libvlccore looks for <its own folder>/vlc/plugins, so this layout needs no help on Linux.
    "linux": VlcLayout("libvlc.so.5", "libvlccore.so.9", "vlc/plugins", ".so"),
    "win32": VlcLayout("libvlc.dll", "libvlccore.dll", "plugins", ".dll"),
    "darwin": VlcLayout("libvlc.dylib", "libvlccore.dylib", "plugins", ".dylib"),
}


def platform_key(platform: str = sys.platform) -> str:
    for key in LAYOUTS:
        if platform.startswith(key):
            return key
    raise SystemExit(f"KAP Room packaging knows Linux, Windows and macOS, not {platform!r}")


def default_vlc_dirs(platform: str = sys.platform) -> tuple[Path, Path]:
    """(folder holding libvlc, folder holding the plugins) of an installed VLC 3."""
    key = platform_key(platform)
    if key == "linux":
        multiarch = sysconfig.get_config_var("MULTIARCH") or "x86_64-linux-gnu"
        lib = Path("/usr/lib") / multiarch
        return lib, lib / "vlc" / "plugins"
    if key == "win32":
        root = Path(r"C:\Program Files\VideoLAN\VLC")
        return root, root / "plugins"
    root = Path("/Applications/VLC.app/Contents/MacOS")
    return root / "lib", root / "plugins"


def wanted_plugins(platform: str = sys.platform) -> dict[str, tuple[str, ...]]:
    """Category -> plugin names (without ``lib`` and ``_plugin``) for one platform."""
    key = platform_key(platform)
    wanted = dict(COMMON_PLUGINS)
    wanted["audio_output"] = COMMON_PLUGINS["audio_output"] + PLATFORM_OUTPUTS[key]
    wanted["codec"] = COMMON_PLUGINS["codec"] + PLATFORM_DECODERS[key]
    return wanted


def find_plugins(plugin_root: Path, platform: str = sys.platform) -> tuple[list[tuple[Path, str]], list[str]]:
    """Find the wanted plugins under ``plugin_root``.

    Returns ``([(file, folder inside the bundle)], [missing names])``. VLC.app keeps its plugins
    in one flat folder while Linux and Windows sort them by category, so the file is looked up by
    name anywhere below the root and keeps its relative folder.
    """
    layout = LAYOUTS[platform_key(platform)]
    by_name = {path.name: path for path in plugin_root.rglob(f"*_plugin{layout.plugin_suffix}")}
    found: list[tuple[Path, str]] = []
    missing: list[str] = []
    for names in wanted_plugins(platform).values():
        for name in names:
            path = by_name.get(f"lib{name}_plugin{layout.plugin_suffix}")
            if path is None:
                missing.append(name)
                continue
            relative = path.parent.relative_to(plugin_root).as_posix()
            dest = layout.plugin_dest if relative == "." else f"{layout.plugin_dest}/{relative}"
            found.append((path, dest))
    return found, missing


def vlc_binaries(platform: str = sys.platform, lib_dir: Path | None = None,
                 plugin_root: Path | None = None) -> list[tuple[str, str]]:
    """PyInstaller ``binaries`` entries for libvlc, libvlccore and the plugin subset.

    Stops the build with a clear message when libvlc or a required plugin is missing, because a
    bundle that cannot play music must never be shipped.
    """
    layout = LAYOUTS[platform_key(platform)]
    default_lib, default_plugins = default_vlc_dirs(platform)
    lib_dir = lib_dir or default_lib
    plugin_root = plugin_root or default_plugins
    entries: list[tuple[str, str]] = []
    for name in (layout.libvlc, layout.libvlccore):
        path = lib_dir / name
        if not path.exists():
            raise SystemExit(f"libvlc not found: {path} is missing (install VLC 3.0.x or set KAPROOM_VLC_LIB_DIR)")
        entries.append((str(path), "."))
    found, missing = find_plugins(plugin_root, platform)
    required_missing = sorted(REQUIRED.intersection(missing))
    if required_missing:
        raise SystemExit(f"VLC plugins missing under {plugin_root}: {', '.join(required_missing)}")
    for name in missing:
        print(f"kaproom.spec: note: VLC plugin {name!r} not found under {plugin_root}; left out", file=sys.stderr)
    measuring_missing = sorted(MEASURING.intersection(missing))
    if measuring_missing:
        print(f"kaproom.spec: note: without {', '.join(measuring_missing)} this build cannot measure the "
              "loudness of M4A/AAC tracks at import", file=sys.stderr)
    entries.extend((str(path), dest) for path, dest in found)
    return entries
