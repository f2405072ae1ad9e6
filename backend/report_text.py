"""The readable form of `md2zfs status`: disks by identity, arrays, pools, warnings."""

from __future__ import annotations

from backend.model import Disk, Inventory, MdArray, MdMember, Partition, Pool, Vdev
from backend.parttypes import type_name
from backend.units import human_bytes, human_duration


def render_status(inv: Inventory, host_description: str) -> str:
    """The whole report as text (no colour: it may go to a file or a bug report)."""
    lines = [f"md2zfs status of {host_description}", ""]
    lines += _disks(inv)
    lines += ["", *_arrays(inv)]
    lines += ["", *_pools(inv)]
    if inv.importable_pools:
        lines += ["", "Pools that `zpool import` could import:"]
        for p in inv.importable_pools:
            lines.append(f"  {p.name}  id {p.id}  {p.state}")
    if inv.warnings:
        lines += ["", "Warnings:"]
        lines += [f"  ! {w}" for w in inv.warnings]
    return "\n".join(lines) + "\n"


def _table(rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        (indent + "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True))).rstrip()
        for r in rows
    ]


def _disks(inv: Inventory) -> list[str]:
    if not inv.disks:
        return ["Disks: none found"]
    serials = [d.serial for d in inv.disks if d.serial]
    dup = {s for s in serials if serials.count(s) > 1}
    rows = [["DISK", "SIZE", "MODEL", "SERIAL", "WWN", "TRAN", "BY-ID"]]
    for d in inv.disks:
        serial = d.serial or "(none)"
        if d.serial in dup:
            serial += " DUPLICATE"
        rows.append(
            [
                d.name,
                human_bytes(d.size_bytes),
                d.model or "-",
                serial,
                d.wwn or "-",
                d.transport or "-",
                _short_by_id(d),
            ]
        )
    out = ["Disks:", *_table(rows)]
    for d in inv.disks:
        out += _partitions(d)
    return out


def _short_by_id(d: Disk) -> str:
    # Prefer a name that carries the serial (ata-, nvme-, virtio-) over wwn- links.
    names = [p.removeprefix("/dev/disk/by-id/") for p in d.by_id]
    best = [n for n in names if not n.startswith("wwn-")] or names
    return best[0] if best else "-"


def _partitions(d: Disk) -> list[str]:
    if not d.partitions:
        use = d.fstype or ("in use by " + ",".join(d.holders) if d.holders else "empty")
        return [f"  {d.name}: no partitions ({use})"]
    out = [f"  {d.name} ({d.pttype or 'no table'}):"]
    for p in d.partitions:
        out.append(f"    {p.name:<10} {human_bytes(p.size_bytes):>11}  {_use(p)}")
    return out


def _use(p: Partition) -> str:
    parts: list[str] = []
    if p.fstype == "linux_raid_member":
        parts.append("md member" + (f" of {', '.join(p.holders)}" if p.holders else ""))
    elif p.fstype == "zfs_member":
        parts.append("zfs member" + (f" ({p.fs_label})" if p.fs_label else ""))
    elif p.fstype:
        parts.append(p.fstype)
    elif p.holders:
        parts.append("used by " + ", ".join(p.holders))
    if p.mountpoints:
        parts.append("mounted at " + ", ".join(p.mountpoints))
    if not parts:
        parts.append("empty")
    kind = type_name(p.part_type)
    return f"[{kind}] " + "; ".join(parts) if kind else "; ".join(parts)


def _arrays(inv: Inventory) -> list[str]:
    if not inv.arrays:
        return ["Arrays: none"]
    out = ["Arrays:"]
    for a in inv.arrays:
        out += _array(a)
    return out


def _array(a: MdArray) -> list[str]:
    state = a.state + (" (degraded)" if a.degraded else "")
    if a.read_only:
        state += f" ({a.read_only_kind or 'read-only'})"
    counts = f"[{a.raid_disks}/{a.active_disks}]" if a.raid_disks is not None else ""
    size = human_bytes(a.size_kib * 1024) if a.size_kib is not None else "?"
    on = ""
    if a.fstype:
        on = f"  {a.fstype}" + (f" on {', '.join(a.mountpoints)}" if a.mountpoints else "")
    meta = f"  metadata {a.metadata}" if a.metadata else ""
    out = [f"  {a.name}  {a.level or '-'}  {state}  {counts} [{a.slots or ''}]  {size}{meta}{on}"]
    for m in sorted(a.members, key=lambda m: (m.slot is None, m.slot or 0, m.device)):
        out.append(f"    {m.device:<10} slot {'-' if m.slot is None else m.slot}  {_member(m)}")
    if a.sync is not None:
        s = a.sync
        pct = "?" if s.percent is None else f"{s.percent:.1f}%"
        speed = f"  {human_bytes(s.speed_kib_s * 1024)}/s" if s.speed_kib_s else ""
        eta = f"  ETA {human_duration(s.eta_s)}" if s.eta_s is not None else ""
        out.append(f"    {s.action} {s.state}: {pct}{speed}{eta}")
    return out


def _member(m: MdMember) -> str:
    if m.flags:
        return ", ".join(m.flags)
    return "in sync" if m.in_sync else (" ".join(m.state) or "active")


def _pools(inv: Inventory) -> list[str]:
    if not inv.pools:
        return ["Pools: none" + ("" if inv.zfs_available else " (ZFS tools not installed)")]
    out = ["Pools:"]
    for p in inv.pools:
        out += _pool(p)
    return out


def _pool(p: Pool) -> list[str]:
    out = [f"  {p.name}  {p.state}"]
    if p.status:
        out.append("    status: " + p.status.replace("\n", " "))
    rows = [["NAME", "STATE", "READ", "WRITE", "CKSUM"]]
    for section, vdevs in (
        ("", p.vdevs),
        ("logs", p.logs),
        ("cache", p.cache),
        ("spares", p.spares),
    ):
        if section and vdevs:
            rows.append([section, "", "", "", ""])
        for v in vdevs:
            _vdev_rows(v, 0, rows)
    out += _table(rows, indent="    ")
    if p.scan is not None:
        s = p.scan
        pct = "" if s.percent is None else f" {s.percent:.2f}%"
        eta = f" ETA {human_duration(s.eta_s)}" if s.eta_s is not None else ""
        out.append(f"    scan: {s.function} {s.state}{pct}{eta}")
    if p.errors:
        out.append(f"    errors: {p.errors}")
    return out


def _vdev_rows(v: Vdev, depth: int, rows: list[list[str]]) -> None:
    name = "  " * depth + v.name + (f" {v.note}" if v.note else "")
    rows.append([name, v.state or "-", str(v.read), str(v.write), str(v.cksum)])
    for c in v.children:
        _vdev_rows(c, depth + 1, rows)
