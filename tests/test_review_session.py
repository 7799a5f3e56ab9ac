"""The session view: timeline with amendments beside their targets, kind filter, sign-off, badge."""
from __future__ import annotations

import pytest
from _review_helpers import add_session, amend, note, tamper_payload
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from kaproom.domain.events import Event, Kind
from kaproom.ui.review import style
from kaproom.ui.review.session_view import SessionView
from kaproom.ui.review.timeline_model import ROW_ROLE

DETAILS, WHAT = 5, 4


def lines(view: SessionView, column: int = DETAILS) -> list[str]:
    model = view.timeline_model
    return [model.data(model.index(row, column)) for row in range(model.rowCount())]


def seqs(view: SessionView) -> list[int]:
    model = view.timeline_model
    return [model.data(model.index(row, 0), ROW_ROLE).seq for row in range(model.rowCount())]


@pytest.fixture
def amended(workspace, protocol):
    """A session with two notes; the first is corrected later, after other events happened."""
    store = workspace.store
    uid = add_session(store, protocol, duration=None)
    first = note(store, uid, "Client said the room was too warm")
    note(store, uid, "Eyes closed, calm", at=300.0)
    store.append(uid, Event(Kind.VITALS, {"systolic": 172, "diastolic": 96, "pulse": 88, "spo2": 97,
                                          "statuses": {"systolic": {"level": "urgent", "reason": "above 160"}},
                                          "comment": "", "partial": False}, 400.0, "2026-03-02T09:06:40.000Z",
                            "Ana", "onset"))
    correction = amend(store, uid, first, "It was the blanket that was too warm, not the room")
    store.append(uid, Event(Kind.SESSION_ENDED, {"outcome": "discharged", "reason": ""}, 3600.0,
                            "2026-03-02T10:00:00.000Z", "Ana", "integration"))
    return uid, first, correction


@pytest.fixture
def view(qtbot, workspace):
    shown = SessionView(workspace, "Dr Rao")
    qtbot.addWidget(shown)
    shown.resize(1400, 900)
    return shown


def test_amendment_sits_directly_under_what_it_corrects(view, amended):
    uid, first, correction = amended
    view.load(uid)
    order = seqs(view)
    assert order.index(correction.seq) == order.index(first.seq) + 1  # beside its target, not at its own time
    target_line = order.index(first.seq)
    texts, whats = lines(view), lines(view, WHAT)
    assert "Client said the room was too warm" in texts[target_line]
    assert f"amended: see #{correction.seq}" in texts[target_line]
    assert "blanket" in texts[target_line + 1] and whats[target_line + 1].startswith("↳")
    view.select_event(correction.seq)  # choosing a line shows it in full under the table
    assert view.event_detail.text().startswith(f"#{correction.seq} · ")
    assert "It was the blanket that was too warm, not the room" in view.event_detail.text()
    assert sorted(order) == list(range(1, len(order) + 1))  # every event shown exactly once


def test_a_correction_of_a_correction_follows_it_and_a_stray_amendment_keeps_its_time(view, workspace, amended):
    uid, first, correction = amended
    store = workspace.store
    second = amend(store, uid, correction, "Blanket removed at 09:04, not 09:03", at=700.0,
                   when="2026-03-02T09:11:40.000Z")
    stray = store.append(uid, Event(Kind.AMENDMENT, {"amends_seq": 999, "amends_kind": "note",
                                                     "text": "About an event that is not in this log"},
                                    800.0, "2026-03-02T09:13:20.000Z", "Ana", "onset"))
    view.load(uid)
    order, whats = seqs(view), lines(view, WHAT)
    at = order.index(first.seq)
    assert order[at + 1:at + 3] == [correction.seq, second.seq]  # the note, its correction, the correction's
    assert whats[at + 1].startswith("↳") and whats[at + 2].startswith("↳")
    assert order[-2:] == [stray.seq - 2, stray.seq]  # after the end of the session, when it was written
    assert not whats[-1].startswith("↳")  # nothing here to sit under
    assert sorted(order) == list(range(1, len(order) + 1))  # every event shown exactly once
    view.kinds.boxes["Notes & tags"].setChecked(False)
    order, whats = seqs(view), lines(view, WHAT)
    assert first.seq not in order and [correction.seq, second.seq] == [s for s in order if s in (correction.seq, second.seq)]


def test_vitals_line_carries_its_status_in_colour_and_words(view, amended):
    uid, *_ = amended
    view.load(uid)
    model = view.timeline_model
    row = next(r for r in range(model.rowCount()) if model.data(model.index(r, 0), ROW_ROLE).kind == Kind.VITALS)
    assert model.data(model.index(row, WHAT)) == "Vitals (urgent)"
    colour = model.data(model.index(row, DETAILS), Qt.ItemDataRole.ForegroundRole)
    assert colour == QColor(style.LEVEL_TEXT["urgent"])
    assert "BP 172/96" in model.data(model.index(row, DETAILS))


