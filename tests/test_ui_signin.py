"""Sign-in and user management on screen: what each role sees, refusals in words, the first start."""
from __future__ import annotations

import pytest
from _fault_support import lock_from_another_process, release
from _people_helpers import (
    ADMIN_PIN,
    SUPERVISOR_SECRET,
    THERAPIST_PIN,
    add_staff,
    audit_log,
    database_bytes,
    fast_people,
)
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLineEdit

from kaproom.domain.people import AuditKind, Permission, Role
from kaproom.services.settings import ClinicSettings, save_settings
from kaproom.ui.people.accounts import UserFormDialog, UsersAdminDialog, UsersAdminWidget
from kaproom.ui.people.audit_view import AuditView
from kaproom.ui.people.signin import (
    ChangeSecretDialog,
    ConfirmSecretDialog,
    FirstAdminDialog,
    SignInDialog,
    entry_unlock_needed,
    sign_in,
    unlock_entry,
)
from tests._room_helpers import activate


@pytest.fixture
def people(workspace):
    return fast_people(workspace)


@pytest.fixture
def staff(people):
    return add_staff(people)


def type_into(qtbot, edit: QLineEdit, text: str) -> None:
    edit.clear()
    edit.setText(text)  # setText: the offscreen platform has no keyboard layout for every script


def press_ok(qtbot, dialog) -> None:
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)


