"""The room's log words and the default vitals line: what the therapist reads for each kind of entry,
corrections shown under their original, and the next check from the protocol's schedule."""
from __future__ import annotations

from PySide6.QtWidgets import QApplication, QMenu

from kaproom.domain.events import Event, Kind, RecordedEvent
from kaproom.domain.session import SessionState, State
from kaproom.ui.room.log_text import line_for
from kaproom.ui.room.log_view import AMENDMENT_PREFIX
from kaproom.ui.room.schedule import vitals_due_text
from tests._room_helpers import assert_log_matches_store, open_room, press


def recorded(kind: str, payload: dict, at: float = 600.0, seq: int = 9) -> RecordedEvent:
    return RecordedEvent(kind=kind, payload=payload, session_time=at, seq=seq)


def test_each_kind_reads_as_a_person_would_say_it(protocol) -> None:
    lines = {
        Kind.VITALS: {"systolic": 128, "diastolic": 84, "pulse": 72, "spo2": 97, "respiratory_rate": None,
                      "moaas": 5, "nausea": "mild", "news2": {"score": 1, "band": "low"}, "comment": "", "partial": True},
        Kind.DOSE: {"route": "sublingual lozenge", "effective_time": 600.0},
        Kind.ALERT: {"level": "urgent", "field": "spo2", "value": 90, "reason": "SpO2 90 % is below 92 %"},
        Kind.CLOCK_JUMP: {"jump_seconds": -3600},
        Kind.PHASE_EXTENDED: {"minutes": 10, "phase": "deep"},
        Kind.SCREENING: {"answers": {"fasting": True, "psychosis": False}, "proceed_confirmed": True},
        Kind.SESSION_ENDED: {"outcome": "ended_early", "reason": "client unwell"},
    }
    text = {kind: line_for(recorded(kind, payload), protocol) for kind, payload in lines.items()}
    assert text[Kind.VITALS] == ("0:10:00   Vitals   BP 128/84, pulse 72, SpO2 97 %, MOAA/S 5, nausea mild, "
                                 "NEWS2 1 (low)")
    assert text[Kind.DOSE] == "0:10:00   Dose   Dose given: sublingual lozenge"
    unnamed = recorded(Kind.DOSE, {"route": "", "without_baseline": True})  # a protocol without dose_route
    assert line_for(unnamed, protocol) == "0:10:00   Dose   Dose given (no baseline vitals)"
    assert text[Kind.ALERT] == "0:10:00   Alert   URGENT: SpO2 90 % is below 92 %"
    assert text[Kind.CLOCK_JUMP].endswith("Computer clock jumped back 60 min; session time unaffected")
    assert text[Kind.PHASE_EXTENDED].endswith("Deep extended by 10 min")
    assert text[Kind.SCREENING].endswith("YES to: Ate within the last 2 hours - proceeding on clinical judgement")
    assert text[Kind.SESSION_ENDED].endswith("Session ended early: client unwell")
    assert line_for(recorded(Kind.MUSIC, {"action": "volume", "volume": 40}), protocol) is None
    assert line_for(recorded(Kind.MUSIC, {"action": "error", "title": "Tide", "message": "file missing"}),
                    protocol).endswith("Could not play Tide: file missing")
    late = recorded(Kind.PHASE_CHANGED, {"index": 3, "to": "deep", "from": "onset", "how": "manual",
                                         "effective_time": 3000.0, "early_by_seconds": -300.0, "reason": "still onset"},
                    at=3000.0)
    assert line_for(late, protocol) == "0:50:00   Phase   Deep (moved on by hand, 5 min late): still onset"
    caught_up = recorded(Kind.PHASE_CHANGED, {"index": 1, "to": "dosing", "how": "auto", "effective_time": 1200.0},
                         at=1500.0)
    assert line_for(caught_up, protocol).startswith("0:20:00")  # when it happened, not when the app caught up


