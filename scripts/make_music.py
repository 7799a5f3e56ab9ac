#!/usr/bin/env python3
"""Generate KAP Room's bundled music: calm pads, low drones and soft bells, in pure Python.

The room needs music that plays out of the box and may be shipped with the app. Synthesising it
here makes it our own work (CC0, see assets/LICENSE-music.md) and keeps it reproducible: the
same script and seed give the same samples. Nothing outside the standard library is used for
the sound itself; an encoder only turns the WAVs into small Ogg Vorbis files.

Regenerate (from the repository root):

    python3 scripts/make_music.py                 # WAVs in build/music-wav, then Ogg Vorbis
    python3 scripts/make_music.py --wav-only      # only the WAVs (no encoder needed)
    python3 scripts/make_music.py --only deep     # one phase

Encoding needs `sox` (Debian: apt-get install sox libsox-fmt-base) or `oggenc` (vorbis-tools).
It writes assets/music/<phase>/<name>.ogg and the playlists assets/playlists/*.m3u8 / *.xspf
named by the built-in protocols. The encoded files are committed, so CI needs no encoder.
It takes a few minutes: every sample is computed by the Python interpreter.
"""
from __future__ import annotations

import argparse
import array
import math
import random
import shutil
import subprocess
import sys
import wave
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
WAV_DIR = ROOT / "build" / "music-wav"
RATE = 22050
TABLE_BITS = 13
TABLE_SIZE = 1 << TABLE_BITS
TABLE_MASK = TABLE_SIZE - 1
PEAK = 0.38  # about -8.4 dBFS: modest, leaves the player's volume to do the rest
BLOCK = 64  # samples between envelope updates (about 3 ms): smooth, and fast enough in Python
ARTIST = "KAP Room"
LICENCE = "CC0-1.0"

#: Bell partials (ratio, amplitude, decay in seconds): a soft, slightly inharmonic struck tone.
BELL_PARTIALS = ((1.0, 1.0, 3.2), (2.76, 0.32, 1.5), (5.40, 0.10, 0.6))
PENTATONIC = (0, 2, 4, 7, 9)


@dataclass(frozen=True)
class Track:
    phase: str
    slug: str
    title: str
    seconds: int
    root: int  # MIDI note of the drone
    chords: tuple[tuple[int, ...], ...]  # semitones above the root, played in turn
    chord_seconds: float
    brightness: float  # 0..1, how much of the upper partials the pads carry
    bell_every: float  # mean seconds between bells; 0 for none
    bell_octave: int  # octaves above the root for the bells
    seed: int


MAJ = ((0, 7, 16, 19), (5, 12, 17, 21), (-3, 9, 12, 16), (7, 14, 19, 23))
MIN = ((0, 7, 15, 19), (-4, 8, 12, 15), (3, 10, 15, 19), (-2, 10, 14, 17))
OPEN = ((0, 7, 14, 19), (5, 12, 19, 24), (0, 7, 12, 16), (-2, 5, 14, 17))

TRACKS: tuple[Track, ...] = (
    Track("arrival", "open-door", "Open Door", 100, 50, MAJ, 14, 0.55, 11, 2, 11),
    Track("arrival", "morning-room", "Morning Room", 90, 53, OPEN, 13, 0.5, 13, 2, 12),
    Track("arrival", "first-breath", "First Breath", 80, 48, MAJ, 12, 0.5, 12, 2, 13),
    Track("settling", "settling-low", "Settling Low", 110, 48, OPEN, 18, 0.4, 19, 2, 21),
    Track("settling", "soft-ground", "Soft Ground", 100, 45, MIN, 18, 0.35, 22, 2, 22),
    Track("settling", "still-water", "Still Water", 90, 50, OPEN, 16, 0.4, 18, 2, 23),
    Track("onset", "drift", "Drift", 120, 45, MIN, 20, 0.3, 24, 2, 31),
    Track("onset", "long-horizon", "Long Horizon", 120, 43, OPEN, 22, 0.3, 28, 2, 32),
    Track("onset", "lanterns", "Lanterns", 100, 47, MAJ, 20, 0.35, 20, 2, 33),
    Track("deep", "deep-field", "Deep Field", 170, 40, OPEN, 30, 0.22, 38, 3, 41),
    Track("deep", "slow-tide", "Slow Tide", 160, 38, MIN, 32, 0.2, 45, 3, 42),
    Track("deep", "inner-sky", "Inner Sky", 170, 41, OPEN, 28, 0.25, 40, 3, 43),
    Track("deep", "night-garden", "Night Garden", 150, 43, MIN, 30, 0.22, 36, 3, 44),
    Track("return", "returning-light", "Returning Light", 110, 55, MAJ, 15, 0.5, 10, 2, 51),
    Track("return", "warm-shore", "Warm Shore", 100, 52, OPEN, 15, 0.5, 11, 2, 52),
    Track("return", "green-morning", "Green Morning", 100, 50, MAJ, 14, 0.55, 10, 2, 53),
    Track("integration", "quiet-table", "Quiet Table", 100, 53, OPEN, 16, 0.45, 15, 2, 61),
    Track("integration", "afterglow", "Afterglow", 90, 48, MAJ, 16, 0.4, 16, 2, 62),
    Track("integration", "homeward", "Homeward", 90, 50, OPEN, 15, 0.45, 14, 2, 63),
)

