"""The executor: runs a migration plan on a host, one step at a time, safely resumable.

API (for the CLI in backend/cmd_run.py and the TUI)
---------------------------------------------------
The shortest way, from command-line style options (host, saved roles, plan, ledger,
journal all chosen as `md2zfs run` does)::

    from backend.executor_setup import prepare
    ex = prepare(args, emit=on_event, confirm=ask_operator)   # raises SetupError

Or construct one yourself (it is cheap; one per run or reuse it across runs)::

    ex = Executor(
        host,                    # backend.host.Host (LocalHost, SimHost, ...)
        plan,                    # a Plan, or a function Inventory -> Plan (rebuilt from the
                                 #   live system before every step: device nodes re-resolved)
        emit=on_event,           # callable(event) with events from backend.events
        confirm=ask_operator,    # callable(destroys: Destroys, disk: Disk) -> bool
        copies=count_copies,     # callable(Inventory) -> int: complete copies right now
        inventory=take_inventory,  # callable(Host) -> Inventory (default: backend.inventory's)
        journal=Journal(path),   # optional audit trail (backend.journal); opened by run()
        options=RunOptions(dry_run=..., allow_fewer_copies=..., secrets={"passphrase": ...}),
    )

Run it in a worker thread; every call below blocks until it stops::

    result = ex.run(until_phase=6)   # from the first step not done, through phase 6
    result = ex.run_step("1.2-grow") # exactly one step (with all its checks)
    ex.cancel()                      # from any thread: the running child's process group
                                     #   is terminated, the run stops with "cancelled"
    states = ex.survey()             # [(step, done?)] from the live system, nothing runs
    ex.last_inventory                # the snapshot the last decision was made on

`RunResult.outcome` says how it ended: finished / until / reboot (all `ok`), manual,
declined, refused, failed (`failure` holds the StepFailed), cancelled. Every run ends
with exactly one `PlanStopped` event.

Events: `emit(event)` is called from the worker thread (and, for batched output lines,
from a helper thread of the same run), never concurrently: a lock serialises it.
`confirm` is called from the worker thread and may block as long as the operator needs.
A UI must hand events to its own thread (Textual: `post_message`/`call_from_thread`).
Output comes as `OutputLines` batches (at most every ~50 ms or 1000 lines).

Order of events for a step that runs: [Waiting("confirm ...") per target disk],
StepStarted, then per command CommandStarted + OutputLines..., [Waiting + Progress...
for a wait], then StepFinished(copies) or StepFailed; a refusal is StepFailed without
StepStarted. A step done already: StepSkipped. In-code actions (backend.executor_actions)
show what they do as OutputLines.

Resume is the normal start: before each step the live system is read and the step's
`done_when` decides; a done step is reported `StepSkipped("already done (live system
shows ...)")`. A done step whose `wait_until` does not hold yet (killed during a resync)
only waits. Retry after a failure = call `run()` (or `run_step()`) again.

Destructive steps: the targets are re-resolved and re-checked on the fresh inventory
(identity, size, not mounted, not in use by anything the step does not name); any
mismatch refuses the step. Then `confirm(destroys, disk)` is called once per target disk
(CLI: stdin or --confirm-disk; TUI: a modal) and a "no" stops the run.

Copies: a step that would leave fewer than 2 complete copies (live count minus the
step's planned decrease) is refused, unless `RunOptions.allow_fewer_copies`, which is
journaled as an override. A "reboot" step stops the run (`outcome == "reboot"`) unless
`RunOptions.allow_reboot`; a "manual" step stops with its instructions until the live
system shows it done. Secrets (`RunOptions.secrets`) reach commands only through stdin
("{secret:NAME}" in a Command's stdin) or the key-file action; every event and journal
record is redacted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from backend.events import Event, PlanStopped, StepFailed
from backend.executor_actions import DEFAULT_ACTIONS, ActionHandler
from backend.executor_checks import InventoryError, describe_state, unreliable
from backend.executor_ops import Redactor
from backend.executor_run import REBOOT_MESSAGE, StepRunner
from backend.host import Cancel, Host
from backend.journal import Journal, JournalBusyError
from backend.model import Disk, Inventory
from backend.plan.step import Destroys, Plan, Step

Outcome = Literal[
    "finished",  # every step of the plan is done
    "until",  # stopped where asked: after a phase (--until) or after one step (run_step)
    "reboot",  # stopped before (or, with allow_reboot, after starting) the reboot
    "manual",  # a manual step waits for the operator
    "declined",  # the operator did not confirm a disk
    "refused",  # a safety check refused the step (copies, disk identity, precondition)
    "failed",  # a command or action failed
    "cancelled",
]

EmitFn = Callable[[Event], None]
ConfirmFn = Callable[[Destroys, Disk], bool]
CopiesFn = Callable[[Inventory], int]
InventoryFn = Callable[[Host], Inventory]
PlanSource = Plan | Callable[[Inventory], Plan]


@dataclass(frozen=True)
class RunOptions:
    """How to run: dry-run, overrides, secrets and timing."""

    dry_run: bool = False
    # --yes-i-know-copies: run a step that leaves fewer than 2 copies (journaled).
    allow_fewer_copies: bool = False
    # Run a "reboot" step's commands instead of stopping before it (the demo's TUI).
    allow_reboot: bool = False
    secrets: Mapping[str, str] = field(default_factory=dict)
    poll_s: float = 1.0  # host clock seconds between inventory polls while waiting
    # Wall-clock floor per poll: on a sped-up demo clock, 1 host second is a millisecond,
    # and polling that fast would starve a UI thread of the GIL for nothing.
    min_poll_wall_s: float = 0.0
    # Give up waiting when nothing syncs and the wait is not over for this many polls.
    stall_polls: int = 120
    wait_timeout_s: float | None = None  # host clock; None: wait as long as it progresses
    batch_s: float = 0.05
    batch_lines: int = 1000


@dataclass(frozen=True)
class RunResult:
    """How a run ended; `failure` holds the StepFailed event when there was one."""

    outcome: Outcome
    message: str
    next_step_id: str | None = None
    failure: StepFailed | None = None

    @property
    def ok(self) -> bool:
        """True for the stops that are not errors (finished, until, reboot)."""
        return self.outcome in ("finished", "until", "reboot")


def _default_inventory(host: Host) -> Inventory:
    # Imported here: the inventory pulls in every parser, the executor's users may not.
    from backend.inventory import take_inventory

    return take_inventory(host)


class Executor:
    """Runs a plan's steps on a host; see the module docstring for the API."""

    def __init__(
        self,
        host: Host,
        plan: PlanSource,
        *,
        emit: EmitFn,
        confirm: ConfirmFn,
        copies: CopiesFn,
        inventory: InventoryFn | None = None,
        journal: Journal | None = None,
        options: RunOptions | None = None,
        actions: Mapping[str, ActionHandler] | None = None,
        reference: Inventory | None = None,
    ) -> None:
        self.host = host
        self._plan_source = plan
        self._emit_fn = emit
        self.confirm = confirm
        self.copies = copies
        self._inventory_fn = inventory or _default_inventory
        self.journal = journal
        self.options = options or RunOptions()
        self.actions: dict[str, ActionHandler] = {**DEFAULT_ACTIONS, **(actions or {})}
        # Sizes of the disks when the plan was made: a target that changed size was swapped.
        self.reference = reference
        self.redactor = Redactor(self.options.secrets)
        self._cancel = Cancel()
        self._emit_lock = threading.Lock()
        self.last_inventory: Inventory | None = None  # for UIs that show the targets' contents

    # -- events ---------------------------------------------------------------------------

    def emit(self, event: Event) -> None:
        """Redact, journal and deliver one event (serialised across threads)."""
        event = self.redactor.event(event)
        with self._emit_lock:
            if self.journal is not None and self.journal.is_open:
                self.journal.event(event)
            self._emit_fn(event)

    def record(self, kind: str, **fields: object) -> None:
        """A journal-only record (run start, confirmation, override)."""
        if self.journal is not None and self.journal.is_open:
            safe = {k: self.redactor.value(v) for k, v in fields.items()}
            with self._emit_lock:
                self.journal.append(kind, **safe)

    # -- control --------------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop the run: terminate the running command, stop waiting (any thread)."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        """True once cancel() was called for the current run."""
        return self._cancel.is_set

    def take_inventory(self) -> Inventory:
        """A fresh inventory of the host (the first one also becomes the size reference).

        Raises InventoryError when the snapshot cannot be trusted to decide anything.
        """
        inv = self._inventory_fn(self.host)
        problem = unreliable(inv)
        if problem is not None:
            raise InventoryError(f"cannot read the live system reliably: {problem}")
        self.last_inventory = inv
        if self.reference is None:
            self.reference = inv
        return inv

    def plan_for(self, inv: Inventory) -> Plan:
        """The plan for this live state (rebuilt when the plan source is a function)."""
        if isinstance(self._plan_source, Plan):
            return self._plan_source
        return self._plan_source(inv)

    def survey(self) -> list[tuple[Step, bool]]:
        """Every step with whether the live system shows it done (nothing runs)."""
        inv = self.take_inventory()
        return [(s, _holds(s.done_when, inv)) for s in self.plan_for(inv).steps()]

    # -- running --------------------------------------------------------------------------

    def run(self, until_phase: int | None = None) -> RunResult:
        """Run from the first step not done through `until_phase` (default: the end)."""
        return self._run(until_phase=until_phase, only=None)

    def run_step(self, step_id: str) -> RunResult:
        """Run one step (skipped when the live system shows it done)."""
        return self._run(until_phase=None, only=step_id)

    def _run(self, *, until_phase: int | None, only: str | None) -> RunResult:
        try:
            return self._run_journaled(until_phase=until_phase, only=only)
        finally:
            # Reset after, not before: a cancel() that races the start of the worker still
            # stops this run, and a retry after a cancelled run starts afresh.
            self._cancel = Cancel()

    def _run_journaled(self, *, until_phase: int | None, only: str | None) -> RunResult:
        opened = False
        if self.journal is not None and not self.options.dry_run:
            try:
                self.journal.open()
            except (JournalBusyError, OSError) as exc:
                # Another run holds the journal (or it cannot be written): run nothing.
                return self.stop("refused", f"cannot open the journal: {exc}", None)
            opened = True
        try:
            self.record(
                "run-start",
                host=self.host.description,
                until_phase=until_phase,
                step=only,
                allow_fewer_copies=self.options.allow_fewer_copies,
            )
            result = StepRunner(self).run(until_phase=until_phase, only=only)
            self.record("run-end", outcome=result.outcome, message=result.message)
            return result
        finally:
            if opened and self.journal is not None:
                self.journal.close()

    def stop(
        self,
        outcome: Outcome,
        message: str,
        next_step: str | None,
        failure: StepFailed | None = None,
    ) -> RunResult:
        """Emit PlanStopped and build the result."""
        self.emit(PlanStopped(message, next_step))
        return RunResult(outcome, message, next_step, failure)

    def fail(
        self,
        step: Step,
        message: str,
        *,
        outcome: Outcome = "failed",
        argv: tuple[str, ...] | None = None,
        returncode: int | None = None,
        tail: tuple[str, ...] = (),
    ) -> RunResult:
        """Emit StepFailed (with the live state in words) and stop the run at this step."""
        try:
            state = describe_state(self.take_inventory())
        except Exception as exc:  # the report must get out even when probing fails
            state = f"could not read the live system: {exc}"
        failed = StepFailed(step.id, argv, returncode, tail, message, state)
        self.emit(failed)
        return self.stop(outcome, f"{step.id}: {message}", step.id, self.redactor.event(failed))


def _holds(pred: Callable[[Inventory], bool] | None, inv: Inventory) -> bool:
    """Evaluate a step predicate; a predicate that raises does not hold."""
    if pred is None:
        return False
    try:
        return bool(pred(inv))
    except Exception:
        return False


__all__ = [
    "REBOOT_MESSAGE",
    "ConfirmFn",
    "CopiesFn",
    "EmitFn",
    "Executor",
    "InventoryError",
    "InventoryFn",
    "Outcome",
    "PlanSource",
    "RunOptions",
    "RunResult",
]
