"""The monitoring summary and the after-care sheet: `kaproom export SESSION --format summary` and
`--format aftercare`, one page each, on Letter or A4 as the clinic (or the locale) says, dates in
the clinic's format; the summary's facts from the record."""
from __future__ import annotations

import re
import stat
import subprocess

import pytest

from kaproom.cli.main import main
from kaproom.export.documents_pdf import render_aftercare, render_monitoring_summary
from kaproom.export.monitoring import monitoring_summary
from kaproom.export.report_data import gather
from kaproom.services.paper import date_format, paper_size, system_territory, wall_date
from kaproom.services.settings import ClinicSettings, load_settings, save_settings
from tests._scales_helpers import rated_session

LETTER, A4 = (612, 792), (595, 842)


def page_facts(path) -> tuple[int, tuple[int, int], str]:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    width, height = (round(float(v)) for v in re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return pages, (width, height), " ".join(text.split())


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    folder = tmp_path_factory.mktemp("aftercare") / "room"
    workspace, uid = rated_session(folder, extra_end={"next_appointment": "Thursday 5 March, 10:00, with Ana"})
    try:
        report = gather(workspace, uid)
        number = report.header.number
    finally:
        workspace.close()
    return folder, number, report


def test_the_summary_holds_the_monitoring_forms_fields(session):
    _, _, report = session
    facts = monitoring_summary(report)
    assert facts.client_code == "KAP-0042" and facts.clinician == "Ana Ruiz"
    assert facts.dose == "300 mg sublingual ketamine lozenge"
    assert [(bp.label, bp.reading) for bp in facts.blood_pressure] == [
        ("Before the dose", "128/82 mmHg"), ("About 40 min after the dose", "146/90 mmHg"),
        ("Before discharge", "132/84 mmHg")]
    assert [round(bp.minutes_after_dose) for bp in facts.blood_pressure] == [-15, 40, 125]
    assert facts.answers == (("Sedation", "Yes"), ("Dissociation", "Yes"), ("Respiratory depression", "No"),
                             ("Blood pressure change", "Yes"))
    assert facts.severity == "Moderate"
    assert facts.lowest == "lowest SpO2 96 %, lowest respiratory rate 14/min, lowest MOAA/S 4, lowest RASS -2"
    assert facts.adverse_events == ()  # this record has none (and no adverse_event kind yet)
    assert facts.ready_to_leave.startswith("2026-03-02T16:30")
    assert facts.next_appointment == "Thursday 5 March, 10:00, with Ana"


def test_adverse_events_in_the_record_are_listed(session):
    _, _, report = session
    from dataclasses import replace

    from kaproom.domain.events import RecordedEvent
    extra = RecordedEvent("adverse_event", {"kind": "nausea_vomiting", "label": "Nausea or vomiting",
                                            "severity": "mild", "onset": 2990.0, "actions": "ondansetron 4 mg",
                                            "outcome": "resolved", "ems_called": False, "follow_up": False},
                          3000.0, "2026-03-02T14:50:00Z", "Ana Ruiz", "deep", seq=99)
    facts = monitoring_summary(replace(report, events=(*report.events, extra)))
    [line] = facts.adverse_events
    assert "Nausea or vomiting, mild" in line and "ondansetron 4 mg" in line and "resolved" in line


@pytest.mark.parametrize(("fmt", "paper", "size"), [("summary", "letter", LETTER), ("summary", "a4", A4),
                                                     ("aftercare", "letter", LETTER), ("aftercare", "a4", A4)])
def test_both_documents_are_one_page_on_the_clinics_paper_from_the_command_line(qapp, session, tmp_path, fmt,
                                                                                  paper, size, capsys):
    folder, number, _ = session
    settings, _ = load_settings(folder)
    save_settings(folder, ClinicSettings(**{**settings.__dict__, "paper_size": paper, "date_format": "us",
                                            "clinic_name": "Harbor KAP Clinic", "clinic_phone": "(415) 555-0142",
                                            "on_call_phone": "(415) 555-0199"}))
    target = tmp_path / f"{fmt}-{paper}.pdf"
    assert main(["export", str(number), "--format", fmt, "-o", str(target), "--data-dir", str(folder)]) == 0
    capsys.readouterr()
    pages, page_size, text = page_facts(target)
    assert pages == 1 and page_size == size
    if fmt == "summary":
        assert "Monitoring summary" in text and "KAP-0042" in text and "03/02/2026" in text
        assert "128/82 mmHg" in text and "146/90 mmHg" in text and "132/84 mmHg" in text
        assert "Respiratory depression No" in text and "Ready to leave" in text and "Ana Ruiz" in text
        assert "None recorded." in text
    else:
        assert "After your session today" in text and "Harbor KAP Clinic" in text
        assert "(415) 555-0142" in text and "(415) 555-0199" in text
        assert "Do not drive" in text and "Do not make important decisions" in text
        assert "What is normal" in text and "Call us if" in text
        assert "Thursday 5 March, 10:00, with Ana" in text
        assert "mmHg" not in text  # for the client: no clinical readings


def test_paper_and_dates_follow_the_locale_unless_the_clinic_says(monkeypatch):
    assert system_territory({"LANG": "en_US.UTF-8"}) == "US"
    assert system_territory({"LC_PAPER": "de_DE.UTF-8", "LANG": "en_US.UTF-8"}) == "DE"
    assert system_territory({"LANG": "C.UTF-8"}) == ""
    assert paper_size(ClinicSettings(), "US") == "letter" and paper_size(ClinicSettings(), "CA") == "letter"
    assert paper_size(ClinicSettings(), "MX") == "letter" and paper_size(ClinicSettings(), "GB") == "a4"
    assert paper_size(ClinicSettings(paper_size="a4"), "US") == "a4"
    assert date_format(ClinicSettings(), "US") == "us" and date_format(ClinicSettings(), "FR") == "iso"
    assert wall_date("2026-03-02T16:30:00Z", "day-first").startswith("02/03/2026")
    monkeypatch.setenv("LC_PAPER", "es_MX.UTF-8")
    assert paper_size(ClinicSettings()) == "letter"


def test_a_bad_paper_setting_is_refused_by_name(tmp_path):
    (tmp_path / "settings.toml").write_text('paper_size = "legal"\n')
    settings, warnings = load_settings(tmp_path)
    assert settings.paper_size == "" and "paper_size: one of letter, a4" in warnings[0]


def test_render_to_look_at(qapp, session, tmp_path):
    """Both documents in both sizes, rendered to PNG at 50 dpi (kept in tmp for a person to look at)."""
    _, _, report = session
    clinic = ClinicSettings(clinic_name="Harbor KAP Clinic", clinic_phone="(415) 555-0142",
                            on_call_phone="(415) 555-0199")
    for name, render in (("summary", render_monitoring_summary), ("aftercare", render_aftercare)):
        for paper in ("letter", "a4"):
            pdf = tmp_path / f"{name}-{paper}.pdf"
            pdf.write_bytes(render(report, "2026-03-02T17:00:00Z", paper=paper, dates="us", clinic=clinic))
            subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(tmp_path / f"{name}-{paper}")], check=True)
            assert (tmp_path / f"{name}-{paper}-1.png").exists()
            assert not (tmp_path / f"{name}-{paper}-2.png").exists()


