"""A client's course: every session of one client code in order, medicine and integration sessions
alike, with the dose, adverse events, the highest NEWS2, the ratings and outcome measures, as one
table and a small trend of the measures (PHQ-9, GAD-7, a clinic's own). No Qt here; the PDF is
:mod:`kaproom.export.documents_pdf`'s.
"""
from __future__ import annotations

from dataclasses import dataclass

from kaproom.export.monitoring import ADVERSE_EVENT
from kaproom.export.report_data import gather
from kaproom.export.report_rows import SessionReport
from kaproom.export.scale_rows import scale_rows
from kaproom.store import Store


@dataclass(frozen=True)
class CourseRow:
    number: int
    uid: str
    started_at: str  # ISO UTC
    protocol: str
    medicine: bool  # a session with a dose (or a protocol that has one)
    dose: str
    adverse_events: int
    highest_news2: int | None
    #: The last total of each scale rated in the session: (scale id, short name, total), in the order first rated.
    measures: tuple[tuple[str, str, int], ...]
    outcome: str
    follows: int | None  # the medicine session an integration session follows, by number


def course_row(report: SessionReport) -> CourseRow:
    h = report.header
    news = [int(v.news2_score) for v in report.vitals if v.news2_score is not None]
    last: dict[str, tuple[str, int]] = {}
    for rating in scale_rows(report):
        if rating.total is not None and rating.complete:
            last[rating.scale] = (rating.name, rating.total)
    created = next((e for e in report.events if e.kind == "session_created"), None)
    follows = created.payload.get("follows") if created is not None else None
    number = follows.get("number") if isinstance(follows, dict) else None
    return CourseRow(h.number, h.uid, h.started_at or h.created_at, h.protocol_name,
                     report.protocol.has_dose or report.dose is not None, report.dose_text,
                     sum(1 for e in report.events if e.kind == ADVERSE_EVENT), max(news, default=None),
                     tuple((scale, name, total) for scale, (name, total) in last.items()), h.outcome,
                     number if isinstance(number, int) else None)


def client_course(store: Store, client_code: str, known: SessionReport | None = None) -> list[CourseRow]:
    """Every session of ``client_code``, oldest first; ``known``, a report already gathered (the
    session on screen), is not read a second time."""
    rows = [row for row in store.sessions() if row.client_code == client_code]
    rows.sort(key=lambda row: (row.started_at or row.created_at, row.id))
    return [course_row(known if known is not None and known.header.uid == row.uid else gather(store, row.uid))
            for row in rows]


#: Ratings of the moment in a medicine session, not outcome measures: left out of the trend.
IN_SESSION_SCALES = frozenset({"moaas", "rass", "dissociation"})


def measure_series(course: list[CourseRow]) -> dict[str, list[tuple[int, int]]]:
    """Each outcome measure's totals across the course as (place in the course, total), by its
    short name, for the trend chart (the in-session ratings, RASS and dissociation, are not trends)."""
    series: dict[str, list[tuple[int, int]]] = {}
    for place, row in enumerate(course):
        for scale, name, total in row.measures:
            if scale not in IN_SESSION_SCALES:
                series.setdefault(name, []).append((place, total))
    return series
