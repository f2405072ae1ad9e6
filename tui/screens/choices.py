"""The roles / pool / datasets / encryption form, with a message under each bad field."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Footer, Input, Select, Static

from backend.model import Inventory
from tui.choices import Choices
from tui.format import escape, human_bytes

Validator = Callable[[Inventory, Choices], dict[str, str]]
FIELDS = ("array", "disk_a", "disk_b", "disk_c", "pool", "datasets", "passphrase", "boot_mib")
LABELS = {
    "array": "RAID1 array R",
    "disk_a": "Disk A",
    "disk_b": "Disk B",
    "disk_c": "Spare disk C",
    "pool": "Pool name",
    "datasets": "Datasets",
    "passphrase": "Passphrase",
    "boot_mib": "/boot MiB",
}


class ChoicesScreen(Screen[Choices | None]):
    """Full screen form; Ctrl+S (or the button) validates and builds the plan."""

    BINDINGS = [
        Binding("ctrl+s", "submit", "Build plan"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, inv: Inventory, proposal: Choices, validator: Validator) -> None:
        super().__init__(classes="choices")
        self.inv = inv
        self.proposal = proposal
        self.validator = validator

    def _disk_options(self) -> list[tuple[str, str]]:
        return [
            (f"{d.name}  {human_bytes(d.size_bytes)}  {d.model or ''} {d.serial or ''}", d.name)
            for d in self.inv.disks
        ]

    def compose(self) -> ComposeResult:
        """One row per field, each with its error line."""
        p = self.proposal
        yield Static("Roles and pool (proposed from this machine)", classes="title")
        with VerticalScroll(id="form"):
            arrays = [(f"{a.name} {a.level or ''}", a.name) for a in self.inv.arrays]
            widgets: dict[str, Widget] = {
                "array": Select(arrays, value=p.array, id="array", compact=True),
                "disk_a": Select(
                    self._disk_options(), value=p.disk_a or Select.BLANK, id="disk_a", compact=True
                ),
                "disk_b": Select(
                    self._disk_options(), value=p.disk_b or Select.BLANK, id="disk_b", compact=True
                ),
                "disk_c": Select(
                    self._disk_options(), value=p.disk_c or Select.BLANK, id="disk_c", compact=True
                ),
                "pool": Input(p.pool, id="pool", compact=True),
                "datasets": Input(", ".join(p.datasets), id="datasets", compact=True),
                "passphrase": Input(
                    p.passphrase,
                    password=True,
                    id="passphrase",
                    placeholder="only with encryption (8+ characters)",
                    compact=True,
                ),
                "boot_mib": Input(str(p.boot_mib), id="boot_mib", type="integer", compact=True),
            }
            for name in FIELDS:
                if name == "passphrase":
                    yield Checkbox(
                        "Encrypt the pool (passphrase at boot)",
                        p.encrypt,
                        id="encrypt",
                        compact=True,
                    )
                with Horizontal(classes="row"):
                    yield Static(LABELS[name], classes="label")
                    w = widgets[name]
                    w.add_class("field")
                    yield w
                err = Static("", id=f"err-{name}", classes="error")
                err.display = False
                yield err
            with Horizontal(classes="buttons"):
                yield Button("Build plan (Ctrl+S)", id="submit", variant="primary", compact=True)
                yield Button("Cancel (Esc)", id="cancel", compact=True)
        yield Footer()

    def current(self) -> Choices:
        """The form's values as Choices."""

        def sel(name: str) -> str:
            v = self.query_one(f"#{name}", Select).value
            return v if isinstance(v, str) else ""

        try:
            boot = int(self.query_one("#boot_mib", Input).value or 0)
        except ValueError:
            boot = 0
        datasets = tuple(
            d.strip() for d in self.query_one("#datasets", Input).value.split(",") if d.strip()
        )
        return replace(
            self.proposal,
            array=sel("array"),
            disk_a=sel("disk_a"),
            disk_b=sel("disk_b"),
            disk_c=sel("disk_c"),
            pool=self.query_one("#pool", Input).value.strip(),
            datasets=datasets,
            encrypt=self.query_one("#encrypt", Checkbox).value,
            passphrase=self.query_one("#passphrase", Input).value,
            boot_mib=boot,
        )

    def show_errors(self, errors: dict[str, str]) -> None:
        """One message under each refused field."""
        for name in FIELDS:
            msg = errors.get(name, "")
            err = self.query_one(f"#err-{name}", Static)
            err.update(f"[$error]{escape(msg)}[/]" if msg else "")
            err.display = bool(msg)

    def action_submit(self) -> None:
        """Validate; dismiss with the choices when all is well."""
        choices = self.current()
        errors = self.validator(self.inv, choices)
        self.show_errors(errors)
        if not errors:
            self.dismiss(choices)
        else:
            self.notify(f"{len(errors)} field(s) need attention", severity="warning")

    def action_cancel(self) -> None:
        """Back without choices."""
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Submit or cancel."""
        if event.button.id == "submit":
            self.action_submit()
        else:
            self.action_cancel()
