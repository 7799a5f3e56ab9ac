"""Export one session to a file, from the review window or the command line, and record it.

Who exported what, and where to, goes to the audit trail (format and destination), which is
hash-chained like the sessions and checked by ``kaproom verify``; it is kept even before the
clinic has set up sign-in. It is not added to the session's own chain: that chain holds what
happened in the room and its review (notes, vitals, sign-offs, amendments). Were exports in it,
a PDF printed in the room after a JSON bundle went to the office would make the two copies part
ways, and the office's sign-off could never come back.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kaproom.domain.clock import to_iso
from kaproom.domain.people import Permission, name_key
from kaproom.export.output import (
    FORMATS,
    ExportError,
    check_target,
    describe_write_failure,
    destination,
    is_folder,
    write_private,
)
from kaproom.export.report_data import SessionReport, gather
from kaproom.export.report_rows import Header
from kaproom.services.paper import date_format, paper_size
from kaproom.services.paths import ensure_private_dir
from kaproom.services.people import People
from kaproom.services.room_key import computer_name, fingerprint, load_or_create
from kaproom.services.settings import load_settings
from kaproom.store import SessionRow, Store, StoreError
from kaproom.store.bundles import carried_signature
from kaproom.store.errors import DatabaseLocked, DatabaseReadOnly, DiskFull

if TYPE_CHECKING:
    from kaproom.domain.people import User
    from kaproom.services.workspace import Workspace

#: Where exports go inside the data folder when no other place is given (``kaproom export`` without
#: ``-o``, the after-care sheet's kept copy): the data folder is private (0700), never the current
#: folder, which may be shared, synced or a download folder.
EXPORTS_FOLDER = "exports"


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    session_uid: str
    number: int
    size: int


def default_name(row: SessionRow | Header, fmt: str) -> str:
    """The file name an export suggests: session number, client code and day."""
    day = (row.started_at or row.created_at)[:10]
    code = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in row.client_code) or "client"
    number = row.number if isinstance(row, Header) else row.id
    return f"kaproom-session-{number}-{code}-{day}{FORMATS[fmt]}"


def _render(fmt: str, report: SessionReport, now: str, author: str, monochrome: bool, folder: Path,
            store: Store) -> bytes:
    if fmt in ("summary", "aftercare"):
        return _render_document(fmt, report, now, folder)
    if fmt == "pdf":
        from kaproom.export.pdf import render_pdf  # noqa: PLC0415 - each renderer on demand: Qt loads only for a PDF
        settings, _warnings = load_settings(folder)
        return render_pdf(report, now, monochrome=monochrome, paper=paper_size(settings), dates=date_format(settings))
    if fmt == "csv":
        from kaproom.export.csv_export import render_csv  # noqa: PLC0415 - each renderer on demand: Qt loads only for a PDF
        return render_csv(report)
    if fmt == "fhir":
        from kaproom.export.fhir import render_fhir  # noqa: PLC0415 - each renderer on demand: Qt loads only for a PDF
        return render_fhir(report, now)
    # each renderer on demand: Qt loads only for a PDF
    from kaproom.export.json_bundle import origin_of, render_json, signature_block  # noqa: PLC0415
    own = report.header.origin in ("", "local")  # the room that ran it signs its sessions under its own name
    last = report.events[-1].seq if report.events else 0
    carried = None if own else carried_signature(store, report.header.uid, last)
    if carried is not None:  # passed on as it came: the computer that recorded the head signed it
        return render_json(report, now, author, carried=signature_block(
            carried.origin, carried.public_key, carried.signature, carried.recorded_by))
    key = load_or_create(folder)  # this computer's room key signs the bundle's chain head
    # Any other computer signs as itself, never under the room's name (told apart by its key if named alike).
    signer_name = "" if own else computer_name(folder)
    if signer_name and name_key(signer_name) == name_key(origin_of(report.header.origin, report.header.room)):
        signer_name = f"{signer_name} ({fingerprint(key.public_key)})"
    return render_json(report, now, author, signer=lambda statement: (key.public_key, key.sign(statement)),
                       signer_name=signer_name)


def _render_document(fmt: str, report: SessionReport, now: str, folder: Path) -> bytes:
    """The monitoring summary or the after-care sheet, on the clinic's paper with its dates."""
    from kaproom.export.documents_pdf import (  # noqa: PLC0415 - each renderer on demand: Qt loads only for a PDF
        render_aftercare,
        render_monitoring_summary,
    )
    settings, _warnings = load_settings(folder)
    render = render_aftercare if fmt == "aftercare" else render_monitoring_summary
    return render(report, now, paper=paper_size(settings), dates=date_format(settings), clinic=settings)


def _render_course(store: Store, client_code: str, now: str, folder: Path) -> tuple[bytes, list[str]]:
    """The client's course as PDF, and the sessions it holds (each is recorded as exported)."""
    from kaproom.export.course import client_course  # noqa: PLC0415 - each renderer on demand: Qt loads only for a PDF
    from kaproom.export.documents_pdf import render_course  # noqa: PLC0415 - as above
    settings, _warnings = load_settings(folder)
    course = client_course(store, client_code)
    data = render_course(course, client_code, now, paper=paper_size(settings), dates=date_format(settings),
                         clinic=settings)
    return data, [row.uid for row in course]


