"""Reads the system in a worker thread, never two reads at once.

`poll()` starts a read unless one is running (then it asks for another right after).
The read posts a `SystemSnapshot`; the UI renders it and calls `done()`, which returns
the delay before the next poll: ~1 s while anything syncs, slower when idle. The timer
is re-armed only then, so polls never overlap however slow the system is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from backend.host import IoCounters
from backend.model import Inventory
from tui.messages import Snapshot, SystemSnapshot

BUSY_INTERVAL = 1.0
IDLE_INTERVAL = 5.0


def syncing(inv: Inventory | None) -> bool:
    """True while an md sync or a pool scan runs."""
    if inv is None:
        return False
    if any(a.sync is not None for a in inv.arrays):
        return True
    return any(p.scan is not None and p.scan.state == "running" for p in inv.pools)


class Poller:
    """Non-overlapping inventory reads in a thread, with I/O rates between reads."""

    def __init__(
        self,
        take: Callable[[], Inventory],
        io_counters: Callable[[], Mapping[str, IoCounters]],
        clock: Callable[[], float],
        post: Callable[[SystemSnapshot], object],
        start_thread: Callable[[Callable[[], None]], object] | None = None,
    ) -> None:
        self._take = take
        self._io = io_counters
        self._clock = clock
        self._post = post
        self._start = start_thread or self._wake_worker
        self._go = threading.Event()
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()
        self._busy = False
        self._again = False
        self._last_io: tuple[float, Mapping[str, IoCounters]] | None = None
        self.polls = 0

    @property
    def busy(self) -> bool:
        """True while a read is running."""
        return self._busy

    def poll(self) -> bool:
        """Start a read now; False (and one more read queued) when one is running."""
        with self._lock:
            if self._busy:
                self._again = True
                return False
            self._busy = True
        self._start(self._work)
        return True

    def _work(self) -> None:
        try:
            inv = self._take()
            rates = self._rates(inv)
            snap = Snapshot(inv, rates)
        except Exception as exc:  # report, never kill the UI: the next poll may work
            snap = Snapshot(None, {}, error=f"{type(exc).__name__}: {exc}")
        self.polls += 1
        self._post(SystemSnapshot(snap))

    def _rates(self, inv: Inventory) -> dict[str, tuple[float, float]]:
        if not syncing(inv):
            self._last_io = None
            return {}
        now = self._clock()
        counters = dict(self._io())
        prev = self._last_io
        self._last_io = (now, counters)
        if prev is None or now <= prev[0]:
            return {}
        dt = now - prev[0]
        out: dict[str, tuple[float, float]] = {}
        for dev, c in counters.items():
            old = prev[1].get(dev)
            if old is None:
                continue
            r = (c.read_bytes - old.read_bytes) / dt
            w = (c.write_bytes - old.write_bytes) / dt
            if r > 0 or w > 0:
                out[dev] = (r, w)
        return out

    def _wake_worker(self, fn: Callable[[], None]) -> object:
        """Run fn on one long-lived reader thread (no thread start per poll)."""
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._loop, name="md2zfs-poll", daemon=True)
            self._worker.start()
        self._go.set()
        return self._worker

    def _loop(self) -> None:
        while True:
            self._go.wait()
            self._go.clear()
            self._work()

    def done(self, inv: Inventory | None) -> float | None:
        """The UI rendered a snapshot: None to poll again at once, else the delay."""
        with self._lock:
            self._busy = False
            again, self._again = self._again, False
        if again:
            return None
        return BUSY_INTERVAL if syncing(inv) else IDLE_INTERVAL
