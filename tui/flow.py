"""The wizard's flow: roles form -> plan review -> steps, confirmations, failures, resume.

A plain object owned by the app; it decides which screen comes next and keeps the
`WizardModel` up to date. All of it runs on the UI thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from backend.events import PlanStopped
from backend.model import Inventory
from tui.choices import Choices, validate
from tui.format import escape
from tui.screens.audit import AuditLogScreen
from tui.screens.choices import ChoicesScreen
from tui.screens.resume import ResumeScreen
from tui.screens.review import PlanReviewScreen

if TYPE_CHECKING:
    from tui.app import Md2zfsApp


class Flow:
    """Decides what Enter does and what follows each answer."""

    def __init__(self, app: Md2zfsApp) -> None:
        self.app = app
        self.recheck = False

    # -- start and resume -----------------------------------------------------------------

    def first_inventory(self, inv: Inventory) -> None:
        """Set up from the first snapshot: resume a migration under way, or propose one."""
        app = self.app
        services = app.services
        resumed = services.resume(inv)
        choices = resumed or services.propose(inv)
        app.choices = choices
        try:
            plan = services.build_plan(inv, choices)
        except Exception as exc:  # the planner refuses: say why, keep the panes live
            app.model.headline = (
                f"[$error]No plan:[/] {escape(str(exc))}. Press Enter to choose roles."
            )
            return
        if resumed is None:
            app.model.set_plan(plan)
            app.model.headline = "Press Enter to check the roles and review the plan."
            return
        done = services.done_steps(inv, plan)
        app.model.set_plan(plan, done)
        app.accepted = True
        nxt = app.model.current
        step = plan.step(nxt) if nxt else None
        app.model.headline = (
            f"Resumed: next is [b]{escape(step.title)}[/] (Enter runs it)." if step else "Finished."
        )
        found = [f"{plan.step(i).title}: {why}" for i, why in done.items()]
        app.push_screen(ResumeScreen(found, step.title if step else "nothing: all done"))

    # -- Enter ------------------------------------------------------------------------------

    def run_current(self, *, whole_phase: bool = False) -> None:
        """Choose roles first; then run the current step (or the rest of its phase).

        Destructive steps ask for each disk from the runner's thread, right after the
        executor re-resolved and re-checked it (see `Md2zfsApp.confirm_from_worker`).
        """
        app = self.app
        if app.inventory is None:
            app.notify("Still reading the system…")
            return
        if not app.accepted:
            self.choose()
            return
        if app.services.host.read_only:
            app.notify(
                f"{app.services.host.description} is read-only here (a replay, or not root): "
                "the plan can be reviewed but not run.",
                severity="warning",
            )
            return
        if app.runner is not None and app.runner.busy:
            app.notify("A step is running; it goes on while you look around.")
            return
        step = app.model.snapshot().current_step
        if step is None:
            app.notify("The migration is finished.")
            return
        if whole_phase:
            app.start_phase(step.phase)
        else:
            app.start_step(step.id)

    def choose(self) -> None:
        """Open the roles form prefilled with the proposal."""
        app = self.app
        assert app.inventory is not None
        proposal = app.choices or app.services.propose(app.inventory)

        def check(inv: Inventory, c: Choices) -> dict[str, str]:
            errors = validate(inv, c)
            if not errors:
                errors = app.services.check(inv, c)
            return errors

        app.push_screen(ChoicesScreen(app.inventory, proposal, check), self.chosen)

    def chosen(self, choices: Choices | None) -> None:
        """Form done: build the plan and show it for review."""
        app = self.app
        if choices is None or app.inventory is None:
            return
        app.choices = choices
        try:
            plan = app.services.build_plan(app.inventory, choices)
        except Exception as exc:
            app.notify(f"No plan: {exc}", severity="error")
            return
        app.model.set_plan(plan, app.services.done_steps(app.inventory, plan))
        app.runner = None
        app.render_wizard()
        self.review(read_only=False)

    def review(self, *, read_only: bool) -> None:
        """Show the whole plan (accepting it starts the migration)."""
        app = self.app
        if app.model.plan is None:
            app.notify("No plan yet.")
            return
        screen = PlanReviewScreen(
            app.model.plan, app.choices, read_only=read_only, ascii_only=app.look.console
        )
        app.push_screen(screen, None if read_only else self.reviewed)

    def reviewed(self, accepted: bool | None) -> None:
        """Plan accepted: Enter now runs steps."""
        app = self.app
        if not accepted:
            app.model.headline = "Plan not accepted. Press Enter to change the roles."
        else:
            app.accepted = True
            if app.choices is not None:
                app.services.accept(app.choices)
            app.model.headline = "Plan accepted. Enter runs the current step."
        app.render_wizard()

    def step_finished(self, step_id: str) -> None:
        """A step finished: point at the next one."""
        app = self.app
        app.model.running = False
        nxt = app.model.current
        if nxt is None:
            app.model.headline = "[$success]Migration finished.[/] Two copies, on ZFS."
        else:
            title = app.model.plan.step(nxt).title if app.model.plan else nxt
            app.model.headline = f"Done. Next: [b]{escape(title)}[/] (Enter runs it)."

    def plan_stopped(self, stopped: PlanStopped) -> None:
        """The runner ended a run. After a normal end the step's own event said it all;
        otherwise (declined, cancelled, reboot, manual) the reason becomes the headline.
        Either way the next snapshot re-checks which steps the live system shows done."""
        model = self.app.model
        interrupted = [i for i, st in model.statuses.items() if st == "running"]
        for step_id in interrupted:
            model.statuses[step_id] = "pending"
        if interrupted:
            model.headline = f"Stopped: {escape(stopped.reason)}"
        self.recheck = True

    def snapshot_taken(self, inv: Inventory) -> None:
        """After a run stopped: steps the live system shows done are marked so."""
        app = self.app
        if not self.recheck or app.model.plan is None or app.model.running:
            return
        self.recheck = False
        done = app.services.done_steps(inv, app.model.plan)
        for step_id, why in done.items():
            if app.model.statuses.get(step_id) == "pending":
                app.model.mark(step_id, "skipped", why)
        if app.model.current is None:
            app.model.headline = "[$success]Migration finished.[/] Two copies, on ZFS."

    def failure_choice(self, choice: str | None) -> None:
        """The operator's answer on the failure screen."""
        app = self.app
        step_id = app.model.current
        if choice == "retry" and step_id:
            app.model.notes.pop(step_id, None)
            app.model.headline = f"Retrying {escape(step_id)}…"
            app.start_step(step_id)
        elif choice == "quit":
            app.exit(1)
            return
        else:
            app.model.headline = (
                f"[$error]FAILED[/] {escape(step_id or '')}: Enter retries it, "
                "s opens a shell, l shows the audit log."
            )
            if choice == "shell":
                app.action_shell()
        app.render_wizard()

    def state_summary(self) -> str:
        """One paragraph on the live system, for the failure screen."""
        inv = self.app.inventory
        if inv is None:
            return ""
        parts = []
        for a in inv.arrays:
            sync = f", {a.sync.action} {a.sync.percent or 0:.0f}%" if a.sync else ""
            parts.append(f"{a.name} {a.slots or ''} {'degraded' if a.degraded else 'clean'}{sync}")
        for p in inv.pools:
            parts.append(f"pool {p.name} {p.state}")
        copies = self.app.model.copies_now
        parts.append(f"copies now: {copies if copies is not None else '?'}")
        return "; ".join(parts)

    def audit_log(self) -> None:
        """Open the audit log file."""
        app = self.app
        path = app.services.audit_log_path
        text: str | None = None
        if path:
            try:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    text = fh.read()
            except OSError:
                text = None
        app.push_screen(AuditLogScreen(path, text))
