"""CSV export: one row per event, with column names that stay the same across versions.

Written as UTF-8 with a byte-order mark and CRLF line ends, which is what spreadsheet programs
need to show accents and symbols correctly when the file is simply double-clicked. Text typed in
the room could start with ``=`` and run as a formula in a spreadsheet, so the readable columns
get a leading apostrophe in that case; ``payload_json`` always keeps the exact stored data.
"""
from __future__ import annotations

import csv
import io
import json

from kaproom.domain.events import Kind, RecordedEvent
from kaproom.export.report_data import SessionReport
from kaproom.export.scale_rows import scale_row
from kaproom.export.summary import summarize

# ----------------------------------------------------------------------------- rating scales
#: A rating's scale (its id), its total and its answers ("severity=1; sedation=0"), filled on
#: ``scale`` rows only, so a spreadsheet can filter and chart them without reading the JSON.
SCALE_COLUMNS = ("scale", "scale_total", "scale_answers")


def scale_cells(event: RecordedEvent) -> dict[str, str]:
    if event.kind != Kind.SCALE:
        return dict.fromkeys(SCALE_COLUMNS, "")
    row = scale_row(event)
    return {"scale": row.scale, "scale_total": "" if row.total is None else str(row.total),
            "scale_answers": "; ".join(f"{item}={points}" for item, points, _ in row.answers)}


# ----------------------------------------------------------------------------- events

COLUMNS = ("session_uid", "seq", "wall_time", "session_time", "phase", "kind", "author", "summary",
           "payload_json", "prev_hash", "hash", *SCALE_COLUMNS)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """Text that a spreadsheet shows as text, never evaluates."""
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_row(event: RecordedEvent, labels: dict[str, str], author: str | None = None) -> dict[str, str]:
    """One event's cells; ``author`` as people are shown it (an imported event's is "as recorded by"
    the computer that signed it), the event's own by default."""
    return {
        "session_uid": event.session_uid, "seq": str(event.seq), "wall_time": event.wall_time,
        "session_time": f"{event.session_time:.3f}", "phase": spreadsheet_safe(event.phase), "kind": event.kind,
        "author": spreadsheet_safe(event.author if author is None else author),
        "summary": spreadsheet_safe(summarize(event.kind, event.payload, labels)),
        "payload_json": json.dumps(event.payload, ensure_ascii=False, sort_keys=True),
        "prev_hash": event.prev_hash, "hash": event.hash, **scale_cells(event),
    }


def every_cell_safe(row: dict[str, str]) -> dict[str, str]:
    """``row`` with every text cell spreadsheet-safe: an imported bundle can put any text in any
    field (session id, wall time, kind, hashes), not only where people type. The two numbers KAP
    Room formats itself (seq, session time) stay numbers."""
    return {name: value if name in ("seq", "session_time", "scale_total") else spreadsheet_safe(value)
            for name, value in row.items()}


def render_csv(report: SessionReport) -> bytes:
    """The whole event log of the session as CSV bytes (UTF-8 with BOM)."""
    protocol = report.protocol
    labels = {p.id: p.name for p in protocol.phases}
    labels.update({q.id: q.text for q in (*protocol.screening, *protocol.discharge_checklist)})
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    for event in report.events:
        writer.writerow(every_cell_safe(csv_row(event, labels, report.author_of(event))))
    return buffer.getvalue().encode("utf-8-sig")
