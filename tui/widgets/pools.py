"""Pool pane: each ZFS pool's state, vdev tree with error counters, scan progress, errors."""

from __future__ import annotations

from backend.model import Inventory, Pool, Vdev
from tui.format import bar, escape, human_eta, human_rate
from tui.widgets.pane import Pane

GOOD = {"ONLINE", "AVAIL"}
BAD = {"FAULTED", "UNAVAIL", "REMOVED", "SUSPENDED"}


def state_style(state: str | None) -> str:
    """Theme style for a vdev or pool state word."""
    if state in GOOD:
        return "$success"
    if state in BAD:
        return "$error"
    return "$warning"


def render_vdev(v: Vdev, depth: int, out: list[str]) -> None:
    """Append a vdev and its children, indented, with READ/WRITE/CKSUM."""
    name = escape(v.name.removeprefix("/dev/disk/by-id/").removeprefix("/dev/"))
    indent = "  " * depth
    counters = f"{v.read} {v.write} {v.cksum}"
    errs = "$error" if (v.read or v.write or v.cksum) else "$text-muted"
    note = f" [$warning]{escape(v.note)}[/]" if v.note else ""
    state = escape(v.state or "-")
    out.append(f"{indent}{name}  [{state_style(v.state)}]{state}[/] [{errs}]{counters}[/]{note}")
    for child in v.children:
        render_vdev(child, depth + 1, out)


def render_pool(pool: Pool, *, ascii_only: bool = False) -> list[str]:
    """The lines for one pool."""
    out = [f"[b]{escape(pool.name)}[/]  [{state_style(pool.state)}]{escape(pool.state)}[/]"]
    if pool.status:
        out.append(f"  [$text-muted]{escape(pool.status)}[/]")
    out.append("  [$text-muted]device  state  read write cksum[/]")
    for v in pool.vdevs:
        render_vdev(v, 1, out)
    for label, group in (("logs", pool.logs), ("cache", pool.cache), ("spares", pool.spares)):
        if group:
            out.append(f"  {label}")
            for v in group:
                render_vdev(v, 2, out)
    scan = pool.scan
    if scan is not None and scan.state == "running":
        pct = f"{scan.percent:.1f}%" if scan.percent is not None else "?"
        out.append(
            f"  {scan.function} [$accent]{bar(scan.percent, 16, ascii_only=ascii_only)}[/] {pct}"
        )
        out.append(f"  rate {human_rate(scan.rate_bytes_s)}  ETA {human_eta(scan.eta_s)}")
    elif scan is not None:
        out.append(f"  [$text-muted]{scan.function} {scan.state}[/]")
    errors = pool.errors or "-"
    style = "$success" if errors.startswith("No known") else "$error"
    out.append(f"  errors: [{style}]{escape(errors)}[/]")
    return out


def render_pools(inv: Inventory, *, ascii_only: bool = False) -> tuple[str, str]:
    """Markup of the whole pane and its overall state."""
    out: list[str] = []
    state = "ok"
    for pool in inv.pools:
        out.extend(render_pool(pool, ascii_only=ascii_only))
        if pool.scan is not None and pool.scan.state == "running" and state == "ok":
            state = "running"
        if pool.state != "ONLINE":
            state = "degraded"
    if not inv.pools:
        out.append("[$text-muted]no imported pools[/]")
        if not inv.zfs_available:
            out.append("[$text-muted](ZFS is not loaded yet)[/]")
    for imp in inv.importable_pools:
        out.append(f"[$warning]importable[/] {escape(imp.name)} id {escape(imp.id)} {imp.state}")
    return "\n".join(out), state


class PoolPane(Pane):
    """ZFS pools: state, vdev tree, resilver/scrub progress, errors."""

    def __init__(self, *, id: str | None = "pools") -> None:
        super().__init__("ZFS pools", id=id)

    def show_inventory(self, inv: Inventory) -> None:
        """Render the pools of an inventory snapshot."""
        markup, state = render_pools(inv, ascii_only=self.ascii_only)
        self.show(markup, state=state, subtitle=f"{len(inv.pools)} pools")
