"""Importing a session bundle from another computer: re-verify it, then add what is new.

Supervisors review on their own computer for several rooms, and sign-offs made there travel
back the same way. So an import either adds a session that is not here yet (marked with the room
it came from), or adds the events a longer copy of a session has beyond ours. Nothing is ever
changed: a bundle whose chain is broken, or whose history differs from ours, is refused with the
event named, and importing the same bundle twice adds nothing.

A correctly hashed bundle can still hold what no room would write, so vitals outside the
session protocol's ranges are refused too (a blood pressure of 1e17 would stretch every chart),
and what ``import`` prints never carries a bundle's control characters (ANSI escapes in a client
code could rewrite the terminal): they are shown escaped, as ``\x1b``.
"""
from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kaproom.domain.clock import format_hms, to_iso
from kaproom.domain.events import Event, Kind, RecordedEvent, verify_chain
from kaproom.domain.people import AuditKind, Permission, name_key
from kaproom.domain.protocol import builtin_protocol, parse_protocol
from kaproom.domain.protocol_error import ProtocolError
from kaproom.domain.protocol_settings import DEFAULT_RANGES
from kaproom.export.json_bundle import Bundle, BundleRefused, origin_of, parse_bundle, signed_statement
from kaproom.export.output import read_bundle_bytes
from kaproom.services.people import People
from kaproom.services.room_key import fingerprint, signature_valid
from kaproom.store import NotFound, Store
from kaproom.store.accounts import Accounts
from kaproom.store.bundles import ChainMismatch, Signed, add_imported_session, append_imported_events

if TYPE_CHECKING:
    from kaproom.domain.people import User

#: Whether to trust a room's key seen for the first time: True, False, or asked (room, fingerprint).
TrustNewRoom = bool | Callable[[str, str], bool]


class UnknownRoom(BundleRefused):
    """A correctly signed bundle from a room this computer has not imported from before: its key
    must be confirmed (compare the fingerprint with the room) before it is trusted."""

    def __init__(self, message: str, room: str, fingerprint: str) -> None:
        super().__init__(message)
        self.room, self.fingerprint = room, fingerprint


@dataclass(frozen=True)
class ImportResult:
    session_uid: str
    number: int  # the session's number on this computer
    added: int  # events added
    new_session: bool
    origin: str
    message: str  # what happened, in words


def _describe(event: RecordedEvent) -> str:
    return f"event {event.seq} ('{event.kind.replace('_', ' ')}' at session time {format_hms(event.session_time)})"


def _session_facts(bundle: Bundle, source: str) -> dict[str, Any]:
    """Header facts from the hashed first event; the unhashed header copy must agree with them."""
    first = bundle.events[0]
    if first.kind != Kind.SESSION_CREATED:
        raise BundleRefused(f"{source} was not imported: its first event is '{first.kind}', not the creation of "
                            "the session.")
    p = first.payload
    raw_protocol = p.get("protocol")
    protocol: Mapping[str, Any] = raw_protocol if isinstance(raw_protocol, Mapping) else {}
    facts = {"created_at": first.wall_time, "client_code": str(p.get("client_code", "")),
             "therapist": str(p.get("therapist", "")), "room": str(p.get("room", "")), "demo": bool(p.get("demo")),
             "protocol_id": str(protocol.get("id", "")), "protocol_name": str(protocol.get("name", ""))}
    for key in ("client_code", "therapist", "room", "protocol_id"):
        claimed = bundle.session.get(key)
        if claimed is not None and str(claimed) != facts[key]:
            raise BundleRefused(f"{source} was not imported: its header says {key.replace('_', ' ')} "
                                f"'{claimed}' but its hashed record says '{facts[key]}' (the header was edited).")
    return facts


def _check_chain(bundle: Bundle, source: str) -> None:
    report = verify_chain(f"bundle {bundle.uid[:8]}", bundle.events)
    if not report.intact:
        at = next((e for e in bundle.events if e.seq == report.broken_at), None)
        what = _describe(at) if at else f"event {report.broken_at}"
        raise BundleRefused(f"{source} was not imported: its record is broken at {what}: {report.reason}. "
                            "Nothing was added.")
    declared_seq, declared_hash = bundle.session.get("last_seq"), bundle.session.get("last_hash")
    last = bundle.events[-1]
    if isinstance(declared_seq, int) and not isinstance(declared_seq, bool) and declared_seq != last.seq:
        raise BundleRefused(f"{source} was not imported: it says it holds {declared_seq} events but ends at event "
                            f"{last.seq} (events were removed from its end). Nothing was added.")
    if isinstance(declared_hash, str) and declared_hash and declared_hash != last.hash:
        raise BundleRefused(f"{source} was not imported: its last event is not the one it declares "
                            "(events were removed or replaced at its end). Nothing was added.")


