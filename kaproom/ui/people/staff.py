"""The home page's "Staff and audit log": sign in, then the staff accounts (an admin) or the audit
log (a supervisor). Therapists are told who may.

The screens themselves are in :mod:`.accounts`; the sign-in in :mod:`.signin`. This module joins
them, above both, so that sign-in can show the accounts as step 2 of the first start without
either importing the other.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from kaproom.domain.people import Permission, User
from kaproom.services.people import People
from kaproom.ui.people.accounts import AuditDialog, UsersAdminDialog
from kaproom.ui.people.forms import RunDialog, run_modal
from kaproom.ui.people.signin import sign_in

if TYPE_CHECKING:
    from kaproom.services.workspace import Workspace


def open_staff_and_audit(workspace: Workspace, parent: QWidget | None = None, run: RunDialog = run_modal,
                         people: People | None = None) -> User | None:
    """After signing in, an admin manages the staff accounts (and can read the audit log from
    there); a supervisor reads the audit log. The signed-in person, or None if cancelled."""
    people = people or People.of(workspace)
    user = sign_in(workspace, parent, permission=Permission.VIEW_AUDIT,
                   purpose="see the staff accounts and the audit log", run=run, people=people)
    if user is None:
        return None
    if user.may(Permission.MANAGE_USERS):
        run(UsersAdminDialog(people, user, parent, run=run))
    else:
        run(AuditDialog(people, user, parent))
    return user
