"""Ratings in the record reach the review timeline, the PDF report, the CSV columns and FHIR."""
from __future__ import annotations

import csv
import io
import json
import subprocess

import pytest
from fhir.resources.R4B.bundle import Bundle

from kaproom.export.csv_export import COLUMNS, render_csv
from kaproom.export.fhir import SCALE_SYSTEM, render_fhir
from kaproom.export.pdf import render_pdf
from kaproom.export.report_data import gather
from kaproom.export.scale_rows import scale_rows
from tests._scales_helpers import rated_session


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    workspace, uid = rated_session(tmp_path_factory.mktemp("scales") / "room")
    try:
        yield gather(workspace, uid)
    finally:
        workspace.close()


def test_the_timeline_says_each_rating_in_words(report):
    lines = [t.text for t in report.timeline if t.kind == "scale"]
    assert lines[0] == "Rating: RASS -2 (Light sedation)"
    assert lines[1] == ("Rating: Dissociation 5: dissociation moderate; sedation observed yes; dissociation "
                        "observed yes; respiratory depression no; blood pressure change yes")
    levels = [t.level for t in report.timeline if t.kind == "scale"]
    assert levels[1] == "caution"  # a blood pressure change answered yes


def test_the_pdf_has_a_rating_scales_table(qapp, report, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(render_pdf(report, "2026-03-02T17:00:00Z"))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Rating scales" in text
    assert "RASS" in text and "Light sedation" in text and "respiratory depression: No" in text


def test_the_csv_has_scale_columns(report):
    rows = list(csv.DictReader(io.StringIO(render_csv(report).decode("utf-8-sig"))))
    assert tuple(rows[0].keys()) == COLUMNS and COLUMNS[-3:] == ("scale", "scale_total", "scale_answers")
    rated = [r for r in rows if r["kind"] == "scale"]
    assert [(r["scale"], r["scale_total"]) for r in rated] == [("rass", "-2"), ("dissociation", "5"),
                                                               ("rass", "0"), ("dissociation", "0")]
    assert rated[1]["scale_answers"] == ("severity=2; sedation=1; dissociation=1; respiratory_depression=0; "
                                         "bp_change=1")
    assert all(r["scale"] == "" for r in rows if r["kind"] != "scale")


def test_fhir_observations_for_ratings_parse_and_use_the_clinic_code_system(report):
    data = render_fhir(report, "2026-03-02T17:00:00.000Z")
    bundle = Bundle.model_validate_json(data)
    ratings = [e.resource for e in bundle.entry if e.resource.__resource_type__ == "Observation"
               and e.resource.code.coding[0].system == SCALE_SYSTEM
               and e.resource.code.coding[0].code != "moaas"]  # MOAA/S of the check-ins: tests/test_fhir_export.py
    assert [(o.code.coding[0].code, o.valueInteger) for o in ratings] == [
        ("rass", -2), ("dissociation", 5), ("rass", 0), ("dissociation", 0)]
    assert ratings[0].category[0].coding[0].code == "survey"
    assert [(c.code.coding[0].code, c.valueInteger) for c in ratings[1].component][:2] == [("severity", 2),
                                                                                          ("sedation", 1)]
    assert ratings[1].interpretation[0].coding[0].code == "A"
    assert len(scale_rows(report)) == 4
    assert json.loads(data)["type"] == "collection"


def test_the_aldrete_score_at_discharge_is_in_the_timeline_and_the_pdf(qapp, tmp_path):
    aldrete = {"aldrete": {"total": 8, "complete": True, "minimum": 9,
                           "items": {"activity": {"points": 1}, "respiration": {"points": 2},
                                     "circulation": {"points": 2, "record": 2, "basis": "systolic 132 vs 128"},
                                     "consciousness": {"points": 2}, "oxygen": {"points": 1}}},
               "aldrete_below_minimum": True, "override_reason": "Uses a cane"}
    workspace, uid = rated_session(tmp_path / "room", extra_end=aldrete)
    try:
        report = gather(workspace, uid)
    finally:
        workspace.close()
    [line] = [t.text for t in report.timeline if t.kind == "discharge_check"]
    assert line == "Discharge check: 7 of 7 ticked; Aldrete 8; override: Uses a cane"
    bundle = Bundle.model_validate_json(render_fhir(report, "2026-03-02T17:00:00.000Z"))
    [score] = [e.resource for e in bundle.entry if e.resource.__resource_type__ == "Observation"
               and e.resource.code.coding[0].code == "aldrete"]
    assert score.code.coding[0].system == SCALE_SYSTEM and score.valueInteger == 8
    assert {c.code.coding[0].code: c.valueInteger for c in score.component}["oxygen"] == 1
    assert [n.text for n in score.note] == ["Advisory: not validated for ketamine sessions",
                                            "Below the protocol's minimum; discharged with a written reason"]
    path = tmp_path / "report.pdf"
    path.write_bytes(render_pdf(report))
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert ("Modified Aldrete 8 of 10 (minimum 9): activity 1, respiration 2, circulation 2, consciousness 2, "
            "oxygen 1; below the minimum, reason written (advisory)") in text


def test_the_review_timeline_groups_ratings_with_the_vitals_and_says_their_level(report):
    from kaproom.ui.review.timeline_model import category_of, kind_label
    rows = [t for t in report.timeline if t.kind == "scale"]
    assert {category_of(t.kind) for t in rows} == {"Vitals"}
    assert [kind_label(t) for t in rows] == ["Scale", "Scale (caution)", "Scale", "Scale"]
    assert category_of("pre_dose") == "Phases & session"


def test_the_chart_has_a_band_of_ratings_under_the_vitals_only_when_there_are_ratings(qapp, report):
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QImage, QPainter

    from kaproom.export.chart import draw_vitals_chart

    def drawn(chosen) -> QImage:
        image = QImage(800, 400, QImage.Format.Format_RGB32)
        painter = QPainter(image)
        draw_vitals_chart(painter, QRectF(0, 0, 800, 400), chosen)
        painter.end()
        return image

    from dataclasses import replace
    with_band = drawn(report)
    without = drawn(replace(report, events=tuple(e for e in report.events if e.kind != "scale")))
    bottom = [with_band.pixelColor(x, y) != without.pixelColor(x, y) for x in range(0, 800, 2) for y in range(340, 400)]
    assert any(bottom)  # the ratings' names under the time axis
