"""Everything a review of one session shows, gathered once from the store as plain data.

The review window, the PDF, the chart and the CSV all read this one :class:`SessionReport`, so
a supervisor sees the same facts on screen and on paper. It is built only from stored events
(never from a running session), tolerates payload fields that are missing, and runs no Qt.
"""
from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping  # isinstance against typing.Mapping is several times slower
from contextlib import contextmanager
from typing import Any

from kaproom.domain.clock import format_hms
from kaproom.domain.dose import dose_words
from kaproom.domain.events import ChainReport, Kind, RecordedEvent
from kaproom.domain.protocol import Protocol, ProtocolError, builtin_protocol, parse_protocol
from kaproom.domain.vitals import acknowledged_alerts
from kaproom.domain.vocabulary import as_recorded_by
from kaproom.export.report_rows import (
    AckRow,
    AlertRow,
    AmendmentRow,
    ChecklistItem,
    Discharge,
    Header,
    MusicRow,
    NoteRow,
    PhaseSpan,
    SessionReport,
    SignOffRow,
    TimelineRow,
    VitalsRow,
    frozen_row,
)
from kaproom.export.summary import (  # noqa: F401
    LATE_ENTRY_KINDS,
    late_entry_note,
    number,
    statuses_of,
    summarize,
    timezone_label,
    wall_text,
    worst_level,
)
from kaproom.store import SessionRow, Store
from kaproom.store.bundles import recorded_by


def _protocol_of(created: RecordedEvent | None, row: SessionRow) -> Protocol:
    text = ""
    if created is not None and isinstance(created.payload.get("protocol"), Mapping):
        text = str(created.payload["protocol"].get("text", ""))
    try:
        if text:
            return parse_protocol(text, f"session {row.id} protocol")
        return builtin_protocol(row.protocol_id)
    except (ProtocolError, KeyError, ValueError, OSError):
        return Protocol(id=row.protocol_id, name=row.protocol_name, phases=(), dose_phase="")


def _int(value: Any) -> int | None:
    num = number(value)
    return int(num) if num is not None else None


def _vitals_row(event: RecordedEvent, alert_levels: Mapping[int, str], author: str) -> VitalsRow:
    p = event.payload
    statuses, reasons = statuses_of(p)
    stored_news2 = p.get("news2")
    news2: Mapping[str, Any] = stored_news2 if isinstance(stored_news2, Mapping) else {}
    level = worst_level([*statuses.values(), alert_levels.get(event.seq, "")])
    return VitalsRow(
        seq=event.seq, session_time=event.session_time, wall_time=event.wall_time, phase=event.phase,
        author=author, systolic=number(p.get("systolic")), diastolic=number(p.get("diastolic")),
        pulse=number(p.get("pulse")), spo2=number(p.get("spo2")),
        respiratory_rate=number(p.get("respiratory_rate")), temperature=number(p.get("temperature")),
        moaas=number(p.get("moaas")), nausea=str(p.get("nausea") or ""),
        supplemental_oxygen=bool(p.get("supplemental_oxygen")), comment=str(p.get("comment") or ""),
        partial=bool(p.get("partial")), statuses=statuses, reasons=reasons, news2_score=number(news2.get("score")),
        news2_band=str(news2.get("band") or ""), level=level)


def _phases(events: list[RecordedEvent], protocol_names: Mapping[str, str], end: float | None) -> list[PhaseSpan]:
    starts = [(e, number(e.payload.get("effective_time"))) for e in events if e.kind == Kind.PHASE_CHANGED]
    spans: list[PhaseSpan] = []
    for i, (event, effective) in enumerate(starts):
        start = effective if effective is not None else event.session_time
        if i + 1 < len(starts):
            nxt = starts[i + 1]
            stop: float | None = nxt[1] if nxt[1] is not None else nxt[0].session_time
        else:
            stop = end
        pid = str(event.payload.get("to", event.phase))
        spans.append(PhaseSpan(pid, protocol_names.get(pid, pid), start, stop, str(event.payload.get("how", "")),
                               str(event.payload.get("reason", ""))))
    return spans


def _checklist(answers: Any, questions: Iterable[Any], answered_only: bool = False) -> tuple[ChecklistItem, ...]:
    """``answered_only``: the items the record holds answers for, and no others. A discharge
    stores every item it asked, so an item added to the default list later was never asked of
    that session and must not read as unticked in its report."""
    answers = answers if isinstance(answers, Mapping) else {}
    items = [ChecklistItem(q.id, q.text, bool(answers[q.id]) if q.id in answers else None) for q in questions
             if q.id in answers or not answered_only]
    known = {q.id for q in questions}
    items += [ChecklistItem(str(k), str(k), bool(v)) for k, v in answers.items() if k not in known]
    return tuple(items)


