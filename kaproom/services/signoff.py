"""Sign-off and integrity for one session, without any Qt, so tests and the CLI can use them too.

A sign-off is an ordinary event at the end of the session's own hash chain, so it is protected
exactly like the notes it vouches for. Anything amended after it is therefore recognisable by
position alone: an amendment whose seq is greater than the first sign-off's seq.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kaproom.domain.clock import to_iso
from kaproom.domain.events import Event, Kind, RecordedEvent
from kaproom.domain.people import Permission
from kaproom.services.people import People
from kaproom.store import Store, StoreError

if TYPE_CHECKING:
    from kaproom.domain.people import User
    from kaproom.services.workspace import Workspace

COMMENT_MAX = 2000


class SignOffRefused(StoreError):
    """A sign-off that cannot be made now; ``str()`` says why, in words for the supervisor."""


@dataclass(frozen=True)
class Integrity:
    """What the badge shows: intact, or the first event where the chain breaks."""

    intact: bool
    events: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def label(self) -> str:
        return "Record intact" if self.intact else f"Record broken at event {self.broken_at}"

    @property
    def detail(self) -> str:
        if self.intact:
            return f"All {self.events} events match their hashes; nothing was changed or removed."
        return f"Event {self.broken_at}: {self.reason}. Keep the database file and report this."


def integrity_of(store: Store, session_uid: str) -> Integrity:
    """Run the store's chain check for one session and turn it into the badge's words."""
    report = store.verify(session_uid)[0]
    return Integrity(report.intact, report.events, report.broken_at, report.reason)


def clean_comment(text: str) -> str:
    """A comment as it will be stored: trimmed, control characters (except line breaks) removed."""
    text = unicodedata.normalize("NFC", text or "").replace("\r\n", "\n").strip()
    kept = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs"))
    if len(kept) > COMMENT_MAX:
        raise SignOffRefused(f"Comment: at most {COMMENT_MAX} characters (this one has {len(kept)}); "
                             "shorten it and sign again.")
    return kept


def first_signoff_seq(events: Iterable[RecordedEvent]) -> int | None:
    for event in events:
        if event.kind == Kind.SIGNOFF:
            return event.seq
    return None


def amended_after_signoff(events: list[RecordedEvent]) -> set[int]:
    """Seqs of amendments made after the session was first signed off."""
    signed = first_signoff_seq(events)
    if signed is None:
        return set()
    return {e.seq for e in events if e.kind == Kind.AMENDMENT and e.seq > signed}


def sign_off(workspace: Workspace, session_uid: str, comment: str, user_name: str = "supervisor",
             role: str = "supervisor", user: User | None = None) -> RecordedEvent:
    """Append a ``signoff`` event {comment, role} to the session's chain and audit it.

    Refused while the session is still running (there is nothing final to vouch for), when the
    signed-in user may not sign off, or when the record is already broken (signing would seem to
    vouch for altered events).
    """
    store = workspace.store
    session = store.session(session_uid)
    if session.is_open:
        raise SignOffRefused("This session has not ended yet; sign it off once it has ended in the room.")
    people = People.of(workspace)
    if user is not None or people.has_users():
        people.require(user, Permission.SIGN_OFF)
        user_name, role = user.name, user.role.value  # type: ignore[union-attr]
    integrity = integrity_of(store, session.uid)
    if not integrity.intact:
        raise SignOffRefused(f"The record is broken at event {integrity.broken_at}; it cannot be signed off. "
                             "Keep the database file and report this.")
    text = clean_comment(comment)
    last = store.events(session.uid)[-1]
    event = Event(Kind.SIGNOFF, {"comment": text, "role": role}, last.session_time,
                  to_iso(workspace.clock.now()), user_name, last.phase)
    recorded = store.append(session.uid, event)
    people.record_signoff(user, session.uid)
    return recorded
