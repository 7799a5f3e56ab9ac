"""What the review and every export read: the session report gathered from the store, and the chart."""
from __future__ import annotations

from dataclasses import replace

import pytest
from _export_helpers import finished_session
from _review_helpers import tamper_payload
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPolygonF

from kaproom.domain.events import Event, Kind
from kaproom.export.chart import draw_vitals_chart, polyline
from kaproom.export.report_data import gather
from kaproom.services.simulate import run_simulation
from kaproom.services.workspace import Workspace
from kaproom.store import DB_FILENAME, NotFound


@pytest.fixture
def session(tmp_path):
    workspace, uid = finished_session(tmp_path / "room")
    yield workspace, uid
    workspace.close()


def test_report_header_phases_dose_and_vitals(session):
    workspace, uid = session
    report = gather(workspace, uid)
    head = report.header
    assert (head.client_code, head.therapist, head.room, head.protocol_name) == (
        "KAP-0042", "Ana Ruiz", "Room 2", "Short check, 12 min")
    assert head.outcome == "discharged" and head.duration_seconds == 750.0 and head.origin == "local"
    assert [p.name for p in report.phases] == ["Arrival & intention", "Dosing", "Onset", "Deep", "Return",
                                               "Integration & discharge"]
    assert report.phases[1].start == 120.0 and report.phases[0].end == 120.0 and report.phases[-1].end == 750.0
    assert report.dose_time == 150.0
    assert [(v.systolic, v.diastolic, v.pulse, v.spo2) for v in report.vitals][:2] == [
        (128, 82, 74, 98), (152, 94, 88, 96)]
    assert [v.level for v in report.vitals] == ["normal", "caution", "urgent", "normal"]
    assert report.vitals[2].news2_score == 3 and report.vitals[2].news2_band == "low-medium"
    assert report.vitals[3].partial and report.vitals[3].respiratory_rate is None
    assert report.vitals[2].reasons["systolic"] == "Systolic 184 is at or above 180"
    assert report.intention == "To feel at home in my body again."
    assert [i.text for i in report.screening if i.ticked] == ["Ate within the last 2 hours"]


def test_report_alerts_amendments_discharge_signoff_and_integrity(session):
    workspace, uid = session
    report = gather(workspace.store, uid)
    (alert,) = report.alerts
    assert alert.level == "urgent" and alert.acks[0].action == "Rechecked manually, informed doctor"
    (amendment,) = report.amendments
    assert amendment.amends_text.startswith("Eyeshades on; breathing slow") and not amendment.after_signoff
    note_row = next(r for r in report.timeline if r.kind == Kind.NOTE)
    assert note_row.amended_by == (amendment.seq,)
    unticked = [i.text for i in report.discharge.items if not i.ticked]
    assert unticked == ["Walks steadily"] and "stick" in report.discharge.override_reason
    assert report.discharge.ready_to_leave_at
    assert report.signoffs[0].comment == "Reviewed; BP peak handled well." and report.signed
    assert report.integrity.intact and report.integrity.events == report.header.event_count


def test_amendment_after_signoff_is_marked(session):
    workspace, uid = session
    note = workspace.store.events(uid, (Kind.NOTE,))[0]
    workspace.store.append(uid, Event(Kind.AMENDMENT, {"amends_seq": note.seq, "amends_id": note.id,
                                                       "amends_kind": "note", "text": "late correction"},
                                      750.0, "2026-03-04T10:00:00.000Z", "Ana Ruiz", "integration"))
    report = gather(workspace, uid)
    assert [a.after_signoff for a in report.amendments] == [False, True]
    assert report.timeline[-1].after_signoff and report.timeline[-1].text.startswith("Amends event")


def test_a_note_written_after_the_end_reads_as_a_late_entry_with_when_it_was_written(tmp_path):
    from datetime import timedelta

    from kaproom.domain.clock import to_iso
    from kaproom.export.summary import wall_text
    workspace, uid = finished_session(tmp_path / "late", signed=False)
    ended = workspace.store.events(uid)[-1]
    assert ended.kind == Kind.SESSION_ENDED
    written = to_iso(workspace.clock.now() + timedelta(minutes=25))
    workspace.store.append(uid, Event(Kind.NOTE, {"text": "Phoned the escort: home safely."}, ended.session_time,
                                      written, "Ana Ruiz", ended.phase))
    timeline = gather(workspace.store, uid).timeline
    assert timeline[-1].text.endswith(
        f"Phoned the escort: home safely.  [late entry: written {wall_text(written, False)[11:]}, "
        "25 min after the session ended]")
    assert not any("late entry" in row.text for row in timeline[:-1])


