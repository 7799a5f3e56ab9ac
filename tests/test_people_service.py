"""Accounts and sign-in on a real database: first admin, lockout on the fake clock, user changes."""
from __future__ import annotations

import pytest
from _people_helpers import (
    ADMIN_PIN,
    SUPERVISOR_SECRET,
    THERAPIST_PIN,
    add_staff,
    audit_log,
    database_bytes,
    fast_people,
    rows,
)

from kaproom.domain.people import AuditKind, InputRefused, Permission, Role
from kaproom.services.people import AccessRefused, People


def test_the_first_user_must_be_an_admin_and_needs_nobody_to_sign_in(workspace):
    people = fast_people(workspace)
    assert not people.has_users()
    with pytest.raises(InputRefused, match="first user must be an admin"):
        people.add_user(None, "Teo", "therapist", THERAPIST_PIN)
    admin = people.add_user(None, "Ana", "admin", ADMIN_PIN)
    assert admin.role is Role.ADMIN and people.has_users()
    with pytest.raises(AccessRefused, match="Please sign in"):
        people.add_user(None, "Eve", "admin", "quiet meadow path")
    [event] = audit_log(people)
    assert event.kind == AuditKind.USER_ADDED and event.payload["first_admin"] is True


def test_only_admins_manage_users(workspace):
    people = fast_people(workspace)
    staff = add_staff(people)
    for role in ("therapist", "supervisor"):
        with pytest.raises(AccessRefused, match=f"is an? {role}: only an admin may manage users"):
            people.add_user(staff[role], "Eve", "admin", "quiet meadow path")
        with pytest.raises(AccessRefused):
            people.disable(staff[role], "Ana")
        with pytest.raises(AccessRefused):
            people.reset_secret(staff[role], "Ana", "new quiet meadow")
    assert [u.name for u in people.users()] == ["Ana", "Sam", "Teo"]


def test_sign_in_with_the_right_secret_only(workspace):
    people = fast_people(workspace)
    add_staff(people)
    assert people.sign_in("sam", SUPERVISOR_SECRET).name == "Sam"  # names are not case-sensitive
    with pytest.raises(AccessRefused, match="do not match"):
        people.sign_in("Sam", "quiet river stone")
    with pytest.raises(AccessRefused, match="do not match"):  # same words for a name that does not exist
        people.sign_in("Nobody", SUPERVISOR_SECRET)


def test_five_wrong_tries_pause_the_name_for_a_growing_delay(workspace, clock):
    people = fast_people(workspace)
    add_staff(people)
    for _attempt in range(4):
        with pytest.raises(AccessRefused, match="do not match"):
            people.sign_in("Teo", "000001")
    with pytest.raises(AccessRefused, match="paused for 60 seconds"):
        people.sign_in("Teo", "000001")
    # Even the right PIN is refused during the pause, and those refusals do not lengthen it.
    clock.advance(59)
    with pytest.raises(AccessRefused, match="paused for 1 seconds"):
        people.sign_in("Teo", THERAPIST_PIN)
    clock.advance(1)
    for _attempt in range(4):
        with pytest.raises(AccessRefused, match="do not match"):
            people.sign_in("Teo", "000001")
    with pytest.raises(AccessRefused, match="paused for 2 minutes"):
        people.sign_in("Teo", "000001")
    clock.advance(119)
    with pytest.raises(AccessRefused, match="paused"):
        people.sign_in("Teo", THERAPIST_PIN)
    clock.advance(1)
    assert people.sign_in("Teo", THERAPIST_PIN).failed_count == 0  # success starts counting again
    kinds = [e.kind for e in audit_log(people, newest_first=False)]
    assert kinds.count(AuditKind.SIGN_IN_FAILED) == 10
    assert kinds.count(AuditKind.LOCKED_OUT) == 2
    assert kinds.count(AuditKind.SIGN_IN_REFUSED_LOCKED) == 2
    assert kinds[-1] == AuditKind.SIGNED_IN
    lockouts = audit_log(people, (AuditKind.LOCKED_OUT,), newest_first=False)
    assert [e.payload["minutes"] for e in lockouts] == [1, 2]


