"""Writing an export file: owner-only from the first byte, whole or not at all, clear when it fails.

An export holds health information, so it is created 0600 (not chmod-ed afterwards, which would
leave a moment where others could open it). It is written beside its destination under a
temporary name and renamed into place after fsync, so a full disk or a pulled USB stick never
leaves half a report that looks complete.
"""
from __future__ import annotations

import errno
import os
from pathlib import Path

from kaproom.services.paths import private_file
from kaproom.store.errors import StoreError

#: Export formats and the ending of the file each writes.
FORMATS: dict[str, str] = {"pdf": ".pdf", "csv": ".csv", "fhir": ".fhir.json", "json": ".kaproom.json"}
FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
DENIED = {errno.EACCES, errno.EPERM, errno.EROFS}


class ExportError(StoreError):
    """An export or import that could not be done; ``str()`` says why and what to do."""


def describe_write_failure(exc: OSError, path: Path) -> str:
    folder = path.parent
    if exc.errno in FULL:
        return (f"The disk holding {folder} is full: {path.name} was not written (nothing partial was left "
                "behind). Free some space or choose another place.")
    if exc.errno in DENIED:
        return f"KAP Room may not write to {folder} ({exc.strerror}). Choose another folder or drive."
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return f"The folder {folder} does not exist. Create it or choose another place; nothing was written."
    return f"Could not write {path}: {exc.strerror or exc}. Nothing was written."


def is_folder(path: Path) -> bool:
    """``Path.is_dir`` that answers False (instead of raising) where we may not even look."""
    try:
        return path.is_dir()
    except OSError:
        return False


def destination(path: str | os.PathLike, default_name: str) -> Path:
    """The file to write: ``path`` itself, or ``default_name`` inside it when it is a folder."""
    target = Path(path).expanduser()
    if is_folder(target):
        target = target / default_name
    return target


def write_private(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically as an owner-only file; ExportError when impossible."""
    path = Path(path)
    if is_folder(path):
        raise ExportError(f"{path} is a folder; give a file name to write the export to.")
    temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(data)
            while view:
                written = os.write(handle, view)
                view = view[written:]
            os.fsync(handle)
        finally:
            os.close(handle)
        os.replace(temporary, path)
    except OSError as exc:
        try:
            temporary.unlink()
        except OSError:
            pass
        raise ExportError(describe_write_failure(exc, path)) from None
    private_file(path)
    return path


def read_bundle_bytes(path: str | os.PathLike, limit: int = 512 * 1024 * 1024) -> bytes:
    """A bundle file's bytes, with the reason in words when it cannot be read."""
    source = Path(path).expanduser()
    try:
        if is_folder(source):
            raise ExportError(f"{source} is a folder; choose a KAP Room session bundle (.json) to import.")
        if source.stat().st_size > limit:
            raise ExportError(f"{source} is too large to be a KAP Room session bundle.")
        return source.read_bytes()
    except FileNotFoundError:
        raise ExportError(f"There is no file {source}.") from None
    except OSError as exc:
        raise ExportError(f"Could not read {source}: {exc.strerror or exc}.") from None
