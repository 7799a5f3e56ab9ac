"""Who may do what, how secrets are checked, and when a name is paused after wrong tries.

A room computer is shared by several staff and the record is health information, so these rules
are kept pure (no database, no Qt, time passed in) and shared by the GUI and the command line:
the same refusal wherever someone tries. Secrets are kept only as salted scrypt hashes with
their parameters, so the cost can be raised later without locking anyone out.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from kaproom.domain.events import JSONDict, JSONMapping, RecordedEvent, event_hash_of_text


class Role(str, Enum):
    THERAPIST = "therapist"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Permission(str, Enum):
    RUN_SESSION = "run sessions"
    VIEW_OWN_SESSIONS = "see their own sessions"
    VIEW_ALL_SESSIONS = "review every session"
    SIGN_OFF = "sign off sessions"
    EXPORT = "export sessions"
    IMPORT = "import sessions"
    VERIFY = "verify the logs"
    VIEW_AUDIT = "view the audit log"
    MANAGE_USERS = "manage users"
    MANAGE_PROTOCOLS = "manage protocols"
    MANAGE_SETTINGS = "change clinic settings"


#: Roles are not nested on purpose: an admin looks after accounts and protocols but does not read
#: health records. A clinic director who does both has two accounts (least privilege).
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.THERAPIST: frozenset({Permission.RUN_SESSION, Permission.VIEW_OWN_SESSIONS, Permission.VERIFY}),
    Role.SUPERVISOR: frozenset({Permission.RUN_SESSION, Permission.VIEW_OWN_SESSIONS, Permission.VIEW_ALL_SESSIONS,
                                Permission.SIGN_OFF, Permission.EXPORT, Permission.IMPORT, Permission.VERIFY,
                                Permission.VIEW_AUDIT}),
    Role.ADMIN: frozenset({Permission.MANAGE_USERS, Permission.MANAGE_PROTOCOLS, Permission.MANAGE_SETTINGS,
                           Permission.VIEW_AUDIT, Permission.VERIFY}),
}


def roles_with(permission: Permission) -> list[Role]:
    return [role for role in Role if permission in ROLE_PERMISSIONS[role]]


@dataclass(frozen=True)
class User:
    """A member of staff as stored (never with the secret itself)."""

    name: str
    role: Role
    active: bool = True
    secret_kind: str = "pin"  # "pin" | "passphrase"
    failed_count: int = 0
    locked_until: str | None = None
    lockouts: int = 0
    created_at: str = ""
    id: int = 0

    def may(self, permission: Permission) -> bool:
        return self.active and permission in ROLE_PERMISSIONS[self.role]


def may(user: User | None, permission: Permission) -> bool:
    """``None`` means nobody is registered yet: the install is still open (see people.cli)."""
    return True if user is None else user.may(permission)


def may_see_session(user: User | None, therapist: str) -> bool:
    """Therapists see their own sessions; reviewers see all."""
    if user is None or user.may(Permission.VIEW_ALL_SESSIONS):
        return True
    return user.may(Permission.VIEW_OWN_SESSIONS) and name_key(therapist) == name_key(user.name)


# ---------------------------------------------------------------------------- names and secrets
class InputRefused(ValueError):
    """Input that breaks a rule; ``str()`` is the message to show, naming the field."""


NAME_MIN, NAME_MAX = 2, 32
PIN_MIN, PIN_MAX = 6, 32
PASSPHRASE_MIN, PASSPHRASE_MAX = 10, 256
NAME_PUNCTUATION = ".-_"


def name_key(name: str) -> str:
    """Names are unique regardless of case or how accents were typed."""
    return unicodedata.normalize("NFC", name).casefold()


def check_name(raw: str) -> str:
    """A sign-in name: letters first, then letters, digits and . - _ (accents welcome)."""
    if raw is None or not raw.strip():
        raise InputRefused("Name: please type a name.")
    name = unicodedata.normalize("NFC", raw.strip())
    if len(name) > NAME_MAX:
        raise InputRefused(f"Name: at most {NAME_MAX} characters (this one has {len(name)}).")
    if len(name) < NAME_MIN:
        raise InputRefused(f"Name: at least {NAME_MIN} characters.")
    if not name[0].isalpha():
        raise InputRefused("Name: must start with a letter.")
    bad = sorted({ch for ch in name if not (ch.isalnum() or ch in NAME_PUNCTUATION)})
    if bad:
        shown = " ".join(_visible(ch) for ch in bad[:5])
        raise InputRefused(f"Name: only letters, digits and . - _ are allowed; remove: {shown}")
    return name


def _visible(ch: str) -> str:
    """A character as a person can find it in what they typed (invisible ones by code point)."""
    if ch == " ":
        return "space"
    return ch if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}"


def check_role(raw: str) -> Role:
    try:
        return Role(str(raw).strip().lower())
    except ValueError:
        raise InputRefused(f"Role: one of {', '.join(r.value for r in Role)}.") from None


def secret_kind(secret: str) -> str:
    return "pin" if secret.isascii() and secret.isdigit() else "passphrase"


def _too_simple_pin(pin: str) -> bool:
    digits = [int(ch) for ch in pin]
    steps = {b - a for a, b in itertools.pairwise(digits)}
    return len(set(pin)) == 1 or steps in ({1}, {-1})


def check_new_secret(secret: str, name: str = "") -> str:
    """A new PIN (6+ digits) or passphrase (10+ characters); returns the kind."""
    if secret is None or secret == "":
        raise InputRefused("PIN or passphrase: please type one.")
    if any(unicodedata.category(ch) == "Cc" for ch in secret):
        raise InputRefused("PIN or passphrase: control characters (such as NUL or tab) are not allowed.")
    if any(unicodedata.category(ch) == "Cs" for ch in secret):
        raise InputRefused("PIN or passphrase: this is not valid text (broken characters); please retype it.")
    if secret != secret.strip():
        raise InputRefused("PIN or passphrase: must not start or end with a space (too easy to mistype).")
    kind = secret_kind(secret)
    if kind == "pin":
        if len(secret) < PIN_MIN:
            raise InputRefused(f"PIN: at least {PIN_MIN} digits, or use a passphrase of {PASSPHRASE_MIN}+ characters.")
        if len(secret) > PIN_MAX:
            raise InputRefused(f"PIN: at most {PIN_MAX} digits.")
        if _too_simple_pin(secret):
            raise InputRefused("PIN: too easy to guess (repeated or consecutive digits); choose another.")
    else:
        if len(secret) < PASSPHRASE_MIN:
            raise InputRefused(f"Passphrase: at least {PASSPHRASE_MIN} characters (or a PIN of {PIN_MIN}+ digits).")
        if len(secret) > PASSPHRASE_MAX:
            raise InputRefused(f"Passphrase: at most {PASSPHRASE_MAX} characters.")
    if name and name_key(secret) == name_key(name):
        raise InputRefused("PIN or passphrase: must not be the same as the name.")
    return kind


# ---------------------------------------------------------------------------- hashing
@dataclass(frozen=True)
class ScryptParams:
    log2_n: int = 15
    r: int = 8
    p: int = 1
    salt_bytes: int = 16
    key_bytes: int = 32


DEFAULT_KDF = ScryptParams()
#: Bounds on parameters read back from the database, so an edited row cannot stall the app.
MAX_LOG2_N, MAX_R, MAX_P = 17, 8, 4


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _derive(secret: str, salt: bytes, log2_n: int, r: int, p: int, key_bytes: int) -> bytes:
    data = unicodedata.normalize("NFC", secret).encode("utf-8", "surrogatepass")
    return hashlib.scrypt(data, salt=salt, n=2 ** log2_n, r=r, p=p, dklen=key_bytes,
                          maxmem=2 * 128 * r * (2 ** log2_n) + 1024 * 1024)


def hash_secret(secret: str, params: ScryptParams = DEFAULT_KDF, salt: bytes | None = None) -> str:
    """``$scrypt$ln=15,r=8,p=1$<salt>$<key>``: the parameters travel with the hash."""
    salt = salt if salt is not None else os.urandom(params.salt_bytes)
    key = _derive(secret, salt, params.log2_n, params.r, params.p, params.key_bytes)
    return f"$scrypt$ln={params.log2_n},r={params.r},p={params.p}${_b64(salt)}${_b64(key)}"


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes]:
    _, scheme, settings, salt, key = stored.split("$")
    if scheme != "scrypt":
        raise ValueError("unknown scheme")
    values = dict(part.split("=", 1) for part in settings.split(","))
    log2_n, r, p = int(values["ln"]), int(values["r"]), int(values["p"])
    if not (1 <= log2_n <= MAX_LOG2_N and 1 <= r <= MAX_R and 1 <= p <= MAX_P):
        raise ValueError("parameters out of range")
    return log2_n, r, p, _unb64(salt), _unb64(key)


def secret_matches(secret: str, stored: str) -> bool:
    """Constant-time comparison; a damaged stored hash never matches (and never raises).

    A secret with control characters never matches: no new secret may contain them, and HMAC
    (inside scrypt) pads keys with zero bytes, so "917364\\0" would otherwise pass as "917364".
    """
    try:
        log2_n, r, p, salt, key = _parse(stored)
    except (ValueError, KeyError, TypeError):
        _derive(secret, b"\0" * 16, DEFAULT_KDF.log2_n, DEFAULT_KDF.r, DEFAULT_KDF.p, 32)  # same cost either way
        return False
    derived = _derive(secret, salt, log2_n, r, p, len(key))
    has_control = any(unicodedata.category(ch) in ("Cc", "Cs") for ch in secret)
    return hmac.compare_digest(derived, key) and not has_control


def needs_rehash(stored: str, params: ScryptParams = DEFAULT_KDF) -> bool:
    try:
        log2_n, r, p, _, _ = _parse(stored)
    except (ValueError, KeyError, TypeError):
        return True
    return (log2_n, r, p) != (params.log2_n, params.r, params.p)


def fingerprint(stored_hash: str) -> str:
    """A short digest of the stored hash, for the audit trail: shows a secret changed, reveals nothing."""
    return hashlib.sha256(stored_hash.encode("ascii", "replace")).hexdigest()[:16]


# ---------------------------------------------------------------------------- lockout
@dataclass(frozen=True)
class LockoutPolicy:
    """Every ``attempts`` wrong tries in a row pause the name; each pause doubles, up to a cap."""

    attempts: int = 5
    first_pause_minutes: float = 1.0
    max_pause_minutes: float = 60.0

    def pause_after(self, consecutive_failures: int) -> timedelta | None:
        """The pause that starts with this failure, or None if it does not complete a round."""
        if consecutive_failures <= 0 or consecutive_failures % self.attempts:
            return None
        rounds = consecutive_failures // self.attempts
        minutes = min(self.first_pause_minutes * 2 ** min(rounds - 1, 30), self.max_pause_minutes)
        return timedelta(minutes=minutes)

    def remaining(self, locked_until: datetime | None, now: datetime) -> timedelta:
        """Time left in a pause; never more than the cap, even if the wall clock was set back."""
        if locked_until is None or locked_until <= now:
            return timedelta(0)
        return min(locked_until - now, timedelta(minutes=self.max_pause_minutes))


DEFAULT_LOCKOUT = LockoutPolicy()


def describe_wait(wait: timedelta) -> str:
    seconds = max(1, int(wait.total_seconds() + 0.999))
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{(seconds + 59) // 60} minutes"


# ---------------------------------------------------------------------------- clients
def check_client_label(raw: str, identifier: str = "code") -> str:
    """The client as the clinic chose to name them: a clinic code by default, initials if allowed."""
    text = unicodedata.normalize("NFC", (raw or "").strip())
    if identifier == "initials":
        letters = text.replace(".", "").replace(" ", "")
        if not (1 <= len(letters) <= 4 and letters.isalpha()):
            raise InputRefused("Client: initials are 1 to 4 letters (for example J.D.).")
        return text.upper()
    if not (2 <= len(text) <= 20) or not all(ch.isascii() and (ch.isalnum() or ch in "-_/.") for ch in text):
        raise InputRefused("Client code: 2 to 20 letters, digits or - _ / . (the clinic's code, not a name).")
    return text


# ---------------------------------------------------------------------------- audit trail
class AuditKind:
    """Audit event kinds (chain "audit"). Payloads; fields marked ? may be absent:

    - user_added / user_disabled / user_enabled / user_secret_reset / user_role_changed / user_unlocked /
      user_secret_changed (by the user themself): user, role, active, secret_fingerprint (of the
      stored hash: shows a change, reveals nothing), first_admin?
    - signed_in: user, role, via ("gui"|"cli"), purpose?
    - sign_in_failed: user (or "" when the typed name is not a valid name or belongs to nobody), reason
      ("wrong_secret"|"unknown_user"|"disabled"), failures?, via; for a name that belongs to nobody
      also name ("unknown name": the typed text may be a secret, so it is never stored) and
      name_hash (a hash keyed by the room key, to count that name's tries)
    - locked_out: user, failures, minutes, until, via (name?, name_hash? as above)
    - sign_in_refused_locked: user, until, via (name?, name_hash? as above)
    - review_locked: user?, reason ("idle"|"screen_lock"|"by_hand")
    - entry_unlocked: user, role, via, purpose (a failed try is a sign_in_failed)
    - session_viewed: session (uid), session_id, via ("gui"|"cli"|"resume")
    - session_handed_over: session (uid), session_id, from, to, approved_by (the supervisor), via
    - sessions_listed: count, via
    - session_exported: sessions (uids), format, destination
    - session_imported: sessions (uids), source
    - room_key_trusted: room, public_key, fingerprint, source (the bundle that brought it): from then
      on, bundles from that room must be signed by that key
    - signed_off: session, comment?
    - protocol_changed: protocol, action, file?
    - settings_changed: key, old, new
    - stock_report_exported: format, from?, to?, lines, destination (the controlled-substance register's log)
    - account_from_clinic (a room's copy of a clinic-wide account, written by ``clinic sync``; author: the
      admin at the office): user, role, active, secret_fingerprint (as the user_* kinds), secret_changed,
      office (the office computer), office_audit_seq and office_audit_hash (the office's audit entry that
      made the change: its witness on the clinic server), replaced_local? (a room account of the same
      name was taken over). Never the secret's hash.
    """

    USER_ADDED = "user_added"
    USER_DISABLED = "user_disabled"
    USER_ENABLED = "user_enabled"
    USER_SECRET_RESET = "user_secret_reset"
    USER_ROLE_CHANGED = "user_role_changed"
    USER_UNLOCKED = "user_unlocked"
    USER_SECRET_CHANGED = "user_secret_changed"
    SIGNED_IN = "signed_in"
    SIGN_IN_FAILED = "sign_in_failed"
    LOCKED_OUT = "locked_out"
    SIGN_IN_REFUSED_LOCKED = "sign_in_refused_locked"
    REVIEW_LOCKED = "review_locked"
    ENTRY_UNLOCKED = "entry_unlocked"
    SESSION_VIEWED = "session_viewed"
    SESSION_HANDED_OVER = "session_handed_over"
    SESSIONS_LISTED = "sessions_listed"
    SESSION_EXPORTED = "session_exported"
    SESSION_IMPORTED = "session_imported"
    ROOM_KEY_TRUSTED = "room_key_trusted"
    SIGNED_OFF = "signed_off"
    PROTOCOL_CHANGED = "protocol_changed"
    SETTINGS_CHANGED = "settings_changed"
    STOCK_REPORT_EXPORTED = "stock_report_exported"
    ACCOUNT_FROM_CLINIC = "account_from_clinic"

    #: Changes an admin (or the user) makes on the computer itself.
    LOCAL_USER_CHANGES = (USER_ADDED, USER_DISABLED, USER_ENABLED, USER_SECRET_RESET, USER_ROLE_CHANGED,
                          USER_UNLOCKED, USER_SECRET_CHANGED)
    USER_CHANGES = (*LOCAL_USER_CHANGES, ACCOUNT_FROM_CLINIC)


def user_state(user: User, stored_hash: str) -> JSONDict:
    """What every user-change audit event records about the account afterwards."""
    return {"user": user.name, "role": user.role.value, "active": bool(user.active),
            "secret_fingerprint": fingerprint(stored_hash)}


def users_disagreeing_with_audit(users: list[tuple[User, str]], audit: list[RecordedEvent]) -> list[str]:
    """Accounts whose role, state or secret differ from what the audit log last recorded.

    Catches a role or secret hash changed in the database behind KAP Room's back.
    """
    expected: dict[str, JSONDict] = {}
    for event in audit:
        if event.kind in AuditKind.USER_CHANGES and "user" in event.payload:
            expected[name_key(str(event.payload["user"]))] = dict(event.payload)
    problems = []
    for user, stored_hash in users:
        recorded = expected.pop(name_key(user.name), None)
        if recorded is None:
            problems.append(f"user '{user.name}' is not in the audit log (added outside KAP Room)")
            continue
        actual = user_state(user, stored_hash)
        differing = [word for key, word in (("role", "role"), ("active", "active"), ("secret_fingerprint", "secret"))
                     if recorded.get(key) != actual[key]]
        if differing:
            verb = "differs" if len(differing) == 1 else "differ"
            problems.append(f"user '{user.name}': {' and '.join(differing)} {verb} from the audit log")
    problems += [f"user '{state['user']}' is in the audit log but missing from the users table"
                 for state in expected.values()]
    return problems


def unauthorised_user_changes(audit: list[RecordedEvent]) -> list[str]:
    """Account changes the audit log itself does not explain: made by nobody who, at that point in
    the log, was an active account allowed to manage users (a first admin only while there were
    none; a user's own PIN only by that user). Catches an account slipped in by hand with a
    user_added entry in the name of someone who could not have made it. An entry forged in the
    name of a real admin still passes here: that takes a witness outside the file."""
    accounts: dict[str, tuple[Role, bool]] = {}
    problems = []
    for event in audit:
        if event.kind not in AuditKind.USER_CHANGES or "user" not in event.payload:
            continue
        payload = event.payload
        target, actor = name_key(str(payload["user"])), name_key(event.author)
        held = accounts.get(actor)
        allowed = held is not None and held[1] and Permission.MANAGE_USERS in ROLE_PERMISSIONS[held[0]]
        if event.kind == AuditKind.USER_ADDED and payload.get("first_admin"):
            allowed = not accounts and actor == target and payload.get("role") == Role.ADMIN.value
        elif event.kind == AuditKind.USER_SECRET_CHANGED:
            allowed = actor == target and target in accounts
        elif event.kind == AuditKind.ACCOUNT_FROM_CLINIC:  # the clinic's authority: the office's entry, its witness
            allowed = names_an_office_entry(payload)
        if not allowed:
            problems.append(f"audit event {event.seq} ({event.kind.replace('_', ' ')} '{payload['user']}' by "
                            f"'{event.author}') was made by no one who could (added outside KAP Room?)")
        try:
            accounts[target] = (Role(str(payload.get("role"))), bool(payload.get("active", True)))
        except ValueError:
            problems.append(f"audit event {event.seq} gives '{payload['user']}' an unknown role")
    return problems


# ---------------------------------------------------------------------------- clinic-wide accounts
@dataclass(frozen=True)
class AccountVersion:
    """One version of a clinic-wide account, as an office computer published it on the clinic server:
    the account after a change, and the office's audit entry that made the change (its witness)."""

    name: str
    role: str
    active: bool
    secret_hash: str
    secret_kind: str
    office: str
    audit_seq: int
    audit_hash: str
    wall_time: str
    id: int = 0

    def state(self) -> JSONDict:
        """What an audit entry records of this account (never the secret's hash)."""
        return {"user": self.name, "role": self.role, "active": bool(self.active),
                "secret_fingerprint": fingerprint(self.secret_hash)}


@dataclass(frozen=True)
class OfficeEntry:
    """An office computer's audit entry as the clinic server holds it."""

    seq: int
    wall_time: str
    actor: str
    kind: str
    payload: str
    prev_hash: str
    hash: str


def names_an_office_entry(payload: JSONMapping) -> bool:
    """Whether an account_from_clinic payload names its witness: an office and that office's entry."""
    seq, digest = payload.get("office_audit_seq"), str(payload.get("office_audit_hash") or "")
    return (bool(str(payload.get("office") or "").strip()) and isinstance(seq, int) and not isinstance(seq, bool)
            and seq >= 1 and len(digest) == 64 and all(ch in "0123456789abcdef" for ch in digest))


def account_version_problem(version: AccountVersion, entry: OfficeEntry | None) -> str | None:
    """Why a room must not take this account version, or None: the office's audit entry it names must be
    on the clinic server, be the entry it names (the same hash, recomputed from its content), be an
    account change, and record this very account (name, role, state and the fingerprint of this hash)."""
    where = f"the account '{version.name}' from office '{version.office}' (its audit entry {version.audit_seq})"
    try:
        check_name(version.name)
    except InputRefused:
        return f"{where}: '{version.name}' is not a valid name. Refused; nothing was applied."
    if version.role not in {role.value for role in Role} or version.secret_kind not in ("pin", "passphrase") \
            or not _parses(version.secret_hash):
        return f"{where}: its role, secret or secret kind cannot be read. Refused; nothing was applied."
    if entry is None:
        return (f"{where}: office '{version.office}' audit entry {version.audit_seq} is not on the clinic server. "
                "Refused; nothing was applied.")
    recomputed = event_hash_of_text(entry.prev_hash, "audit", entry.seq, entry.kind, entry.wall_time, 0.0,
                                    entry.actor, "", entry.payload)
    if recomputed != entry.hash or entry.hash != version.audit_hash:
        return (f"{where}: office '{version.office}' audit entry {version.audit_seq} on the clinic server differs "
                "from the entry the account names. Refused; nothing was applied.")
    try:
        body = json.loads(entry.payload)
    except ValueError:
        body = None
    recorded = {key: body.get(key) for key in ("user", "role", "active", "secret_fingerprint")} \
        if isinstance(body, dict) else {}
    if entry.kind not in AuditKind.LOCAL_USER_CHANGES or recorded != version.state():
        return (f"{where}: office '{version.office}' audit entry {version.audit_seq} does not record this account "
                "(its name, role, state or secret differ). Refused; nothing was applied.")
    return None


def _parses(stored: str) -> bool:
    try:
        _parse(stored)
    except (ValueError, KeyError, TypeError):
        return False
    return True
