"""A realistic finished session on a fake clock, for the export, import and FHIR tests.

It runs the short protocol through the real Workspace and SessionRunner, with vitals in the
shape the vitals check-in writes (NEWS2, statuses), an alert and its acknowledgement, a tag, an
amendment, a discharge check with an override and a sign-off, all in milliseconds.
"""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from kaproom.domain.clock import FakeClock, to_iso
from kaproom.domain.events import GENESIS, Event, Kind, event_hash
from kaproom.domain.session import State
from kaproom.services.workspace import Workspace

VITALS = [  # (session minute, payload)
    (1.0, {"systolic": 128, "diastolic": 82, "pulse": 74, "spo2": 98, "respiratory_rate": 14, "temperature": 36.7,
           "moaas": 5, "nausea": "none", "supplemental_oxygen": False, "comment": "baseline", "partial": False,
           "news2": {"score": 0, "band": "low", "parts": {}}, "statuses": {}}),
    (6.0, {"systolic": 152, "diastolic": 94, "pulse": 88, "spo2": 96, "respiratory_rate": 16, "temperature": None,
           "moaas": 4, "nausea": "mild", "comment": "", "partial": False,
           "news2": {"score": 1, "band": "low", "parts": {"systolic": 0}},
           "statuses": {"systolic": {"level": "caution", "reason": "Systolic 152 is above 140"},
                        "diastolic": {"level": "caution", "reason": "Diastolic 94 is above 90"}}}),
    (9.0, {"systolic": 184, "diastolic": 101, "pulse": 92, "spo2": 93, "respiratory_rate": 18, "moaas": 4,
           "nausea": "none", "comment": "Client calm, recheck in 5 min", "partial": False,
           "news2": {"score": 3, "band": "low-medium", "parts": {}},
           "statuses": {"systolic": {"level": "urgent", "reason": "Systolic 184 is at or above 180"},
                        "spo2": {"level": "caution", "reason": "SpO2 93 is below 95"}, "pulse": {"level": "ok", "reason": ""}}}),
    (11.0, {"systolic": 131, "diastolic": 80, "pulse": 70, "spo2": 97, "respiratory_rate": None, "moaas": 5,
            "nausea": "none", "comment": "", "partial": True, "statuses": {}}),
]


def finished_session(folder: Path, *, client: str = "KAP-0042", therapist: str = "Ana Ruiz",
                     room: str = "Room 2", signed: bool = True) -> tuple[Workspace, str]:
    """A discharged short-check session in ``folder``; returns the open workspace and its uid."""
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    workspace = Workspace(folder, clock)
    protocol = workspace.protocol("short-check")
    runner = workspace.new_session(protocol, client, therapist, room,
                                   screening={q.id: q.id == "fasting" for q in protocol.screening},
                                   intention="To feel at home in my body again.")
    uid = runner.session_uid

    def at(minute: float) -> None:
        target = minute * 60 - runner.elapsed()
        if target > 0:
            clock.advance(target)
        runner.tick()

    plan = [(m, Kind.VITALS, p) for m, p in VITALS]
    plan += [(2.5, Kind.DOSE, {"route": "sublingual lozenge", "effective_time": 150.0}),
             (4.5, Kind.NOTE, {"text": "Eyeshades on; breathing slow — «ça va»."}),
             (5.0, Kind.TAG, {"label": "tearful"}),
             (7.0, Kind.MUSIC, {"action": "track_started", "title": "Low hills", "file": "low-hills.ogg",
                                "playlist": "deep.m3u8"}),
             (7.5, Kind.MUSIC, {"action": "error", "file": "gone.ogg", "message": "file is missing"})]
    plan.sort(key=lambda item: item[0])
    note_event = None
    for minute, kind, payload in plan:
        at(minute)
        recorded = runner.record(kind, payload)
        if kind == Kind.NOTE:
            note_event = recorded
        if kind == Kind.VITALS and payload.get("statuses", {}).get("systolic", {}).get("level") == "urgent":
            alert = runner.record(Kind.ALERT, {"level": "urgent", "field": "systolic", "value": 184,
                                               "reason": "Systolic 184 is at or above 180", "source_seq": recorded.seq})
            clock.advance(40)
            runner.record(Kind.ALERT_ACK, {"alert_seq": alert.seq, "action": "Rechecked manually, informed doctor"})
    at(10.0)
    assert note_event is not None
    runner.amend(note_event, "Eyeshades on at 4:20, not 4:30.")
    while not runner.state.is_last_phase:
        runner.advance("client ready")
    at(12.5)
    checklist = {q.id: q.id != "walks_steadily" for q in protocol.discharge_checklist}
    runner.record(Kind.DISCHARGE_CHECK, {"checklist": checklist, "ready_to_leave_at": to_iso(clock.now()),
                                         "override_reason": "Walks with a stick normally; escort holds arm"})
    runner.end(State.DISCHARGED, details={"checklist": checklist,
                                          "override_reason": "Walks with a stick normally; escort holds arm",
                                          "ready_to_leave_at": to_iso(clock.now())})
    if signed:
        clock.advance(86400)
        last = workspace.store.events(uid)[-1]
        workspace.store.append(uid, Event(Kind.SIGNOFF, {"comment": "Reviewed; BP peak handled well.",
                                                         "role": "supervisor"}, last.session_time,
                                          to_iso(clock.now()), "Dr Supervisor", last.phase))
    return workspace, uid


def resign(doc: dict) -> dict:
    """Sign a bundle's (recomputed) chain head again, as a room whose own key made it would: the
    tests that forge a correctly hashed bundle are about what the importer refuses beyond the
    signature, so their bundles come signed by a room key (one key for every such bundle)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kaproom.export.json_bundle import sign_head
    from kaproom.services.room_key import RoomKey

    global _FORGER_KEY
    if _FORGER_KEY is None:
        _FORGER_KEY = RoomKey(Ed25519PrivateKey.generate())
    key = _FORGER_KEY
    doc["signature"] = sign_head(doc["session"], lambda statement: (key.public_key, key.sign(statement)))
    return doc


_FORGER_KEY = None


def rehash(doc: dict) -> dict:
    """Recompute every link and hash of a bundle, as a forger with the file would (the chain itself is
    intact), and sign the new head with a room key: see `resign`."""
    return resign(rechain(doc))


def rechain(doc: dict) -> dict:
    """Recompute every link and hash of a bundle, leaving its signature as it was (now not matching)."""
    prev, uid = GENESIS, doc["session"]["uid"]
    for seq, e in enumerate(doc["events"], start=1):
        e["seq"], e["prev_hash"] = seq, prev
        e["hash"] = prev = event_hash(prev, uid, seq, e["kind"], e["wall_time"], e["session_time"], e["author"],
                                      e["phase"], e["payload"])
    doc["session"]["last_seq"], doc["session"]["last_hash"] = len(doc["events"]), prev
    return doc


@pytest.fixture
def room(tmp_path):
    """A room's data folder holding one finished session, not signed off: (workspace, uid)."""
    workspace, uid = finished_session(tmp_path / "room", signed=False)
    yield workspace, uid
    workspace.close()


@pytest.fixture
def office(tmp_path):
    """An office computer's data folder, empty, on a fake clock: its workspace."""
    workspace = Workspace(tmp_path / "office", FakeClock())
    yield workspace
    workspace.close()
