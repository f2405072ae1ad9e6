"""`zpool status` (text, OpenZFS 2.3), `zpool status -j` (2.3: every value a string),
`zpool import` (text), `zpool list -H -o name`, `zfs list -H -o name,mountpoint`."""

from __future__ import annotations

import json
import posixpath
from typing import Any

from backend.sim.progress import scan_done_bytes
from backend.sim.render_md import ctime
from backend.sim.state import SECTOR, SimPool, SimState, SimVdev, leaves

_UNITS = "BKMGTPE"
# A pool's usable size: the partition minus labels and the slop ZFS keeps back.
_LABEL_OVERHEAD = 4 * 1024 * 1024


def nicebytes(n: int) -> str:
    """zfs_nicebytes(): "0B", "512B", "174M", "87.0M", "1.03T"."""
    if n < 1024:
        return f"{n}B"
    index = 0
    v = n
    while v >= 1024 and index < len(_UNITS) - 1:
        v //= 1024
        index += 1
    if n % (1 << (10 * index)) == 0:
        return f"{n >> (10 * index)}{_UNITS[index]}"
    value = n / (1 << (10 * index))
    for precision in (2, 1, 0):
        text = f"{value:.{precision}f}{_UNITS[index]}"
        if len(text) <= 5:
            return text
    return text


