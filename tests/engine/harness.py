"""Drive a whole migration with a simulated kill anywhere, then resume in a "new process".

A kill is a `KilledError` (a BaseException, so no `except Exception` in the executor can
swallow it) raised at a chosen position:

- "step": when the n-th step starts (a step boundary),
- "before": when the n-th command is about to run,
- "after": right after the n-th command ran, before the executor saw its result,
- "poll": at the n-th wait between inventory polls (the middle of a long wait),
- "line": at the n-th output line of any command (the middle of a long command).

After the kill the world's host is reloaded (the sim from its state file) and a fresh
executor runs again; the reboot is done by the harness, as the operator would.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from backend.events import (
    CommandStarted,
    Event,
    PlanStopped,
    StepFailed,
    StepFinished,
    StepSkipped,
    StepStarted,
)
from backend.executor import Executor, PlanSource, RunOptions
from backend.host import Cancel, CommandResult, Host, LineSink
from backend.model import Disk, Inventory
from backend.plan.step import Destroys

KINDS = ("step", "before", "after", "poll", "line")


class KilledError(BaseException):
    """The process was killed here (SIGKILL: nothing after it runs)."""


@dataclass(frozen=True)
class KillPoint:
    """Where to kill: the n-th (0-based) occurrence of `kind`."""

    kind: str
    n: int


@dataclass
class Counts:
    """How often each kill position occurs in a run (for choosing positions)."""

    step: int = 0
    before: int = 0
    after: int = 0
    poll: int = 0
    line: int = 0


class ReachedError(BaseException):
    """The run reached the step boundary the test compares at."""


@dataclass(frozen=True)
class Snapshot:
    """The machine's saved state when a step started, and the counts at that moment."""

    counts: Counts
    step_id: str
    data: bytes


class KillingHost:
    """Wraps a Host; raises KilledError at the chosen position, records every argv."""

    def __init__(self, inner: Host, world: World, kill: KillPoint | None) -> None:
        self.inner = inner
        self.world = world
        self.kill = kill
        self.in_plan_command = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _hit(self, kind: str) -> None:
        counts = self.world.counts
        n = getattr(counts, kind)
        setattr(counts, kind, n + 1)
        if self.kill is not None and self.kill.kind == kind and self.kill.n == n:
            self.kill = None
            self.world.killed = True
            raise KilledError(f"killed at {kind} #{n}")

    def run(
        self,
        argv: Sequence[str],
        *,
        stdin: str | None = None,
        on_line: LineSink | None = None,
        cancel: Cancel | None = None,
    ) -> CommandResult:
        plan_cmd = self.in_plan_command
        self.in_plan_command = False
        if plan_cmd:
            self.world.argvs.append(tuple(argv))
        sink = on_line
        if plan_cmd and on_line is not None:

            def sink(line: str) -> None:
                self._hit("line")
                on_line(line)

        result = self.inner.run(argv, stdin=stdin, on_line=sink, cancel=cancel)
        if plan_cmd:
            self._hit("after")
        return result

    def sleep(self, seconds: float) -> None:
        self._hit("poll")
        self.inner.sleep(seconds)

    def on_event(self, ev: Event) -> None:
        """Called for every executor event (in the worker thread)."""
        if isinstance(ev, StepStarted):
            if self.world.record is not None:
                # What a process killed right here leaves behind, and where the counts were.
                data = self.world.record(self.inner)
                counts = dataclasses.replace(self.world.counts)
                self.world.snapshots.append(Snapshot(counts, ev.step_id, data))
            if ev.step_id == self.world.stop_at and self.kill is None:
                raise ReachedError(ev.step_id)
            self._hit("step")
        if isinstance(ev, CommandStarted):
            self._hit("before")
            # The next host.run is this command (probes run only between commands).
            self.in_plan_command = True


