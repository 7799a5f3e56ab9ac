"""Backups of the whole record, encrypted to the clinic, and a restore that never makes things worse.

A backup is one file in the age format (encrypted to the clinic's public keys: the room cannot
read it back) holding a tar of the database, copied with SQLite's online backup API, the clinic
settings, the clinic's protocols and its playlists (the lists of file names, not the music).
Beside it, a manifest (:mod:`.backup_manifest`) that needs no key. Each backup is checked once
written: the copy passed SQLite's check and its heads match the events before encryption, and
the file on the destination is read back against its checksum and header.

A restore decrypts, checks the file against its manifest, verifies every chain in the copy, and
only then installs it: simply into an empty data folder; over an existing record only when that
record holds nothing the backup lacks (else it names what would be lost, and offers a restore
beside it); the current files are always moved aside, never overwritten.

Automatic backups (after a session ends, at the first start of a day) run this module in a
separate process (``kaproom backup --auto``); their outcome, good or not, is kept in
``backup-status.json`` in the data folder for the home page, and never raised into the room.
"""
from __future__ import annotations

import errno
import hashlib
import io
import os
import shutil
import socket
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kaproom import __version__
from kaproom.domain.clock import to_iso
from kaproom.domain.events import ChainReport
from kaproom.services.age_crypto import (
    AgeError,
    decrypt_stream,
    encrypt_stream,
    header_recipient_count,
    load_identities,
    split_recipients,
)
from kaproom.services.backup_manifest import (
    BACKUP_SUFFIX,
    MANIFEST_SUFFIX,
    Difference,
    Manifest,
    ManifestError,
    Trust,
    chain_label,
    is_session_chain,
    lacking,
    manifest_path_for,
    manifest_trust,
)
from kaproom.services.backup_status import record_status
from kaproom.services.paths import ensure_private_dir
from kaproom.services.room_key import RoomKeyError, load_existing, load_or_create
from kaproom.services.settings import SETTINGS_FILENAME, ClinicSettings, load_settings
from kaproom.store import DB_FILENAME, Store, StoreError
from kaproom.store.accounts import Accounts
from kaproom.store.heads import chain_heads
from kaproom.store.online_backup import Heads, copy_database, count_events, hash_at, open_read_only, read_heads
from kaproom.store.register import StockRegister

CHUNK = 1 << 20
#: The lock file the running app holds in its data folder (kaproom.ui.shell.single_instance).
APP_LOCK_FILENAME = "kaproom.lock"
PLAYLIST_SUFFIXES = (".m3u8", ".m3u", ".xspf")
MAX_SMALL_FILE = 5 * 1024 * 1024


class BackupError(Exception):
    """A backup, a check or a restore that could not be done; ``str()`` says why and what to do."""


# ---------------------------------------------------------------------------------------- making
@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest_path: Path
    manifest: Manifest
    removed: tuple[Path, ...] = ()


def record_id(folder: Path) -> str:
    """Which record a backup copies: this computer's name and the data folder, hashed (the same
    destination may serve several rooms; generations are thinned per record)."""
    text = f"{socket.gethostname()}\n{Path(folder).resolve()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _small_files(folder: Path) -> list[tuple[str, Path]]:
    """The clinic's own files that go with the record: settings, protocols, playlists (not music)."""
    found: list[tuple[str, Path]] = []
    settings = folder / SETTINGS_FILENAME
    if settings.is_file():
        found.append((SETTINGS_FILENAME, settings))
    for sub, suffixes in (("protocols", (".toml",)), ("playlists", PLAYLIST_SUFFIXES)):
        directory = folder / sub
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            if path.suffix.lower() in suffixes and path.is_file() and path.stat().st_size <= MAX_SMALL_FILE:
                found.append((f"{sub}/{path.name}", path))
    return found


