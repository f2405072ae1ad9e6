"""Immutable views of the wizard's state, handed to the panes (which never mutate them)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from backend.events import Progress
from backend.plan.step import Plan, Step, StepStatus


@dataclass(frozen=True)
class StepView:
    """One step as the wizard shows it."""

    step: Step
    status: StepStatus = "pending"
    note: str = ""  # why it was skipped, or the failure message
    progress: Progress | None = None


@dataclass(frozen=True)
class WizardView:
    """Everything the wizard pane and the copies meter render."""

    plan: Plan | None = None
    steps: tuple[StepView, ...] = ()
    current: str | None = None  # the step Enter will run
    copies_now: int | None = None
    headline: str = "Reading the system…"
    running: bool = False
    finished: bool = False

    def view(self, step_id: str) -> StepView | None:
        """The view of one step."""
        for sv in self.steps:
            if sv.step.id == step_id:
                return sv
        return None

    @property
    def current_step(self) -> Step | None:
        """The step Enter will run, if any."""
        sv = self.view(self.current) if self.current else None
        return sv.step if sv else None

    @property
    def copies_after(self) -> int | None:
        """Copies once the current step has run."""
        step = self.current_step
        return step.copies_after if step else None


@dataclass
class WizardModel:
    """The mutable state behind `WizardView` (lives on the UI thread only)."""

    plan: Plan | None = None
    statuses: dict[str, StepStatus] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    progress: dict[str, Progress] = field(default_factory=dict)
    current: str | None = None
    copies_now: int | None = None
    headline: str = "Reading the system…"
    running: bool = False

    def set_plan(self, plan: Plan, done: dict[str, str] | None = None) -> None:
        """Adopt a plan; `done` maps ids of steps the live system shows done to a reason."""
        self.plan = plan
        self.statuses = {s.id: "pending" for s in plan.steps()}
        self.notes.clear()
        self.progress.clear()
        for step_id, reason in (done or {}).items():
            self.statuses[step_id] = "skipped"
            self.notes[step_id] = reason
        self.current = self.next_pending()

    def next_pending(self) -> str | None:
        """The first step that is neither done nor skipped."""
        if self.plan is None:
            return None
        for s in self.plan.steps():
            if self.statuses.get(s.id) not in ("done", "skipped"):
                return s.id
        return None

    def mark(self, step_id: str, status: StepStatus, note: str = "") -> None:
        """Set a step's status (and advance `current` past finished steps)."""
        self.statuses[step_id] = status
        if note:
            self.notes[step_id] = note
        if status in ("done", "skipped"):
            self.progress.pop(step_id, None)
            self.current = self.next_pending()
        elif status in ("running", "failed"):
            self.current = step_id

    def snapshot(self) -> WizardView:
        """A frozen view for the widgets."""
        steps: tuple[StepView, ...] = ()
        if self.plan is not None:
            steps = tuple(
                StepView(
                    s,
                    self.statuses.get(s.id, "pending"),
                    self.notes.get(s.id, ""),
                    self.progress.get(s.id),
                )
                for s in self.plan.steps()
            )
        finished = self.plan is not None and self.current is None
        return WizardView(
            plan=self.plan,
            steps=steps,
            current=self.current,
            copies_now=self.copies_now,
            headline=self.headline,
            running=self.running,
            finished=finished,
        )


def with_headline(view: WizardView, headline: str) -> WizardView:
    """A copy of a view with another headline."""
    return replace(view, headline=headline)
