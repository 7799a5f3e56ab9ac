"""The JSON session bundle: the whole event log with its hashes, for another computer or tool.

A supervisor reviewing on their own computer imports this file; any independent tool can
re-verify it with a few lines of code, because the bundle states the hashing recipe it follows
(the one in :func:`kaproom.domain.events.event_hash`). The ``session`` header is a convenience
copy: the importer trusts only what the hashed events say.

Limits. A bundle is refused, with a message and before anything is added, when it is larger than
:data:`MAX_BUNDLE_BYTES` (16 MB), holds more than :data:`MAX_EVENTS` (5,000) events, nests
objects or lists deeper than :data:`MAX_DEPTH` (32), repeats a key inside one object, or holds a
number JSON cannot carry faithfully (``NaN``, ``Infinity``, or one too large for a float such as
``1e999``). A real session, even a whole day in the room, holds well under a thousand events
(about 0.5 kB each in a bundle); at the limits the import takes seconds and the PDF about a minute
(10,000 events took two minutes and 170 MB on a 2-core machine, hence 5,000), so the import, the
PDF and the review of any bundle the app accepts stay bounded in time and memory.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kaproom.domain.events import GENESIS, RecordedEvent, canonical_json
from kaproom.export.output import MAX_BUNDLE_BYTES, ExportError
from kaproom.export.report_data import SessionReport

FORMAT = "kaproom-session-bundle"
MAX_EVENTS = 5_000
MAX_DEPTH = 32
VERSION = 1
HASH_RECIPE = {
    "algorithm": "sha256",
    "genesis_prev_hash": GENESIS,
    "hashed_text": ("canonical JSON (keys sorted, separators ',' and ':', UTF-8, non-ASCII kept) of "
                    "{prev, session, seq, kind, wall_time, session_time (rounded to 3 decimals), author, phase, "
                    "payload}; prev is the previous event's hash (genesis_prev_hash for seq 1), session the "
                    "session uid"),
}
EVENT_FIELDS = ("seq", "wall_time", "session_time", "author", "phase", "kind", "payload", "prev_hash", "hash")
HEADER_FIELDS = ("uid", "created_at", "protocol_id", "protocol_name", "client_code", "therapist", "room", "demo",
                 "origin", "state", "started_at", "ended_at", "duration_seconds", "end_reason", "signed_at",
                 "signed_by", "last_seq", "last_hash")


#: Signs a statement's bytes: (the signing room's public key, the signature), both base64.
Signer = Callable[[bytes], tuple[str, str]]


def origin_of(origin: str, room: str) -> str:
    """The room a session comes from: where it was first imported from, or the room it ran in."""
    if origin and origin != "local":
        return origin
    return room or "another computer"


def signed_statement(uid: str, last_seq: int, last_hash: str, origin: str, signer: str = "") -> bytes:
    """What the exporting computer signs: the session, its chain head and its room of origin; and
    the signing computer's name when it is not that room (an office re-exporting a session it
    added to signs as itself, never under the room's name)."""
    statement: dict[str, Any] = {"format": FORMAT, "session": uid, "last_seq": last_seq, "last_hash": last_hash,
                                 "origin": origin}
    if signer and signer != origin:
        statement["signer"] = signer
    return canonical_json(statement).encode("utf-8")


