"""Host -> Inventory: one lsblk, one read of /proc/mdstat, ZFS only where its tools exist.

The inventory never starts a process per disk: a 200-disk server costs one `lsblk`, one
file read and a walk of udev's database. What cannot be read becomes a warning, not a
crash: a non-root run, a machine without ZFS, a replay directory holding a single file.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from backend.host import Host, UdevInfo
from backend.model import Disk, ImportablePool, Inventory, MdArray, Mount, Partition, Pool
from backend.parse.errors import ParseError

LSBLK_ARGV = ("lsblk", "--json", "--bytes", "--output-all")
ZPOOL_STATUS_ARGV = ("zpool", "status", "-P")
ZPOOL_IMPORT_ARGV = ("zpool", "import")
ZFS_LIST_ARGV = ("zfs", "list", "-H", "-o", "name")
# Ids of md2zfs steps done in this boot whose effect nothing else shows (a module written, the
# final copy made inside the maintenance target). On tmpfs: a reboot forgets them together
# with the state they stand for.
MARKER_FILE = "/run/md2zfs/done"


@runtime_checkable
class ArrayHints(Protocol):
    """A host that can name md arrays without /proc/mdstat (a replay of detail files)."""

    def array_names(self) -> tuple[str, ...]:
        """Names of arrays whose `mdadm --detail` output is available."""
        ...


def take_inventory(host: Host) -> Inventory:
    """Read the machine once and return an immutable snapshot."""
    warnings: list[str] = []
    disks, md_nodes = _block_devices(host, warnings)
    arrays = _arrays(host, md_nodes, warnings)
    mounts = _mounts(host)
    zfs = host.which("zpool") is not None
    pools: tuple[Pool, ...] = ()
    importable: tuple[ImportablePool, ...] = ()
    datasets: tuple[str, ...] = ()
    if zfs:
        pools = _pools(host, warnings)
        importable = _importable(host, warnings)
        if pools and host.which("zfs") is not None:
            datasets = _datasets(host, warnings)
    return Inventory(
        markers=read_markers(host),
        disks=disks,
        arrays=arrays,
        pools=pools,
        importable_pools=importable,
        datasets=datasets,
        mounts=mounts,
        zfs_available=zfs,
        warnings=tuple(warnings),
        taken_at=host.clock(),
    )


def _block_devices(
    host: Host, warnings: list[str]
) -> tuple[tuple[Disk, ...], dict[str, tuple[str | None, str | None, tuple[str, ...]]]]:
    """Disks with udev identities merged in, and (fstype, uuid, mountpoints) per md node."""
    from backend.parse.lsblk import parse_lsblk

    result = host.run(LSBLK_ARGV)
    if not result.ok:
        warnings.append(f"lsblk failed ({result.returncode}): {' '.join(result.tail(2))}")
        return (), {}
    try:
        parsed = parse_lsblk(result.stdout)
    except ParseError as exc:
        warnings.append(f"cannot read lsblk output: {exc}")
        return (), {}
    md_nodes: dict[str, tuple[str | None, str | None, tuple[str, ...]]] = {}
    for node in parsed.nodes:
        if node.name.startswith("md") and (node.type or "").startswith(("raid", "md", "linear")):
            md_nodes[node.name] = (node.fstype, node.fs_uuid, node.mountpoints)
    udev = host.udev()
    disks = tuple(_with_udev(disk, udev) for disk in parsed.disks)
    return disks, md_nodes


def _with_udev(disk: Disk, udev: Mapping[str, UdevInfo]) -> Disk:
    """Fill by-id/by-path links and any identity lsblk lacked from udev's database."""
    info = udev.get(disk.name)
    parts = tuple(_part_with_udev(p, udev.get(p.name)) for p in disk.partitions)
    if info is None:
        return dataclasses.replace(disk, partitions=parts)
    return dataclasses.replace(
        disk,
        serial=disk.serial or info.serial,
        wwn=disk.wwn or info.wwn,
        model=disk.model or info.model,
        by_id=info.by_id or disk.by_id,
        by_path=info.by_path or disk.by_path,
        partitions=parts,
    )


def _part_with_udev(part: Partition, info: UdevInfo | None) -> Partition:
    if info is None:
        return part
    return dataclasses.replace(
        part,
        by_id=info.by_id or part.by_id,
        by_path=info.by_path or part.by_path,
        number=part.number if part.number is not None else info.part_entry_number,
        part_type=part.part_type or info.part_entry_type,
    )


def _arrays(
    host: Host,
    md_nodes: Mapping[str, tuple[str | None, str | None, tuple[str, ...]]],
    warnings: list[str],
) -> tuple[MdArray, ...]:
    """Arrays from /proc/mdstat, or from captured `mdadm --detail` files when it is absent."""
    from backend.parse.mdstat import parse_mdstat

    arrays: tuple[MdArray, ...] = ()
    try:
        arrays = parse_mdstat(host.read_file("/proc/mdstat")).arrays
    except FileNotFoundError:
        arrays = _arrays_from_detail(host, md_nodes, warnings)
    except ParseError as exc:
        warnings.append(f"cannot read /proc/mdstat: {exc}")
    out = []
    for arr in arrays:
        fs = md_nodes.get(arr.name)
        if fs is not None:
            arr = dataclasses.replace(arr, fstype=fs[0], fs_uuid=fs[1], mountpoints=fs[2])
        out.append(arr)
    return tuple(out)


