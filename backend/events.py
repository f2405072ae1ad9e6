"""Events the executor emits while it runs a plan (consumed by the CLI and the TUI).

All frozen: the executor's thread posts them, the UI renders them. Output lines come in
batches so a command that prints a million lines does not mean a million events.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StepStarted:
    """A step began running."""

    step_id: str
    title: str
    at: float


@dataclass(frozen=True)
class CommandStarted:
    """One command of a step began (argv exactly as run; secrets never appear in argv)."""

    step_id: str
    argv: tuple[str, ...]


@dataclass(frozen=True)
class OutputLines:
    """A batch of output lines of the running command."""

    step_id: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Progress:
    """Progress of a long wait (recovery, resilver, rsync)."""

    step_id: str
    label: str
    percent: float | None
    speed: str | None = None
    eta_s: int | None = None


@dataclass(frozen=True)
class Waiting:
    """The executor waits for something outside it (a confirmation, a sync, a manual step)."""

    step_id: str
    reason: str


@dataclass(frozen=True)
class StepSkipped:
    """The live system shows the step is already done (resume) or it does not apply."""

    step_id: str
    reason: str


@dataclass(frozen=True)
class StepFinished:
    """A step completed and its done-when predicate holds."""

    step_id: str
    at: float
    copies: int


@dataclass(frozen=True)
class StepFailed:
    """A step failed: the plan stops here until retried or aborted."""

    step_id: str
    argv: tuple[str, ...] | None
    returncode: int | None
    tail: tuple[str, ...]
    message: str
    state: str  # a statement of what the system looks like now


@dataclass(frozen=True)
class PlanStopped:
    """The run ended: finished, stopped at --until, before the reboot, cancelled or failed."""

    reason: str
    next_step_id: str | None


Event = (
    StepStarted
    | CommandStarted
    | OutputLines
    | Progress
    | Waiting
    | StepSkipped
    | StepFinished
    | StepFailed
    | PlanStopped
)