def test_the_after_care_sheet_is_printed_from_the_room_and_the_printing_is_recorded(qtbot, workspace, protocol,
                                                                                      clock, tmp_path):
    from PySide6.QtPrintSupport import QPrinter
    from PySide6.QtWidgets import QCheckBox

    from kaproom.domain.people import AuditKind
    from kaproom.export.session_export import default_name
    from kaproom.services.people import People
    from tests._vitals_helpers import COMPLETE, MIN, baseline_then_dose, enter, fill, press, save

    runner, room = baseline_then_dose(qtbot, workspace, protocol, clock)
    assert room.vitals.print_aftercare(lambda printer, parent: True) == ""  # not before discharge
    assert "once the client is discharged" in room.status.text()
    clock.advance(160 * MIN)
    room.controller.tick()
    fill(room, **COMPLETE)
    save(room)
    press("Ctrl+Shift+D")
    for box in room.vitals.discharge_panel.boxes.values():
        box.setChecked(True)
    room.vitals.discharge_panel.next_appointment.setText("Friday 9:30")
    room.vitals.discharge_panel.findChild(QCheckBox).setFocus()
    enter()
    assert "Ctrl+Shift+P prints the after-care sheet" in room.status.text()
    target = tmp_path / "printed.pdf"
    asked = []

    def answer(printer: QPrinter, parent) -> bool:
        asked.append(printer.pageLayout().pageSize().id())
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(target))
        return True

    assert room.vitals.print_aftercare(lambda printer, parent: False) == ""  # cancelled in the dialog
    kept = workspace.folder.absolute() / "exports" / default_name(workspace.store.session(runner.session_uid),
                                                                  "aftercare")
    assert room.vitals.print_aftercare(answer) == f"After-care sheet sent to {target}; a copy is kept in {kept}."
    pages, _size, text = page_facts(target)
    assert pages == 1 and "After your session today" in text and "Friday 9:30" in text
    exports = People.of(workspace).accounts.audit_events((AuditKind.SESSION_EXPORTED,))
    # the printing, then the copy kept with the record's exports: each recorded as an export
    assert [(e.payload["format"], e.payload["sessions"]) for e in exports] == [("aftercare", [runner.session_uid])] * 2
    assert exports[0].payload["destination"] == f"printed in the room on {target} (therapist Dr A)"
    assert exports[1].payload["destination"] == str(kept)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert page_facts(kept)[2] == text  # the very sheet the client was given
    # printed again (a second copy for the escort): kept again beside the first, never over it
    assert room.vitals.print_aftercare(answer).endswith(f"{kept.name.replace('.aftercare', '-2.aftercare')}.")
    assert len(People.of(workspace).accounts.audit_events((AuditKind.SESSION_EXPORTED,))) == 4