def test_kind_filter_hides_and_shows_groups(qtbot, view, amended):
    uid, first, correction = amended
    view.load(uid)
    everything = len(seqs(view))
    view.kinds.boxes["Notes & tags"].setChecked(False)
    shown = seqs(view)
    assert first.seq not in shown and correction.seq in shown  # the correction still shows, where it belongs
    view.kinds.boxes["Vitals"].setChecked(False)
    assert all(view.timeline_model.data(view.timeline_model.index(r, WHAT)) != "Vitals (urgent)"
               for r in range(view.timeline_model.rowCount()))
    for box in view.kinds.boxes.values():
        box.setChecked(True)
    assert len(seqs(view)) == everything


def test_the_line_read_in_full_never_belongs_to_the_session_opened_before(view, workspace, protocol, amended):
    uid, first, _ = amended
    other = add_session(workspace.store, protocol, client="B-7")
    view.load(uid)
    view.select_event(first.seq)
    assert "too warm" in view.event_detail.text()
    view.load(other)  # back to the list, then another session: its timeline is rebuilt
    assert "client B-7" in view.title.text()
    assert view.event_detail.text() == "Choose a line to read it in full here."
    view.select_event(1)
    assert "client B-7" in view.event_detail.text()


def test_the_chosen_line_stays_chosen_through_a_sign_off_and_goes_when_filtered_out(qtbot, view, amended):
    uid, first, correction = amended
    view.load(uid)
    view.select_event(correction.seq)
    qtbot.keyClicks(view.signoff.comment, "Reviewed.")
    with qtbot.waitSignal(view.signed):
        qtbot.mouseClick(view.signoff.button, Qt.MouseButton.LeftButton)
    assert view.event_detail.text().startswith(f"#{correction.seq} · ")  # still reading the same line
    assert seqs(view)[view.timeline.currentIndex().row()] == correction.seq
    view.kinds.boxes["Vitals"].setChecked(False)  # the correction is still shown: it stays chosen
    assert view.event_detail.text().startswith(f"#{correction.seq} · ")
    view.select_event(first.seq)
    view.kinds.boxes["Notes & tags"].setChecked(False)  # the chosen note is hidden: nothing is described
    assert view.event_detail.text() == "Choose a line to read it in full here."
    assert not view.timeline.currentIndex().isValid()


def test_signing_off_appends_to_the_chain_and_stays_intact(qtbot, view, workspace, amended):
    uid, *_ = amended
    view.load(uid)
    assert view.signoff.status.text() == "Not signed off yet."
    qtbot.keyClicks(view.signoff.comment, "Reviewed: BP rise handled well.")
    with qtbot.waitSignal(view.signed):
        qtbot.mouseClick(view.signoff.button, Qt.MouseButton.LeftButton)
    events = workspace.store.events(uid)
    assert events[-1].kind == Kind.SIGNOFF and events[-1].author == "Dr Rao"
    assert events[-1].payload == {"comment": "Reviewed: BP rise handled well.", "role": "supervisor"}
    assert workspace.store.verify(uid)[0].intact
    assert view.badge.text() == "✓ Record intact"
    assert "Signed off by Dr Rao" in view.signoff.status.text()
    assert view.signoff.comment.toPlainText() == ""
    assert "Sign-off" in lines(view, WHAT)  # the sign-off is on the timeline too
    assert "Reviewed: BP rise handled well." in view.details.toPlainText()


def test_amendment_after_signoff_is_marked(qtbot, view, workspace, amended):
    uid, first, early = amended
    store = workspace.store
    store.append(uid, Event(Kind.SIGNOFF, {"comment": "ok", "role": "supervisor"}, 3600.0,
                            "2026-03-03T09:00:00.000Z", "Dr Rao", ""))
    late = amend(store, uid, first, "Also: asked for the window open", at=3600.0, when="2026-03-03T10:00:00.000Z")
    view.load(uid)
    model = view.timeline_model
    late_line, early_line = model.line_of(late.seq), model.line_of(early.seq)
    assert late_line == early_line + 1  # both corrections under the note, in order
    assert model.data(model.index(late_line, DETAILS)).startswith("AMENDED AFTER SIGN-OFF")
    assert model.data(model.index(late_line, DETAILS), Qt.ItemDataRole.BackgroundRole) == \
        QColor(style.AFTER_SIGNOFF_BACKGROUND)
    assert not model.data(model.index(early_line, DETAILS)).startswith("AMENDED AFTER")
    assert model.data(model.index(early_line, DETAILS), Qt.ItemDataRole.BackgroundRole) is None
    assert view.signoff.status.property("amendedAfter") is True
    assert "1 amendment was made AFTER the first sign-off" in view.signoff.status.text()


