"""A scrollable, titled pane that renders one immutable snapshot as text."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll

from tui.widgets.body import Body


class Pane(VerticalScroll):
    """Base of the topology, RAID and pool panes: a border, a title, one text body.

    Subclasses turn a snapshot into markup (see `show`). State is reflected as CSS classes
    (`-degraded`, `-running`, `-ok`) so colours live in the stylesheets.
    """

    DEFAULT_CSS = """
    Pane {
        height: 1fr;
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
        padding: 0 1;
        scrollbar-size-vertical: 1;
    }
    Pane:focus-within { border: round $accent; }
    Pane > .pane-body { width: 1fr; height: auto; }
    """

    can_focus = True

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = title
        self._body = Body("…", classes="pane-body")
        self.ascii_only = False

    def compose(self) -> ComposeResult:
        """One Static holding the rendered text."""
        yield self._body

    def show(self, markup: str, *, state: str | None = None, subtitle: str = "") -> None:
        """Replace the body; `state` becomes exactly one of the -ok/-running/-degraded classes."""
        self._body.show(markup)
        for cls in ("-ok", "-running", "-degraded"):
            self.set_class(state == cls.lstrip("-"), cls)
        if self.border_subtitle != subtitle:
            self.border_subtitle = subtitle
