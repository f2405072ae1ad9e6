"""Block-device views: `lsblk --json --bytes --output-all` (util-linux 2.38.1, key order and
layout copied from the real tool), `sfdisk -d` / `sfdisk --json`, `wipefs` listings,
/proc/swaps and /proc/self/mounts."""

from __future__ import annotations

import json
from typing import Any

from backend.sim.state import GPT_TYPE_NAMES, SECTOR, Content, SimArray, SimDisk, SimState

# The 2.38.1 column order of --output-all, as printed in JSON.
LSBLK_KEYS = [
    "alignment",
    "disc-aln",
    "dax",
    "disc-gran",
    "disc-max",
    "disc-zero",
    "fsavail",
    "fsroots",
    "fssize",
    "fstype",
    "fsused",
    "fsuse%",
    "fsver",
    "group",
    "hctl",
    "hotplug",
    "kname",
    "label",
    "log-sec",
    "maj:min",
    "min-io",
    "mode",
    "model",
    "name",
    "opt-io",
    "owner",
    "partflags",
    "partlabel",
    "parttype",
    "parttypename",
    "partuuid",
    "path",
    "phy-sec",
    "pkname",
    "pttype",
    "ptuuid",
    "ra",
    "rand",
    "rev",
    "rm",
    "ro",
    "rota",
    "rq-size",
    "sched",
    "serial",
    "size",
    "start",
    "state",
    "subsystems",
    "mountpoint",
    "mountpoints",
    "tran",
    "type",
    "uuid",
    "vendor",
    "wsame",
    "wwn",
    "zoned",
    "zone-sz",
    "zone-wgran",
    "zone-app",
    "zone-nr",
    "zone-omax",
    "zone-amax",
]


