"""Can libvlc play this file? Asked once per file when the clinic's music is imported.

libvlc parses the file (locally, no network look-up, no sound) on the process's shared instance
(:func:`kaproom.playback.vlc_player.shared_backend`); a file it can play has at least one audio
stream. Parsing is asynchronous in libvlc: the status is polled here, with a time limit, and
never from libvlc's own callbacks.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from kaproom.playback.player import PlaybackUnavailable
from kaproom.playback.vlc_player import shared_backend

PARSE_TIMEOUT_S = 5.0
_POLL_S = 0.005


@dataclass(frozen=True)
class ProbeResult:
    """What libvlc found: an audio stream (playable), its duration, or why it cannot play."""

    playable: bool
    duration: float | None = None
    problem: str = ""


def probe(path: Path, timeout: float = PARSE_TIMEOUT_S) -> ProbeResult:
    """Parse ``path`` with libvlc; PlaybackUnavailable when there is no libvlc at all."""
    backend = shared_backend()
    vlc = backend.vlc
    media = backend.instance.media_new_path(str(path))
    if media is None:
        return ProbeResult(False, None, "VLC could not open the file")
    try:
        if media.parse_with_options(vlc.MediaParseFlag.local, int(timeout * 1000)) != 0:
            return ProbeResult(False, None, "VLC could not start reading the file")
        deadline = time.monotonic() + timeout + 1.0
        while media.get_parsed_status() == 0 and time.monotonic() < deadline:
            time.sleep(_POLL_S)
        status = media.get_parsed_status()
        if status == vlc.MediaParsedStatus.timeout or status == 0:
            return ProbeResult(False, None, f"VLC took more than {timeout:g} s to read the file")
        if status != vlc.MediaParsedStatus.done:
            return ProbeResult(False, None, "VLC cannot read this file (damaged, or not a format it knows)")
        audio = [t for t in (media.tracks_get() or []) if t.type == vlc.TrackType.audio]
        if not audio:
            return ProbeResult(False, None, "VLC found no audio in this file")
        milliseconds = media.get_duration()
        return ProbeResult(True, milliseconds / 1000.0 if milliseconds and milliseconds > 0 else None)
    finally:
        media.release()


__all__ = ["PlaybackUnavailable", "ProbeResult", "probe"]
