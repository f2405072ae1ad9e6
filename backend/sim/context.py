"""What a simulated command gets to work with: the state, the clock, its stdin, a way to
print (streamed to the caller as it goes), to sleep on the sim clock, and to report
changes (persisted by the host) and device events (heard by subscribers)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from backend.host import Cancel, LineSink
from backend.sim.clock import SimClock
from backend.sim.state import SimState


@dataclass
class Ctx:
    """One command's view of the simulated machine."""

    state: SimState
    clock: SimClock
    root: bool
    stdin: str | None = None
    on_line: LineSink | None = None
    cancel: Cancel | None = None
    lock: threading.RLock | None = None
    notify: Callable[[str], None] = lambda _name: None
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)
    changed: bool = False

    def now(self) -> float:
        """Simulated time."""
        return self.clock.now()

    def print(self, text: str) -> None:
        """Write lines to stdout (each streamed to on_line)."""
        for line in text.splitlines():
            self.out.append(line)
            if self.on_line is not None:
                self.on_line(line)

    def error(self, text: str) -> None:
        """Write lines to stderr (each streamed to on_line)."""
        for line in text.splitlines():
            self.err.append(line)
            if self.on_line is not None:
                self.on_line(line)

    def fail(self, text: str, code: int = 1) -> int:
        """Print to stderr and return the exit code (for `return ctx.fail(...)`)."""
        self.error(text)
        return code

    def change(self) -> None:
        """Mark the state changed (the host persists it before run() returns)."""
        self.changed = True

    def sleep(self, seconds: float) -> None:
        """Wait on the sim clock, letting other threads read the state meanwhile."""
        if self.lock is not None:
            self.lock.release()
        try:
            self.clock.sleep(seconds)
        finally:
            if self.lock is not None:
                self.lock.acquire()

    @property
    def cancelled(self) -> bool:
        """True once the caller asked the command to stop."""
        return self.cancel is not None and self.cancel.is_set
