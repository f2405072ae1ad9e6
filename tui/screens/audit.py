"""The full audit log (or the journal) in a scrollable view."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Log, Static

MAX_LINES = 200_000


class AuditLogScreen(Screen[None]):
    """Full screen: the audit log file, read once when opened (its tail if huge)."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("l", "app.pop_screen", "Back")]

    def __init__(self, path: str | None, text: str | None) -> None:
        super().__init__(classes="audit")
        self.path = path
        self.text = text

    def compose(self) -> ComposeResult:
        """Title, log, footer."""
        yield Static(f"Audit log: {self.path or '(none)'}", classes="title")
        yield Log(id="audit", max_lines=MAX_LINES, highlight=False)
        yield Footer()

    def on_mount(self) -> None:
        """Load the text in one batch and jump to its end."""
        log = self.query_one("#audit", Log)
        if self.text is None:
            log.write_line("No audit log was written yet.")
        else:
            lines = self.text.splitlines()
            log.write_lines(lines[-MAX_LINES:])
        log.focus()
