"""Generated audio for the music-library tests: sine tones as WAV (stdlib ``wave``) or FLAC
(``soundfile``), at a chosen level, with tags written by mutagen."""
from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 22050


def tone(path: Path, seconds: float = 3.0, dbfs: float = -20.0, freq: float = 440.0, channels: int = 1) -> Path:
    """A sine tone whose peak is ``dbfs`` below full scale, as 16-bit WAV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    amplitude = 32767 * 10 ** (dbfs / 20)
    frames = bytearray()
    for n in range(int(seconds * RATE)):
        sample = int(round(amplitude * math.sin(2 * math.pi * freq * n / RATE)))
        frames += struct.pack("<h", sample) * channels
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))
    return path


def flac(path: Path, seconds: float = 1.0, dbfs: float = -20.0, freq: float = 330.0, **tags: str) -> Path:
    """A FLAC tone with Vorbis comments (title=..., artist=..., replaygain_track_gain=...)."""
    import numpy as np
    import soundfile
    from mutagen.flac import FLAC

    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * RATE)) / RATE
    soundfile.write(str(path), 10 ** (dbfs / 20) * np.sin(2 * np.pi * freq * t), RATE, format="FLAC")
    if tags:
        audio = FLAC(str(path))
        for key, value in tags.items():
            audio[key] = value
        audio.save()
    return path