def test_badge_shows_where_a_tampered_record_breaks(qtbot, view, workspace, amended):
    uid, first, _ = amended
    view.load(uid)
    assert view.badge.property("intact") == "true"
    workspace.close()
    tamper_payload(workspace.folder / "kaproom.sqlite3", uid, first.seq, '{"text":"Nothing to note"}')
    from kaproom.services.workspace import Workspace
    reopened = Workspace(workspace.folder, workspace.clock)
    try:
        fresh = SessionView(reopened, "Dr Rao")
        qtbot.addWidget(fresh)
        fresh.load(uid)
        assert fresh.badge.text() == f"✗ Record broken at event {first.seq}"
        assert fresh.badge.property("intact") == "false"
        assert "altered" in fresh.badge.toolTip()
        model = fresh.timeline_model
        broken_line = model.line_of(first.seq)
        assert model.data(model.index(broken_line, DETAILS)).startswith("RECORD BROKEN HERE")
        assert "Nothing to note" in model.data(model.index(broken_line, DETAILS))
        assert not fresh.signoff.button.isEnabled()
        assert f"broken at event {first.seq}: it cannot be signed off" in fresh.signoff.status.text()
        qtbot.keyClicks(fresh.signoff.comment, "fine")
        assert fresh.signoff.sign() is None  # even if asked directly, nothing is written
        assert f"broken at event {first.seq}" in fresh.signoff.message.text()
        assert fresh.signoff.comment.toPlainText() == "fine"  # the typed comment is kept
        assert not reopened.store.events(uid, (Kind.SIGNOFF,))
    finally:
        reopened.close()


def test_open_session_cannot_be_signed_yet(qtbot, view, workspace, protocol):
    runner = workspace.new_session(protocol, "C-77", "Ana")
    view.load(runner.session_uid)
    assert not view.signoff.button.isEnabled()
    facts = view.facts.text()
    assert "started 2026-03-02 09:00 · still open · " in facts  # said once, with no empty length
    assert "—" not in facts and facts.count("still open") == 1


def test_the_facts_of_an_ended_session_give_its_span_and_length(view, workspace, protocol):
    uid = add_session(workspace.store, protocol, client="C-79", duration=3600.0)
    view.load(uid)
    assert "Room 1 · therapist Ana · " in view.facts.text()
    assert " · 2026-03-02 09:00–" in view.facts.text() and "(1:00:00) · discharged · " in view.facts.text()


def test_typed_markup_is_shown_as_text(qtbot, view, workspace, protocol):
    runner = workspace.new_session(protocol, "C-78", "Ana", intention="<b>be</b> & <a href='x'>see</a>")
    view.load(runner.session_uid)
    assert "<b>be</b> & <a href='x'>see</a>" in view.details.toPlainText()


def test_review_colours_have_enough_contrast():
    from kaproom.ui.kit.theme import contrast_ratio
    low = [(what, round(contrast_ratio(fg, bg), 2)) for what, fg, bg in style.TEXT_PAIRS
           if contrast_ratio(fg, bg) < 4.5]
    assert low == []


def test_viewing_is_audited_once_users_exist(qtbot, workspace, amended):
    from kaproom.services.people import People
    uid, *_ = amended
    people = People.of(workspace)
    admin = people.add_user(None, "Admin", "admin", "correct horse battery")
    rao = people.add_user(admin, "Rao", "supervisor", "836159")
    view = SessionView(workspace, user=rao)
    qtbot.addWidget(view)
    view.load(uid)
    viewed = [e for e in people.audit(viewer=rao) if e.kind == "session_viewed"]
    assert viewed and viewed[0].payload["session"] == uid and viewed[0].author == "Rao"


def test_at_1366x768_the_line_under_the_table_shows_the_whole_text_of_the_row_the_arrows_reach(
        qtbot, view, workspace, protocol):
    uid = add_session(workspace.store, protocol, duration=None)
    long_text = ("Long pause, then spoke about the lake house and her father's boat; asked for the blanket; "
                 "breathing slow and even, eyes closed; said the music felt like rain on the roof. ") * 2
    note(workspace.store, uid, long_text)
    view.resize(1366, 768)
    view.show()
    view.load(uid)
    view.timeline.setFocus()
    for _ in seqs(view):  # down the table with the arrow key, no click
        qtbot.keyClick(view.timeline, Qt.Key.Key_Down)
        if long_text.strip() in view.event_detail.text():
            break
    detail = view.event_detail
    assert long_text.strip() in detail.text()
    qtbot.waitUntil(lambda: detail.height() >= detail.heightForWidth(detail.width()))  # none of it cut
