"""Issue 23, point 11: what a wrong sign-in leaves behind, and what it tells a guesser."""
from __future__ import annotations

import pytest

from kaproom.domain.people import AuditKind
from kaproom.services.people import AccessRefused
from tests._people_helpers import SUPERVISOR_SECRET, THERAPIST_PIN, add_staff, audit_log, database_bytes, fast_people


def test_a_passphrase_typed_into_the_name_field_is_not_stored(workspace, data_dir):
    people = fast_people(workspace)
    add_staff(people)
    typed = "Winter-Orchard-Lantern-7"  # a passphrase, typed where the name goes
    with pytest.raises(AccessRefused, match="do not match"):
        people.sign_in(typed, SUPERVISOR_SECRET)
    [failed] = audit_log(people, (AuditKind.SIGN_IN_FAILED,))
    assert failed.payload["reason"] == "unknown_user" and typed not in str(failed.payload)
    assert typed.encode() not in database_bytes(data_dir)
    assert typed.casefold().encode() not in database_bytes(data_dir).lower()


def _five_wrong(people, name: str) -> str:
    for _ in range(4):
        with pytest.raises(AccessRefused, match="do not match"):
            people.sign_in(name, "000001")
    with pytest.raises(AccessRefused) as fifth:
        people.sign_in(name, "000001")
    return str(fifth.value)


def test_unknown_and_known_names_are_paused_alike_and_the_message_keeps_the_typed_spelling(workspace, clock):
    people = fast_people(workspace)
    add_staff(people)
    known = _five_wrong(people, "teo")
    unknown = _five_wrong(people, "zed")
    assert "Teo" not in known  # the stored spelling is not revealed
    assert known.replace("teo", "NAME") == unknown.replace("zed", "NAME")
    assert "paused for 60 seconds" in unknown
    with pytest.raises(AccessRefused, match="paused"):  # still paused on the next try, like a real name
        people.sign_in("zed", "000001")
    clock.advance(60)
    with pytest.raises(AccessRefused, match="do not match"):
        people.sign_in("zed", "000001")
    assert people.sign_in("teo", THERAPIST_PIN).name == "Teo"