def _fs_columns(state: SimState, dev: str, content: Content | None, size: int) -> dict[str, Any]:
    mounts = state.mounted_at(f"/dev/{dev}")
    if dev in state.swaps:
        mounts = ["[SWAP]"]
    cols: dict[str, Any] = {
        "fstype": content.fstype if content else None,
        "fsver": content.version if content else None,
        "label": content.label if content else None,
        "uuid": content.uuid if content else None,
        "fsavail": None,
        "fssize": None,
        "fsused": None,
        "fsuse%": None,
        "mountpoint": mounts[0] if mounts else None,
        "mountpoints": mounts or [None],
        "fsroots": ["/" if m != "[SWAP]" else None for m in mounts] or [None],
    }
    if content is not None and content.fstype == "ext4" and mounts and mounts[0] != "[SWAP]":
        fssize = size * 98 // 100 // 4096 * 4096
        used = min(content.used_bytes, fssize)
        avail = max(0, fssize - used - fssize // 20)
        pct = -(-100 * used // max(1, used + avail))
        cols.update({"fssize": fssize, "fsused": used, "fsavail": avail, "fsuse%": f"{pct}%"})
    return cols


def _base(name: str, major: int, minor: int, size: int) -> dict[str, Any]:
    return {
        "alignment": 0,
        "disc-aln": 0,
        "dax": False,
        "disc-gran": 512,
        "disc-max": 2147450880,
        "disc-zero": False,
        "group": "disk",
        "hctl": None,
        "hotplug": False,
        "kname": name,
        "log-sec": 512,
        "maj:min": f"{major}:{minor}",
        "min-io": 512,
        "mode": "brw-rw----",
        "model": None,
        "name": name,
        "opt-io": 0,
        "owner": "root",
        "partflags": None,
        "partlabel": None,
        "parttype": None,
        "parttypename": None,
        "partuuid": None,
        "path": f"/dev/{name}",
        "phy-sec": 512,
        "pkname": None,
        "pttype": None,
        "ptuuid": None,
        "ra": 128,
        "rand": False,
        "rev": None,
        "rm": False,
        "ro": False,
        "rota": False,
        "rq-size": 64,
        "sched": "mq-deadline",
        "serial": None,
        "size": size,
        "start": None,
        "state": None,
        "subsystems": "block:scsi:pci",
        "tran": None,
        "type": "disk",
        "vendor": None,
        "wsame": 0,
        "wwn": None,
        "zoned": "none",
        "zone-sz": 0,
        "zone-wgran": 0,
        "zone-app": 0,
        "zone-nr": 0,
        "zone-omax": 0,
        "zone-amax": 0,
    }


def _array_node(state: SimState, arr: SimArray, parent: str) -> dict[str, Any]:
    size = 0 if arr.inactive else arr.size_kib * 1024
    node = _base(arr.name, 9, arr.minor, size)
    node.update(
        {
            "pkname": parent,
            "type": arr.level,
            "sched": None,
            "rq-size": 128,
            "subsystems": "block",
            "state": "active" if arr.sync else "clean",
            "disc-gran": 0,
            "disc-max": 0,
            "log-sec": 512,
        }
    )
    if arr.inactive:
        node.update({"type": "md", "state": "inactive"})
    node.update(_fs_columns(state, arr.name, None if arr.inactive else arr.content, size))
    return node


def _disk_node(state: SimState, disk: SimDisk) -> dict[str, Any]:
    node = _base(disk.name, disk.major, disk.minor, disk.size_bytes)
    node.update(
        {
            "hctl": disk.hctl,
            "model": disk.model,
            "serial": disk.serial,
            "rev": disk.rev,
            "state": "running",
            "tran": disk.transport,
            "vendor": disk.vendor,
            "wwn": disk.wwn,
            "pttype": disk.pttype,
            "ptuuid": disk.ptuuid.lower() if disk.ptuuid else None,
            "rota": disk.rotational,
        }
    )
    node.update(_fs_columns(state, disk.name, disk.content, disk.size_bytes))
    children = []
    for part in disk.partitions:
        pname = disk.part_name(part.number)
        size = part.size * SECTOR
        child = _base(pname, disk.major, disk.minor + part.number, size)
        child.update(
            {
                "pkname": disk.name,
                "type": "part",
                "start": part.start,
                "wwn": disk.wwn,
                "pttype": disk.pttype,
                "ptuuid": node["ptuuid"],
                "partlabel": part.label,
                "parttype": part.type_guid.lower(),
                "partuuid": part.uuid.lower(),
                "parttypename": GPT_TYPE_NAMES.get(part.type_guid.upper()),
                "rota": disk.rotational,
            }
        )
        child.update(_fs_columns(state, pname, part.content, size))
        grand = [
            _array_node(state, a, pname)
            for a in state.arrays
            if a.running and any(m.device == pname for m in a.members)
        ]
        if grand:
            child["children"] = grand
        children.append(child)
    if children:
        node["children"] = children
    return node


def _write(obj: dict[str, Any], indent: int, out: list[str], first: bool = True) -> None:
    """libsmartcols' JSON layout: 3-space steps, arrays of strings indented by 4, and
    siblings joined as "},{" on one line."""
    pad = " " * indent
    if first:
        out.append(pad + "{\n")
    else:
        out[-1] = pad + "},{\n"
    keys = [k for k in LSBLK_KEYS if k in obj] + (["children"] if "children" in obj else [])
    for i, key in enumerate(keys):
        comma = "," if i < len(keys) - 1 else ""
        value = obj[key]
        if key == "children":
            out.append(f'{pad}   "children": [\n')
            for j, child in enumerate(value):
                _write(child, indent + 6, out, first=j == 0)
            out.append(f"{pad}   ]\n")
        elif isinstance(value, list):
            items = ",\n".join(" " * (indent + 7) + json.dumps(v) for v in value)
            out.append(f'{pad}   "{key}": [\n{items}\n{pad}   ]{comma}\n')
        else:
            out.append(f'{pad}   "{key}": {json.dumps(value)}{comma}\n')
    out.append(pad + "}\n")


def render_lsblk(state: SimState) -> str:
    """`lsblk --json --bytes --output-all`."""
    out: list[str] = ['{\n   "blockdevices": [\n']
    for i, disk in enumerate(state.disks):
        _write(_disk_node(state, disk), 6, out, first=i == 0)
    out.append("   ]\n}\n")
    return "".join(out)


def render_sfdisk_dump(disk: SimDisk) -> str:
    """`sfdisk -d /dev/X` (GPT)."""
    lines = [
        "label: gpt",
        f"label-id: {disk.ptuuid}",
        f"device: /dev/{disk.name}",
        "unit: sectors",
        "first-lba: 2048",
        f"last-lba: {disk.sectors - 34}",
        "sector-size: 512",
        "",
    ]
    for p in disk.partitions:
        line = (
            f"/dev/{disk.part_name(p.number)} : start={p.start:>12}, size={p.size:>12}, "
            f"type={p.type_guid}, uuid={p.uuid}"
        )
        if p.label:
            line += f', name="{p.label}"'
        lines.append(line)
    return "\n".join(lines) + "\n"


def render_sfdisk_json(disk: SimDisk) -> str:
    """`sfdisk --json /dev/X` (GPT)."""
    parts = []
    for p in disk.partitions:
        entry = (
            f'         {{\n            "node": "/dev/{disk.part_name(p.number)}",\n'
            f'            "start": {p.start},\n            "size": {p.size},\n'
            f'            "type": "{p.type_guid}",\n            "uuid": "{p.uuid}"'
        )
        if p.label:
            entry += f',\n            "name": {json.dumps(p.label)}'
        parts.append(entry + "\n         }")
    body = ",".join(parts).replace("},         {", "},{")
    return (
        '{\n   "partitiontable": {\n      "label": "gpt",\n'
        f'      "id": "{disk.ptuuid}",\n      "device": "/dev/{disk.name}",\n'
        '      "unit": "sectors",\n      "firstlba": 2048,\n'
        f'      "lastlba": {disk.sectors - 34},\n      "sectorsize": 512,\n'
        f'      "partitions": [\n{body}\n      ]\n   }}\n}}\n'
    )


def signatures(state: SimState, dev: str) -> list[tuple[int, str, str | None, str | None, str]]:
    """(offset, type, uuid, label, magic bytes) of the signatures wipefs finds on dev."""
    size = _dev_size(state, dev)
    out: list[tuple[int, str, str | None, str | None, str]] = []
    disk = state.disk(dev)
    if disk is not None and disk.pttype == "gpt":
        magic = "45 46 49 20 50 41 52 54"
        out += [
            (0x200, "gpt", None, None, magic),
            (size - SECTOR, "gpt", None, None, magic),
            (0x1FE, "PMBR", None, None, "55 aa"),
        ]
    c = state.content_of(dev)
    if c is not None:
        if c.fstype == "linux_raid_member":
            out.append(((size & ~0xFFFF) - 0x10000, c.fstype, c.uuid, c.label, "fc 4e 2b a9"))
        elif c.fstype == "ext4":
            out.append((0x438, c.fstype, c.uuid, c.label, "53 ef"))
        elif c.fstype == "swap":
            out.append((0xFF6, c.fstype, c.uuid, c.label, "53 57 41 50 53 50 41 43 45 32"))
        elif c.fstype == "zfs_member":
            for off in (0x3F000, 0x7F000, size - 0x41000, size - 0x1000):
                out.append((off, c.fstype, c.uuid, c.label, "0c b1 ba 00 00 00 00 00"))
    return sorted(out, key=lambda s: (s[1] != "gpt" and s[1] != "PMBR", s[0]))


def _dev_size(state: SimState, dev: str) -> int:
    disk = state.disk(dev)
    if disk is not None:
        return disk.size_bytes
    found = state.partition(dev)
    if found is not None:
        return found[1].size * SECTOR
    arr = state.array(dev)
    return arr.size_kib * 1024 if arr is not None else 0


def render_wipefs_list(state: SimState, dev: str) -> str:
    """`wipefs /dev/X` / `wipefs --no-act /dev/X` listing (empty when nothing is found)."""
    sigs = signatures(state, dev)
    if not sigs:
        return ""
    rows = [("DEVICE", "OFFSET", "TYPE", "UUID", "LABEL")]
    rows += [(dev, f"0x{off:x}", t, u or "", lb or "") for off, t, u, lb, _ in sigs]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "".join(
        " ".join(c.ljust(widths[i]) for i, c in enumerate(r[:4])) + " " + r[4] + "\n" for r in rows
    )


def render_swaps(state: SimState) -> str:
    """/proc/swaps."""
    lines = ["Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority"]
    for i, dev in enumerate(state.swaps):
        kib = _dev_size(state, dev) // 1024 - 4
        lines.append(f"/dev/{dev:<35}partition\t{kib}\t\t0\t\t{-2 - i}")
    return "\n".join(lines) + "\n"


def render_mounts(state: SimState) -> str:
    """/proc/self/mounts (the block and ZFS mounts; the usual pseudo filesystems first)."""
    lines = [
        "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0",
        "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0",
        "devtmpfs /dev devtmpfs rw,nosuid,size=1623472k,nr_inodes=4055867,mode=755 0 0",
        "tmpfs /run tmpfs rw,nosuid,nodev,size=8117360k,mode=755 0 0",
    ]
    for m in state.mounts:
        lines.append(f"{m.source} {m.target} {m.fstype} {m.options} 0 0")
    return "\n".join(lines) + "\n"
