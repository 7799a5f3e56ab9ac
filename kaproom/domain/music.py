"""The clinic's music as the session sees it: a track's facts, the client's preferences, even loudness.

Pure Python. The library (``kaproom.services.music_library``) fills :class:`TrackFacts` from the
files and the therapist; the session uses them to skip what does not fit the client, to pick a
calmer or more intense next track, and to play every track at the same loudness.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

#: Lyrics: not yet said, none (instrumental), some words (a vocalise, a few spoken words), sung words.
LYRICS_UNKNOWN, LYRICS_NONE, LYRICS_SOME, LYRICS_SUNG = "", "none", "some", "sung"
LYRICS_VALUES: tuple[str, ...] = (LYRICS_UNKNOWN, LYRICS_NONE, LYRICS_SOME, LYRICS_SUNG)
LYRICS_WORDS = {LYRICS_UNKNOWN: "not set", LYRICS_NONE: "none", LYRICS_SOME: "some words", LYRICS_SUNG: "sung words"}
INTENSITY_MIN, INTENSITY_MAX = 1, 5
INTENSITY_WORDS = {1: "calm", 2: "gentle", 3: "moderate", 4: "strong", 5: "intense"}

#: Every track is played as if it measured this loudness (EBU R128's broadcast level is -23 LUFS;
#: ReplayGain 2 and most players use -18 LUFS, which keeps quiet ambient music from being lifted far).
TARGET_LUFS = -18.0
#: No track is lifted by more than this (a near-silent track must not come in at full volume).
MAX_BOOST_DB = 6.0
MAX_CUT_DB = -30.0
#: Where the session's created event keeps the client's music preferences.
PREFERENCES_KEY = "music_preferences"


@dataclass(frozen=True)
class TrackFacts:
    """What KAP Room knows about one track beyond its file: loudness, lyrics, intensity, a note."""

    loudness: float | None = None  # integrated loudness, LUFS (None: not measured)
    lyrics: str = LYRICS_UNKNOWN
    language: str = ""  # of the sung words, e.g. "en", "de" (lower case; "" when unknown or none)
    intensity: int | None = None  # 1 calm .. 5 intense
    note: str = ""

    @property
    def gain_db(self) -> float:
        return gain_for(self.loudness)


def gain_for(loudness: float | None) -> float:
    """The gain (dB) that brings a track of this loudness to the target, within the limits."""
    if loudness is None or not math.isfinite(loudness):
        return 0.0
    return max(MAX_CUT_DB, min(MAX_BOOST_DB, TARGET_LUFS - loudness))


def gain_factor(gain_db: float) -> float:
    """The amplitude factor of a gain in dB (+6 dB ≈ 2.0, -20 dB = 0.1)."""
    return float(10.0 ** (gain_db / 20.0))


def volume_factor(gain_db: float) -> float:
    """What a player volume (0..100) is multiplied by to change the sound by ``gain_db``.

    libvlc maps its volume to amplitude as a cube ((volume/100)³, src/audio_output: "cubic mapping
    from software volume to amplification factor", and its outputs with their own volume follow
    it), so a gain of G dB is a volume factor of 10^(G/60): -10 dB is about 0.68 of the volume."""
    return float(10.0 ** (gain_db / 60.0))


def level_db(volume: float) -> float:
    """The sound level (dB, 0 at volume 100) that a player volume gives, by the same mapping."""
    return -math.inf if volume <= 0 else 60.0 * math.log10(volume / 100.0)


def normalise_language(text: str) -> str:
    return text.strip().lower()


def normalise_lyrics(text: str) -> str:
    """'none', 'some', 'sung' or '' from what a person or a file may say."""
    word = text.strip().lower()
    aliases = {"no": LYRICS_NONE, "instrumental": LYRICS_NONE, "sung words": LYRICS_SUNG, "words": LYRICS_SUNG,
               "vocal": LYRICS_SUNG, "vocals": LYRICS_SUNG, "some words": LYRICS_SOME, "unknown": LYRICS_UNKNOWN,
               "not set": LYRICS_UNKNOWN}
    word = aliases.get(word, word)
    if word not in LYRICS_VALUES:
        raise ValueError(f"lyrics must be one of none, some, sung (not '{text}')")
    return word


def check_intensity(value: int | None) -> int | None:
    if value is None:
        return None
    if not INTENSITY_MIN <= int(value) <= INTENSITY_MAX:
        raise ValueError(f"intensity goes from {INTENSITY_MIN} (calm) to {INTENSITY_MAX} (intense), not {value}")
    return int(value)


@dataclass(frozen=True)
class MusicPreferences:
    """What the client asked for at the start: no lyrics at all, no sung words in some languages,
    and tracks to avoid (file paths or titles, compared without case)."""

    no_lyrics: bool = False
    no_sung_languages: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return self.no_lyrics or bool(self.no_sung_languages) or bool(self.avoid)

    def payload(self) -> dict[str, object]:
        """As the session's created event keeps it (so a restart honours it too)."""
        return {"no_lyrics": self.no_lyrics, "no_sung_languages": list(self.no_sung_languages),
                "avoid": list(self.avoid)}

    @classmethod
    def from_payload(cls, payload: object) -> MusicPreferences:
        """From the record; anything unreadable is taken as no preference, never an error."""
        if not isinstance(payload, Mapping):
            return cls()

        def words(key: str) -> tuple[str, ...]:
            value = payload.get(key)
            return tuple(str(v) for v in value if str(v).strip()) if isinstance(value, list | tuple) else ()
        return cls(no_lyrics=payload.get("no_lyrics") is True, no_sung_languages=words("no_sung_languages"),
                   avoid=words("avoid"))

    def words(self) -> str:
        """'no lyrics; no sung words in en, de; avoid: Storm' for the log and the start page."""
        parts = []
        if self.no_lyrics:
            parts.append("no lyrics")
        if self.no_sung_languages:
            parts.append("no sung words in " + ", ".join(self.no_sung_languages))
        if self.avoid:
            parts.append("avoid: " + ", ".join(self.avoid))
        return "; ".join(parts) or "no music preferences"


