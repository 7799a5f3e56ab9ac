"""The review window as a supervisor uses it: list, open, sign, back, export, import, command line."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _review_helpers import add_session
from PySide6.QtCore import Qt

from kaproom.services.workspace import Workspace
from kaproom.ui.review import open_review
from kaproom.ui.review.list_model import COLUMNS


def column(name: str) -> int:
    return [heading for heading, _ in COLUMNS].index(name)


@pytest.fixture
def window(qtbot, workspace, protocol):
    add_session(workspace.store, protocol, therapist="Ana", client="A-1", cautions=1)
    add_session(workspace.store, protocol, therapist="Ben", client="B-1", when="2026-03-03T09:00:00.000Z")
    shown = open_review(workspace, "Dr Rao", lock=False)
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitExposed(shown)
    return shown


def clients(window) -> list[str]:
    model = window.model
    return [model.data(model.index(row, column("Client"))) for row in range(model.rowCount())]


def test_top_level_window_titled_for_review(window):
    assert window.isWindow() and window.windowTitle() == "KAP Room — review"
    assert clients(window) == ["B-1", "A-1"]
    assert window.totals.text() == "2 sessions · 1 with alerts · 2 not signed"


def test_open_sign_and_back_updates_the_list(qtbot, window, workspace):
    rect = window.table.visualRect(window.model.index(1, 0))
    # A real double-click is press, release, double-click: the view opens what was pressed.
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.pages.currentWidget() is window.session_view
    assert "client A-1" in window.session_view.title.text()
    qtbot.keyClicks(window.session_view.signoff.comment, "Caution handled.")
    qtbot.mouseClick(window.session_view.signoff.button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.session_view.back_button, Qt.MouseButton.LeftButton)
    assert window.pages.currentIndex() == 0
    signed = window.model.data(window.model.index(1, column("Signed off")))
    assert signed.startswith("Dr Rao")
    assert window.totals.text() == "2 sessions · 1 with alerts · 1 not signed"
    window.filters.not_signed.setChecked(True)
    assert clients(window) == ["B-1"]


def test_the_keyboard_starts_in_the_list_and_comes_back_to_the_session_just_reviewed(qtbot, window):
    """Down and Enter open the next session without the mouse; Back returns to that row."""
    window.show()
    qtbot.waitExposed(window)
    assert window.focusWidget() is window.table
    assert window.table.currentIndex().row() == 0 and window.table.selectionModel().isRowSelected(0)
    qtbot.keyClick(window.table, Qt.Key.Key_Down)
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    assert window.pages.currentWidget() is window.session_view
    assert "client A-1" in window.session_view.title.text()
    qtbot.keyClick(window.session_view.back_button, Qt.Key.Key_Return)
    assert window.pages.currentIndex() == 0 and window.focusWidget() is window.table
    assert window.table.currentIndex().row() == 1, "on the session just reviewed"


def test_tab_leaves_the_list_and_the_timeline_for_the_sign_off_and_exports(qtbot, window):
    """Tab inside a table used to move an invisible current cell along the row, and never left
    it: from the timeline a keyboard user could not reach the comment or the sign-off button."""
    from PySide6.QtWidgets import QApplication
    window.show()
    qtbot.waitExposed(window)

    def tabs_from(widget, count: int) -> list[str]:
        widget.setFocus()
        seen = []
        for _ in range(count):
            qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
            seen.append(QApplication.focusWidget().objectName())
        return seen

    assert "sessionList" not in tabs_from(window.table, 2)
    assert window.open_session(1)
    assert tabs_from(window.session_view.timeline, 3) == ["sessionDetails", "signoffComment", "signoffButton"]


def test_enter_on_a_row_opens_it(qtbot, window):
    window.table.setFocus()
    window.table.selectRow(0)
    window.table.setCurrentIndex(window.model.index(0, 0))
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    assert window.pages.currentWidget() is window.session_view
    assert "client B-1" in window.session_view.title.text()
    qtbot.keyClick(window.session_view.back_button, Qt.Key.Key_Return)  # a focused button answers Enter too
    assert window.pages.currentIndex() == 0


def test_open_button_without_a_choice_says_so(qtbot, window):
    window.table.clearSelection()  # the list starts on its first row; a supervisor may have cleared it
    qtbot.mouseClick(window.open_button, Qt.MouseButton.LeftButton)
    assert window.pages.currentIndex() == 0 and "Choose a session" in window.message.text()


def test_export_button_writes_the_file_and_shows_the_export(qtbot, window, workspace, tmp_path):
    window.open_session(1)
    bar = window.session_view.exports
    target = tmp_path / "report.pdf"
    bar.ask_path = lambda fmt, suggested, name_filter: str(target)
    qtbot.mouseClick(bar.buttons["pdf"], Qt.MouseButton.LeftButton)
    assert target.read_bytes().startswith(b"%PDF")
    assert "Saved" in bar.message.text() and str(target) in bar.message.text()
    from kaproom.domain.people import AuditKind
    from kaproom.services.people import People
    (audit,) = People.of(workspace).audit((AuditKind.SESSION_EXPORTED,))
    assert audit.payload["format"] == "pdf" and audit.payload["destination"] == str(target)
    details = window.session_view.details.toPlainText()
    assert "Exported" in details and f"PDF to {target}" in details  # where the record went, beside it


def test_export_to_a_missing_folder_is_a_message(qtbot, window, tmp_path):
    window.open_session(1)
    bar = window.session_view.exports
    bar.ask_path = lambda *_: str(tmp_path / "no" / "such" / "folder" / "r.csv")
    qtbot.mouseClick(bar.buttons["csv"], Qt.MouseButton.LeftButton)
    assert "does not exist" in bar.message.text() and bar.message.property("level") == "error"


def test_import_bundle_from_another_computer_shows_in_the_list(qtbot, window, tmp_path, clock, protocol):
    from kaproom.export.session_export import export_session
    with Workspace(tmp_path / "other-room", clock) as other:
        uid = add_session(other.store, protocol, therapist="Cleo", room="Room 9", client="Z-9",
                          when="2026-03-04T09:00:00.000Z")
        bundle = export_session(other, uid, "json", tmp_path / "z9.kaproom.json").path
    window.ask_bundle = lambda: str(bundle)
    qtbot.mouseClick(window.import_button, Qt.MouseButton.LeftButton)
    assert clients(window)[0] == "Z-9" and window.message.property("level") == "ok"
    assert window.model.data(window.model.index(0, column("Room"))) == "Room 9 · imported"


def test_tampered_bundle_is_refused_with_the_event_named(qtbot, window, tmp_path, clock, protocol):
    from kaproom.export.session_export import export_session
    with Workspace(tmp_path / "other-room", clock) as other:
        uid = add_session(other.store, protocol, client="Z-8")
        path = export_session(other, uid, "json", tmp_path / "z8.kaproom.json").path
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    events = data["events"]
    events[1]["payload"]["clock_speed"] = 99
    Path(path).write_text(json.dumps(data), encoding="utf-8")
    window.ask_bundle = lambda: str(path)
    qtbot.mouseClick(window.import_button, Qt.MouseButton.LeftButton)
    assert "event 2" in window.message.text() and window.message.property("level") == "error"
    assert clients(window) == ["B-1", "A-1"]


def test_another_supervisor_unlocking_signs_from_then_on(qtbot, workspace, protocol):
    from kaproom.services.people import People
    add_session(workspace.store, protocol)
    people = People.of(workspace)
    admin = people.add_user(None, "Admin", "admin", "correct horse battery")
    rao = people.add_user(admin, "Rao", "supervisor", "836159")
    kim = people.add_user(admin, "Kim", "supervisor", "729451")
    window = open_review(workspace, user=rao, lock=False)
    qtbot.addWidget(window)
    window.open_session(1)
    assert window.session_view.signoff.button.text() == "Sign off as Rao"
    window.set_user(kim)
    assert window.session_view.signoff.button.text() == "Sign off as Kim"
    window.session_view.signoff.sign()
    assert workspace.store.events(workspace.store.session(1).uid)[-1].author == "Kim"


def run_kaproom(*args: str) -> subprocess.CompletedProcess:
    """The command as a user runs it (its own process, so its theme never leaks into other tests)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "kaproom", *args], capture_output=True, text=True, env=env,
                          timeout=120)


