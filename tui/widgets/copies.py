"""The copies meter: complete copies of the data now, and after the next step."""

from __future__ import annotations

from tui.widgets.body import Body


class CopiesMeter(Body):
    """'copies 2 now -> 3 after next step', with -low / -gain / -loss classes."""

    DEFAULT_CSS = """
    CopiesMeter { width: auto; height: 1; padding: 0 1; text-style: bold; }
    """

    def __init__(self, *, id: str | None = "copies") -> None:
        super().__init__("copies ?", id=id)
        self.ascii_only = False

    def show_copies(self, now: int | None, after: int | None) -> None:
        """Render both numbers; classes carry the colour (low is below two)."""
        arrow = "->" if self.ascii_only else "→"
        now_s = "?" if now is None else str(now)
        after_s = "?" if after is None else str(after)
        if after is None:
            self.show(f"copies: {now_s} now")
        else:
            self.show(f"copies: {now_s} now {arrow} {after_s} after next step")
        self.set_class(now is not None and now < 2, "-low")
        self.set_class(now is not None and after is not None and after > now, "-gain")
        self.set_class(now is not None and after is not None and after < now, "-loss")
