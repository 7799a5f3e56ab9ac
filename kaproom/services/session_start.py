"""Starting a session: create -> screening -> intention -> start, the one sequence every caller uses.

The start page, the demo, the simulator and :meth:`Workspace.new_session` all start sessions
through :class:`SessionStart`, so each session's first events are written the same way. Each step
is saved once: after a failure (a full disk, a locked database), running the sequence again
continues where it stopped instead of creating a second session.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kaproom.domain.clock import Clock, to_iso
from kaproom.domain.events import Kind
from kaproom.domain.music import PREFERENCES_KEY, MusicPreferences
from kaproom.domain.pre_dose import facts_payload
from kaproom.domain.protocol import Protocol
from kaproom.domain.session import SessionRunner, State
from kaproom.store import Store


@dataclass(frozen=True)
class NewSession:
    """What a session is created with; fixed once it exists."""

    protocol: Protocol
    client_code: str
    therapist: str
    room: str = ""
    demo: bool = False
    prescribed_dose_mg: float | None = None
    music_preferences: MusicPreferences | None = None  # from the start page; kept in the created event


@dataclass(frozen=True)
class Screening:
    """The screening answers (question id -> yes), and whether the therapist confirmed going on
    despite a yes (None: not asked, and not written into the record)."""

    answers: Mapping[str, bool]
    proceed_confirmed: bool | None = None

    def payload(self) -> dict[str, object]:
        payload: dict[str, object] = {"answers": dict(self.answers)}
        if self.proceed_confirmed is not None:
            payload["proceed_confirmed"] = self.proceed_confirmed
        return payload


class SessionStart:
    """One session on its way to running. ``run`` may be called again after a failure."""

    def __init__(self, store: Store, clock: Clock, details: NewSession) -> None:
        self.store, self.clock, self.details = store, clock, details
        self.runner: SessionRunner | None = None
        self.screened = False
        self.intention_recorded = False
        self.facts_recorded = False

    @property
    def created(self) -> bool:
        return self.runner is not None

    def create(self) -> SessionRunner:
        """The session's created event, once; the runner over it."""
        if self.runner is None:
            d = self.details
            extra: dict[str, object] = {}
            if d.prescribed_dose_mg is not None:
                extra["prescribed_dose_mg"] = d.prescribed_dose_mg
            if d.music_preferences is not None and d.music_preferences.any:
                extra[PREFERENCES_KEY] = d.music_preferences.payload()
            if not d.protocol.has_dose:
                follows = self._medicine_session_before()
                if follows is not None:
                    extra["follows"] = follows
            uid = self.store.create_session(d.protocol, d.client_code, d.therapist, d.room, demo=d.demo,
                                            wall_time=to_iso(self.clock.now()), extra=extra or None)
            # The runner folds the created event too: it holds what the dose event will carry.
            self.runner = SessionRunner(d.protocol, self.clock, self.store.log(uid), d.therapist,
                                        self.store.events(uid))
        return self.runner

    def _medicine_session_before(self) -> dict[str, object] | None:
        """The client's latest session with a dose: the medicine session an integration session follows."""
        rows = [row for row in self.store.sessions() if row.client_code == self.details.client_code]
        for row in sorted(rows, key=lambda r: r.started_at or r.created_at, reverse=True):
            if self.store.events(row.uid, (Kind.DOSE,)):
                return {"uid": row.uid, "number": row.id, "started_at": row.started_at or row.created_at}
        return None

    def record_screening(self, screening: Screening) -> None:
        runner = self.create()
        if not self.screened:
            runner.record(Kind.SCREENING, screening.payload())
            self.screened = True

    def record_intention(self, text: str) -> None:
        runner = self.create()
        if text.strip() and not self.intention_recorded:
            runner.record(Kind.INTENTION, {"text": text.strip()})
            self.intention_recorded = True

    def record_pre_dose(self, facts: Mapping[str, str]) -> None:
        """The facts before dosing typed on the start page (kaproom.domain.pre_dose), once."""
        runner = self.create()
        payload = facts_payload(facts)
        if payload and not self.facts_recorded:
            runner.record(Kind.PRE_DOSE, payload)
            self.facts_recorded = True

    def start(self) -> SessionRunner:
        runner = self.create()
        if runner.state.state == State.CREATED:
            runner.start()
        return runner

    def run(self, screening: Screening | None = None, intention: str = "", *, start: bool = True,
            pre_dose: Mapping[str, str] | None = None) -> SessionRunner:
        """Every step not yet saved, in order; with ``start=False`` the session is left created
        (the caller subscribes to it, then calls :meth:`start`)."""
        runner = self.create()
        if screening is not None:
            self.record_screening(screening)
        self.record_intention(intention)
        if pre_dose:
            self.record_pre_dose(pre_dose)
        return self.start() if start else runner