def split_languages(text: str) -> tuple[str, ...]:
    """'en, de' or 'en de' -> ('en', 'de')."""
    return tuple(normalise_language(p) for p in text.replace(";", " ").replace(",", " ").split() if p.strip())


def split_titles(text: str) -> tuple[str, ...]:
    """'Storm; Choir of Angels' -> ('Storm', 'Choir of Angels'): titles may hold commas, not semicolons."""
    return tuple(p.strip() for p in text.replace("\n", ";").split(";") if p.strip())


def skip_reason(prefs: MusicPreferences, facts: TrackFacts | None, path: str = "", title: str = "") -> str | None:
    """Why this track does not fit the client ("sung words", "lyrics", "avoided"), or None.

    A track whose lyrics nobody has set yet is played: the library shows which tracks still need
    their facts, and the session never falls silent for want of them."""
    avoid = {a.strip().lower() for a in prefs.avoid if a.strip()}
    if avoid and ({path.strip().lower(), title.strip().lower()} & avoid
                  or any(a and a in path.lower() for a in avoid if "/" in a or "\\" in a)):
        return "avoided"
    if facts is None:
        return None
    if prefs.no_lyrics and facts.lyrics in (LYRICS_SOME, LYRICS_SUNG):
        return "lyrics"
    banned = {normalise_language(lang) for lang in prefs.no_sung_languages if lang.strip()}
    if facts.lyrics == LYRICS_SUNG and banned:
        language = normalise_language(facts.language)
        if not language or language in banned:  # sung words of unknown language: not a risk worth taking
            return "sung words"
    return None


def nearest_by_intensity(intensities: Sequence[int | None], current: int | None, direction: int,
                         after: int) -> int | None:
    """The index of the next track one step calmer (``direction`` < 0) or more intense (> 0) than
    ``current``: the closest intensity in that direction, the first such after position ``after``
    (wrapping round). None when the playlist has nothing in that direction."""
    if current is None:
        known = [i for i in intensities if i is not None]
        current = round(sum(known) / len(known)) if known else None
    if current is None:
        return None
    candidates = [(value, index) for index, value in enumerate(intensities)
                  if value is not None and (value - current) * direction > 0]
    if not candidates:
        return None
    target = min(abs(value - current) for value, _ in candidates)
    count = len(intensities)
    ordered = sorted((index for value, index in candidates if abs(value - current) == target),
                     key=lambda index: (index - after - 1) % count)
    return ordered[0]


def total_seconds(durations: Iterable[float | None]) -> float:
    return sum(d for d in durations if d is not None and math.isfinite(d) and d > 0)
