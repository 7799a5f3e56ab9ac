"""Players on the system's libvlc, through python-vlc.

Facts this module is built on (DESIGN.md section 8): options go on the ``vlc.Instance``; an
instance that fails to start is ``None``; libvlc calls its callbacks on its own threads and is not
re-entrant, so a callback only copies plain values into a ``PlayerEvent`` and hands it to the
listener (which queues it for the Qt main thread); libvlc's own playlist end is unreliable, so
the playlist is kept in Python and each player plays single files; players are long-lived.
"""
from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kaproom.playback.player import NO_LIBVLC, PlaybackError, PlaybackUnavailable, Player

#: Environment variable naming the libvlc audio output ("dummy" in tests, e.g. "pulse", "alsa").
ENV_AUDIO_OUTPUT = "KAPROOM_AUDIO_OUTPUT"
#: Decoded audio blocks after which an output that has played none is taken as broken.
_DECODED_BEFORE_VERDICT = 100

_lock = threading.Lock()
_backend: VlcBackend | None = None
_failure: str | None = None


class NoiseLog:
    """libvlc's and ALSA's messages, kept out of the terminal.

    Without a sound card libvlc retries its output for every block of audio, and each try makes
    ALSA print eight lines and libvlc five: thousands of lines a minute on the terminal. Here they
    go to a file instead (:func:`log_noise_to`, the app's data folder), each distinct message
    once, so the file stays small through a three-hour session. Until a file is named the
    messages are dropped. The first time libvlc finds no audio output at all, ``on_no_sound``
    is told once (the app prints one line saying the room runs without sound).
    """

    #: libvlc's words when no audio output could be opened (src/audio_output/dec.c, libvlc 3).
    NO_OUTPUT = "failed to create audio output"
    MAX_LINES = 2000  # distinct messages kept; a strange device must not fill the disk either

    def __init__(self) -> None:
        self.path: Path | None = None
        self.on_no_sound: Callable[[], None] | None = None
        self.no_sound = False
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def write(self, source: str, message: str) -> None:
        """Called on libvlc's and ALSA's threads: no libvlc call, only a file append."""
        line = f"{source}: {message.rstrip()}"
        tell = False
        with self._lock:
            if self.NO_OUTPUT in message and not self.no_sound:
                self.no_sound = tell = True
            if line not in self._seen and len(self._seen) < self.MAX_LINES and self.path is not None:
                self._seen.add(line)
                try:  # readable by its owner only, as everything in the data folder
                    with open(os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "a",
                              encoding="utf-8", errors="replace") as out:
                        out.write(line + "\n")
                except OSError:
                    pass  # a log of noise is never worth a failure
        if tell and self.on_no_sound is not None:
            self.on_no_sound()


noise = NoiseLog()


def log_noise_to(path: Path | None, on_no_sound: Callable[[], None] | None = None) -> None:
    """Send libvlc's and ALSA's messages to ``path`` (call before the first player is made)."""
    noise.path = path
    noise.on_no_sound = on_no_sound


_alsa_handler: Any = None  # kept alive as long as ALSA may call it


def _text(value: bytes | None) -> str:
    return value.decode("utf-8", "replace") if value else ""


def _on_alsa(file: bytes | None, line: int, function: bytes | None, _err: int, fmt: bytes | None) -> None:
    # ALSA's format arguments cannot be read from Python: the format itself names the message.
    noise.write("ALSA", f"{_text(file)}:{line} ({_text(function)}) {_text(fmt)}")


def quiet_alsa() -> None:
    """Route ALSA's error messages (printed by libasound, which libvlc's ALSA output loads) to the
    noise log instead of the terminal. Harmless where libasound is missing."""
    global _alsa_handler
    if _alsa_handler is not None:
        return
    # ctypes loads with the player, after the room's first paint: ~15 ms of start-up otherwise
    # (bench/bench_startup.py), as importing python-vlc in load_vlc.
    import ctypes  # noqa: PLC0415 - start-up figure above
    import ctypes.util  # noqa: PLC0415 - likewise
    name = ctypes.util.find_library("asound")
    if name is None:
        return
    try:
        library = ctypes.CDLL(name)
        handler = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
                                   ctypes.c_char_p)(_on_alsa)
        library.snd_lib_error_set_handler(handler)
    except (OSError, AttributeError):
        return
    _alsa_handler = handler

    def restore() -> None:  # the interpreter is going: ALSA must not call into it any more
        library.snd_lib_error_set_handler(None)
    atexit.register(restore)


