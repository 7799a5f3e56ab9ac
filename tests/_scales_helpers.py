"""A lozenge session with rating scales, on a fake clock, for the scales, Aldrete, summary and
after-care tests: baseline, dose, vitals and ratings at 40 min, vitals and ratings before
discharge, discharged after 2 h 10 min."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from kaproom.domain.clock import FakeClock, to_iso
from kaproom.domain.events import Kind
from kaproom.domain.scales import parse_rating
from kaproom.domain.session import State
from kaproom.domain.vitals import check_in, parse_vitals
from kaproom.services.workspace import Workspace


def vitals_payload(pre_dose: bool = False, **texts: str) -> dict:
    result = parse_vitals(texts)
    assert result.reading is not None, result.errors
    return check_in(result.reading, pre_dose=pre_dose).payload()


def rating_payload(protocol, scale_id: str, **texts: str) -> dict:
    scale = protocol.scale(scale_id)
    parsed = parse_rating(scale, texts)
    assert parsed.rating is not None, parsed.errors
    return parsed.rating.payload()


def rated_session(folder: Path, *, client: str = "KAP-0042", therapist: str = "Ana Ruiz",
                  discharge: bool = True, extra_end: dict | None = None) -> tuple[Workspace, str]:
    clock = FakeClock(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
    workspace = Workspace(folder, clock)
    protocol = workspace.protocol("lozenge-3h")
    runner = workspace.new_session(protocol, client, therapist, "Room 2", prescribed_dose_mg=300,
                                   screening={q.id: False for q in protocol.screening},
                                   intention="To rest.")

    def at(minute: float) -> None:
        clock.advance(minute * 60 - runner.elapsed())
        runner.tick()

    at(5)
    runner.record(Kind.VITALS, vitals_payload(True, systolic="128/82", pulse="74", spo2="98",
                                              respiratory_rate="14", moaas="5", nausea="none"))
    at(20)
    runner.give_dose(protocol.dose_route)
    at(60)
    runner.record(Kind.VITALS, vitals_payload(systolic="146/90", pulse="82", spo2="96", respiratory_rate="15",
                                              moaas="4", nausea="mild"))
    runner.record(Kind.SCALE, rating_payload(protocol, "rass", rass="-2"))
    runner.record(Kind.SCALE, rating_payload(protocol, "dissociation", severity="moderate", sedation="y",
                                             dissociation="y", respiratory_depression="n", bp_change="y"))
    at(145)
    runner.record(Kind.VITALS, vitals_payload(systolic="132/84", pulse="72", spo2="97", respiratory_rate="14",
                                              moaas="5", nausea="none"))
    runner.record(Kind.SCALE, rating_payload(protocol, "rass", rass="0"))
    runner.record(Kind.SCALE, rating_payload(protocol, "dissociation", severity="none", sedation="n",
                                             dissociation="n", respiratory_depression="n", bp_change="n"))
    if discharge:
        while not runner.state.is_last_phase:
            runner.advance("client ready")
        at(150)
        checklist = {q.id: True for q in protocol.discharge_checklist}
        details = {"checklist": checklist, "ready_to_leave_at": to_iso(clock.now()), **(extra_end or {})}
        runner.record(Kind.DISCHARGE_CHECK, details)
        runner.end(State.DISCHARGED, details=details)
    return workspace, runner.session_uid