def test_a_pause_does_not_affect_other_people_and_an_admin_can_end_it(workspace):
    people = fast_people(workspace)
    staff = add_staff(people)
    for _attempt in range(5):
        with pytest.raises(AccessRefused):
            people.sign_in("Teo", "000001")
    assert people.sign_in("Sam", SUPERVISOR_SECRET)
    people.unlock(staff["admin"], "Teo")
    assert people.sign_in("Teo", THERAPIST_PIN)


def test_disabled_users_cannot_sign_in_until_enabled(workspace):
    people = fast_people(workspace)
    staff = add_staff(people)
    people.disable(staff["admin"], "Teo")
    with pytest.raises(AccessRefused, match="disabled"):
        people.sign_in("Teo", THERAPIST_PIN)
    with pytest.raises(AccessRefused, match="do not match"):  # a wrong PIN does not reveal the state
        people.sign_in("Teo", "000001")
    with pytest.raises(AccessRefused, match="no longer an active user"):  # a stale signed-in copy
        people.require(staff["therapist"], Permission.RUN_SESSION)
    people.enable(staff["admin"], "Teo")
    assert people.sign_in("Teo", THERAPIST_PIN).active


def test_reset_gives_a_new_secret_and_ends_a_pause(workspace):
    people = fast_people(workspace)
    staff = add_staff(people)
    for _attempt in range(5):
        with pytest.raises(AccessRefused):
            people.sign_in("Teo", "000001")
    with pytest.raises(InputRefused, match="Repeat: the two entries differ"):
        people.reset_secret(staff["admin"], "Teo", "275913", "275914")
    people.reset_secret(staff["admin"], "Teo", "275913", "275913")
    with pytest.raises(AccessRefused, match="do not match"):
        people.sign_in("Teo", THERAPIST_PIN)
    assert people.sign_in("Teo", "275913")


def test_there_is_always_an_active_admin(workspace):
    people = fast_people(workspace)
    staff = add_staff(people)
    with pytest.raises(InputRefused, match="only active admin"):
        people.disable(staff["admin"], "Ana")
    with pytest.raises(InputRefused, match="only active admin"):
        people.change_role(staff["admin"], "Ana", "supervisor")
    people.add_user(staff["admin"], "Bea", "admin", "tall green hedges")
    people.disable(staff["admin"], "Ana")
    assert not people.find("Ana").active


def test_role_changes_take_effect_at_once(workspace):
    people = fast_people(workspace)
    staff = add_staff(people)
    people.change_role(staff["admin"], "Teo", "supervisor")
    with pytest.raises(AccessRefused):
        people.require(staff["supervisor"], Permission.MANAGE_USERS)
    people.require(staff["therapist"], Permission.SIGN_OFF)  # the stored role counts, not the old copy


def test_sign_in_for_a_purpose_refuses_a_role_that_may_not(workspace):
    people = fast_people(workspace)
    add_staff(people)
    with pytest.raises(AccessRefused, match="Teo is a therapist: only a supervisor may review every session"):
        people.sign_in("Teo", THERAPIST_PIN, permission=Permission.VIEW_ALL_SESSIONS)
    assert audit_log(people, limit=1)[0].payload["reason"] == "not_permitted"


def test_no_secret_is_stored_or_logged_in_plain_text(workspace, data_dir):
    people = People.of(workspace)  # the real scrypt cost
    secrets = ["583920", "quiet river stones", "Zoë's ünïcode pässphrase"]
    admin = people.add_user(None, "Ana", "admin", secrets[0])
    people.add_user(admin, "Sam", "supervisor", secrets[1])
    people.reset_secret(admin, "Sam", secrets[2])
    for wrong in ("839201", "quiet river stonez"):
        with pytest.raises(AccessRefused):
            people.sign_in("Sam", wrong)
    people.sign_in("Sam", secrets[2])
    stored = database_bytes(data_dir)
    assert b"Ana" in stored and b"quiet" not in stored  # the file is readable; the secrets are not in it
    for secret in secrets + ["839201", "quiet river stonez"]:
        for encoding in ("utf-8", "utf-16-le"):
            assert secret.encode(encoding) not in stored
    assert all(h.startswith("$scrypt$ln=15,r=8,p=1$") for (h,) in rows(data_dir, "SELECT secret_hash FROM users"))


