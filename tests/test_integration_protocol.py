"""The built-in integration protocol (id `integration`): about an hour, no dose, no vitals
schedule, PHQ-9 and GAD-7 as protocol data; started from the start page as an integration
session, and run headless by `kaproom simulate --protocol integration`."""
from __future__ import annotations

from kaproom.cli.main import main
from kaproom.domain.events import Kind
from kaproom.domain.protocol import builtin_protocol, parse_protocol
from kaproom.domain.scales import parse_rating
from kaproom.services.workspace import Workspace
from kaproom.ui.start.page import StartPage
from tests._room_helpers import activate
from tests._vitals_helpers import MIN, open_vitals_room, press, stored


def test_the_integration_protocol_has_no_dose_no_schedule_and_its_measures_as_data():
    protocol = builtin_protocol("integration")
    assert protocol.id == "integration" and not protocol.has_dose
    assert 55 * 60 <= protocol.total_seconds <= 65 * 60
    assert protocol.vitals_schedule.after_dose_minutes == () and not protocol.vitals_schedule.baseline_before_dose
    phq9, gad7 = protocol.scale("phq9"), protocol.scale("gad7")
    assert phq9 is not None and gad7 is not None
    assert (len(phq9.items), phq9.highest, len(gad7.items), gad7.highest) == (9, 27, 7, 21)
    rating = parse_rating(phq9, {f"q{i}": "1" for i in range(1, 10)}).rating
    assert rating is not None and rating.total == 9
    [alert] = rating.alerts()  # any answer above 0 to item 9 is asked about now
    assert alert["level"] == "urgent" and alert["field"] == "phq9.q9"
    high = parse_rating(gad7, {f"q{i}": "3" for i in range(1, 8)}).rating
    assert high is not None and [a["reason"] for a in high.alerts()] == ["GAD-7 total 21 (at or above 15)"]


def test_a_protocol_without_a_dose_has_no_dose_phase():
    text = builtin_protocol("integration").text.replace('dose = false', 'dose = false\ndose_phase = "arrival"')
    try:
        parse_protocol(text, "clinic/x.toml")
    except ValueError as exc:
        assert "a protocol with dose = false has no dose phase" in str(exc)
    else:
        raise AssertionError("a dose phase in a protocol without a dose was accepted")


def test_kaproom_simulate_runs_an_integration_session(tmp_path, capsys):
    folder = str(tmp_path / "data")
    assert main(["simulate", "--data-dir", folder, "--speed", "1000000", "--protocol", "integration",
                 "--notes", "5", "--vitals", "1", "--tracks", "0"]) == 0
    assert "simulated session" in capsys.readouterr().out
    with Workspace(tmp_path / "data") as workspace:
        [row] = workspace.store.sessions()
        assert row.protocol_id == "integration" and row.state == "discharged"
        assert workspace.store.events(row.uid, (Kind.DOSE,)) == []


def test_an_integration_session_starts_from_the_start_page_and_f10_records_nothing(qtbot, workspace, clock):
    page = StartPage(workspace)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    activate(qtbot, page)
    assert page.protocol_choice.count() == 2  # the medicine protocols
    page.integration.setChecked(True)
    assert [page.protocol_choice.itemData(i) for i in range(page.protocol_choice.count())] == ["integration"]
    page.client_code.setText("C-0100")
    page.therapist.setText("Dr A")
    for group in page.screening_groups.values():
        group.buttons()[1].setChecked(True)
    assert set(page.screening_groups) == {"self_harm", "unsettling"}
    runner = page.start()
    assert runner is not None and runner.protocol.id == "integration"
    room = open_vitals_room(qtbot, workspace, runner)
    assert room.vitals.scales_form is not None
    press("F10")
    assert stored(workspace, runner, Kind.DOSE) == []
    assert "has no dose" in room.status.text()
    clock.advance(45 * MIN)
    room.controller.tick()
    assert room.vitals_due.text() == "Vitals: as needed (no dose in this protocol)"  # never "overdue"
    assert room.vitals_due.property("level") == "ok"


def test_an_integration_session_is_linked_to_the_clients_medicine_session_before_it(workspace, protocol, clock):
    medicine = workspace.new_session(protocol, "C-7", "Dr A")
    clock.advance(20 * MIN)
    medicine.tick()
    medicine.give_dose(protocol.dose_route)
    other = workspace.new_session(protocol, "C-8", "Dr A")  # another client's: never linked
    clock.advance(3 * 86400)
    integration = workspace.new_session(workspace.protocol("integration"), "C-7", "Dr A")
    [created] = workspace.store.events(integration.session_uid, (Kind.SESSION_CREATED,))
    number = workspace.store.session(medicine.session_uid).id
    assert created.payload["follows"]["uid"] == medicine.session_uid and created.payload["follows"]["number"] == number
    from kaproom.export.summary import summarize
    assert f"; follows session {number} of " in summarize(Kind.SESSION_CREATED, created.payload)
    alone = workspace.new_session(workspace.protocol("integration"), "C-9", "Dr A")
    [first] = workspace.store.events(alone.session_uid, (Kind.SESSION_CREATED,))
    assert "follows" not in first.payload and other.session_uid
