"""The room's look: every text colour passes WCAG AA against its background, the fonts are large,
nothing animates or blinks, and nothing in the app can make a sound."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel

from kaproom.ui.kit import theme
from kaproom.ui.kit.theme import TEXT_PAIRS, UI_PAIRS, contrast_ratio
from tests._room_helpers import activate, open_room

PACKAGE = Path(theme.__file__).resolve().parents[2]  # kaproom/ui/kit/theme.py -> kaproom
colours = st.integers(0, 0xFFFFFF).map(lambda n: f"#{n:06x}")


def test_contrast_ratio_matches_known_wcag_values() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#123456", "#123456") == pytest.approx(1.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic near miss
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    with pytest.raises(ValueError):
        contrast_ratio("red", "#000000")


@given(colours, colours)
def test_contrast_ratio_is_symmetric_and_bounded(a: str, b: str) -> None:
    ratio = contrast_ratio(a, b)
    assert 1.0 <= ratio <= 21.0
    assert ratio == pytest.approx(contrast_ratio(b, a))


@pytest.mark.parametrize("what, foreground, background", TEXT_PAIRS, ids=[p[0] for p in TEXT_PAIRS])
def test_every_text_colour_meets_wcag_aa(what: str, foreground: str, background: str) -> None:
    assert contrast_ratio(foreground, background) >= 4.5, what


@pytest.mark.parametrize("what, foreground, background", UI_PAIRS, ids=[p[0] for p in UI_PAIRS])
def test_controls_one_must_see_meet_three_to_one(what: str, foreground: str, background: str) -> None:
    assert contrast_ratio(foreground, background) >= 3.0, what


def test_every_colour_in_the_style_sheet_is_a_checked_one() -> None:
    used = set(re.findall(r"#[0-9a-fA-F]{6}", theme.stylesheet()))
    checked = {c for _, f, b in TEXT_PAIRS + UI_PAIRS for c in (f, b)} | {theme.BORDER}
    assert used <= checked, used - checked


def offending_lines(paths, pattern: str) -> list[str]:
    forbidden = re.compile(pattern)
    return [f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}"
            for path in paths
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if forbidden.search(line)]


def test_no_sound_anywhere_in_the_app() -> None:
    offenders = offending_lines(PACKAGE.rglob("*.py"),
                                r"\.beep\(|QSound|QSoundEffect|QtMultimedia|QMediaPlayer|\\a[\"']|\\x07")
    assert not offenders, "\n".join(offenders)


def test_the_room_screens_use_no_message_boxes() -> None:
    """A message box can ring the desktop's alert sound and covers the clock: the room asks in place."""
    ui = PACKAGE / "ui"
    mine = [*(ui / "room").glob("*.py"), *(ui / "music").glob("*.py"), *(ui / "vitals").glob("*.py"),
            ui / "start" / "page.py", ui / "shell" / "home.py", *(PACKAGE / "cli" / "app").glob("*.py")]
    assert all(path.is_file() for path in mine) and len(mine) > 8, "the room's sources were read"
    offenders = offending_lines(mine, r"QMessageBox|QDialog\b")
    assert not offenders, "\n".join(offenders)


def test_theme_turns_off_animation_and_the_blinking_caret(qapp, qtbot) -> None:
    """The caret at once; menu and tooltip effects once the first window is up (no first picture
    has a menu, and naming the effects costs start-up ~20 ms)."""
    style_sheet, palette = qapp.styleSheet(), qapp.palette()
    effects = (Qt.UIEffect.UI_AnimateMenu, Qt.UIEffect.UI_FadeMenu, Qt.UIEffect.UI_AnimateCombo,
               Qt.UIEffect.UI_AnimateTooltip, Qt.UIEffect.UI_FadeTooltip)
    for effect in (Qt.UIEffect.UI_General, *effects):  # the others read as off while UI_General is
        qapp.setEffectEnabled(effect, True)
    assert all(qapp.isEffectEnabled(effect) for effect in effects)
    try:
        theme.apply_theme(qapp)
        assert qapp.cursorFlashTime() == 0
        window = QLabel("first window")
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: not any(qapp.isEffectEnabled(effect) for effect in effects))
    finally:
        qapp.setStyleSheet(style_sheet)
        qapp.setPalette(palette)
        qapp.setCursorFlashTime(1000)


