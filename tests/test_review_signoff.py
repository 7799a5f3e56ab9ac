"""Sign-off is an event in the session's own chain; the integrity badge comes from verify."""
from __future__ import annotations

import pytest
from _review_helpers import add_session, amend, note, tamper_payload

from kaproom.domain.events import Kind
from kaproom.services.signoff import COMMENT_MAX, SignOffRefused, amended_after_signoff, integrity_of, sign_off
from kaproom.services.simulate import run_simulation


def simulate(workspace, clock, protocol_id="short-check"):
    # A floor on each step: on a FakeClock a tiny float remainder would otherwise not move time.
    return run_simulation(workspace, protocol_id, notes=4, vitals=3, tracks=2,
                          sleep=lambda seconds: clock.advance(max(seconds, 0.001))).session_uid


def test_signoff_is_appended_to_the_chain_and_keeps_it_intact(workspace, clock):
    uid = simulate(workspace, clock)
    before = workspace.store.events(uid)
    clock.advance(86400)
    event = sign_off(workspace, uid, "  Reviewed; BP rise noted and handled.  ", user_name="Dr Rao")
    after = workspace.store.events(uid)
    assert after[:-1] == before and after[-1] == event
    assert event.kind == Kind.SIGNOFF and event.seq == before[-1].seq + 1 and event.prev_hash == before[-1].hash
    assert event.payload == {"comment": "Reviewed; BP rise noted and handled.", "role": "supervisor"}
    assert event.author == "Dr Rao" and event.wall_time.startswith("2026-03-03")
    assert integrity_of(workspace.store, uid).intact
    row = workspace.store.session(uid)
    assert row.signed_by == "Dr Rao" and row.signed_at == event.wall_time


def test_running_session_cannot_be_signed(workspace, protocol):
    runner = workspace.new_session(protocol, "C-9", "Ana")
    with pytest.raises(SignOffRefused, match="not ended"):
        sign_off(workspace, runner.session_uid, "ok")
    assert not workspace.store.events(runner.session_uid, (Kind.SIGNOFF,))


def test_overlong_comment_is_refused_and_nothing_written(workspace, clock):
    uid = simulate(workspace, clock)
    with pytest.raises(SignOffRefused, match=str(COMMENT_MAX)):
        sign_off(workspace, uid, "x" * (COMMENT_MAX + 1))
    assert workspace.store.session(uid).signed_at is None


def test_control_characters_are_dropped_but_line_breaks_kept(workspace, clock):
    uid = simulate(workspace, clock)
    event = sign_off(workspace, uid, "line one\x00\x1b\r\nline two")
    assert event.payload["comment"] == "line one\nline two"


def test_amendment_after_signoff_is_recognised(store, protocol):
    uid = add_session(store, protocol)
    first = note(store, uid, "Client calm")
    before = amend(store, uid, first, "Client calm after water")
    from kaproom.domain.events import Event
    store.append(uid, Event(Kind.SIGNOFF, {"comment": "ok", "role": "supervisor"}, 3600.0,
                            "2026-03-03T09:00:00.000Z", "Dr Rao", ""))
    later = amend(store, uid, first, "Client calm, asked for blanket")
    assert amended_after_signoff(store.events(uid)) == {later.seq}
    assert before.seq not in amended_after_signoff(store.events(uid))
    assert store.session(uid).amended_after_signoff == 1


def test_tampered_payload_breaks_the_badge_at_that_event(workspace, clock):
    uid = simulate(workspace, clock)
    notes = workspace.store.events(uid, (Kind.NOTE,))
    target = notes[1]
    tamper_payload(workspace.store.path, uid, target.seq, '{"text":"Nothing happened."}')
    badge = integrity_of(workspace.store, uid)
    assert not badge.intact and badge.broken_at == target.seq
    assert badge.label == f"Record broken at event {target.seq}"
    with pytest.raises(SignOffRefused, match=f"broken at event {target.seq}"):
        sign_off(workspace, uid, "looks fine")


def test_signoff_needs_a_permitted_user_once_users_exist(workspace, clock):
    from kaproom.services.people import AccessRefused, People
    uid = simulate(workspace, clock)
    people = People.of(workspace)
    admin = people.add_user(None, "Admin", "admin", "correct horse battery")
    people.add_user(admin, "Tess", "therapist", "915273")
    people.add_user(admin, "Rao", "supervisor", "836159")
    tess = people.find("Tess")
    with pytest.raises(AccessRefused):
        sign_off(workspace, uid, "ok", user=tess)
    with pytest.raises(AccessRefused):
        sign_off(workspace, uid, "ok")  # nobody signed in
    rao = people.find("Rao")
    event = sign_off(workspace, uid, "ok", user=rao)
    assert event.author == "Rao" and event.payload["role"] == "supervisor"
    audit = people.audit(viewer=rao)
    assert any(e.kind == "signed_off" and e.payload["session"] == uid for e in audit)
