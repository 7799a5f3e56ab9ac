"""Decode a file libvlc can play (M4A/AAC above all) into a WAV file, for measuring its loudness.

libsndfile, which the loudness meter reads, cannot decode AAC; libvlc can. Its stream output
transcodes the file to 16-bit PCM and writes it as WAV (``#transcode{acodec=s16l,...}:std{...}``),
as fast as the machine decodes (a few hundred times real time here), with no sound. The WAV goes
into a private temporary folder (``mkdtemp``: readable by its owner only) that is always
removed, whatever happens: a track decoded, one that fails, one that takes too long, one that
fills more disk than allowed.

Bounds: time (a timeout, then :class:`DecodeError` "could not be decoded in N s"; by default
:data:`MIN_TIMEOUT_S`, or longer for a track long enough to need it at :data:`MIN_SPEED` times
real time); disk (the WAV may grow to :data:`MAX_DECODED_BYTES` and never into the last
:data:`FREE_SPACE_RESERVE` bytes of its file system; the caller picks the sample rate, which
sets the size). Memory: nothing is held here, the caller reads the WAV a block at a time.

The state of the player is polled from the calling thread (an import worker), never from
libvlc's own callbacks (DESIGN.md section 8). Each decode uses its own media player, released
at the end, on one libvlc instance kept for decoding (made on first use; the room's players have
their own, with a resampler chosen for listening).
"""
from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from kaproom.playback.player import NO_LIBVLC, PlaybackUnavailable
from kaproom.playback.vlc_player import load_vlc

#: Decoding must run at least this many times faster than real time (a 60-minute track: 6 minutes).
MIN_SPEED = 10.0
#: A track is given at least this long, whatever its length (libvlc's start-up, a slow disk).
MIN_TIMEOUT_S = 60.0
#: The decoded WAV may not grow past this (4 hours of stereo at 22.05 kHz is 1.27 GB).
MAX_DECODED_BYTES = 1_400_000_000
#: Free space left on the temporary folder's file system, whatever the track.
FREE_SPACE_RESERVE = 500_000_000
_POLL_S = 0.02
#: libvlc's options for decoding: no sound, no video, and a resampler that picks samples (nearest
#: neighbour, no low-pass). Every sample written is one of the source's, so the mean square the
#: loudness meter integrates is kept when the rate is lowered; what lies above the new Nyquist
#: frequency folds below it instead of being filtered away (see kaproom.services.loudness).
DECODER_OPTIONS = ("--no-video", "--quiet", "--aout=dummy", "--no-metadata-network-access",
                   "--audio-resampler=ugly_resampler")

_lock = threading.Lock()
_decoder: tuple[Any, Any] | None = None  # (the vlc module, the decoding instance)


def decoder() -> tuple[Any, Any]:
    """python-vlc and the process's decoding instance (made once: its resampler is not the room's)."""
    global _decoder
    with _lock:
        if _decoder is None:
            vlc = load_vlc()
            try:
                instance = vlc.Instance(list(DECODER_OPTIONS))
            except (Exception, SystemExit) as exc:  # noqa: BLE001 - every failure of libvlc to start means no decoding
                raise PlaybackUnavailable(f"{NO_LIBVLC} (libvlc failed to start: {exc})") from None
            if instance is None:
                raise PlaybackUnavailable("libvlc is installed but could not start (its plugins are missing?)")
            _decoder = (vlc, instance)
        return _decoder


class DecodeError(Exception):
    """libvlc did not turn the file into PCM (timed out, failed, or would need too much disk)."""


def chain_value(text: str) -> str:
    """``text`` quoted for a libvlc option chain (``dst="..."``): backslashes and quotes escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sout_chain(dest: Path, rate: int, channels: int | None = None) -> str:
    """Transcode to 16-bit PCM at ``rate`` (and ``channels``, else the source's own) into a WAV file."""
    layout = f"channels={channels}," if channels is not None else ""
    return (f"#transcode{{acodec=s16l,{layout}samplerate={rate}}}"
            f":std{{access=file,mux=wav,dst={chain_value(str(dest))}}}")


def _disk_limit(folder: Path) -> int:
    free = shutil.disk_usage(folder).free
    return min(MAX_DECODED_BYTES, free - FREE_SPACE_RESERVE)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


@contextmanager
def decoded_wav(source: Path, rate: int, channels: int | None = None, timeout: float | None = None,
                temp_root: Path | None = None) -> Iterator[Path]:
    """Decode ``source`` with libvlc into a temporary WAV (``rate`` Hz, 16-bit, ``channels`` or the
    source's own) and yield its path; the folder holding it is removed when the block ends.

    ``timeout`` (seconds) is fixed when given; by default it is :data:`MIN_TIMEOUT_S`, or the
    track's length over :data:`MIN_SPEED` when that is longer. Raises :class:`DecodeError`, and
    :class:`~kaproom.playback.player.PlaybackUnavailable` when there is no libvlc at all.
    """
    vlc, instance = decoder()
    folder = Path(tempfile.mkdtemp(prefix="kaproom-decode-", dir=temp_root))
    try:
        dest = folder / "decoded.wav"
        limit = _disk_limit(folder)
        if limit <= 0:
            raise DecodeError("could not be decoded: not enough free space for a temporary copy")
        _run(vlc, instance, source, dest, rate, channels, timeout, limit)
        if _size(dest) <= 44:  # a WAV header and no sound
            raise DecodeError("could not be decoded: VLC made no audio from it")
        yield dest
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(vlc: Any, instance: Any, source: Path, dest: Path, rate: int, channels: int | None, timeout: float | None,
         limit: int) -> None:
    media = instance.media_new_path(str(source))
    if media is None:
        raise DecodeError("could not be decoded: VLC could not open the file")
    player = None
    try:
        for option in (f":sout={sout_chain(dest, rate, channels)}", ":sout-keep", ":no-sout-video",
                       ":no-sout-spu"):
            media.add_option(option)
        player = instance.media_player_new()
        if player is None:
            raise DecodeError("could not be decoded: libvlc could not make a player")
        player.set_media(media)
        started = time.monotonic()
        allowed = timeout if timeout is not None else MIN_TIMEOUT_S
        if player.play() != 0:
            raise DecodeError("could not be decoded: VLC could not start reading it")
        finished = (vlc.State.Ended, vlc.State.Error, vlc.State.Stopped)
        while True:
            state = player.get_state()
            if state in finished:
                break
            if timeout is None:
                length_ms = player.get_length()
                if length_ms and length_ms > 0:
                    allowed = max(MIN_TIMEOUT_S, length_ms / 1000.0 / MIN_SPEED)
            if time.monotonic() - started > allowed:
                raise DecodeError(f"could not be decoded in {allowed:.0f} s")
            if _size(dest) > limit:
                raise DecodeError("could not be decoded: too long to decode within the disk space allowed "
                                  f"({limit // 1_000_000} MB)")
            time.sleep(_POLL_S)
        if state == vlc.State.Error:
            raise DecodeError("could not be decoded: VLC stopped with an error")
    finally:
        if player is not None:
            with suppress(Exception):  # the file is closed before its folder goes
                player.stop()
            player.release()
        media.release()
