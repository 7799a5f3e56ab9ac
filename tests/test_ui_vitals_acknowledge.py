"""One acknowledgement (Ctrl+Shift+K) is one entry naming the alerts it covers; the status line
stops pointing at a banner that has gone; the PDF says what the room asked."""
from __future__ import annotations

import io
import unicodedata

from pypdf import PdfReader

from kaproom.domain.events import Kind
from kaproom.export.pdf import render_pdf
from kaproom.export.report_data import gather
from tests._vitals_helpers import COMPLETE, MIN, enter, fill, open_vitals_room, press, save, stored, type_text


def _pdf_text(workspace, runner) -> str:
    pdf = render_pdf(gather(workspace, runner.session_uid), "2026-03-03T10:00:00.000Z")
    pages = PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(unicodedata.normalize("NFKC", page.extract_text() or "").split()) for page in pages)


def test_one_acknowledgement_names_the_alerts_it_covers(qtbot, qapp, workspace, protocol, clock) -> None:
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    room = open_vitals_room(qtbot, workspace, runner)
    fill(room, **COMPLETE)
    save(room)
    clock.advance(25 * MIN)
    press("F10")
    clock.advance(40 * MIN)
    fill(room, **(COMPLETE | {"spo2": "90", "respiratory_rate": "8", "moaas": "2"}))
    save(room)
    alerts = stored(workspace, runner, Kind.ALERT)
    assert len(alerts) == 3 and "URGENT: see the alert above" in room.status.text()
    press("Ctrl+Shift+K")
    type_text("Sat up, oxygen on")
    enter()
    [ack] = stored(workspace, runner, Kind.ALERT_ACK)
    assert sorted(ack.payload["alert_seqs"]) == [a.seq for a in alerts]
    assert ack.payload["action"] == "Sat up, oxygen on"
    line = room.log_view.lines()[-1]
    for alert in alerts:
        assert alert.payload["reason"] in line, line
    assert not room.vitals.board.isVisible()
    assert "see the alert above" not in room.status.text(), room.status.text()
    assert room.status.text() == "Acknowledged: URGENT at 1:05:00 (3 alerts; the log names them)."

    fill(room, **(COMPLETE | {"pulse": "125"}))  # a caution: the room never asks to acknowledge it
    save(room)
    assert [a.payload["level"] for a in stored(workspace, runner, Kind.ALERT)][-1] == "caution"
    text = _pdf_text(workspace, runner)
    assert "NOT ACKNOWLEDGED" not in text, "the urgent alerts were acknowledged; the caution was never asked"
    assert "not asked (a caution)" in text
    assert text.count("Sat up, oxygen on") >= 3  # each alert's row names the one acknowledgement (and the timeline)
