"""A Static that repaints only when its text changed, and re-lays out only when needed.

Panes are re-rendered on every poll; most polls change a percentage or nothing at all.
Re-running the screen's layout for each would cost several milliseconds a second while
idle, so `show()` skips identical text and asks for a layout only when the number of
screen rows the text needs changed.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


def rows_needed(plain: str, width: int) -> int:
    """Screen rows a text needs at a width when every line wraps on its own."""
    width = max(1, width)
    return sum(max(1, -(-len(line) // width)) for line in plain.split("\n"))


class Body(Static):
    """Static text with a change check (see module docstring)."""

    def __init__(self, markup: str = "", *, id: str | None = None, classes: str = "") -> None:
        super().__init__(id=id, classes=classes)
        self._markup: str | None = None
        self._rows = -1
        self._width = -1
        self.show(markup)

    def show(self, markup: str) -> None:
        """Show markup; no-op when it is what is shown already."""
        if markup == self._markup:
            return
        self._markup = markup
        content = Content.from_markup(markup)
        width = self.content_size.width or 1
        rows = rows_needed(content.plain, width)
        layout = rows != self._rows or width != self._width
        self._rows, self._width = rows, width
        self.update(content, layout=layout)

    def on_resize(self) -> None:
        """A new width may wrap differently: lay out on the next change."""
        self._width = -1

    @property
    def markup(self) -> str:
        """The markup shown."""
        return self._markup or ""
