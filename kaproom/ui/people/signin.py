"""Sign-in: the dialog before a session or the review, the first-admin step, and the PIN to unlock.

Refusals appear in words under the fields (never a sound, never a pop-up on top of a pop-up);
the typed name stays, only the secret is cleared. All checks, lockouts and audit entries happen
in :class:`kaproom.services.people.People`, so the dialog and ``kaproom`` refuse the same things.

Wiring (the app shell): ``user = sign_in(workspace, window, allowed_roles={Role.THERAPIST,
Role.SUPERVISOR})`` before starting a session; ``permission=Permission.VIEW_ALL_SESSIONS`` before
the review. ``None`` means the person cancelled: stay on the start screen.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from kaproom.domain.people import (
    NAME_MAX,
    PASSPHRASE_MAX,
    PASSPHRASE_MIN,
    PIN_MIN,
    InputRefused,
    Permission,
    Role,
    User,
)
from kaproom.services.people import AccessRefused, People
from kaproom.services.settings import load_settings
from kaproom.ui.kit.labels import plain_label

if TYPE_CHECKING:
    from kaproom.services.workspace import Workspace

#: Fields accept a little more than the rules allow, so an over-long entry gets a message, not a silent cut.
NAME_FIELD_MAX = NAME_MAX * 2
SECRET_FIELD_MAX = PASSPHRASE_MAX * 2
RunDialog = Callable[[QDialog], bool]


def run_modal(dialog: QDialog) -> bool:
    return dialog.exec() == QDialog.DialogCode.Accepted


def _field(name: str, secret: bool = False, limit: int = NAME_FIELD_MAX) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setMaxLength(limit)
    if secret:
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setInputMethodHints(Qt.InputMethodHint.ImhHiddenText | Qt.InputMethodHint.ImhSensitiveData
                                 | Qt.InputMethodHint.ImhNoPredictiveText)
    return edit


def _message_label(name: str) -> QLabel:
    label = plain_label(name)  # typed names are shown as text, never as markup
    label.setAccessibleName("Message")
    return label


class _Form(QDialog):
    """A small form: fields, a message line under them, OK / Cancel."""

    def __init__(self, title: str, intro: str, ok_text: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        self.setMinimumWidth(440)
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        self.form = QFormLayout()
        self.message = _message_label("signInMessage")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.ok_button.setObjectName("signInOk")
        self.buttons.accepted.connect(self.attempt)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.user: User | None = None

    def attempt(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def refuse(self, exc: Exception, clear: tuple[QLineEdit, ...] = (), focus: QWidget | None = None) -> None:
        """Say why in words under the fields; clear only secrets, keep everything else typed."""
        self.message.setText(str(exc))
        for edit in clear:
            edit.clear()
        (focus or (clear[0] if clear else self.ok_button)).setFocus()


class SignInDialog(_Form):
    """Name and PIN or passphrase; only roles allowed here get through."""

    def __init__(self, people: People, permission: Permission | None = None,
                 allowed_roles: Collection[Role] | None = None, purpose: str = "",
                 parent: QWidget | None = None) -> None:
        what = f" to {purpose}" if purpose else ""
        super().__init__("Sign in — KAP Room", f"Sign in{what} with your name and PIN or passphrase.",
                         "Sign in", parent)
        self.people, self.permission, self.allowed_roles, self.purpose = people, permission, allowed_roles, purpose
        self.name_edit = _field("signInName")
        self.secret_edit = _field("signInSecret", secret=True, limit=SECRET_FIELD_MAX)
        self.form.addRow("Name", self.name_edit)
        self.form.addRow("PIN or passphrase", self.secret_edit)
        self.name_edit.returnPressed.connect(self.secret_edit.setFocus)
        self.name_edit.setFocus()

    def attempt(self) -> None:
        try:
            self.user = self.people.sign_in(self.name_edit.text(), self.secret_edit.text(), via="gui",
                                            purpose=self.purpose, permission=self.permission,
                                            roles=self.allowed_roles)
        except InputRefused as exc:
            if str(exc).startswith("Name"):  # keep the typed name so it can be corrected
                self.refuse(exc, focus=self.name_edit)
            else:
                self.refuse(exc, (self.secret_edit,))
            return
        except AccessRefused as exc:
            self.refuse(exc, (self.secret_edit,))
            return
        self.secret_edit.clear()
        self.accept()


class NewSecretFields:
    """PIN or passphrase typed twice, for a new account or a reset."""

    def __init__(self, form: QFormLayout, label: str = "PIN or passphrase") -> None:
        self.secret_edit = _field("newSecret", secret=True, limit=SECRET_FIELD_MAX)
        self.repeat_edit = _field("newSecretRepeat", secret=True, limit=SECRET_FIELD_MAX)
        rule = f"{PIN_MIN}+ digits, or {PASSPHRASE_MIN}+ characters"
        self.secret_edit.setPlaceholderText(rule)
        self.secret_edit.ensurePolished()  # the theme's font, which the rule is measured in
        # The rule is the field's only explanation: never cut to "6+ digits, or 10+ c..."
        self.secret_edit.setMinimumWidth(self.secret_edit.fontMetrics().horizontalAdvance(rule) + 24)
        form.addRow(label, self.secret_edit)
        form.addRow("Again, to be sure", self.repeat_edit)

    def values(self) -> tuple[str, str]:
        return self.secret_edit.text(), self.repeat_edit.text()

    def clear(self) -> None:
        self.secret_edit.clear()
        self.repeat_edit.clear()


FIRST_ADMIN_INTRO = (
    "Welcome to KAP Room. Nobody is registered on this computer yet.\n\n"
    "Step 1 of 2: create the first admin account. The admin adds the therapists and supervisors "
    "who use this room, resets forgotten PINs and manages protocols. An admin does not see session "
    "records: if you also run or review sessions, add yourself a second account in step 2.")


class FirstAdminDialog(_Form):
    """The guided first step on a fresh install: the first admin."""

    def __init__(self, people: People, parent: QWidget | None = None) -> None:
        super().__init__("Set up KAP Room — first admin", FIRST_ADMIN_INTRO, "Create admin", parent)
        self.people = people
        self.name_edit = _field("firstAdminName")
        self.form.addRow("Admin name", self.name_edit)
        self.secret = NewSecretFields(self.form)
        self.name_edit.setFocus()

    def attempt(self) -> None:
        try:
            self.user = self.people.add_user(None, self.name_edit.text(), Role.ADMIN, *self.secret.values())
        except (InputRefused, AccessRefused) as exc:
            self.refuse(exc)
            return
        self.secret.clear()
        self.accept()


class ConfirmSecretDialog(_Form):
    """The signed-in person types their own PIN again (to unlock data entry after the privacy key)."""

    def __init__(self, people: People, user: User, purpose: str = "unlock data entry",
                 parent: QWidget | None = None) -> None:
        super().__init__("Unlock — KAP Room", f"{user.name}: type your PIN or passphrase to {purpose}.",
                         "Unlock", parent)
        self.people, self.person, self.purpose = people, user, purpose
        self.secret_edit = _field("confirmSecret", secret=True, limit=SECRET_FIELD_MAX)
        self.form.addRow("PIN or passphrase", self.secret_edit)
        self.secret_edit.setFocus()

    def attempt(self) -> None:
        try:
            self.user = self.people.confirm(self.person, self.secret_edit.text(), self.purpose)
        except (InputRefused, AccessRefused) as exc:
            self.refuse(exc, (self.secret_edit,))
            return
        self.secret_edit.clear()
        self.accept()


class ChangeSecretDialog(_Form):
    """Anyone changes their own PIN or passphrase: their name, the current one, the new one twice."""

    def __init__(self, people: People, parent: QWidget | None = None) -> None:
        super().__init__("Change my PIN — KAP Room", "Type your name and your current PIN or passphrase, then the "
                         "new one twice. No admin is needed.", "Change", parent)
        self.people = people
        self.name_edit = _field("changeName")
        self.current_edit = _field("changeCurrent", secret=True, limit=SECRET_FIELD_MAX)
        self.form.addRow("Name", self.name_edit)
        self.form.addRow("Current PIN or passphrase", self.current_edit)
        self.secret = NewSecretFields(self.form, "New PIN or passphrase")
        self.name_edit.setFocus()

    def attempt(self) -> None:
        if not self.current_edit.text():
            self.refuse(InputRefused("Current PIN or passphrase: please type it."), focus=self.current_edit)
            return
        try:
            self.user = self.people.change_own_secret(self.name_edit.text(), self.current_edit.text(),
                                                      *self.secret.values(), via="gui")
        except InputRefused as exc:  # the name, or the new one did not suit: the current one stays typed
            if str(exc).startswith("Name"):
                self.refuse(exc, focus=self.name_edit)
            else:
                self.refuse(exc, (self.secret.secret_edit, self.secret.repeat_edit))
            return
        except AccessRefused as exc:
            self.refuse(exc, (self.current_edit,))
            return
        self.current_edit.clear()
        self.secret.clear()
        self.accept()


def change_own_secret(workspace: Workspace, parent: QWidget | None = None, run: RunDialog = run_modal,
                      people: People | None = None) -> User | None:
    """The person whose PIN or passphrase was changed, or None if cancelled."""
    dialog = ChangeSecretDialog(people or People.of(workspace), parent)
    return dialog.user if run(dialog) else None


def first_admin_setup(people: People, parent: QWidget | None = None, run: RunDialog = run_modal) -> User | None:
    """Step 1: the first admin. Step 2: that admin adds the staff (can be left for later)."""
    first = FirstAdminDialog(people, parent)
    if not run(first) or first.user is None:
        return None
    from kaproom.ui.people.staff import UsersAdminDialog  # late: that module imports this one
    run(UsersAdminDialog(people, first.user, parent, step_two=True))
    return first.user


def sign_in(workspace: Workspace, parent: QWidget | None = None,
            allowed_roles: Collection[Role] | None = None, permission: Permission | None = None,
            purpose: str = "", run: RunDialog = run_modal, people: People | None = None) -> User | None:
    """The signed-in user, or None if cancelled. On a fresh install, the first-admin step comes first."""
    people = people or People.of(workspace)
    if not people.has_users():
        admin = first_admin_setup(people, parent, run)
        if admin is None:
            return None
        admin_allowed = (allowed_roles is None or Role.ADMIN in allowed_roles) and (
            permission is None or admin.may(permission))
        if admin_allowed:
            return admin
    dialog = SignInDialog(people, permission, allowed_roles, purpose, parent)
    return dialog.user if run(dialog) else None


def entry_unlock_needed(workspace: Workspace) -> bool:
    """The clinic setting "PIN to unlock data entry after the privacy key" (off by default)."""
    settings, _ = load_settings(workspace.folder)
    return settings.pin_to_unlock_entry and People.of(workspace).has_users()


def unlock_entry(workspace: Workspace, user: User | None, parent: QWidget | None = None,
                 run: RunDialog = run_modal, people: People | None = None) -> bool:
    """True when data entry may be unlocked: the setting is off, nobody is registered, or the PIN was right."""
    if user is None or not entry_unlock_needed(workspace):
        return True
    dialog = ConfirmSecretDialog(people or People.of(workspace), user, parent=parent)
    return run(dialog) and dialog.user is not None


def show_only_permitted(user: User | None, widgets: Mapping[QWidget, Permission]) -> None:
    """Hide what this user's role may not do (the service refuses it as well)."""
    for widget, permission in widgets.items():
        widget.setVisible(user is None or user.may(permission))
