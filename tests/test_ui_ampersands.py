"""Protocol and record text with '&' in it shows as written on buttons: Qt reads a single '&' there
as the mark of an Alt+letter key, hid it and underlined the next character ('Arrival _intention'
on the home page's Resume button)."""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QPushButton

from kaproom.ui.shell.home import HomeWindow
from tests._room_helpers import open_room, press


def shown(text: str) -> str:
    """What a button with this text shows, once Qt has taken any '&' mark out."""
    assert QKeySequence.mnemonic(text).isEmpty(), f"{text!r} would take an Alt+letter key"
    return text.replace("&&", "&")


def test_the_resume_button_names_the_phase_as_the_protocol_writes_it(qtbot, workspace, protocol):
    workspace.new_session(protocol, "C-0042", "Dr Ana")  # open, in "Arrival & intention"
    home = HomeWindow(workspace)
    qtbot.addWidget(home)
    [resume] = home.resume_buttons
    assert "client C-0042, Arrival & intention phase" in shown(resume.text())


def test_prompt_buttons_and_tag_buttons_show_an_ampersand_as_written(qtbot, workspace, protocol):
    tags = (replace(protocol.quick_tags[0], label="Tearful & calm"), *protocol.quick_tags[1:])
    runner = workspace.new_session(replace(protocol, quick_tags=tags), "C-0042", "Dr Ana")
    while runner.state.phase.id != "return":
        runner.advance("quick")
    room = open_room(qtbot, workspace, runner)
    assert shown(room.findChild(QPushButton, "tag0").text()) == "F1  Tearful & calm"
    press(room, "Ctrl+Shift+N")
    [move_on] = room.prompt.buttons
    assert shown(move_on.text()) == "Move on to Integration & discharge"