#: Playlist files as the built-in protocols name them: (file name, phase, title).
PLAYLISTS = (
    ("arrival.m3u8", "arrival", "Arrival & intention"),
    ("settling.m3u8", "settling", "Settling (dosing)"),
    ("onset.xspf", "onset", "Onset"),
    ("deep.m3u8", "deep", "Deep"),
    ("return.m3u8", "return", "Return"),
    ("integration.m3u8", "integration", "Integration & discharge"),
)


def hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69) / 12.0)


def wavetable(brightness: float) -> array.array:
    """One cycle of a soft tone: the fundamental with a little of partials 2 to 4."""
    weights = (1.0, 0.35 * brightness, 0.16 * brightness, 0.06 * brightness)
    norm = sum(weights)
    return array.array("d", (sum(w * math.sin(2 * math.pi * (k + 1) * i / TABLE_SIZE) for k, w in enumerate(weights)) / norm
                             for i in range(TABLE_SIZE)))


def raised_cosine(x: float) -> float:
    """0 at x<=0, 1 at x>=1, smooth in between: envelopes without clicks."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    return 0.5 - 0.5 * math.cos(math.pi * x)


def add_tone(out: array.array, table: array.array, start: float, length: float, freq: float, amp: float,
             attack: float, release: float, lfo_hz: float, lfo_depth: float, lfo_phase: float) -> None:
    """Add one sustained wavetable voice with a raised-cosine envelope and a slow swell."""
    first = max(0, int(start * RATE))
    last = min(len(out), int((start + length) * RATE))
    step = freq * TABLE_SIZE / RATE
    phase = random.random() * TABLE_SIZE
    two_pi_lfo = 2 * math.pi * lfo_hz
    for block in range(first, last, BLOCK):
        t = block / RATE - start
        env = raised_cosine(t / attack) * raised_cosine((length - t) / release)
        env *= amp * (1.0 - lfo_depth * (0.5 + 0.5 * math.sin(two_pi_lfo * t + lfo_phase)))
        if env < 1e-6:
            phase += step * (min(block + BLOCK, last) - block)
            continue
        for i in range(block, min(block + BLOCK, last)):
            out[i] += table[int(phase) & TABLE_MASK] * env
            phase += step


def add_bell(out: array.array, start: float, freq: float, amp: float) -> None:
    """A struck, softly decaying bell with a 12 ms attack (no click)."""
    first = int(start * RATE)
    attack = int(0.012 * RATE)
    for ratio, weight, decay in BELL_PARTIALS:
        f = freq * ratio
        if f >= RATE / 2 * 0.9:
            continue
        length = min(len(out) - first, int(decay * 7 * RATE))
        w = 2 * math.pi * f / RATE
        fall = math.exp(-1.0 / (decay * RATE))
        level = amp * weight
        for i in range(max(0, length)):
            rise = raised_cosine(i / attack) if i < attack else 1.0
            out[first + i] += math.sin(w * i) * level * rise
            level *= fall


def echo(source: array.array, delays: tuple[tuple[float, float], ...]) -> array.array:
    """A plain multi-tap echo: gives the bells a little room around them."""
    out = array.array("d", source)
    for seconds, gain in delays:
        shift = int(seconds * RATE)
        for i in range(shift, len(out)):
            out[i] += source[i - shift] * gain
    return out


def low_pass(samples: array.array, cutoff: float) -> None:
    """One-pole low-pass in place: takes the edge off without colouring the pads."""
    a = math.exp(-2 * math.pi * cutoff / RATE)
    y = 0.0
    for i, x in enumerate(samples):
        y = (1 - a) * x + a * y
        samples[i] = y


def render(track: Track) -> array.array:
    random.seed(track.seed)
    rng = random.Random(track.seed)
    total = track.seconds
    out = array.array("d", bytes(8 * total * RATE))
    table = wavetable(track.brightness)
    drone_table = wavetable(track.brightness * 0.5)

    # A low drone under everything: the root and its fifth, slowly breathing.
    for interval, amp in ((0, 0.30), (7, 0.16), (-12, 0.12)):
        for detune in (-0.12, 0.12):
            add_tone(out, drone_table, 0.0, total, hz(track.root + interval) + detune, amp, 6.0, 6.0,
                     rng.uniform(0.03, 0.07), 0.25, rng.uniform(0, 6.28))

    # Chords, each overlapping the next by half its length, so the harmony moves without edges.
    step = track.chord_seconds
    at, index = -step * 0.25, 0
    while at < total:
        chord = track.chords[index % len(track.chords)]
        length = step * 1.6
        for semitone in chord:
            for detune in (-0.18, 0.2):
                add_tone(out, table, at, length, hz(track.root + 12 + semitone) + detune, 0.075, step * 0.55,
                         step * 0.6, rng.uniform(0.05, 0.11), 0.3, rng.uniform(0, 6.28))
        at += step
        index += 1

    # Sparse bells on a pentatonic scale, never in the first or last few seconds.
    if track.bell_every > 0:
        bells = array.array("d", bytes(len(out) * 8))
        at = rng.uniform(4, 4 + track.bell_every)
        while at < total - 12:
            note = track.root + 12 * track.bell_octave + rng.choice(PENTATONIC) + rng.choice((0, 0, 12))
            add_bell(bells, at, hz(note), rng.uniform(0.10, 0.16))
            at += rng.expovariate(1.0 / track.bell_every) + 3.0
        for i, value in enumerate(echo(bells, ((0.43, 0.28), (0.91, 0.12)))):
            out[i] += value

    low_pass(out, 3200.0)
    peak = max(abs(v) for v in out) or 1.0
    gain = PEAK / peak
    fade_in, fade_out = 4.0 * RATE, 6.0 * RATE
    n = len(out)
    for i in range(n):
        out[i] *= gain * raised_cosine(i / fade_in) * raised_cosine((n - 1 - i) / fade_out)
    return out


def write_wav(samples: array.array, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = array.array("h", (max(-32767, min(32767, int(round(v * 32767)))) for v in samples))
    if sys.byteorder == "big":
        pcm.byteswap()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.tobytes())


def render_to_wav(track: Track) -> Path:
    path = WAV_DIR / track.phase / f"{track.slug}.wav"
    write_wav(render(track), path)
    return path


def ogg_path(track: Track) -> Path:
    return ASSETS / "music" / track.phase / f"{track.slug}.ogg"


def encode(track: Track, wav: Path, quality: int) -> Path:
    """Ogg Vorbis at a low quality setting: these are soft tones, they compress very well."""
    target = ogg_path(track)
    target.parent.mkdir(parents=True, exist_ok=True)
    tags = {"TITLE": track.title, "ARTIST": ARTIST, "ALBUM": f"KAP Room: {track.phase}", "LICENSE": LICENCE,
            "COMMENT": "Generated by scripts/make_music.py"}
    if shutil.which("oggenc"):
        command = ["oggenc", "-Q", "-q", str(quality), "-o", str(target)]
        for key, value in tags.items():
            command += ["-c", f"{key}={value}"]
        command.append(str(wav))
    elif shutil.which("sox"):
        command = ["sox", str(wav), "-C", str(quality)]
        for key, value in tags.items():
            command += ["--add-comment", f"{key}={value}"]
        command.append(str(target))
    else:
        raise SystemExit("no encoder: install sox (apt-get install sox) or vorbis-tools, or use --wav-only")
    subprocess.run(command, check=True)
    return target


def write_playlists() -> None:
    """M3U8 with #EXTINF and XSPF, with paths relative to the playlist folder."""
    folder = ASSETS / "playlists"
    folder.mkdir(parents=True, exist_ok=True)
    for name, phase, title in PLAYLISTS:
        tracks = [t for t in TRACKS if t.phase == phase]
        if name.endswith(".xspf"):
            rows = "".join(
                f"    <track>\n      <location>../music/{t.phase}/{t.slug}.ogg</location>\n"
                f"      <title>{escape(t.title)}</title>\n      <creator>{ARTIST}</creator>\n"
                f"      <duration>{t.seconds * 1000}</duration>\n    </track>\n" for t in tracks)
            text = (f'<?xml version="1.0" encoding="UTF-8"?>\n<playlist version="1" xmlns="http://xspf.org/ns/0/">\n'
                    f"  <title>{escape(title)}</title>\n  <creator>{ARTIST}</creator>\n"
                    f"  <license>https://creativecommons.org/publicdomain/zero/1.0/</license>\n"
                    f"  <trackList>\n{rows}  </trackList>\n</playlist>\n")
        else:
            lines = ["#EXTM3U", f"#PLAYLIST:{title}"]
            for t in tracks:
                lines += [f"#EXTINF:{t.seconds},{t.title}", f"../music/{t.phase}/{t.slug}.ogg"]
            text = "\n".join(lines) + "\n"
        (folder / name).write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wav-only", action="store_true", help="write the WAVs only; do not encode")
    parser.add_argument("--only", help="only the tracks of this phase (e.g. deep)")
    parser.add_argument("--quality", type=int, default=0, help="Vorbis quality, -1 to 10 (default 0)")
    parser.add_argument("--jobs", type=int, default=2, help="tracks rendered at once")
    args = parser.parse_args(argv)
    chosen = [t for t in TRACKS if args.only in (None, t.phase)]
    if not chosen:
        raise SystemExit(f"no tracks for phase {args.only!r}")
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        wavs = list(pool.map(render_to_wav, chosen))
    for track, wav in zip(chosen, wavs):
        print(f"rendered {wav.relative_to(ROOT)}")
        if not args.wav_only:
            target = encode(track, wav, args.quality)
            print(f"encoded  {target.relative_to(ROOT)} ({target.stat().st_size // 1024} KiB)")
    if not args.wav_only:
        write_playlists()
        print(f"wrote the playlists in {(ASSETS / 'playlists').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
