"""The check-ins so far, as the vitals panel lists them below its form: a small table a therapist
reads the trend from ("back near baseline?", "still rising?"), and the same in words for a
screen reader."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from kaproom.domain.clock import format_hms
from kaproom.domain.events import RecordedEvent
from kaproom.domain.vitals import baseline_of, reading_from_payload
from kaproom.ui.kit.theme import LEVEL_COLOURS

HISTORY_ROWS = 8
HISTORY_COLUMNS = (("BP", ("systolic", "diastolic")), ("Pulse", ("pulse",)), ("SpO2", ("spo2",)),
                   ("RR", ("respiratory_rate",)), ("MOAA/S", ("moaas",)))


def history_table(vitals: Sequence[RecordedEvent], dose_time: float | None) -> tuple[str, str]:
    """The check-ins so far, newest first, as a small table (each value in its status colour, the
    pre-dose baseline marked) and in words; empty below two check-ins, where the last check above
    the form says it all. A therapist judges "back near baseline" against this. Only the newest
    HISTORY_ROWS and the baseline: a panel beside the log is no place for a long table, and the
    review has every check."""
    if len(vitals) < 2:
        return "", ""
    place = baseline_of([(e.session_time, reading_from_payload(e.payload)) for e in vitals], dose_time)
    baseline = vitals[place] if place is not None else None
    shown = list(reversed(vitals))[:HISTORY_ROWS]
    if baseline is not None and baseline not in shown:
        shown.append(baseline)
    head = "".join(f"<th align='right'>{name}</th>" for name, _ in HISTORY_COLUMNS)
    rows, words = [], []
    baseline_seq = baseline.seq if baseline is not None else None
    for event in shown:
        reading, statuses = reading_from_payload(event.payload), event.payload.get("statuses") or {}
        when = format_hms(event.session_time)[:-3] + (" base" if event.seq == baseline_seq else "")
        cells = []
        for _name, fields in HISTORY_COLUMNS:
            values = [getattr(reading, f) for f in fields]
            text = "/".join("–" if v is None else f"{v:g}" for v in values) if any(v is not None for v in values) \
                else "–"
            levels = [s.get("level") for f in fields if isinstance(s := statuses.get(f), Mapping)]
            colour = LEVEL_COLOURS.get("urgent" if "urgent" in levels else "caution" if "caution" in levels else "")
            value = f"<span style='color:{colour}'>{text}</span>" if colour else text
            cells.append(f"<td align='right'>{value}</td>")
        rows.append(f"<tr><td>{when}</td>{''.join(cells)}</tr>")
        words.append(f"{when}: {reading.summary()}")
    html = (f"<p style='margin:6px 0 2px 0'>Check-ins so far</p><table cellspacing='0' cellpadding='2'>"
            f"<tr><th align='left'>Time</th>{head}</tr>{''.join(rows)}</table>")
    return html, "; ".join(words)