def bundle_dict(report: SessionReport, exported_at: str, exported_by: str = "",
                signer: Signer | None = None, signer_name: str = "",
                carried: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The bundle as a dict. ``signer`` signs the head, as ``signer_name`` when that is not the
    room of origin; ``carried`` is a signature that came with the head as it is (a session passed
    on unchanged keeps the signature of the computer that recorded its last events)."""
    head = report.header
    last = report.events[-1] if report.events else None
    chain_signoffs = [s for s in report.signoffs if not s.office]  # the bundle carries the session's chain only
    session = {
        "uid": head.uid, "number_in_source": head.number, "created_at": head.created_at,
        "protocol_id": head.protocol_id, "protocol_name": head.protocol_name, "client_code": head.client_code,
        "therapist": head.therapist, "room": head.room, "demo": head.demo, "origin": head.origin,
        "state": head.outcome, "started_at": head.started_at, "ended_at": head.ended_at,
        "duration_seconds": head.duration_seconds, "end_reason": head.end_reason,
        "signed_at": chain_signoffs[0].wall_time if chain_signoffs else None,
        "signed_by": _raw_author(report, chain_signoffs[0].seq) if chain_signoffs else None,
        "last_seq": last.seq if last else 0, "last_hash": last.hash if last else "",
    }
    doc: dict[str, Any] = {
        "format": FORMAT, "version": VERSION, "exported_at": exported_at, "exported_by": exported_by,
        "contains_health_information": True, "hash_recipe": HASH_RECIPE, "session": session,
        "events": [{name: getattr(e, name) for name in EVENT_FIELDS} for e in report.events],
    }
    if carried is not None:
        doc["signature"] = dict(carried)
    elif signer is not None:
        doc["signature"] = sign_head(session, signer, signer_name)
    return doc


def _raw_author(report: SessionReport, seq: int) -> str:
    """The author as the event holds it (the report's rows may say who recorded it elsewhere)."""
    return next((event.author for event in report.events if event.seq == seq), "")


def signature_block(origin: str, public_key: str, signature: str, signer: str = "") -> dict[str, Any]:
    block: dict[str, Any] = {"algorithm": "ed25519", "origin": origin, "public_key": public_key,
                             "signature": signature,
                             "signed_text": "canonical JSON of {format, session, last_seq, last_hash, origin}"}
    if signer and signer != origin:
        block["signer"] = signer
        block["signed_text"] = "canonical JSON of {format, session, last_seq, last_hash, origin, signer}"
    return block


def sign_head(session: Mapping[str, Any], signer: Signer, signer_name: str = "") -> dict[str, Any]:
    """The computer's signature over the session's chain head and room of origin (Ed25519)."""
    origin = origin_of(str(session.get("origin") or ""), str(session.get("room") or ""))
    statement = signed_statement(str(session["uid"]), int(session["last_seq"]), str(session["last_hash"]), origin,
                                 signer_name)
    public_key, signature = signer(statement)
    return signature_block(origin, public_key, signature, signer_name)


def render_json(report: SessionReport, exported_at: str, exported_by: str = "", signer: Signer | None = None,
                signer_name: str = "", carried: Mapping[str, Any] | None = None) -> bytes:
    text = json.dumps(bundle_dict(report, exported_at, exported_by, signer, signer_name, carried),
                      ensure_ascii=False, indent=1, allow_nan=False)
    return (text + "\n").encode("utf-8")


@dataclass(frozen=True)
class Bundle:
    """A bundle read back: its header and its events as the chain rules want them."""

    session: Mapping[str, Any]
    events: tuple[RecordedEvent, ...]
    exported_at: str = ""
    exported_by: str = ""
    signature: Mapping[str, Any] | None = None

    @property
    def uid(self) -> str:
        return str(self.session["uid"])


class BundleRefused(ExportError):
    """A bundle that is not imported; ``str()`` says why (and which event, when one is at fault)."""


def _field(obj: Mapping[str, Any], name: str, kind: type | tuple[type, ...], where: str) -> Any:
    if name not in obj:
        raise BundleRefused(f"{where} has no '{name}'.")
    value = obj[name]
    if not isinstance(value, kind) or (kind in (int, float, (int, float)) and isinstance(value, bool)):
        raise BundleRefused(f"{where}: '{name}' is not what a KAP Room bundle holds there.")
    return value


class _Unusable(ValueError):
    """A JSON text that parses, but not into something a record can hold; ``str()`` says what."""


def _no_constant(name: str) -> Any:
    raise _Unusable(f"it holds {name}, which is not a number a record can hold")


def _finite_float(text: str) -> float:
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        shown = text if len(text) <= 24 else text[:20] + "…"
        raise _Unusable(f"it holds the number {shown}, too large for a record")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise _Unusable(f"it names the key '{key[:40]}' twice in one object, so tools would read it differently")
        seen.add(key)
    return dict(pairs)


def _too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True when lists and objects nest deeper than ``limit`` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _seconds(value: Any, where: str) -> float:
    try:
        seconds = float(value)
    except OverflowError:
        raise BundleRefused(f"{where}: its session time is not a usable number.") from None
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        raise BundleRefused(f"{where}: its session time is not a usable number.")
    return seconds


def parse_bundle(data: bytes, source: str = "the bundle") -> Bundle:
    """Read a bundle's bytes; BundleRefused (never another exception) for anything malformed."""
    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleRefused(f"{source} was not imported: it is larger than a KAP Room session bundle can be "
                            f"({MAX_BUNDLE_BYTES // (1024 * 1024)} MB).")
    try:
        raw = json.loads(data.decode("utf-8-sig"), parse_constant=_no_constant, parse_float=_finite_float,
                         object_pairs_hook=_unique_keys)
    except _Unusable as exc:
        raise BundleRefused(f"{source} was not imported: {exc}. Nothing was added.") from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BundleRefused(f"{source} is not a KAP Room session bundle (it is not readable JSON).") from None
    if _too_deep(raw):
        raise BundleRefused(f"{source} was not imported: its data nests deeper than a KAP Room bundle does "
                            f"({MAX_DEPTH} levels). Nothing was added.")
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BundleRefused(f"{source} is not a KAP Room session bundle (export one with "
                            "`kaproom export SESSION --format json`).")
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version > VERSION or version < 1:
        raise BundleRefused(f"{source} was written by a newer KAP Room (bundle version {version!r}); "
                            "install the newer KAP Room to import it.")
    session = _field(raw, "session", dict, source)
    uid = _field(session, "uid", str, f"{source}: the session header")
    if not uid.strip():
        raise BundleRefused(f"{source}: the session has no id.")
    raw_events = _field(raw, "events", list, source)
    if not raw_events:
        raise BundleRefused(f"{source} holds no events.")
    if len(raw_events) > MAX_EVENTS:
        raise BundleRefused(f"{source} was not imported: it holds {len(raw_events):,} events, more than a KAP Room "
                            f"session can ({MAX_EVENTS:,}). Nothing was added.")
    events = []
    for index, item in enumerate(raw_events, start=1):
        where = f"{source}: event {item.get('seq', index) if isinstance(item, dict) else index}"
        if not isinstance(item, dict):
            raise BundleRefused(f"{where} is not an event.")
        events.append(RecordedEvent(
            kind=_field(item, "kind", str, where), payload=_field(item, "payload", dict, where),
            session_time=_seconds(_field(item, "session_time", (int, float), where), where),
            wall_time=_field(item, "wall_time", str, where), author=_field(item, "author", str, where),
            phase=_field(item, "phase", str, where), session_uid=uid, seq=_field(item, "seq", int, where),
            prev_hash=_field(item, "prev_hash", str, where), hash=_field(item, "hash", str, where)))
    signature = raw.get("signature")
    return Bundle(session, tuple(events), str(raw.get("exported_at", "")), str(raw.get("exported_by", "")),
                  signature if isinstance(signature, dict) else None)