def test_corrections_sit_under_their_original_and_the_menu_offers_one(qtbot, workspace, protocol, clock) -> None:
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    room = open_room(qtbot, workspace, runner)
    first = room.controller.note("Pulse fast")
    clock.advance(60)
    room.controller.note("Asleep")
    room.controller.amend(first, "Pulse normal on recheck")
    room.controller.amend(first, "Recheck was at 0:01")
    lines = room.log_view.lines()
    at = lines.index("0:00:00   Note   Pulse fast")
    assert lines[at + 1] == AMENDMENT_PREFIX + "0:01:00   Amendment   amends note 4: Pulse normal on recheck"
    assert lines[at + 2].endswith("Recheck was at 0:01") and lines[at + 3].endswith("Note   Asleep")
    # Right-click the original: the menu's action opens the correction question for it.
    log = room.log_view
    rect = log.visualItemRect(log.item(at))
    log._context_menu(rect.center())
    menu = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMenu) and w.isVisible())
    menu.actions()[0].trigger()
    menu.close()
    assert room.prompt.is_open and room.prompt.field.text() == "Pulse fast"
    assert room.prompt.title.text().startswith("Correct the note at 0:00:00 (\u201cPulse fast\u201d)")
    room.prompt.field.setText("Third correction")
    press(room, "Return")
    assert room.log_view.lines()[at + 3].endswith("Third correction")
    assert_log_matches_store(room, workspace, runner)


def test_only_entries_that_can_be_corrected_offer_it(qtbot, workspace, protocol) -> None:
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    room = open_room(qtbot, workspace, runner)
    started = next(e for e in workspace.store.events(runner.session_uid) if e.kind == Kind.SESSION_STARTED)
    room.commands.amend(started)
    assert not room.prompt.is_open and "can be corrected" in room.status.text()
    press(room, "Ctrl+Shift+A")  # nothing to correct yet
    assert not room.prompt.is_open and "no note or tag" in room.status.text()


def state_after(protocol, events: list[Event]) -> SessionState:
    return SessionState.replay(protocol, events)


def test_default_vitals_line_follows_the_protocol_schedule(protocol) -> None:
    running = [Event(Kind.SESSION_STARTED), Event(Kind.PHASE_CHANGED, {"index": 0})]
    state = state_after(protocol, running)
    assert vitals_due_text(protocol, state, [], 60) == ("Vitals: baseline due before the dose", "ok")
    at_dose = state_after(protocol, running + [Event(Kind.PHASE_CHANGED, {"index": 1, "effective_time": 1200})])
    assert vitals_due_text(protocol, at_dose, [], 1250) == ("Vitals: baseline due before the dose", "soon")
    assert vitals_due_text(protocol, at_dose, [300.0], 1250) == ("Vitals: baseline taken", "ok")
    dosed = state_after(protocol, running + [Event(Kind.DOSE, {"effective_time": 1300.0})])
    # 40 min after the dose (at 3700 s), then every 30 min; "soon" within 5 min.
    assert vitals_due_text(protocol, dosed, [300.0], 3700 - 7 * 60) == ("Vitals in 7 min", "ok")
    assert vitals_due_text(protocol, dosed, [300.0], 3700 - 3 * 60) == ("Vitals in 3 min", "soon")
    assert vitals_due_text(protocol, dosed, [300.0], 3700 + 20) == ("Vitals due now", "overdue")
    assert vitals_due_text(protocol, dosed, [300.0], 3700 + 3 * 60 + 5) == ("Vitals overdue 3 min", "overdue")
    assert vitals_due_text(protocol, dosed, [300.0, 3650.0], 3700 + 60) == ("Vitals in 29 min", "ok")
    ended = state_after(protocol, running + [Event(Kind.SESSION_ENDED, {"outcome": State.DISCHARGED.value})])
    assert vitals_due_text(protocol, ended, [], 9000)[0] == "Vitals: session ended"
