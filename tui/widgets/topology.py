"""Topology pane: disks -> partitions -> what uses each, with identities and role badges."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from backend.model import Disk, Inventory, MdArray, Partition
from tui.format import escape, human_bytes, short_by_id
from tui.widgets.pane import Pane

PART_TYPES = {
    "21686148-6449-6E6F-744E-656564454649": "BIOS boot",
    "C12A7328-F81F-11D2-BA4B-00A0C93EC93B": "EFI system",
    "A19D880F-05FC-4D3B-A006-743F0F84911E": "Linux RAID",
    "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F": "Linux swap",
    "6A898CC3-1DD2-11B2-99A6-080020736631": "ZFS",
    "0FC63DAF-8483-4772-8E79-3D69D8477DE4": "Linux data",
    "fd": "Linux RAID",
    "82": "Linux swap",
    "83": "Linux",
}


def _member_words(arrays: Mapping[str, MdArray], part: Partition) -> str | None:
    for holder in part.holders:
        arr = arrays.get(holder)
        if arr is None:
            continue
        member = arr.member(part.name)
        words = " ".join(member.state or member.flags) if member else ""
        style = "$success" if member and member.in_sync else "$warning"
        return f"[{style}]{holder} member[/] {escape(words)}".rstrip()
    return None


def partition_use(inv: Inventory, part: Partition) -> str:
    """What uses a partition, as markup: md member (with role), zfs member, mount, or empty."""
    arrays = {a.name: a for a in inv.arrays}
    uses: list[str] = []
    member = _member_words(arrays, part)
    if member:
        uses.append(member)
    elif part.fstype == "linux_raid_member":
        uses.append("[$warning]stale md superblock[/]")
    if part.fstype == "zfs_member":
        label = f" of {escape(part.fs_label)}" if part.fs_label else ""
        uses.append(f"[$success]zfs member{label}[/]")
    if part.mountpoints:
        uses.append("mounted at " + ", ".join(escape(m) for m in part.mountpoints))
    elif part.fstype and part.fstype not in ("linux_raid_member", "zfs_member"):
        uses.append(escape(part.fstype))
    if not uses:
        uses.append("[$text-muted]empty[/]")
    return "; ".join(uses)


def _identity_flags(inv: Inventory) -> dict[str, str]:
    """Disk name -> warning markup for duplicate or missing serials."""
    counts = Counter(d.serial for d in inv.disks if d.serial)
    flags: dict[str, str] = {}
    for d in inv.disks:
        if not d.serial:
            flags[d.name] = "[$warning]NO SERIAL[/] (named by " + escape(d.identity().kind) + ")"
        elif counts[d.serial] > 1:
            flags[d.name] = (
                "[$error]DUPLICATE SERIAL[/] (named by " + escape(d.identity().kind) + ")"
            )
    return flags


def render_disk(
    inv: Inventory, disk: Disk, badge: str | None, flag: str | None, ascii_only: bool
) -> list[str]:
    """The lines for one disk and its partitions."""
    mid, last = ("|-", "`-") if ascii_only else ("├", "└")
    badge_txt = f"[reverse b] {badge} [/] " if badge else ""
    head = (
        f"{badge_txt}[b]{escape(disk.name)}[/] {human_bytes(disk.size_bytes)} "
        f"{escape(disk.transport or '-')} {escape(disk.model or 'unknown model')}"
    )
    lines = [head]
    lines.append(f" [$text-muted]serial[/] {escape(disk.serial or '-')}")
    if disk.wwn:
        lines.append(f" [$text-muted]wwn[/] {escape(disk.wwn)}")
    if flag:
        lines.append(" " + flag)
    name_ids = [short_by_id(p) for p in disk.by_id if not short_by_id(p).startswith("wwn-")]
    if name_ids:
        lines.append(f" [$text-muted]by-id[/] {escape(name_ids[0])}")
    elif disk.by_path:
        lines.append(f" [$text-muted]by-path[/] {escape(short_by_id(disk.by_path[0]))}")
    if disk.mountpoints or disk.holders:
        lines.append(" whole disk: " + escape(", ".join(disk.holders + disk.mountpoints)))
    if not disk.partitions:
        words = "no partition table" if not disk.pttype else "no partitions"
        lines.append(f" [$text-muted]{words} (blank)[/]")
    for i, part in enumerate(disk.partitions):
        branch = last if i == len(disk.partitions) - 1 else mid
        key = (part.part_type or "").upper()
        ptype = PART_TYPES.get(key) or PART_TYPES.get(part.part_type or "", "")
        use = partition_use(inv, part)
        if use.endswith("empty[/]") and ptype:
            use = f"[$text-muted]empty ({ptype})[/]"
        lines.append(f" {branch} {escape(part.name):<6}{human_bytes(part.size_bytes):>9} {use}")
    return lines


def render_topology(
    inv: Inventory, badges: Mapping[str, str], *, ascii_only: bool = False
) -> tuple[str, str]:
    """Markup of the whole pane and its state ("ok" or "degraded" when identities clash)."""
    flags = _identity_flags(inv)
    out: list[str] = []
    for disk in inv.disks:
        out.extend(render_disk(inv, disk, badges.get(disk.name), flags.get(disk.name), ascii_only))
    if not inv.disks:
        out.append("[$text-muted]no disks found[/]")
    dup = any("DUPLICATE" in f for f in flags.values())
    return "\n".join(out), "degraded" if dup else "ok"


class TopologyPane(Pane):
    """Every disk with identity, partitions and their use; role badges A/B/C."""

    def __init__(self, *, id: str | None = "topology") -> None:
        super().__init__("Disks", id=id)

    def show_inventory(self, inv: Inventory, badges: Mapping[str, str]) -> None:
        """Render an inventory snapshot (badges: disk name -> role letter)."""
        markup, state = render_topology(inv, badges, ascii_only=self.ascii_only)
        self.show(markup, state=state, subtitle=f"{len(inv.disks)} disks")
