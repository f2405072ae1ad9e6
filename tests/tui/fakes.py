"""Fake backend services for the TUI tests: fixture inventories and a scripted runner."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from backend.events import (
    CommandStarted,
    OutputLines,
    PlanStopped,
    Progress,
    StepFailed,
    StepFinished,
    StepStarted,
)
from backend.host import IoCounters
from backend.model import Inventory
from backend.plan.step import Plan
from tests.tui import fixtures
from tui.choices import Choices
from tui.services import Confirm, Emit


class FakeHost:
    """Just enough of a Host for the app: a name and a fixed clock."""

    description = "fixture server"
    read_only = False

    def __init__(self, now: float = fixtures.T0) -> None:
        self.now = now

    def clock(self) -> float:
        """Fixed time."""
        return self.now


@dataclass
class ScriptedRunner:
    """Runs steps in a thread, emitting the events a real executor would.

    Destructive steps call `confirm` per disk (a "no" stops, like the executor's
    "declined"); steps in `fail_once` fail the first time.
    """

    plan: Plan
    emit: Emit
    confirm: Confirm
    inv: Callable[[], Inventory]
    fail_once: set[str] = field(default_factory=set)
    started: list[str] = field(default_factory=list)
    thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        """True while the thread runs."""
        return self.thread is not None and self.thread.is_alive()

    def start(self, step_id: str) -> None:
        """Run one step in a thread."""
        self._spawn([step_id])

    def start_phase(self, phase: int) -> None:
        """Run the phase's steps not started yet."""
        ids = [s.id for s in self.plan.steps() if s.phase == phase and s.id not in self.done]
        self._spawn(ids)

    done: set[str] = field(default_factory=set)

    def _spawn(self, ids: list[str]) -> None:
        self.thread = threading.Thread(target=self._run, args=(ids,), daemon=True)
        self.thread.start()

    def _run(self, ids: list[str]) -> None:
        for step_id in ids:
            if not self._step(step_id):
                return
        self.emit(PlanStopped("stopped where asked", None))

    def _step(self, step_id: str) -> bool:
        step = self.plan.step(step_id)
        self.started.append(step_id)
        self.emit(StepStarted(step_id, step.title, fixtures.T0))
        for d in step.destroys:
            disk = self.inv().resolve(d.identity)[0]
            if not self.confirm(d, disk):
                self.emit(PlanStopped("the operator did not confirm the disk", step_id))
                return False
        for argv in step.argvs():
            self.emit(CommandStarted(step_id, argv))
            self.emit(OutputLines(step_id, (f"output of {argv[0]}",)))
        if step.kind == "wait":
            self.emit(Progress(step_id, "recovery", 100.0, "150 MiB/s", 0))
        if step_id in self.fail_once:
            self.fail_once.discard(step_id)
            failed_argv = step.argvs()[0] if step.argvs() else None
            self.emit(
                StepFailed(
                    step_id,
                    failed_argv,
                    1,
                    ("mdadm: something went wrong",),
                    "command failed",
                    "md0 clean [UU]",
                )
            )
            self.emit(PlanStopped(f"{step_id}: command failed", step_id))
            return False
        self.done.add(step_id)
        self.emit(StepFinished(step_id, fixtures.T0, step.copies_after))
        return True

    def cancel(self) -> None:
        """Nothing to interrupt: steps are instant."""


@dataclass
class FakeServices:
    """Services over fixture inventories; `inv` can be swapped to simulate progress."""

    inv: Inventory = field(default_factory=fixtures.inventory_start)
    resume_choices: Choices | None = None
    done: dict[str, str] = field(default_factory=dict)
    fail_once: set[str] = field(default_factory=set)
    audit_log_path: str | None = None
    fake_host: FakeHost = field(default_factory=FakeHost)
    runners: list[ScriptedRunner] = field(default_factory=list)
    listeners: list[Callable[[], None]] = field(default_factory=list)
    accepted: Choices | None = None

    @property
    def host(self) -> FakeHost:
        """The fake machine."""
        return self.fake_host

    def inventory(self) -> Inventory:
        """The current fixture."""
        return self.inv

    def io_counters(self) -> Mapping[str, IoCounters]:
        """None."""
        return {}

    def propose(self, inv: Inventory) -> Choices:
        """The demo's roles."""
        return Choices(array="md0", disk_a="sda", disk_b="sdb", disk_c="sdc")

    def resume(self, inv: Inventory) -> Choices | None:
        """Set by the test."""
        return self.resume_choices

    def check(self, inv: Inventory, choices: Choices) -> dict[str, str]:
        """No extra checks."""
        return {}

    def build_plan(self, inv: Inventory, choices: Choices) -> Plan:
        """The fixture plan."""
        return fixtures.demo_plan(choices.pool)

    def accept(self, choices: Choices) -> None:
        """Remember the accepted choices."""
        self.accepted = choices

    def done_steps(self, inv: Inventory, plan: Plan) -> dict[str, str]:
        """Set by the test."""
        return dict(self.done)

    def copies(self, inv: Inventory, choices: Choices | None) -> int | None:
        """Two, or three while C is in sync."""
        md0 = inv.array("md0")
        return 3 if md0 is not None and md0.slots == "UUU" else 2

    def runner(self, plan: Plan, emit: Emit, confirm: Confirm) -> ScriptedRunner:
        """A scripted runner."""
        r = ScriptedRunner(plan, emit, confirm, self.inventory, fail_once=self.fail_once)
        self.runners.append(r)
        return r

    def subscribe(self, on_change: Callable[[], None]) -> Callable[[], None]:
        """Remember the listener."""
        self.listeners.append(on_change)
        return lambda: self.listeners.remove(on_change)
