"""Where a review reads its sessions: this computer's record, or the clinic server's copies.

The review window, ``kaproom export`` and the review's sign-off ask a :class:`Records` for the
list, for one session's report, for an export and for a sign-off; they never need to know which.

- :class:`LocalRecords`: this computer's own record (the room's, or the office's imported bundles).
  Sign-offs go into the session's chain, as always. Office actions the clinic server holds for
  these sessions (brought by ``clinic sync``) are shown beside them, read-only.
- :class:`ClinicRecords`: the clinic server's copies, read from an office computer that joined.
  The record is the room's: nothing is written to the room's chains. A sign-off goes into this
  office computer's own chain on the server, and shows in the review and the exports with the
  office's name. Exports read as the room's own, byte for byte, for the same chain; the JSON
  bundle excepted, which this office computer signs with its own key and names as its origin
  (the room's key never leaves the room).

Views, listings and exports go to this computer's audit trail in both cases, with the same roles.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace as changed
from typing import TYPE_CHECKING, Protocol

from kaproom.domain.clock import to_iso
from kaproom.domain.events import RecordedEvent
from kaproom.domain.people import Permission
from kaproom.export.report_data import SessionReport, gather, report_of
from kaproom.export.report_rows import SignOffRow
from kaproom.export.session_export import ExportResult, default_name, export_report, export_session
from kaproom.services.office_actions import OfficeAction, load_office_actions
from kaproom.services.people import People
from kaproom.services.signoff import SignOffRefused, clean_comment, sign_off
from kaproom.store import SessionRow
from kaproom.store.queries import (
    DEFAULT_SORT,
    ListTotals,
    SessionFilter,
    count_sessions,
    list_sessions,
    rooms,
    therapists,
    totals,
)

if TYPE_CHECKING:
    from kaproom.domain.people import User
    from kaproom.services.clinic_review import ClinicReader, ServerSession
    from kaproom.services.workspace import Workspace

NO_FILTER = SessionFilter()


class Records(Protocol):
    """What a review reads and does, wherever the sessions are."""

    #: Where the sessions are, in words for the window's title ("" for this computer).
    where: str

    def count(self, flt: SessionFilter) -> int: ...
    def page(self, flt: SessionFilter, sort: str, descending: bool, offset: int, limit: int | None
             ) -> list[SessionRow]: ...
    def therapists(self) -> list[str]: ...
    def rooms(self) -> list[str]: ...
    def totals(self, flt: SessionFilter) -> ListTotals: ...
    def row(self, ref: str | int) -> SessionRow: ...
    def report(self, ref: str | int) -> SessionReport: ...
    def export(self, ref: str | int, fmt: str, path: str | os.PathLike[str], *, user: User | None,
               monochrome: bool = False, replace: bool = False) -> ExportResult: ...
    def sign_off(self, session_uid: str, comment: str, user_name: str, role: str,
                 user: User | None) -> SignOffRow: ...


def with_office_actions(report: SessionReport, actions: Iterable[OfficeAction]) -> SessionReport:
    """The report with the office computers' sign-offs of this session after its own."""
    extra = tuple(SignOffRow(a.seq, a.wall_time, a.author, a.role, a.comment, a.computer)
                  for a in actions if a.kind == "signoff" and a.session_uid == report.header.uid)
    return changed(report, signoffs=report.signoffs + extra) if extra else report


# ==================================================================== this computer's record
class LocalRecords:
    """This computer's own record."""

    where = ""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def count(self, flt: SessionFilter = NO_FILTER) -> int:
        return count_sessions(self.workspace.store, flt)

    def page(self, flt: SessionFilter = NO_FILTER, sort: str = DEFAULT_SORT, descending: bool = True,
             offset: int = 0, limit: int | None = 200) -> list[SessionRow]:
        return list_sessions(self.workspace.store, flt, sort, descending, offset, limit)

    def therapists(self) -> list[str]:
        return therapists(self.workspace.store)

    def rooms(self) -> list[str]:
        return rooms(self.workspace.store)

    def totals(self, flt: SessionFilter = NO_FILTER) -> ListTotals:
        return totals(self.workspace.store, flt)

    def row(self, ref: str | int) -> SessionRow:
        return self.workspace.store.session(ref)

    def report(self, ref: str | int) -> SessionReport:
        report = gather(self.workspace, ref)
        return with_office_actions(report, load_office_actions(self.workspace.folder))

    def export(self, ref: str | int, fmt: str, path: str | os.PathLike[str], *, user: User | None,
               monochrome: bool = False, replace: bool = False) -> ExportResult:
        actions = load_office_actions(self.workspace.folder)
        if not actions:
            return export_session(self.workspace, ref, fmt, path, user=user, monochrome=monochrome, replace=replace)
        row = self.workspace.store.session(ref)
        return export_report(self.workspace, lambda: self.report(row.uid), default_name(row, fmt), fmt, path,
                             user=user, monochrome=monochrome, replace=replace)

    def sign_off(self, session_uid: str, comment: str, user_name: str, role: str,
                 user: User | None) -> SignOffRow:
        event = sign_off(self.workspace, session_uid, comment, user_name, role, user)
        return signoff_row(event)


