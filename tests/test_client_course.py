"""A client's course: three medicine and three integration sessions of one client code, in order,
with doses, the highest NEWS2 and the measures as a trend, exported as one PDF
(`kaproom export SESSION --format course`)."""
from __future__ import annotations

import subprocess
from datetime import UTC, datetime

import pytest

from kaproom.cli.main import main
from kaproom.domain.clock import FakeClock
from kaproom.domain.events import Kind
from kaproom.domain.session import State
from kaproom.export.course import client_course, measure_series
from kaproom.services.workspace import Workspace
from tests._scales_helpers import rating_payload, vitals_payload

DAY = 86400.0


def course_folder(folder):
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    workspace = Workspace(folder, clock)
    medicine, integration = workspace.protocol("lozenge-3h"), workspace.protocol("integration")
    phq = iter(["2", "2", "1"])
    for week in range(3):
        runner = workspace.new_session(medicine, "KAP-0042", "Ana Ruiz", prescribed_dose_mg=200 + 50 * week)
        runner.record(Kind.VITALS, vitals_payload(True, systolic="124/80", pulse="70", spo2="98",
                                                  respiratory_rate="14", moaas="5"))
        clock.advance(20 * 60)
        runner.tick()
        runner.give_dose(medicine.dose_route)
        clock.advance(40 * 60)
        runner.tick()
        runner.record(Kind.VITALS, vitals_payload(systolic="150/92", pulse="88", spo2="94", respiratory_rate="16",
                                                  moaas="4"))
        runner.record(Kind.SCALE, rating_payload(medicine, "rass", rass="-1"))
        runner.end(State.DISCHARGED, details={"checklist": {}})
        clock.advance(2 * DAY)
        follow = workspace.new_session(integration, "KAP-0042", "Ana Ruiz")
        answer = next(phq)
        follow.record(Kind.SCALE, rating_payload(integration, "phq9", **{f"q{i}": answer for i in range(1, 9)},
                                                 q9="0"))
        follow.record(Kind.SCALE, rating_payload(integration, "gad7", **{f"q{i}": "1" for i in range(1, 8)}))
        follow.end(State.DISCHARGED, details={"checklist": {}})
        clock.advance(5 * DAY)
    workspace.new_session(medicine, "KAP-0099", "Ana Ruiz")  # another client: never in this course
    return workspace


@pytest.fixture(scope="module")
def course_data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("course") / "room"
    workspace = course_folder(folder)
    try:
        course = client_course(workspace.store, "KAP-0042")
    finally:
        workspace.close()
    return folder, course


def test_the_course_lists_every_session_of_the_client_in_order(course_data):
    _, course = course_data
    assert [row.medicine for row in course] == [True, False, True, False, True, False]
    assert [row.follows for row in course[1::2]] == [row.number for row in course[0::2]]
    assert [row.dose for row in course[0::2]] == [f"{mg} mg sublingual ketamine lozenge" for mg in (200, 250, 300)]
    assert all(row.highest_news2 is not None for row in course[0::2])
    assert [{name: total for _, name, total in row.measures}.get("PHQ-9") for row in course[1::2]] == [16, 16, 8]
    assert "RASS" not in measure_series(course)  # a rating of the moment, not a trend
    assert measure_series(course)["GAD-7"] == [(1, 7), (3, 7), (5, 7)]


def test_the_course_is_one_pdf_from_the_command_line(qapp, course_data, tmp_path, capsys):
    folder, course = course_data
    target = tmp_path / "course.pdf"
    assert main(["export", str(course[0].number), "--format", "course", "-o", str(target),
                 "--data-dir", str(folder)]) == 0
    capsys.readouterr()
    text = " ".join(subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert "Client course: KAP-0042" in text and "6 sessions" in text
    assert f"Integration, after #{course[0].number}" in text
    assert "PHQ-9 8" in text and "Measures over the course" in text
    assert "KAP-0099" not in text
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(target), str(tmp_path / "course")], check=True)
    assert (tmp_path / "course-1.png").exists()


def test_the_review_exports_the_course_the_summary_and_the_after_care_sheet(qapp, qtbot, course_data, tmp_path):
    from PySide6.QtCore import Qt

    from kaproom.export.report_data import gather
    from kaproom.ui.review.exports import ExportBar
    folder, course = course_data
    chosen = []
    with Workspace(folder) as workspace:
        bar = ExportBar(workspace, "supervisor",
                        ask_path=lambda fmt, suggested, _filter: chosen.append(suggested) or str(tmp_path / f"{fmt}.pdf"))
        qtbot.addWidget(bar)
        bar.set_report(gather(workspace, course[-1].uid))
        for fmt in ("course", "summary", "aftercare"):
            qtbot.mouseClick(bar.buttons[fmt], Qt.MouseButton.LeftButton)
            assert (tmp_path / f"{fmt}.pdf").read_bytes().startswith(b"%PDF")
    assert chosen[0].endswith(".course.pdf")


def test_the_review_shows_the_clients_course_beside_a_session(qapp, qtbot, course_data):
    from kaproom.ui.review.session_view import SessionView
    folder, course = course_data
    with Workspace(folder) as workspace:
        view = SessionView(workspace)
        qtbot.addWidget(view)
        view.load(course[3].number)
        text = view.details.toPlainText()
    assert "Client's course (6 sessions)" in text
    assert f"#{course[3].number} 2026-03-11 · integration after #{course[2].number}" in text
    assert "PHQ-9 16; GAD-7 7" in text and "250 mg sublingual ketamine lozenge" in text


def test_the_review_shows_the_measures_trend_under_the_course_drawn_as_on_paper(qapp, qtbot, course_data, tmp_path):
    from PySide6.QtGui import QColor

    from kaproom.ui.review.session_view import SessionView
    folder, course = course_data
    with Workspace(folder) as workspace:
        view = SessionView(workspace)
        qtbot.addWidget(view)
        view.resize(1366, 768)
        view.show()
        qtbot.waitExposed(view)
        view.load(course[3].number)
        chart = view.course_trend
        assert chart.isVisible() and set(chart.series) == {"PHQ-9", "GAD-7"}
        assert chart.accessibleDescription() == (
            "Measures over the client's course (6 sessions): GAD-7: session 2 7, session 4 7, session 6 7; "
            "PHQ-9: session 2 16, session 4 16, session 6 8")
        picture = chart.grab()
        picture.save(str(tmp_path / "course-trend.png"))
        image = picture.toImage()
        ink = chart.palette().text().color()
        def near_ink(color: QColor) -> bool:
            return abs(color.red() - ink.red()) + abs(color.green() - ink.green()) + abs(color.blue() - ink.blue()) < 90
        inked = sum(1 for x in range(image.width()) for y in range(image.height()) if near_ink(QColor(image.pixel(x, y))))
        assert inked > 200  # the lines and their labels are drawn, in the text's colour (light on a dark screen)
        view.load(next(row.id for row in workspace.store.sessions() if row.client_code == "KAP-0099"))
        assert not chart.isVisible()  # one session: no course, no trend