def test_sign_in_dialog_lets_the_right_person_in(qtbot, people, staff):
    dialog = SignInDialog(people, permission=Permission.RUN_SESSION)
    qtbot.addWidget(dialog)
    type_into(qtbot, dialog.name_edit, "teo")
    qtbot.keyClicks(dialog.secret_edit, THERAPIST_PIN)
    assert dialog.secret_edit.echoMode() == QLineEdit.EchoMode.Password
    press_ok(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.user.name == "Teo"
    assert dialog.secret_edit.text() == ""  # the secret does not linger in the widget


def test_a_sign_in_while_the_database_is_locked_is_said_in_words_and_keeps_what_was_typed(
        qtbot, monkeypatch, people, staff, workspace):
    """Another program holds the database: the dialog says so under the fields, as every screen
    says a store error, and neither the name nor the PIN is cleared; once it is free, OK again works."""
    monkeypatch.setattr("kaproom.store.store.BUSY_TIMEOUT_MS", 200)
    dialog = SignInDialog(people, permission=Permission.RUN_SESSION)
    qtbot.addWidget(dialog)
    type_into(qtbot, dialog.name_edit, "Teo")
    type_into(qtbot, dialog.secret_edit, THERAPIST_PIN)
    other = lock_from_another_process(workspace.store.path)
    try:
        press_ok(qtbot, dialog)
        assert dialog.user is None and dialog.result() != QDialog.DialogCode.Accepted
        assert "locked by another program" in dialog.message.text()
        assert dialog.name_edit.text() == "Teo" and dialog.secret_edit.text() == THERAPIST_PIN
    finally:
        release(other)
    press_ok(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.user.name == "Teo"


def test_a_wrong_pin_is_refused_in_words_and_the_name_is_kept(qtbot, people, staff):
    dialog = SignInDialog(people)
    qtbot.addWidget(dialog)
    type_into(qtbot, dialog.name_edit, "Teo")
    type_into(qtbot, dialog.secret_edit, "000001")
    press_ok(qtbot, dialog)
    assert dialog.result() != QDialog.DialogCode.Accepted and dialog.user is None
    assert "do not match" in dialog.message.text()
    assert dialog.name_edit.text() == "Teo" and dialog.secret_edit.text() == ""
    for _attempt in range(4):
        type_into(qtbot, dialog.secret_edit, "000001")
        press_ok(qtbot, dialog)
    assert "paused for 60 seconds" in dialog.message.text()


def test_a_therapist_cannot_open_the_review(qtbot, people, staff):
    dialog = SignInDialog(people, permission=Permission.VIEW_ALL_SESSIONS, purpose="open the review")
    qtbot.addWidget(dialog)
    type_into(qtbot, dialog.name_edit, "Teo")
    type_into(qtbot, dialog.secret_edit, THERAPIST_PIN)
    press_ok(qtbot, dialog)
    assert dialog.user is None and "only a supervisor may review every session" in dialog.message.text()
    type_into(qtbot, dialog.name_edit, "Sam")
    type_into(qtbot, dialog.secret_edit, SUPERVISOR_SECRET)
    press_ok(qtbot, dialog)
    assert dialog.user.name == "Sam"


def test_allowed_roles_keep_an_admin_out_of_a_session(qtbot, people, staff, workspace):
    def fill(dialog):
        qtbot.addWidget(dialog)
        type_into(qtbot, dialog.name_edit, "Ana")
        type_into(qtbot, dialog.secret_edit, ADMIN_PIN)
        press_ok(qtbot, dialog)
        assert "Ana is an admin: this needs a therapist or supervisor." in dialog.message.text()
        return False  # then the person cancels

    assert sign_in(workspace, allowed_roles={Role.THERAPIST, Role.SUPERVISOR}, run=fill, people=people) is None


@pytest.mark.parametrize("name,secret,words", [
    ("", THERAPIST_PIN, "Name: please type a name"), ("Teo", "", "please type it"),
    ("x" * 60, THERAPIST_PIN, "at most 32"), ("Teo'; DROP TABLE users;--", THERAPIST_PIN, "only letters"),
    ("Teo", "' OR 1=1 --", "do not match"), ("Teo", "9" * 600, "do not match"), ("Teo\x00", THERAPIST_PIN, "U+0000"),
    ("山田", THERAPIST_PIN, "do not match"), ("Teo", "🙂" * 12, "do not match"),
])
def test_bad_input_in_the_sign_in_dialog(qtbot, people, staff, data_dir, name, secret, words):
    dialog = SignInDialog(people)
    qtbot.addWidget(dialog)
    type_into(qtbot, dialog.name_edit, name)
    type_into(qtbot, dialog.secret_edit, secret)
    press_ok(qtbot, dialog)
    assert dialog.user is None and words in dialog.message.text()
    assert dialog.name_edit.text() == name[:dialog.name_edit.maxLength()]
    assert not any(e.kind == AuditKind.SIGNED_IN for e in audit_log(people))
    if secret and len(secret) < 100:
        assert secret.encode() not in database_bytes(data_dir)


def test_first_start_creates_the_admin_then_offers_to_add_staff(qtbot, people, workspace):
    seen: list[str] = []

    def run(dialog):
        qtbot.addWidget(dialog)
        seen.append(type(dialog).__name__)
        if isinstance(dialog, FirstAdminDialog):
            assert "Nobody is registered" in dialog.intro.text()
            type_into(qtbot, dialog.name_edit, "Ana")
            type_into(qtbot, dialog.secret.secret_edit, ADMIN_PIN)
            type_into(qtbot, dialog.secret.repeat_edit, ADMIN_PIN[:-1] + "1")
            press_ok(qtbot, dialog)
            assert "two entries differ" in dialog.message.text() and not people.has_users()
            assert dialog.name_edit.text() == "Ana"  # kept for the second try
            type_into(qtbot, dialog.secret.repeat_edit, ADMIN_PIN)
            press_ok(qtbot, dialog)
            return dialog.result() == QDialog.DialogCode.Accepted
        if isinstance(dialog, UsersAdminDialog):  # step 2: add a therapist
            form = UserFormDialog(people, dialog.widget.admin)
            qtbot.addWidget(form)
            type_into(qtbot, form.name_edit, "Teo")
            form.role_box.setCurrentIndex(form.role_box.findData("therapist"))
            type_into(qtbot, form.secret.secret_edit, THERAPIST_PIN)
            type_into(qtbot, form.secret.repeat_edit, THERAPIST_PIN)
            press_ok(qtbot, form)
            dialog.widget.refresh()
            assert dialog.widget.table.rowCount() == 2
            return True
        if isinstance(dialog, SignInDialog):  # then the therapist signs in to start the session
            type_into(qtbot, dialog.name_edit, "Teo")
            type_into(qtbot, dialog.secret_edit, THERAPIST_PIN)
            press_ok(qtbot, dialog)
            return dialog.result() == QDialog.DialogCode.Accepted
        raise AssertionError(dialog)

    user = sign_in(workspace, allowed_roles={Role.THERAPIST, Role.SUPERVISOR}, run=run, people=people)
    assert seen == ["FirstAdminDialog", "UsersAdminDialog", "SignInDialog"]
    assert user.name == "Teo" and people.find("Ana").role is Role.ADMIN


def test_first_start_cancelled_creates_nobody(qtbot, people, workspace):
    assert sign_in(workspace, run=lambda dialog: False, people=people) is None
    assert not people.has_users()


def test_users_screen_is_for_admins_only(qtbot, people, staff):
    for role in ("therapist", "supervisor"):
        widget = UsersAdminWidget(people, staff[role])
        qtbot.addWidget(widget)
        widget.show()
        assert widget.notice.isVisible() and not widget.table.isVisible() and not widget.controls.isVisible()
        assert widget.table.rowCount() == 0  # not even the names are loaded
    widget = UsersAdminWidget(people, staff["admin"])
    qtbot.addWidget(widget)
    widget.show()
    assert not widget.notice.isVisible() and widget.table.isVisible() and widget.controls.isVisible()
    assert [widget.table.item(r, 0).text() for r in range(widget.table.rowCount())] == ["Ana", "Sam", "Teo"]


def test_admin_disables_enables_and_resets_from_the_screen(qtbot, people, staff):
    widget = UsersAdminWidget(people, staff["admin"], run=lambda dialog: _fill_reset(qtbot, dialog))
    qtbot.addWidget(widget)
    widget.select("Teo")
    qtbot.mouseClick(widget.buttons["disable"], Qt.MouseButton.LeftButton)
    assert widget.table.item(2, 2).text() == "disabled" and not people.find("Teo").active
    qtbot.mouseClick(widget.buttons["enable"], Qt.MouseButton.LeftButton)
    assert widget.table.item(2, 2).text() == "active"
    qtbot.mouseClick(widget.buttons["reset"], Qt.MouseButton.LeftButton)
    assert "new PIN" in widget.message.text()
    assert people.sign_in("Teo", "402718")
    widget.select("Ana")
    qtbot.mouseClick(widget.buttons["disable"], Qt.MouseButton.LeftButton)
    assert "only active admin" in widget.message.text() and people.find("Ana").active
    kinds = [e.kind for e in audit_log(people, newest_first=False)]
    assert kinds[-4:-1] == [AuditKind.USER_DISABLED, AuditKind.USER_ENABLED, AuditKind.USER_SECRET_RESET]


def _fill_reset(qtbot, dialog) -> bool:
    qtbot.addWidget(dialog)
    type_into(qtbot, dialog.secret.secret_edit, "12")
    type_into(qtbot, dialog.secret.repeat_edit, "12")
    press_ok(qtbot, dialog)
    assert "at least 6 digits" in dialog.message.text()
    type_into(qtbot, dialog.secret.secret_edit, "402718")
    type_into(qtbot, dialog.secret.repeat_edit, "402718")
    press_ok(qtbot, dialog)
    return dialog.result() == QDialog.DialogCode.Accepted


@pytest.mark.parametrize("name", ["", "x" * 60, "Robert'); DROP TABLE users;--", "a\x00b", "🙂🙂"])
def test_bad_names_in_the_add_user_form_are_refused_and_kept(qtbot, people, staff, name):
    form = UserFormDialog(people, staff["admin"])
    qtbot.addWidget(form)
    type_into(qtbot, form.name_edit, name)
    type_into(qtbot, form.secret.secret_edit, "quiet meadow path")
    type_into(qtbot, form.secret.repeat_edit, "quiet meadow path")
    press_ok(qtbot, form)
    assert form.user is None and form.message.text().startswith("Name:")
    assert form.name_edit.text() == name[:form.name_edit.maxLength()]
    assert len(people.users()) == 3


def test_audit_view_is_read_only_and_for_supervisors_and_admins(qtbot, people, staff):
    people.sign_in("Sam", SUPERVISOR_SECRET)
    view = AuditView(people, staff["supervisor"])
    qtbot.addWidget(view)
    view.show()
    assert view.table.rowCount() == 4 and view.table.item(0, 3).text() == "signed in"
    assert view.status.text().startswith("The audit log is intact: all 4 entries match their hashes.")
    added = view.table.item(3, 4).text()  # the first admin's entry, in words
    assert "first admin: yes" in added and "True" not in added
    assert view.table.editTriggers() == view.table.EditTrigger.NoEditTriggers
    view.kind_box.setCurrentIndex(view.kind_box.findData(AuditKind.USER_ADDED))
    assert view.table.rowCount() == 3
    therapist_view = AuditView(people, staff["therapist"])
    qtbot.addWidget(therapist_view)
    therapist_view.show()
    assert not therapist_view.table.isVisible() and therapist_view.table.rowCount() == 0
    assert "only a supervisor or admin may view the audit log" in therapist_view.status.text()


def test_pin_to_unlock_data_entry_only_when_the_clinic_turns_it_on(qtbot, people, staff, workspace):
    never = lambda dialog: pytest.fail("no dialog expected")  # noqa: E731
    assert not entry_unlock_needed(workspace)
    assert unlock_entry(workspace, staff["therapist"], run=never, people=people)
    save_settings(workspace.folder, ClinicSettings(pin_to_unlock_entry=True))
    assert entry_unlock_needed(workspace)

    def wrong_then_right(dialog: ConfirmSecretDialog) -> bool:
        qtbot.addWidget(dialog)
        assert "Teo: type your PIN" in dialog.intro.text()
        type_into(qtbot, dialog.secret_edit, "000001")
        press_ok(qtbot, dialog)
        assert "do not match" in dialog.message.text()
        type_into(qtbot, dialog.secret_edit, THERAPIST_PIN)
        press_ok(qtbot, dialog)
        return dialog.result() == QDialog.DialogCode.Accepted

    assert unlock_entry(workspace, staff["therapist"], run=wrong_then_right, people=people)
    assert audit_log(people, limit=1)[0].kind == AuditKind.ENTRY_UNLOCKED
    assert not unlock_entry(workspace, staff["therapist"], run=lambda dialog: False, people=people)


def test_room_privacy_key_needs_the_therapists_pin_to_return_to_data_entry(qtbot, people, staff, workspace,
                                                                           protocol):
    """Wired as the app does: ``room.privacy_unlock = lambda: unlock_entry(workspace, user, room)``."""
    from kaproom.ui.room.controller import SessionController
    from kaproom.ui.room.window import RoomWindow

    save_settings(workspace.folder, ClinicSettings(pin_to_unlock_entry=True))
    runner = workspace.new_session(protocol, "KAP-0042", "Teo")
    room = RoomWindow(SessionController(workspace, runner), extensions=())
    qtbot.addWidget(room)
    room.show()
    pins = iter(["000001", THERAPIST_PIN])

    def type_pin(dialog) -> bool:
        qtbot.addWidget(dialog)
        type_into(qtbot, dialog.secret_edit, next(pins))
        press_ok(qtbot, dialog)
        return dialog.result() == QDialog.DialogCode.Accepted

    room.privacy_unlock = lambda: unlock_entry(workspace, staff["therapist"], room, run=type_pin, people=people)
    room.toggle_privacy()
    assert room.private and room.clock_label.isVisible()  # the clock stays in view
    room.toggle_privacy()  # wrong PIN: still private
    assert room.private
    room.toggle_privacy()
    assert not room.private
    room.close_now()


def test_a_therapist_changes_their_own_pin_on_screen(qtbot, people, staff):
    dialog = ChangeSecretDialog(people)
    qtbot.addWidget(dialog)
    type_into(qtbot, dialog.name_edit, "Teo")
    type_into(qtbot, dialog.current_edit, "000001")
    type_into(qtbot, dialog.secret.secret_edit, "275913")
    type_into(qtbot, dialog.secret.repeat_edit, "275913")
    press_ok(qtbot, dialog)
    assert dialog.result() != QDialog.DialogCode.Accepted and "do not match" in dialog.message.text()
    assert dialog.current_edit.text() == "" and dialog.secret.secret_edit.text() == "275913"  # only the wrong one goes
    type_into(qtbot, dialog.current_edit, THERAPIST_PIN)
    type_into(qtbot, dialog.secret.repeat_edit, "275914")
    press_ok(qtbot, dialog)
    assert "Repeat" in dialog.message.text() and dialog.current_edit.text() == THERAPIST_PIN
    type_into(qtbot, dialog.secret.secret_edit, "275913")
    type_into(qtbot, dialog.secret.repeat_edit, "275913")
    press_ok(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.user.name == "Teo"
    assert all(edit.text() == "" for edit in (dialog.current_edit, dialog.secret.secret_edit))
    assert people.sign_in("Teo", "275913").name == "Teo"


def test_audit_details_name_whom_they_concern_first_and_read_as_words() -> None:
    from kaproom.ui.people.audit_view import details_text
    text = details_text({"secret_fingerprint": "ab12", "active": True, "first_admin": False, "role": "admin",
                         "user": "ada", "note": None})
    assert text == "user: ada, role: admin, active: yes, first admin: no, note: —, secret fingerprint: ab12"


def _signing_in_as(qtbot, name: str, secret: str, then):
    """A ``run`` for dialogs: fills the sign-in dialog as ``name``, hands every later dialog to ``then``."""
    shown: list = []

    def run(dialog) -> bool:
        qtbot.addWidget(dialog)
        shown.append(type(dialog).__name__)
        if isinstance(dialog, SignInDialog):
            type_into(qtbot, dialog.name_edit, name)
            type_into(qtbot, dialog.secret_edit, secret)
            press_ok(qtbot, dialog)
            return dialog.user is not None
        return then(dialog)
    return run, shown


def test_from_the_home_page_an_admin_manages_staff_and_reads_the_audit_log(qtbot, people, staff, workspace):
    from kaproom.ui.people.accounts import AuditDialog
    from kaproom.ui.people.staff import open_staff_and_audit
    seen: list = []

    def staff_screen(dialog) -> bool:
        if isinstance(dialog, UsersAdminDialog):
            assert dialog.widget.table.rowCount() == 3  # Ana, Sam and Teo
            qtbot.mouseClick(dialog.audit_button, Qt.MouseButton.LeftButton)  # its "Audit log…" button
        elif isinstance(dialog, AuditDialog):
            seen.append(dialog.view.table.rowCount())
            assert "intact" in dialog.view.status.text()
        return False

    run, shown = _signing_in_as(qtbot, "Ana", ADMIN_PIN, staff_screen)
    user = open_staff_and_audit(workspace, run=run, people=people)
    assert user.name == "Ana" and shown == ["SignInDialog", "UsersAdminDialog", "AuditDialog"]
    assert seen and seen[0] >= 4  # three staff added and Ana's sign-in


def test_from_the_home_page_a_supervisor_reads_the_audit_log_and_a_therapist_is_told_who_may(
        qtbot, people, staff, workspace):
    from kaproom.ui.people.staff import open_staff_and_audit
    run, shown = _signing_in_as(qtbot, "Sam", SUPERVISOR_SECRET, lambda dialog: False)
    assert open_staff_and_audit(workspace, run=run, people=people).name == "Sam"
    assert shown == ["SignInDialog", "AuditDialog"]
    refused: list[str] = []

    def therapist(dialog) -> bool:
        qtbot.addWidget(dialog)
        type_into(qtbot, dialog.name_edit, "Teo")
        type_into(qtbot, dialog.secret_edit, THERAPIST_PIN)
        press_ok(qtbot, dialog)
        refused.append(dialog.message.text())
        return False  # then cancels
    assert open_staff_and_audit(workspace, run=therapist, people=people) is None
    assert "audit log" in refused[0]


def test_the_pin_rule_in_the_add_user_form_is_read_whole_in_the_apps_theme(qtbot, qapp, people, staff):
    """The placeholder is the field's only explanation of the rule; at the theme's font it was
    cut to '6+ digits, or 10+ c...'."""
    from kaproom.ui.kit import theme
    sheet, palette = qapp.styleSheet(), qapp.palette()
    theme.apply_theme(qapp)
    try:
        form = UserFormDialog(people, staff["admin"])
        qtbot.addWidget(form)
        form.show()
        qtbot.waitExposed(form)
        field = form.secret.secret_edit
        rule = field.placeholderText()
        assert rule.startswith("6+ digits")
        assert field.width() >= field.fontMetrics().horizontalAdvance(rule) + 16
    finally:
        qapp.setStyleSheet(sheet)
        qapp.setPalette(palette)
        qapp.setProperty("kaproomThemed", False)
        qapp.setCursorFlashTime(1000)


def test_tab_leaves_the_staff_and_audit_tables(qtbot, people, staff):
    """Arrows choose a row; Tab goes on to the buttons (it used to step through the row's cells
    and never leave the table)."""
    from PySide6.QtWidgets import QApplication
    people.sign_in("Sam", SUPERVISOR_SECRET)
    for widget in (UsersAdminWidget(people, staff["admin"]), AuditView(people, staff["supervisor"])):
        qtbot.addWidget(widget)
        widget.show()
        qtbot.waitExposed(widget)
        activate(qtbot, widget)
        widget.table.setFocus()
        qtbot.keyClick(widget.table, Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is not widget.table, type(widget).__name__