def test_room_fonts_are_large_and_every_control_has_an_accessible_name(qtbot, workspace, protocol) -> None:
    from PySide6.QtWidgets import QAbstractButton, QLineEdit, QListWidget, QPlainTextEdit
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    room = open_room(qtbot, workspace, runner)
    room.ensurePolished()
    assert room.clock_label.font().pointSizeF() >= 48
    assert room.note_input.font().pointSizeF() >= 13
    assert room.log_view.font().pointSizeF() >= 12
    controls = [w for kind in (QAbstractButton, QLineEdit, QListWidget, QPlainTextEdit) for w in room.findChildren(kind)]
    assert controls
    assert [w.objectName() for w in controls if not w.accessibleName()] == []


def test_everything_open_at_once_still_fits_a_1366x768_screen(qtbot, workspace, protocol) -> None:
    """Nothing may push the window past a small laptop screen: questions, errors, help, panels, banners."""
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    room = open_room(qtbot, workspace, runner)
    tall_panel = QLabel("\n".join(f"panel line {n}" for n in range(60)))
    room.add_panel(tall_panel)
    for text in ("Music unavailable: libvlc is not installed", "URGENT: SpO2 90 % is below 92 %"):
        room.add_banner(QLabel(text))
    room.toggle_shortcut_help()
    room.commands.end_early()
    room._on_save_failed("Could not save the note: the database is locked by another program. " * 3)
    room.show_status("A long status line that wraps " * 6, "error")
    qtbot.waitUntil(lambda: tall_panel.isVisible() and room.save_error.isVisible())
    hint = room.minimumSizeHint()
    assert hint.height() <= 768 and hint.width() <= 1366, hint
    room.resize(1366, 768)
    qtbot.waitUntil(lambda: room.height() == 768)
    assert room.clock_label.geometry().height() >= room.clock_label.sizeHint().height()
    assert room.log_view.height() >= 100  # the log keeps a readable share


@pytest.fixture
def themed(qapp):
    """The app's own style sheet and palette (bold, coloured levels), as the real app has them."""
    style_sheet, palette = qapp.styleSheet(), qapp.palette()
    qapp.setPalette(palette)
    qapp.setStyleSheet(theme.stylesheet())
    yield qapp
    qapp.setStyleSheet(style_sheet)
    qapp.setPalette(palette)


def test_long_header_and_strip_texts_wrap_instead_of_widening_the_window(qtbot, themed, workspace, short_protocol,
                                                                         clock) -> None:
    """Late in a session the header says the most: an over-time last phase naming its key and a
    check overdue with no dose recorded. Those lines wrap; the window never grows past the screen."""
    runner = workspace.new_session(short_protocol, "C-1", "Dr A")
    room = open_room(qtbot, workspace, runner, demo=True, extensions=("kaproom.ui.vitals.panel",))
    clock.advance(29.5 * 60)  # into the last phase, well over its time, and no dose recorded
    room.controller.tick()
    assert "vitals needed before discharge (F9)" in room.phase_label.text()
    assert "dose not recorded" in room.vitals_due.text() and room.demo_marker.isVisible()
    assert room.vitals_due.property("level") == "overdue"  # in bold, the widest it gets
    room.show_status("Integration & discharge began on time. " * 4, "info")
    QApplication.processEvents()  # the layouts take the new texts (Qt posts that as an event)
    hint = room.minimumSizeHint()
    assert hint.width() <= 1366, hint
    assert room.width() == 1366  # it did not grow past the screen
    right = room.demo_marker.mapTo(room, room.demo_marker.rect().topRight()).x()
    assert right < 1366  # the DEMO marker, at the far right of the header, is on screen
    assert room.vitals_due.height() >= room.vitals_due.heightForWidth(room.vitals_due.width())  # wrapped, not cut