def _libc_vsnprintf() -> Any:
    import ctypes  # noqa: PLC0415 - start-up figure in quiet_alsa
    import ctypes.util  # noqa: PLC0415 - likewise
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
        vsnprintf = libc.vsnprintf
    except (OSError, AttributeError):
        return None
    vsnprintf.restype = ctypes.c_int
    vsnprintf.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_void_p]
    return vsnprintf


_LOGGED_LEVEL = 3  # libvlc's warnings and errors; its notices and debug messages are not kept


def _libvlc_log_callback(vlc: Any) -> Any:
    """A libvlc log callback writing each message, formatted, to the noise log."""
    vsnprintf = _libc_vsnprintf()
    levels = {0: "debug", 2: "notice", 3: "warning", 4: "error"}

    import ctypes  # noqa: PLC0415 - start-up figure in quiet_alsa

    def on_log(_data: Any, level: int, _context: Any, fmt: bytes, args: Any) -> None:
        if level < _LOGGED_LEVEL:
            return
        text = _text(fmt)
        if vsnprintf is not None:
            buffer = ctypes.create_string_buffer(1024)
            if vsnprintf(buffer, len(buffer), fmt, args) >= 0:
                text = _text(buffer.value)
        noise.write(f"libvlc {levels.get(level, level)}", text)
    return vlc.CallbackDecorators.LogCb(on_log)


def load_vlc() -> Any:
    """Import python-vlc, turning every way it can fail into PlaybackUnavailable."""
    try:
        # Here, not at the top: importing python-vlc loads libvlc, 40-65 ms on the bench VM, which
        # bench/bench_startup.py's figures (home page, resume to the room) would carry; the room
        # makes its players after its first paint.
        import vlc  # noqa: PLC0415 - start-up figure above
    # python-vlc fails in any way, even with sys.exit() on a bad PYTHON_VLC_LIB_PATH: each means no music.
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - see the line above
        raise PlaybackUnavailable(f"{NO_LIBVLC} (python-vlc said: {exc or type(exc).__name__})") from None
    if not hasattr(vlc, "Instance"):
        raise PlaybackUnavailable(NO_LIBVLC)
    return vlc


#: libvlc keeps a resampler running on every track, even at the output's own rate (it absorbs clock
#: drift). Its default pick (libsamplerate) costs about half the CPU of playing; speex's does the
#: same job at a fraction of it, a quieter fan in a quiet room. Any other resampler if it is missing.
RESAMPLER = "--audio-resampler=speex_resampler,any"


def instance_options(output: str | None = None) -> list[str]:
    """The libvlc options KAP Room uses: audio only, quiet, no network look-ups, a light resampler."""
    options = ["--no-video", "--quiet", "--no-metadata-network-access", RESAMPLER]
    output = output if output is not None else os.environ.get(ENV_AUDIO_OUTPUT, "").strip()
    if output:
        options.append(f"--aout={output}")
    return options


class VlcBackend:
    """One libvlc instance for the process (costly to create); makes the players."""

    def __init__(self, output: str | None = None) -> None:
        self.vlc = load_vlc()
        self.options = instance_options(output)
        quiet_alsa()
        try:
            self.instance = self.vlc.Instance(self.options)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - every failure of libvlc to start means no music
            raise PlaybackUnavailable(f"{NO_LIBVLC} (libvlc failed to start: {exc})") from None
        if self.instance is None:
            raise PlaybackUnavailable("Music is off: libvlc is installed but could not start (its plugins are "
                                      "missing?) — reinstall Debian packages libvlc5 and vlc-plugin-base.")
        self._log_callback = _libvlc_log_callback(self.vlc)  # kept alive as long as libvlc may call it
        try:
            self.instance.log_set(self._log_callback, None)
            atexit.register(self.instance.log_unset)  # libvlc must not call into a finished interpreter
        except Exception:  # noqa: BLE001 - without it, --quiet still keeps most of libvlc's words off the terminal
            pass
        try:
            version = self.vlc.libvlc_get_version()
            self.version = version.decode("utf-8", "replace") if isinstance(version, bytes) else str(version)
        except Exception:  # noqa: BLE001 - a version string is only informative
            self.version = "unknown"

    def player(self, name: str) -> VlcPlayer:
        return VlcPlayer(self, name)


