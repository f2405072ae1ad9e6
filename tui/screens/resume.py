"""Shown when md2zfs starts on a machine mid-migration: what it found, where it goes on."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui.format import escape


class ResumeScreen(ModalScreen[None]):
    """Modal summary of the live system's progress; Enter or Escape continues."""

    BINDINGS = [Binding("escape", "close", "Continue"), Binding("enter", "close", "Continue")]

    def __init__(self, found: list[str], next_step: str) -> None:
        super().__init__(classes="resume")
        self.found = found
        self.next_step = next_step

    def compose(self) -> ComposeResult:
        """The summary and one button."""
        with Vertical(classes="dialog"):
            yield Static("A migration is already under way here", classes="title")
            with VerticalScroll(classes="card"):
                body = "\n".join(f"[$success]done[/] {escape(line)}" for line in self.found)
                yield Static(body or "nothing done yet", id="found")
            yield Static(
                f"Read from the live system (the journal is only the audit trail).\n"
                f"Next: [b]{escape(self.next_step)}[/]",
                classes="hint",
            )
            with Horizontal(classes="buttons"):
                yield Button("Continue (Enter)", id="continue", variant="primary", compact=True)

    def on_button_pressed(self, _: Button.Pressed) -> None:
        """Close."""
        self.dismiss(None)

    def action_close(self) -> None:
        """Close."""
        self.dismiss(None)
