"""A data folder opened for work: its store, its protocols, and session runners over them.

The command line, the simulator and the Qt screens all start sessions through here, so every
session is created, resumed and recorded by the same code.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaproom.domain.clock import Clock, SystemClock, to_iso
from kaproom.domain.events import Kind
from kaproom.domain.protocol_error import ProtocolError
from kaproom.services.paths import ensure_private_dir
from kaproom.store import DB_FILENAME, RecordUnreadable, SessionRow, Store
from kaproom.store.errors import translate

if TYPE_CHECKING:  # the parser and the session engine load when a session starts, not for the home page
    from kaproom.domain.protocol import Protocol
    from kaproom.domain.session import SessionRunner


class Workspace:
    def __init__(self, folder: Path, clock: Clock | None = None) -> None:
        self.folder = Path(folder)
        try:
            self.warnings = ensure_private_dir(self.folder)
        except OSError as exc:  # e.g. its parent folder is read-only: a message, not a traceback
            raise translate(exc, str(self.folder), "create the data folder") from None
        self.clock: Clock = clock or SystemClock()
        self.store = Store(self.folder / DB_FILENAME)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def protocols_dir(self) -> Path:
        return self.folder / "protocols"

    @property
    def playlists_dir(self) -> Path:
        return self.folder / "playlists"

    def protocols(self) -> tuple[list[Protocol], list[ProtocolError]]:
        from kaproom.domain.protocol import available_protocols
        return available_protocols(self.protocols_dir)

    def protocol(self, protocol_id: str) -> Protocol:
        protocols, _ = self.protocols()
        for protocol in protocols:
            if protocol.id == protocol_id:
                return protocol
        known = ", ".join(p.id for p in protocols)
        raise ProtocolError(protocol_id, "protocol", "no protocol with this id", f"use one of: {known}")

    def protocol_of(self, session: SessionRow) -> Protocol:
        """The protocol exactly as it was when the session was created (kept in its first event)."""
        from kaproom.domain.protocol import builtin_protocol, parse_protocol
        first = self.store.events(session.uid, (Kind.SESSION_CREATED,))
        text = first[0].payload.get("protocol", {}).get("text", "") if first else ""
        if text:
            return parse_protocol(text, f"session {session.id} protocol")
        return builtin_protocol(session.protocol_id)

    def new_session(self, protocol: Protocol, client_code: str, therapist: str, room: str = "", *,
                    demo: bool = False, screening: Mapping[str, Any] | None = None,
                    intention: str = "", start: bool = True,
                    prescribed_dose_mg: float | None = None) -> SessionRunner:
        from kaproom.domain.session import SessionRunner
        extra = {"prescribed_dose_mg": prescribed_dose_mg} if prescribed_dose_mg is not None else None
        uid = self.store.create_session(protocol, client_code, therapist, room, demo=demo,
                                        wall_time=to_iso(self.clock.now()), extra=extra)
        # The runner folds the created event too: it holds what the dose event will carry.
        runner = SessionRunner(protocol, self.clock, self.store.log(uid), therapist, self.store.events(uid))
        if screening is not None:
            runner.record(Kind.SCREENING, {"answers": dict(screening)})
        if intention.strip():
            runner.record(Kind.INTENTION, {"text": intention.strip()})
        if start:
            runner.start()
        return runner

    def verify_extra(self) -> list:
        """Logs kept beside the sessions (the audit trail and the users it records), for ``kaproom verify``."""
        from kaproom.store.accounts import Accounts
        return Accounts(self.store).verify()

    def resume(self, session: SessionRow, author: str | None = None) -> SessionRunner:
        """Rebuild a runner from the stored log; elapsed time continues from the true wall gap."""
        from kaproom.domain.session import SessionRunner, UnreadableHistory
        protocol = self.protocol_of(session)
        try:
            return SessionRunner(protocol, self.clock, self.store.log(session.uid), author or session.therapist,
                                 self.store.events(session.uid))
        except UnreadableHistory as exc:
            raise RecordUnreadable(
                f"{exc}: its record was changed outside KAP Room. Nothing was added to it. Open it in the "
                "review to see where; start a new session to go on, and tell your supervisor.") from None