def test_timeline_filters_by_kind_and_reads_in_words(session):
    workspace, uid = session
    report = gather(workspace, uid)
    assert len(report.timeline) == report.header.event_count
    texts = [r.text for r in report.timeline_of([Kind.VITALS, Kind.ALERT])]
    assert texts[0].startswith("Vitals: BP 128/82, pulse 74, SpO2 98 %") and "NEWS2 0 (low)" in texts[0]
    assert "URGENT: Systolic 184 is at or above 180 (systolic 184)" in texts
    assert [r.level for r in report.timeline_of([Kind.ALERT])] == ["urgent"]
    assert report.timeline_of(None) == list(report.timeline)


def test_tampered_database_shows_in_the_report(session, tmp_path):
    workspace, uid = session
    note = workspace.store.events(uid, (Kind.NOTE,))[0]
    tamper_payload(tmp_path / "room" / DB_FILENAME, uid, note.seq, '{"text": "nothing happened"}')
    report = gather(workspace, uid)
    assert not report.integrity.intact and report.integrity.broken_at == note.seq


def test_an_entry_garbled_outside_the_app_still_opens_and_reads_as_unreadable(session, tmp_path):
    workspace, uid = session
    vitals = workspace.store.events(uid, (Kind.VITALS,))[0]
    tamper_payload(tmp_path / "room" / DB_FILENAME, uid, vitals.seq, '{"systolic": 12')
    report = gather(workspace, uid)
    row = next(r for r in report.timeline if r.seq == vitals.seq)
    assert row.text == 'Unreadable entry, edited outside KAP Room: {"systolic": 12'
    assert not report.integrity.intact and report.integrity.broken_at == vitals.seq


def test_report_rows_made_the_fast_way_are_the_rows_the_class_makes():
    from kaproom.export.report_rows import NoteRow, TimelineRow, frozen_row
    values = (4, 12.5, "2026-03-02T09:00:00.000Z", "deep", "Deep", "note", "Quiet", "normal", "t", None, (7,), False)
    row = frozen_row(TimelineRow, *values)
    assert row == TimelineRow(*values) and hash(row) == hash(TimelineRow(*values))
    with pytest.raises(AttributeError):
        row.text = "changed"  # still frozen
    with pytest.raises(ValueError):
        frozen_row(NoteRow, 4, 12.5)  # every field, or it is refused


def test_simple_simulated_vitals_and_unknown_session(tmp_path, clock):
    with Workspace(tmp_path / "sim", clock) as workspace:
        result = run_simulation(workspace, "short-check", notes=3, vitals=3, tracks=2,
                                sleep=lambda seconds: clock.advance(seconds))
        report = gather(workspace, result.session_uid)
        assert len(report.vitals) == 3 and report.vitals[0].systolic is not None
        assert all(set(v.statuses.values()) <= {"ok", "caution", "urgent"} for v in report.vitals)
        with pytest.raises(NotFound):
            gather(workspace, "no-such-session")


def _ink(image: QImage, color: QColor) -> int:
    return sum(1 for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)
               if image.pixelColor(x, y) == color)


