"""The manifest beside each backup, and what one set of chain heads holds that another lacks.

A manifest is small, plain JSON and needs no key: when the backup was made, by which version,
the encrypted file's size and checksum, and every chain's head (session uid or ``audit``, last
sequence number, last hash). It never holds a name, a note or a client code, so it can sit on
a share, be listed, and serve ``kaproom verify --witness`` as a witness of the record: a head
that left the room in a manifest catches a later rollback or a rewritten chain.

A manifest is signed with the room key of the computer that made the backup
(:mod:`.room_key`, Ed25519), over every field but the signature itself: someone who can write the
backup folder can delete manifests, but cannot write one this room would take for its own. A
manifest from an older KAP Room carries no signature; it is read, and said to be unsigned.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from kaproom.domain.clock import from_iso
from kaproom.domain.events import canonical_json
from kaproom.domain.register import REGISTER_CHAIN
from kaproom.services.room_key import RoomKey, fingerprint, signature_valid
from kaproom.store.accounts import AUDIT_CHAIN

FORMAT = "kaproom-backup"
FORMAT_VERSION = 1
BACKUP_SUFFIX = ".kaproom.age"
MANIFEST_SUFFIX = ".manifest.json"
Heads = dict[str, tuple[int, str]]


class ManifestError(ValueError):
    """A manifest that cannot be read or does not describe its backup; ``str()`` says which."""


@dataclass(frozen=True)
class Manifest:
    created_at: str  # ISO 8601, UTC
    app_version: str
    schema_version: int
    record: str  # which record this is a copy of (one per computer and data folder), for thinning
    file: str  # the encrypted file's name, beside the manifest
    size: int
    sha256: str  # of the encrypted file, checkable without a key
    database_sha256: str  # of the database inside, checked after decrypting
    recipients: tuple[str, ...]
    heads: Heads
    events: int = 0
    files: tuple[str, ...] = field(default=())
    public_key: str = ""  # the room key that signed it (base64 Ed25519); "" for an unsigned manifest
    signature: str = ""

    @property
    def created(self) -> datetime:
        return from_iso(self.created_at)

    @property
    def sessions(self) -> int:
        return sum(1 for chain in self.heads if is_session_chain(chain))

    def _fields(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format": FORMAT, "version": FORMAT_VERSION, "created_at": self.created_at,
            "app_version": self.app_version, "schema_version": self.schema_version, "record": self.record,
            "file": self.file, "size": self.size, "sha256": self.sha256, "database_sha256": self.database_sha256,
            "recipients": list(self.recipients), "events": self.events, "files": list(self.files),
            "audit": list(self.heads[AUDIT_CHAIN]) if AUDIT_CHAIN in self.heads else None,
            "sessions": {chain: list(head) for chain, head in sorted(self.heads.items()) if is_session_chain(chain)},
            **({"register": list(self.heads[REGISTER_CHAIN])} if REGISTER_CHAIN in self.heads else {}),
        }
        if self.public_key:
            data["public_key"] = self.public_key
        return data

    def to_json(self) -> str:
        data = self._fields()
        if self.signature:
            data["signature"] = self.signature
        return json.dumps(data, indent=1, ensure_ascii=True) + "\n"

    def signed_bytes(self) -> bytes:
        """What the room signs: canonical JSON of every field but the signature."""
        return canonical_json({"signed": "kaproom-backup-manifest", **self._fields()}).encode("utf-8")

    def signed_with(self, key: RoomKey) -> Manifest:
        unsigned = replace(self, public_key=key.public_key, signature="")
        return replace(unsigned, signature=key.sign(unsigned.signed_bytes()))

    @property
    def signed(self) -> bool:
        return bool(self.signature or self.public_key)

    @property
    def signature_intact(self) -> bool:
        """The signature matches the manifest under the key it names (says nothing of whose key it is)."""
        return bool(self.public_key and self.signature) and signature_valid(
            self.public_key, self.signature, self.signed_bytes())

    @classmethod
    def from_json(cls, text: str, where: str) -> Manifest:
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ManifestError(f"{where} is not a KAP Room backup manifest.")
            if int(data.get("version", 0)) > FORMAT_VERSION:
                raise ManifestError(f"{where} was written by a newer KAP Room (manifest version "
                                    f"{data.get('version')}): install the newer KAP Room to read it.")
            heads: Heads = {str(uid): _head(value) for uid, value in dict(data["sessions"]).items()}
            if data.get("audit") is not None:
                heads[AUDIT_CHAIN] = _head(data["audit"])
            if data.get("register") is not None:
                heads[REGISTER_CHAIN] = _head(data["register"])
            manifest = cls(created_at=str(data["created_at"]), app_version=str(data["app_version"]),
                           schema_version=int(data["schema_version"]), record=str(data.get("record", "")),
                           file=str(data["file"]), size=int(data["size"]), sha256=str(data["sha256"]),
                           database_sha256=str(data["database_sha256"]),
                           recipients=tuple(str(key) for key in data.get("recipients", [])), heads=heads,
                           events=int(data.get("events", 0)), files=tuple(str(name) for name in data.get("files", [])),
                           public_key=_text(data.get("public_key")), signature=_text(data.get("signature")))
            manifest.created  # noqa: B018 - a created_at that is no date is refused here
        except ManifestError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ManifestError(f"{where} is damaged or incomplete ({type(exc).__name__}: {exc}).") from None
        if "/" in manifest.file or "\\" in manifest.file or not manifest.file.endswith(BACKUP_SUFFIX):
            raise ManifestError(f"{where} names no backup file of its own ({manifest.file!r}).")
        return manifest

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ManifestError(f"The manifest {path} cannot be read ({exc}).") from None
        return cls.from_json(text, str(path))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"a signature field is not text: {value!r:.40}")
    return value


def _head(value: Any) -> tuple[int, str]:
    seq, digest = value
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0 or not isinstance(digest, str):
        raise ValueError(f"a chain head is not (number, hash): {value!r}")
    return seq, digest


def manifest_path_for(backup: Path) -> Path:
    """``kaproom-...kaproom.age`` -> ``kaproom-....manifest.json`` beside it."""
    name = backup.name
    stem = name[: -len(BACKUP_SUFFIX)] if name.endswith(BACKUP_SUFFIX) else backup.stem
    return backup.with_name(stem + MANIFEST_SUFFIX)


@dataclass(frozen=True)
class Difference:
    """One chain where ``holder`` has something ``other`` lacks."""

    chain: str
    what: str  # "missing", "longer" or "parted"
    holder_seq: int
    other_seq: int | None  # None when ``other`` has no such chain

    def describe(self, label: str) -> str:
        if self.what == "missing":
            return f"{label} ({self.holder_seq} events) is not there at all"
        if self.what == "longer":
            extra = self.holder_seq - (self.other_seq or 0)
            return f"{label}: {extra} more event{'s' if extra != 1 else ''} (to event {self.holder_seq})"
        return f"{label}: a different history at event {self.holder_seq}"


def lacking(holder: Mapping[str, tuple[int, str]], other: Mapping[str, tuple[int, str]],
            other_hash_at: Callable[[str, int], str | None]) -> list[Difference]:
    """What ``holder``'s chains hold that ``other``'s do not: a chain ``other`` lacks, a chain that
    goes further in ``holder``, or one whose history parted (``other``'s event at ``holder``'s head
    has another hash). ``other_hash_at(chain, seq)`` reads ``other``'s hash of one event."""
    found: list[Difference] = []
    for chain, (seq, digest) in sorted(holder.items()):
        if seq <= 0:
            continue
        theirs = other.get(chain)
        if theirs is None:
            found.append(Difference(chain, "missing", seq, None))
        elif theirs[0] < seq:
            found.append(Difference(chain, "longer", seq, theirs[0]))
        elif (theirs[1] if theirs[0] == seq else other_hash_at(chain, seq)) != digest:
            found.append(Difference(chain, "parted", seq, theirs[0]))
    return found