class _TarStream(io.RawIOBase):
    """A tar archive of ``members`` produced as it is read (no second copy on disk), hashing the
    database member on the way."""

    def __init__(self, members: Sequence[tuple[str, Path]], mtime: float) -> None:
        super().__init__()
        self.database_sha256 = hashlib.sha256()
        self._chunks = self._generate(members, mtime)
        self._pending, self._offset = b"", 0

    def readable(self) -> bool:
        return True

    def _generate(self, members: Sequence[tuple[str, Path]], mtime: float) -> Iterator[bytes]:
        written = 0
        for name, path in members:
            size = path.stat().st_size
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = size, int(mtime), 0o600
            header = info.tobuf(format=tarfile.PAX_FORMAT)
            yield header
            written += len(header)
            left = size
            with open(path, "rb") as handle:
                while left > 0:
                    block = handle.read(min(CHUNK, left))
                    if not block:
                        raise BackupError(f"{path} became shorter while it was backed up. Nothing was backed up.")
                    if name == DB_FILENAME:
                        self.database_sha256.update(block)
                    left -= len(block)
                    written += len(block)
                    yield block
            padding = -size % tarfile.BLOCKSIZE
            written += padding
            yield b"\0" * padding
        end = b"\0" * (2 * tarfile.BLOCKSIZE)
        written += len(end)
        yield end + b"\0" * (-written % tarfile.RECORDSIZE)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            rest = self._pending[self._offset:] + b"".join(self._chunks)
            self._pending, self._offset = b"", 0
            return rest
        while self._offset >= len(self._pending):  # skipping empty chunks: b"" means the end to the reader
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._pending, self._offset = chunk, 0
        start = self._offset
        self._offset = min(len(self._pending), start + size)
        return self._pending[start:self._offset]  # up to ``size``: a short read is not the end of the data


#: The encrypted file is synced every this many bytes: a backup never leaves hundreds of MB waiting
#: to be written, which the room's next commit (its fsync) would otherwise wait behind on ext4.
SYNC_EVERY = 8 << 20


