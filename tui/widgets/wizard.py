"""Wizard pane: phases and steps with status, and the selected step's full description."""

from __future__ import annotations

import shlex

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from backend.plan.step import Action, Command, Step
from tui.format import bar, escape, human_eta
from tui.state import StepView, WizardView
from tui.widgets.body import Body

GLYPHS = {
    "pending": ("[ ]", "$text-muted"),
    "running": ("[>]", "$warning"),
    "done": ("[x]", "$success"),
    "failed": ("[!]", "$error"),
    "skipped": ("[-]", "$text-muted"),
}


def step_prompt(sv: StepView, current: bool) -> str:
    """One line of the step list: status glyph, id, title (and percent when running)."""
    glyph, style = GLYPHS[sv.status]
    marker = "[b]>[/]" if current else " "
    pct = ""
    if sv.progress is not None and sv.progress.percent is not None and sv.status == "running":
        pct = f" [$accent]{sv.progress.percent:.0f}%[/]"
    return f"{marker}[{style}]{escape(glyph)}[/] {escape(sv.step.title)}{pct}"


def operation_lines(step: Step) -> list[str]:
    """One markup line per operation: `$ argv` (with its stdin named) or `* action`."""
    out: list[str] = []
    for op in step.operations:
        if isinstance(op, Command):
            stdin = f"  [$text-muted]< {escape(op.stdin_display or 'stdin')}[/]" if op.stdin else ""
            out.append(f"  [b]$[/] {escape(shlex.join(op.argv))}{stdin}")
        elif isinstance(op, Action):
            out.append(f"  [b]*[/] {escape(op.describe or op.name)}")
    return out


def describe_step(sv: StepView, *, ascii_only: bool = False) -> str:
    """Markup of the detail panel: why, exact commands, what it destroys, copies."""
    step = sv.step
    style = GLYPHS[sv.status][1]
    lines = [
        f"[b]{escape(step.title)}[/]  [{style}]{sv.status.upper()}[/]  "
        f"[$text-muted]{escape(step.id)}[/]",
        f"[$text-muted]why[/] {escape(step.why)}",
    ]
    if sv.note:
        lines.append(f"[$text-muted]note[/] {escape(sv.note)}")
    if step.operations:
        lines.append("[$text-muted]runs[/]")
        lines.extend(operation_lines(step))
    elif step.kind == "wait":
        lines.append("[$text-muted]runs[/] nothing: waits and shows progress")
    elif step.kind == "reboot":
        lines.append("[$text-muted]runs[/] a reboot; start md2zfs again afterwards")
    if step.manual_instructions:
        lines.append(f"[$warning]by hand[/] {escape(step.manual_instructions)}")
    if step.changes:
        lines.append(f"[$text-muted]changes[/] {escape(step.changes)}")
    for d in step.destroys:
        lines.append(
            f"[$error]DESTROYS[/] {escape(d.what)} on {escape(d.device)} "
            f"({escape(str(d.identity))})"
        )
    arrow = "->" if ascii_only else "→"
    lines.append(f"[$text-muted]copies[/] {step.copies_before} {arrow} {step.copies_after}")
    p = sv.progress
    if p is not None:
        pct = f"{p.percent:.1f}%" if p.percent is not None else ""
        lines.append(
            f"{escape(p.label)} [$accent]{bar(p.percent, 16, ascii_only=ascii_only)}[/] {pct}"
        )
        extra = [f"speed {escape(p.speed)}"] if p.speed else []
        if p.eta_s is not None:
            extra.append(f"ETA {human_eta(p.eta_s)}")
        if extra:
            lines.append("  ".join(extra))
    return "\n".join(lines)


class WizardPane(Vertical):
    """The step list (OptionList) above the selected step's description."""

    DEFAULT_CSS = """
    WizardPane { border: round $panel-lighten-2; border-title-color: $text-muted; }
    WizardPane:focus-within { border: round $accent; }
    WizardPane #headline { height: auto; padding: 0 1; }
    WizardPane #steps { height: 1fr; border: none; padding: 0; }
    WizardPane #detail-scroll { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    WizardPane #detail { height: auto; }
    """

    def __init__(self, *, id: str | None = "wizard") -> None:
        super().__init__(id=id)
        self.border_title = "Wizard"
        self.ascii_only = False
        self._view = WizardView()
        self._prompts: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        """Headline, step list, detail."""
        yield Body("", id="headline")
        yield OptionList(id="steps")
        with VerticalScroll(id="detail-scroll"):
            yield Body("", id="detail")

    @property
    def view(self) -> WizardView:
        """The snapshot on screen."""
        return self._view

    def show_view(self, view: WizardView) -> None:
        """Render a new snapshot; rebuild the list only when the plan changed."""
        old = self._view
        self._view = view
        self.query_one("#headline", Body).show(view.headline)
        steps = self.query_one("#steps", OptionList)
        if view.plan is not old.plan or not self._prompts:
            self._rebuild(steps, view)
        else:
            for sv in view.steps:
                prompt = step_prompt(sv, sv.step.id == view.current)
                if self._prompts.get(sv.step.id) != prompt:
                    self._prompts[sv.step.id] = prompt
                    steps.replace_option_prompt(sv.step.id, prompt)
            if view.current != old.current and view.current is not None:
                steps.highlighted = steps.get_option_index(view.current)
        self._show_detail()

    def _rebuild(self, steps: OptionList, view: WizardView) -> None:
        steps.clear_options()
        self._prompts.clear()
        if view.plan is None:
            return
        options: list[Option] = []
        for phase in view.plan.phases:
            options.append(
                Option(f"[b]Phase {phase.number}[/] {escape(phase.title)}", disabled=True)
            )
            for step in phase.steps:
                sv = view.view(step.id)
                if sv is None:
                    continue
                prompt = step_prompt(sv, step.id == view.current)
                self._prompts[step.id] = prompt
                options.append(Option(prompt, id=step.id))
        steps.add_options(options)
        if view.current is not None:
            steps.highlighted = steps.get_option_index(view.current)

    def selected_id(self) -> str | None:
        """The id of the highlighted step."""
        steps = self.query_one("#steps", OptionList)
        if steps.highlighted is None:
            return None
        return steps.get_option_at_index(steps.highlighted).id

    def _show_detail(self) -> None:
        sel = self.selected_id() or self._view.current
        sv = self._view.view(sel) if sel else None
        detail = self.query_one("#detail", Body)
        if sv is None:
            detail.show("[$text-muted]No plan yet.[/]" if self._view.plan is None else "")
        else:
            detail.show(describe_step(sv, ascii_only=self.ascii_only))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """Show the highlighted step's description."""
        event.stop()
        self._show_detail()
