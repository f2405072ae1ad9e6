"""The one path from the executor's thread to the UI: a coalescing event queue.

The executor calls `emit` from its thread. Events queue under a lock and at most one
`EngineWake` message is in flight: the UI drains everything queued when it handles it.
Consecutive output batches merge into one (keeping only the tail the screen can show) and
a newer `Progress` of the same step replaces an older one, so a command printing a
million lines costs the UI a handful of renders.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from backend.events import Event, OutputLines, Progress
from tui.messages import EngineWake


@dataclass
class LineBatch:
    """Output lines merged from consecutive OutputLines events."""

    step_id: str
    lines: list[str] = field(default_factory=list)
    count: int = 0  # lines received, including those dropped from the tail


Queued = Event | LineBatch
YIELD_EVERY_S = 0.005


class EventBridge:
    """Thread-safe, coalescing hand-over of executor events to the UI thread."""

    def __init__(self, post: Callable[[EngineWake], object], keep_lines: int = 2000) -> None:
        self._post = post
        self._keep = keep_lines
        self._lock = threading.Lock()
        self._queue: list[Queued] = []
        self._pending = False
        self.emitted = 0
        self._yielded = 0.0

    def emit(self, event: Event) -> None:
        """Queue one event (any thread); wake the UI unless a wake is already pending."""
        with self._lock:
            self.emitted += 1
            last = self._queue[-1] if self._queue else None
            if isinstance(event, OutputLines):
                if isinstance(last, LineBatch) and last.step_id == event.step_id:
                    batch = last
                else:
                    batch = LineBatch(event.step_id)
                    self._queue.append(batch)
                batch.lines.extend(event.lines)
                batch.count += len(event.lines)
                if len(batch.lines) > 2 * self._keep:
                    del batch.lines[: len(batch.lines) - self._keep]
            elif (
                isinstance(event, Progress)
                and isinstance(last, Progress)
                and last.step_id == event.step_id
            ):
                self._queue[-1] = event
            else:
                self._queue.append(event)
            wake = not self._pending
            self._pending = True
        if wake:
            self._post(EngineWake())
        # Hand the GIL over now and then: a producer printing as fast as it can would
        # otherwise starve the UI thread of it (keys answered late).
        now = time.perf_counter()
        if now - self._yielded > YIELD_EVERY_S:
            self._yielded = now
            time.sleep(0)

    def drain(self) -> list[Queued]:
        """Everything queued since the last drain (UI thread)."""
        with self._lock:
            queued, self._queue = self._queue, []
            self._pending = False
        return queued
