"""Clocks: one object injected everywhere, so tests and the demo can run a session faster.

A clock gives two readings. ``now()`` is the wall time in UTC, written into the record so a
supervisor can read it. ``monotonic()`` is a steadily increasing count of seconds that never
jumps when someone changes the computer's time; session time is measured with it while the app
runs. After a restart the monotonic count starts again, so elapsed time is re-anchored on the
stored wall times (see :mod:`kaproom.domain.session`).
"""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """What the session needs from a clock."""

    def now(self) -> datetime:
        """Wall time, timezone-aware UTC."""

    def monotonic(self) -> float:
        """Seconds on a clock that only moves forward."""

    @property
    def speed(self) -> float:
        """How many session seconds pass per real second (1 for a real clock)."""


#: Where Linux names the current boot; a new name after every start of the computer.
BOOT_ID_FILE = "/proc/sys/kernel/random/boot_id"


class SystemClock:
    """The computer's clocks, at real speed."""

    speed = 1.0

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def boot(self) -> tuple[str, float] | None:
        """(this boot's id, seconds since the computer started, counting sleep), or None where the
        system does not say: a resume compares it with the reading stored when the session last
        re-anchored, to know how much time can have passed in the room (see session.resume_doubt)."""
        try:
            with open(BOOT_ID_FILE, encoding="ascii") as handle:
                boot_id = handle.read().strip()
            return boot_id, time.clock_gettime(time.CLOCK_BOOTTIME)
        except (OSError, AttributeError, ValueError):
            return None


def boot_reading(clock: object) -> tuple[str, float] | None:
    """The clock's boot reading, for clocks that have one (the system's, and test clocks given a boot id)."""
    boot = getattr(clock, "boot", None)
    return boot() if callable(boot) else None


class ScaledClock:
    """Real time sped up ``speed`` times, for the demo and ``kaproom simulate``.

    Wall time starts at the real time and then runs fast too, so stored timestamps and session
    times stay consistent with each other.
    """

    def __init__(self, speed: float, base: Clock | None = None, origin: datetime | None = None,
                 wall_start: datetime | None = None) -> None:
        if speed <= 0:
            raise ValueError("clock speed must be positive")
        self.speed = float(speed)
        self._base = base or SystemClock()
        self._wall0 = self._base.now()
        self._mono0 = self._base.monotonic()
        if origin is not None:  # run as if started at ``origin`` and never stopped
            self._mono0 -= max(0.0, (self._wall0 - origin).total_seconds())
            self._wall0 = origin
        elif wall_start is not None:  # from now on, sped up, but with wall time counted from ``wall_start``
            self._wall0 = wall_start

    def continued_from(self, origin: datetime) -> ScaledClock:
        """The same fast clock as if it had run since ``origin`` (when a demo began), so a demo
        resumed after the app was closed counts the time it was away, sped up, as a real
        session counts real time; a fresh fast clock would start behind the demo's own record."""
        return ScaledClock(self.speed, self._base, origin)

    def _scaled(self) -> float:
        return (self._base.monotonic() - self._mono0) * self.speed

    def now(self) -> datetime:
        return self._wall0 + timedelta(seconds=self._scaled())

    def monotonic(self) -> float:
        return self._mono0 + self._scaled()


class FakeClock:
    """A clock moved by hand, for tests: ``advance(10800)`` runs three hours instantly.

    ``jump_wall`` moves only the wall time, as an NTP correction or a DST mistake would.
    """

    speed = 1.0

    def __init__(self, start: datetime | None = None, monotonic_start: float = 1000.0,
                 boot_id: str | None = None) -> None:
        self._wall = start or datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)
        if self._wall.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self._mono = monotonic_start
        #: None: a computer that gives no boot reading (the default, as older tests expect).
        self.boot_id = boot_id

    def boot(self) -> tuple[str, float] | None:
        """As SystemClock.boot, with the monotonic count standing for the time since boot."""
        return None if self.boot_id is None else (self.boot_id, self._mono)

    def now(self) -> datetime:
        return self._wall

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward; use jump_wall for wall-clock jumps")
        self._wall += timedelta(seconds=seconds)
        self._mono += seconds

    def jump_wall(self, seconds: float) -> None:
        self._wall += timedelta(seconds=seconds)


def to_iso(moment: datetime) -> str:
    """UTC ISO 8601 with milliseconds and a Z, the one format stored in the record."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def format_hms(seconds: float) -> str:
    """Session time as H:MM:SS (never negative)."""
    total = max(0, int(seconds))
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"
