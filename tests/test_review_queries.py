"""Session-list queries: what the supervisor's filters and sort orders return."""
from __future__ import annotations

from datetime import date

import pytest
from _review_helpers import add_session

from kaproom.store.queries import SORT_KEYS, SessionFilter, count_sessions, list_sessions, therapists, totals


@pytest.fixture
def clinic(store, protocol):
    """Six sessions over three days, two therapists, some alerts, one open, one signed."""
    made = {
        "ana_mon": add_session(store, protocol, therapist="Ana", client="C-101", when="2026-03-02T09:00:00.000Z",
                               cautions=2, duration=7000.0),
        "ben_mon": add_session(store, protocol, therapist="Ben", client="C-102", when="2026-03-02T13:00:00.000Z",
                               duration=5000.0, room="Room 2"),
        "ana_tue": add_session(store, protocol, therapist="Ana", client="C-103", when="2026-03-03T09:00:00.000Z",
                               urgents=1, duration=9000.0),
        "ben_wed": add_session(store, protocol, therapist="Ben", client="X-200", when="2026-03-04T09:00:00.000Z",
                               duration=None),
        "demo": add_session(store, protocol, therapist="Ana", client="DEMO", when="2026-03-04T10:00:00.000Z",
                            demo=True, duration=60.0),
        "ben_early": add_session(store, protocol, therapist="ben", client="C-104", when="2026-03-04T11:00:00.000Z",
                                 duration=1200.0, outcome="ended_early", music_errors=3),
    }
    from kaproom.domain.events import Event, Kind
    store.append(made["ben_mon"], Event(Kind.SIGNOFF, {"comment": "fine", "role": "supervisor"}, 5000.0,
                                        "2026-03-05T10:00:00.000Z", "Dr Sup", ""))
    return made


def uids(rows):
    return [row.uid for row in rows]


def test_unfiltered_list_is_newest_first(store, clinic):
    rows = list_sessions(store)
    assert uids(rows) == [clinic[k] for k in ("ben_early", "demo", "ben_wed", "ana_tue", "ben_mon", "ana_mon")]
    assert count_sessions(store) == 6


def test_therapist_filter_ignores_case(store, clinic):
    rows = list_sessions(store, SessionFilter(therapist="Ben"))
    assert set(uids(rows)) == {clinic["ben_mon"], clinic["ben_wed"], clinic["ben_early"]}


def test_date_range_is_inclusive_of_both_days(store, clinic):
    rows = list_sessions(store, SessionFilter(date_from=date(2026, 3, 3), date_to=date(2026, 3, 3)))
    assert uids(rows) == [clinic["ana_tue"]]
    rows = list_sessions(store, SessionFilter(date_from=date(2026, 3, 3)))
    assert len(rows) == 4


def test_has_alerts_and_not_signed(store, clinic):
    assert set(uids(list_sessions(store, SessionFilter(has_alerts=True)))) == {clinic["ana_mon"], clinic["ana_tue"]}
    not_signed = uids(list_sessions(store, SessionFilter(not_signed=True)))
    assert clinic["ben_mon"] not in not_signed and len(not_signed) == 5


def test_client_part_and_demo(store, clinic):
    assert uids(list_sessions(store, SessionFilter(client="x-2"))) == [clinic["ben_wed"]]
    assert count_sessions(store, SessionFilter(client="%")) == 0  # a wildcard typed is a character, not "any"
    assert clinic["demo"] not in uids(list_sessions(store, SessionFilter(include_demo=False)))


def test_filters_combine(store, clinic):
    flt = SessionFilter(therapist="Ana", has_alerts=True, date_from=date(2026, 3, 3))
    assert uids(list_sessions(store, flt)) == [clinic["ana_tue"]]
    assert totals(store, SessionFilter(therapist="Ana")).with_alerts == 2


def test_sort_by_duration_keeps_open_sessions_last(store, clinic):
    ascending = list_sessions(store, sort="duration", descending=False)
    descending = list_sessions(store, sort="duration", descending=True)
    assert ascending[-1].uid == clinic["ben_wed"] and descending[-1].uid == clinic["ben_wed"]
    durations = [row.duration_seconds for row in ascending[:-1]]
    assert durations == sorted(durations)
    assert [row.duration_seconds for row in descending[:-1]] == sorted(durations, reverse=True)


@pytest.mark.parametrize("key", sorted(SORT_KEYS))
def test_every_sort_key_pages_without_gaps_or_repeats(store, clinic, key):
    whole = uids(list_sessions(store, sort=key, descending=False, limit=None))
    paged = [uid for offset in range(0, 6, 4) for uid in uids(list_sessions(store, sort=key, descending=False,
                                                                            offset=offset, limit=4))]
    assert paged == whole and sorted(whole) == sorted(clinic.values())


def test_unknown_sort_key_falls_back_to_date(store, clinic):
    assert uids(list_sessions(store, sort="1; DROP TABLE sessions")) == uids(list_sessions(store))


def test_therapist_choices(store, clinic):
    assert therapists(store) == ["Ana", "Ben", "ben"]


@pytest.fixture
def local_zone(monkeypatch):
    """Run a test in a chosen local time zone (dates in the filter are the supervisor's days)."""
    import time

    def use(zone: str) -> None:
        monkeypatch.setenv("TZ", zone)
        time.tzset()
    yield use
    monkeypatch.undo()
    time.tzset()


def test_days_are_the_supervisors_local_days(store, protocol, local_zone):
    local_zone("America/New_York")
    late_evening = add_session(store, protocol, when="2026-03-03T03:00:00.000Z")  # 22:00 on 2 March in New York
    assert uids(list_sessions(store, SessionFilter(date_from=date(2026, 3, 2), date_to=date(2026, 3, 2)))) == \
        [late_evening]
    assert list_sessions(store, SessionFilter(date_from=date(2026, 3, 3))) == []


def test_newest_first_pages_are_read_from_an_index_not_a_sort_of_every_session(store, clinic):
    """The list a supervisor opens (newest first) must not sort the whole table for every page of
    200 rows: at 5,000 sessions that was 45 ms a page, and it grows with the clinic."""
    executed: list[str] = []
    store._conn.set_trace_callback(executed.append)
    try:
        list_sessions(store, offset=2, limit=2)
    finally:
        store._conn.set_trace_callback(None)
    (page_sql,) = [sql for sql in executed if "FROM sessions WHERE" in sql and "LIMIT" in sql]
    plan = " / ".join(str(row[3]) for row in store._conn.execute(f"EXPLAIN QUERY PLAN {page_sql}"))
    assert "USING INDEX sessions_listed" in plan and "TEMP B-TREE" not in plan, plan
