"""Clocks for the simulated server: simulated seconds since the Unix epoch.

`RealClock` runs simulated time `time_scale` times faster than the wall clock, anchored so
that a new process resumes at the simulated time the previous one reached (plus however
long it was dead, scaled: a real server keeps resyncing while md2zfs is not running).
`FakeClock` only moves when a test (or the sim's own `sleep`) moves it.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class SimClock(Protocol):
    """Simulated time: now() in epoch seconds, sleep() on that time scale."""

    def now(self) -> float:
        """The simulated time, seconds since the epoch."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait this many simulated seconds."""
        ...


class RealClock:
    """Simulated seconds = wall seconds x time_scale, from an anchor (wall, sim)."""

    def __init__(
        self,
        time_scale: float = 1.0,
        *,
        start: float | None = None,
        anchor_wall: float | None = None,
    ) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.time_scale = time_scale
        self.anchor_wall = time.time() if anchor_wall is None else anchor_wall
        self.anchor_sim = self.anchor_wall if start is None else start

    @classmethod
    def from_anchor(cls, anchor: list[float], time_scale: float) -> RealClock:
        """Resume from a persisted [wall, sim, scale] anchor; re-anchor if the scale changed."""
        wall, sim, scale = anchor
        clock = cls(scale, start=sim, anchor_wall=wall)
        if scale != time_scale:
            return cls(time_scale, start=clock.now())
        return clock

    def anchor(self) -> list[float]:
        """The [wall, sim, scale] triple to persist."""
        return [self.anchor_wall, self.anchor_sim, self.time_scale]

    def now(self) -> float:
        """Simulated epoch seconds."""
        return self.anchor_sim + (time.time() - self.anchor_wall) * self.time_scale

    def sleep(self, seconds: float) -> None:
        """Sleep seconds/time_scale of wall time."""
        if seconds > 0:
            time.sleep(seconds / self.time_scale)


class FakeClock:
    """A clock that moves only when told to (tests), or when something sleeps on it."""

    def __init__(self, start: float = 1795759200.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        """The current fake time."""
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        """Advance instead of sleeping."""
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        if seconds > 0:
            with self._lock:
                self._now += seconds