class _HashingWriter(io.RawIOBase):
    def __init__(self, handle: io.BufferedWriter) -> None:
        super().__init__()
        self.handle, self.sha256, self.size = handle, hashlib.sha256(), 0
        self._unsynced = 0
        self.error: OSError | None = None  # the destination's own failure (pyrage reports it as its own)

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        block = bytes(data)
        try:
            self.handle.write(block)
            self._unsynced += len(block)
            if self._unsynced >= SYNC_EVERY:
                self.handle.flush()
                os.fdatasync(self.handle.fileno()) if hasattr(os, "fdatasync") else os.fsync(self.handle.fileno())
                self._unsynced = 0
        except OSError as exc:
            self.error = exc
            raise
        self.sha256.update(block)
        self.size += len(block)
        return len(block)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not every system opens folders (Windows): the file itself was synced
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _file_sha256(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


def _destination(destination: Path | str) -> Path:
    folder = Path(destination).expanduser()
    if not folder.is_dir():
        raise BackupError(f"The backup folder {folder} is not there: is the USB disk connected, or the share "
                          "mounted? No backup was made; the record itself is untouched.")
    return folder


def make_backup(folder: Path, destination: Path | str, recipients: Sequence[str],
                now: datetime | None = None) -> BackupResult:
    """Back up the data folder's record into ``destination``, encrypted to ``recipients``; check it."""
    folder = Path(folder)
    database = folder / DB_FILENAME
    if not database.is_file():
        raise BackupError(f"There is no KAP Room record in {folder} to back up.")
    target_dir = _destination(destination)
    keys = list(recipients)
    if not keys:
        raise BackupError("No public key to encrypt the backup to: give --recipient age1... or set "
                          "`kaproom settings backup_recipients \"age1...\"` (see `kaproom backup keygen`).")
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    stem = f"kaproom-{moment.strftime('%Y%m%dT%H%M%SZ')}"
    final = target_dir / f"{stem}{BACKUP_SUFFIX}"
    counter = 1
    while final.exists() or manifest_path_for(final).exists():
        counter += 1
        final = target_dir / f"{stem}-{counter}{BACKUP_SUFFIX}"
    part = final.with_name(final.name + ".part")
    try:
        key = load_or_create(folder)  # this computer's room key signs the manifest
    except OSError as exc:
        raise BackupError(f"The backup cannot be signed: {exc} No backup was made.") from None
    snapshot = folder / f".backup-{os.getpid()}-{moment.strftime('%Y%m%dT%H%M%S%f')}.sqlite3"
    try:
        try:
            heads = copy_database(database, snapshot)
        except StoreError as exc:
            raise BackupError(f"The record could not be copied: {exc}") from None
        with sqlite3.connect(str(snapshot)) as conn:
            events = count_events(conn)
            schema = int(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.close()
        members = [(DB_FILENAME, snapshot), *_small_files(folder)]
        stream = _TarStream(members, moment.timestamp())
        writer: _HashingWriter | None = None
        try:
            with os.fdopen(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
                writer = _HashingWriter(handle)
                encrypt_stream(stream, writer, keys)
                handle.flush()
                os.fsync(handle.fileno())
        except (AgeError, OSError) as exc:
            error = writer.error if writer is not None and writer.error is not None else exc
            if isinstance(error, AgeError):
                raise BackupError(str(error)) from None
            raise BackupError(_write_failure(target_dir, error)) from None
        size, digest = writer.size, writer.sha256.hexdigest()
        manifest = Manifest(created_at=to_iso(moment), app_version=__version__, schema_version=schema,
                            record=record_id(folder), file=final.name, size=size, sha256=digest,
                            database_sha256=stream.database_sha256.hexdigest(), recipients=tuple(keys),
                            heads=heads, events=events, files=tuple(name for name, _ in members)).signed_with(key)
        try:
            os.replace(part, final)
            _write_text(manifest_path_for(final), manifest.to_json())
            _fsync_dir(target_dir)
        except OSError as exc:
            raise BackupError(_write_failure(target_dir, exc)) from None
        problem = check_written(final, manifest, len(keys))
        if problem:
            raise BackupError(f"The backup {final} did not check out after writing: {problem}.")
    except BaseException:
        for leftover in (part,):
            _remove_quietly(leftover)
        raise
    finally:
        _remove_quietly(snapshot)
        _remove_quietly(snapshot.with_name(snapshot.name + "-journal"))
    return BackupResult(final, manifest_path_for(final), manifest)


def _write_failure(target: Path, exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return (f"The backup folder {target} is full ({exc.strerror}). No backup was made; the record itself is "
                "untouched. Free some space there or use another disk.")
    return (f"The backup could not be written to {target} ({exc.strerror or exc}). No backup was made; the record "
            "itself is untouched.")


def _write_text(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".part")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def check_written(path: Path, manifest: Manifest, recipients: int | None = None) -> str:
    """'' if the encrypted file on the destination reads back whole and matches its manifest
    (size, checksum, an age header naming the recipients); otherwise what is wrong. No key needed."""
    try:
        size, digest = _file_sha256(path)
    except OSError as exc:
        return f"it cannot be read back ({exc.strerror or exc})"
    if size != manifest.size:
        return f"it has {size} bytes where its manifest says {manifest.size} (cut short or changed)"
    if digest != manifest.sha256:
        return "its checksum does not match its manifest (changed or damaged)"
    try:
        count = header_recipient_count(path)
    except (AgeError, OSError) as exc:
        return str(exc)
    expected = len(manifest.recipients) if recipients is None else recipients
    if count != expected:
        return f"its header names {count} keys where {expected} were given"
    return ""


def trust_here(manifest: Manifest, folder: Path | None) -> Trust:
    """Whose manifest this is, seen from the data folder ``folder`` (its room key and record id)."""
    own: str | None = None
    if folder is not None:
        try:
            key = load_existing(Path(folder))
        except RoomKeyError:
            key = None
        own = key.public_key if key is not None else None
    return manifest_trust(manifest, own, record_id(folder) if folder is not None else "")


# --------------------------------------------------------------------------- generations
def generations_to_keep(times: Sequence[datetime], daily: int, weekly: int, monthly: int) -> set[datetime]:
    """The backups kept: the newest of each of the last ``daily`` days that have one, of the last
    ``weekly`` weeks and of the last ``monthly`` months; and always the newest of all."""
    ordered = sorted(set(times), reverse=True)
    keep: set[datetime] = set(ordered[:1])
    for count, period in ((daily, lambda t: t.date()), (weekly, lambda t: t.isocalendar()[:2]),
                          (monthly, lambda t: (t.year, t.month))):
        seen: list[object] = []
        for moment in ordered:
            key = period(moment.astimezone())
            if key in seen:
                continue
            if len(seen) >= count:
                break
            seen.append(key)
            keep.add(moment)
    return keep


def thin(destination: Path, record: str, settings: ClinicSettings) -> list[Path]:
    """Remove the generations of ``record`` in ``destination`` that retention does not keep."""
    entries = [entry for entry in list_backups(destination) if entry.manifest is not None
               and entry.manifest.record == record]
    keep = generations_to_keep([entry.manifest.created for entry in entries if entry.manifest],
                               settings.backup_keep_daily, settings.backup_keep_weekly, settings.backup_keep_monthly)
    removed: list[Path] = []
    for entry in entries:
        if entry.manifest is not None and entry.manifest.created not in keep:
            for path in (entry.path, entry.manifest_path):
                try:
                    path.unlink()
                    removed.append(path)
                except OSError:
                    pass
    return removed


# ------------------------------------------------------------------------------- listing
@dataclass(frozen=True)
class ListedBackup:
    path: Path
    manifest_path: Path
    manifest: Manifest | None
    problem: str  # '' when the file matches its manifest

    def as_json(self) -> dict[str, Any]:
        manifest = self.manifest
        return {"file": str(self.path), "manifest": str(self.manifest_path), "ok": not self.problem,
                "problem": self.problem, "created_at": manifest.created_at if manifest else None,
                "size": manifest.size if manifest else None, "sessions": manifest.sessions if manifest else None,
                "events": manifest.events if manifest else None, "record": manifest.record if manifest else None,
                "app_version": manifest.app_version if manifest else None}


def list_backups(destination: Path | str, check: bool = False) -> list[ListedBackup]:
    """The backups in a folder, newest first; with ``check``, each file against its manifest."""
    folder = _destination(destination)
    found: list[ListedBackup] = []
    names = {path.name for path in folder.iterdir()}
    for name in sorted(names):
        path = folder / name
        if name.endswith(MANIFEST_SUFFIX):
            try:
                manifest: Manifest | None = Manifest.read(path)
            except ManifestError as exc:
                found.append(ListedBackup(path, path, None, str(exc)))
                continue
            assert manifest is not None
            backup = folder / manifest.file
            problem = "" if backup.is_file() else f"its file {manifest.file} is missing"
            if check and not problem:
                problem = check_written(backup, manifest)
            found.append(ListedBackup(backup, path, manifest, problem))
        elif name.endswith(BACKUP_SUFFIX) and manifest_path_for(path).name not in names:
            found.append(ListedBackup(path, manifest_path_for(path), None, "its manifest is missing"))
    return sorted(found, key=lambda entry: (entry.manifest.created_at if entry.manifest else "", entry.path.name),
                  reverse=True)


def newest_manifest(destination: Path | str) -> tuple[Path, Manifest]:
    """The newest readable manifest in a folder (for ``kaproom verify --witness``)."""
    for entry in list_backups(destination):
        if entry.manifest is not None:
            return entry.manifest_path, entry.manifest
    raise BackupError(f"There is no KAP Room backup manifest in {destination}.")


def auto_backup(folder: Path, now: datetime | None = None) -> BackupResult | None:
    """The automatic backup: as the clinic's settings say, thinned, its outcome recorded. Never raises
    (it runs in its own process beside a session); returns None when not set up or it failed."""
    settings, _ = load_settings(folder)
    if not settings.backup_to:
        return None
    destination = settings.backup_to
    try:
        result = make_backup(folder, destination, split_recipients(settings.backup_recipients), now)
        removed = thin(result.path.parent, result.manifest.record, settings)
    except (BackupError, OSError, StoreError) as exc:
        record_status(folder, ok=False, message=str(exc), destination=destination, now=now)
        return None
    record_status(folder, ok=True, message="checked", destination=destination, good_file=str(result.path),
                  good_at=result.manifest.created_at, now=now)
    return BackupResult(result.path, result.manifest_path, result.manifest, tuple(removed))


# ------------------------------------------------------------------------- opening a backup
@dataclass
class OpenedBackup:
    """A backup decrypted into a private working folder, checked and verified."""

    work: Path
    manifest: Manifest | None
    heads: Heads
    reports: list[ChainReport]
    files: list[str]
    warnings: list[str] = field(default_factory=list)

    @property
    def database(self) -> Path:
        return self.work / DB_FILENAME

    def close(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)


def _extract(tar_path: Path, work: Path, what: str) -> list[str]:
    """Unpack only the members a KAP Room backup has, as plain files, inside ``work``."""
    names: list[str] = []
    try:
        with tarfile.open(tar_path, "r:") as archive:
            for member in archive:
                name = member.name
                parts = name.split("/")
                allowed = name in (DB_FILENAME, SETTINGS_FILENAME) or (
                    len(parts) == 2 and parts[0] in ("protocols", "playlists") and parts[1] not in ("", ".", ".."))
                if not member.isfile() or not allowed:
                    raise BackupError(f"{what} holds {name!r}, which is not part of a KAP Room backup. Nothing was "
                                      "restored.")
                source = archive.extractfile(member)
                if source is None:
                    raise BackupError(f"{what}: {name} cannot be read.")
                target = work / name
                target.parent.mkdir(mode=0o700, exist_ok=True)
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as out:
                    shutil.copyfileobj(source, out, CHUNK)
                names.append(name)
    except tarfile.TarError as exc:
        raise BackupError(f"{what} is damaged inside ({exc}).") from None
    if DB_FILENAME not in names:
        raise BackupError(f"{what} holds no KAP Room database.")
    return names


def open_backup(backup: Path, identity: Path, work_parent: Path | None = None,
                folder: Path | None = None) -> OpenedBackup:
    """Decrypt ``backup`` with the key file ``identity``, check it against its manifest and verify
    every chain in it. BackupError names what is wrong; the working folder is gone then.

    The manifest's signature is checked as seen from the data folder ``folder``: one that does not
    match, or that names this record under another key than this computer's, is refused; an
    unsigned one, or one signed by a key this computer does not hold, is said in the warnings."""
    backup = Path(backup)
    if not backup.is_file():
        raise BackupError(f"There is no backup file {backup}.")
    warnings: list[str] = []
    manifest_path = manifest_path_for(backup)
    manifest: Manifest | None = None
    if manifest_path.is_file():
        try:
            manifest = Manifest.read(manifest_path)
        except ManifestError as exc:
            raise BackupError(f"{exc} Nothing was restored.") from None
        if manifest.file != backup.name:
            raise BackupError(f"The manifest {manifest_path} describes {manifest.file}, not {backup.name}: it does "
                              "not match this backup. Nothing was restored.")
        problem = check_written(backup, manifest)
        if problem:
            raise BackupError(f"The backup {backup} does not match its manifest: {problem}. Nothing was restored.")
    else:
        warnings.append(f"There is no manifest beside {backup.name}: the chains inside were verified, but there is "
                        "nothing outside the file to compare their heads with.")
    try:
        identities = load_identities(identity)
    except AgeError as exc:
        raise BackupError(str(exc)) from None
    parent = Path(work_parent) if work_parent is not None else Path(tempfile.gettempdir())
    work = Path(tempfile.mkdtemp(prefix=".kaproom-restore-", dir=parent))  # 0700
    try:
        tar_path = work / "backup.tar"
        fd = os.open(tar_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with open(backup, "rb") as source, os.fdopen(fd, "wb") as out:
                decrypt_stream(source, out, identities, f"The backup {backup.name}")
        except AgeError as exc:
            raise BackupError(f"{exc} Nothing was restored.") from None
        except OSError as exc:
            raise BackupError(f"The backup could not be decrypted into {parent} ({exc.strerror or exc}).") from None
        files = _extract(tar_path, work, f"The backup {backup.name}")
        tar_path.unlink()
        if manifest is not None:
            _, digest = _file_sha256(work / DB_FILENAME)
            if digest != manifest.database_sha256:
                raise BackupError(f"The database inside {backup.name} does not match its manifest's checksum. "
                                  "Nothing was restored.")
        heads, reports = _verify_copy(work / DB_FILENAME)
        if manifest is not None and heads != manifest.heads:
            differ = sorted(set(heads.items()) ^ set(manifest.heads.items()))
            chain = differ[0][0] if differ else "?"
            raise BackupError(f"The chains inside {backup.name} do not match its manifest (first: "
                              f"{chain_label(chain)}). Nothing was restored.")
        broken = [report for report in reports if not report.intact]
        if broken:
            raise BackupError(f"{len(broken)} of the logs inside {backup.name} are not intact; first: "
                              f"{broken[0].describe()}. Nothing was restored.")
        if manifest is not None:
            trust = trust_here(manifest, folder)
            if trust.refused:
                raise BackupError(f"The manifest {manifest_path.name} is refused: {trust.words}. Someone who can "
                                  "write the backup folder may have made this backup. Nothing was restored.")
            if trust.state != "ours":
                warnings.append(f"The manifest {manifest_path.name}: {trust.words}.")
        return OpenedBackup(work, manifest, heads, reports, files, warnings)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _verify_copy(database: Path) -> tuple[Heads, list[ChainReport]]:
    """The heads of a decrypted copy and every chain in it verified (as ``kaproom verify`` does)."""
    conn = open_read_only(database)
    try:
        heads = read_heads(conn)
    except sqlite3.Error as exc:
        raise BackupError(f"The database in the backup cannot be read ({exc}). Nothing was restored.") from None
    finally:
        conn.close()
    try:
        store = Store(database)
    except StoreError as exc:
        raise BackupError(f"The database in the backup cannot be opened: {exc}") from None
    try:
        reports = [*store.verify(), *Accounts(store).verify(), *StockRegister(store).verify()]
    finally:
        store.close()
    for suffix in ("-wal", "-shm", ".checked"):
        _remove_quietly(database.with_name(database.name + suffix))
    return heads, reports


def verify_backup(backup: Path, identity: Path, folder: Path | None = None) -> OpenedBackup:
    """``kaproom backup verify``: open, check and verify, then remove the decrypted copy."""
    opened = open_backup(backup, identity, folder=folder)
    opened.close()
    return opened


# ---------------------------------------------------------------------------------- restore
def app_running_on(folder: Path) -> int | None:
    """The process id of a KAP Room that holds ``folder`` (its lock file names a live process on
    this computer), or None."""
    try:
        lines = (Path(folder) / APP_LOCK_FILENAME).read_text(encoding="utf-8", errors="replace").splitlines()
        pid = int(lines[0].strip())
    except (OSError, ValueError, IndexError):
        return None
    host = lines[2].strip() if len(lines) > 2 else ""
    if host and host != socket.gethostname():
        return pid  # held from another computer (a shared folder): assume it is alive
    if pid <= 0 or pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


@dataclass(frozen=True)
class RestoreResult:
    folder: Path
    kept_aside: Path | None
    sessions: int
    events: int
    warnings: tuple[str, ...]


def _current_heads(database: Path) -> tuple[Heads | None, str, dict[str, str]]:
    """The current record's heads (None and why, when it cannot be read) and a label per session."""
    try:  # no log left beside it (closed cleanly): read it as it is, without creating one
        conn = open_read_only(database, immutable=not database.with_name(database.name + "-wal").exists())
    except StoreError as exc:
        return None, str(exc), {}
    try:
        heads = read_heads(conn)
        labels = {str(uid): f"session {number} (client {client}, {str(uid)[:8]})"
                  for number, uid, client in conn.execute("SELECT id, uid, client_code FROM sessions")}
        return heads, "", labels
    except sqlite3.Error as exc:
        return None, str(exc), {}
    finally:
        conn.close()


def lost_by_restoring(current: Path, opened: OpenedBackup) -> tuple[list[Difference], dict[str, str], str]:
    """What the record at ``current`` holds that the backup lacks (with labels), or why it is unknown."""
    heads, unreadable, labels = _current_heads(current)
    if heads is None:
        return [], labels, unreadable
    conn = open_read_only(opened.database)
    try:
        return lacking(heads, opened.heads, lambda chain, seq: hash_at(conn, chain, seq)), labels, ""
    finally:
        conn.close()


def restore(backup: Path, identity: Path, folder: Path, *, beside: bool = False,
            now: datetime | None = None) -> RestoreResult:
    """Restore ``backup`` into the data folder ``folder`` (or, with ``beside``, into a new folder
    next to it). See the module's docstring for when it refuses."""
    folder = Path(folder)
    home = folder  # whose room key and record the manifest is checked against, even beside it
    moment = (now or datetime.now(UTC)).astimezone()
    stamp = moment.strftime("%Y%m%d-%H%M%S")
    if beside:
        folder = folder.with_name(f"{folder.name}-restored-{stamp}")
        if folder.exists():
            raise BackupError(f"{folder} already exists; try again in a second.")
    pid = app_running_on(folder) if folder.is_dir() else None
    if pid is not None:
        raise BackupError(f"KAP Room is running on {folder} (process {pid}). Close it first: a record is never "
                          "replaced under a running app. Nothing was restored.")
    parent = folder.parent
    parent.mkdir(parents=True, exist_ok=True)
    opened = open_backup(backup, identity, work_parent=parent, folder=home)
    try:
        database = folder / DB_FILENAME
        warnings = list(opened.warnings)
        kept: Path | None = None
        if database.exists():
            lost, labels, unreadable = lost_by_restoring(database, opened)
            if lost:
                named = "; ".join(diff.describe(labels.get(diff.chain, chain_label(diff.chain))) for diff in lost[:8])
                more = f"; and {len(lost) - 8} more" if len(lost) > 8 else ""
                raise BackupError(
                    f"Refused: the record in {folder} holds what this backup lacks, which restoring would lose: "
                    f"{named}{more}. Nothing was changed. To look at the backup without losing anything, restore "
                    f"it beside the record: add --beside (or choose an empty folder with --data-dir).")
            if unreadable:
                warnings.append(f"The current database could not be read ({unreadable}); it is kept aside, "
                                "unchanged.")
            kept = folder / f"before-restore-{stamp}"
        ensure_private_dir(folder)
        _install(opened, folder, kept)
        heads = opened.heads
        events = sum(seq for chain, (seq, _) in heads.items() if is_session_chain(chain))
        return RestoreResult(folder, kept, sum(1 for chain in heads if is_session_chain(chain)), events,
                             tuple(warnings))
    finally:
        opened.close()


def _install(opened: OpenedBackup, folder: Path, kept: Path | None) -> None:
    """Move the current files aside (into ``kept``) where the backup brings its own, then move the
    backup's files in. Renames within one disk: nothing is copied over anything."""
    database = folder / DB_FILENAME
    aside: list[tuple[Path, Path]] = []
    if kept is not None:
        kept.mkdir(mode=0o700)
        for suffix in ("", "-wal", "-shm", ".checked"):
            current = database.with_name(database.name + suffix)
            if current.exists():
                aside.append((current, kept / current.name))
    for name in opened.files:
        current = folder / name
        if name != DB_FILENAME and current.is_file():
            if current.read_bytes() == (opened.work / name).read_bytes():
                continue
            if kept is None:
                kept = folder / f"before-restore-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
                kept.mkdir(mode=0o700)
            aside.append((current, kept / name))
    for current, target in aside:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.replace(current, target)
    for name in opened.files:
        target = folder / name
        if target.exists():
            continue  # the same file was already there
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.replace(opened.work / name, target)
    _fsync_dir(folder)


# ---------------------------------------------------------------------------------- witness
@dataclass(frozen=True)
class WitnessChoice:
    """The manifest in a backup folder that witnesses this record, and the ones refused as witnesses."""

    path: Path | None
    manifest: Manifest | None  # None when every manifest posing as this record's was refused
    trust: Trust | None
    refused: tuple[ChainReport, ...]

    @property
    def note(self) -> str:
        """'' for this computer's own signed manifest; otherwise what it is (unsigned, unknown key)."""
        return "" if self.trust is None or self.trust.state == "ours" else self.trust.words


def witness_manifest(store: Store, destination: Path | str) -> WitnessChoice:
    """The newest manifest in ``destination`` this record can take as a witness: the newest signed
    by this computer's room key; failing that (none signed here yet), the newest unsigned one or
    one of this record signed by a key this computer does not hold, said as such. A manifest whose
    signature does not match, that names this record under another key, or that is unsigned
    though newer than this computer's signed ones, is refused as a witness by name (a broken
    report): someone who can write the backup folder wrote it."""
    folder = store.path.parent
    record = record_id(folder)
    entries = [(entry, trust_here(entry.manifest, folder)) for entry in list_backups(destination)
               if entry.manifest is not None]  # newest first
    if not entries:
        raise BackupError(f"There is no KAP Room backup manifest in {destination}.")
    refused = [(entry, trust.words) for entry, trust in entries if trust.refused]
    ours = [(entry, trust) for entry, trust in entries if trust.state == "ours"]
    if ours:
        chosen: tuple[ListedBackup, Trust] | None = ours[0]
        since = min(entry.manifest.created for entry, _ in ours if entry.manifest is not None)
        refused += [(entry, "it is not signed, though this computer has signed its manifests since "
                            f"{to_iso(since)[:10]}, so it was not written by this computer's KAP Room")
                    for entry, trust in entries if trust.state == "unsigned" and entry.manifest is not None
                    and entry.manifest.record == record and entry.manifest.created > since]
    else:
        usable = [(entry, trust) for entry, trust in entries if trust.state == "unsigned" or (
            trust.state == "foreign" and entry.manifest is not None and entry.manifest.record == record)]
        usable.sort(key=lambda item: item[0].manifest is None or item[0].manifest.record != record)  # stable
        chosen = usable[0] if usable else None
    reports = tuple(ChainReport(f"witness {entry.manifest_path.name}", 0, 0, None,
                                f"refused as a witness: {words}; someone who can write {destination} may have "
                                "written it") for entry, words in refused)
    if chosen is None:
        if not reports:
            raise BackupError(f"There is no manifest of this computer's record in {destination} (only other "
                              "rooms' backups).")
        return WitnessChoice(None, None, None, reports)
    return WitnessChoice(chosen[0].manifest_path, chosen[0].manifest, chosen[1], reports)


def witness_reports(store: Store, destination: Path | str,
                    choice: WitnessChoice | None = None) -> list[ChainReport]:
    """``kaproom verify --witness DIR``: the record against the newest manifest in DIR this record
    can take as a witness (:func:`witness_manifest`). A chain the manifest saw further than the
    record now goes (or saw with another hash) was rolled back or rewritten since that backup."""
    choice = choice if choice is not None else witness_manifest(store, destination)
    reports: list[ChainReport] = list(choice.refused)
    path, manifest = choice.path, choice.manifest
    if path is None or manifest is None:
        return reports
    heads = chain_heads(store)  # read from the events themselves, not the index a hand edit can move
    conn = open_read_only(store.path)
    try:
        lost = lacking(manifest.heads, heads, lambda chain, seq: hash_at(conn, chain, seq))
    finally:
        conn.close()
    label = f"witness {path.name} ({manifest.created_at}{'; ' + choice.note.upper() if choice.note else ''})"
    if not lost:
        return [*reports, WitnessReport(label, len(manifest.heads), None, None, "")]
    first = lost[0]
    reason = {"missing": "is missing from the record", "longer": "was rolled back (events removed from its end)",
              "parted": "was rewritten (another history)"}[first.what]
    more = f" ({len(lost)} chains differ)" if len(lost) > 1 else ""
    return [*reports, WitnessReport(label, len(manifest.heads), first.holder_seq, None,
                                    f"{chain_label(first.chain)} {reason} since the backup, which saw it at event "
                                    f"{first.holder_seq}{more}")]


class WitnessReport(ChainReport):
    """The record against a backup manifest: every chain the backup saw is still there, as it saw it."""

    def describe(self) -> str:
        if self.intact:
            return f"{self.chain}: the record holds all {self.events} chains as the backup saw them"
        return f"{self.chain}: DOES NOT MATCH: {self.reason}"


def witness_reports_for(folders: list[str], store: Store) -> list[ChainReport]:
    """The reports for ``kaproom verify --witness DIR ...``: the record against the newest backup
    manifest in each folder. A folder without a manifest is a broken report, so a missing witness
    never passes silently."""
    reports: list[ChainReport] = []
    for folder in folders:
        try:
            reports.extend(witness_reports(store, folder))
        except BackupError as exc:
            reports.append(ChainReport(f"witness {folder}", 0, 0, None, str(exc)))
    return reports