def _arrays_from_detail(
    host: Host,
    md_nodes: Mapping[str, object],
    warnings: list[str],
) -> tuple[MdArray, ...]:
    """No /proc/mdstat (a partial capture): ask `mdadm --detail` for each known array."""
    from backend.parse.mdadm import (
        detail_to_array,
        export_to_array,
        parse_detail,
        parse_detail_export,
    )

    names: list[str] = list(md_nodes)
    if isinstance(host, ArrayHints):
        names += [n for n in host.array_names() if n not in names]
    out: list[MdArray] = []
    for name in names:
        text = host.run(("mdadm", "--detail", f"/dev/{name}"))
        try:
            if text.ok:
                out.append(detail_to_array(parse_detail(text.stdout), name))
                continue
            export = host.run(("mdadm", "--detail", "--export", f"/dev/{name}"))
            if export.ok:
                out.append(export_to_array(parse_detail_export(export.stdout), name))
        except ParseError as exc:
            warnings.append(f"cannot read mdadm --detail of {name}: {exc}")
    return tuple(out)


def read_markers(host: Host) -> tuple[str, ...]:
    """Ids of steps marked done in this boot (see MARKER_FILE)."""
    try:
        text = host.read_file(MARKER_FILE)
    except (OSError, PermissionError):
        return ()
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _mounts(host: Host) -> tuple[Mount, ...]:
    try:
        text = host.read_file("/proc/self/mounts")
    except FileNotFoundError:
        return ()
    return parse_mounts(text)


def parse_mounts(text: str) -> tuple[Mount, ...]:
    """Lines of /proc/self/mounts; octal escapes (\\040 for a space) decoded."""
    out = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        out.append(Mount(_unescape(fields[0]), _unescape(fields[1]), fields[2]))
    return tuple(out)


def _unescape(field: str) -> str:
    if "\\" not in field:
        return field
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and i + 3 < len(field) and field[i + 1 : i + 4].isdigit():
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def _pools(host: Host, warnings: list[str]) -> tuple[Pool, ...]:
    from backend.parse.zpool_json import parse_zpool_status_json
    from backend.parse.zpool_status import parse_zpool_status

    result = host.run(ZPOOL_STATUS_ARGV)
    if result.ok:
        try:
            return parse_zpool_status(result.stdout)
        except ParseError as exc:
            warnings.append(f"cannot read zpool status: {exc}")
    # A replay may hold only the JSON form.
    result_json = host.run(("zpool", "status", "-j", "-P"))
    if result_json.ok:
        try:
            return parse_zpool_status_json(result_json.stdout)
        except ParseError as exc:
            warnings.append(f"cannot read zpool status -j: {exc}")
    elif not result.ok:
        warnings.append(f"zpool status failed: {' '.join(result.tail(2))}")
    return ()


def _importable(host: Host, warnings: list[str]) -> tuple[ImportablePool, ...]:
    from backend.parse.zpool_import import parse_zpool_import

    result = host.run(ZPOOL_IMPORT_ARGV)
    text = result.stdout + result.stderr
    if "no pools available" in text:
        return ()
    if not result.ok and not result.stdout.strip():
        warnings.append(f"zpool import could not look for pools: {' '.join(result.tail(1))}")
        return ()
    try:
        return parse_zpool_import(result.stdout)
    except ParseError as exc:
        warnings.append(f"cannot read zpool import: {exc}")
        return ()


def _datasets(host: Host, warnings: list[str]) -> tuple[str, ...]:
    result = host.run(ZFS_LIST_ARGV)
    if not result.ok:
        warnings.append(f"zfs list failed: {' '.join(result.tail(1))}")
        return ()
    return tuple(line.strip() for line in result.stdout.splitlines() if line.strip())


def inventory_to_json(inv: Inventory) -> dict[str, object]:
    """The public `status --json` document (see README: keep it stable)."""
    from backend.parse.lsblk_report import disk_to_json
    from backend.parse.zpool_status import pool_to_json

    return {
        "arrays": [array_to_json(a) for a in inv.arrays],
        "pools": [pool_to_json(p) for p in inv.pools],
        "importable_pools": [
            {"name": p.name, "id": p.id, "state": p.state} for p in inv.importable_pools
        ],
        "disks": [disk_to_json(d) for d in inv.disks],
    }


def array_to_json(arr: MdArray) -> dict[str, object]:
    """One element of `arrays` in `status --json`."""
    sync = arr.sync
    return {
        "name": arr.name,
        "state": arr.state,
        "read_only": arr.read_only,
        "level": arr.level,
        "size_kib": arr.size_kib,
        "raid_disks": arr.raid_disks,
        "active_disks": arr.active_disks,
        "slots": arr.slots,
        "degraded": arr.degraded,
        "members": [
            {"device": m.device, "slot": m.slot, "flags": list(m.flags)} for m in arr.members
        ],
        "sync": None
        if sync is None
        else {
            "action": sync.action,
            "state": sync.state,
            "percent": sync.percent,
            "done_kib": sync.done_kib,
            "total_kib": sync.total_kib,
            "speed_kib_s": sync.speed_kib_s,
            "eta_s": sync.eta_s,
        },
    }


def dumps(doc: object, *, indent: int | None = 2) -> str:
    """JSON text with a stable key order as written."""
    return json.dumps(doc, indent=indent)


__all__ = (
    "MARKER_FILE",
    "inventory_to_json",
    "parse_mounts",
    "read_markers",
    "take_inventory",
)
