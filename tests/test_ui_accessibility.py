"""What a screen reader is told: walked through Qt's accessibility tree (the same interfaces
AT-SPI reads on Linux), every control one can reach in the room, on the start page and in the
review has a name and the role of what it is."""
from __future__ import annotations

import pytest
from _review_helpers import add_session
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QTableView,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from kaproom.ui.review import open_review
from kaproom.ui.start.page import StartPage
from tests._room_helpers import open_room
from tests._vitals_helpers import ESCORT, MIN, fill, open_vitals_room, press, save

Role = QAccessible.Role
ARROWS = set("←→↑↓")  # read out as "leftwards arrow" and the like
CONTROLS = (QAbstractButton, QLineEdit, QTextEdit, QPlainTextEdit, QComboBox, QAbstractItemView, QAbstractSpinBox)
#: The roles a reader may announce for each kind of control, most specific kind first.
ROLES: tuple[tuple[type, set[Role]], ...] = (
    (QCheckBox, {Role.CheckBox}),
    (QRadioButton, {Role.RadioButton}),
    (QAbstractButton, {Role.Button, Role.ButtonMenu, Role.ButtonDropDown}),
    (QLineEdit, {Role.EditableText}),
    (QTextEdit, {Role.EditableText, Role.StaticText}),  # a read-only page is text to read
    (QPlainTextEdit, {Role.EditableText, Role.StaticText}),
    (QComboBox, {Role.ComboBox}),
    (QTableView, {Role.Table}),
    (QAbstractItemView, {Role.List, Role.Table, Role.Tree}),
    (QAbstractSpinBox, {Role.SpinBox}),
)


def reachable_controls(window: QWidget) -> list[QWidget]:
    """The controls shown in ``window`` that take the focus, and every button (the room's buttons
    keep the focus in the note field but are still there to press). The line edit inside a
    spin box or combo box is theirs, not a control of its own."""
    return [w for w in window.findChildren(QWidget)
            if isinstance(w, CONTROLS) and w.isVisibleTo(window)
            and (w.focusPolicy() != Qt.FocusPolicy.NoFocus or isinstance(w, QAbstractButton))
            and not isinstance(w.parentWidget(), (QAbstractSpinBox, QComboBox))]


def spoken_name(widget: QWidget) -> str:
    """The name a reader announces. A combo box's or a spin box's own text on Linux is its
    value, so theirs must be given (an accessible name or a label pointing at them)."""
    interface = QAccessible.queryAccessibleInterface(widget)
    labels = [other.text(QAccessible.Text.Name)
              for other, _ in interface.relations(QAccessible.Relation.Labelled)]
    if isinstance(widget, (QComboBox, QAbstractSpinBox)):
        return widget.accessibleName() or " ".join(labels)
    return interface.text(QAccessible.Text.Name) or " ".join(labels)


def problems(window: QWidget) -> list[str]:
    found = []
    for widget in reachable_controls(window):
        what = f"{type(widget).__name__} {widget.objectName() or '(unnamed object)'}"
        interface = QAccessible.queryAccessibleInterface(widget)
        if interface is None or not interface.isValid():
            found.append(f"{what}: not in the accessibility tree")
            continue
        name = spoken_name(widget)
        if not name.strip():
            found.append(f"{what}: no accessible name")
        elif ARROWS.intersection(name):
            found.append(f"{what}: a reader says the arrow in {name!r}")
        roles = next(roles for kind, roles in ROLES if isinstance(widget, kind))
        if interface.role() not in roles:
            found.append(f"{what}: role {interface.role()!r}, expected one of {sorted(r.name for r in roles)}")
    return found


def assert_all_named(window: QWidget, at_least: int) -> None:
    assert len(reachable_controls(window)) >= at_least, "the walk found the window's controls"
    assert problems(window) == []


def test_every_control_of_the_room_is_named(qtbot, workspace, protocol) -> None:
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_room(qtbot, workspace, runner, extensions=None)  # with music and vitals
    assert_all_named(room, at_least=20)


def test_every_panel_and_question_the_room_opens_is_named(qtbot, workspace, protocol, clock) -> None:
    """The panels come and go in place of the note field's neighbours: each is walked while open."""
    runner = workspace.new_session(protocol, "C-1", "Dr A", pre_dose=ESCORT)
    room = open_vitals_room(qtbot, workspace, runner)
    closed = len(reachable_controls(room))

    def walk_open(key: str) -> None:
        press(key)
        assert len(reachable_controls(room)) > closed or key in ("F9", "Ctrl+/"), f"{key} opened something"
        assert problems(room) == [], key
        press("Esc")

    walk_open("F9")
    clock.advance(36 * MIN)
    room.controller.tick()
    for key in ("F10", "Ctrl+Shift+E", "Ctrl+Shift+X", "Ctrl+Shift+M", "Ctrl+Shift+R", "Ctrl+/"):
        walk_open(key)
    fill(room, systolic="", spo2="88")
    save(room)
    walk_open("Ctrl+Shift+K")
    clock.advance(130 * MIN)
    room.controller.tick()
    fill(room, systolic="122/78", pulse="72", spo2="98", respiratory_rate="14", moaas="5", nausea="none")
    save(room)
    walk_open("Ctrl+Shift+D")


def test_every_control_of_the_start_page_is_named(qtbot, workspace) -> None:
    page = StartPage(workspace)
    qtbot.addWidget(page)
    page.show()
    assert_all_named(page, at_least=20)


@pytest.fixture
def review(qtbot, workspace, protocol):
    add_session(workspace.store, protocol, therapist="Ana", client="A-1", cautions=1)
    window = open_review(workspace, "Dr Rao", lock=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_every_control_of_the_review_list_is_named(review) -> None:
    assert_all_named(review, at_least=15)


def test_every_control_of_a_reviewed_session_is_named(qtbot, review) -> None:
    review.table.setFocus()
    qtbot.keyClick(review.table, Qt.Key.Key_Return)
    assert review.pages.currentWidget() is review.session_view
    assert_all_named(review, at_least=15)


def test_the_walk_reports_a_control_without_a_name(qtbot) -> None:
    """The check itself: a bare combo box and a nameless date field are caught."""
    window = QWidget()
    qtbot.addWidget(window)
    layout = QVBoxLayout(window)
    layout.addWidget(QComboBox(objectName="bare"))
    layout.addWidget(QDateEdit(objectName="when"))
    named = QLineEdit(objectName="named")
    named.setAccessibleName("Client code")
    layout.addWidget(named)
    window.show()
    assert problems(window) == ["QComboBox bare: no accessible name", "QDateEdit when: no accessible name"]
