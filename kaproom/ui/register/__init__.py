"""The supervisor's controlled-substance register window (kaproom.services.stock underneath)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from kaproom.domain.people import Role
from kaproom.services.people import People
from kaproom.services.stock import Person, Stock
from kaproom.ui.people.forms import RunDialog, run_modal
from kaproom.ui.people.signin import sign_in
from kaproom.ui.register.window import RegisterWindow

if TYPE_CHECKING:
    from kaproom.services.workspace import Workspace


def open_register(workspace: Workspace, parent: QWidget | None = None, run: RunDialog = run_modal,
                  people: People | None = None) -> RegisterWindow | None:
    """The register window, shown; where the clinic has staff accounts, a supervisor signs in first
    (None if cancelled). Without accounts it opens at once and names are typed (unverified)."""
    people = people or People.of(workspace)
    person, user = None, None
    if people.has_users():
        user = sign_in(workspace, parent, allowed_roles={Role.SUPERVISOR}, purpose="open the stock register",
                       run=run, people=people)
        if user is None:
            return None
        person = Person.of(user)
    # A window of its own, not the home page's child: the launcher replaces the home page when a
    # session starts, and the register stays open (as the review does).
    window = RegisterWindow(Stock.of(workspace), person, None, people=people, user=user)
    window.show()
    return window


__all__ = ["RegisterWindow", "open_register"]
