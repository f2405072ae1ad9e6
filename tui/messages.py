"""Messages that worker threads post to the UI (threads never touch widgets)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from textual.message import Message

from backend.model import Disk, Inventory
from backend.plan.step import Destroys

IoRates = Mapping[str, tuple[float, float]]


@dataclass(frozen=True)
class Snapshot:
    """One poll's result: an immutable inventory and per-device I/O rates (bytes/s)."""

    inventory: Inventory | None
    io_rates: IoRates
    error: str | None = None


class SystemSnapshot(Message):
    """The poller finished reading the system."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot


class EngineWake(Message):
    """Executor events are waiting in the bridge (posted once per batch, not per event)."""


class DevicesChanged(Message):
    """The host reported a hot-plug (a disk appeared or went away)."""


class ConfirmRequest(Message):
    """The executor's thread asks the operator to confirm a disk; it waits for `answer`."""

    def __init__(self, destroys: Destroys, disk: Disk) -> None:
        super().__init__()
        self.destroys = destroys
        self.disk = disk
        self.done = threading.Event()
        self.answer = False

    def reply(self, ok: bool) -> None:
        """Give the answer and wake the waiting thread (UI thread)."""
        self.answer = ok
        self.done.set()
