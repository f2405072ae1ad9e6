"""A step of the migration, as data.

A step never holds a shell string: commands are argv tuples, and anything that is not a
plain command (transform an `sfdisk -d` dump and feed it back, write a NixOS module) is an
`Action` naming an in-code operation with its inputs, so tests assert on data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from backend.model import DiskIdentity, Inventory

StepKind = Literal["command", "check", "wait", "manual", "reboot"]
StepStatus = Literal["pending", "running", "done", "failed", "skipped"]


@dataclass(frozen=True)
class Command:
    """One process to run: argv, optional text on stdin (never a secret in argv)."""

    argv: tuple[str, ...]
    stdin: str | None = None
    # Shown instead of stdin in logs and on screen (e.g. "<passphrase>" or the sfdisk script).
    stdin_display: str | None = None
    # Exit codes that count as success besides 0.
    ok_codes: tuple[int, ...] = (0,)


@dataclass(frozen=True)
class Action:
    """An in-code operation (e.g. write a file, transform a dump): named, with its inputs."""

    name: str
    params: tuple[tuple[str, str], ...] = ()
    describe: str = ""  # what it does, in one line, for the plan view


Operation = Command | Action
Predicate = Callable[[Inventory], bool]


@dataclass(frozen=True)
class Destroys:
    """What a destructive step wipes, on which disk (named by stable identity)."""

    identity: DiskIdentity
    device: str  # resolved node at plan time, "/dev/sdc"
    what: str  # "the whole partition table of DC", "partition 3 (old md0 member)"


@dataclass(frozen=True)
class Step:
    """One step of the plan."""

    id: str  # stable, e.g. "1.2-grow-add-c"
    phase: int
    title: str
    why: str
    kind: StepKind = "command"
    operations: tuple[Operation, ...] = ()
    destroys: tuple[Destroys, ...] = ()
    changes: str = ""  # what it changes, in words
    copies_before: int = 2
    copies_after: int = 2
    done_when: Predicate | None = field(default=None, compare=False, repr=False)
    precondition: Predicate | None = field(default=None, compare=False, repr=False)
    wait_until: Predicate | None = field(default=None, compare=False, repr=False)
    manual_instructions: str = ""

    @property
    def destructive(self) -> bool:
        """True when the step destroys data on a named disk."""
        return bool(self.destroys)

    def argvs(self) -> tuple[tuple[str, ...], ...]:
        """The argv of every command of the step, in order."""
        return tuple(op.argv for op in self.operations if isinstance(op, Command))


@dataclass(frozen=True)
class Phase:
    """A numbered group of steps (DESIGN.md §1)."""

    number: int
    title: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Plan:
    """The whole migration for one machine."""

    phases: tuple[Phase, ...]

    def steps(self) -> tuple[Step, ...]:
        """All steps in order."""
        return tuple(s for p in self.phases for s in p.steps)

    def step(self, step_id: str) -> Step:
        """The step with this id (KeyError when absent)."""
        for s in self.steps():
            if s.id == step_id:
                return s
        raise KeyError(step_id)
