"""Session events and the hash chain that makes the record tamper-evident.

The session log is a clinical record: events are only ever appended. Each event's hash covers
its own content and the previous event's hash, so changing or removing any event breaks every
hash after it. The chain rules live here, with no database code, so that the store, the import
of bundles from another computer and any independent tool all check the same thing.
"""
from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from typing import Protocol as TypingProtocol

#: An event's payload as it is built: a JSON object, free-form by kind (``Kind`` lists what each holds).
JSONDict = dict[str, Any]
#: A payload as it is read: the same JSON object, not to be changed.
JSONMapping = Mapping[str, Any]


class Kind:
    """Event kinds. Plain strings, so the database stays readable with any SQLite tool.

    Payloads (JSON objects) by kind; fields marked ? may be absent:

    - session_created: client_code, therapist, room, demo, protocol {id, name, text}, prescribed_dose_mg?,
      follows? {uid, number, started_at} (an integration session: the client's medicine session before it)
    - screening: answers {question_id: bool}, proceed_confirmed?, notes?
    - intention: text
    - pre_dose: escort_name?, escort_phone?, last_food? ("HH:MM"), last_drink? ("HH:MM"), touch_consent?
      ("yes"|"ask_first"|"no"), music_preferences? (the facts before dosing; a later one adds or
      corrects, field by field)
    - session_started: protocol, clock_speed, boot_id?, since_boot? (the anchor a resume is judged by)
    - session_resumed: gap_seconds, wall_clock_went_back, last_event_seq, boot_id?, since_boot?
    - phase_changed: index, to, from, how ("start"|"auto"|"manual"|"dose"), effective_time,
      planned_minutes, early_by_seconds?, reason?
    - phase_extended: minutes, phase
    - note: text
    - tag: label
    - amendment: amends_seq, amends_id, amends_kind, text
    - dose: route, effective_time, amount_mg? (the prescribed dose), recorded_late?, without_baseline?, despite?
      (the last check's concerns the dose was given over), notes?, number? (1 when absent; 2 for the first
      booster ...), without_check? (a booster given with no vitals check just before it), product?, lot?
      (names as typed: the stock register links them, not the session record)
    - medication: medication (the standing order's id), name, amount, unit, route, reason, effective_time,
      rxnorm? (the ingredient's RxNorm code), recorded_late?
    - medication_effect: medication_seq (the medication event), effect (text)
    - waste: reason, witness (a typed name), witness_verified (false: no second sign-in checked it),
      effective_time, amount_mg?, dose_seq?, product?, lot?
    - adverse_event: kind (an id of the protocol's list), label, severity ("mild"|"moderate"|"severe"|
      "life-threatening"), onset (session seconds), actions, outcome, ems_called (bool), follow_up (bool),
      description?, alert_seqs? (the alerts it was made from)
    - vitals: systolic?, diastolic?, pulse?, spo2?, respiratory_rate?, temperature? (numbers or
      null when not taken), moaas? (0-5), nausea? ("none"|"mild"|"moderate"|"severe"),
      supplemental_oxygen?, comment, partial (bool), news2? {score, band, parts}, statuses?
    - scale: scale (its id: "rass", "dissociation", a clinic's own), name (its short name), answers
      {item_id: {points, words}} (items not answered are absent), order (the item ids in the
      scale's order: the stored object's keys are sorted), total (the sum of the points),
      complete (every item answered), level ("ok"|"caution"|"urgent"), words (the rating in words),
      vitals_seq? (the check-in it was taken with). MOAA/S is not a scale event: it stays in vitals.
    - alert: level ("caution"|"urgent"), field, value?, reason, source_seq? (the vitals or scale
      event); a scale's field is "<scale id>.<item id>" for an answer, "<scale id>" for its total
    - alert_ack: alert_seqs (the alerts of one line; alert_seq in older records), alerts (their
      reasons, in words), fields? (of alerts that could not be saved), action?
    - music: action ("track_started"|"track_ended"|"skip"|"previous"|"error"|"volume"|"duck"|
      "restore"|"pause"|"resume"|"crossfade"|"fade_in"|"fade_out"|"unavailable"|"retry"|"controls_restored"|
      "steer"|"skipped"), title?, file?, playlist?, volume?, message?, by? ("therapist" on a volume the
      therapist set), gain_db? (on track_started: the track's loudness correction), direction? (on steer:
      "calmer"|"more intense"),
      paused?, ducked? (on controls_restored: how the music was left before a restart)
    - clock_jump: jump_seconds, boot_id?, since_boot?; on a resume whose wall gap is more than can
      have passed in the room: on_resume, wall_gap_seconds, counted_seconds, reason; the therapist's
      answer: on_resume, kept ("room"|"wall"), added_seconds (jump_seconds 0)
    - discharge_check: checklist {item_id: bool}, ready_to_leave_at?, override_reason?, unticked?,
      aldrete? {total, complete, minimum, items {item_id: {points, record? (what the record
      suggested), basis?}}} (the modified Aldrete score), aldrete_below_minimum? (true: the reason
      covers it), next_appointment? (the next integration appointment, in words, for the after-care sheet)
    - session_ended: outcome ("discharged"|"ended_early"), reason, checklist?, override_reason?,
      ready_to_leave_at?, and on a discharge whatever else its discharge_check holds (aldrete?, ...)
    - signoff: comment, role?
    - viewed / exported: format?, destination? (found in older records only: views and exports
      now go to the audit trail, so a session's copies on two computers do not part ways)
    """

    SESSION_CREATED = "session_created"
    SCREENING = "screening"
    INTENTION = "intention"
    PRE_DOSE = "pre_dose"
    SESSION_STARTED = "session_started"
    SESSION_RESUMED = "session_resumed"
    PHASE_CHANGED = "phase_changed"
    PHASE_EXTENDED = "phase_extended"
    NOTE = "note"
    TAG = "tag"
    AMENDMENT = "amendment"
    DOSE = "dose"
    MEDICATION = "medication"
    MEDICATION_EFFECT = "medication_effect"
    WASTE = "waste"
    ADVERSE_EVENT = "adverse_event"
    VITALS = "vitals"
    ALERT = "alert"
    SCALE = "scale"
    ALERT_ACK = "alert_ack"
    MUSIC = "music"
    CLOCK_JUMP = "clock_jump"
    DISCHARGE_CHECK = "discharge_check"
    SESSION_ENDED = "session_ended"
    SIGNOFF = "signoff"
    VIEWED = "viewed"
    EXPORTED = "exported"