@pytest.mark.parametrize("field,value", [
    ("name", ""), ("name", "x" * 5000), ("name", "Robert'); DROP TABLE users;--"), ("name", "ana\x00"),
    ("name", "\u202eadmin"), ("name", "🙂🙂🙂"), ("role", ""), ("role", "root"), ("role", "admin' OR '1'='1"),
    ("role", "x" * 5000), ("secret", ""), ("secret", "x" * 5000), ("secret", "1\x002345678"),
    ("secret", "12345"), ("secret", "\u202e\u202e"), ("repeat", "different words here"),
])
def test_bad_input_in_any_user_field_is_refused_and_nothing_is_written(workspace, data_dir, field, value):
    people = fast_people(workspace)
    staff = add_staff(people)
    audit_before = len(audit_log(people))
    form = {"name": "Eve", "role": "therapist", "secret": "quiet meadow path", "repeat": None}
    form[field] = value
    with pytest.raises(InputRefused) as refused:
        people.add_user(staff["admin"], form["name"], form["role"], form["secret"], form["repeat"])
    assert str(refused.value).split(":")[0] in ("Name", "Role", "PIN", "Passphrase", "PIN or passphrase", "Repeat")
    assert [u.name for u in people.users()] == ["Ana", "Sam", "Teo"]
    assert len(audit_log(people)) == audit_before
    assert rows(data_dir, "SELECT count(*) FROM users") == [(3,)]
    # The same values at reset and role change are refused too and change nothing.
    with pytest.raises((InputRefused, AccessRefused)):
        if field == "role":
            people.change_role(staff["admin"], "Teo", value)
        elif field == "name":
            people.reset_secret(staff["admin"], value, "quiet meadow path")
        else:
            people.reset_secret(staff["admin"], "Teo", form["secret"], form["repeat"])
    assert people.sign_in("Teo", THERAPIST_PIN).role is Role.THERAPIST


@pytest.mark.parametrize("name,secret,words", [
    ("", THERAPIST_PIN, "Name: please type a name"), ("Teo", "", "please type it"),
    ("x" * 5000, THERAPIST_PIN, "at most 32"), ("Teo' OR '1'='1", THERAPIST_PIN, "only letters"),
    ("Teo", "' OR '1'='1", "do not match"), ("Teo", "9" * 100000, "do not match"),
    ("Teo", THERAPIST_PIN + "\x00", "do not match"), ("Teo\x00", THERAPIST_PIN, "U+0000"),
    ("Téo", THERAPIST_PIN, "do not match"), ("Teo", "🙂" * 20, "do not match"),
])
def test_bad_input_at_sign_in_is_refused_clearly(workspace, data_dir, name, secret, words):
    people = fast_people(workspace)
    add_staff(people)
    with pytest.raises((InputRefused, AccessRefused)) as refused:
        people.sign_in(name, secret)
    assert words in str(refused.value)
    failures = audit_log(people, (AuditKind.SIGN_IN_FAILED,))
    # A refused try is recorded, but never with what was typed as the secret, nor a malformed name.
    stored = database_bytes(data_dir)
    if secret and len(secret) < 1000:
        assert secret.encode() not in stored
    if failures and "Name:" in words:
        assert failures[0].payload["user"] == ""
    assert all(e.kind != AuditKind.SIGNED_IN for e in audit_log(people))


