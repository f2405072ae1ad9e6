"""The live log: the running command's output, bounded on screen, written in batches."""

from __future__ import annotations

from collections.abc import Sequence

from textual.widgets import Log

SCREEN_LINES = 2000


class LiveLog(Log):
    """A Log that keeps only a tail and accepts whole batches (never one line at a time).

    Only the last `max_lines` lines of a batch can ever be seen, so the rest is dropped
    before it reaches the widget: the journal on disk keeps the full output.
    """

    DEFAULT_CSS = """
    LiveLog { border: round $panel-lighten-2; border-title-color: $text-muted; }
    LiveLog:focus { border: round $accent; }
    """

    def __init__(self, *, id: str | None = "log", max_lines: int = SCREEN_LINES) -> None:
        super().__init__(id=id, max_lines=max_lines, highlight=False)
        self.border_title = "Log"
        self.received = 0

    def ingest(self, lines: Sequence[str]) -> None:
        """Write a batch of lines (only the visible tail is kept)."""
        self.received += len(lines)
        limit = self.max_lines or SCREEN_LINES
        if len(lines) > limit:
            lines = lines[-limit:]
        self.write_lines(lines)
        self.border_subtitle = f"{self.received} lines"
