"""The rating scales of one session as rows, for the PDF table, the CSV columns and the FHIR
Observations: read from the record's ``scale`` events (see ``Kind`` in
:mod:`kaproom.domain.events`), never from the protocol of today, so an old record reads as it was
written. MOAA/S is not among them: it is a column of the vitals table, as it always was."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kaproom.domain.aldrete import ITEM_IDS as ALDRETE_ITEMS
from kaproom.domain.events import Kind, RecordedEvent
from kaproom.domain.scales import stored_scale_words
from kaproom.export.report_rows import SessionReport


@dataclass(frozen=True)
class ScaleRow:
    seq: int
    session_time: float
    wall_time: str
    author: str
    scale: str  # its id: "rass", "dissociation", a clinic's own
    name: str  # its short name: "RASS"
    total: int | None
    complete: bool
    level: str
    words: str
    #: (item id, points, words) in the order recorded.
    answers: tuple[tuple[str, int, str], ...]


def scale_row(event: RecordedEvent) -> ScaleRow:
    p = event.payload
    answers: list[tuple[str, int, str]] = []
    stored = p.get("answers")
    if isinstance(stored, Mapping):
        listed = p.get("order")
        order = [str(i) for i in listed if i in stored] if isinstance(listed, list) else []
        for item_id in order + [str(i) for i in stored if i not in order]:
            entry = stored[item_id]
            points = entry.get("points") if isinstance(entry, Mapping) else None
            if isinstance(points, int) and not isinstance(points, bool):
                answers.append((str(item_id), points, str(entry.get("words") or "")))
    total = p.get("total")
    return ScaleRow(event.seq, event.session_time, event.wall_time, event.author, str(p.get("scale") or ""),
                    str(p.get("name") or p.get("scale") or "Scale"),
                    total if isinstance(total, int) and not isinstance(total, bool) else None,
                    p.get("complete") is True, str(p.get("level") or "ok"), stored_scale_words(p), tuple(answers))


def scale_rows(report: SessionReport) -> list[ScaleRow]:
    """Every rating recorded in the session, in recorded order."""
    return [scale_row(e) for e in report.events if e.kind == Kind.SCALE]


def aldrete_words(payload: Mapping[str, object]) -> str:
    """A discharge's stored modified Aldrete score in words ('' when it has none):
    'Modified Aldrete 8 of 10 (minimum 9): below the minimum, reason written'."""
    score = payload.get("aldrete")
    if not isinstance(score, Mapping):
        return ""
    total, minimum = score.get("total"), score.get("minimum")
    if not isinstance(total, int) or isinstance(total, bool):
        return ""
    floor = f" (minimum {minimum:g})" if isinstance(minimum, (int, float)) and not isinstance(minimum, bool) else ""
    text = f"Modified Aldrete {total} of 10{floor}" if score.get("complete") is True else \
        f"Modified Aldrete not complete ({total} so far){floor}"
    items = score.get("items")
    if isinstance(items, Mapping) and items:
        names = [n for n in ALDRETE_ITEMS if n in items] + sorted(str(n) for n in items if n not in ALDRETE_ITEMS)
        text += ": " + ", ".join(f"{name} {items[name].get('points')}" for name in names
                                 if isinstance(items[name], Mapping))
    if payload.get("aldrete_below_minimum") is True:
        text += "; below the minimum, reason written"
    return text


def report_aldrete(report: SessionReport) -> str:
    """The session's modified Aldrete at discharge in words, from its last discharge entry."""
    for event in reversed(report.events):
        if event.kind in (Kind.SESSION_ENDED, Kind.DISCHARGE_CHECK) and "aldrete" in event.payload:
            return aldrete_words(event.payload)
    return ""
