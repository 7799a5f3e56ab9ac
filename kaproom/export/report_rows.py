"""The rows of a session report: plain, frozen data that the review window, the PDF, the chart
and the CSV read (gathered by :func:`kaproom.export.report_data.gather`)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, TypeVar

from kaproom.domain.clock import format_hms
from kaproom.domain.discharge import observation_words
from kaproom.domain.events import ChainReport, Kind, RecordedEvent, stored_number
from kaproom.domain.protocol import Protocol
from kaproom.domain.vocabulary import as_recorded_by, short_of_protocol


@dataclass(frozen=True)
class Header:
    number: int
    uid: str
    client_code: str
    therapist: str
    room: str
    protocol_id: str
    protocol_name: str
    created_at: str
    started_at: str | None
    ended_at: str | None
    duration_seconds: float | None
    outcome: str  # created | running | discharged | ended_early
    end_reason: str
    demo: bool
    origin: str
    event_count: int


@dataclass(frozen=True)
class PhaseSpan:
    id: str
    name: str
    start: float
    end: float | None  # None while the session is still open
    how: str  # start | auto | manual
    reason: str = ""


@dataclass(frozen=True)
class VitalsRow:
    seq: int
    session_time: float
    wall_time: str
    phase: str
    author: str
    systolic: float | None = None
    diastolic: float | None = None
    pulse: float | None = None
    spo2: float | None = None
    respiratory_rate: float | None = None
    temperature: float | None = None
    moaas: float | None = None
    nausea: str = ""
    supplemental_oxygen: bool = False
    comment: str = ""
    partial: bool = False
    statuses: Mapping[str, str] = field(default_factory=dict)  # field -> ok | caution | urgent
    reasons: Mapping[str, str] = field(default_factory=dict)  # field -> why it is not ok
    news2_score: float | None = None
    news2_band: str = ""
    level: str = "normal"

    def value(self, name: str) -> Any:
        return getattr(self, name, None)


@dataclass(frozen=True)
class AlertRow:
    seq: int
    session_time: float
    wall_time: str
    level: str
    field: str
    value: Any
    reason: str
    source_seq: int | None
    acks: tuple[AckRow, ...] = ()


@dataclass(frozen=True)
class AckRow:
    seq: int
    session_time: float
    wall_time: str
    author: str
    alert_seq: int | None
    action: str


@dataclass(frozen=True)
class MusicRow:
    seq: int
    session_time: float
    wall_time: str
    action: str
    title: str
    file: str
    playlist: str
    message: str


@dataclass(frozen=True)
class NoteRow:
    seq: int
    session_time: float
    wall_time: str
    phase: str
    author: str
    kind: str  # note | tag
    text: str


@dataclass(frozen=True)
class AmendmentRow:
    seq: int
    session_time: float
    wall_time: str
    author: str
    amends_seq: int | None
    amends_kind: str
    text: str
    after_signoff: bool
    amends_text: str  # the summary of what it corrects ("" when that event is not in the log)


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    text: str
    ticked: bool | None  # None: not answered


@dataclass(frozen=True)
class Discharge:
    items: tuple[ChecklistItem, ...] = ()
    override_reason: str = ""
    ready_to_leave_at: str = ""  # as recorded: a wall time or a session time, shown as text
    recorded: bool = False


@dataclass(frozen=True)
class SignOffRow:
    seq: int  # in the session's chain; in the office's chain when ``office`` is named
    wall_time: str
    author: str
    role: str
    comment: str
    #: The office computer whose own chain holds this sign-off ("": the session's chain holds it).
    office: str = ""


@dataclass(frozen=True)
class TimelineRow:
    seq: int
    session_time: float
    wall_time: str
    phase: str  # phase id
    phase_name: str
    kind: str
    text: str
    level: str  # normal | caution | urgent
    author: str
    amends_seq: int | None = None
    amended_by: tuple[int, ...] = ()
    after_signoff: bool = False  # an amendment made after the first sign-off


@dataclass(frozen=True)
class SessionReport:
    header: Header
    protocol: Protocol
    phases: tuple[PhaseSpan, ...]
    dose_time: float | None
    vitals: tuple[VitalsRow, ...]
    alerts: tuple[AlertRow, ...]
    music: tuple[MusicRow, ...]
    notes: tuple[NoteRow, ...]
    amendments: tuple[AmendmentRow, ...]
    intention: str
    screening: tuple[ChecklistItem, ...]
    screening_notes: str
    discharge: Discharge
    signoffs: tuple[SignOffRow, ...]
    integrity: ChainReport
    timeline: tuple[TimelineRow, ...]
    events: tuple[RecordedEvent, ...] = ()
    dose_text: str = ""  # what was given, as recorded: "300 mg sublingual ketamine lozenge"
    #: seq -> the computer that recorded it, for the events imported from another computer's bundle
    #: (the rows above already name their authors "as recorded by" it; ``events`` keep them as hashed)
    recorded_by: Mapping[int, str] = field(default_factory=dict)

    def author_of(self, event: RecordedEvent) -> str:
        """The author as people are shown it: "as recorded by Room 2" for an imported event."""
        computer = self.recorded_by.get(event.seq)
        return as_recorded_by(event.author, computer) if computer is not None else event.author

    @property
    def last_session_time(self) -> float:
        return self.events[-1].session_time if self.events else 0.0

    @property
    def duration(self) -> float:
        """Session seconds the record covers (the end, or the last event of an open session)."""
        if self.header.duration_seconds is not None:
            return float(self.header.duration_seconds)
        return self.last_session_time

    @property
    def signed(self) -> bool:
        return bool(self.signoffs)

    @property
    def dose(self) -> RecordedEvent | None:
        """The dose event (its remarks: recorded late, no baseline, given despite), if there is one."""
        return next((e for e in self.events if e.kind == Kind.DOSE), None)

    def of_kind(self, kind: str) -> list[RecordedEvent]:
        return [e for e in self.events if e.kind == kind]

    @property
    def doses(self) -> list[RecordedEvent]:
        """Every dose, the first and any booster."""
        return self.of_kind(Kind.DOSE)

    @property
    def dose_times(self) -> list[float]:
        """When each dose was given (session seconds)."""
        times = [stored_number(e.payload.get("effective_time")) for e in self.doses]
        return [t if t is not None else e.session_time for t, e in zip(times, self.doses, strict=True)]

    @property
    def last_dose_time(self) -> float | None:
        """The latest dose: the observation before discharge counts from it (kaproom.domain.medication)."""
        return max(self.dose_times) if self.dose_times else None

    def observation(self) -> tuple[str, bool]:
        """How long the client was observed after the dose, in words, and whether that is short
        of the protocol's minimum; ('', False) unless the session was discharged after a dose.
        A supervisor checks this before signing."""
        end = self.header.duration_seconds
        last = self.last_dose_time if self.last_dose_time is not None else self.dose_time
        if last is None or end is None or self.header.outcome != "discharged":
            return "", False
        minimum = float(self.protocol.alerts.get("discharge_observation_minutes", 0) or 0)
        observed, short = observation_words(max(0.0, float(end) - last) / 60.0, minimum)
        which = "the last dose" if len(self.dose_times) > 1 else "the dose"
        text = f"Observed {observed} after {which} ({which[4:]} at {format_hms(last)}, " \
               f"discharged at {format_hms(float(end))})"
        if short:
            return text + f": {short_of_protocol(short, minimum)}.", True
        return text + ".", False

    def timeline_of(self, kinds: Iterable[str] | None = None) -> list[TimelineRow]:
        """The timeline narrowed to some event kinds (all when ``kinds`` is None or empty)."""
        wanted = set(kinds or ())
        return [row for row in self.timeline if not wanted or row.kind in wanted]

    def phase_name(self, phase_id: str) -> str:
        for phase in self.protocol.phases:
            if phase.id == phase_id:
                return phase.name
        return phase_id


Row = TypeVar("Row")
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def frozen_row(cls: type[Row], *values: Any) -> Row:
    """``cls(*values)`` for a frozen row class, given every field in order: the same object, made
    by filling its fields directly instead of through the frozen class's guarded ``__setattr__``
    one field at a time (twice as fast; a 10,000-event session makes some 20,000 rows)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    row = object.__new__(cls)
    row.__dict__.update(zip(names, values, strict=True))
    return row


