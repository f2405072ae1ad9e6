"""Disk identity confirmation: the card of the disk a step destroys, and a typed tail.

The action button stays disabled until the operator types the last 6 characters of the
disk's serial (of its by-id name when it has no serial; backend.confirm decides, so the
CLI and the TUI ask the same question). Escape cancels.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from backend.confirm import TAIL_LEN, confirm_source, expected_tail, typed_matches
from backend.model import Disk, Inventory
from backend.plan.step import Destroys, Step
from tui.format import escape, human_bytes, short_by_id
from tui.widgets.topology import partition_use
from tui.widgets.wizard import operation_lines


def disk_card(inv: Inventory | None, disk: Disk) -> str:
    """Markup of the identity card: model, serial, WWN, size, by-id, partitions and use."""
    ids = ", ".join(short_by_id(p) for p in disk.by_id) or "-"
    lines = [
        f"[b]{escape(disk.path)}[/]  {human_bytes(disk.size_bytes)} ({disk.size_bytes} bytes)",
        f"model   {escape(disk.model or '-')}",
        f"serial  [b]{escape(disk.serial or '- (none)')}[/]",
        f"wwn     {escape(disk.wwn or '-')}",
        f"by-id   {escape(ids)}",
        f"bus     {escape(disk.transport or '-')}",
    ]
    if not disk.partitions:
        lines.append("partitions: none (blank disk)")
    for p in disk.partitions:
        use = partition_use(inv, p) if inv is not None else escape(p.fstype or "")
        lines.append(f"  {escape(p.name):<9} {human_bytes(p.size_bytes):>9}  {use}")
    return "\n".join(lines)


class ConfirmDiskScreen(ModalScreen[bool]):
    """Modal: confirm the identity of the disk a destructive step targets."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, inv: Inventory | None, step: Step | None, destroys: Destroys, disk: Disk
    ) -> None:
        super().__init__(classes="confirm")
        self.inv = inv
        self.step = step
        self.destroys = destroys
        self.disk = disk

    def compose(self) -> ComposeResult:
        """Card, destruction statement, the typed confirmation, buttons."""
        title = escape(self.step.title) if self.step else "destructive step"
        _, what = confirm_source(self.disk)
        want = expected_tail(self.disk)
        ops = operation_lines(self.step) if self.step else []
        with Vertical(classes="dialog -danger"):
            yield Static(f"[$error]DESTRUCTIVE[/] {title}", classes="title")
            with VerticalScroll(classes="card"):
                yield Static(disk_card(self.inv, self.disk), id="card")
                yield Static(
                    "\n".join([f"[$error]Will destroy:[/] {escape(self.destroys.what)}", *ops]),
                    id="destroys",
                )
            yield Static(
                f"Type the last {min(TAIL_LEN, len(want))} characters of the {escape(what)} "
                f"of {escape(self.disk.path)} to enable the action:",
                classes="hint",
            )
            yield Input(
                placeholder=f"last {TAIL_LEN} characters", id="typed", max_length=64, compact=True
            )
            with Horizontal(classes="buttons"):
                yield Button("Cancel (Esc)", id="cancel", compact=True)
                yield Button(
                    "Destroy and run", id="go", variant="error", disabled=True, compact=True
                )

    def on_mount(self) -> None:
        """Focus the input."""
        self.query_one("#typed", Input).focus()

    def matches(self, typed: str) -> bool:
        """True when the typed text is the expected tail."""
        return typed_matches(self.disk, typed)

    def on_input_changed(self, event: Input.Changed) -> None:
        """Enable the action only on a match."""
        self.query_one("#go", Button).disabled = not self.matches(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the input confirms when it matches."""
        if self.matches(event.value):
            self.dismiss(True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Go or cancel."""
        if event.button.id == "go" and self.matches(self.query_one("#typed", Input).value):
            self.dismiss(True)
        elif event.button.id == "cancel":
            self.dismiss(False)

    def action_cancel(self) -> None:
        """Escape."""
        self.dismiss(False)
