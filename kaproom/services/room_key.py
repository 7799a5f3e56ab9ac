"""This computer's own signing key: Ed25519, in the data folder, readable by its owner only.

Made on first need. It signs the chain heads of the bundles this computer exports (so another
computer can tell which room wrote them, and that nobody changed them on the way), and a key
derived from it keys the hash under which an unrecognised sign-in name is recorded.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

KEY_FILENAME = "room-key.ed25519"
#: The file that says this computer joined a clinic server (kaproom.services.clinic_sync.CONFIG_FILE,
#: not imported from there: that module loads psycopg).
CLINIC_CONFIG = "clinic.json"
_RAW = 32


class RoomKeyError(OSError):
    """The key file is missing where it must exist, damaged, or not private."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def public_key_text(public: bytes) -> str:
    return _b64(public)


def fingerprint(public_key: str) -> str:
    """What a person compares by eye or on the phone: 4 groups of 4 hex digits of the key's SHA-256."""
    try:
        raw = base64.b64decode(public_key, validate=True)
    except ValueError:
        raw = public_key.encode("utf-8", "replace")
    digest = hashlib.sha256(raw).hexdigest()[:16].upper()
    return " ".join(digest[i:i + 4] for i in range(0, 16, 4))


@dataclass(frozen=True)
class RoomKey:
    private: Ed25519PrivateKey

    @property
    def public_key(self) -> str:
        """The public key as base64 text (what bundles carry and offices pin)."""
        return _b64(self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    def sign(self, message: bytes) -> str:
        return _b64(self.private.sign(message))

    def keyed_hash(self, purpose: str, text: str) -> str:
        """A short HMAC of ``text`` under a key derived from this room's key: the same text gives
        the same value here, and nobody without the key file can test guesses against it."""
        raw = self.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        key = hmac.new(raw, f"kaproom {purpose}".encode(), hashlib.sha256).digest()
        return hmac.new(key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:20]


def load_or_create(folder: Path) -> RoomKey:
    """The room key of the data folder ``folder``, made (0600) the first time it is needed."""
    path = Path(folder) / KEY_FILENAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        return _read(path)
    try:
        private = Ed25519PrivateKey.generate()
        os.write(fd, private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))
        os.fsync(fd)
    finally:
        os.close(fd)
    return RoomKey(private)


def load_existing(folder: Path) -> RoomKey | None:
    """The room key of ``folder`` when it has one (never made here: a check must not invent it)."""
    path = Path(folder) / KEY_FILENAME
    if not path.exists():
        return None
    return _read(path)


def _read(path: Path) -> RoomKey:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise RoomKeyError(f"This computer's room key {path} cannot be read ({exc.strerror}).") from None
    try:
        raw = os.read(fd, _RAW + 1)
    finally:
        os.close(fd)
    if len(raw) != _RAW:
        raise RoomKeyError(f"This computer's room key {path} is damaged (not an Ed25519 key). Restore it "
                           "from a backup; a new key would make other computers refuse this room's bundles.")
    return RoomKey(Ed25519PrivateKey.from_private_bytes(raw))


def signature_valid(public_key: str, signature: str, message: bytes) -> bool:
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        public.verify(base64.b64decode(signature, validate=True), message)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def computer_name(folder: Path) -> str:
    """The name this computer signs under when it signs as itself (an office passing on a session
    it added to): its name on the clinic server when it joined one, else its host name."""
    try:
        data = json.loads((Path(folder) / CLINIC_CONFIG).read_text(encoding="utf-8"))
        name = str(data.get("computer") or "").strip() if isinstance(data, dict) else ""
    except (OSError, ValueError):
        name = ""
    return name or socket.gethostname() or "this computer"
