"""One start sequence (create -> screening -> intention -> start) for the start page, the demo
and the simulator; after a failure, running it again continues the same session."""
from __future__ import annotations

import pytest

from kaproom.domain.events import Kind
from kaproom.services.demo import DEMO_CLIENT, start_demo_session
from kaproom.services.session_start import Screening
from kaproom.store import StoreError


def kinds(workspace, runner):
    return [e.kind for e in workspace.store.events(runner.session_uid)]


def test_the_steps_are_recorded_in_order_and_the_session_runs(workspace, protocol):
    starting = workspace.session_start(protocol, "C-0042", "Dr Ada", "Room 2", prescribed_dose_mg=250.0)
    runner = starting.run(Screening({"fasting": True}, proceed_confirmed=True), "  Rest.  ")
    assert kinds(workspace, runner)[:5] == [Kind.SESSION_CREATED, Kind.SCREENING, Kind.INTENTION,
                                            Kind.SESSION_STARTED, Kind.PHASE_CHANGED]
    screening = workspace.store.events(runner.session_uid, (Kind.SCREENING,))[0].payload
    assert screening == {"answers": {"fasting": True}, "proceed_confirmed": True}
    assert workspace.store.events(runner.session_uid, (Kind.INTENTION,))[0].payload == {"text": "Rest."}
    assert workspace.store.session(runner.session_uid).state == "running"


def test_running_it_again_after_a_failure_continues_the_same_session(workspace, protocol, monkeypatch):
    starting = workspace.session_start(protocol, "C-0042", "Dr Ada")
    runner = starting.create()
    real_record = runner.record

    def failing(kind, payload):
        if kind == Kind.INTENTION:
            raise StoreError("The disk is full.")
        return real_record(kind, payload)

    monkeypatch.setattr(runner, "record", failing)
    with pytest.raises(StoreError):
        starting.run(Screening({"fasting": False}), "Rest.")
    assert starting.screened and not starting.intention_recorded
    monkeypatch.setattr(runner, "record", real_record)
    assert starting.run(Screening({"fasting": True}), "Rest.") is runner
    assert kinds(workspace, runner).count(Kind.SCREENING) == 1
    assert kinds(workspace, runner).count(Kind.INTENTION) == 1
    assert len(workspace.store.sessions()) == 1


def test_a_screening_without_the_question_asked_records_only_the_answers(workspace, protocol):
    runner = workspace.new_session(protocol, "C-1", "Dr Ada", screening={"fasting": False})
    assert workspace.store.events(runner.session_uid, (Kind.SCREENING,))[0].payload == {"answers": {"fasting": False}}


def test_a_new_demo_closes_the_old_one_and_starts_through_the_same_steps(workspace):
    first = start_demo_session(workspace, "short-check")
    second = start_demo_session(workspace, "short-check")
    assert workspace.store.session(first.session_uid).state == "ended_early"
    row = workspace.store.session(second.session_uid)
    assert row.state == "running" and row.demo and row.client_code == DEMO_CLIENT
    assert kinds(workspace, second)[:4] == [Kind.SESSION_CREATED, Kind.SCREENING, Kind.INTENTION, Kind.SESSION_STARTED]