def test_the_last_check_and_the_whole_check_in_form_show_on_a_1366x768_screen(qtbot, themed, workspace,
                                                                               protocol) -> None:
    """The last check's values (what the therapist glances at) and every field fit the side panel
    of a small laptop screen without scrolling, with the music strip and the DEMO marker shown."""
    from kaproom.playback.fake_player import FakePlayer
    from kaproom.ui.music import strip as music_strip
    from kaproom.ui.room.controller import SessionController
    from kaproom.ui.room.window import RoomWindow
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    room = RoomWindow(SessionController(workspace, runner), demo=True, extensions=("kaproom.ui.vitals.panel",))
    music_strip.install(room, lambda: [FakePlayer("a"), FakePlayer("b")])
    qtbot.addWidget(room)
    room.resize(1366, 768)
    room.show()
    qtbot.waitExposed(room)
    QApplication.processEvents()
    form, area = room.vitals.form, room.vitals.scroll
    viewport = area.viewport()
    assert area.verticalScrollBar().maximum() == 0, form.sizeHint().height() - viewport.height()
    for widget in (form.result, form.save_button, form.comment, form.fields["systolic"]):
        bottom = widget.mapTo(viewport, widget.rect().bottomLeft()).y()
        assert 0 <= bottom <= viewport.height(), widget.objectName()
    # After a scored check-in, the last check takes three lines and its NEWS2 one or two more:
    # every field, down to the comment, is still in view (Save may be cut; Enter saves).
    from tests._vitals_helpers import COMPLETE, fill, save
    activate(qtbot, room)

    def in_view(*widgets) -> None:
        for widget in widgets:
            top = widget.mapTo(viewport, widget.rect().topLeft()).y()
            bottom = widget.mapTo(viewport, widget.rect().bottomLeft()).y()
            assert top >= 0 and bottom <= viewport.height(), widget.objectName()

    fill(room, **COMPLETE)
    save(room)
    qtbot.waitUntil(lambda: form.news2.isVisible() and "Last check" in form.result.text())
    QApplication.processEvents()
    assert form.result.height() > 2 * form.fontMetrics().height()  # the values wrapped onto more lines
    in_view(form.result, form.news2, form.fields["systolic"], form.oxygen, form.comment)
    # After one that raises an alert banner (which takes height from the panel): the check, its
    # NEWS2 and the fields are in view; the comment and Save may scroll (Enter saves from any field).
    fill(room, **{**COMPLETE, "systolic": "182/96"})
    save(room)
    qtbot.waitUntil(lambda: form.news2.isVisible() and "182/96" in form.result.text())
    QApplication.processEvents()
    for widget in (form.result, form.news2, form.fields["systolic"], form.fields["spo2"]):
        top = widget.mapTo(viewport, widget.rect().topLeft()).y()
        bottom = widget.mapTo(viewport, widget.rect().bottomLeft()).y()
        assert top >= 0 and bottom <= viewport.height(), widget.objectName()


@pytest.mark.parametrize("width, height", [(1920, 1080), (2560, 1440)])
def test_on_a_larger_screen_the_side_panel_is_wide_enough_for_its_larger_text(qtbot, themed, workspace, protocol,
                                                                               monkeypatch, width, height) -> None:
    """The room's fonts grow with the screen; the vitals panel must grow with them, not cut off
    its title, the last check or the right-hand fields (at 2560x1440 its widest, fixed for a
    laptop, cut "Vitals (F9) · dose given (F1" and the fields)."""
    from kaproom.ui.room.controller import SessionController
    from kaproom.ui.room.window import RoomWindow
    monkeypatch.setattr(RoomWindow, "apply_sizes", lambda self: self.size_for_screen(height))
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    room = RoomWindow(SessionController(workspace, runner), extensions=("kaproom.ui.vitals.panel",))
    qtbot.addWidget(room)
    room.resize(width, height)
    room.show()
    qtbot.waitExposed(room)
    QApplication.processEvents()
    form, viewport = room.vitals.form, room.vitals.scroll.viewport()
    assert form.width() <= viewport.width(), (form.width(), viewport.width())
    title = form.findChild(QLabel, "vitalsTitle")
    assert title.sizeHint().width() <= title.width()  # "Vitals (F9) · dose given (F10)" in full
    temperature = form.fields["temperature"]
    assert temperature.mapTo(viewport, temperature.rect().topRight()).x() < viewport.width()
    assert room.log_view.width() >= width * 0.6  # the log still has most of the screen


def test_fractional_screen_scales_are_followed_as_they_are(qapp, monkeypatch):
    """A 1.25 or 1.5 screen scale is not rounded to 1 or 2 (blurry or oversized text in the room):
    KAP Room relies on Qt 6's default rounding policy for it and sets nothing at start-up."""
    import os

    from PySide6.QtGui import QGuiApplication
    if os.environ.get("QT_SCALE_FACTOR_ROUNDING_POLICY"):
        pytest.skip("the machine sets its own rounding policy")
    assert QGuiApplication.highDpiScaleFactorRoundingPolicy() == Qt.HighDpiScaleFactorRoundingPolicy.PassThrough


def test_the_app_is_made_with_the_room_style_from_the_start(tmp_path):
    """Made by new_application (as the app and the review are), in a process of its own: the
    Fusion style is there before any window, without setting it afterwards, even where the
    desktop asks for another style."""
    import subprocess
    import sys
    code = ("from kaproom.ui.kit.theme import apply_theme, new_application\n"
            "app = new_application(['kaproom'])\n"
            "print(app.style().name())\n"
            "apply_theme(app)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen", "QT_STYLE_OVERRIDE": "windows"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().lower() == "fusion"