def stored_number(value: object) -> float | None:
    """A number read from a stored payload (an amount, a time), or None: absent, or not a number
    (a record edited outside KAP Room, or written by something else)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


GENESIS = "0" * 64


@dataclass(frozen=True)
class Event:
    """Something that happened, before it is stored."""

    kind: str
    payload: JSONMapping = field(default_factory=dict)
    session_time: float = 0.0
    wall_time: str = ""
    author: str = ""
    phase: str = ""


@dataclass(frozen=True)
class RecordedEvent(Event):
    """An event as committed: numbered within its session and chained."""

    id: int = 0
    session_uid: str = ""
    seq: int = 0
    prev_hash: str = GENESIS
    hash: str = ""
    #: The payload as stored, when read from the database: checked as it is (see hash_of).
    payload_text: str | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_stored(cls, id: int, session_uid: str, seq: int, wall_time: str, session_time: float,
                    author: str, phase: str, kind: str, payload: JSONMapping, prev_hash: str, hash: str,
                    payload_text: str | None) -> RecordedEvent:
        """The same object as the constructor makes, for the many rows read back from the database
        (a long session has 10,000): it fills the fields directly instead of through the frozen
        class's guarded ``__setattr__`` one by one, at under half the cost."""
        event = object.__new__(cls)
        event.__dict__.update(kind=kind, payload=payload, session_time=session_time, wall_time=wall_time,
                              author=author, phase=phase, id=id, session_uid=session_uid, seq=seq,
                              prev_hash=prev_hash, hash=hash, payload_text=payload_text)
        return event


#: One encoder, made once: ``json.dumps`` with these options would build a new one for every event.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_json_string = json.encoder.encode_basestring  # == _CANONICAL.encode for a str (ensure_ascii=False)


class _Digest(TypingProtocol):
    """What a hash computed with hashlib gives back, as far as the chain uses it."""

    def hexdigest(self) -> str: ...


#: hashlib.sha256 once it has been used; until then :func:`_first_sha256`.
_sha256: Callable[[bytes], _Digest]


