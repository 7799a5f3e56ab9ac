"""Who may resume an open session: its own therapist; anyone else only with a supervisor's
permission, given by signing in at that moment (or by being the supervisor). Every resume on a
computer with staff is audited, a handover by its own kind that names both and who allowed it."""
from __future__ import annotations

from dataclasses import dataclass

from kaproom.domain.people import AuditKind, Role, User, name_key
from kaproom.services.people import AccessRefused, People
from kaproom.store import SessionRow


@dataclass(frozen=True)
class ResumeCheck:
    """Whether ``resumer`` may resume ``row`` as things stand, and if not, what to ask for."""

    resumer: User | None
    row: SessionRow
    needs_supervisor: bool

    @property
    def purpose(self) -> str:
        who = self.resumer.name if self.resumer else "someone"
        return f"let {who} resume {self.row.therapist}'s session {self.row.id}"

    def refusal(self) -> str:
        return (f"Session {self.row.id} is {self.row.therapist}'s. Resuming another therapist's session needs a "
                "supervisor's permission: a supervisor signs in to allow it. Nothing was added to the session.")


def check_resume(people: People, resumer_name: str, row: SessionRow) -> ResumeCheck:
    """No staff (a fresh install, the demo): anyone. Otherwise its therapist, or a supervisor."""
    if not people.has_users():
        return ResumeCheck(None, row, False)
    resumer = people.find(resumer_name) if resumer_name else None
    if resumer is None or not resumer.active:
        raise AccessRefused("Please sign in: resuming a session needs a signed-in therapist or supervisor.")
    own = name_key(resumer.name) == name_key(row.therapist)
    return ResumeCheck(resumer, row, not own and resumer.role is not Role.SUPERVISOR)


def record_resume(people: People, check: ResumeCheck, approved_by: User | None = None) -> None:
    """The audit entry of a resume: ``session_viewed`` for one's own, a handover otherwise.

    Refuses (nothing recorded) when a supervisor's permission was needed and ``approved_by`` is not
    an active supervisor."""
    if check.resumer is None:
        return
    row = check.row
    if name_key(check.resumer.name) == name_key(row.therapist):
        people.record(check.resumer, AuditKind.SESSION_VIEWED, {
            "session": row.uid, "session_id": row.id, "via": "resume"})
        return
    approver = check.resumer if not check.needs_supervisor else approved_by
    current = people.find(approver.name) if approver is not None else None
    if current is None or not current.active or current.role is not Role.SUPERVISOR:
        raise AccessRefused(check.refusal())
    people.record(check.resumer, AuditKind.SESSION_HANDED_OVER, {
        "session": row.uid, "session_id": row.id, "from": row.therapist, "to": check.resumer.name,
        "approved_by": current.name, "via": "resume"})
