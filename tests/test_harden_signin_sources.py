"""Issue 23, point 11: wrong sign-in tries are counted per name AND source (the computer the app
runs on; for the command line, the account on that computer), so someone guessing a colleague's
name at one computer cannot pause the colleague signing in at another. Two computers share one
data folder here, as rooms sharing a clinic folder do; each is told apart by its host name."""
from __future__ import annotations

import getpass
import socket

import pytest

from kaproom.domain.people import AuditKind
from kaproom.services.people import AccessRefused
from tests._people_helpers import THERAPIST_PIN, add_staff, audit_log, fast_people


def at(monkeypatch, host: str, account: str = "clinic") -> None:
    monkeypatch.setattr(socket, "gethostname", lambda: host)
    monkeypatch.setattr(getpass, "getuser", lambda: account)


def five_wrong(people, name: str, via: str = "gui") -> str:
    for _attempt in range(4):
        with pytest.raises(AccessRefused, match="do not match"):
            people.sign_in(name, "000001", via=via)
    with pytest.raises(AccessRefused) as fifth:
        people.sign_in(name, "000001", via=via)
    return str(fifth.value)


def test_a_guesser_at_one_computer_does_not_pause_a_colleague_at_another(workspace, monkeypatch):
    people = fast_people(workspace)
    add_staff(people)
    at(monkeypatch, "room-3")
    assert "paused for 60 seconds" in five_wrong(people, "Teo")
    with pytest.raises(AccessRefused, match="paused"):  # at the guesser's computer, even the right PIN waits
        people.sign_in("Teo", THERAPIST_PIN)

    at(monkeypatch, "room-1")  # Teo, at the computer in their own room
    assert people.sign_in("Teo", THERAPIST_PIN).name == "Teo"
    at(monkeypatch, "room-3")
    with pytest.raises(AccessRefused, match="paused"):  # Teo's success elsewhere does not free the guesser
        people.sign_in("Teo", "000001")

    locked = audit_log(people, (AuditKind.LOCKED_OUT,))
    assert len(locked) == 1 and locked[0].payload["user"] == "Teo" and "room-3" in locked[0].payload["source"]
    assert people.lock_remaining(people.find("Teo")) > 0  # the staff list says the name is paused somewhere


def test_unknown_names_are_counted_per_source_alike(workspace, monkeypatch):
    people = fast_people(workspace)
    add_staff(people)
    at(monkeypatch, "room-3")
    known, unknown = five_wrong(people, "teo"), five_wrong(people, "zed")
    assert known.replace("teo", "NAME") == unknown.replace("zed", "NAME")
    at(monkeypatch, "room-1")
    with pytest.raises(AccessRefused, match="do not match"):  # not paused here, like a real name
        people.sign_in("zed", "000001")


def test_the_command_line_counts_per_account_of_the_computer(workspace, monkeypatch):
    people = fast_people(workspace)
    add_staff(people)
    at(monkeypatch, "office", "mallory")
    assert "paused" in five_wrong(people, "Teo", via="cli")
    with pytest.raises(AccessRefused, match="paused"):
        people.sign_in("Teo", THERAPIST_PIN, via="cli")
    assert people.sign_in("Teo", THERAPIST_PIN, via="gui")  # the app on the same computer
    at(monkeypatch, "office", "teo")  # Teo's own account on it
    assert people.sign_in("Teo", THERAPIST_PIN, via="cli")


def test_an_admin_ends_the_pause_at_every_source(workspace, monkeypatch):
    people = fast_people(workspace)
    staff = add_staff(people)
    for host in ("room-2", "room-3"):
        at(monkeypatch, host)
        five_wrong(people, "Teo")
    people.unlock(staff["admin"], "Teo")
    assert people.lock_remaining(people.find("Teo")) == 0
    for host in ("room-2", "room-3"):
        at(monkeypatch, host)
        assert people.sign_in("Teo", THERAPIST_PIN)
