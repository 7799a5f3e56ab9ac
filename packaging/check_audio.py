"""``kaproom-check-audio``: play one track through the libvlc this build carries, and say so.

Shipped inside every build so that whoever installs KAP Room on a room computer (and the
build's own smoke test) can check the music path without starting a session. Silent by
default: it decodes through VLC's dummy output, which proves the bundled libvlc, its plugins
and the bundled music work together. ``--speakers`` plays five seconds through the computer's
real audio output instead, for checking the room's speakers before a session, never during one.
Exit status 0 when audio buffers were decoded and played, 1 when not.
"""
from __future__ import annotations

import argparse
import math
import os
import struct
import sys
import tempfile
import time
import wave
from pathlib import Path

AUDIO_SUFFIXES = (".ogg", ".oga", ".opus", ".flac", ".mp3", ".wav", ".m4a")


def bundled_tracks() -> list[Path]:
    """Audio files under KAP Room's assets folder (the bundle's, via the runtime hook)."""
    from kaproom.services.paths import ASSETS_DIR
    if not ASSETS_DIR.is_dir():
        return []
    return sorted(p for p in ASSETS_DIR.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())


def generated_wav(folder: Path, seconds: float = 2.0, rate: int = 22050) -> Path:
    """A quiet, soft-edged 220 Hz tone, for when a build carries no music yet."""
    path = folder / "kaproom-check-tone.wav"
    frames = bytearray()
    total = int(seconds * rate)
    for i in range(total):
        envelope = min(1.0, i / (0.2 * rate), (total - i) / (0.2 * rate))
        frames += struct.pack("<h", int(3000 * envelope * math.sin(2 * math.pi * 220 * i / rate)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return path


def mapped_vlc_files() -> list[str]:
    """libvlc, libvlccore and plugin files this process has loaded (Linux only; [] elsewhere)."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            paths = {line.split(None, 5)[5].strip() for line in maps if len(line.split(None, 5)) == 6}
    except OSError:
        return []
    return sorted(p for p in paths if "libvlc" in Path(p).name or p.endswith("_plugin.so"))


def play(track: Path, dummy_output: bool, seconds: float) -> tuple[bool, str]:
    import vlc

    options = ["--no-video", "--quiet", "--no-media-library"]
    if dummy_output:
        options.append("--aout=dummy")  # otherwise VLC picks the computer's own output
    instance = vlc.Instance(options)
    if instance is None:
        return False, "libvlc could not start (no plugins found?)"
    player = instance.media_player_new()
    media = instance.media_new_path(str(track))
    player.set_media(media)
    player.audio_set_volume(60)
    player.play()
    deadline = time.monotonic() + seconds
    stats = vlc.MediaStats()
    played = 0
    while time.monotonic() < deadline:
        state = player.get_state()
        if state == vlc.State.Error:
            break
        if media.get_stats(stats):
            played = stats.played_abuffers
        if dummy_output and ((played > 0 and player.get_time() > 0) or state == vlc.State.Ended):
            break
        time.sleep(0.05)
    media.get_stats(stats)
    played = max(played, stats.played_abuffers)
    state = player.get_state()
    position_ms = player.get_time()
    player.stop()
    player.release()
    instance.release()
    ok = played > 0 and state != vlc.State.Error
    return ok, (f"state {str(state).split('.')[-1]}, {stats.decoded_audio} audio blocks decoded, "
                f"{played} buffers played, position {max(position_ms, 0)} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kaproom-check-audio", description=__doc__.split("\n\n")[0])
    parser.add_argument("track", nargs="?", type=Path, help="audio file (default: the first bundled track)")
    parser.add_argument("--speakers", action="store_true",
                        help="play 5 seconds through the real audio output (default: silent dummy output)")
    parser.add_argument("--require-bundled-vlc", action="store_true",
                        help="fail unless libvlc and every loaded plugin come from this build (Linux)")
    parser.add_argument("--require-bundled-track", action="store_true",
                        help="fail instead of playing a generated tone when the build carries no music")
    args = parser.parse_args(argv)

    import vlc
    version = vlc.libvlc_get_version().decode()
    print(f"libvlc {version}; plugins: {os.environ.get('VLC_PLUGIN_PATH', '(system default)')}")

    with tempfile.TemporaryDirectory(prefix="kaproom-check-") as tmp:
        track = args.track
        if track is None:
            tracks = bundled_tracks()
            if tracks:
                track = tracks[0]
            elif args.require_bundled_track:
                print("FAIL: this build carries no music under its assets folder")
                return 1
            else:
                track = generated_wav(Path(tmp))
                print("note: this build carries no music yet; playing a generated tone instead")
        print(f"track: {track}")
        if not track.is_file():
            print(f"FAIL: {track} is not a file")
            return 1
        ok, detail = play(track, not args.speakers, 5.0 if args.speakers else 15.0)
    print(("played: " if ok else "FAIL: did not play: ") + detail)

    if args.require_bundled_vlc and not sys.platform.startswith("linux"):
        print("note: which libvlc was loaded is only checked on Linux")
    elif args.require_bundled_vlc:
        base = Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)).resolve()
        loaded = mapped_vlc_files()
        outside = [p for p in loaded if not Path(p).resolve().is_relative_to(base)]
        plugins = [p for p in loaded if p.endswith("_plugin.so")]
        if not loaded or not plugins:
            print("FAIL: could not see which libvlc was loaded")
            return 1
        if outside:
            print("FAIL: loaded from outside the build: " + ", ".join(outside))
            return 1
        print(f"libvlc, libvlccore and {len(plugins)} plugins all loaded from {base}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