def dhms(secs: int) -> str:
    """secs_to_dhms(): "00:12:30", or "1 days 02:03:04"."""
    d, rest = divmod(max(0, secs), 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    if d:
        return f"{d} days {h:02d}:{m:02d}:{s:02d}"
    return f"{h:02d}:{m:02d}:{s:02d}"


def vdev_state(vdev: SimVdev) -> str:
    """A leaf's own state; an interior vdev's from its children (a mirror survives one)."""
    if not vdev.children:
        return vdev.state
    states = [vdev_state(c) for c in vdev.children]
    if all(st == "ONLINE" for st in states):
        return "ONLINE"
    if (vdev.kind == "mirror" and "ONLINE" in states) or (
        vdev.kind == "root" and all(st in ("ONLINE", "DEGRADED") for st in states)
    ):
        return "DEGRADED"
    return "UNAVAIL" if vdev.kind != "root" else "FAULTED"


def _display(vdev: SimVdev, full: bool, index: int) -> str:
    if vdev.kind == "mirror":
        return f"mirror-{index}"
    path = vdev.path or vdev.guid
    return path if full else posixpath.basename(path)


def pool_size(state: SimState, pool: SimPool) -> int:
    """Usable bytes of the pool's first top-level vdev (a mirror's smallest leaf)."""
    sizes = []
    for leaf in leaves(pool.root):
        found = state.partition(leaf.device or "")
        if found is not None:
            sizes.append(found[1].size * SECTOR - _LABEL_OVERHEAD)
    return min(sizes) if sizes else 0


def _scan_lines(pool: SimPool, now: float) -> list[str]:
    scan = pool.scan
    if scan is None:
        return []
    if scan.end_time is not None and scan.end_time <= now:
        took = int(scan.end_time - scan.start_time)
        verb = "resilvered" if scan.function == "resilver" else "scrub repaired"
        amount = nicebytes(scan.total_bytes) if scan.function == "resilver" else "0B"
        return [
            f"  scan: {verb} {amount} in {dhms(took)} with {scan.errors} errors on "
            f"{ctime(scan.end_time)}"
        ]
    issued = scan_done_bytes(scan, now)
    elapsed = max(1.0, now - scan.start_time)
    scanned = min(scan.total_bytes, issued * 2)
    rate = int(issued / elapsed)
    srate = int(scanned / elapsed)
    pct = 100.0 * issued / max(1, scan.total_bytes)
    left = (scan.total_bytes - issued) // max(1, rate)
    tail = (
        f", {dhms(left)} to go"
        if issued and rate >= 10 * 1024 * 1024
        else ", no estimated completion time"
    )
    total = nicebytes(scan.total_bytes)
    return [
        f"  scan: {scan.function} in progress since {ctime(scan.start_time)}",
        f"\t{nicebytes(scanned)} / {total} scanned at {nicebytes(srate)}/s, "
        f"{nicebytes(issued)} / {total} issued at {nicebytes(rate)}/s",
        f"\t{nicebytes(issued)} resilvered, {pct:.2f}% done{tail}",
    ]


def _resilvering(pool: SimPool, now: float) -> bool:
    return (
        pool.scan is not None
        and pool.scan.function == "resilver"
        and (pool.scan.end_time is None or pool.scan.end_time > now)
    )


def _tree(pool: SimPool, full: bool) -> list[tuple[int, str, SimVdev]]:
    rows: list[tuple[int, str, SimVdev]] = [(0, pool.name, pool.root)]
    for i, top in enumerate(pool.root.children):
        rows.append((2, _display(top, full, i), top))
        for leaf in top.children:
            rows.append((4, _display(leaf, full, 0), leaf))
    return rows


def render_status(state: SimState, now: float, *, full_paths: bool, only: str | None = None) -> str:
    """`zpool status [-P] [POOL]`; "no pools available" when there is none."""
    pools = [p for p in state.pools if only is None or p.name == only]
    if not pools:
        return "no pools available\n"
    blocks = []
    for pool in pools:
        lines = [f"  pool: {pool.name}", f" state: {vdev_state(pool.root)}"]
        if vdev_state(pool.root) == "DEGRADED":
            lines += [
                "status: One or more devices has been removed by the administrator.",
                "\tSufficient replicas exist for the pool to continue functioning in a",
                "\tdegraded state.",
                "action: Online the device using zpool online' or replace the device with",
                "\t'zpool replace'.",
            ]
        elif _resilvering(pool, now):
            lines += [
                "status: One or more devices is currently being resilvered.  The pool will",
                "\tcontinue to function, possibly in a degraded state.",
                "action: Wait for the resilver to complete.",
            ]
        lines += _scan_lines(pool, now)
        rows = _tree(pool, full_paths)
        width = max(10, max(d + len(n) for d, n, _ in rows))
        lines += [
            "config:",
            "",
            f"\t{'NAME':<{width}}  {'STATE':<8} {'READ':>5} {'WRITE':>5} {'CKSUM':>5}",
        ]
        for depth, name, vdev in rows:
            st = vdev_state(vdev)
            line = f"\t{'':<{depth}}{name:<{width - depth}}  {st:<8} {0:>5} {0:>5} {0:>5}"
            if vdev.resilvering and _resilvering(pool, now):
                line += "  (resilvering)"
            lines.append(line)
        lines += ["", "errors: No known data errors"]
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def _vdev_json(
    state: SimState, pool: SimPool, vdev: SimVdev, name: str, full: bool, now: float
) -> dict[str, Any]:
    size = pool_size(state, pool)
    node: dict[str, Any] = {
        "name": name,
        "vdev_type": vdev.kind,
        "guid": vdev.guid,
    }
    if vdev.kind == "disk":
        node["path"] = vdev.path
    node["class"] = "normal"
    node["state"] = vdev_state(vdev)
    if vdev.kind != "disk":
        node.update(
            {
                "alloc_space": nicebytes(pool.alloc_bytes),
                "total_space": nicebytes(size),
                "def_space": nicebytes(size),
            }
        )
    if vdev.kind != "root":
        node["rep_dev_size"] = nicebytes(size)
    if vdev.kind == "disk":
        found = state.partition(vdev.device or "")
        node["phys_space"] = nicebytes(found[1].size * SECTOR) if found else "0B"
    node.update({"read_errors": "0", "write_errors": "0", "checksum_errors": "0"})
    if vdev.kind == "disk":
        found = state.partition(vdev.device or "")
        if found is not None:
            disk = found[0]
            node.update(
                {
                    "vendor": (disk.vendor or "").strip(),
                    "model": disk.model or "",
                    "size": nicebytes(disk.size_bytes),
                }
            )
        if vdev.resilvering and _resilvering(pool, now):
            node["resilvering"] = "true"
    if vdev.children:
        node["vdevs"] = {
            _display(c, full, i): _vdev_json(state, pool, c, _display(c, full, i), full, now)
            for i, c in enumerate(vdev.children)
        }
    return node


def render_status_json(state: SimState, now: float, *, full_paths: bool) -> str:
    """`zpool status -j [-P]` as OpenZFS 2.3 prints it."""
    pools: dict[str, Any] = {}
    for pool in state.pools:
        entry: dict[str, Any] = {
            "name": pool.name,
            "state": vdev_state(pool.root),
            "pool_guid": pool.guid,
            "txg": str(pool.txg),
            "spa_version": "5000",
            "zpl_version": "5",
        }
        if _resilvering(pool, now):
            entry["status"] = "One or more devices is currently being resilvered."
            entry["action"] = "Wait for the resilver to complete."
        scan = pool.scan
        if scan is not None:
            done = scan.end_time is not None and scan.end_time <= now
            issued = scan_done_bytes(scan, now)
            entry["scan_stats"] = {
                "function": scan.function.upper(),
                "state": "FINISHED" if done else "SCANNING",
                "start_time": ctime(scan.start_time),
                "end_time": ctime(scan.end_time) if done and scan.end_time else "-",
                "to_examine": nicebytes(scan.total_bytes),
                "examined": nicebytes(min(scan.total_bytes, issued * 2)),
                "skipped": "0B",
                "processed": nicebytes(issued),
                "errors": str(scan.errors),
                "bytes_per_scan": "0B",
                "pass_start": ctime(scan.start_time),
                "scrub_pause": "-",
                "scrub_spent_paused": "0",
                "issued_bytes_per_scan": nicebytes(issued),
                "issued": nicebytes(issued),
            }
        entry["vdevs"] = {pool.name: _vdev_json(state, pool, pool.root, pool.name, full_paths, now)}
        entry["error_count"] = "0"
        pools[pool.name] = entry
    doc = {
        "output_version": {"command": "zpool status", "vers_major": 0, "vers_minor": 1},
        "pools": pools,
    }
    return json.dumps(doc, indent=2) + "\n"


def importable(state: SimState) -> list[tuple[str, str, list[str]]]:
    """(name, guid, devices) of pools whose labels are on disks but which are not imported."""
    imported = {p.guid for p in state.pools}
    found: dict[str, tuple[str, str, list[str]]] = {}
    for disk in state.disks:
        for part in disk.partitions:
            c = part.content
            if c is None or c.fstype != "zfs_member" or not c.pool_guid:
                continue
            if c.pool_guid in imported:
                continue
            entry = found.setdefault(c.pool_guid, (c.label or "", c.pool_guid, []))
            entry[2].append(disk.part_name(part.number))
    return list(found.values())


def render_import(state: SimState) -> tuple[str, str, int]:
    """`zpool import` (search, text): stdout, stderr, exit code."""
    pools = importable(state)
    if not pools:
        return "", "no pools available to import\n", 1
    blocks = []
    for name, guid, devices in pools:
        width = max(10, len(name), *(len(d) + 2 for d in devices))
        lines = [
            f"   pool: {name}",
            f"     id: {guid}",
            "  state: ONLINE",
            " action: The pool can be imported using its name or numeric identifier.",
            " config:",
            "",
            f"\t{name:<{width}}  ONLINE",
        ]
        lines += [f"\t  {d:<{width - 2}}  ONLINE" for d in devices]
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks), "", 0


def render_zpool_list_names(state: SimState) -> str:
    """`zpool list -H -o name`."""
    return "".join(f"{p.name}\n" for p in state.pools)


def render_zfs_list(state: SimState) -> str:
    """`zfs list -H -o name,mountpoint` (datasets of imported pools, tab separated)."""
    names = {p.name for p in state.pools}
    out = []
    for ds in sorted(state.datasets, key=lambda d: d.name):
        if ds.name.split("/")[0] in names:
            out.append(f"{ds.name}\t{effective_property(state, ds.name, 'mountpoint')}\n")
    return "".join(out)


def effective_property(state: SimState, name: str, prop: str) -> str:
    """A dataset property, inherited from ancestors, with the defaults ZFS uses."""
    parts = name.split("/")
    for i in range(len(parts), 0, -1):
        ds = state.dataset("/".join(parts[:i]))
        if ds is not None and prop in ds.properties:
            value = ds.properties[prop]
            if prop == "mountpoint" and value not in ("legacy", "none") and i < len(parts):
                return posixpath.join(value, *parts[i:])
            return value
    if prop == "mountpoint":
        return "/" + name
    return {"atime": "on", "sync": "standard", "encryption": "off"}.get(prop, "-")