@dataclass
class World:
    """How to build, reload, reboot and compare one simulated machine."""

    load: Callable[[], Host]  # a fresh host over the persisted state ("a new process")
    inventory: Callable[[Host], Inventory]
    plan: Callable[[Host], PlanSource]
    copies: Callable[[Inventory], int]
    reboot: Callable[[Host], None]
    final: Callable[[Host], object]
    options: RunOptions = field(default_factory=RunOptions)
    roles: Any = None  # the migration's roles, when the world has them
    counts: Counts = field(default_factory=Counts)
    argvs: list[tuple[str, ...]] = field(default_factory=list)
    boundary_copies: list[tuple[str, int]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    # Optional: save the machine's state at every step start (the baseline run records
    # them, so a kill at boundary k is tested by resuming from snapshot k).
    record: Callable[[Host], bytes] | None = None
    restore: Callable[[bytes], None] | None = None
    snapshots: list[Snapshot] = field(default_factory=list)
    # Stop (ReachedError) when this step starts after the kill: the state is compared there.
    stop_at: str | None = None
    killed: bool = False
    # Disks confirmed for the step now running; a destructive command on any other disk
    # is a violation ("nothing destroyed that the plan did not name").
    confirmed: set[str] = field(default_factory=set)
    violations: list[str] = field(default_factory=list)


def destructive_targets(argv: Sequence[str]) -> list[str]:
    """The device paths a command overwrites (empty for non-destructive commands)."""
    a = list(argv)
    if not a:
        return []
    devs = [x for x in a[1:] if x.startswith("/dev/")]
    if a[0] == "sfdisk" and not {"-d", "--dump", "--json", "-J", "-l", "--list"} & set(a):
        return devs
    if a[0] == "wipefs" and ("-a" in a or "--all" in a):
        return devs
    if a[0].startswith("mkfs") or a[0] in ("shred", "mkswap"):
        return devs
    if a[0] == "mdadm" and ("--create" in a or "-C" in a):
        return devs[1:]  # the first is the new array
    if a[0] == "dd":
        return [x.removeprefix("of=") for x in a if x.startswith("of=")]
    return []


def overwriting_targets(argv: Sequence[str]) -> list[str]:
    """Devices a command fills with new data (a resync, a resilver, a new pool)."""
    a = list(argv)
    devs = [x for x in a[1:] if x.startswith("/dev/")]
    if a[:1] == ["mdadm"] and "--add" in a:
        return [a[a.index("--add") + 1]]
    if a[:2] == ["zpool", "create"]:
        return devs
    if a[:2] == ["zpool", "attach"]:
        return devs[-1:]
    return []


def disk_of(inv: Inventory, path: str) -> str | None:
    """The disk a device path lives on (kernel node, by-id/by-path link); None for md."""
    for disk in inv.disks:
        if path == disk.path or path in disk.by_id or path in disk.by_path:
            return disk.name
        for part in disk.partitions:
            if path in (part.path, *part.by_id, *part.by_path):
                return disk.name
    node = path.removeprefix("/dev/")
    for disk in inv.disks:
        rest = node.removeprefix(disk.name).removeprefix("p")
        if node.startswith(disk.name) and rest.isdigit():
            return disk.name  # a partition the step is creating
    return None


def executor(world: World, host: Host, emit: Callable[[Event], None]) -> Executor:
    """A plain executor over the world's plan (every disk confirmed), for one-off runs."""
    return Executor(
        host,
        world.plan(host),
        emit=emit,
        confirm=lambda d, k: True,
        copies=world.copies,
        inventory=world.inventory,
        options=world.options,
    )


def check_command(world: World, ex: Executor, host: Host, ev: CommandStarted) -> None:
    """Record a violation when a command destroys or overwrites a disk it may not."""
    wipes = destructive_targets(ev.argv)
    fills = overwriting_targets(ev.argv)
    if not wipes and not fills:
        return
    inv = world.inventory(host)
    # Every disk any step of the plan names as destroyed (resolved on the live system).
    named = {
        disk.name
        for step in ex.plan_for(inv).steps()
        for d in step.destroys
        for disk in inv.resolve(d.identity)
    }
    for path in wipes:
        name = disk_of(inv, path)
        if name is not None and name not in world.confirmed:
            world.violations.append(f"{ev.step_id}: {ev.argv} wipes unconfirmed {name}")
    for path in fills:
        name = disk_of(inv, path)
        if name is not None and name not in named:
            world.violations.append(f"{ev.step_id}: {ev.argv} overwrites unnamed {name}")


def resume_point(base: World, kill: KillPoint) -> tuple[int, KillPoint | None]:
    """Index of the baseline snapshot to start from for this kill, and the kill relative
    to it. A kill at step boundary k is snapshot k itself (the process died there, nothing
    more to kill); a kill inside a step starts from that step's snapshot."""
    if kill.kind == "step":
        return kill.n, None
    at = 0
    for i, snap in enumerate(base.snapshots):
        if getattr(snap.counts, kill.kind) <= kill.n:
            at = i
    counts = base.snapshots[at].counts
    return at, KillPoint(kill.kind, kill.n - getattr(counts, kill.kind))


def drive(
    world: World,
    kill: KillPoint | None = None,
    *,
    start: bytes | None = None,
    max_runs: int = 8,
) -> object:
    """Run the migration (through the reboot) with at most one kill; the final state.

    `start`: a snapshot to begin from (a process killed at that boundary left it).
    With `world.stop_at` set, stop when that step starts (after the kill) and return the
    state there instead.
    """
    if start is not None:
        assert world.restore is not None
        world.restore(start)
    host = world.load()
    killed = False
    for _ in range(max_runs):
        wrapped = KillingHost(host, world, None if killed else kill)
        box: list[Executor] = []

        def emit(
            ev: Event, wrapped: KillingHost = wrapped, host: Host = host, box: list[Executor] = box
        ) -> None:
            world.events.append(ev)
            if isinstance(ev, StepStarted | StepFinished | StepSkipped):
                # Rule 1 at every boundary, counted on the live system: the executor has
                # just read it (before a step, after it), so its inventory is current.
                inv = box[0].last_inventory
                assert inv is not None
                world.boundary_copies.append((ev.step_id, world.copies(inv)))
            if isinstance(ev, StepFinished | StepSkipped | StepFailed | PlanStopped):
                world.confirmed.clear()
            if isinstance(ev, CommandStarted):
                check_command(world, box[0], host, ev)
            wrapped.on_event(ev)

        def confirm(d: Destroys, disk: Disk) -> bool:
            world.confirmed.add(disk.name)
            return True

        ex = Executor(
            wrapped,  # type: ignore[arg-type]
            world.plan(wrapped),  # type: ignore[arg-type]
            emit=emit,
            confirm=confirm,
            copies=world.copies,
            inventory=lambda h: world.inventory(h),
            options=world.options,
        )
        box.append(ex)
        try:
            result = ex.run()
        except KilledError:
            killed = True
            host = world.load()
            continue
        except ReachedError:
            return world.final(host)
        if result.outcome == "reboot":
            world.reboot(host)
            host = world.load()
            continue
        assert result.outcome == "finished", result
        return world.final(host)
    raise AssertionError("the migration did not finish")
