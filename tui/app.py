"""The md2zfs Textual application: wires the injected backend to the screens.

Threads never touch widgets: the poller and the executor post messages (`SystemSnapshot`,
`EngineWake`) and every widget update happens here, on the UI thread, from immutable
snapshots. The host, the clock, the backend services and the shell are all injected so
tests run the real app deterministically.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable

from textual.app import App, SuspendNotSupported
from textual.binding import Binding
from textual.timer import Timer

from backend.events import (
    CommandStarted,
    OutputLines,
    PlanStopped,
    Progress,
    StepFailed,
    StepFinished,
    StepSkipped,
    StepStarted,
    Waiting,
)
from backend.model import Disk, Inventory
from backend.plan.step import Destroys
from tui.bridge import EventBridge, LineBatch, Queued
from tui.choices import Choices
from tui.flow import Flow
from tui.format import escape
from tui.messages import (
    ConfirmRequest,
    DevicesChanged,
    EngineWake,
    Snapshot,
    SystemSnapshot,
)
from tui.poller import Poller
from tui.screens.confirm import ConfirmDiskScreen
from tui.screens.failure import FailureScreen
from tui.screens.main import MainScreen
from tui.services import Services, StepRunner
from tui.state import WizardModel, WizardView
from tui.themes import LOOKS, Look, console_key_display, load_css, use_ascii_scrollbars
from tui.widgets.body import Body


def _run_shell() -> int:
    """Run the operator's $SHELL in the real terminal (the app is suspended)."""
    shell = os.environ.get("SHELL") or "/bin/sh"
    print("md2zfs is paused. Type 'exit' to return to the wizard.", flush=True)
    return subprocess.call([shell])


DRAIN_EVERY_S = 0.05  # executor events reach the screen at most 20 times a second
SCREEN_BATCH = 500  # at most ~2x this many new lines reach the screen per drain


