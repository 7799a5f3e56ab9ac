"""A data folder opened for work: its store, its protocols, and session runners over them.

The command line, the simulator and the Qt screens all start sessions through here, so every
session is created, resumed and recorded by the same code.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from kaproom.domain.clock import Clock, SystemClock
from kaproom.domain.events import ChainReport, Kind
from kaproom.domain.protocol_error import ProtocolError
from kaproom.services.paths import ensure_private_dir
from kaproom.store import DB_FILENAME, RecordUnreadable, SessionRow, Store
from kaproom.store.errors import translate

if TYPE_CHECKING:  # the parser and the session engine load when a session starts, not for the home page
    from kaproom.domain.music import MusicPreferences
    from kaproom.domain.protocol import Protocol
    from kaproom.domain.session import SessionRunner
    from kaproom.services.session_start import SessionStart


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
        # The protocol parser (tomllib) loads when protocols are first listed, not for the home
        # page (bench/bench_startup.py); likewise the other function-local imports in this class.
        from kaproom.domain.protocol import available_protocols  # noqa: PLC0415
        return available_protocols(self.protocols_dir)

    def integration_protocols(self) -> tuple[list[Protocol], list[ProtocolError]]:
        """Sessions without medicine, offered apart on the start page (kaproom.domain.protocol)."""
        from kaproom.domain.protocol import integration_protocols  # noqa: PLC0415 - as protocols() above
        return integration_protocols(self.protocols_dir)

    def protocol(self, protocol_id: str) -> Protocol:
        protocols, _ = self.protocols()
        protocols += self.integration_protocols()[0]
        for protocol in protocols:
            if protocol.id == protocol_id:
                return protocol
        known = ", ".join(p.id for p in protocols)
        raise ProtocolError(protocol_id, "protocol", "no protocol with this id", f"use one of: {known}")

    def protocol_of(self, session: SessionRow) -> Protocol:
        """The protocol exactly as it was when the session was created (kept in its first event)."""
        from kaproom.domain.protocol import builtin_protocol, parse_protocol  # noqa: PLC0415
        first = self.store.events(session.uid, (Kind.SESSION_CREATED,))
        text = first[0].payload.get("protocol", {}).get("text", "") if first else ""
        if text:
            return parse_protocol(text, f"session {session.id} protocol")
        return builtin_protocol(session.protocol_id)

    def session_start(self, protocol: Protocol, client_code: str, therapist: str, room: str = "", *,
                      demo: bool = False, prescribed_dose_mg: float | None = None,
                      music_preferences: MusicPreferences | None = None) -> SessionStart:
        """A new session's start sequence (create -> screening -> intention -> start), not yet run."""
        # The session engine loads when a session starts, not for the home page (bench/bench_startup.py).
        from kaproom.services.session_start import NewSession, SessionStart  # noqa: PLC0415
        return SessionStart(self.store, self.clock, NewSession(protocol, client_code, therapist, room, demo=demo,
                                                               prescribed_dose_mg=prescribed_dose_mg,
                                                               music_preferences=music_preferences))

    def new_session(self, protocol: Protocol, client_code: str, therapist: str, room: str = "", *,
                    demo: bool = False, screening: Mapping[str, bool] | None = None,
                    proceed_confirmed: bool | None = None, intention: str = "", start: bool = True,
                    prescribed_dose_mg: float | None = None, pre_dose: Mapping[str, str] | None = None
                    ) -> SessionRunner:
        """Create a session and run its start sequence in one go."""
        from kaproom.services.session_start import Screening  # noqa: PLC0415 - as in session_start
        sequence = self.session_start(protocol, client_code, therapist, room, demo=demo,
                                      prescribed_dose_mg=prescribed_dose_mg)
        answers = None if screening is None else Screening(screening, proceed_confirmed)
        return sequence.run(answers, intention, start=start, pre_dose=pre_dose)

    def verify_extra(self) -> list[ChainReport]:
        """Logs kept beside the sessions (the audit trail and the users it records, the stock
        register), for ``kaproom verify``."""
        from kaproom.store.accounts import Accounts  # noqa: PLC0415 - staff code: not loaded by the room
        from kaproom.store.register import StockRegister  # noqa: PLC0415 - as above: not loaded by the room
        return [*Accounts(self.store).verify(), *StockRegister(self.store).verify()]

    def resume(self, session: SessionRow, author: str | None = None) -> SessionRunner:
        """Rebuild a runner from the stored log; elapsed time continues from the true wall gap."""
        from kaproom.domain.session import SessionRunner, UnreadableHistory  # noqa: PLC0415
        protocol = self.protocol_of(session)
        try:
            return SessionRunner(protocol, self.clock, self.store.log(session.uid), author or session.therapist,
                                 self.store.events(session.uid))
        except UnreadableHistory as exc:
            raise RecordUnreadable(
                f"{exc}: its record was changed outside KAP Room. Nothing was added to it. Open it in the "
                "review to see where; start a new session to go on, and tell your supervisor.") from None
