"""The review list model: lazy fetching, sorting by header click, filters from the bar."""
from __future__ import annotations

from datetime import date

import pytest
from _review_helpers import add_session
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QTableView

from kaproom.store.queries import SessionFilter
from kaproom.ui.review.filters import FilterBar
from kaproom.ui.review.list_model import COLUMNS, SESSION_ROLE, SessionListModel


def column(name: str) -> int:
    return [heading for heading, _ in COLUMNS].index(name)


def shown(model: SessionListModel, heading: str) -> list[str]:
    col = column(heading)
    return [model.data(model.index(row, col)) for row in range(model.rowCount())]


@pytest.fixture
def many(store, protocol):
    """25 sessions, one a day, alternating therapists; every fifth has an urgent alert."""
    for day in range(25):
        add_session(store, protocol, therapist="Ana" if day % 2 else "Ben", client=f"C-{day:03d}",
                    when=f"2026-01-{day + 1:02d}T10:00:00.000Z", urgents=1 if day % 5 == 0 else 0,
                    duration=3600.0 + day)
    return store


def test_rows_arrive_a_page_at_a_time(qtbot, many):
    model = SessionListModel(many, page_size=10)
    assert model.total == 25 and model.rowCount() == 10 and model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 20
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 25 and not model.canFetchMore(QModelIndex())
    clients = shown(model, "Client")
    assert len(set(clients)) == 25 and clients[0] == "C-024"  # newest first, no repeats across pages


def test_scrolling_the_view_fetches_more(qtbot, many):
    model = SessionListModel(many, page_size=10)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(600, 200)
    view.show()
    qtbot.waitExposed(view)
    view.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() > 10)
    assert model.rowCount() <= 25


def test_header_click_sorts_by_that_column(qtbot, many):
    model = SessionListModel(many, page_size=10)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setSortingEnabled(True)
    view.sortByColumn(column("Client"), Qt.SortOrder.AscendingOrder)
    assert shown(model, "Client")[:3] == ["C-000", "C-001", "C-002"]
    view.sortByColumn(column("Urgent"), Qt.SortOrder.DescendingOrder)
    assert shown(model, "Urgent")[:5] == ["1"] * 5 and shown(model, "Urgent")[5] == "0"
    view.sortByColumn(column("Duration"), Qt.SortOrder.DescendingOrder)
    assert shown(model, "Duration")[0] == "1:00:24"
    assert model.rowCount() == 10  # sorting starts again from one page


def test_filter_narrows_the_rows_and_total(qtbot, many):
    model = SessionListModel(many, page_size=10)
    model.set_filter(SessionFilter(therapist="Ana", has_alerts=True))
    assert model.total == 2 and shown(model, "Client") == ["C-015", "C-005"]
    assert not model.canFetchMore(QModelIndex())


def test_cells_say_what_a_supervisor_reads(qtbot, store, protocol):
    add_session(store, protocol, therapist="Cleo", room="Garden room", client="K-7", cautions=1,
                outcome="ended_early", duration=1800.0)
    model = SessionListModel(store)
    row = {heading: model.data(model.index(0, col)) for col, (heading, _) in enumerate(COLUMNS)}
    assert row["Therapist"] == "Cleo" and row["Room"] == "Garden room" and row["Duration"] == "0:30:00"
    assert row["How it ended"] == "Ended early" and row["Cautions"] == "1" and row["Signed off"] == "Not signed"
    tip = model.data(model.index(0, column("How it ended")), Qt.ItemDataRole.ToolTipRole)
    assert "client asked to stop" in tip
    assert model.data(model.index(0, 0), SESSION_ROLE).client_code == "K-7"


def test_filter_bar_drives_the_model(qtbot, many):
    model = SessionListModel(many, page_size=10)
    bar = FilterBar(today=date(2026, 1, 31))
    qtbot.addWidget(bar)
    bar.set_choices(["Ana", "Ben"], [])
    bar.changed.connect(model.set_filter)
    bar.therapist.setCurrentIndex(bar.therapist.findData("Ben"))
    assert model.total == 13
    bar.has_alerts.setChecked(True)
    assert model.total == 3  # days 0, 10, 20
    bar.from_check.setChecked(True)
    bar.from_date.setDate(bar.from_date.date().addDays(9))  # from 10 January
    assert shown(model, "Client") == ["C-020", "C-010"]
    bar.clear()
    assert model.total == 25 and not bar.has_alerts.isChecked()


