"""What every command shares: the data folder, sign-in, the sessions a user may see, exit codes.

Commands that touch health information call :func:`require` to get the signed-in user (or a
refusal) first. On a terminal it prompts; in a script it takes the name from ``$KAPROOM_USER``
and the secret from the first line of standard input, so a secret never appears in a command
line or in the environment. With no users registered yet (a fresh install, a test folder)
commands run without sign-in and say so on stderr, once per data folder (the first command run
on it), not on every command.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import TextIO, TypeVar

from kaproom.domain.clock import Clock
from kaproom.domain.people import AuditKind, InputRefused, Permission, User, may_see_session
from kaproom.services.paths import data_dir, data_folder_problem
from kaproom.services.people import AccessRefused, People
from kaproom.services.workspace import Workspace
from kaproom.store import StoreError

#: Exit codes: done; a log is broken (``verify``); refused or failed (one line on stderr says why).
EXIT_OK, EXIT_BROKEN, EXIT_ERROR = 0, 1, 2
ENV_USER = "KAPROOM_USER"
NO_USERS_NOTICE = ("kaproom: no users yet, so nobody is asked to sign in. Create the first admin with "
                   "`kaproom users add NAME --role admin`.")
#: In the data folder once the notice has been said there, so the next commands do not repeat it.
NOTICE_SAID_FILE = ".no-users-notice-said"
Row = TypeVar("Row")


class Prompter:
    """Where names and secrets come from: the terminal (no echo) or lines of piped input."""

    def __init__(self, stdin: TextIO | None = None, err: TextIO | None = None,
                 getpass_: Callable[[str], str] | None = None, interactive: bool | None = None) -> None:
        self.stdin = stdin or sys.stdin
        self.err = err or sys.stderr
        self.getpass = getpass_ or getpass.getpass
        self.interactive = self.stdin.isatty() if interactive is None else interactive

    def _line(self, what: str) -> str:
        try:
            line = self.stdin.readline()
        except (UnicodeDecodeError, ValueError, OSError):
            raise InputRefused(f"{what}: standard input is not readable text.") from None
        if not line:
            raise InputRefused(f"{what}: nothing on standard input (give one line per secret).")
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:  # undecodable bytes, kept as surrogates by Python's stdin
            raise InputRefused(f"{what}: standard input is not readable UTF-8 text.") from None
        return line[:-1] if line.endswith("\n") else line

    def name(self) -> str:
        if not self.interactive:
            raise AccessRefused(f"Sign-in needed: set {ENV_USER}=NAME and give the PIN or passphrase on "
                                "standard input, or run this command in a terminal.")
        self.err.write("Name: ")
        self.err.flush()
        return self._line("Name").rstrip("\r")

    def secret(self, prompt: str = "PIN or passphrase: ", confirm: bool = False) -> tuple[str, str | None]:
        """The secret and, when asked on a terminal, the second typing of it."""
        if not self.interactive:
            return self._line("PIN or passphrase").rstrip("\r"), None
        try:
            first = self.getpass(prompt)
            return first, (self.getpass("Again, to be sure: ") if confirm else None)
        except (EOFError, UnicodeDecodeError):
            raise InputRefused("PIN or passphrase: nothing was typed.") from None


def require(args: argparse.Namespace, workspace: Workspace, permission: Permission,
            prompter: Prompter | None = None, environ: Mapping[str, str] | None = None) -> User | None:
    """The signed-in user allowed ``permission``, or ``AccessRefused``; None while no users exist.

    Signs in once per command: a second call with the same ``args`` reuses the user.
    """
    people = People.of(workspace)
    if not people.has_users():
        say_no_users_once(workspace)
        return None
    user: User | None = getattr(args, "_kaproom_user", None)
    if user is not None:
        people.require(user, permission)
        return user
    prompter = prompter or Prompter()
    environ = os.environ if environ is None else environ
    try:
        name = environ.get(ENV_USER) or prompter.name()
        secret, _ = prompter.secret()
        user = people.sign_in(name, secret, via="cli", purpose=str(getattr(args, "command", "") or ""),
                              permission=permission)
    except InputRefused as exc:
        raise AccessRefused(str(exc)) from None
    args._kaproom_user = user
    return user


def say_no_users_once(workspace: Workspace) -> None:
    """The no-users notice, on stderr, the first time a command runs on this data folder."""
    said = workspace.folder / NOTICE_SAID_FILE
    if said.exists():
        return
    print(NO_USERS_NOTICE, file=sys.stderr)
    try:
        said.touch(mode=0o600)
    except OSError:
        pass  # a read-only folder: the notice is said again next time, which harms nothing


def visible_sessions(workspace: Workspace, user: User | None, rows: Iterable[Row], via: str = "cli") -> list[Row]:
    """Only the sessions this user may see (therapists: their own); the listing is audited."""
    shown = [row for row in rows if may_see_session(user, getattr(row, "therapist", ""))]
    People.of(workspace).record(user, AuditKind.SESSIONS_LISTED, {"count": len(shown), "via": via})
    return shown


def open_workspace(args: argparse.Namespace, clock: Clock | None = None) -> Workspace:
    """The data folder named by --data-dir / $KAPROOM_DATA_DIR / the user data folder."""
    folder = data_dir(getattr(args, "data_dir", None))
    problem = data_folder_problem(folder)
    if problem is not None:
        raise StoreError(problem)  # said on one line by kaproom.cli.main, exit 2
    workspace = Workspace(folder, clock)
    for warning in workspace.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return workspace


def shown(text: object) -> str:
    """Text from the record as a terminal may print it: control characters (an ANSI escape that
    clears the screen or retitles the window, a bell, a bidi override) appear escaped, never acted on."""
    value = str(text)
    if value.isprintable():
        return value
    return "".join(ch if ch.isprintable() or ch == " " else ascii(ch)[1:-1] for ch in value)


def refuse(exc: Exception) -> int:
    """One line on stderr saying why, and the exit code for it."""
    print(f"kaproom: {exc}", file=sys.stderr)
    return EXIT_ERROR
