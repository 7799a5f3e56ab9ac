"""Sign-in: the dialog before a session or the review, the first-admin step, and the PIN to unlock.

Refusals appear in words under the fields (never a sound, never a pop-up on top of a pop-up);
the typed name stays, only the secret is cleared. All checks, lockouts and audit entries happen
in :class:`kaproom.services.people.People`, so the dialog and ``kaproom`` refuse the same things.

Wiring (the app shell): ``user = sign_in(workspace, window, allowed_roles={Role.THERAPIST,
Role.SUPERVISOR})`` before starting a session; ``permission=Permission.VIEW_ALL_SESSIONS`` before
the review. ``None`` means the person cancelled: stay on the start screen.
"""
from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from kaproom.domain.people import InputRefused, Permission, Role, User
from kaproom.services.people import People
from kaproom.services.settings import load_settings
from kaproom.ui.kit.errors import run_guarded
from kaproom.ui.people.accounts import UsersAdminDialog
from kaproom.ui.people.forms import (
    SECRET_FIELD_MAX,
    FormDialog,
    NewSecretFields,
    RunDialog,
    line_field,
    run_modal,
)

if TYPE_CHECKING:
    from kaproom.services.workspace import Workspace

def names_the_name(exc: Exception) -> bool:
    """A refusal of the typed name (too short, unknown characters): the name is what to correct."""
    return isinstance(exc, InputRefused) and str(exc).startswith("Name")


class SignInDialog(FormDialog):
    """Name and PIN or passphrase; only roles allowed here get through."""

    def __init__(self, people: People, permission: Permission | None = None,
                 allowed_roles: Collection[Role] | None = None, purpose: str = "",
                 parent: QWidget | None = None) -> None:
        what = f" to {purpose}" if purpose else ""
        super().__init__("Sign in — KAP Room", f"Sign in{what} with your name and PIN or passphrase.",
                         "Sign in", parent)
        self.people, self.permission, self.allowed_roles, self.purpose = people, permission, allowed_roles, purpose
        self.name_edit = line_field("signInName")
        self.secret_edit = line_field("signInSecret", secret=True, limit=SECRET_FIELD_MAX)
        self.form.addRow("Name", self.name_edit)
        self.form.addRow("PIN or passphrase", self.secret_edit)
        self.name_edit.returnPressed.connect(self.secret_edit.setFocus)
        self.name_edit.setFocus()

    def attempt(self) -> None:
        run_guarded(self._refused, lambda: self.people.sign_in(
            self.name_edit.text(), self.secret_edit.text(), via="gui", purpose=self.purpose,
            permission=self.permission, roles=self.allowed_roles),
            lambda user: self.done_with(user, self.secret_edit))

    def _refused(self, exc: Exception) -> None:
        if names_the_name(exc):  # keep the typed name so it can be corrected
            self.refuse(exc, focus=self.name_edit)
        else:
            self.refuse(exc, (self.secret_edit,))


FIRST_ADMIN_INTRO = (
    "Welcome to KAP Room. Nobody is registered on this computer yet.\n\n"
    "Step 1 of 2: create the first admin account. The admin adds the therapists and supervisors "
    "who use this room, resets forgotten PINs and manages protocols. An admin does not see session "
    "records: if you also run or review sessions, add yourself a second account in step 2.")


class FirstAdminDialog(FormDialog):
    """The guided first step on a fresh install: the first admin."""

    def __init__(self, people: People, parent: QWidget | None = None) -> None:
        super().__init__("Set up KAP Room — first admin", FIRST_ADMIN_INTRO, "Create admin", parent)
        self.people = people
        self.name_edit = line_field("firstAdminName")
        self.form.addRow("Admin name", self.name_edit)
        self.secret = NewSecretFields(self.form)
        self.name_edit.setFocus()

    def attempt(self) -> None:
        run_guarded(self.refuse, lambda: self.people.add_user(None, self.name_edit.text(), Role.ADMIN,
                                                              *self.secret.values()),
                    lambda user: self.done_with(user, *self.secret.edits()))


class ConfirmSecretDialog(FormDialog):
    """The signed-in person types their own PIN again (to unlock data entry after the privacy key)."""

    def __init__(self, people: People, user: User, purpose: str = "unlock data entry",
                 parent: QWidget | None = None) -> None:
        super().__init__("Unlock — KAP Room", f"{user.name}: type your PIN or passphrase to {purpose}.",
                         "Unlock", parent)
        self.people, self.person, self.purpose = people, user, purpose
        self.secret_edit = line_field("confirmSecret", secret=True, limit=SECRET_FIELD_MAX)
        self.form.addRow("PIN or passphrase", self.secret_edit)
        self.secret_edit.setFocus()

    def attempt(self) -> None:
        run_guarded(lambda exc: self.refuse(exc, (self.secret_edit,)),
                    lambda: self.people.confirm(self.person, self.secret_edit.text(), self.purpose),
                    lambda user: self.done_with(user, self.secret_edit))


class ChangeSecretDialog(FormDialog):
    """Anyone changes their own PIN or passphrase: their name, the current one, the new one twice."""

    def __init__(self, people: People, parent: QWidget | None = None) -> None:
        super().__init__("Change my PIN — KAP Room", "Type your name and your current PIN or passphrase, then the "
                         "new one twice. No admin is needed.", "Change", parent)
        self.people = people
        self.name_edit = line_field("changeName")
        self.current_edit = line_field("changeCurrent", secret=True, limit=SECRET_FIELD_MAX)
        self.form.addRow("Name", self.name_edit)
        self.form.addRow("Current PIN or passphrase", self.current_edit)
        self.secret = NewSecretFields(self.form, "New PIN or passphrase")
        self.name_edit.setFocus()

    def attempt(self) -> None:
        if not self.current_edit.text():
            self.refuse(InputRefused("Current PIN or passphrase: please type it."), focus=self.current_edit)
            return
        run_guarded(self._refused, lambda: self.people.change_own_secret(
            self.name_edit.text(), self.current_edit.text(), *self.secret.values(), via="gui"),
            lambda user: self.done_with(user, self.current_edit, *self.secret.edits()))

    def _refused(self, exc: Exception) -> None:
        if names_the_name(exc):
            self.refuse(exc, focus=self.name_edit)
        elif isinstance(exc, InputRefused):  # the new one did not suit: the current one stays typed
            self.refuse(exc, self.secret.edits())
        else:  # the current one was wrong
            self.refuse(exc, (self.current_edit,))


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

