"""The age encryption format (age-encryption.org/v1) to X25519 recipients, through ``pyrage``.

The only module that touches ``pyrage``: the rest of KAP Room speaks of public keys as the text a
clinic copies (``age1...``), identity files as ``age-keygen`` writes them, and refusals as
:class:`AgeError` with words a person can act on. Files written here are read by the standard
``age`` command (``age -d -i KEYFILE``), so a clinic never depends on KAP Room to open its backups.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import pyrage  # type: ignore[import-untyped]  # no stubs: this module is its typed face

#: The first line of every file in the age format.
AGE_MAGIC = b"age-encryption.org/v1\n"
_PUBLIC_KEY = re.compile(r"age1[02-9ac-hj-np-z]{58}")
_SECRET_KEY = re.compile(r"AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}")


class AgeError(ValueError):
    """A key or an encrypted file that cannot be used; ``str()`` says why, plainly."""


class _Reader(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class _Writer(Protocol):
    def write(self, data: bytes, /) -> int: ...


def parse_recipient(text: str) -> Any:
    """An X25519 public key (``age1`` and 58 characters), or AgeError naming what was given."""
    key = text.strip()
    if not _PUBLIC_KEY.fullmatch(key):
        shown = key if len(key) <= 70 else key[:24] + "..."
        hint = (" That is a SECRET key: give the public key (age1...) printed beside it; the secret key "
                "never goes on the room computer.") if key.upper().startswith("AGE-SECRET-KEY-") else ""
        raise AgeError(f"{shown!r} is not an age public key (it starts with age1 and has 62 characters).{hint}")
    try:
        return pyrage.x25519.Recipient.from_str(key)
    except pyrage.RecipientError as exc:
        raise AgeError(f"{key!r} is not a valid age public key ({exc}).") from None


def split_recipients(text: str) -> list[str]:
    """Public keys written in one setting: separated by spaces, commas or new lines."""
    return [word for word in re.split(r"[\s,;]+", text) if word]


def new_identity() -> tuple[str, str]:
    """A new key pair: (the identity file's text, as ``age-keygen`` writes it; the public key)."""
    identity = pyrage.x25519.Identity.generate()
    public = str(identity.to_public())
    created = datetime.now(UTC).astimezone().isoformat(timespec="seconds")
    text = f"# created: {created}\n# public key: {public}\n{identity}\n"
    return text, public


def write_identity_file(path: Path) -> str:
    """Write a new identity file (0600, refusing to replace an existing one); return its public key."""
    text, public = new_identity()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise AgeError(f"{path} already exists. A key file is never overwritten: choose another name.") from None
    except OSError as exc:
        raise AgeError(f"Could not write the key file {path}: {exc.strerror or exc}.") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)
    return public


def load_identities(path: Path) -> list[Any]:
    """The secret keys in an identity file (``age-keygen``'s format; comments and blank lines skipped)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AgeError(f"The key file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AgeError(f"The key file {path} cannot be read ({exc}).") from None
    keys: list[Any] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("age1"):
            raise AgeError(f"{path} holds a public key, which cannot decrypt. Give the clinic's SECRET key file "
                           "(its line starts with AGE-SECRET-KEY-).")
        if not _SECRET_KEY.fullmatch(line):
            raise AgeError(f"{path} is not an age key file (a line is neither a comment nor a secret key).")
        try:
            keys.append(pyrage.x25519.Identity.from_str(line))
        except pyrage.IdentityError as exc:
            raise AgeError(f"{path}: a secret key in it is not valid ({exc}).") from None
    if not keys:
        raise AgeError(f"{path} holds no secret key (a line starting with AGE-SECRET-KEY-).")
    return keys


def public_keys_of(identities: Iterable[Any]) -> list[str]:
    return [str(identity.to_public()) for identity in identities]


def encrypt_stream(reader: _Reader, writer: _Writer, recipients: Sequence[str]) -> None:
    """Encrypt everything ``reader`` gives to ``writer``, for every recipient (binary age format)."""
    if not recipients:
        raise AgeError("No public key to encrypt to: set the clinic's keys with "
                       "`kaproom settings backup_recipients \"age1...\"` or give --recipient.")
    keys = [parse_recipient(key) for key in recipients]
    try:
        pyrage.encrypt_io(reader, writer, keys)
    except pyrage.EncryptError as exc:
        raise AgeError(f"Encryption failed: {exc}") from None


def decrypt_stream(reader: BinaryIO, writer: _Writer, identities: Sequence[Any], what: str) -> None:
    """Decrypt ``reader`` into ``writer``; AgeError says whether the key or the file is at fault."""
    head = reader.read(len(AGE_MAGIC))
    if head != AGE_MAGIC:
        raise AgeError(f"{what} is not an age-encrypted file (it does not start as one): it may be damaged "
                       "or not a KAP Room backup.")
    reader.seek(0)
    try:
        pyrage.decrypt_io(reader, writer, list(identities))
    except pyrage.DecryptError as exc:
        text = str(exc)
        if "no matching keys" in text.lower():
            raise AgeError(f"{what} was not encrypted to this key: use the clinic key whose public key was set "
                           "for backups when it was made.") from None
        raise AgeError(f"{what} is damaged or incomplete and cannot be decrypted ({text}).") from None
    except OSError as exc:  # pyrage reports a failed authentication tag (a changed or cut file) so
        if "decryption error" not in str(exc):
            raise
        raise AgeError(f"{what} is damaged or incomplete: its content does not authenticate "
                       "(changed or cut short after it was written).") from None


def header_recipient_count(path: Path) -> int:
    """How many X25519 recipients an age file's header names (read without any key)."""
    count = 0
    with open(path, "rb") as handle:
        if handle.read(len(AGE_MAGIC)) != AGE_MAGIC:
            raise AgeError(f"{path} is not an age-encrypted file.")
        for _ in range(1000):
            line = handle.readline(4096)
            if not line or line.startswith(b"---"):
                break
            if line.startswith(b"-> X25519 "):
                count += 1
    return count
