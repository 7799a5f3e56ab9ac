"""One contract for the review list's filters, run against the room's SQLite and against the clinic's
PostgreSQL holding the same sessions: every case lists the same sessions, in the same order, with
the same count and totals (the medication record's flags among them: adverse events, a booster,
a witnessed waste)."""
from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime

import _clinic_helpers
import psycopg
import pytest
from _clinic_helpers import password_of

from kaproom.domain.clock import FakeClock
from kaproom.services import clinic_sync
from kaproom.services.clinic_review import ClinicReader
from kaproom.services.simulate import MedicationPlan, run_simulation
from kaproom.services.workspace import Workspace
from kaproom.store.queries import SessionFilter, count_sessions, list_sessions, totals

pg, clinic = _clinic_helpers.pg, _clinic_helpers.clinic  # the fixtures

#: (name, medication plan) of each session the room records, in order.
SESSIONS = (
    ("plain", MedicationPlan()),
    ("booster", MedicationPlan(booster=True)),
    ("waste", MedicationPlan(waste=True)),
    ("adverse", MedicationPlan(adverse_events=("hypertension",))),
    ("everything", MedicationPlan(booster=True, waste=True, medications=("ondansetron",),
                                  adverse_events=("nausea_vomiting",))),
)

#: (case, filter, the sessions it lists): the same expectation holds for both stores.
CASES = (
    ("no filter", SessionFilter(), {"plain", "booster", "waste", "adverse", "everything"}),
    ("adverse events", SessionFilter(has_adverse_events=True), {"adverse", "everything"}),
    ("booster", SessionFilter(booster_given=True), {"booster", "everything"}),
    ("waste", SessionFilter(has_waste=True), {"waste", "everything"}),
    ("booster and waste", SessionFilter(booster_given=True, has_waste=True), {"everything"}),
    ("every flag", SessionFilter(has_adverse_events=True, booster_given=True, has_waste=True), {"everything"}),
    ("waste, not signed, this therapist", SessionFilter(has_waste=True, not_signed=True, therapist="Simulator"),
     {"waste", "everything"}),
    ("adverse events, another room", SessionFilter(has_adverse_events=True, room="Room B"), set()),
    ("booster, another day", SessionFilter(booster_given=True, date_from=date(2026, 3, 9)), set()),
    ("adverse events, that day", SessionFilter(has_adverse_events=True, date_from=date(2026, 3, 2),
                                               date_to=date(2026, 3, 2)), {"adverse", "everything"}),
)


@pytest.fixture(scope="module", autouse=True)
def days_in_utc():
    """The list's days are the supervisor's local days: this module's are UTC's, wherever it runs."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if saved is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = saved
    time.tzset()


@pytest.fixture(scope="module")
def sessions_in_both(pg, tmp_path_factory):
    """Room A records the sessions and sends them to a clinic database made for this module; an
    office computer reads that database. Yields (room folder, office folder, name -> uid)."""
    name = "clinic_review_filters"
    with psycopg.connect(pg.url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {_clinic_helpers.TEMPLATE}")
    db = _clinic_helpers.ClinicDb(pg, name)
    folder = tmp_path_factory.mktemp("filters")
    room, office = folder / "room_a", folder / "office"
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    uids = {}
    with Workspace(room, clock) as workspace:
        for seed, (label, plan) in enumerate(SESSIONS, start=1):
            result = run_simulation(workspace, "lozenge-3h", notes=2, vitals=3, tracks=1, seed=seed,
                                    sleep=lambda s: clock.advance(max(s, 0.001)), medication=plan)
            uids[label] = result.session_uid
    clinic_sync.join_clinic(room, db.url("room_a", with_password=False), "Room A", "room", password_of("room_a"))
    assert clinic_sync.sync_now(room).position.refused == ()
    clinic_sync.join_clinic(office, db.url("office_1", with_password=False), "Office", "office",
                            password_of("office_1"))
    yield room, office, uids, clock
    with psycopg.connect(pg.url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.parametrize(("case", "flt", "expected"), CASES, ids=[case for case, _, _ in CASES])
def test_a_filter_lists_the_same_sessions_from_sqlite_and_from_postgresql(sessions_in_both, case, flt, expected):
    room, office, uids, clock = sessions_in_both
    names = {uid: label for label, uid in uids.items()}
    with Workspace(room, clock) as here, ClinicReader.of(office) as server:
        local = [names[row.uid] for row in list_sessions(here.store, flt)]
        remote = [names[row.uid] for row in server.page(flt)]
        assert set(local) == expected, case
        assert remote == local, case  # the same sessions, in the same order
        assert server.count(flt) == count_sessions(here.store, flt) == len(expected), case
        assert server.totals(flt) == totals(here.store, flt), case
