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


def m4a(path: Path, seconds: float = 3.0, dbfs: float = -20.0, freq: float = 440.0, channels: int = 2,
        **tags: str) -> Path:
    """A real AAC tone in an MP4 container, encoded by libvlc's stream output from a generated WAV;
    ``tags`` become iTunes freeform atoms (``replaygain_track_gain="-7.00 dB"``), written by mutagen."""
    import time

    import vlc
    from mutagen.mp4 import MP4, MP4FreeForm

    from kaproom.playback.decode import chain_value

    source = tone(path.with_name(path.stem + ".source.wav"), seconds, dbfs, freq, channels)
    instance = vlc.Instance(["--no-video", "--quiet", "--aout=dummy"])
    media = instance.media_new_path(str(source))
    media.add_option(f":sout=#transcode{{acodec=mp4a,ab=128}}:std{{access=file,mux=mp4,dst={chain_value(str(path))}}}")
    media.add_option(":sout-keep")
    player = instance.media_player_new()
    player.set_media(media)
    player.play()
    deadline = time.monotonic() + 60
    while player.get_state() not in (vlc.State.Ended, vlc.State.Error) and time.monotonic() < deadline:
        time.sleep(0.01)
    player.stop()
    player.release()
    media.release()
    instance.release()
    source.unlink()
    assert path.stat().st_size > 1000, f"libvlc made no M4A of {path}"
    if tags:
        audio = MP4(str(path))
        for key, value in tags.items():
            audio[f"----:com.apple.iTunes:{key}"] = [MP4FreeForm(value.encode())]
        audio.save()
    return path
