"""One baseline: the last check before the dose with the values the comparison needs (a blood
pressure), the same in the room's table, the alert (which names its time) and the PDF."""
from __future__ import annotations

import io
import unicodedata

from pypdf import PdfReader

from kaproom.domain.events import Kind
from kaproom.export.pdf import render_pdf
from kaproom.export.report_data import gather
from tests._vitals_helpers import ESCORT, MIN, fill, open_vitals_room, press, save, stored


def test_a_partial_check_without_blood_pressure_is_not_the_baseline(qtbot, qapp, workspace, protocol, clock) -> None:
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    fill(room, systolic="128/84", pulse="70", spo2="98")
    save(room)  # 0:00, with blood pressure
    clock.advance(10 * MIN)
    fill(room, pulse="74", spo2="97")
    save(room)  # 0:10, partial: no blood pressure
    clock.advance(11 * MIN)
    room.controller.tick()
    press("F10")  # the dose at 0:21
    clock.advance(40 * MIN)
    room.controller.tick()
    fill(room, systolic="160/90", pulse="80", spo2="98")
    save(room)  # 1:01, systolic up 25 %

    shown = room.vitals.form.history.accessibleDescription()  # the check-ins table, in words
    assert "0:00 base" in shown and "0:10 base" not in shown, shown

    [alert] = [a for a in stored(workspace, runner, Kind.ALERT) if a.payload["field"] == "systolic"]
    assert "from the baseline 128 mmHg at 0:00:00" in alert.payload["reason"], alert.payload["reason"]

    pdf = render_pdf(gather(workspace, runner.session_uid), "2026-03-03T10:00:00.000Z")
    text = " ".join(unicodedata.normalize("NFKC", page.extract_text() or "") for page in PdfReader(io.BytesIO(pdf)).pages)
    text = " ".join(text.split())
    first_row = text[text.index("0:00:00"):text.index("0:10:00")]
    assert "baseline, before the dose" in first_row, first_row
    second_row = text[text.index("0:10:00"):text.index("1:01:00")]
    assert "baseline" not in second_row, second_row