def chain_label(chain: str) -> str:
    if chain == REGISTER_CHAIN:
        return "the stock register"
    return "the audit log" if chain == AUDIT_CHAIN else f"session {chain[:8]}"


def is_session_chain(chain: str) -> bool:
    """Whether a head is a session's (not the audit log's or the stock register's)."""
    return chain not in (AUDIT_CHAIN, REGISTER_CHAIN)


@dataclass(frozen=True)
class Trust:
    """Whose manifest this is, as far as this computer can tell.

    ``state``: "ours" (signed by this computer's room key), "forged" (a signature that does not
    match, or this record's name under another key), "unsigned" (an older KAP Room, or the
    signature removed), "foreign" (signed by a key this computer does not hold: another room's).
    """

    state: str
    words: str

    @property
    def refused(self) -> bool:
        return self.state == "forged"


def manifest_trust(manifest: Manifest, own_key: str | None, own_record: str) -> Trust:
    """Check ``manifest``'s signature and whose key made it (``own_key``: this computer's room
    key for the data folder whose record id is ``own_record``, None when it has none)."""
    if not manifest.signed:
        return Trust("unsigned", "it is not signed (made by an older KAP Room, or its signature was removed), so "
                                 "anyone who can write the backup folder could have written it")
    if not manifest.signature_intact:
        return Trust("forged", "its signature does not match it (it was changed after the room signed it, or "
                               "written by someone else)")
    shown = fingerprint(manifest.public_key)
    if own_key is not None and manifest.public_key == own_key:
        return Trust("ours", f"signed by this computer's room key ({shown})")
    if own_key is not None and manifest.record == own_record:
        return Trust("forged", f"it names this record but is signed by another key ({shown}) than this computer's "
                               f"room key ({fingerprint(own_key)})")
    return Trust("foreign", f"signed by a room key this computer does not hold ({shown})")