@pytest.mark.slow
def test_review_command_opens_on_a_session(tmp_path, clock, protocol):
    folder = tmp_path / "data"
    with Workspace(folder, clock) as ws:
        add_session(ws.store, protocol, client="CLI-1")
    shot = tmp_path / "review.png"
    done = run_kaproom("review", "--data-dir", str(folder), "1", "--screenshot", str(shot))
    assert done.returncode == 0, done.stderr
    assert shot.stat().st_size > 10_000
    assert "no users yet" in done.stderr


@pytest.mark.slow
def test_unknown_session_on_the_command_line_is_a_message(tmp_path):
    shot = tmp_path / "review.png"
    done = run_kaproom("review", "--data-dir", str(tmp_path / "data"), "42", "--screenshot", str(shot))
    assert done.returncode == 0 and "'42' is not a session here" in done.stderr


def test_a_therapist_sees_only_their_own_sessions_and_cannot_sign(qtbot, workspace, protocol):
    from kaproom.services.people import People
    add_session(workspace.store, protocol, therapist="Tess", client="T-1")
    add_session(workspace.store, protocol, therapist="Ben", client="B-2")
    people = People.of(workspace)
    admin = people.add_user(None, "Admin", "admin", "correct horse battery")
    tess = people.add_user(admin, "Tess", "therapist", "915273")
    window = open_review(workspace, user=tess, lock=False)
    qtbot.addWidget(window)
    assert clients(window) == ["T-1"] and not window.filters.therapist.isEnabled()
    window.filters.has_alerts.setChecked(True)
    window.filters.has_alerts.setChecked(False)
    assert clients(window) == ["T-1"]  # changing other filters never widens the list
    assert not window.open_session(2)
    assert "only their own sessions" in window.message.text()
    assert window.open_session(1)
    assert window.session_view.signoff.isHidden() and window.session_view.exports.isHidden()
    assert window.import_button.isHidden()


