"""Export one session to a file, from the review window or the command line, and record it.

Who exported what, and where to, is part of the record: each export adds an ``exported`` event
{format, destination} to the session's own chain and an entry to the audit trail. A JSON bundle
records its export event *before* it is written, so the bundle carries it: the computer that
imports the bundle then holds exactly this computer's chain, and sign-offs added there can come
back as a longer chain with the same beginning.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..domain.clock import to_iso
from ..domain.events import Event, Kind
from ..store import SessionRow
from .output import FORMATS, ExportError, describe_write_failure, destination, is_folder, write_private
from .report_data import SessionReport, gather

if TYPE_CHECKING:
    from ..domain.people import User
    from ..workspace import Workspace

@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    session_uid: str
    number: int
    size: int


def default_name(row: SessionRow, fmt: str) -> str:
    day = (row.started_at or row.created_at)[:10]
    code = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in row.client_code) or "client"
    return f"kaproom-session-{row.id}-{code}-{day}{FORMATS[fmt]}"


def _render(fmt: str, report: SessionReport, now: str, author: str, monochrome: bool) -> bytes:
    if fmt == "pdf":
        from .pdf import render_pdf
        return render_pdf(report, now, monochrome=monochrome)
    if fmt == "csv":
        from .csv_export import render_csv
        return render_csv(report)
    if fmt == "fhir":
        from .fhir import render_fhir
        return render_fhir(report, now)
    from .json_bundle import render_json
    return render_json(report, now, author)


def _check_folder(target: Path) -> None:
    """Fail before recording anything when the destination folder cannot take a file."""
    probe = target.with_name(f".{target.name}.{os.getpid()}.probe")
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        probe.unlink()
    except FileExistsError:
        pass
    except OSError as exc:
        raise ExportError(describe_write_failure(exc, target)) from None


def export_session(workspace: "Workspace", session_ref: str | int, fmt: str, path: str | os.PathLike, *,
                   user: "User | None" = None, monochrome: bool = False) -> ExportResult:
    """Write ``session_ref`` as ``fmt`` to ``path`` (a file, or a folder to put it in), owner-only.

    With users registered, ``user`` must be allowed to export (AccessRefused otherwise).
    """
    from ..domain.people import Permission
    from ..people.service import People

    if fmt not in FORMATS:
        raise ExportError(f"Unknown export format '{fmt}'; choose one of {', '.join(FORMATS)}.")
    store = workspace.store
    people = People.of(workspace)
    if user is not None or people.has_users():
        people.require(user, Permission.EXPORT)
    row = store.session(session_ref)
    target = destination(path, default_name(row, fmt))
    if is_folder(target):
        raise ExportError(f"{target} is a folder; give a file name to write the export to.")
    _check_folder(target)
    author = user.name if user is not None else ""
    now = to_iso(workspace.clock.now())

    def record() -> None:
        last = store.events(row.uid)[-1]
        store.append(row.uid, Event(Kind.EXPORTED, {"format": fmt, "destination": str(target)}, last.session_time,
                                    now, author, last.phase))

    if fmt == "json":
        record()
    data = _render(fmt, gather(store, row.uid), now, author, monochrome)
    try:
        write_private(target, data)
    except ExportError as exc:
        if fmt == "json":  # its export event is already in the chain: say so rather than hide it
            raise ExportError(f"{exc} (The attempt is recorded in the session's log.)") from None
        raise
    if fmt != "json":
        record()
    people.record_export(user, [row.uid], fmt, str(target))
    return ExportResult(target, fmt, row.uid, row.id, len(data))
