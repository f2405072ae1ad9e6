"""The main screen: system panes beside the wizard, the live log, copies meter and footer."""

from __future__ import annotations

from collections.abc import Mapping

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from backend.model import Inventory
from tui.messages import IoRates
from tui.state import WizardView
from tui.widgets.body import Body
from tui.widgets.copies import CopiesMeter
from tui.widgets.livelog import LiveLog
from tui.widgets.pools import PoolPane
from tui.widgets.raid import RaidPane
from tui.widgets.topology import TopologyPane
from tui.widgets.wizard import WizardPane

PANES = ("topology", "raid", "pools")


class MainScreen(Screen[None]):
    """Topology, RAID and pool panes, the wizard, the log; narrow terminals show one pane."""

    BINDINGS = [
        Binding("enter", "app.run_current", "Run step", priority=True),
        Binding("c", "app.run_phase", "Run phase"),
        Binding("1", "show_pane('topology')", "Disks"),
        Binding("2", "show_pane('raid')", "RAID"),
        Binding("3", "show_pane('pools')", "Pools"),
        Binding("v", "app.review", "Plan"),
        Binding("l", "app.audit_log", "Audit log"),
        Binding("s", "app.shell", "Shell"),
        Binding("r", "app.refresh_system", "Re-read"),
        Binding("q", "app.quit_wizard", "Quit"),
    ]

    def __init__(self, host_name: str) -> None:
        super().__init__(id="main")
        self._host_name = host_name
        self.shown_pane = "topology"
        self._log = LiveLog()
        self.pane_chosen = False  # the operator picked a pane: no automatic switching
        self._last: dict[str, object] = {}  # what each pane last rendered from

    def compose(self) -> ComposeResult:
        """The whole layout; styles/main.tcss arranges it per terminal size."""
        with Horizontal(id="topbar"):
            yield Static(f"md2zfs - {self._host_name}", id="title")
            yield Body("", id="status")
            yield CopiesMeter()
        with Horizontal(id="body"):
            with Vertical(id="system"):
                yield TopologyPane()
                yield RaidPane()
                yield PoolPane()
            yield WizardPane()
        yield self._log
        yield Footer()

    def on_mount(self) -> None:
        """Start with the topology pane shown in narrow layouts."""
        self._show(self.shown_pane)

    def action_show_pane(self, name: str) -> None:
        """Key: in narrow layouts show only this pane (wide layouts show all three)."""
        self.pane_chosen = True
        self._show(name)

    def _show(self, name: str) -> None:
        self.shown_pane = name
        for pane in PANES:
            self.query_one(f"#{pane}").set_class(pane == name, "-shown")

    def set_ascii(self, ascii_only: bool) -> None:
        """Use ASCII-only glyphs (the Linux console look)."""
        self.query_one(TopologyPane).ascii_only = ascii_only
        self.query_one(RaidPane).ascii_only = ascii_only
        self.query_one(PoolPane).ascii_only = ascii_only
        self.query_one(WizardPane).ascii_only = ascii_only
        self.query_one(CopiesMeter).ascii_only = ascii_only

    def show_system(
        self, inv: Inventory, badges: Mapping[str, str], io: IoRates, status: str = ""
    ) -> None:
        """Render an inventory snapshot in the panes whose part of it changed."""
        last = self._last
        topo = (inv.disks, inv.arrays, tuple(badges.items()))
        raid = (inv.arrays, tuple(badges.items()), tuple(io.items()))
        pools = (inv.pools, inv.importable_pools, inv.zfs_available)
        if last.get("topology") != topo:
            self.query_one(TopologyPane).show_inventory(inv, badges)
        if last.get("raid") != raid:
            self.query_one(RaidPane).show_inventory(inv, badges, io)
        if last.get("pools") != pools:
            self.query_one(PoolPane).show_inventory(inv)
        self._last = {"topology": topo, "raid": raid, "pools": pools}
        self.query_one("#status", Body).show(status)
        md_busy = any(a.sync for a in inv.arrays)
        pool_busy = any(p.scan is not None and p.scan.state == "running" for p in inv.pools)
        self.set_class(md_busy or pool_busy, "-syncing")
        if not self.pane_chosen and self.shown_pane == "topology" and (md_busy or pool_busy):
            self._show("pools" if pool_busy else "raid")  # narrow: show what is moving

    def show_wizard(self, view: WizardView) -> None:
        """Render the wizard snapshot and the copies meter."""
        self.query_one(WizardPane).show_view(view)
        self.query_one(CopiesMeter).show_copies(view.copies_now, view.copies_after)
        self.set_class(view.running, "-running")

    @property
    def log_widget(self) -> LiveLog:
        """The live log."""
        return self._log