#: The music's mechanics: how a track came and went, not what the client heard. The printed
#: timeline folds them into the line of the track they belong to (``group_music``).
MUSIC_MECHANICS = frozenset({"volume", "fade_in", "fade_out", "crossfade", "track_ended", "duck", "restore"})


def group_music(timeline: Sequence[TimelineRow], actions: Mapping[int, str]) -> list[TimelineRow]:
    """The timeline with one line per track: each music mechanics line (``actions``: seq -> music
    action) is counted on the line of the track playing when it happened, e.g. "Music: track started
    'Tide pool' (+3 music lines: 2 volume, crossfade)". Errors, pauses and skips keep their own
    lines; mechanics before any track keep theirs too."""
    rows = list(timeline)
    grouped: list[TimelineRow] = []
    folded: dict[int, list[str]] = {}  # index in grouped -> the actions folded into it
    track: int | None = None
    for row in rows:
        action = actions.get(row.seq, "") if row.kind == Kind.MUSIC else ""
        if action in MUSIC_MECHANICS and track is not None and not row.amended_by and row.level == "normal":
            folded.setdefault(track, []).append(action)
            continue
        if action == "track_started":
            track = len(grouped)
        grouped.append(row)
    for index, folded_actions in folded.items():
        counts = Counter(folded_actions)
        words = ", ".join(f"{n} {a.replace('_', ' ')}" if n > 1 else a.replace("_", " ")
                          for a, n in counts.items())
        row = grouped[index]
        grouped[index] = replace(row, text=f"{row.text} (+{len(folded_actions)} music lines: {words})")
    return grouped
