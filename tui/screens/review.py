"""Plan review: every phase and step with its exact commands, before phase 1 starts."""

from __future__ import annotations

import shlex

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from backend.plan.step import Action, Command, Plan
from tui.choices import Choices
from tui.format import escape


def render_plan(plan: Plan, choices: Choices | None, *, ascii_only: bool = False) -> str:
    """Markup of the whole plan."""
    arrow = "->" if ascii_only else "→"
    out: list[str] = []
    if choices is not None:
        enc = "encrypted (passphrase)" if choices.encrypt else "not encrypted"
        out.append(
            f"R={escape(choices.array)}  A={escape(choices.disk_a)}  B={escape(choices.disk_b)}  "
            f"C={escape(choices.disk_c)}  pool [b]{escape(choices.pool)}[/] {enc}  "
            f"/boot {choices.boot_mib} MiB"
        )
        out.append("datasets " + escape(", ".join(choices.datasets)))
        out.append("")
    for phase in plan.phases:
        out.append(f"[b $accent]Phase {phase.number}: {escape(phase.title)}[/]")
        for step in phase.steps:
            mark = " [$error]DESTRUCTIVE[/]" if step.destructive else ""
            out.append(
                f"  [b]{escape(step.id)}[/] {escape(step.title)}  "
                f"[$text-muted]copies {step.copies_before} {arrow} {step.copies_after}[/]{mark}"
            )
            for op in step.operations:
                if isinstance(op, Command):
                    stdin = f" < {escape(op.stdin_display or 'stdin')}" if op.stdin else ""
                    out.append(f"      $ {escape(shlex.join(op.argv))}{stdin}")
                elif isinstance(op, Action):
                    out.append(f"      * {escape(op.describe or op.name)}")
            for d in step.destroys:
                out.append(
                    f"      [$error]destroys[/] {escape(d.what)} ({escape(str(d.identity))})"
                )
        out.append("")
    return "\n".join(out)


class PlanReviewScreen(Screen[bool]):
    """Full screen: the whole plan. Accept (a) starts the migration; Escape goes back."""

    def __init__(
        self, plan: Plan, choices: Choices | None, *, read_only: bool, ascii_only: bool = False
    ) -> None:
        super().__init__(classes="review")
        self.plan = plan
        self.choices = choices
        self.read_only = read_only
        self.ascii_only = ascii_only

    @property
    def active_bindings_hint(self) -> str:
        """Title-line hint."""
        return "Esc: back" if self.read_only else "a: accept and start   Esc: back"

    BINDINGS = [
        Binding("a", "accept", "Accept and start"),
        Binding("escape", "back", "Back"),
    ]

    def compose(self) -> ComposeResult:
        """Title, the plan, footer."""
        n = len(self.plan.steps())
        yield Static(
            f"Plan review: {len(self.plan.phases)} phases, {n} steps   [$text-muted]"
            f"{self.active_bindings_hint}[/]",
            classes="title",
        )
        with VerticalScroll(id="review"):
            yield Static(render_plan(self.plan, self.choices, ascii_only=self.ascii_only))
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No accepting in read-only mode."""
        return not (action == "accept" and self.read_only)

    def action_accept(self) -> None:
        """Accept the plan."""
        self.dismiss(True)

    def action_back(self) -> None:
        """Back without accepting."""
        self.dismiss(False)
