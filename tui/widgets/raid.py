"""RAID pane: each md array's state in colour and words, members, sync progress and I/O."""

from __future__ import annotations

from collections.abc import Mapping

from backend.model import Inventory, MdArray, MdMember
from tui.format import bar, escape, human_bytes, human_eta, human_rate
from tui.widgets.pane import Pane

IoRates = Mapping[str, tuple[float, float]]  # device -> (read B/s, write B/s)


def array_state(arr: MdArray) -> tuple[str, str]:
    """(words, theme style) for an array: never colour alone."""
    if arr.state == "inactive":
        return "INACTIVE", "$error"
    words: list[str] = []
    style = "$success"
    if arr.degraded:
        words.append("DEGRADED")
        style = "$error"
    if arr.sync is not None:
        sync = arr.sync
        running = sync.state == "running"
        words.append(_ing(sync.action) if running else f"{sync.action} {sync.state}".upper())
        style = "$warning" if style != "$error" else style
    if not words:
        words.append("clean")
    if arr.read_only:
        words.append(arr.read_only_kind or "read-only")
    return " · ".join(words), style


def _ing(action: str) -> str:
    return {
        "resync": "RESYNCING",
        "recovery": "RECOVERING",
        "check": "CHECKING",
        "repair": "REPAIRING",
        "reshape": "RESHAPING",
    }.get(action, action.upper())


def member_words(m: MdMember) -> str:
    """'active sync', 'spare rebuilding', 'faulty' ..."""
    if m.state:
        return " ".join(m.state)
    if m.flags:
        return " ".join(m.flags)
    return "active" if m.slot is not None else "?"


def _member_style(m: MdMember) -> str:
    if "faulty" in m.flags or "faulty" in m.state:
        return "$error"
    return "$success" if m.in_sync else "$warning"


def _io_lines(devices: list[str], io: IoRates) -> list[str]:
    """One line per member device that moves data: 'I/O sdc3 write 195 MiB/s'."""
    out: list[str] = []
    for dev in devices:
        rate = io.get(dev)
        if rate is None:
            continue
        r, w = rate
        words = [f"read {human_rate(r)}"] if r > 0 else []
        if w > 0:
            words.append(f"write {human_rate(w)}")
        if words:
            out.append(f"   [$text-muted]I/O[/] {escape(dev)} {' '.join(words)}")
    return out


def rebuilding(arr: MdArray, m: MdMember) -> bool:
    """A member being rebuilt by a running recovery when mdstat gave no state words.

    /proc/mdstat marks no rebuilding member; it is the one whose index lies beyond the
    in-sync count ("U" in the slots string).
    """
    if m.state or m.flags or arr.sync is None or arr.sync.action != "recovery":
        return False
    in_sync = (arr.slots or "").count("U")
    return m.slot is not None and m.slot >= in_sync


def render_array(
    arr: MdArray, badges: Mapping[str, str], io: IoRates, *, ascii_only: bool = False
) -> list[str]:
    """The lines for one array."""
    words, style = array_state(arr)
    slots = f" \\[{escape(arr.slots)}]" if arr.slots else ""
    counts = (
        f" {arr.active_disks}/{arr.raid_disks}"
        if arr.active_disks is not None and arr.raid_disks is not None
        else ""
    )
    size = f"  {human_bytes(arr.size_kib * 1024)}" if arr.size_kib else ""
    lines = [
        f"[b]{escape(arr.name)}[/] {escape(arr.level or '-')}  [{style}]{words}[/]{counts}{slots}"
    ]
    on = ", ".join(arr.mountpoints)
    extra = f"{size}  {escape(arr.fstype or '')}" + (f" on {escape(on)}" if on else "")
    if arr.metadata:
        extra += f"  meta {escape(arr.metadata)}"
    if extra.strip():
        lines.append("   " + extra.strip())
    members = sorted(arr.members, key=lambda m: (m.slot is None, m.slot or 0, m.device))
    for m in members:
        slot = str(m.slot) if m.slot is not None else "-"
        disk = m.device.rstrip("0123456789")
        disk = disk[:-1] if disk.endswith("p") and disk[:-1][-1:].isdigit() else disk
        badge = f" ({badges[disk]})" if disk in badges else ""
        if rebuilding(arr, m):
            words, style = "rebuilding", "$warning"
        else:
            words, style = member_words(m), _member_style(m)
        lines.append(f"   {slot:>2} {escape(m.device):<8} [{style}]{escape(words)}[/]{badge}")
    sync = arr.sync
    if sync is not None:
        pct = f"{sync.percent:.1f}%" if sync.percent is not None else sync.state
        lines.append(
            f"   {sync.action} [$accent]{bar(sync.percent, 16, ascii_only=ascii_only)}[/] {pct}"
        )
        speed = human_rate(sync.speed_kib_s * 1024) if sync.speed_kib_s else "?"
        lines.append(f"   speed {speed}  ETA {human_eta(sync.eta_s)}")
        lines.extend(_io_lines([m.device for m in members], io))
    return lines


def render_raid(
    inv: Inventory, badges: Mapping[str, str], io: IoRates, *, ascii_only: bool = False
) -> tuple[str, str]:
    """Markup of the whole pane and its overall state."""
    out: list[str] = []
    state = "ok"
    for arr in inv.arrays:
        out.extend(render_array(arr, badges, io, ascii_only=ascii_only))
        if arr.sync is not None and state == "ok":
            state = "running"
        if (arr.degraded and arr.sync is None) or arr.state == "inactive":
            state = "degraded"
    if not inv.arrays:
        out.append("[$text-muted]no md arrays[/]")
    return "\n".join(out), state


class RaidPane(Pane):
    """md arrays: state, members, resync/recovery progress and per-disk I/O."""

    def __init__(self, *, id: str | None = "raid") -> None:
        super().__init__("RAID", id=id)

    def show_inventory(self, inv: Inventory, badges: Mapping[str, str], io: IoRates) -> None:
        """Render the arrays of an inventory snapshot."""
        markup, state = render_raid(inv, badges, io, ascii_only=self.ascii_only)
        self.show(markup, state=state, subtitle=f"{len(inv.arrays)} arrays")
