"""The client's course beside a session in the review: every session of the same client code in
order (medicine and integration), with the dose, the highest NEWS2, the ratings and measures and
adverse events; the session on screen in bold. The same rows the course PDF prints
(:mod:`kaproom.export.course`)."""
from __future__ import annotations

from collections.abc import Sequence
from html import escape

from kaproom.export.course import CourseRow
from kaproom.services.paper import wall_date


def course_html(course: Sequence[CourseRow], current_uid: str, dates: str = "iso") -> str:
    """'' for a client with one session: there is no course to show yet."""
    if len(course) < 2:
        return ""
    rows = []
    for row in course:
        kind = "medicine" if row.medicine else "integration" + (f" after #{row.follows}" if row.follows else "")
        measures = "; ".join(f"{name} {total}" for _, name, total in row.measures)
        news = f", NEWS2 max {row.highest_news2}" if row.highest_news2 is not None else ""
        adverse = f", <b>{row.adverse_events} adverse event(s)</b>" if row.adverse_events else ""
        text = (f"#{row.number} {escape(wall_date(row.started_at, dates, with_time=False))} · {escape(kind)}"
                f"{' · ' + escape(row.dose) if row.dose else ''}{news}{adverse}"
                f"{' · ' + escape(measures) if measures else ''}")
        rows.append(f"<p>{'<b>' + text + '</b>' if row.uid == current_uid else text}</p>")
    return f"<h3>Client's course ({len(course)} sessions)</h3>" + "".join(rows)
