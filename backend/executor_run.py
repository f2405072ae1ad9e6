"""The executor's inner loop: one step at a time, each decided on a fresh inventory.

Internal to backend.executor (use `Executor`); split out to keep files small.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from backend.events import (
    CommandStarted,
    OutputLines,
    Progress,
    StepFinished,
    StepSkipped,
    StepStarted,
    Waiting,
)
from backend.executor_checks import (
    InventoryError,
    describe_state,
    recheck_destroys,
    sync_progress,
)
from backend.executor_ops import ChecksRefusedError, OpFailedError, OutputBatcher, Redactor
from backend.host import CommandResult, Host
from backend.model import Disk, Inventory
from backend.plan.step import Action, Command, Destroys, Plan, Step

# How often a step's effect is looked for (udev settled, 1 s apart) before it counts as missing.
SETTLE_ATTEMPTS = 4

if TYPE_CHECKING:
    from backend.executor import Executor, RunResult

REBOOT_MESSAGE = (
    "stopped before reboot: run `systemctl reboot`, then `md2zfs run` again for phase 7"
)


class _PredicateError(Exception):
    """A step predicate raised: a plan bug, reported instead of guessed around."""


def _check(pred: Callable[[Inventory], bool] | None, inv: Inventory, what: str) -> bool:
    if pred is None:
        return False
    try:
        return bool(pred(inv))
    except Exception as exc:
        raise _PredicateError(f"could not evaluate {what}: {exc!r}") from exc


def stdin_lines(stdin: str, display: str | None) -> tuple[str, ...]:
    """What the log shows for a command's stdin: never the raw text (it may be a
    passphrase), only what the plan chose to display, one output line per line."""
    if display is None:
        return (f"stdin: <{len(stdin.splitlines())} lines>",)
    return ("stdin:", *(f"  {ln}" for ln in display.splitlines()))


class _Ctx:
    """The OpContext handed to actions, and the one way a step runs a command."""

    def __init__(self, ex: Executor, step_id: str) -> None:
        self.ex = ex
        self.host: Host = ex.host
        self.step_id = step_id
        self.redactor: Redactor = ex.redactor

    def say(self, line: str) -> None:
        self.ex.emit(OutputLines(self.step_id, (line,)))

    def inventory(self) -> Inventory:
        return self.ex.take_inventory()

    def command(
        self,
        argv: Sequence[str],
        *,
        stdin: str | None = None,
        ok_codes: tuple[int, ...] = (0,),
        show_output: bool = True,
        stdin_display: str | None = None,
    ) -> CommandResult:
        argv = tuple(argv)
        self.ex.emit(CommandStarted(self.step_id, argv))
        if stdin is not None:
            self.ex.emit(OutputLines(self.step_id, stdin_lines(stdin, stdin_display)))
            stdin = self.redactor.fill(stdin)
        o = self.ex.options
        batcher = OutputBatcher(
            self.step_id, self.ex.emit, interval=o.batch_s, max_lines=o.batch_lines
        )
        with batcher:
            sink = batcher.add if show_output else batcher.tail.append
            result = self.host.run(argv, stdin=stdin, on_line=sink, cancel=self.ex._cancel)
        if result.returncode != 0 and result.returncode not in ok_codes:
            tail = tuple(batcher.tail)[-20:] or result.tail()
            raise OpFailedError(
                f"`{shlex.join(argv)}` exited with code {result.returncode}",
                argv,
                result.returncode,
                tail,
            )
        return result


class StepRunner:
    """Runs steps for one `Executor.run()`/`run_step()` call."""

    def __init__(self, ex: Executor) -> None:
        self.ex = ex
        self.o = ex.options
        # Dry run: once a step "would run", later done-when answers describe a system
        # the dry run did not change, so they are not asked.
        self.assume_pending = False
        # The live system as last read, and the plan built from it. A skipped step changes
        # nothing, and a finished step is read right after it ran, so the next step decides
        # on this without another read (a resume that skips 40 steps reads the system once).
        self.current: tuple[Inventory, Plan] | None = None

    def run(self, *, until_phase: int | None, only: str | None) -> RunResult:
        """The loop: fresh inventory, fresh plan, first step not yet handled this run."""
        ex = self.ex
        handled: set[str] = set()
        while True:
            if ex.cancelled:
                return ex.stop("cancelled", "cancelled", None)
            try:
                if self.current is None:
                    inv = ex.take_inventory()
                    self.current = (inv, ex.plan_for(inv))
                inv, plan = self.current
                steps = plan.steps()
            except InventoryError as exc:
                return ex.stop("failed", str(exc), None)
            except Exception as exc:  # a planner bug must stop the run, not crash the UI
                return ex.stop(
                    "failed", f"cannot build the plan from the live system: {exc!r}", None
                )
            todo = [s for s in steps if s.id not in handled]
            if only is not None:
                if only in handled:
                    nxt = todo[0].id if todo else None
                    return ex.stop("until", f"step {only} handled", nxt)
                match = [s for s in todo if s.id == only]
                if not match:
                    return ex.stop("failed", f"the plan has no step {only}", None)
                todo = match
            if not todo:
                return ex.stop("finished", "the plan is complete", None)
            step = todo[0]
            if until_phase is not None and step.phase > until_phase:
                return ex.stop("until", f"stopped after phase {until_phase}", step.id)
            try:
                result = self.step(step, inv)
            except (_PredicateError, InventoryError) as exc:
                return ex.fail(step, str(exc))
            handled.add(step.id)
            if result is not None:
                return result

    def step(self, step: Step, inv: Inventory) -> RunResult | None:
        """Run, skip or refuse one step; None means go on with the next."""
        ex, o = self.ex, self.o
        done = not self.assume_pending and _check(step.done_when, inv, "done-when")
        must_wait = step.wait_until is not None and not (
            done and _check(step.wait_until, inv, "wait-until")
        )
        if done and not must_wait:
            ex.emit(StepSkipped(step.id, f"already done (live system shows {describe_state(inv)})"))
            return None
        if o.dry_run:
            return self.dry(step)
        if not done and step.kind == "manual":
            ex.emit(Waiting(step.id, step.manual_instructions or step.title))
            return ex.stop(
                "manual", f"manual step {step.id}: do it, then run md2zfs again", step.id
            )
        if not done and step.kind == "reboot" and not o.allow_reboot:
            return ex.stop("reboot", REBOOT_MESSAGE, step.id)
        ex.emit(StepStarted(step.id, step.title, ex.host.clock()))
        if done:
            ex.emit(Waiting(step.id, "already done; waiting for it to complete"))
        else:
            refused = self.guard(step, inv)
            if refused is not None:
                return refused
            failed = self.operations(step)
            if failed is not None:
                return failed
            if step.kind == "reboot":
                return ex.stop("reboot", "rebooting: run md2zfs again when it is back", step.id)
        if step.wait_until is not None:
            failed = self.wait(step)
            if failed is not None:
                return failed
        self.current = None  # the step changed the system: decide again on a fresh read
        for attempt in range(SETTLE_ATTEMPTS):
            # lsblk lags behind wipefs/sfdisk/mkfs until udev has handled their events.
            self.settle_udev(step, wait=attempt > 0)
            after = ex.take_inventory()
            try:
                plan = ex.plan_for(after)
            except Exception as exc:
                return ex.fail(step, f"cannot rebuild the plan from the live system: {exc}")
            self.current = (after, plan)
            # Ask the step as rebuilt from the live system: its predicates may have been
            # built from facts read before it ran (files, hostid).
            fresh = next((s for s in plan.steps() if s.id == step.id), step)
            if fresh.done_when is None or _check(fresh.done_when, after, "done-when"):
                break
        else:
            return ex.fail(step, "the step ran, but the live system does not show it done")
        try:
            copies = ex.copies(after)
        except Exception as exc:
            return ex.fail(step, f"the step ran, but the copies cannot be counted: {exc!r}")
        ex.emit(StepFinished(step.id, ex.host.clock(), copies))
        return None

    def settle_udev(self, step: Step, *, wait: bool) -> None:
        """Let udev finish with what the step did, so lsblk shows it (a no-op without udev)."""
        host = self.ex.host
        if host.which("udevadm") is None:
            return
        if wait:
            host.sleep(1.0)
        # Quiet: not the step's own command, and its failure changes nothing (we only read).
        host.run(("udevadm", "settle", "--timeout=30"))

    def guard(self, step: Step, inv: Inventory) -> RunResult | None:
        """Precondition, the two-copies rule, target re-check and confirmation."""
        ex = self.ex
        if step.precondition is not None and not _check(step.precondition, inv, "precondition"):
            return ex.fail(
                step,
                "refused: the live system does not meet the step's precondition",
                outcome="refused",
            )
        try:
            live = ex.copies(inv)
        except Exception as exc:  # a ledger that cannot count must not mean "enough"
            return ex.fail(step, f"refused: cannot count the copies: {exc!r}", outcome="refused")
        after = live - max(0, step.copies_before - step.copies_after)
        if step.copies_after < 2 or after < 2:
            msg = (
                f"this step would leave {min(after, step.copies_after)} complete copies "
                f"(now {live}); at least 2 are required"
            )
            if not self.o.allow_fewer_copies:
                return ex.fail(step, "refused: " + msg, outcome="refused")
            ex.record("override", step_id=step.id, copies_now=live, copies_after=after, rule=msg)
            ex.emit(OutputLines(step.id, (f"md2zfs: OVERRIDE by --yes-i-know-copies: {msg}",)))
        if not step.destroys:
            return None
        targets, problems = recheck_destroys(step, inv, ex.reference)
        if problems:
            return ex.fail(step, "refused: " + "; ".join(problems), outcome="refused")
        by_disk: dict[str, list[Destroys]] = {}
        for t in targets:
            by_disk.setdefault(t.disk.name, []).append(t.destroys)
        for t in targets:
            group = by_disk.pop(t.disk.name, None)
            if group is None:
                continue  # this disk was already confirmed for an earlier target
            what = "; ".join(d.what for d in group)
            combined = Destroys(group[0].identity, group[0].device, what)
            ex.emit(Waiting(step.id, f"confirm {t.disk.path} ({t.disk.identity()}): {what}"))
            ok = ex.confirm(combined, t.disk)
            ex.record(
                "confirmation",
                step_id=step.id,
                disk=t.disk.path,
                identity=str(t.disk.identity()),
                serial=t.disk.serial,
                wwn=t.disk.wwn,
                what=what,
                confirmed=ok,
            )
            if not ok:
                return ex.stop(
                    "declined", f"{t.disk.path} was not confirmed: nothing was changed", step.id
                )
        # The operator may have taken minutes: check the targets again, right before use.
        again, problems = recheck_destroys(step, ex.take_inventory(), ex.reference)
        if not problems and [_shape(t.disk) for t in again] != [_shape(t.disk) for t in targets]:
            problems = ["the target disks changed while waiting for the confirmation"]
        if problems:
            return ex.fail(step, "refused: " + "; ".join(problems), outcome="refused")
        return None

    def operations(self, step: Step) -> RunResult | None:
        """Run the step's commands and actions in order; stop at the first failure."""
        ex = self.ex
        ctx = _Ctx(ex, step.id)
        for op in step.operations:
            if ex.cancelled:
                return ex.stop("cancelled", f"cancelled during {step.id}", step.id)
            try:
                if isinstance(op, Command):
                    ctx.command(
                        op.argv,
                        stdin=op.stdin,
                        ok_codes=op.ok_codes,
                        stdin_display=op.stdin_display,
                    )
                else:
                    self.action(ctx, op)
            except OpFailedError as exc:
                if ex.cancelled:
                    return ex.stop(
                        "cancelled", f"cancelled during {step.id}: {exc.message}", step.id
                    )
                return ex.fail(
                    step,
                    exc.message,
                    outcome="refused" if isinstance(exc, ChecksRefusedError) else "failed",
                    argv=exc.argv,
                    returncode=exc.returncode,
                    tail=exc.tail,
                )
            except Exception as exc:  # HostError, OSError, a bug in an action: stop here
                return ex.fail(step, f"{type(exc).__name__}: {exc}")
        return None

    def action(self, ctx: _Ctx, op: Action) -> None:
        """Look up and run an in-code action."""
        handler = self.ex.actions.get(op.name)
        if handler is None:
            raise OpFailedError(f"md2zfs does not know the action {op.name!r}")
        handler(ctx, op)

    def wait(self, step: Step) -> RunResult | None:
        """Poll the live system (never overlapping) until wait_until holds, with progress."""
        ex, o = self.ex, self.o
        start = ex.host.clock()
        idle = 0
        shown: dict[str, float | None] = {}
        while True:
            if ex.cancelled:
                return ex.stop("cancelled", f"cancelled while waiting in {step.id}", step.id)
            polled_at = time.monotonic()
            inv = ex.take_inventory()
            if _check(step.wait_until, inv, "wait-until"):
                return None
            progress = sync_progress(step.id, inv)
            for p in progress:
                self._progress(p, shown)
            idle = 0 if progress else idle + 1
            if idle >= o.stall_polls:
                return ex.fail(step, "nothing is syncing any more, and the wait is not over")
            if o.wait_timeout_s is not None and ex.host.clock() - start > o.wait_timeout_s:
                return ex.fail(step, f"still not complete after {o.wait_timeout_s:.0f} s")
            ex.host.sleep(o.poll_s)
            rest = o.min_poll_wall_s - (time.monotonic() - polled_at)
            if rest > 0:
                time.sleep(rest)

    def _progress(self, p: Progress, shown: dict[str, float | None]) -> None:
        # Coalesce: one event per visible change (0.1 %) of each sync, not one per poll.
        pct = None if p.percent is None else round(p.percent, 1)
        if p.label in shown and shown[p.label] == pct:
            return
        shown[p.label] = pct
        self.ex.emit(p)

    def dry(self, step: Step) -> RunResult | None:
        """Show what the step would run, run nothing."""
        ex = self.ex
        self.assume_pending = True
        ex.emit(StepStarted(step.id, step.title, ex.host.clock()))
        if step.kind == "manual":
            ex.emit(Waiting(step.id, step.manual_instructions or step.title))
        for d in step.destroys:
            ex.emit(Waiting(step.id, f"would ask to confirm {d.device} ({d.identity}): {d.what}"))
        for op in step.operations:
            if isinstance(op, Command):
                ex.emit(CommandStarted(step.id, op.argv))
                if op.stdin is not None:
                    ex.emit(OutputLines(step.id, stdin_lines(op.stdin, op.stdin_display)))
            else:
                ex.emit(OutputLines(step.id, (f"(in code) {op.describe or op.name}",)))
        if step.wait_until is not None:
            ex.emit(Waiting(step.id, "would wait until it completes"))
        ex.emit(StepSkipped(step.id, "dry run: nothing was run"))
        return None


def _shape(disk: Disk) -> tuple[object, ...]:
    """What must not change while the operator confirms: the disk's identity, size and
    partition table. Filesystem signatures and holders may (udev catching up, an array of
    another step resyncing), and are checked by recheck_destroys on their own."""
    parts = tuple((p.number, p.start_sector, p.size_bytes, p.part_uuid) for p in disk.partitions)
    return (disk.name, disk.identity(), disk.size_bytes, disk.ptuuid, parts)