class Md2zfsApp(App[int]):
    """The wizard."""

    CSS = load_css()
    TITLE = "md2zfs"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-normal"), (46, "-tall")]
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        services: Services,
        *,
        look: Look = LOOKS["dark"],
        clock: Callable[[], float] = time.time,
        auto_poll: bool = True,
        threaded: bool = True,
        shell: Callable[[], int] = _run_shell,
    ) -> None:
        super().__init__(ansi_color=True if look.console else None)
        self.services = services
        self.look = look
        self.clock = clock
        self.auto_poll = auto_poll
        self.shell = shell
        self.model = WizardModel()
        self.inventory: Inventory | None = None
        self.choices: Choices | None = None
        self.accepted = False
        self.runner: StepRunner | None = None
        self.bridge = EventBridge(self.post_message, keep_lines=SCREEN_BATCH)
        self._poll_timer: Timer | None = None
        self._drain_timer: Timer | None = None
        self._last_drain = 0.0
        self._last_view: WizardView | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.first_paint_at: float | None = None
        self.flow = Flow(self)
        start: Callable[[Callable[[], None]], object] | None = None if threaded else _inline
        self.poller = Poller(
            services.inventory,
            services.io_counters,
            services.host.clock,
            self.post_message,
            start_thread=start,
        )

    # -- start and stop ------------------------------------------------------------------

    async def on_mount(self) -> None:
        """Apply the look, show the main screen, start reading the system."""
        self.theme = self.look.theme
        self.set_class(self.look.console, "-console")
        if self.look.console:
            use_ascii_scrollbars()
        main = MainScreen(self.services.host.description)
        await self.push_screen(main)
        main.set_ascii(self.look.console)
        self.render_wizard()
        self._unsubscribe = self.services.subscribe(self._hotplug)
        self.poller.poll()

    def get_key_display(self, binding: Binding) -> str:
        """Footer key names: ASCII on the Linux console."""
        if self.look.console:
            return console_key_display(binding.key)
        return super().get_key_display(binding)

    # -- key actions (bindings name them "app.…") ----------------------------------------

    def action_run_current(self) -> None:
        """Enter: run the current step (or choose roles / review the plan first)."""
        self.flow.run_current()

    def action_review(self) -> None:
        """Show the whole plan."""
        self.flow.review(read_only=True)

    def action_audit_log(self) -> None:
        """Open the full audit log."""
        self.flow.audit_log()

    def action_run_phase(self) -> None:
        """Run the rest of the current phase (confirmations still stop for the operator)."""
        self.flow.run_current(whole_phase=True)

    def action_quit_wizard(self) -> None:
        """Quit (a running step is asked to stop; the live system tells where to resume)."""
        self.exit(0)

    def action_shell(self) -> None:
        """Suspend, run $SHELL, come back and re-read the system."""
        try:
            with self.suspend():
                self.shell()
        except SuspendNotSupported:
            self.notify("This terminal cannot be suspended: open a shell elsewhere.")
        self.refresh_system()
        self.notify("Re-reading the system after the shell…", timeout=3)

    def on_unmount(self) -> None:
        """Stop listening and ask a running step to stop."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self.runner is not None and self.runner.busy:
            self.runner.cancel()

    def _hotplug(self) -> None:
        """Any thread: a disk came or went."""
        self.post_message(DevicesChanged())

    def on_devices_changed(self, _: DevicesChanged) -> None:
        """Re-read the system now (the poller queues it if a read is running)."""
        self.refresh_system()

    @property
    def main(self) -> MainScreen:
        """The main screen (always at the bottom of the stack)."""
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("main screen not mounted")

    # -- polling -------------------------------------------------------------------------

    def refresh_system(self) -> None:
        """Read the system now (never overlapping a read in flight)."""
        if self._poll_timer is not None:
            self._poll_timer.stop()
            self._poll_timer = None
        self.poller.poll()

    def action_refresh_system(self) -> None:
        """Key: re-read the system."""
        self.refresh_system()
        self.notify("Re-reading the system…", timeout=2)

    def on_system_snapshot(self, message: SystemSnapshot) -> None:
        """Render a snapshot, then re-arm the poll timer (never earlier)."""
        if not self.is_running or not any(isinstance(s, MainScreen) for s in self.screen_stack):
            return  # starting up or shutting down
        self.show_snapshot(message.snapshot)
        delay = self.poller.done(message.snapshot.inventory)
        if delay is None:
            self.poller.poll()
        elif self.auto_poll:
            self._poll_timer = self.set_timer(delay, self.poller.poll, name="poll")

    def show_snapshot(self, snap: Snapshot) -> None:
        """Render the panes from a snapshot and let the flow react to it."""
        inv = snap.inventory
        if inv is None:
            self.main.query_one("#status", Body).show(
                f"[$error]read failed:[/] {escape(snap.error or '')}"
            )
            return
        first = self.inventory is None
        self.inventory = inv
        if first:
            self.flow.first_inventory(inv)
        else:
            self.flow.snapshot_taken(inv)
        badges = self.choices.badges() if self.choices else {}
        stamp = time.strftime("%H:%M", time.gmtime(self.clock()))
        self.model.copies_now = self.services.copies(inv, self.choices)
        self.main.show_system(inv, badges, snap.io_rates, f"read {stamp} UTC")
        self.render_wizard()
        if self.first_paint_at is None:
            self.first_paint_at = time.perf_counter()

    def render_wizard(self) -> None:
        """Push the wizard model's snapshot to the screen (when it changed)."""
        view = self.model.snapshot()
        if view != self._last_view:
            self._last_view = view
            self.main.show_wizard(view)

    # -- executor events -----------------------------------------------------------------

    def _ensure_runner(self) -> StepRunner | None:
        if self.model.plan is None:
            return None
        if self.runner is None:
            self.runner = self.services.runner(
                self.model.plan, self.bridge.emit, self.confirm_from_worker
            )
        return self.runner

    def start_step(self, step_id: str) -> None:
        """Run one step in the runner's thread."""
        runner = self._ensure_runner()
        if runner is None:
            return
        self.model.running = True
        self.model.mark(step_id, "running")
        self.render_wizard()
        runner.start(step_id)

    def start_phase(self, phase: int) -> None:
        """Run every remaining step of a phase, stopping at confirmations and failures."""
        runner = self._ensure_runner()
        if runner is None:
            return
        self.model.running = True
        self.render_wizard()
        runner.start_phase(phase)

    def confirm_from_worker(self, destroys: Destroys, disk: Disk) -> bool:
        """The runner's thread asks for a disk confirmation and waits for the operator."""
        request = ConfirmRequest(destroys, disk)
        if not self.is_running or not self.post_message(request):
            return False
        while not request.done.wait(0.5):
            if not self.is_running:
                return False
        return request.answer

    def on_confirm_request(self, request: ConfirmRequest) -> None:
        """Show the identity card; the answer wakes the runner's thread."""
        step = None
        if self.model.plan is not None and self.model.current is not None:
            step = self.model.plan.step(self.model.current)
        screen = ConfirmDiskScreen(self.inventory, step, request.destroys, request.disk)
        self.push_screen(screen, lambda ok: request.reply(bool(ok)))

    def on_engine_wake(self, _: EngineWake) -> None:
        """Drain the bridge now, or at most DRAIN_EVERY_S after the last drain.

        A command printing as fast as it can would otherwise make the UI re-render the
        log a hundred times a second and starve the executor's thread of the GIL.
        """
        wait = self._last_drain + DRAIN_EVERY_S - time.monotonic()
        if wait <= 0:
            self.drain_events()
        elif self._drain_timer is None:
            self._drain_timer = self.set_timer(wait, self.drain_events, name="drain")

    def drain_events(self) -> None:
        """Apply every queued executor event, then render once."""
        self._drain_timer = None
        self._last_drain = time.monotonic()
        queued = self.bridge.drain()
        if not self.is_running or not self.screen_stack:
            return  # shutting down: the journal has everything
        refresh = False
        for item in queued:
            refresh |= self.handle_event(item)
        self.render_wizard()
        if refresh:
            self.refresh_system()

    def handle_event(self, item: Queued) -> bool:
        """Apply one queued event; True when the system should be re-read."""
        main_log = self.main.log_widget
        if isinstance(item, LineBatch):
            skipped = item.count - len(item.lines)
            if skipped > 0:
                note = f"… {skipped:,} lines not shown here (all are in the audit log: l)"
                main_log.ingest([note])
                main_log.received += skipped - 1
            main_log.ingest(item.lines)
        elif isinstance(item, OutputLines):
            main_log.ingest(item.lines)
        elif isinstance(item, StepStarted):
            self.model.mark(item.step_id, "running")
            main_log.ingest([f"== {item.title} [{item.step_id}]"])
        elif isinstance(item, CommandStarted):
            main_log.ingest(["$ " + " ".join(item.argv)])
        elif isinstance(item, Progress):
            self.model.progress[item.step_id] = item
        elif isinstance(item, Waiting):
            self.model.headline = f"Waiting: {item.reason}"
        elif isinstance(item, StepSkipped):
            self.model.mark(item.step_id, "skipped", item.reason)
            main_log.ingest([f"-- skipped {item.step_id}: {item.reason}"])
        elif isinstance(item, StepFinished):
            self.model.mark(item.step_id, "done")
            self.model.copies_now = item.copies
            self.flow.step_finished(item.step_id)
            return True
        elif isinstance(item, StepFailed):
            self.model.running = False
            self.model.mark(item.step_id, "failed", item.message)
            self.model.headline = (
                f"[$error]FAILED[/] {escape(item.step_id)}: {escape(item.message)} "
                "(Enter retries it)"
            )
            main_log.ingest([f"!! {item.step_id} failed: {item.message}"])
            self.push_screen(
                FailureScreen(item, self.flow.state_summary()), self.flow.failure_choice
            )
            return True
        elif isinstance(item, PlanStopped):
            self.model.running = False
            self.flow.plan_stopped(item)
            return True
        return False


def _inline(fn: Callable[[], None]) -> object:
    """Run 'in a thread' synchronously (tests)."""
    fn()
    return None
