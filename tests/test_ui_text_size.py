"""The text-size setting (issue 26, point 10): normal, large, larger with one key (Ctrl+Shift+T),
remembered per room beside the night setting, and the room's layout stays fixed at 1366x768."""
from __future__ import annotations

import json
import os

from PySide6.QtWidgets import QApplication

from kaproom.ui.kit.theme import apply_theme
from kaproom.ui.shell.launcher import Launcher
from kaproom.ui.shell.night import DISPLAY_FILE, NIGHT_KEY, is_night
from kaproom.ui.shell.text_size import TEXT_SIZE_KEY
from tests._room_helpers import launcher_room, press

SHOTS = os.environ.get("KAPROOM_SHOTS", "")  # a folder: the test saves what it saw there, to look at


def test_one_key_makes_the_text_larger_in_the_same_layout_and_each_room_remembers_its_own(
        qtbot, workspace, protocol) -> None:
    app = QApplication.instance()
    apply_theme(app)
    try:
        launcher = Launcher(workspace)
        room = launcher_room(qtbot, launcher, protocol, "Room 2", size=(1366, 768))
        normal, clock = room.note_input.font().pointSizeF(), room.clock_label.font().pointSizeF()
        assert TEXT_SIZE_KEY in [key for key, _ in room.shortcuts.rows()]  # in the key list (Ctrl+/)
        press(room, TEXT_SIZE_KEY)
        qtbot.waitUntil(lambda: room.note_input.font().pointSizeF() > normal)
        assert "Text size: large" in room.status.text() and "Room 2" in room.status.text()
        press(room, TEXT_SIZE_KEY)
        qtbot.waitUntil(lambda: room.note_input.font().pointSizeF() >= 1.35 * normal)
        assert room.log_view.font().pointSizeF() > normal * 0.8 * 1.3
        assert room.clock_label.font().pointSizeF() == clock  # the clock is large already: it keeps its place
        press(room, NIGHT_KEY)  # the night setting is kept beside it
        QApplication.processEvents()
        hint = room.minimumSizeHint()
        assert hint.width() <= 1366 and hint.height() <= 768, hint  # the fixed layout still fits
        assert room.status.height() < 1.8 * room.status.fontMetrics().height()
        if SHOTS:
            for size in ((1366, 768), (1920, 1080)):
                room.resize(*size)
                qtbot.waitUntil(lambda size=size: room.height() == size[1])
                QApplication.processEvents()  # the layout after the resize
                room.grab().save(os.path.join(SHOTS, f"text-larger-{size[0]}x{size[1]}.png"))
            room.resize(1366, 768)
        stored = json.loads((workspace.folder / DISPLAY_FILE).read_text(encoding="utf-8"))
        assert stored["text_sizes"] == {"Room 2": "larger"} and stored["night_rooms"] == ["Room 2"]
        room.close_now()
        apply_theme(app)
        other = launcher_room(qtbot, launcher, protocol, "Room 3", size=(1366, 768))
        QApplication.processEvents()
        assert other.note_input.font().pointSizeF() == normal and not is_night(app)
        other.close_now()
        again = launcher_room(qtbot, launcher, protocol, "Room 2", size=(1366, 768))
        qtbot.waitUntil(lambda: again.note_input.font().pointSizeF() >= 1.35 * normal)
        assert is_night(app)
        press(again, TEXT_SIZE_KEY)  # round to normal again
        qtbot.waitUntil(lambda: again.note_input.font().pointSizeF() == normal)
        assert "Text size: normal" in again.status.text()
        stored = json.loads((workspace.folder / DISPLAY_FILE).read_text(encoding="utf-8"))
        assert stored["text_sizes"] == {} and stored["night_rooms"] == ["Room 2"]
        again.close_now()
    finally:
        apply_theme(app)


def test_the_key_list_names_the_night_key(qtbot, workspace, protocol) -> None:
    app = QApplication.instance()
    apply_theme(app)
    try:
        room = launcher_room(qtbot, Launcher(workspace), protocol, "Room 2", size=(1366, 768))
        assert NIGHT_KEY in [key for key, _ in room.shortcuts.rows()]  # in the key list (Ctrl+/)
        press(room, NIGHT_KEY)  # from the note field, as before
        assert is_night(app)
        room.close_now()
    finally:
        apply_theme(app)


def test_at_the_larger_text_on_a_1366x768_screen_no_room_panel_is_cut(qtbot, workspace, protocol) -> None:
    """At the larger text size the alert banner was wider than its place: its "Adverse event"
    button was cut at the log's edge and the reason shrank to "SpO…"; the rating scales' title,
    on one line, widened the side column to half the screen. The banner now gives its reason the
    room (the time and the key hint in tooltips), the scales' title wraps, and the Aldrete boxes
    show their hint "0-2" whole."""
    from PySide6.QtCore import QPoint, QRect

    from tests._vitals_helpers import fill, save, visible_banners

    def inside(widget, outer) -> bool:
        return QRect(outer.mapToGlobal(QPoint(0, 0)), outer.size()).contains(
            QRect(widget.mapToGlobal(QPoint(0, 0)), widget.size()))

    app = QApplication.instance()
    apply_theme(app)
    try:
        for size in ((1366, 768), (1920, 1080)):
            room = launcher_room(qtbot, Launcher(workspace), protocol, "Room 2", size=(1366, 768))
            room.resize(*size)
            qtbot.waitUntil(lambda room=room, size=size: room.height() == size[1])
            room.set_text_scale(1.4)
            fill(room, systolic="124/80", pulse="70", spo2="88", respiratory_rate="14")
            save(room)
            for panel in ("plain", "scales", "discharge"):
                if panel == "scales":
                    room.vitals.open_scales()
                if panel == "discharge":
                    room.vitals.close_scales()
                    room.vitals.open_discharge()
                    for box in room.vitals.discharge_panel.aldrete.fields.values():  # "0-2" was cut to "…"
                        QApplication.processEvents()
                        assert box.width() >= box.fontMetrics().horizontalAdvance("0-2") + 24, box.width()
                QApplication.processEvents()
                if SHOTS:
                    room.grab().save(os.path.join(SHOTS, f"larger-{panel}-{size[0]}x{size[1]}.png"))
                [banner] = visible_banners(room)
                place = room.banner_box.viewport()
                for part in (banner, banner.level_label, banner.text, banner.action, banner.ack_button,
                             banner.adverse_button):
                    assert inside(part, place), (size, panel, part.objectName() or part.text())
                assert banner.text.shown()[1] == banner.text.text() == "SpO2 88 % is below 92", (size, panel)
                assert banner.action.width() >= banner.action.fontMetrics().horizontalAdvance("Action taken")
                assert "0:00:00" in banner.level_label.text() + banner.level_label.toolTip()
                assert "Ctrl+Enter" in banner.adverse_button.text() + banner.adverse_button.toolTip()
                assert room.side.width() <= 0.4 * room.width(), (size, panel, room.side.width())
            room.vitals.close_discharge()
            room.close_now()
    finally:
        apply_theme(app)
