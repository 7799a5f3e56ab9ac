"""Writing an export file: owner-only from the first byte, whole or not at all, clear when it fails.

An export holds health information, so it is created 0600 (not chmod-ed afterwards, which would
leave a moment where others could open it). It is written beside its destination under a
temporary name and renamed into place after fsync, so a full disk or a pulled USB stick never
leaves half a report that looks complete.
"""
from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from kaproom.services.paths import private_file
from kaproom.store.errors import StoreError

#: Export formats and the ending of the file each writes.
FORMATS: dict[str, str] = {"pdf": ".pdf", "csv": ".csv", "fhir": ".fhir.json", "json": ".kaproom.json",
                           "summary": ".summary.pdf", "aftercare": ".aftercare.pdf", "course": ".course.pdf"}
#: The formats printed on paper, on the clinic's paper size with its dates.
PAPER_FORMATS = frozenset({"pdf", "summary", "aftercare", "course"})
#: The largest session bundle read for import (see :mod:`kaproom.export.json_bundle` for all its limits).
MAX_BUNDLE_BYTES = 16 * 1024 * 1024
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


def check_target(path: Path, replace: bool = False) -> None:
    """Refuse a destination that is not a regular file, or an existing file unless ``replace``."""
    path = Path(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ExportError(describe_write_failure(exc, path)) from None
    if stat.S_ISDIR(info.st_mode):
        raise ExportError(f"{path} is a folder; give a file name to write the export to.")
    if stat.S_ISLNK(info.st_mode):
        raise ExportError(f"{path} is a link to another file; KAP Room does not write through links. "
                          "Give the name of a new file; nothing was written.")
    if not stat.S_ISREG(info.st_mode):
        raise ExportError(f"{path} is not a regular file (it is a device, a pipe or a socket); an export is "
                          "only written to a file. Give the name of a new file; nothing was written.")
    if not replace:
        raise ExportError(f"{path} already exists and was left as it is. Choose another name, or replace it "
                          "on purpose (on the command line: --force).")


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _put_in_place(temporary: str, path: Path, replace: bool) -> None:
    """Move the finished temporary file to ``path``; without ``replace`` never over an existing name."""
    if not replace:
        try:
            os.link(temporary, path, follow_symlinks=False)  # fails if anything appeared under that name
        except FileExistsError:
            check_target(path, replace=False)
            raise
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV):
                raise
        else:  # a file system with hard links (not FAT on a USB stick): the name was taken atomically
            _remove(temporary)
            return
    check_target(path, replace)
    os.replace(temporary, path)


def write_private(path: Path, data: bytes, *, replace: bool = False,
                  before_commit: Callable[[], None] | None = None) -> Path:
    """Write ``data`` to ``path`` atomically as an owner-only file; ExportError when impossible.

    An existing file is replaced only with ``replace`` (and only a regular file: see
    :func:`check_target`). ``before_commit`` runs once the data is safely on disk under the
    temporary name and before the file takes its name: if it raises, nothing is left behind and
    its exception goes on (the export's audit entry is recorded there, so no export leaves unrecorded).
    """
    path = Path(path)
    check_target(path, replace)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise ExportError(describe_write_failure(exc, path)) from None
    placed = False
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(handle, view)
                view = view[written:]
            os.fsync(handle)
        finally:
            os.close(handle)
        if before_commit is not None:
            before_commit()
        try:
            _put_in_place(temporary, path, replace)
        except OSError as exc:
            if before_commit is None:
                raise
            raise ExportError(f"The export was recorded in the audit trail, but {path} could not be written "
                              f"({describe_write_failure(exc, path)})") from None
        placed = True
    except OSError as exc:
        raise ExportError(describe_write_failure(exc, path)) from None
    finally:
        if not placed:
            _remove(temporary)
    private_file(path)
    return path


def read_bundle_bytes(path: str | os.PathLike, limit: int = MAX_BUNDLE_BYTES) -> bytes:
    """A bundle file's bytes, with the reason in words when it cannot be read."""
    source = Path(path).expanduser()
    try:
        if is_folder(source):
            raise ExportError(f"{source} is a folder; choose a KAP Room session bundle (.json) to import.")
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
        handle = os.open(source, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(handle, "rb") as stream:
            info = os.fstat(stream.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise ExportError(f"{source} is not a file (it is a device, a pipe or a socket); choose a KAP Room "
                                  "session bundle (.json) to import.")
            if info.st_size > limit:
                raise ExportError(f"{source} is too large to be a KAP Room session bundle (more than "
                                  f"{limit // (1024 * 1024)} MB); nothing was imported.")
            return stream.read(limit + 1)  # a file that grew since fstat() is still read no further
    except FileNotFoundError:
        raise ExportError(f"There is no file {source}.") from None
    except OSError as exc:
        raise ExportError(f"Could not read {source}: {exc.strerror or exc}.") from None