def signoff_row(event: RecordedEvent) -> SignOffRow:
    return SignOffRow(event.seq, event.wall_time, event.author, str(event.payload.get("role") or ""),
                      str(event.payload.get("comment") or ""))


# ==================================================================== the clinic server's copies
class ClinicRecords:
    """The clinic server's copies, from an office computer (``kaproom review --clinic``)."""

    def __init__(self, workspace: Workspace, reader: ClinicReader) -> None:
        self.workspace, self.reader = workspace, reader
        self.where = f"the clinic server {reader.server}"
        self._just_read: ServerSession | None = None  # what row() read, for the report() that follows it

    def close(self) -> None:
        self.reader.close()

    def count(self, flt: SessionFilter = NO_FILTER) -> int:
        return self.reader.count(flt)

    def page(self, flt: SessionFilter = NO_FILTER, sort: str = DEFAULT_SORT, descending: bool = True,
             offset: int = 0, limit: int | None = 200) -> list[SessionRow]:
        return self.reader.page(flt, sort, descending, offset, limit)

    def therapists(self) -> list[str]:
        return self.reader.therapists()

    def rooms(self) -> list[str]:
        return self.reader.rooms()

    def totals(self, flt: SessionFilter = NO_FILTER) -> ListTotals:
        return self.reader.totals(flt)

    def row(self, ref: str | int) -> SessionRow:
        self._just_read = self.reader.session(ref)
        return self._just_read.row

    def report(self, ref: str | int) -> SessionReport:
        copy, self._just_read = self._just_read, None
        if copy is None or copy.row.uid != ref:
            copy = self.reader.session(ref)
        report = report_of(copy.row, copy.events, copy.chain)
        return with_office_actions(report, self.reader.office_actions([copy.row.uid]))

    def export(self, ref: str | int, fmt: str, path: str | os.PathLike[str], *, user: User | None,
               monochrome: bool = False, replace: bool = False) -> ExportResult:
        report = self.report(ref)
        if fmt == "json":
            # A bundle is signed by the computer that writes it, naming where it comes from: this office
            # computer, never the room, whose key it does not hold (an importer pins this office's key).
            report = changed(report, header=changed(report.header, origin=self.reader.config.computer))
        return export_report(self.workspace, lambda: report, default_name(report.header, fmt), fmt, path,
                             user=user, monochrome=monochrome, replace=replace)

    def sign_off(self, session_uid: str, comment: str, user_name: str, role: str,
                 user: User | None) -> SignOffRow:
        """Into this office computer's own chain on the server, refused as the local sign-off is:
        an open session, a broken record, someone not allowed to sign off."""
        people = People.of(self.workspace)
        if user is not None or people.has_users():
            people.require(user, Permission.SIGN_OFF)
            user_name, role = user.name, user.role.value  # type: ignore[union-attr]
        copy = self.reader.session(session_uid)
        if copy.row.is_open:
            raise SignOffRefused("This session has not ended yet; sign it off once it has ended in the room.")
        if not copy.chain.intact:
            raise SignOffRefused(f"The clinic server's copy is broken at event {copy.chain.broken_at}; it cannot be "
                                 "signed off. Run  kaproom verify --clinic  and tell the clinic's administrator.")
        action = self.reader.sign_off(copy.row.uid, clean_comment(comment), user_name, role,
                                      to_iso(self.workspace.clock.now()))
        people.record_signoff(user, copy.row.uid)
        return SignOffRow(action.seq, action.wall_time, action.author, action.role, action.comment, action.computer)