def shared_backend() -> VlcBackend:
    """The process's libvlc, created on first use; a failure is remembered, not retried each time."""
    global _backend, _failure
    with _lock:
        if _backend is not None:
            return _backend
        if _failure is not None:
            raise PlaybackUnavailable(_failure)
        try:
            _backend = VlcBackend()
        except PlaybackUnavailable as exc:
            _failure = str(exc)
            raise
        return _backend


class VlcPlayer(Player):
    """A libvlc media player that plays one file at a time and reports its end and errors."""

    def __init__(self, backend: VlcBackend, name: str) -> None:
        super().__init__()
        self.name = name
        self._vlc = backend.vlc
        self._instance = backend.instance
        self._player = backend.instance.media_player_new()
        if self._player is None:
            raise PlaybackUnavailable("Music is off: libvlc could not create a player.")
        self._media: Any = None
        self._token = 0
        self._volume = 0
        self._found_stream = False  # set by libvlc when the file turns out to hold a stream
        self._released = False
        events = self._vlc.EventType
        self._manager = self._player.event_manager()
        self._manager.event_attach(events.MediaPlayerEndReached, self._on_end)
        self._manager.event_attach(events.MediaPlayerEncounteredError, self._on_error)
        self._manager.event_attach(events.MediaPlayerESAdded, self._on_stream)

    # ---------------------------------------------------------------- libvlc's threads
    # No libvlc call in here: read two Python attributes, build a plain event, hand it on.
    def _on_end(self, _event: Any) -> None:
        if self._found_stream:
            self._emit(self._token, "ended")
        else:  # libvlc "plays" some non-audio files to their end at once, without an error
            self._emit(self._token, "error", "VLC found no audio in this file")

    def _on_stream(self, _event: Any) -> None:
        self._found_stream = True

    def _on_error(self, _event: Any) -> None:
        self._emit(self._token, "error", "VLC could not play this file")

    # ---------------------------------------------------------------- the main thread
    def load(self, path: Path) -> int:
        media = self._instance.media_new_path(str(path))
        if media is None:
            raise PlaybackError(f"VLC could not open {path}")
        self._player.set_media(media)  # stops the previous track before returning
        self._media = media
        self._found_stream = False
        self._token += 1  # after set_media: a late event of the old track keeps the old token
        return self._token

    def play(self) -> None:
        if self._media is None:
            raise PlaybackError("nothing loaded")
        if self._player.play() == -1:
            raise PlaybackError("VLC could not start playback")
        self._player.audio_set_volume(self._volume)  # some outputs forget a volume set while stopped

    def pause(self) -> None:
        self._player.set_pause(1)

    def stop(self) -> None:
        if not self._released:
            self._player.stop()

    def set_volume(self, volume: int) -> None:
        self._volume = max(0, min(100, int(volume)))
        self._player.audio_set_volume(self._volume)

    @property
    def volume(self) -> int:
        return self._volume

    def is_playing(self) -> bool:
        return bool(self._player.is_playing())

    def position(self) -> float:
        """Fraction of the current track played (0..1), for diagnostics and tests."""
        return max(0.0, float(self._player.get_position()))

    def seek(self, fraction: float) -> None:
        """Jump within the current track; used by tests to reach a track's end quickly."""
        self._player.set_position(max(0.0, min(1.0, fraction)))

    def output_problem(self) -> str | None:
        """libvlc decodes but the output plays nothing when the sound device is missing or busy."""
        if self._media is None:
            return None
        stats = self._vlc.MediaStats()
        try:
            if not self._media.get_stats(stats):
                return None
        except Exception:  # noqa: BLE001 - statistics are a diagnosis, never a failure
            return None
        if stats.decoded_audio >= _DECODED_BEFORE_VERDICT and stats.played_abuffers == 0:
            return ("Music is off: the audio device is not playing (no sound card, unplugged speakers, or the "
                    "device is busy). Check the speakers and the computer's sound settings, "
                    "then press Try music again.")
        return None

    def release(self) -> None:
        if self._released:
            return
        self.set_listener(None)
        events = self._vlc.EventType
        try:
            self._manager.event_detach(events.MediaPlayerEndReached)
            self._manager.event_detach(events.MediaPlayerEncounteredError)
            self._manager.event_detach(events.MediaPlayerESAdded)
        except Exception:  # noqa: BLE001 - detaching is best effort when tearing down
            pass
        self._player.stop()
        self._player.release()
        self._released = True