def test_the_summary_names_the_escort_and_the_fasting_times_when_the_record_has_them(qapp, tmp_path):
    from kaproom.domain.events import Kind
    workspace, uid = rated_session(tmp_path / "room")
    try:
        report = gather(workspace, uid)
    finally:
        workspace.close()
    from dataclasses import replace

    from kaproom.domain.events import RecordedEvent
    facts_event = RecordedEvent(Kind.PRE_DOSE, {"escort_name": "Sam Lee", "escort_phone": "555 0100",
                                                "last_food": "07:30"}, 60.0, "2026-03-02T14:01:00Z", "Ana Ruiz",
                                "arrival", seq=98)
    facts = monitoring_summary(replace(report, events=(facts_event, *report.events)))
    assert (facts.escort, facts.fasting) == ("Sam Lee, 555 0100", "last food 07:30")
    pdf = tmp_path / "summary.pdf"
    pdf.write_bytes(render_monitoring_summary(replace(report, events=(facts_event, *report.events))))
    _pages, _size, text = page_facts(pdf)
    assert "Sam Lee, 555 0100" in text and "last food 07:30" in text


def test_the_review_shows_dates_in_the_clinics_format(qapp, qtbot, session):
    from kaproom.services.workspace import Workspace
    from kaproom.ui.review.session_view import SessionView
    folder, number, _ = session
    settings, _ = load_settings(folder)
    save_settings(folder, ClinicSettings(**{**settings.__dict__, "date_format": "day-first"}))
    with Workspace(folder) as workspace:
        view = SessionView(workspace)
        qtbot.addWidget(view)
        view.load(number)
        assert "02/03/2026 14:00" in view.facts.text()


def test_the_c_locale_has_no_territory_so_paper_and_dates_stay_a4_and_iso():
    """Python's locale module reads C.UTF-8 as en_US: that must not make a clinic's paper Letter."""
    assert system_territory({"LANG": "C.UTF-8"}) == "" and system_territory({"LC_ALL": "POSIX"}) == ""
    assert system_territory({"LC_PAPER": "C", "LANG": "en_US.UTF-8"}) == ""
    assert paper_size(ClinicSettings(), system_territory({"LANG": "C.UTF-8"})) == "a4"