def test_a_pause_survives_closing_and_reopening_the_app(data_dir, clock):
    from kaproom.services.workspace import Workspace
    with Workspace(data_dir, clock) as workspace:
        people = fast_people(workspace)
        add_staff(people)
        for _attempt in range(5):
            with pytest.raises(AccessRefused):
                people.sign_in("Teo", "000001")
    clock.advance(30)
    with Workspace(data_dir, clock) as workspace:  # a restart does not wipe the count or the pause
        with pytest.raises(AccessRefused, match="paused for 30 seconds"):
            fast_people(workspace).sign_in("Teo", THERAPIST_PIN)


def test_the_demo_user_needs_no_sign_in_and_leaves_no_trail_in_a_folder_without_users(workspace):
    from kaproom.services.people import DEMO_USER
    people = fast_people(workspace)
    for permission in Permission:
        people.require(DEMO_USER, permission)
    people.record_view(DEMO_USER, "demo-session", 1)
    assert audit_log(people) == [] and workspace.verify_extra() == []


@pytest.mark.slow
def test_tries_made_at_the_same_moment_cannot_slip_past_the_pause(data_dir):
    """Twelve processes guess at once (each check takes the real scrypt time): only five are checked."""
    import multiprocessing

    from _people_helpers import try_wrong_pin_in_another_process

    from kaproom.services.workspace import Workspace
    with Workspace(data_dir) as workspace:
        people = People.of(workspace)
        admin = people.add_user(None, "Ana", "admin", ADMIN_PIN)
        people.add_user(admin, "Teo", "therapist", THERAPIST_PIN)
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(12), context.Queue()
    workers = [context.Process(target=try_wrong_pin_in_another_process, args=(str(data_dir), barrier, results))
               for _ in range(12)]
    for worker in workers:
        worker.start()
    answers = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert answers.count("signed in") == 0
    assert sum("do not match" in a for a in answers) == 4
    assert sum("paused" in a for a in answers) == 8
    with Workspace(data_dir) as workspace:
        failures = audit_log(fast_people(workspace), (AuditKind.SIGN_IN_FAILED,))
        refused = audit_log(fast_people(workspace), (AuditKind.SIGN_IN_REFUSED_LOCKED,))
    assert len(failures) == 5 and len(refused) == 7  # five guesses were checked, seven never were


def test_anyone_changes_their_own_secret_by_typing_the_current_one(workspace):
    people = fast_people(workspace)
    add_staff(people)
    with pytest.raises(AccessRefused, match="do not match"):
        people.change_own_secret("Teo", "000001", "275913")  # a wrong current PIN: refused, counted
    with pytest.raises(InputRefused, match="Repeat: the two entries differ"):
        people.change_own_secret("Teo", THERAPIST_PIN, "275913", "275914")
    with pytest.raises(InputRefused, match="same as the current one"):
        people.change_own_secret("Teo", THERAPIST_PIN, THERAPIST_PIN)
    people.change_own_secret("Teo", THERAPIST_PIN, "275913", "275913")
    with pytest.raises(AccessRefused, match="do not match"):
        people.sign_in("Teo", THERAPIST_PIN)
    assert people.sign_in("Teo", "275913").name == "Teo"
    changed = people.audit((AuditKind.USER_SECRET_CHANGED,), viewer=people.find("Ana"))
    assert [(e.author, e.payload["user"]) for e in changed] == [("Teo", "Teo")]
    failed = people.audit((AuditKind.SIGN_IN_FAILED,), viewer=people.find("Ana"))
    assert [e.payload["reason"] for e in failed] == ["wrong_secret", "wrong_secret"]
    assert all(report.intact for report in people.verify())  # the users table still agrees with the log


def test_a_sessions_exports_are_listed_for_those_who_may_read_the_audit_log(workspace):
    people = fast_people(workspace)
    staff = add_staff(people)
    people.record_export(staff["supervisor"], ["uid-1"], "pdf", "/clinic/a.pdf")
    people.record_export(staff["supervisor"], ["uid-2"], "csv", "/clinic/b.csv")
    assert [(e.payload["format"], e.author) for e in people.exports_of("uid-1", staff["supervisor"])] == [("pdf", "Sam")]
    assert people.exports_of("uid-1", staff["therapist"]) == []  # a therapist does not read the audit log
