"""The pure rules: names, secrets, hashing, lockout delays and who may do what."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from _people_helpers import FAST_KDF
from hypothesis import given, settings
from hypothesis import strategies as st

from kaproom.domain.events import RecordedEvent
from kaproom.domain.people import (
    DEFAULT_KDF,
    AccountVersion,
    AuditKind,
    InputRefused,
    LockoutPolicy,
    Permission,
    Role,
    ScryptParams,
    User,
    check_client_label,
    check_name,
    check_new_secret,
    check_role,
    hash_secret,
    may,
    may_see_session,
    secret_matches,
    unauthorised_user_changes,
    users_disagreeing_with_audit,
)


def test_default_hash_is_scrypt_2_15_with_a_fresh_salt_and_matches_only_its_secret():
    stored = hash_secret("583920")
    assert stored.startswith("$scrypt$ln=15,r=8,p=1$")
    assert ScryptParams(15, 8, 1) == DEFAULT_KDF
    assert "583920" not in stored
    assert secret_matches("583920", stored)
    assert not secret_matches("583921", stored)
    assert hash_secret("583920") != stored  # salted: the same PIN never hashes the same twice


def test_parameters_travel_with_the_hash():
    cheap = hash_secret("quiet river stones", FAST_KDF)
    assert cheap.startswith("$scrypt$ln=4,r=1,p=1$")
    assert secret_matches("quiet river stones", cheap)


def test_accents_typed_either_way_match():
    composed, decomposed = "caf\u00e9 au lait!", "cafe\u0301 au lait!"
    assert secret_matches(decomposed, hash_secret(composed, FAST_KDF))


@pytest.mark.parametrize("damaged", ["", "plaintext", "$md5$x$y$z", "$scrypt$ln=40,r=8,p=1$AAAA$AAAA",
                                     "$scrypt$ln=15,r=8$AAAA$AAAA", "$scrypt$ln=4,r=1,p=1$!!!$AAAA"])
def test_a_damaged_stored_hash_never_matches_and_never_raises(damaged):
    assert not secret_matches("583920", damaged)


@pytest.mark.parametrize("name", ["Ana", "ana.lopez", "Zoë", "José-María", "Łukasz_2", "山田"])
def test_names_people_have_are_accepted(name):
    assert check_name(f"  {name} ") == name


@pytest.mark.parametrize("name,words", [
    ("", "please type a name"), ("   ", "please type a name"), ("A", "at least 2"),
    ("x" * 33, "at most 32"), ("1ana", "start with a letter"),
    ("Robert'); DROP TABLE users;--", "only letters, digits"), ("ana\x00admin", "U+0000"),
    ("ana lopez", "remove: space"), ("ana\u202eadmin", "U+202E"), ("admin OR 1=1", "only letters"),
])
def test_bad_names_are_refused_naming_the_field(name, words):
    with pytest.raises(InputRefused) as refused:
        check_name(name)
    assert str(refused.value).startswith("Name:") and words in str(refused.value)


@given(st.text(max_size=80))
def test_any_typed_name_is_accepted_clean_or_refused_with_a_message(text):
    try:
        name = check_name(text)
    except InputRefused as exc:
        assert str(exc).startswith("Name:")
    else:
        assert 2 <= len(name) <= 32 and name[0].isalpha() and "\x00" not in name and "'" not in name


@pytest.mark.parametrize("secret,kind", [("583920", "pin"), ("0" + "58392", "pin"),
                                         ("quiet river stones", "passphrase"), ("ß∂ƒ©˙∆˚¬…æ", "passphrase"),
                                         ("'; DROP TABLE users; --", "passphrase")])
def test_good_secrets(secret, kind):
    assert check_new_secret(secret, "Ana") == kind


@pytest.mark.parametrize("secret,words", [
    ("", "please type one"), ("12345", "at least 6 digits"), ("123456", "too easy"), ("000000", "too easy"),
    ("987654", "too easy"), ("short", "at least 10"), ("9" * 33, "at most 32"), ("x" * 257, "at most 256"),
    (" quiet river", "start or end with a space"), ("quiet\x00river stones", "control characters"),
    ("quiet\triver stones", "control characters"), ("anaanaanaana", None),
])
def test_weak_or_odd_secrets_are_refused(secret, words):
    if words is None:  # long enough and not the name: fine
        assert check_new_secret(secret, "Ana") == "passphrase"
        return
    with pytest.raises(InputRefused) as refused:
        check_new_secret(secret, "Ana")
    assert words in str(refused.value)


def test_the_name_itself_is_not_a_secret():
    with pytest.raises(InputRefused, match="same as the name"):
        check_new_secret("Anastasia.K", "anastasia.k")


@settings(max_examples=200)
@given(st.text(max_size=300))
def test_any_new_secret_is_accepted_or_refused_with_a_message(text):
    try:
        kind = check_new_secret(text)
    except InputRefused as exc:
        assert str(exc).split(":")[0] in ("PIN", "Passphrase", "PIN or passphrase")
    else:
        assert kind in ("pin", "passphrase") and len(text) >= 6


def test_roles_are_checked():
    assert check_role(" Supervisor ") is Role.SUPERVISOR
    for bad in ("", "root", "admin'--", "ADMIN\x00"):
        with pytest.raises(InputRefused, match="Role: one of therapist, supervisor, admin"):
            check_role(bad)


def test_lockout_grows_one_two_four_minutes_and_stops_at_the_cap():
    policy = LockoutPolicy()
    assert [policy.pause_after(n) for n in (1, 2, 3, 4)] == [None] * 4
    assert policy.pause_after(5) == timedelta(minutes=1)
    assert policy.pause_after(10) == timedelta(minutes=2)
    assert policy.pause_after(15) == timedelta(minutes=4)
    assert policy.pause_after(5 * 40) == timedelta(minutes=60)


def test_a_wall_clock_set_back_never_makes_the_pause_longer_than_the_cap():
    policy = LockoutPolicy()
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert policy.remaining(now + timedelta(days=3), now) == timedelta(minutes=60)
    assert policy.remaining(now - timedelta(seconds=1), now) == timedelta(0)
    assert policy.remaining(None, now) == timedelta(0)


def test_permissions_by_role():
    therapist, supervisor, admin = (User("x" + r.value, r) for r in Role)
    assert therapist.may(Permission.RUN_SESSION) and not therapist.may(Permission.VIEW_ALL_SESSIONS)
    assert not therapist.may(Permission.SIGN_OFF) and not therapist.may(Permission.EXPORT)
    assert supervisor.may(Permission.SIGN_OFF) and supervisor.may(Permission.VIEW_AUDIT)
    assert not supervisor.may(Permission.MANAGE_USERS)
    assert admin.may(Permission.MANAGE_USERS) and admin.may(Permission.MANAGE_PROTOCOLS)
    assert not admin.may(Permission.VIEW_ALL_SESSIONS) and not admin.may(Permission.RUN_SESSION)
    disabled = User("gone", Role.SUPERVISOR, active=False)
    assert not disabled.may(Permission.VERIFY)
    assert may(None, Permission.MANAGE_USERS)  # nobody registered yet: an open install


def test_therapists_see_only_their_own_sessions():
    teo, sam = User("Teo", Role.THERAPIST), User("Sam", Role.SUPERVISOR)
    assert may_see_session(teo, "teo") and not may_see_session(teo, "Ana")
    assert may_see_session(sam, "Ana") and may_see_session(None, "anyone")
    assert not may_see_session(User("Ana", Role.ADMIN), "Ana")


def test_client_is_a_clinic_code_by_default_and_initials_only_when_allowed():
    assert check_client_label(" KAP-0042 ") == "KAP-0042"
    with pytest.raises(InputRefused, match="Client code"):
        check_client_label("Jane Doe")
    assert check_client_label("j.d.", "initials") == "J.D."
    with pytest.raises(InputRefused, match="initials"):
        check_client_label("Janet", "initials")


def test_trailing_nul_bytes_do_not_pass_for_the_secret():
    """HMAC pads keys with zero bytes; without a guard "583920\\0" would match "583920"."""
    stored = hash_secret("583920", FAST_KDF)
    for typed in ("583920\x00", "583920\x00\x00", "\x00583920"):
        assert not secret_matches(typed, stored)


def _audit(*entries: tuple[str, str, dict]) -> list[RecordedEvent]:
    return [RecordedEvent(kind, payload, 0.0, f"2026-03-02T09:0{seq}:00+00:00", author, "", seq, "audit", seq,
                          "0" * 64, f"{seq:064x}") for seq, (kind, author, payload) in enumerate(entries, start=1)]


def test_an_account_from_the_clinic_explains_its_row_and_a_role_edited_by_hand_is_caught():
    stored = hash_secret("917364", FAST_KDF)
    version = AccountVersion("Teo", "therapist", True, stored, "pin", "Office", 7, "ab" * 32, "2026-03-02T09:00:00+00:00")
    taken = {**version.state(), "secret_changed": True, "office": "Office", "office_audit_seq": 7,
             "office_audit_hash": "ab" * 32}
    rae = {"user": "Rae", "role": "admin", "active": True, "secret_fingerprint": "x", "first_admin": True}
    audit = _audit((AuditKind.USER_ADDED, "Rae", rae), (AuditKind.ACCOUNT_FROM_CLINIC, "Ada", taken))
    teo = User("Teo", Role.THERAPIST)
    # The room's own admin did not make it, and need not have: the clinic's office entry is its authority.
    assert unauthorised_user_changes(audit) == []
    assert users_disagreeing_with_audit([(teo, stored)], audit[1:]) == []
    # Someone edits Teo's row by hand to make him an admin: caught.
    edited = User("Teo", Role.ADMIN)
    assert users_disagreeing_with_audit([(edited, stored)], audit[1:]) == ["user 'Teo': role differs from the audit log"]
    # ... or slips in an "account from the clinic" entry that names no office entry: caught too.
    forged = {key: value for key, value in taken.items() if not key.startswith("office")}
    assert unauthorised_user_changes(_audit((AuditKind.ACCOUNT_FROM_CLINIC, "Ada", forged))) == [
        "audit event 1 (account from clinic 'Teo' by 'Ada') was made by no one who could (added outside KAP Room?)"]