def test_a_review_opened_on_a_plain_qt_app_brings_the_theme_itself(qtbot, workspace):
    from kaproom.ui.kit import theme
    plain = open_review(workspace, "Dr Rao", lock=False)
    qtbot.addWidget(plain)
    assert theme.stylesheet() in plain.styleSheet()


def test_in_the_app_the_review_keeps_the_theme_without_a_second_copy_of_it(qtbot, themed_app, workspace):
    """The window adds only its own pieces; the timeline still has the review's table colours."""
    from kaproom.ui.kit import theme
    from kaproom.ui.review import style
    themed = open_review(workspace, "Dr Rao", lock=False)
    qtbot.addWidget(themed)
    assert theme.stylesheet() not in themed.styleSheet() and "QTableView" in themed.styleSheet()
    themed.show()
    qtbot.waitExposed(themed)
    table = themed.table
    assert table.palette().color(table.backgroundRole()).name() == style.TABLE_BACKGROUND


def test_the_review_fits_a_1366_wide_laptop_screen_with_the_client_field_readable(qtbot, themed_app, workspace,
                                                                                    protocol):
    """Supervisors review on laptops: the list's filters, the list and a session all fit 1366 px."""
    from PySide6.QtWidgets import QApplication
    add_session(workspace.store, protocol, therapist="Dr Josephine Featherstonehaugh-Smythe", room="Garden room 2",
                client="C-7")
    shown = open_review(workspace, "Dr Rao", lock=False)
    qtbot.addWidget(shown)
    shown.resize(1366, 768)
    shown.show()
    qtbot.waitExposed(shown)
    QApplication.processEvents()
    assert shown.minimumSizeHint().width() <= 1366 and shown.width() == 1366
    assert shown.filters.client.width() >= 120  # "Client code" can be read and typed into
    assert shown.open_session(1)
    QApplication.processEvents()
    assert shown.width() == 1366


@pytest.mark.parametrize("width", [1366, 1280])
def test_on_a_laptop_screen_the_signed_off_column_is_in_sight_without_scrolling(qtbot, themed_app, workspace,
                                                                               protocol, width):
    """Whether a session is signed is what a supervisor scans the list for: the last column must
    not sit past the edge. Long protocol and therapist names give way and keep their full text
    in the tooltip."""
    from PySide6.QtWidgets import QApplication
    add_session(workspace.store, protocol, therapist="Dr Josephine Featherstonehaugh-Smythe", room="Garden room 2",
                client="C-7")
    shown = open_review(workspace, "Dr Rao", lock=False)
    qtbot.addWidget(shown)
    shown.resize(width, 768)
    shown.show()
    qtbot.waitExposed(shown)
    QApplication.processEvents()
    table, model = shown.table, shown.model
    signed = column("Signed off")
    qtbot.waitUntil(lambda: table.columnViewportPosition(signed) + table.columnWidth(signed)
                    <= table.viewport().width())
    assert table.horizontalScrollBar().maximum() == 0
    needed = table.fontMetrics().horizontalAdvance("Not signed")
    assert table.columnWidth(signed) >= needed  # the word itself, not an ellipsis
    therapist = model.index(0, column("Therapist"))
    assert model.data(therapist, Qt.ItemDataRole.ToolTipRole) == "Dr Josephine Featherstonehaugh-Smythe"
    assert model.data(model.index(0, column("Protocol")), Qt.ItemDataRole.ToolTipRole) == protocol.name
    # The list opens with the keyboard on its first row. Qt draws the headings of selected columns
    # in bold (a selected row selects every column): they were measured in the normal weight and
    # bold ones were cut ("Duratior", "How it endec"). Every heading is read whole, row selected or not.
    from PySide6.QtGui import QFont, QFontMetrics
    assert table.selectionModel().isRowSelected(0)
    header = table.horizontalHeader()
    drawn = QFont(header.font())
    drawn.setBold(header.highlightSections())
    metrics = QFontMetrics(drawn)
    for number in range(model.columnCount()):
        heading = str(model.headerData(number, Qt.Orientation.Horizontal))
        assert header.sectionSize(number) >= metrics.horizontalAdvance(heading) + 8, heading