def _ranges(bundle: Bundle, source: str) -> Mapping[str, tuple[float, float]]:
    """The vitals ranges of the protocol the session ran (the defaults when it cannot be read)."""
    raw_protocol = bundle.events[0].payload.get("protocol")
    protocol: Mapping[str, Any] = raw_protocol if isinstance(raw_protocol, Mapping) else {}
    text = protocol.get("text")
    try:
        if isinstance(text, str) and text:
            return dict(DEFAULT_RANGES) | dict(parse_protocol(text, "the bundle's protocol").vitals_ranges)
        return dict(DEFAULT_RANGES) | dict(builtin_protocol(str(protocol.get("id", ""))).vitals_ranges)
    except RecursionError:
        raise BundleRefused(f"{source} was not imported: the protocol it carries nests too deep to be read. "
                            "Nothing was added.") from None
    except (ProtocolError, KeyError, ValueError, TypeError, OSError):
        return dict(DEFAULT_RANGES)


def _check_vitals(bundle: Bundle, source: str) -> None:
    """Refuse vitals no check-in could have saved: values outside the protocol's ranges."""
    ranges = _ranges(bundle, source)
    for event in bundle.events:
        if event.kind != Kind.VITALS:
            continue
        for name, (low, high) in ranges.items():
            value = event.payload.get(name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or low <= value <= high:
                continue
            shown = f"{value:g}" if isinstance(value, float) or abs(value) < 10**15 else "a number that long"
            raise BundleRefused(f"{source} was not imported: {_describe(event)} gives {name.replace('_', ' ')} "
                                f"{shown}, outside what the session's protocol allows ({low:g}–{high:g}). "
                                "Nothing was added.")


_SHOWN_ESCAPED = {0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}  # direction overrides


def printable(text: str) -> str:
    """``text`` with control characters (ANSI escapes, direction overrides) shown escaped, never obeyed."""
    if text.isprintable():
        return text
    return "".join(ch if ch == " " or (unicodedata.category(ch) != "Cc" and ord(ch) not in _SHOWN_ESCAPED
                                       and ch.isprintable()) else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)


def _origin(bundle: Bundle, facts: Mapping[str, Any]) -> str:
    # Once imported, a session keeps the room it first came from; the signature covers this name.
    return origin_of(str(bundle.session.get("origin") or ""), facts["room"])


def _check_signature(bundle: Bundle, origin: str, source: str) -> Signed:
    """Who signed this bundle's chain head and room of origin: the room itself, or another computer
    (an office) that names itself as the signer; with its public key and signature."""
    sig = bundle.signature
    if sig is None:
        raise BundleRefused(f"{source} was not imported: it is not signed by the room that wrote it (made by an "
                            "older KAP Room, or its signature was removed). Export it again from the room. "
                            "Nothing was added.")
    key, signature, claimed = sig.get("public_key"), sig.get("signature"), sig.get("origin")
    signer = sig.get("signer", origin)
    if not (isinstance(key, str) and isinstance(signature, str) and isinstance(claimed, str)
            and isinstance(signer, str) and signer.strip()):
        raise BundleRefused(f"{source} was not imported: its signature is not readable. Nothing was added.")
    last = bundle.events[-1]
    if claimed != origin or not signature_valid(key, signature,
                                                signed_statement(bundle.uid, last.seq, last.hash, origin, signer)):
        raise BundleRefused(f"{source} was not imported: its signature does not match its record (the session, "
                            "its last event or its room of origin were changed after the room signed it). "
                            "Nothing was added.")
    return Signed(signer, origin, key, signature)


def pinned_room_keys(store: Store) -> dict[str, tuple[str, str]]:
    """Each room this computer has trusted: name key -> (room as named, public key)."""
    pinned: dict[str, tuple[str, str]] = {}
    for event in Accounts(store).audit_events((AuditKind.ROOM_KEY_TRUSTED,)):
        room, key = event.payload.get("room"), event.payload.get("public_key")
        if isinstance(room, str) and isinstance(key, str):
            pinned.setdefault(name_key(room), (room, key))  # the first key learnt stays
    return pinned


def _trust(store: Store, origin: str, key: str, trust_new: TrustNewRoom, source: str, actor: str,
           now: datetime) -> None:
    """Refuse a known room signed by another key; pin a new room's key once it is confirmed."""
    known = pinned_room_keys(store).get(name_key(origin))
    shown = fingerprint(key)
    if known is not None:
        if known[1] != key:
            raise BundleRefused(
                f"{source} was not imported: it claims to come from {origin}, but it is signed by another key "
                f"({shown}) than the one this computer learnt for {known[0]} ({fingerprint(known[1])}). It may be "
                "forged, or the room's computer was replaced: ask the room before anything else. Nothing was added.")
        return
    # Without staff (a fresh install, the demo) nobody signs in and nobody could confirm: the first
    # key is learnt as it comes. With staff, the supervisor importing confirms it.
    confirmed = not store.has_users() or (trust_new(origin, shown) if callable(trust_new) else trust_new)
    if not confirmed:
        raise UnknownRoom(
            f"{source} comes from {origin}, a room this computer has not imported from before. Its room key's "
            f"fingerprint is {shown}: check it with {origin} (the room's `kaproom room-key`), then import again "
            "and confirm (on the command line: --trust-new-room). Nothing was added.", origin, shown)
    Accounts(store).append_audit(Event(AuditKind.ROOM_KEY_TRUSTED, {
        "room": origin, "public_key": key, "fingerprint": shown, "source": source}, 0.0,
        to_iso(now), actor, ""))


def _check_uid(store: Store, uid: str, source: str) -> None:
    """A session id that is part of another one (or holds one) here would make a typed id pick the
    wrong session: refused."""
    clash = next((row.id for row in store.sessions(include_demo=True)
                  if row.uid != uid and (row.uid.startswith(uid) or uid.startswith(row.uid))), None)
    if clash is not None:
        raise BundleRefused(f"{source} was not imported: its session id is part of session {clash}'s here "
                            "(or the other way round), so the two could be taken for each other. Nothing was added.")


def _local_copy(store: Store, uid: str):
    try:
        row = store.session(uid)
    except NotFound:
        return None
    return row if row.uid == uid else None


def import_bundle_data(store: Store, data: bytes, source: str = "the bundle", trust_new: TrustNewRoom = False,
                       actor: str = "", now: datetime | None = None) -> ImportResult:
    """Verify and import one bundle's bytes into ``store``; BundleRefused says why not.

    The message (of the result or the refusal) is safe to print: see :func:`printable`.
    """
    try:
        result = _import(store, data, source, trust_new, actor, now or datetime.now(UTC))
    except UnknownRoom as exc:
        raise UnknownRoom(printable(str(exc)), exc.room, exc.fingerprint) from None
    except BundleRefused as exc:
        raise BundleRefused(printable(str(exc))) from None
    return replace(result, message=printable(result.message))


def _import(store: Store, data: bytes, source: str, trust_new: TrustNewRoom, actor: str,
            now: datetime) -> ImportResult:
    bundle = parse_bundle(data, source)
    _check_chain(bundle, source)
    facts = _session_facts(bundle, source)
    _check_vitals(bundle, source)
    origin = _origin(bundle, facts)
    signed = _check_signature(bundle, origin, source)
    uid, theirs = bundle.uid, list(bundle.events)
    _check_uid(store, uid, source)
    _trust(store, signed.recorded_by, signed.public_key, trust_new, source, actor, now)
    row = _local_copy(store, uid)
    try:
        if row is None:
            add_imported_session(store, facts, theirs, origin, signed)
            row = store.session(uid)
            return ImportResult(uid, row.id, len(theirs), True, origin,
                                f"Imported session {row.id} (client {row.client_code}, {row.therapist}) from "
                                f"{origin}: {len(theirs)} events, record intact.")
        return _merge(store, row, theirs, source, signed)
    except ChainMismatch as exc:  # another import got there first
        raise BundleRefused(f"{source} was not imported: {exc}. Try again.") from None


def _merge(store: Store, row, theirs: list[RecordedEvent], source: str, signed: Signed) -> ImportResult:
    ours = store.events(row.uid)
    local = store.verify(row.uid)[0]
    if not local.intact:
        raise BundleRefused(f"{source} was not imported: this computer's copy of session {row.id} is itself broken "
                            f"at event {local.broken_at} ({local.reason}). Keep the database file and report this.")
    for mine, other in zip(ours, theirs):
        if mine.hash != other.hash:
            raise BundleRefused(
                f"{source} was not imported: session {row.id} here and the bundle part ways at event {mine.seq} "
                f"(here: '{mine.kind.replace('_', ' ')}' at {mine.wall_time}; in the bundle: "
                f"'{other.kind.replace('_', ' ')}' at {other.wall_time}). Each computer added different events "
                "after the bundle was made, so they cannot be joined; both records stay as they are.")
    new = theirs[len(ours):]
    if not new:
        extra = f" (and {len(ours) - len(theirs)} more)" if len(ours) > len(theirs) else ""
        return ImportResult(row.uid, row.id, 0, False, row.origin,
                            f"Session {row.id} is already here with every event in the bundle{extra}; nothing "
                            "was added.")
    append_imported_events(store, row.uid, new, signed)
    kinds = ", ".join(sorted({e.kind.replace("_", " ") for e in new}))
    return ImportResult(row.uid, row.id, len(new), False, row.origin,
                        f"Added {len(new)} new events to session {row.id} ({kinds}); record intact.")


def import_bundle(workspace: Any, path: str | os.PathLike, user: User | None = None,
                  trust_new: TrustNewRoom = False) -> ImportResult:
    """Import the bundle file at ``path`` into the workspace (or store) and audit who did it.

    With users registered, ``user`` must be allowed to import (AccessRefused otherwise).
    """
    store: Store = getattr(workspace, "store", workspace)
    if hasattr(workspace, "clock"):
        people = People.of(workspace)
        if user is not None or people.has_users():
            people.require(user, Permission.IMPORT)
    result = import_bundle_data(store, read_bundle_bytes(path), os.path.basename(os.fspath(path)) or "the bundle",
                                trust_new, user.name if user is not None else "",
                                workspace.clock.now() if hasattr(workspace, "clock") else None)
    if hasattr(workspace, "clock"):
        People.of(workspace).record_import(user, os.fspath(path), [result.session_uid] if result.added else [])
    return result
