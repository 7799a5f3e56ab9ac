"""People and privacy: accounts, sign-in with lockout, and the audit trail, for GUI and CLI alike.

Both the dialogs and the ``kaproom`` command call this one object, so a refusal, a lockout or
an audit entry is the same wherever it happens. Rules live in :mod:`kaproom.domain.people`, SQL
in :mod:`kaproom.store.accounts`; this module only ties them to the clock and to who is acting.
"""
from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from kaproom.domain.clock import Clock, SystemClock, from_iso, to_iso
from kaproom.domain.events import ChainReport, Event, RecordedEvent
from kaproom.domain.people import (
    DEFAULT_KDF,
    DEFAULT_LOCKOUT,
    PASSPHRASE_MAX,
    AccountVersion,
    AuditKind,
    InputRefused,
    LockoutPolicy,
    Permission,
    Role,
    ScryptParams,
    User,
    check_name,
    check_new_secret,
    check_role,
    describe_wait,
    hash_secret,
    name_key,
    roles_with,
    secret_matches,
    user_state,
)
from kaproom.store import Store, StoreError
from kaproom.store.accounts import Accounts, Tries

if TYPE_CHECKING:
    from kaproom.services.workspace import Workspace

NOT_RECOGNISED = "That name and PIN or passphrase do not match. Check both and try again."
#: How the audit log names a sign-in name that belongs to nobody: it may be a secret typed into the
#: wrong field, so it is never stored, only a keyed hash of it (to count its tries like a real name's).
UNKNOWN_NAME = "unknown name"
#: Who runs ``kaproom demo``: never stored, never signed in; the demo's own database has no users.
DEMO_USER = User("Demo", Role.SUPERVISOR)


class AccessRefused(StoreError):
    """Sign-in or permission refused; ``str()`` is the message to show.

    A StoreError so that the command line's one error handler prints it (exit 2) like any other
    refusal, without every command catching it.
    """


def refusal_for(user: User, permission: Permission) -> str:
    roles = [role.value for role in roles_with(permission)]
    who = " or ".join(roles) if roles else "nobody"
    return f"{user.name} is {_a(user.role.value)}: only {_a(who)} may {permission.value}."


def sign_in_source(via: str) -> str:
    """Where a sign-in is typed, for counting wrong tries per name AND source: the room app on this
    computer, or the command line under one account of it (the account, not the terminal, which
    anyone can open anew). Someone guessing at one computer cannot pause a colleague at another."""
    # socket and getpass (9 ms) load only at a sign-in, not for every command's start (bench/bench_startup.py).
    import getpass  # noqa: PLC0415
    import socket  # noqa: PLC0415
    host = socket.gethostname() or "this computer"
    if via != "cli":
        return f"the app on {host}"
    try:
        owner = getpass.getuser()
    except (OSError, KeyError, ImportError):
        owner = str(os.getuid()) if hasattr(os, "getuid") else "?"
    return f"the command line on {host} as {owner}"


@dataclass(frozen=True)
class _Attempt:
    """One counted sign-in try: the account, the pause this try started (if any), and the name
    key and source its tries are counted under."""

    user: User
    failures: int
    pause: timedelta | None
    until: str | None
    wait: float
    key: str = ""
    source: str = ""

    def undo(self) -> dict[str, Any]:
        """What a right secret changes in the account itself: nothing (the tries from this source
        start again from none, see Accounts.update_and_reset)."""
        return {}