def _check_folder(target: Path) -> None:
    """Fail before recording anything when the destination folder cannot take a file."""
    try:
        handle, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".probe", dir=target.parent)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise ExportError(describe_write_failure(exc, target)) from None


def _unrecorded(exc: StoreError, target: Path) -> ExportError:
    """The words for an export that was not written because its audit entry could not be saved."""
    if isinstance(exc, DiskFull):
        why = "the disk holding KAP Room's data is full"
    elif isinstance(exc, DatabaseReadOnly):
        why = "KAP Room's data folder is read-only"
    elif isinstance(exc, DatabaseLocked):
        why = "the database is locked by another program"
    else:
        why = str(exc).rstrip(".")
    return ExportError(f"{target.name} was not exported: the export could not be recorded in the audit trail "
                       f"({why}), and no export leaves without its record. Nothing was written to {target.parent}. "
                       "Fix that, then export again.")


def export_session(workspace: Workspace, session_ref: str | int, fmt: str, path: str | os.PathLike, *,
                   user: User | None = None, monochrome: bool = False, replace: bool = False) -> ExportResult:
    """Write ``session_ref`` as ``fmt`` to ``path`` (a file, or a folder to put it in), owner-only.

    With users registered, ``user`` must be allowed to export (AccessRefused otherwise). An
    existing file is replaced only with ``replace`` (the file dialog asked, or ``--force``). The
    audit entry is recorded before the file takes its name: when it cannot be, nothing is written.
    """
    _check_allowed(workspace, fmt, user)
    row = workspace.store.session(session_ref)
    return export_report(workspace, lambda: gather(workspace.store, row.uid), default_name(row, fmt), fmt, path,
                         user=user, monochrome=monochrome, replace=replace)


def _check_allowed(workspace: Workspace, fmt: str, user: User | None) -> None:
    if fmt not in FORMATS:
        raise ExportError(f"Unknown export format '{fmt}'; choose one of {', '.join(FORMATS)}.")
    people = People.of(workspace)
    if user is not None or people.has_users():
        people.require(user, Permission.EXPORT)


def export_report(workspace: Workspace, report_of: Callable[[], SessionReport], suggested: str, fmt: str,
                  path: str | os.PathLike, *, user: User | None = None, monochrome: bool = False,
                  replace: bool = False) -> ExportResult:
    """Write a session's report (made by ``report_of``, once the destination is known to take it)
    as ``fmt``, and record the export in this computer's audit trail: the local record's sessions
    and the clinic server's copies (``kaproom export --clinic``) alike."""
    _check_allowed(workspace, fmt, user)
    target = destination(path, suggested)
    if is_folder(target):
        raise ExportError(f"{target} is a folder; give a file name to write the export to.")
    check_target(target, replace)
    _check_folder(target)
    author = user.name if user is not None else ""
    now = to_iso(workspace.clock.now())
    report = report_of()
    uid = report.header.uid
    uids = [uid]
    if fmt == "course":  # every session of the session's client, in one PDF (this computer's record)
        data, uids = _render_course(workspace.store, report.header.client_code, now, workspace.folder)
    else:
        data = _render(fmt, report, now, author, monochrome, workspace.folder, workspace.store)

    def record() -> None:
        try:
            People.of(workspace).record_export(user, uids, fmt, str(target))
        except StoreError as exc:
            raise _unrecorded(exc, target) from None

    write_private(target, data, replace=replace, before_commit=record)
    return ExportResult(target, fmt, uid, report.header.number, len(data))


def keep_aftercare_copy(workspace: Workspace, report: SessionReport) -> Path:
    """Keep the after-care sheet just printed for the client with the record's exports (the data
    folder's ``exports``, owner-only), so the clinic can show what the client was given; recorded
    in the audit trail like every export (before the file takes its name: no record, no file). A
    sheet printed again is kept again beside the first ("...-2.aftercare.pdf"), never over it. This
    is the room keeping its own copy, not someone exporting: it asks for no export permission."""
    folder = workspace.folder.absolute() / EXPORTS_FOLDER
    ensure_private_dir(folder)
    name = default_name(report.header, "aftercare")
    stem = name.removesuffix(FORMATS["aftercare"])
    target, count = folder / name, 1
    while os.path.lexists(target):
        count += 1
        target = folder / f"{stem}-{count}{FORMATS['aftercare']}"
    data = _render_document("aftercare", report, to_iso(workspace.clock.now()), workspace.folder)

    def record() -> None:
        try:
            People.of(workspace).record_export(None, [report.header.uid], "aftercare", str(target))
        except StoreError as exc:
            raise _unrecorded(exc, target) from None

    write_private(target, data, before_commit=record)
    return target