def _ready_text(value: Any) -> str:
    if value is None or value == "":
        return ""
    num = number(value)
    return f"session time {format_hms(num)}" if num is not None else wall_text(str(value)) or str(value)


@contextmanager
def _no_collection_midway() -> Iterator[None]:
    """A report is tens of thousands of small objects made in one go, none of them garbage: a
    cyclic collection started by their sheer number would only walk them all (about a tenth of
    the time of a 10,000-event session). Collection resumes as it was afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def gather(source: Any, session_ref: str | int) -> SessionReport:
    """Build the report for one session from a Workspace or a Store (number, uid or uid prefix)."""
    with _no_collection_midway():
        return _gather(source, session_ref)


def _gather(source: Any, session_ref: str | int) -> SessionReport:
    store: Store = getattr(source, "store", source)
    row = store.session(session_ref)
    events = store.events(row.uid)
    return _report(row, events, store.check_chain(row, events), recorded_by(store, row.uid))


def report_of(row: SessionRow, events: list[RecordedEvent], chain: ChainReport) -> SessionReport:
    """The report of a session read elsewhere (a copy on the clinic server): its index line, its
    events and how their chain verified. The same report as :func:`gather` makes of the same."""
    with _no_collection_midway():
        return _report(row, events, chain)


def _report(row: SessionRow, events: list[RecordedEvent], chain: ChainReport,
            imported: Mapping[int, str] | None = None) -> SessionReport:
    """``imported``: seq -> the computer that recorded it, for events imported from its bundle."""
    created = next((e for e in events if e.kind == Kind.SESSION_CREATED), None)
    protocol = _protocol_of(created, row)
    labels = {p.id: p.name for p in protocol.phases}
    question_labels = {q.id: q.text for q in (*protocol.screening, *protocol.discharge_checklist)}
    names = {**labels, **question_labels}  # what summaries call phases and questions
    by_seq = {e.seq: e for e in events}
    imported = dict(imported or {})

    def who(e: RecordedEvent) -> str:  # an imported event's author is shown as its signing computer claims
        computer = imported.get(e.seq)
        return as_recorded_by(e.author, computer) if computer is not None else e.author
    signed_seq = next((e.seq for e in events if e.kind == Kind.SIGNOFF), None)

    alerts_by_seq: dict[int, list[AckRow]] = {}
    alert_levels: dict[int, str] = {}
    for e in events:
        if e.kind == Kind.ALERT:
            alerts_by_seq[e.seq] = []
            source = _int(e.payload.get("source_seq"))
            if source is not None:
                alert_levels[source] = worst_level([alert_levels.get(source, ""), e.payload.get("level", "")])
    for e in events:
        if e.kind == Kind.ALERT_ACK:
            for seq in acknowledged_alerts(e.payload):  # one acknowledgement may cover a whole alert line
                if seq in alerts_by_seq:
                    alerts_by_seq[seq].append(AckRow(e.seq, e.session_time, e.wall_time, who(e), seq,
                                                     str(e.payload.get("action") or "")))

    amended_by: dict[int, list[int]] = {}
    amendments: list[AmendmentRow] = []
    for e in events:
        if e.kind != Kind.AMENDMENT:
            continue
        target_seq = _int(e.payload.get("amends_seq"))
        target = by_seq.get(target_seq) if target_seq is not None else None
        if target_seq is not None:
            amended_by.setdefault(target_seq, []).append(e.seq)
        amendments.append(AmendmentRow(
            e.seq, e.session_time, e.wall_time, who(e), target_seq, str(e.payload.get("amends_kind", "")),
            str(e.payload.get("text", "")), signed_seq is not None and e.seq > signed_seq,
            summarize(target.kind, target.payload, names) if target else ""))

    end_time = row.duration_seconds if row.duration_seconds is not None else None
    last_time = events[-1].session_time if events else None
    phases = _phases(events, labels, end_time if end_time is not None else last_time)
    if row.duration_seconds is None and phases:  # still open: the last phase has no end yet
        last = phases[-1]
        phases[-1] = PhaseSpan(last.id, last.name, last.start, None, last.how, last.reason)

    dose_time = None
    vitals: list[VitalsRow] = []
    music: list[MusicRow] = []
    notes: list[NoteRow] = []
    signoffs: list[SignOffRow] = []
    intention, screening_notes = "", ""
    screening: tuple[ChecklistItem, ...] = ()
    discharge_payload: dict[str, Any] = {}
    timeline: list[TimelineRow] = []
    ended: RecordedEvent | None = None
    dose_text = ""
    for e in events:
        p = e.payload
        level = "normal"
        if e.kind == Kind.DOSE:
            if dose_time is None:  # the first dose; a booster is one of report.doses
                effective = number(p.get("effective_time"))
                dose_time = effective if effective is not None else e.session_time
                dose_text = dose_words(p)
        elif e.kind == Kind.ADVERSE_EVENT:
            level = "urgent" if p.get("severity") in ("severe", "life-threatening") else "caution"
        elif e.kind == Kind.VITALS:
            vitals.append(_vitals_row(e, alert_levels, who(e)))
            level = vitals[-1].level
        elif e.kind == Kind.ALERT:
            level = worst_level([p.get("level", "caution")])
        elif e.kind == Kind.SCALE:  # a rating whose answers raised an alert reads at that level
            level = worst_level([p.get("level", "")])
        elif e.kind == Kind.MUSIC:
            music.append(frozen_row(MusicRow, e.seq, e.session_time, e.wall_time, str(p.get("action", "")),
                                    str(p.get("title") or ""), str(p.get("file") or ""),
                                    str(p.get("playlist") or ""), str(p.get("message") or "")))
            if p.get("action") in ("error", "unavailable"):
                level = "caution"
        elif e.kind in (Kind.NOTE, Kind.TAG):
            notes.append(frozen_row(NoteRow, e.seq, e.session_time, e.wall_time, e.phase, who(e), e.kind,
                                    str(p.get("text") if e.kind == Kind.NOTE else p.get("label", ""))))
        elif e.kind == Kind.INTENTION:
            intention = str(p.get("text", ""))
        elif e.kind == Kind.SCREENING:
            screening = _checklist(p.get("answers"), protocol.screening)
            screening_notes = str(p.get("notes") or "")
        elif e.kind in (Kind.DISCHARGE_CHECK, Kind.SESSION_ENDED):
            for key in ("checklist", "override_reason", "ready_to_leave_at"):
                if p.get(key) not in (None, "", {}):
                    discharge_payload[key] = p[key]
        elif e.kind == Kind.SIGNOFF:
            signoffs.append(SignOffRow(e.seq, e.wall_time, who(e), str(p.get("role") or ""),
                                       str(p.get("comment") or "")))
        amends_seq = _int(p.get("amends_seq")) if e.kind == Kind.AMENDMENT else None
        text = summarize(e.kind, p, names)
        if ended is not None and e.kind in LATE_ENTRY_KINDS:
            text += late_entry_note(ended.wall_time, e.wall_time)
        elif e.kind == Kind.SESSION_ENDED:
            ended = e
        timeline.append(frozen_row(
            TimelineRow, e.seq, e.session_time, e.wall_time, e.phase, labels.get(e.phase, e.phase), e.kind,
            text, level, who(e), amends_seq,
            tuple(amended_by.get(e.seq, ())),
            e.kind == Kind.AMENDMENT and signed_seq is not None and e.seq > signed_seq))

    alerts = tuple(AlertRow(e.seq, e.session_time, e.wall_time, str(e.payload.get("level", "")),
                            str(e.payload.get("field", "")), e.payload.get("value"), str(e.payload.get("reason", "")),
                            _int(e.payload.get("source_seq")), tuple(alerts_by_seq.get(e.seq, ())))
                   for e in events if e.kind == Kind.ALERT)
    discharge = Discharge(
        _checklist(discharge_payload.get("checklist"), protocol.discharge_checklist, answered_only=True)
        if discharge_payload.get("checklist") is not None else (),
        str(discharge_payload.get("override_reason") or ""), _ready_text(discharge_payload.get("ready_to_leave_at")),
        bool(discharge_payload))
    header = Header(
        number=row.id, uid=row.uid, client_code=row.client_code, therapist=row.therapist, room=row.room,
        protocol_id=row.protocol_id, protocol_name=row.protocol_name, created_at=row.created_at,
        started_at=row.started_at, ended_at=row.ended_at, duration_seconds=row.duration_seconds,
        outcome=row.state, end_reason=row.end_reason, demo=bool(row.demo), origin=row.origin, event_count=len(events))
    return SessionReport(header, protocol, tuple(phases), dose_time, tuple(vitals), alerts, tuple(music), tuple(notes),
                         tuple(amendments), intention, tuple(screening), screening_notes, discharge, tuple(signoffs),
                         chain, tuple(timeline), tuple(events), dose_text, imported)
