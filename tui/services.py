"""What the wizard needs from the backend, as one injected object.

The app never imports the planner or the executor itself: it gets a `Services` (the real
one adapts backend/, tests hand in fakes). Every call but `inventory()` and
`io_counters()` is made on the UI thread and must be quick.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from backend.events import Event
from backend.host import IoCounters
from backend.model import Disk, Inventory
from backend.plan.step import Destroys, Plan
from tui.choices import Choices

Emit = Callable[[Event], None]
Confirm = Callable[[Destroys, Disk], bool]  # called on the runner's thread; may block


class HostInfo(Protocol):
    """What the app itself reads from the host (everything else goes through Services)."""

    @property
    def description(self) -> str:
        """A short human name of the machine."""
        ...

    @property
    def read_only(self) -> bool:
        """True when changes would be refused (a replay, or not root)."""
        ...

    def clock(self) -> float:
        """The host's clock (simulated time on the demo)."""
        ...


class StepRunner(Protocol):
    """Runs one step at a time in its own thread, reporting through the emit callback."""

    @property
    def busy(self) -> bool:
        """True while a step runs."""
        ...

    def start(self, step_id: str) -> None:
        """Start (or retry) a step; returns at once."""
        ...

    def start_phase(self, phase: int) -> None:
        """Run from the first step not done through the end of a phase; returns at once."""
        ...

    def cancel(self) -> None:
        """Ask the running step to stop."""
        ...


class Services(Protocol):
    """The backend as the wizard sees it."""

    @property
    def host(self) -> HostInfo:
        """The machine."""
        ...

    @property
    def audit_log_path(self) -> str | None:
        """Where the full audit log is (None when nothing is written)."""
        ...

    def inventory(self) -> Inventory:
        """Read the system (worker thread)."""
        ...

    def io_counters(self) -> Mapping[str, IoCounters]:
        """Cumulative per-device I/O (worker thread)."""
        ...

    def propose(self, inv: Inventory) -> Choices:
        """Proposed roles and defaults for this machine."""
        ...

    def resume(self, inv: Inventory) -> Choices | None:
        """The choices of a migration already under way on this machine, if any."""
        ...

    def check(self, inv: Inventory, choices: Choices) -> dict[str, str]:
        """Field -> refusal (the backend's checks on top of the form's)."""
        ...

    def build_plan(self, inv: Inventory, choices: Choices) -> Plan:
        """The whole plan for these choices."""
        ...

    def accept(self, choices: Choices) -> None:
        """The operator accepted the plan for these choices (save what a restart needs)."""
        ...

    def done_steps(self, inv: Inventory, plan: Plan) -> dict[str, str]:
        """Step id -> why the live system shows it done already."""
        ...

    def copies(self, inv: Inventory, choices: Choices | None) -> int | None:
        """Complete copies of the root data now."""
        ...

    def runner(self, plan: Plan, emit: Emit, confirm: Confirm) -> StepRunner:
        """A runner for this plan (one per plan); it asks `confirm` per destroyed disk."""
        ...

    def subscribe(self, on_change: Callable[[], None]) -> Callable[[], None]:
        """Call on_change (any thread) on hot-plug; returns an unsubscribe function."""
        ...