@pytest.mark.parametrize("monochrome", [False, True])
def test_chart_draws_series_and_monochrome_has_no_colour(qapp, session, monochrome):
    workspace, uid = session
    report = gather(workspace, uid)
    image = QImage(800, 400, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    draw_vitals_chart(painter, QRectF(0, 0, 800, 400), report, monochrome=monochrome)
    painter.end()
    colours = {image.pixelColor(x, y).name() for x in range(0, 800, 3) for y in range(0, 400, 3)}
    coloured = [c for c in colours if len({c[1:3], c[3:5], c[5:7]}) > 1]
    if monochrome:
        assert coloured == []  # greys only: prints the same on any printer
        assert _ink(image, QColor("#000000")) > 200
    else:
        assert _ink(image, QColor("#b3261e")) > 50 and _ink(image, QColor("#1f5fa8")) > 20


def test_chart_without_vitals_says_so(qapp, tmp_path, clock):
    with Workspace(tmp_path / "empty", clock) as workspace:
        protocol = workspace.protocol("short-check")
        runner = workspace.new_session(protocol, "C-1", "Ana")
        report = gather(workspace, runner.session_uid)
    image = QImage(600, 300, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    draw_vitals_chart(painter, QRectF(0, 0, 600, 300), report, dark=True)
    painter.end()
    assert image.pixelColor(300, 5).name() == "#1c1f24"  # dark background for the review screen


def _near(image: QImage, color: QColor, tolerance: int = 40) -> int:
    """Pixels close to ``color`` (antialiased thin lines rarely hit it exactly)."""
    target = (color.red(), color.green(), color.blue())
    count = 0
    for x in range(image.width()):
        for y in range(image.height()):
            c = image.pixelColor(x, y)
            if all(abs(a - b) <= tolerance for a, b in zip((c.red(), c.green(), c.blue()), target)):
                count += 1
    return count


def test_chart_rings_the_values_the_check_in_flagged(qapp, session):
    workspace, uid = session
    flagged = gather(workspace, uid)
    calm = replace(flagged, vitals=tuple(replace(v, statuses={}) for v in flagged.vitals))
    images = []
    for report in (flagged, calm):
        image = QImage(600, 300, QImage.Format.Format_RGB32)
        painter = QPainter(image)
        draw_vitals_chart(painter, QRectF(0, 0, 600, 300), report)
        painter.end()
        images.append(image)
    caution = QColor("#8a5a00")
    # the legend shows a caution ring in both; only the flagged report rings values on the plot
    assert _near(images[0], caution) > _near(images[1], caution) + 20


@pytest.mark.parametrize("style", [Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine])
def test_a_long_vitals_line_drawn_in_runs_looks_like_one_line(qapp, style):
    """A day of check-ins is drawn in short runs (for speed); the dashes must carry on across runs."""
    points = [QPointF(10 + i * 3.0, 60 + (25 if i % 2 else -25) + (i % 7)) for i in range(120)]
    images = []
    for draw in (lambda p, pen: p.drawPolyline(QPolygonF(points)), lambda p, pen: polyline(p, pen, points)):
        image = QImage(400, 120, QImage.Format.Format_RGB32)
        image.fill(QColor("#ffffff"))
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen = QPen(QColor("#000000"), 1.5, style)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        painter.setPen(pen)
        draw(painter, pen)
        painter.end()
        images.append(image)
    whole, runs = images
    inked = [(x, y) for x in range(400) for y in range(120) if whole.pixelColor(x, y).lightness() < 128]
    assert len(inked) > 500
    differing = sum(1 for x in range(400) for y in range(120)
                    if abs(whole.pixelColor(x, y).lightness() - runs.pixelColor(x, y).lightness()) > 96)
    assert differing < len(inked) // 20  # only a few antialiased pixels where runs meet


def test_a_dosing_phase_started_by_the_dose_reads_so_in_the_review(tmp_path, clock):
    from kaproom.domain.protocol import builtin_protocol
    with Workspace(tmp_path / "room", clock) as workspace:
        runner = workspace.new_session(builtin_protocol("lozenge-3h"), "C-9", "Ana Ruiz", "Room 2")
        clock.advance(13 * 60)
        runner.give_dose("sublingual ketamine lozenge")
        report = gather(workspace, runner.session_uid)
    assert [(p.name, p.start, p.how) for p in report.phases] == [
        ("Arrival & intention", 0.0, "start"), ("Dosing", 780.0, "dose")]
    assert report.dose_time == 780.0
    texts = [r.text for r in report.timeline_of([Kind.DOSE, Kind.PHASE_CHANGED])]
    assert texts[-2:] == ["Dose: sublingual ketamine lozenge",
                          "Phase: Dosing (with the dose)"]


def test_a_discharge_recorded_before_an_item_was_added_lists_only_what_it_asked(tmp_path, clock):
    """Sessions discharged before the checklist had 'observed for at least 2 h' must not read as
    if that item had been left unticked."""
    from kaproom.domain.protocol import builtin_protocol
    from kaproom.domain.session import State
    protocol = builtin_protocol("lozenge-3h")
    asked_then = [q.id for q in protocol.discharge_checklist if q.id != "observed"]
    with Workspace(tmp_path / "room", clock) as workspace:
        runner = workspace.new_session(protocol, "C-9", "Ana Ruiz", "Room 2")
        clock.advance(3 * 3600)
        runner.tick()
        runner.end(State.DISCHARGED, details={"checklist": {item: True for item in asked_then},
                                              "ready_to_leave_at": "2026-03-02T12:00:00+00:00"})
        report = gather(workspace, runner.session_uid)
    assert [i.id for i in report.discharge.items] == asked_then
    assert all(i.ticked for i in report.discharge.items)


@pytest.mark.parametrize("minutes_after_dose, words, short", [
    (107, "Observed 1 h 47 min after the dose (dose at 0:13:00, discharged at 2:00:00): 13 min short of the "
          "protocol's 2 h.", True),
    (125, "Observed 2 h 5 min after the dose (dose at 0:13:00, discharged at 2:18:00).", False),
])
def test_the_review_says_how_long_the_client_was_observed_after_the_dose(tmp_path, clock, minutes_after_dose,
                                                                           words, short):
    from kaproom.domain.protocol import builtin_protocol
    from kaproom.domain.session import State
    from kaproom.ui.review.details import discharge_html
    protocol = builtin_protocol("lozenge-3h")
    with Workspace(tmp_path / "room", clock) as workspace:
        runner = workspace.new_session(protocol, "C-9", "Ana Ruiz", "Room 2")
        clock.advance(13 * 60)
        runner.give_dose("sublingual ketamine lozenge")
        clock.advance(minutes_after_dose * 60)
        runner.tick()
        runner.end(State.DISCHARGED, "escort waiting", details={
            "checklist": {q.id: True for q in protocol.discharge_checklist},
            "ready_to_leave_at": "2026-03-02T11:00:00+00:00"})
        report = gather(workspace, runner.session_uid)
    assert report.observation() == (words, short)
    assert words.replace("'", "&#x27;") in discharge_html(report)


def test_the_review_details_say_what_was_given_and_when(tmp_path, clock):
    from kaproom.domain.protocol import builtin_protocol
    from kaproom.ui.review.details import details_html
    with Workspace(tmp_path / "room", clock) as workspace:
        runner = workspace.new_session(builtin_protocol("lozenge-3h"), "C-9", "Ana Ruiz", prescribed_dose_mg=300)
        undosed = details_html(gather(workspace, runner.session_uid))
        clock.advance(21 * 60)
        runner.give_dose("sublingual ketamine lozenge")
        dosed = details_html(gather(workspace, runner.session_uid))
    assert "<h3>Dose</h3><p>300 mg sublingual ketamine lozenge at 0:21:00.</p>" in dosed
    assert "No dose recorded." in undosed


def test_a_dose_given_over_the_last_checks_concerns_says_so_in_the_review_the_pdf_and_fhir(qapp, tmp_path, clock):
    """The therapist confirmed the dose over a baseline that said "consider whether to dose": the
    review's Dose paragraph, the PDF's Dose fact and the FHIR MedicationAdministration all say so."""
    import io

    from pypdf import PdfReader

    from kaproom.domain.protocol import builtin_protocol
    from kaproom.export.fhir import fhir_bundle
    from kaproom.export.pdf import render_pdf
    from kaproom.ui.review.details import details_html
    why = "Systolic 152 mmHg before dosing is above 140: consider whether to dose"
    with Workspace(tmp_path / "room", clock) as workspace:
        runner = workspace.new_session(builtin_protocol("lozenge-3h"), "C-9", "Ana Ruiz", prescribed_dose_mg=300)
        clock.advance(21 * 60)
        runner.give_dose("sublingual ketamine lozenge", despite=[why])
        report = gather(workspace, runner.session_uid)
    assert f"at 0:21:00 (given despite: {why})." in details_html(report)
    pdf = " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(render_pdf(report, "2026-03-03T10:00:00.000Z"))).pages)
    assert "given despite: Systolic 152" in " ".join(pdf.split())
    [given] = [e["resource"] for e in fhir_bundle(report, "2026-03-03T10:00:00.000Z")["entry"]
               if e["resource"]["resourceType"] == "MedicationAdministration"]
    assert given["note"] == [{"text": f"Given despite the last check: {why}"}]


def test_the_pdf_timeline_has_one_line_per_music_track_unless_asked_for_every_line(qapp, tmp_path, clock):
    import io

    from pypdf import PdfReader

    from kaproom.domain.protocol import builtin_protocol
    from kaproom.export.pdf import render_pdf
    with Workspace(tmp_path / "room", clock) as workspace:
        runner = workspace.new_session(builtin_protocol("lozenge-3h"), "C-9", "Ana Ruiz")
        music = [{"action": "track_started", "title": "Tide pool"}, {"action": "fade_in", "volume": 50},
                 {"action": "volume", "volume": 60}, {"action": "volume", "volume": 55},
                 {"action": "error", "title": "Long light", "message": "cannot open; skipped"},
                 {"action": "crossfade", "volume": 55}, {"action": "track_ended", "title": "Tide pool"}]
        for payload in music:
            clock.advance(30)
            runner.record(Kind.MUSIC, payload)
        report = gather(workspace, runner.session_uid)

    def timeline(**options) -> str:
        pages = PdfReader(io.BytesIO(render_pdf(report, "2026-03-03T10:00:00.000Z", **options))).pages
        return " ".join(" ".join((page.extract_text() or "") for page in pages).split())
    grouped, every = timeline(), timeline(music_detail=True)
    assert "track started 'Tide pool' (+5 music lines: fade in, 2 volume, crossfade, track ended)" in grouped
    assert "Music: volume to 60" not in grouped and "Music: volume to 60" in every
    assert "Music: error 'Long light'" in grouped  # what went wrong keeps its own line
