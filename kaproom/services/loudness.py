"""A track's integrated loudness (ITU-R BS.1770-4 / EBU R128), measured once at import.

The file is decoded by ``soundfile`` (libsndfile: WAV, FLAC, Ogg Vorbis/Opus, MP3) a block at a
time and K-weighted with SciPy's IIR filter, carrying the filter state from block to block, so a
long track is measured in bounded memory (pyloudnorm, the reference implementation the tests
compare against, needs the whole track decoded in memory at once: 1 GB for an hour of stereo).
The K-weighting coefficients for any sample rate and the gating (400 ms blocks, 75 % overlap,
-70 LUFS absolute and -10 LU relative gates) are those of the standard and of libebur128.

Formats libsndfile cannot decode (M4A/AAC, and any other that libvlc plays) are decoded by
libvlc (:mod:`kaproom.playback.decode`) into a temporary WAV at :data:`DECODE_RATE` (16-bit, the
source's channels, so a mono track measures as mono either way), measured the same way block by
block, and the WAV removed. Why 22.05 kHz and not the file's own rate: an hour of stereo is
318 MB of temporary disk instead of 635 MB at 44.1 kHz (memory stays bounded either way). Why it
keeps BS.1770 accurate: BS.1770 integrates the mean square of the K-weighted signal, and libvlc
lowers the rate by picking samples (nearest neighbour, no low-pass filter), so the decoded
samples are samples of the source and keep its mean square; what lies above 11 kHz folds below
it rather than being filtered away, and lands mostly in 2-11 kHz, where the K-weighting shelf
gives it the same +4 dB it had. A filtering resampler would drop that octave instead: 0.9 LU
low for pink noise, 3.4 LU for white. Measured here through libvlc against libsndfile on the
same files: a tone 0.0 LU, pink noise (about as bright as music gets) 0.01-0.06 LU low, white
noise (far brighter than any music) 0.2 LU low; the tests hold it within 0.5 LU.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import soundfile  # type: ignore[import-untyped]

from kaproom.playback.decode import DecodeError, decoded_wav
from kaproom.playback.player import PlaybackUnavailable

BLOCK_SECONDS = 0.4
STEP_SECONDS = 0.1  # 75 % overlap: four 100 ms steps per gating block
ABSOLUTE_GATE = -70.0
RELATIVE_GATE = -10.0
READ_FRAMES = 1 << 16  # frames decoded at once (about 1.5 s at 44.1 kHz)
#: Sample rate of the temporary WAV libvlc decodes a file to (see the module's words on accuracy).
DECODE_RATE = 22050
#: Channel weights of BS.1770 for 5.1 in WAV order (L, R, C, LFE, Ls, Rs); LFE is left out.
_SURROUND_WEIGHTS = (1.0, 1.0, 1.0, 0.0, 1.41, 1.41)


class LoudnessError(ValueError):
    """The file could not be measured (neither libsndfile nor libvlc could decode it, or damaged)."""


def k_weighting(rate: float) -> tuple[list[float], list[float]]:
    """The BS.1770 pre-filter (high shelf) and RLB high-pass as one 4th-order filter (b, a)."""
    f0, gain, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    vh = 10.0 ** (gain / 20.0)
    vb = vh ** 0.4996667741545416
    a0 = 1.0 + k / q + k * k
    pb = [(vh + vb * k / q + k * k) / a0, 2.0 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0]
    pa = [1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    rb = [1.0, -2.0, 1.0]
    ra = [1.0, 2.0 * (k * k - 1.0) / (1.0 + k / q + k * k), (1.0 - k / q + k * k) / (1.0 + k / q + k * k)]
    return [float(x) for x in np.convolve(pb, rb)], [float(x) for x in np.convolve(pa, ra)]


def _weights(channels: int) -> np.ndarray:
    if channels == 6:
        return np.array(_SURROUND_WEIGHTS)
    return np.ones(channels)


def integrated_loudness(path: Path, decode_timeout: float | None = None, temp_root: Path | None = None) -> float:
    """The file's integrated loudness in LUFS; ``-inf`` for digital silence.

    Read by libsndfile where it can; otherwise decoded by libvlc (:func:`measure_through_libvlc`,
    with ``decode_timeout`` and ``temp_root`` passed on).
    """
    try:
        info = soundfile.info(str(path))
    except (RuntimeError, soundfile.LibsndfileError, OSError):
        return measure_through_libvlc(path, decode_timeout, temp_root)
    return _measure_file(path, int(info.samplerate), int(info.channels))


def measure_through_libvlc(path: Path, timeout: float | None = None, temp_root: Path | None = None) -> float:
    """Loudness of a file libvlc decodes, via a temporary WAV at :data:`DECODE_RATE` (removed after).

    ``timeout`` in seconds (default: :mod:`kaproom.playback.decode`'s, after the track's length);
    the WAV's private folder is made under ``temp_root`` (default: the system's temporary folder).
    """
    try:
        with decoded_wav(path, DECODE_RATE, timeout=timeout, temp_root=temp_root) as wav:
            info = soundfile.info(str(wav))
            return _measure_file(wav, int(info.samplerate), int(info.channels))
    except DecodeError as exc:
        raise LoudnessError(str(exc)) from None
    except PlaybackUnavailable:
        raise LoudnessError("libsndfile cannot decode it and libvlc is not available") from None
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise LoudnessError(f"could not be decoded ({exc})") from None


def _measure_file(path: Path, rate: int, channels: int) -> float:
    # Here, not at the top: scipy.signal takes 1-2 s to load, and `kaproom --help`, `kaproom music
    # list` and the music library's window import this module without measuring anything.
    from scipy.signal import lfilter  # type: ignore[import-untyped]  # noqa: PLC0415 - figure above
    if rate <= 0 or channels <= 0:
        raise LoudnessError("has no audio to measure")
    b, a = k_weighting(rate)
    state = np.zeros((channels, len(a) - 1))
    weights = _weights(channels)
    step = max(1, int(round(rate * STEP_SECONDS)))
    steps: list[float] = []  # weighted mean square of each 100 ms step (10 floats a second: small)
    carry = np.zeros((0, channels))
    try:
        for block in soundfile.blocks(str(path), blocksize=READ_FRAMES, dtype="float64", always_2d=True):
            filtered = np.empty_like(block)
            for channel in range(channels):
                filtered[:, channel], state[channel] = lfilter(b, a, block[:, channel], zi=state[channel])
            data = np.concatenate([carry, filtered]) if len(carry) else filtered
            whole = (len(data) // step) * step
            if whole:
                squares = (data[:whole] ** 2).reshape(-1, step, channels).mean(axis=1)
                steps.extend((squares * weights).sum(axis=1).tolist())
            carry = data[whole:]
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise LoudnessError(f"could not be decoded to the end ({exc})") from None
    return gated_loudness(steps)


def gated_loudness(steps: list[float]) -> float:
    """BS.1770's gating over the 100 ms steps' weighted mean squares."""
    if len(steps) < 4:
        return -math.inf
    energy = np.asarray(steps)
    blocks = (energy[:-3] + energy[1:-2] + energy[2:-1] + energy[3:]) / 4.0
    with np.errstate(divide="ignore"):
        levels = -0.691 + 10.0 * np.log10(blocks)
    kept = blocks[levels > ABSOLUTE_GATE]
    if not len(kept):
        return -math.inf
    relative = -0.691 + 10.0 * math.log10(float(kept.mean())) + RELATIVE_GATE
    with np.errstate(divide="ignore"):
        kept = kept[-0.691 + 10.0 * np.log10(kept) > relative]
    if not len(kept):
        return -math.inf
    return -0.691 + 10.0 * math.log10(float(kept.mean()))
