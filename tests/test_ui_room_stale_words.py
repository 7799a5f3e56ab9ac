"""Stale and repeated words (issue 26, point 7): the start page's error goes once every field is
filled, and a music that cannot play is said in one place, once, and Ctrl+D does not say it again."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from kaproom.playback import NO_LIBVLC, PlaybackUnavailable
from kaproom.ui.music import strip as music_strip
from kaproom.ui.start.page import StartPage
from tests._room_helpers import open_room, press


@pytest.fixture
def page(qtbot, workspace):
    page = StartPage(workspace)
    qtbot.addWidget(page)
    page.show()
    return page


def test_the_start_pages_error_follows_the_fields_and_goes_once_every_one_is_filled(qtbot, page) -> None:
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    assert page.error.isVisible() and "every screening question" in page.error.text()
    qtbot.keyClicks(page.client_code, "C-0042")
    qtbot.keyClicks(page.therapist, "Dr Ada")
    assert page.error.isVisible() and "every screening question" in page.error.text()
    assert "client code" not in page.error.text().lower() and "therapist" not in page.error.text().lower()
    for qid in page.screening_groups:
        page.findChild(QWidget, f"screening_{qid}_no").click()
    assert not page.error.isVisible(), page.error.text()  # nothing left to fix: no stale words


def on_screen(room) -> list[str]:
    """Every text the therapist can read on the room screen now (labels shown, the log's lines)."""
    shown = [label.text() for label in room.findChildren(QLabel) if label.isVisible()]
    return shown + room.log_view.lines()


def test_music_that_cannot_play_is_said_once_and_ctrl_d_does_not_say_it_again(qtbot, workspace, protocol) -> None:
    runner = workspace.new_session(protocol, "C-0042", "Dr Ada", "Room 2")

    def no_vlc():
        raise PlaybackUnavailable(NO_LIBVLC)

    room = open_room(qtbot, workspace, runner)
    music_strip.install(room, no_vlc)
    qtbot.waitUntil(lambda: any("libvlc" in text for text in on_screen(room)))

    def said() -> list[str]:
        return [text for text in on_screen(room) if "libvlc is not installed" in text]

    assert len(said()) == 1, said()
    press(room, "Ctrl+D")
    assert len(said()) == 1, said()
    assert "Music is off" in room.status.text() and "banner" in room.status.text(), room.status.text()
