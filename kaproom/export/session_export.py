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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kaproom.domain.clock import to_iso
from kaproom.export.output import FORMATS, ExportError, describe_write_failure, destination, is_folder, write_private
from kaproom.export.report_data import SessionReport, gather
from kaproom.store import SessionRow

if TYPE_CHECKING:
    from kaproom.domain.people import User
    from kaproom.services.workspace import Workspace

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
        from kaproom.export.pdf import render_pdf
        return render_pdf(report, now, monochrome=monochrome)
    if fmt == "csv":
        from kaproom.export.csv_export import render_csv
        return render_csv(report)
    if fmt == "fhir":
        from kaproom.export.fhir import render_fhir
        return render_fhir(report, now)
    from kaproom.export.json_bundle import render_json
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


def export_session(workspace: Workspace, session_ref: str | int, fmt: str, path: str | os.PathLike, *,
                   user: User | None = None, monochrome: bool = False) -> ExportResult:
    """Write ``session_ref`` as ``fmt`` to ``path`` (a file, or a folder to put it in), owner-only.

    With users registered, ``user`` must be allowed to export (AccessRefused otherwise).
    """
    from kaproom.domain.people import Permission
    from kaproom.services.people import People

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
    data = _render(fmt, gather(store, row.uid), now, author, monochrome)
    write_private(target, data)
    people.record_export(user, [row.uid], fmt, str(target))
    return ExportResult(target, fmt, row.uid, row.id, len(data))