def test_not_signed_checkbox(qtbot, store, protocol):
    from kaproom.domain.events import Event, Kind
    signed = add_session(store, protocol, client="S-1")
    add_session(store, protocol, client="U-1", when="2026-03-03T09:00:00.000Z")
    store.append(signed, Event(Kind.SIGNOFF, {"comment": "", "role": "supervisor"}, 3600.0,
                               "2026-03-04T09:00:00.000Z", "Dr Sup", ""))
    model = SessionListModel(store)
    bar = FilterBar()
    qtbot.addWidget(bar)
    bar.changed.connect(model.set_filter)
    assert "Dr Sup" in shown(model, "Signed off")[1]
    bar.not_signed.setChecked(True)
    assert shown(model, "Client") == ["U-1"]


def test_list_marks_a_session_amended_after_signoff(qtbot, store, protocol):
    from _review_helpers import amend, note

    from kaproom.domain.events import Event, Kind
    uid = add_session(store, protocol, client="S-2")
    first = note(store, uid, "Calm")
    store.append(uid, Event(Kind.SIGNOFF, {"comment": "", "role": "supervisor"}, 3600.0,
                            "2026-03-04T09:00:00.000Z", "Dr Sup", ""))
    model = SessionListModel(store)
    assert shown(model, "Signed off") == ["Dr Sup 2026-03-04"]
    amend(store, uid, first, "Calm, after a wobble")
    model.reload()
    assert shown(model, "Signed off") == ["⚠ Dr Sup 2026-03-04 +1 after"]
    tip = model.data(model.index(0, column("Signed off")), Qt.ItemDataRole.ToolTipRole)
    assert "1 amendment(s) were made after the sign-off" in tip


def test_a_session_discharged_too_soon_after_the_dose_is_marked_and_can_be_listed_alone(qtbot, store, protocol):
    """The protocol asks for 2 h of observation after the dose: a supervisor finds the sessions
    that were discharged sooner without opening each one."""
    soon = add_session(store, protocol, client="C-SOON", dose_at=1320.0, duration=1320.0 + 108 * 60)
    add_session(store, protocol, client="C-FULL", dose_at=1320.0, duration=1320.0 + 125 * 60)
    add_session(store, protocol, client="C-EARLY", dose_at=1320.0, duration=1320.0 + 30 * 60, outcome="ended_early")
    add_session(store, protocol, client="C-NODOSE", duration=3600.0)
    model = SessionListModel(store, observation_minutes={protocol.id: 120})
    ended = column("How it ended")
    by_client = {model.session_at(r).client_code: r for r in range(model.rowCount())}
    cell = model.index(by_client["C-SOON"], ended)
    assert model.data(cell) == "Discharged ⚠ too soon"
    assert model.data(cell, Qt.ItemDataRole.ForegroundRole) is not None
    assert model.data(cell, Qt.ItemDataRole.ToolTipRole) == \
        "Discharged 1 h 48 min after the dose, 12 min short of the protocol's 2 h."
    for client in ("C-FULL", "C-NODOSE"):
        assert model.data(model.index(by_client[client], ended)) == "Discharged"
    assert model.data(model.index(by_client["C-EARLY"], ended)) == "Ended early"  # judged by its reason instead
    bar = FilterBar()
    qtbot.addWidget(bar)
    bar.too_soon.setChecked(True)
    model.set_filter(bar.current())
    assert [model.session_at(r).uid for r in range(model.rowCount())] == [soon] and model.total == 1
    stricter = SessionListModel(store, observation_minutes={protocol.id: 150})
    stricter.set_filter(bar.current())
    assert sorted(stricter.session_at(r).client_code for r in range(stricter.rowCount())) == ["C-FULL", "C-SOON"]


def test_the_line_above_the_list_counts_the_sessions_discharged_too_soon(qtbot, workspace, protocol):
    from kaproom.ui.review import open_review
    add_session(workspace.store, protocol, client="C-SOON", dose_at=1320.0, duration=1320.0 + 108 * 60)
    add_session(workspace.store, protocol, client="C-FULL", dose_at=1320.0, duration=1320.0 + 125 * 60)
    window = open_review(workspace, "Dr Rao", lock=False)
    qtbot.addWidget(window)
    assert window.totals.text() == "2 sessions · 0 with alerts · 2 not signed · 1 discharged too soon after the dose"