def _first_sha256(data: bytes) -> _Digest:
    """Loads hashlib.sha256 and puts it in ``_sha256``'s place at the first hash: loading hashlib
    (and OpenSSL) is then not part of start-up, and every later call goes straight to it."""
    global _sha256
    # hashlib and OpenSSL: 6 ms to import, of the home page's 0.166 s start (bench_startup.py, bench/README.md),
    # which opens the store but hashes nothing.
    from hashlib import sha256  # noqa: PLC0415 - start-up time, see above
    _sha256 = sha256
    return sha256(data)


_sha256 = _first_sha256


def canonical_json(value: object) -> str:
    """The one serialisation that hashes are computed over: sorted keys, no spaces, UTF-8."""
    return _CANONICAL.encode(value)


def event_hash(prev_hash: str, session_uid: str, seq: int, kind: str, wall_time: str,
               session_time: float, author: str, phase: str, payload: JSONMapping) -> str:
    """SHA-256 over the previous hash and every stored field of the event."""
    body = canonical_json({
        "prev": prev_hash, "session": session_uid, "seq": seq, "kind": kind, "wall_time": wall_time,
        "session_time": round(float(session_time), 3), "author": author, "phase": phase,
        "payload": payload,
    })
    return _sha256(body.encode("utf-8")).hexdigest()


def event_hash_of_text(prev_hash: str, session_uid: str, seq: int, kind: str, wall_time: str,
                       session_time: float, author: str, phase: str, payload_text: str) -> str:
    """:func:`event_hash` for a payload already in canonical form (as the store writes it): the
    same bytes are hashed, without encoding the payload a second time."""
    enc = _CANONICAL.encode
    text = _json_string  # what ``enc`` gives for a str, without its dispatch: this runs on every save
    moment = round(float(session_time), 3)
    body = (f'{{"author":{text(author)},"kind":{text(kind)},"payload":{payload_text},"phase":{text(phase)},'
            f'"prev":{text(prev_hash)},"seq":{int.__repr__(seq) if type(seq) is int else enc(seq)},'
            f'"session":{text(session_uid)},'
            f'"session_time":{float.__repr__(moment) if math.isfinite(moment) else enc(moment)},'
            f'"wall_time":{text(wall_time)}}}')
    return _sha256(body.encode("utf-8")).hexdigest()


def hash_of(event: RecordedEvent) -> str:
    """The event's hash, recomputed from its content. A payload read from the database is first
    hashed as the text it is stored as; only text that is not in canonical form (older records,
    a payload someone edited) is decoded and encoded again. A match on the stored text is proof
    that the text is exactly what was hashed when the event was written."""
    if event.payload_text is not None:
        quick = event_hash_of_text(event.prev_hash, event.session_uid, event.seq, event.kind, event.wall_time,
                                   event.session_time, event.author, event.phase, event.payload_text)
        if quick == event.hash:
            return quick
    return event_hash(event.prev_hash, event.session_uid, event.seq, event.kind, event.wall_time,
                      event.session_time, event.author, event.phase, event.payload)


@dataclass(frozen=True)
class ChainReport:
    """Result of checking one chain: intact, or where and why it first breaks."""

    chain: str
    events: int
    broken_at: int | None = None  # seq of the first bad event
    event_id: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None

    def describe(self) -> str:
        if self.intact:
            return f"{self.chain}: intact ({self.events} events)"
        return f"{self.chain}: BROKEN at event {self.broken_at} (id {self.event_id}): {self.reason}"


def verify_chain(chain: str, events: Iterable[RecordedEvent]) -> ChainReport:
    """Walk events in seq order; report the first one whose link or hash does not match."""
    expected_prev, expected_seq, count = GENESIS, 1, 0
    for event in events:
        count += 1
        if event.seq != expected_seq:
            reason = (f"event {expected_seq} is missing (next found is {event.seq})"
                      if event.seq > expected_seq else f"sequence number {event.seq} repeats or goes back")
            return ChainReport(chain, count, expected_seq, event.id, reason)
        if event.prev_hash != expected_prev:
            return ChainReport(chain, count, event.seq, event.id, "its link to the previous event does not match "
                               "(an earlier event was changed or removed)")
        if hash_of(event) != event.hash:
            return ChainReport(chain, count, event.seq, event.id,
                               f"its content does not match its hash (the '{event.kind}' event was altered)")
        expected_prev, expected_seq = event.hash, expected_seq + 1
    return ChainReport(chain, count)