def _a(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


@dataclass(frozen=True)
class TakenAccount:
    """A clinic account version this computer took: whether it took over a room account of the same
    name, and whether the secret changed here."""

    version: AccountVersion
    replaced_local: bool
    secret_changed: bool


@dataclass
class People:
    """Accounts and audit for one database; ``None`` as actor means "nobody registered yet"."""

    store: Store
    clock: Clock = field(default_factory=SystemClock)
    kdf: ScryptParams = DEFAULT_KDF
    lockout: LockoutPolicy = DEFAULT_LOCKOUT
    _dummy_hash: str = ""
    #: Where sign-ins are typed (see :func:`sign_in_source`); "" to tell from ``via``.
    source: str = ""

    def _source(self, via: str) -> str:
        return self.source or sign_in_source(via)

    @classmethod
    def of(cls, workspace: Workspace, **options: Any) -> People:
        return cls(workspace.store, workspace.clock, **options)

    @property
    def accounts(self) -> Accounts:
        return Accounts(self.store)

    def _now(self) -> str:
        return to_iso(self.clock.now())

    def _event(self, kind: str, actor: User | str | None, payload: Mapping[str, Any]) -> Event:
        author = actor.name if isinstance(actor, User) else (actor or "")
        return Event(kind, dict(payload), 0.0, self._now(), author, "")

    # ------------------------------------------------------------------ reading
    def has_users(self) -> bool:
        return self.store.has_users()

    def users(self) -> list[User]:
        return self.accounts.all()

    def find(self, name: str) -> User | None:
        return self.accounts.find(name)

    def audit(self, kinds: tuple[str, ...] | None = None, limit: int | None = None,
              newest_first: bool = True, viewer: User | None = None) -> list[RecordedEvent]:
        if self.has_users():
            self.require(viewer, Permission.VIEW_AUDIT)
        return self.accounts.audit_events(kinds, limit, newest_first)

    def verify(self) -> list[ChainReport]:
        return self.accounts.verify()

    # ------------------------------------------------------------------ permissions
    def require(self, actor: User | None, permission: Permission) -> None:
        """Refuse unless ``actor`` may; with no users at all everyone may (a fresh install, the demo)."""
        if not self.has_users():
            return
        if actor is None:
            raise AccessRefused(f"Please sign in: to {permission.value} needs a signed-in user.")
        current = self.accounts.find(actor.name)  # the stored role, not a possibly stale copy
        if current is None or not current.active:
            raise AccessRefused(f"{actor.name} is no longer an active user.")
        if not current.may(permission):
            raise AccessRefused(refusal_for(current, permission))

    # ------------------------------------------------------------------ managing users
    def add_user(self, actor: User | None, name: str, role: str | Role, secret: str,
                 repeat: str | None = None, clinic: bool = False) -> User:
        """Add an account. The very first one must be an admin and needs no actor. ``clinic``: a
        clinic-wide account (at an office computer; published by ``clinic sync``)."""
        clean_name = check_name(name)
        clean_role = check_role(role.value if isinstance(role, Role) else role)
        first = not self.has_users()
        if first and clean_role is not Role.ADMIN:
            raise InputRefused("Role: the first user must be an admin, who then adds everyone else.")
        if not first:
            self.require(actor, Permission.MANAGE_USERS)
        if self.accounts.find(clean_name) is not None:
            raise InputRefused(f"Name: there is already a user called '{clean_name}'.")
        kind = self._check_secret(secret, repeat, clean_name)
        stored = hash_secret(secret, self.kdf)
        user = User(clean_name, clean_role, True, kind)
        payload = {**user_state(user, stored), **({"first_admin": True} if first else {}),
                   **({"clinic": True} if clinic else {})}
        by = actor.name if actor else clean_name
        return self.accounts.add(user, stored, by, self._now(), [self._event(AuditKind.USER_ADDED, by, payload)])

    def _check_secret(self, secret: str, repeat: str | None, name: str) -> str:
        kind = check_new_secret(secret, name)
        if repeat is not None and repeat != secret:
            raise InputRefused("Repeat: the two entries differ; type the same PIN or passphrase twice.")
        return kind

    def _change(self, actor: User | None, name: str, kind: str, changes: dict[str, Any],
                new_hash: str | None = None, clinic: bool = False) -> User:
        self.require(actor, Permission.MANAGE_USERS)
        target = self.accounts.get(check_name(name))
        if kind != AuditKind.USER_UNLOCKED and not clinic:  # wrong tries are this computer's own
            self._not_the_clinics(target.name)
        after = User(target.name, Role(changes.get("role", target.role)), bool(changes.get("active", target.active)))
        stored = new_hash or self.accounts.secret_hash(target.name)
        changes = {**changes, "updated_at": self._now()}
        payload = {**user_state(after, stored), **({"clinic": True} if clinic else {})}
        return self.accounts.update(target.name, changes, [self._event(kind, actor, payload)])

    def _not_the_clinics(self, name: str) -> None:
        """Refuse to change here, for this computer only, an account it took from the clinic: it is
        managed once, clinic-wide (at an office computer, with --clinic), and this computer takes the
        clinic's account again at each sync."""
        taken = self.accounts.from_clinic().get(name_key(name))
        if taken is not None:
            office = taken.payload.get("office", "?")
            raise InputRefused(f"{name} is a clinic-wide account (last changed at the office computer '{office}'): "
                               "change it clinic-wide, at an office computer, with --clinic.")

    def _clinic_keys(self) -> set[str]:
        return {name_key(name) for name in self.clinic_names()}

    def clinic_names(self) -> list[str]:
        """The accounts this computer manages clinic-wide (at an office computer): every name given a
        change with --clinic here (its changes are published at each sync)."""
        names: dict[str, str] = {}
        for event in self.accounts.audit_events(AuditKind.LOCAL_USER_CHANGES):
            if event.payload.get("clinic") is True:
                names[name_key(str(event.payload.get("user", "")))] = str(event.payload.get("user", ""))
        return sorted(names.values())

    def clinic_wide(self) -> dict[str, str]:
        """Where each clinic-wide account here is changed, by name key: "here" for one this (office)
        computer manages with --clinic, else the office computer whose version this computer took.
        Accounts made for this computer only are not listed."""
        wide = {key: str(event.payload.get("office", "?")) for key, event in self.accounts.from_clinic().items()}
        wide.update({key: "here" for key in self._clinic_keys()})
        return wide

    def take_from_clinic(self, version: AccountVersion, office_actor: str) -> TakenAccount | None:
        """Make this computer's account what the clinic's ``version`` says (already checked against the
        office's audit entry on the server), with an account_from_clinic audit entry, in one transaction.
        A room account of the same name is taken over by the clinic's (said in the entry and the result).
        None when this version was taken already (receiving twice changes nothing)."""
        replaced: list[bool] = []
        changed: list[bool] = []

        def decide(before: User | None, before_hash: str, taken_before: bool) -> Event:
            local = before is not None and not taken_before and name_key(version.name) not in self._clinic_keys()
            replaced.append(local)
            changed.append(before_hash != version.secret_hash)
            payload: dict[str, Any] = {**version.state(), "secret_changed": before_hash != version.secret_hash,
                                       "office": version.office, "office_audit_seq": version.audit_seq,
                                       "office_audit_hash": version.audit_hash}
            if local:
                payload["replaced_local"] = True
            return self._event(AuditKind.ACCOUNT_FROM_CLINIC, office_actor, payload)

        recorded = self.accounts.take_from_clinic(version, decide)
        if recorded is None:
            return None
        return TakenAccount(version, replaced[0], changed[0])

    def _keep_an_admin(self, actor: User | None, name: str, what: str) -> None:
        target = self.accounts.get(check_name(name))
        if target.role is Role.ADMIN and target.active and self.accounts.count_active(Role.ADMIN) <= 1:
            raise InputRefused(f"{target.name} is the only active admin; add another admin before you {what}.")

    def disable(self, actor: User | None, name: str, clinic: bool = False) -> User:
        self.require(actor, Permission.MANAGE_USERS)
        self._keep_an_admin(actor, name, "disable this account")
        return self._change(actor, name, AuditKind.USER_DISABLED, {"active": False}, clinic=clinic)

    def enable(self, actor: User | None, name: str, clinic: bool = False) -> User:
        return self._change(actor, name, AuditKind.USER_ENABLED,
                            {"active": True, "failed_count": 0, "locked_until": None}, clinic=clinic)

    def unlock(self, actor: User | None, name: str) -> User:
        """End a lockout early (an admin who knows it was the owner mistyping)."""
        return self._change(actor, name, AuditKind.USER_UNLOCKED, {"failed_count": 0, "locked_until": None})

    def change_role(self, actor: User | None, name: str, role: str | Role, clinic: bool = False) -> User:
        self.require(actor, Permission.MANAGE_USERS)
        new_role = check_role(role.value if isinstance(role, Role) else role)
        if new_role is not Role.ADMIN:
            self._keep_an_admin(actor, name, "change this role")
        return self._change(actor, name, AuditKind.USER_ROLE_CHANGED, {"role": new_role}, clinic=clinic)

    def reset_secret(self, actor: User | None, name: str, secret: str, repeat: str | None = None,
                     clinic: bool = False) -> User:
        """A new PIN or passphrase chosen with an admin; also ends any lockout."""
        self.require(actor, Permission.MANAGE_USERS)
        target = self.accounts.get(check_name(name))
        kind = self._check_secret(secret, repeat, target.name)
        stored = hash_secret(secret, self.kdf)
        return self._change(actor, target.name, AuditKind.USER_SECRET_RESET,
                            {"secret_hash": stored, "secret_kind": kind, "failed_count": 0, "locked_until": None},
                            new_hash=stored, clinic=clinic)

    def change_own_secret(self, name: str, current: str, new: str, repeat: str | None = None,
                          via: str = "cli") -> User:
        """Anyone may change their own PIN or passphrase by typing the current one first (a wrong
        one counts towards the lockout like any sign-in); no admin is needed."""
        clean = check_name(name)
        kind = self._check_secret(new, repeat, clean)
        self._not_the_clinics(clean)
        user = self.sign_in(clean, current, via=via, purpose="change own PIN or passphrase")
        if secret_matches(new, self.accounts.secret_hash(user.name)):
            raise InputRefused("New PIN or passphrase: it is the same as the current one; choose another.")
        stored = hash_secret(new, self.kdf)
        return self.accounts.update(user.name, {"secret_hash": stored, "secret_kind": kind, "updated_at": self._now()},
                                    [self._event(AuditKind.USER_SECRET_CHANGED, user, user_state(user, stored))])

    # ------------------------------------------------------------------ signing in
    def lock_remaining(self, user: User) -> float:
        """The longest pause of ``user``'s name still running, from whichever source."""
        now = self.clock.now()
        return max((self.lockout.remaining(from_iso(until), now).total_seconds()
                    for until in self.accounts.paused_until(name_key(user.name))), default=0.0)

    def _wait(self, tries: Tries) -> float:
        until = from_iso(tries.locked_until) if tries.locked_until else None
        return self.lockout.remaining(until, self.clock.now()).total_seconds()

    def _dummy_check(self, secret: str) -> None:
        """Spend the same time as a real check, so timing does not tell which names exist."""
        if not self._dummy_hash:
            self._dummy_hash = hash_secret("not a real secret", self.kdf)
        secret_matches(secret[:PASSPHRASE_MAX], self._dummy_hash)

    def sign_in(self, name: str, secret: str, via: str = "gui", purpose: str = "",
                permission: Permission | None = None, success_kind: str = AuditKind.SIGNED_IN,
                roles: Collection[Role] | None = None) -> User:
        """The user, if name and secret match, the name is not paused and the role allows ``permission``
        (and is one of ``roles`` when given)."""
        name = "" if name is None else str(name)
        try:
            clean = check_name(name)
        except InputRefused:
            if self.has_users() and name.strip():
                self.accounts.append_audit(self._event(AuditKind.SIGN_IN_FAILED, "", {
                    "user": "", "reason": "invalid_name", "via": via}))
            raise
        if not secret:
            raise InputRefused("PIN or passphrase: please type it.")
        user = self.accounts.find(clean)
        if user is None:
            if self.has_users():
                self._unknown_name_try(clean, via)  # paused after the same number of tries as a real name
            self._dummy_check(secret)
            raise AccessRefused(NOT_RECOGNISED)
        attempt = self._count_attempt(user, via, typed=clean)
        if len(secret) > PASSPHRASE_MAX:  # cannot match: no stored secret is this long
            self._dummy_check(secret)
            matched = False
        else:
            matched = secret_matches(secret, self.accounts.secret_hash(user.name))
        if not matched:
            self._record_failure(attempt, via, typed=clean)
        user = attempt.user
        if not user.active:
            self._audit_refusal(attempt, "disabled", via)
            raise AccessRefused(f"{user.name}'s account is disabled. An admin can enable it again.")
        if permission is not None and not user.may(permission):
            self._audit_refusal(attempt, "not_permitted", via)
            raise AccessRefused(refusal_for(user, permission))
        if roles is not None and user.role not in roles:
            self._audit_refusal(attempt, "not_permitted", via)
            wanted = " or ".join(role.value for role in Role if role in roles) or "nobody"
            raise AccessRefused(f"{user.name} is {_a(user.role.value)}: this needs {_a(wanted)}.")
        payload = {"user": user.name, "role": user.role.value, "via": via, **({"purpose": purpose} if purpose else {})}
        return self.accounts.update_and_reset(user.name, attempt.undo(), [self._event(success_kind, user, payload)],
                                              attempt.key, attempt.source)

    def _count_attempt(self, user: User, via: str, typed: str) -> _Attempt:
        """Count this try (for this name from this source) before the secret is checked, starting
        a pause if it is the fifth.

        Counting first (in one transaction) means tries made in parallel cannot all slip through
        before the pause begins; a right secret then takes the count and the pause back.
        """
        key, source = name_key(user.name), self._source(via)

        def decide(tries: Tries) -> tuple[Tries | None, list[Event], _Attempt]:
            wait = self._wait(tries)
            if wait > 0:
                refused = self._event(AuditKind.SIGN_IN_REFUSED_LOCKED, "", {
                    "user": user.name, "until": tries.locked_until, "via": via, "source": source})
                return None, [refused], _Attempt(user, tries.failed_count, None, None, wait, key, source)
            failures = tries.failed_count + 1
            pause = self.lockout.pause_after(failures)
            until = to_iso(self.clock.now() + pause) if pause is not None else None
            new = Tries(failures, until or tries.locked_until, tries.lockouts + (1 if until else 0))
            return new, [], _Attempt(user, failures, pause, until, 0.0, key, source)

        attempt = self.accounts.count_try(key, source, decide)
        if attempt.wait > 0:
            raise AccessRefused(self._paused_message(typed, attempt.wait))
        return attempt

    def _audit_refusal(self, attempt: _Attempt, reason: str, via: str) -> None:
        """The secret was right but the account may not come in: the try does not count as a guess."""
        self.accounts.update_and_reset(attempt.user.name, attempt.undo(), [self._event(
            AuditKind.SIGN_IN_FAILED, "", {"user": attempt.user.name, "reason": reason, "via": via})],
            attempt.key, attempt.source)

    def _unknown_name_try(self, name: str, via: str) -> None:
        """A wrong try on a name nobody has: counted and paused like a real name's (so the answers
        do not tell which names exist), and recorded under a keyed hash, never the typed text.
        Raises the refusal when the name is paused; the caller says "do not match" otherwise."""
        # The room key (and the cryptography package) load only here, not for every command's start
        # (bench/bench_startup.py).
        from kaproom.services.room_key import load_or_create  # noqa: PLC0415
        tag = load_or_create(self.store.path.parent).keyed_hash("sign-in name", name_key(name))
        source = self._source(via)
        base = {"user": "", "name": UNKNOWN_NAME, "name_hash": tag}

        def decide(tries: Tries) -> tuple[Tries | None, list[Event], tuple[float, timedelta | None]]:
            wait = self._wait(tries)
            if wait > 0:
                return None, [self._event(AuditKind.SIGN_IN_REFUSED_LOCKED, "", {
                    **base, "until": tries.locked_until, "via": via, "source": source})], (wait, None)
            failures = tries.failed_count + 1
            events = [self._event(AuditKind.SIGN_IN_FAILED, "", {
                **base, "reason": "unknown_user", "failures": failures, "via": via})]
            pause = self.lockout.pause_after(failures)
            until = to_iso(self.clock.now() + pause) if pause is not None else None
            if pause is not None:
                events.append(self._event(AuditKind.LOCKED_OUT, "", {
                    **base, "failures": failures, "minutes": pause.total_seconds() / 60, "until": until,
                    "via": via, "source": source}))
            new = Tries(failures, until or tries.locked_until, tries.lockouts + (1 if until else 0))
            return new, events, (0.0, pause)

        wait, pause = self.accounts.count_try("#" + tag, source, decide)
        if wait > 0:
            raise AccessRefused(self._paused_message(name, wait))
        if pause is not None:
            raise AccessRefused(self._paused_message(name, pause.total_seconds()))

    def _paused_message(self, name: str, wait_seconds: float) -> str:
        return (f"Too many wrong tries: {name} is paused for {describe_wait(timedelta(seconds=wait_seconds))}. "
                "Try again then, or ask an admin to unlock it.")

    def _record_failure(self, attempt: _Attempt, via: str, typed: str) -> None:
        name = attempt.user.name
        events = [self._event(AuditKind.SIGN_IN_FAILED, "", {"user": name, "reason": "wrong_secret",
                                                              "failures": attempt.failures, "via": via})]
        if attempt.pause is not None:
            events.append(self._event(AuditKind.LOCKED_OUT, "", {
                "user": name, "failures": attempt.failures, "minutes": attempt.pause.total_seconds() / 60,
                "until": attempt.until, "via": via, "source": attempt.source}))
        self.accounts.update(name, {}, events)
        if attempt.pause is not None:
            raise AccessRefused(self._paused_message(typed, attempt.pause.total_seconds()))
        raise AccessRefused(NOT_RECOGNISED)

    def confirm(self, user: User, secret: str, purpose: str = "unlock data entry") -> User:
        """The signed-in person types their secret again (e.g. to unlock data entry); same lockout."""
        return self.sign_in(user.name, secret, via="gui", purpose=purpose, success_kind=AuditKind.ENTRY_UNLOCKED)

    # ------------------------------------------------------------------ recording what people do
    def record(self, actor: User | None, kind: str, payload: Mapping[str, Any]) -> RecordedEvent | None:
        """Add an audit event. With no users registered (a fresh install, the demo) there is nobody
        to attribute it to, and no trail is started: skipped."""
        if not self.has_users():
            return None
        return self.accounts.append_audit(self._event(kind, actor, payload))

    def record_view(self, actor: User | None, session_uid: str, session_id: int, via: str = "gui") -> None:
        self.record(actor, AuditKind.SESSION_VIEWED, {"session": session_uid, "session_id": session_id, "via": via})

    def record_export(self, actor: User | None, session_uids: Iterable[str], fmt: str, destination: str) -> None:
        """Health information leaving the app is recorded even before sign-in is set up (then
        attributed to nobody): the audit trail is the only record of exports."""
        payload = {"sessions": list(session_uids), "format": fmt, "destination": str(destination)}
        self.accounts.append_audit(self._event(AuditKind.SESSION_EXPORTED, actor, payload))

    def exports_of(self, session_uid: str, viewer: User | None) -> list[RecordedEvent]:
        """The audit log's exports of one session, oldest first (for the review's details), for
        those who may read the audit log; nothing for others."""
        try:
            self.require(viewer, Permission.VIEW_AUDIT)
        except AccessRefused:
            return []
        return [event for event in self.accounts.audit_events((AuditKind.SESSION_EXPORTED,))
                if session_uid in (event.payload.get("sessions") or ())]

    def record_import(self, actor: User | None, source: str, session_uids: Iterable[str] = ()) -> None:
        self.record(actor, AuditKind.SESSION_IMPORTED, {"source": str(source), "sessions": list(session_uids)})

    def record_signoff(self, actor: User | None, session_uid: str) -> None:
        self.record(actor, AuditKind.SIGNED_OFF, {"session": session_uid})

    def record_protocol_change(self, actor: User | None, protocol_id: str, action: str, file: str = "") -> None:
        self.record(actor, AuditKind.PROTOCOL_CHANGED, {"protocol": protocol_id, "action": action, "file": file})

    def record_lock(self, actor: User | None, reason: str) -> None:
        self.record(actor, AuditKind.REVIEW_LOCKED, {"user": actor.name if actor else "", "reason": reason})
