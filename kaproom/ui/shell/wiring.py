"""How the app's windows are wired to sign-in, staff accounts and the review.

The launcher is handed these as callables, so that it stays free of the staff and review code:
each loads its screen only when it is first asked for. The home page and the room must show
without loading the staff-accounts code, the review or the exporters (tests/test_cli.py checks
which modules load; start-up time is in bench/bench_startup.py), hence the function-local
imports below, each marked.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from kaproom.domain.clock import ScaledClock, SystemClock
from kaproom.services.workspace import Workspace
from kaproom.ui.shell.launcher import Launcher
from kaproom.ui.shell.single_instance import describe_room

if TYPE_CHECKING:
    from kaproom.domain.people import User


def on_real_time(workspace: Workspace) -> Workspace:
    """The same records on the computer's own clock. The demo's sessions run on a fast clock, but
    what a supervisor does in the review (sign-off, the printed time of an export, the idle lock)
    happens now, in real time: a sign-off at 17:50 must not read "signed 20:03"."""
    if not isinstance(workspace.clock, ScaledClock):
        return workspace
    office = copy.copy(workspace)  # the same store, shared; only the clock differs
    office.clock = SystemClock()
    return office


def open_review(workspace: Workspace, parent: QWidget | None = None) -> QWidget | None:
    """Open the review of past sessions; return its window (kept alive by the caller).

    Once the clinic has users, the reviewer signs in first (therapists see only their own
    sessions; supervisors all of them). The review locks itself after the clinic's idle time.
    """
    workspace = on_real_time(workspace)
    # The staff code and the review load when the review is asked for (bench/bench_startup.py).
    from kaproom.services.people import People  # noqa: PLC0415
    from kaproom.ui.review import open_review as review_window  # noqa: PLC0415

    user = None
    if People.of(workspace).has_users():
        from kaproom.domain.people import Permission  # noqa: PLC0415 - see below
        from kaproom.ui.people.signin import sign_in  # noqa: PLC0415 - staff code, as above
        user = sign_in(workspace, parent, permission=Permission.VIEW_OWN_SESSIONS, purpose="review sessions")
        if user is None:
            return None
    return review_window(workspace, user.name if user else "supervisor", user)


def set_up_sign_in(workspace: Workspace, parent: QWidget | None = None) -> bool:
    """The guided first step on a fresh install: create the first admin, then add the staff."""
    from kaproom.services.people import People  # noqa: PLC0415 - staff code: not for the home page
    from kaproom.ui.people.signin import first_admin_setup  # noqa: PLC0415 - likewise
    return first_admin_setup(People.of(workspace), parent) is not None


def change_own_pin(workspace: Workspace, parent: QWidget | None = None) -> bool:
    """A member of staff changes their own PIN or passphrase (the current one first)."""
    from kaproom.ui.people.signin import change_own_secret  # noqa: PLC0415 - staff code: not for the home page
    return change_own_secret(workspace, parent) is not None


def staff_and_audit(workspace: Workspace, parent: QWidget | None = None) -> object:
    """Staff accounts (admins) and the audit log (admins and supervisors), after signing in."""
    from kaproom.ui.people.staff import open_staff_and_audit  # noqa: PLC0415 - staff code: not for the home page
    return open_staff_and_audit(workspace, parent)


def stock_register(workspace: Workspace, parent: QWidget | None = None) -> QWidget | None:
    """The controlled-substance register window; a supervisor signs in first where staff accounts exist."""
    from kaproom.ui.register import open_register  # noqa: PLC0415 - the register: not for the home page
    return open_register(on_real_time(workspace), parent)


def identify_for_session(workspace: Workspace, parent: QWidget | None = None) -> tuple[str, bool] | None:
    """Who is about to run a session: (name, fixed). Once the clinic has registered users, that
    person signs in and the therapist field is their name; before that the name is typed.
    None means the sign-in was cancelled."""
    if not workspace.store.has_users():  # the staff code loads only when there is staff to sign in
        return "", False
    # The roles and permissions load only when someone signs in: at the top they put 10-50 ms of
    # PySide6's source scan before the home page's first paint (bench/bench_startup.py).
    from kaproom.domain.people import Permission  # noqa: PLC0415
    from kaproom.ui.people.signin import sign_in  # noqa: PLC0415 - staff code: only once there is staff
    user = sign_in(workspace, parent, permission=Permission.RUN_SESSION, purpose="run a session")
    return None if user is None else (user.name, True)


def supervisor_allows(workspace: Workspace, parent: QWidget | None, purpose: str) -> User | None:
    """A supervisor signs in, at this moment, to allow something another person asked for."""
    from kaproom.domain.people import Role  # noqa: PLC0415 - as in identify_for_session
    from kaproom.ui.people.signin import sign_in  # noqa: PLC0415 - staff code: only once there is staff
    return sign_in(workspace, parent, allowed_roles={Role.SUPERVISOR}, purpose=purpose)


def make_launcher(workspace: Workspace, demo: bool, dump_state: str | None = None,
                  extensions: Sequence[str] | None = None, before_room: Callable[[], None] | None = None) -> Launcher:
    """The app's windows as the command opens them. The demo has no sign-in, and its review
    shows the demo's own sessions (a person trying KAP Room sees what a supervisor would)."""
    return Launcher(workspace, demo=demo, dump_state=dump_state, extensions=extensions, before_room=before_room,
                    identify=None if demo else identify_for_session, open_review=open_review,
                    review_available=True,  # the demo too: its review shows the demo's own sessions
                    set_up_sign_in=None if demo else set_up_sign_in,
                    change_pin=None if demo else change_own_pin,
                    staff=None if demo else staff_and_audit,
                    ask_supervisor=None if demo else supervisor_allows,
                    stock_register=None if demo else stock_register)


def describe_running(launcher_box: Sequence[Launcher]) -> str:
    """What this instance has open, for the message a refused second start shows."""
    return describe_room(launcher_box[0].room if launcher_box else None)