def test_on_a_laptop_screen_the_timeline_leaves_its_width_to_the_details(qtbot, themed_app, workspace, protocol):
    """What was noted is the column a supervisor reads: the time, phase and kind columns take
    what their texts need, not fixed widths that left Details a sliver at 1366 px."""
    from PySide6.QtWidgets import QApplication

    from kaproom.ui.review.timeline_model import COLUMNS as TIMELINE_COLUMNS
    add_session(workspace.store, protocol, therapist="Ana", client="C-7", cautions=2)
    shown = open_review(workspace, "Dr Rao", lock=False)
    qtbot.addWidget(shown)
    shown.resize(1366, 768)
    shown.show()
    qtbot.waitExposed(shown)
    assert shown.open_session(1)
    QApplication.processEvents()
    view = shown.session_view.timeline
    model = view.model()
    widths = {name: view.columnWidth(number) for number, name in enumerate(TIMELINE_COLUMNS)}
    assert widths["Details"] >= 0.35 * view.viewport().width(), widths
    assert widths["Details"] == max(widths.values()), widths
    from PySide6.QtGui import QFontMetrics
    bold = view.font()
    bold.setBold(True)  # urgent rows are bold
    metrics = QFontMetrics(bold)
    for name in ("Session time", "Clock", "Phase", "What", "By"):  # short texts shown whole, not elided
        number = TIMELINE_COLUMNS.index(name)
        widest = max(metrics.horizontalAdvance(str(model.data(model.index(row, number)) or ""))
                     for row in range(model.rowCount()))
        assert widths[name] >= widest, name


def test_the_review_opens_within_a_screen_smaller_than_its_preferred_size(qtbot, workspace):
    from PySide6.QtGui import QGuiApplication

    from kaproom.ui.review.window import PREFERRED_SIZE
    area = QGuiApplication.primaryScreen().availableGeometry()
    shown = open_review(workspace, "Dr Rao", lock=False)
    qtbot.addWidget(shown)
    if area.height() >= PREFERRED_SIZE[1] and area.width() >= PREFERRED_SIZE[0]:
        assert (shown.width(), shown.height()) == PREFERRED_SIZE
    else:  # the test screen (offscreen: 800x800) is smaller: the window takes the screen, not more
        assert shown.height() <= area.height() and shown.geometry().top() >= area.top()


def test_the_review_follows_the_high_contrast_and_night_settings(qtbot, themed_app, workspace, protocol) -> None:
    """The review kept the day's dim-grey tables and colours under the high-contrast setting (and
    the night one): white-on-black asked for low vision stopped at the review's tables. It now
    follows the setting, opened under it or switched while it is open."""
    from PySide6.QtWidgets import QApplication

    from kaproom.ui.kit.theme import DAY, HIGH_CONTRAST, NIGHT, apply_theme, contrast_ratio, set_palette
    from kaproom.ui.review import style
    add_session(workspace.store, protocol, therapist="Ana", client="A-1", urgents=1)

    def looks(view) -> tuple[str, str]:
        palette = view.palette()
        return palette.color(view.backgroundRole()).name(), palette.color(view.foregroundRole()).name()

    def urgent_colour(window) -> str:
        model = window.model
        return model.data(model.index(0, column("Urgent")), Qt.ItemDataRole.ForegroundRole).name()

    try:
        set_palette(themed_app, HIGH_CONTRAST)
        shown = open_review(workspace, "Dr Rao", lock=False)
        qtbot.addWidget(shown)
        shown.show()
        qtbot.waitExposed(shown)
        assert looks(shown.table) == (HIGH_CONTRAST.input, HIGH_CONTRAST.text)
        assert urgent_colour(shown) == HIGH_CONTRAST.overdue
        assert shown.open_session(1)
        timeline = shown.session_view.timeline
        assert looks(timeline) == (HIGH_CONTRAST.input, HIGH_CONTRAST.text)
        assert DAY.text_muted not in shown.session_view.details.toHtml()
        for palette in (NIGHT, DAY, HIGH_CONTRAST):  # switched while the review is open
            set_palette(themed_app, palette)
            QApplication.processEvents()
            assert looks(timeline) == (palette.input, palette.text), palette
            assert urgent_colour(shown) == palette.overdue
        for what, foreground, background in style.text_pairs(HIGH_CONTRAST):
            assert contrast_ratio(foreground, background) >= 7.0, what  # the setting's promise: AAA
        for what, foreground, background in style.text_pairs(NIGHT):
            assert contrast_ratio(foreground, background) >= 4.5, what
    finally:
        apply_theme(themed_app)
