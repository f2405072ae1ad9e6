"""A failed step: command, exit code, output tail and current state; retry, shell or quit."""

from __future__ import annotations

import shlex

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from backend.events import StepFailed
from tui.format import escape


class FailureScreen(ModalScreen[str]):
    """Modal: dismisses with "retry", "shell", "quit" or "back"."""

    BINDINGS = [
        Binding("r", "choose('retry')", "Retry"),
        Binding("s", "choose('shell')", "Shell"),
        Binding("q", "choose('quit')", "Quit"),
        Binding("escape", "choose('back')", "Back"),
    ]

    def __init__(self, failed: StepFailed, now: str = "") -> None:
        super().__init__(classes="failure")
        self.failed = failed
        self.now = now

    def compose(self) -> ComposeResult:
        """What failed and what the system looks like now."""
        f = self.failed
        cmd = shlex.join(f.argv) if f.argv else "(no command)"
        code = "-" if f.returncode is None else str(f.returncode)
        with Vertical(classes="dialog -danger"):
            yield Static(f"[$error]FAILED[/] step {escape(f.step_id)}", classes="title")
            with VerticalScroll(classes="card"):
                yield Static(
                    f"[b]{escape(f.message)}[/]\n"
                    f"command   {escape(cmd)}\n"
                    f"exit code [$error]{code}[/]",
                    id="what",
                )
                yield Static(escape("\n".join(f.tail[-10:]) or "(no output)"), classes="tail")
                state = f.state + (f"\n{self.now}" if self.now else "")
                yield Static(f"[b]system now[/] {escape(state)}", id="state")
            yield Static("The plan stopped here; nothing after this step ran.", classes="hint")
            with Horizontal(classes="buttons"):
                yield Button("Retry (r)", id="retry", variant="primary", compact=True)
                yield Button("Shell (s)", id="shell", compact=True)
                yield Button("Quit (q)", id="quit", variant="error", compact=True)
                yield Button("Back (Esc)", id="back", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Dismiss with the button's id."""
        self.dismiss(event.button.id or "back")

    def action_choose(self, what: str) -> None:
        """Key shortcut for a button."""
        self.dismiss(what)
