"""The room's screen stays still (issue 26, point 8): a long status message, an alert banner, the
last phase's long headline and the privacy cover move nothing: messages keep one line (the whole
text in the tooltip), banners have their reserved place."""
from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QPoint, QRect

from kaproom.ui.kit.theme import apply_theme
from tests._vitals_helpers import COMPLETE, MIN, fill, open_vitals_room, press, save, visible_banners

SHOTS = os.environ.get("KAPROOM_SHOTS", "")  # a folder: the test saves what it saw there, to look at
LONG = ("The music is already at the clinic's ceiling, 70; a louder level needs the clinic's setting changed by "
        "whoever keeps the protocol, and the session goes on as it is meanwhile. " * 3).strip()


def where(room, widget) -> QRect:
    return QRect(widget.mapTo(room, QPoint(0, 0)), widget.size())


def shot(room, name: str) -> None:
    if SHOTS:
        room.grab().save(os.path.join(SHOTS, f"{name}-{room.width()}x{room.height()}.png"))


@pytest.fixture(autouse=True)
def themed(qapp):
    """Screenshots in the room's own colours (only when taken: the theme is the whole app's)."""
    if SHOTS:
        apply_theme(qapp)
    yield
    if SHOTS:
        qapp.setStyleSheet("")


def one_line(label) -> bool:
    return label.height() < 1.8 * label.fontMetrics().height()


def test_a_long_message_and_a_banner_move_neither_the_note_field_nor_the_log(qtbot, workspace, protocol,
                                                                            clock) -> None:
    for size in ((1366, 768), (1920, 1080)):
        runner = workspace.new_session(protocol, f"C-{size[0]}", "Dr A")
        room = open_vitals_room(qtbot, workspace, runner)
        room.resize(*size)
        qtbot.waitUntil(lambda room=room, size=size: (room.width(), room.height()) == size)
        fill(room, **COMPLETE)
        save(room)
        press("Esc")
        qtbot.wait(20)
        note, log = where(room, room.note_input), where(room, room.log_view)
        shot(room, "still-before")
        fill(room, **{**COMPLETE, "spo2": "88", "respiratory_rate": "7"})
        save(room)
        press("Esc")
        assert visible_banners(room)
        room.show_status(LONG, "caution")
        qtbot.wait(20)
        shot(room, "still-after")
        assert where(room, room.note_input) == note
        assert where(room, room.log_view).top() == log.top()
        assert one_line(room.status) and room.status.toolTip() == LONG and room.status.text() == LONG
        room.close_now()


def test_the_headline_keeps_one_line_in_the_last_phase_and_under_the_privacy_cover(qtbot, workspace, protocol,
                                                                                  clock) -> None:
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    room = open_vitals_room(qtbot, workspace, runner)
    while not runner.state.is_last_phase:
        runner.advance()
    clock.advance(200 * MIN)
    room.controller.tick()
    qtbot.wait(20)
    shot(room, "headline")
    assert "Integration" in room.phase_label.text()
    assert one_line(room.phase_label) and one_line(room.vitals_due), room.phase_label.text()
    assert room.phase_label.toolTip() == room.phase_label.text()
    assert room.phase_label.shown()[1] == room.phase_label.text()  # whole, in a slightly smaller type
    headline = where(room, room.phase_label)
    press("F12")
    qtbot.wait(20)
    shot(room, "headline-private")
    assert one_line(room.phase_label) and where(room, room.phase_label) == headline


def test_the_banners_place_says_calmly_that_there_is_no_alert_and_keeps_the_log_still(qtbot, workspace, protocol,
                                                                                    clock) -> None:
    """With no alert the banners' reserved place showed as an empty strip above the log, like
    something missing. It now says, quietly, that there is no alert; an alert takes its place
    without moving the log, and once acknowledged the quiet words come back."""
    for size in ((1366, 768), (1920, 1080)):
        runner = workspace.new_session(protocol, f"C-{size[0]}", "Dr A")
        room = open_vitals_room(qtbot, workspace, runner)
        room.resize(*size)
        qtbot.waitUntil(lambda room=room, size=size: (room.width(), room.height()) == size)
        quiet = room.banner_quiet
        assert quiet.isVisible() and quiet.text() == "No alerts" and quiet.property("muted") == "true"
        assert room.banner_box.isAncestorOf(quiet) and quiet.height() >= quiet.fontMetrics().height()  # not cut
        log = where(room, room.log_view)
        shot(room, "banners-quiet")
        fill(room, **{**COMPLETE, "spo2": "88"})
        save(room)
        press("Esc")
        [banner] = visible_banners(room)
        assert not quiet.isVisible() and where(room, room.log_view).top() == log.top()
        shot(room, "banners-alert")
        assert banner.acknowledge()
        qtbot.waitUntil(lambda room=room: not visible_banners(room))
        assert quiet.isVisible() and where(room, room.log_view).top() == log.top()
        room.close_now()
