"""`lsblk --json` -> block-device nodes and model Disks.

Three eras of lsblk JSON are read alike:

* util-linux < 2.33: every value is a string ("rm": "1", "size": "14.3G" or "500107862016"
  with --bytes), booleans are "0"/"1", and a singular "mountpoint";
* 2.33 and later: typed values (numbers, true/false, null);
* 2.37 and later: a "mountpoints" array (with null entries for "not mounted") beside or
  instead of "mountpoint".

The tree is kept as lsblk prints it: a device can appear more than once (an md array is a
child of each member partition), so `Lsblk.nodes` holds one entry per occurrence with its
own parent, while `Lsblk.disks` holds each whole disk once.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from backend.model import Disk, Partition
from backend.parse.errors import ParseError

__all__ = ["BlockNode", "Lsblk", "LsblkParseError", "parse_lsblk", "size_to_bytes"]


class LsblkParseError(ParseError):
    """lsblk JSON that cannot be read."""


@dataclass(frozen=True)
class BlockNode:
    """One occurrence of a block device in lsblk's tree, with typed, normalised fields."""

    name: str
    path: str | None
    type: str | None  # "disk", "part", "raid1", "md", "lvm", "crypt", "loop", "rom", ...
    size_bytes: int | None
    parent: str | None  # the name of the node this occurrence hangs under in the tree
    depth: int
    fstype: str | None = None
    fs_uuid: str | None = None
    fs_label: str | None = None
    part_type: str | None = None  # as lsblk prints it (lower-case GUID, "0x83")
    part_label: str | None = None
    part_uuid: str | None = None
    model: str | None = None
    serial: str | None = None
    wwn: str | None = None
    vendor: str | None = None
    transport: str | None = None
    rotational: bool | None = None
    read_only: bool = False
    pttype: str | None = None
    ptuuid: str | None = None
    mountpoints: tuple[str, ...] = ()
    children: tuple[str, ...] = ()
    # Every key lsblk printed for this device (without "children"), values untouched.
    raw: Mapping[str, object] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Lsblk:
    """A parsed lsblk document: every node in document order, and the whole disks."""

    nodes: tuple[BlockNode, ...]
    disks: tuple[Disk, ...]


# Binary multipliers: lsblk's human-readable sizes are powers of 1024 ("1.8T", "512M").
_SIZE_RE = re.compile(r"([0-9]{1,30}(?:[.,][0-9]{1,30})?)\s*([BKMGTPEZY]?)(?:i?B)?", re.IGNORECASE)
# Bounded so a corrupt 5000-digit value is refused instead of tripping int()'s digit limit.
_DIGITS = re.compile(r"[0-9]{1,30}")
_POWERS = {"": 0, "B": 0, "K": 1, "M": 2, "G": 3, "T": 4, "P": 5, "E": 6, "Z": 7, "Y": 8}
_GUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_MBR_RE = re.compile(r"(?:0x)?([0-9a-fA-F]{1,2})")
_TRAILING_DIGITS = re.compile(r"[0-9]+$")


def size_to_bytes(value: object, what: str = "size") -> int | None:
    """A size as lsblk prints it (int, "500107862016", "1.8T", "0B", null) in bytes.

    Human-readable sizes ("1.8T", without --bytes) are rounded by lsblk, so the bytes are
    approximate; the inventory always runs --bytes, which is exact.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise LsblkParseError(f"{what}: expected a size, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise LsblkParseError(f"{what}: negative size {value}")
        return value
    if isinstance(value, float):
        if not math.isfinite(value) or value < 0:
            raise LsblkParseError(f"{what}: not a size: {value!r}")
        return round(value)
    if isinstance(value, str):
        text = value.strip()
        if _DIGITS.fullmatch(text):
            return int(text)
        m = _SIZE_RE.fullmatch(text)
        if m:
            # Some locales print a decimal comma; the inventory runs with LC_ALL=C, but
            # captures from elsewhere may not.
            number = float(m.group(1).replace(",", "."))
            return round(number * (1 << (10 * _POWERS[m.group(2).upper()])))
    raise LsblkParseError(f"{what}: not a size: {value!r}")


def _text(dev: Mapping[str, Any], key: str, *, strip: bool = False) -> str | None:
    """A string column: null and "" become None; numbers (rare, hand-made JSON) become text."""
    value = dev.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise LsblkParseError(f"{key}: expected a string, got {value!r}")
    text = str(value)
    if strip:
        # vendor is space-padded ("ATA     "), model and serial can be too.
        text = text.strip()
    return text or None


def _flag(dev: Mapping[str, Any], key: str) -> bool | None:
    """A boolean column: true/false (typed era), "1"/"0" (old era), or null."""
    value = dev.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("0", "1", "true", "false"):
        return value.strip().lower() in ("1", "true")
    raise LsblkParseError(f"{key}: expected a boolean, got {value!r}")


def _mountpoints(dev: Mapping[str, Any]) -> tuple[str, ...]:
    """Where a device is mounted; "mountpoints" (2.37+) wins over the singular column."""
    if "mountpoints" in dev and dev["mountpoints"] is not None:
        value = dev["mountpoints"]
        if not isinstance(value, list):
            raise LsblkParseError(f"mountpoints: expected a list, got {value!r}")
        out: list[str] = []
        for item in value:
            if item is None:  # lsblk prints [null] for a device that is not mounted
                continue
            if not isinstance(item, str):
                raise LsblkParseError(f"mountpoints: expected strings, got {item!r}")
            if item:
                out.append(item)
        return tuple(out)
    single = _text(dev, "mountpoint")
    return (single,) if single else ()


def _name(dev: Mapping[str, Any]) -> str:
    """The kernel name; `-o path,...` output has only the path (pve-storage's fixtures)."""
    for key in ("name", "kname"):
        value = _text(dev, key)
        if value:
            return value
    path = _text(dev, "path")
    if path:
        return path.rstrip("/").rsplit("/", 1)[-1] or path
    raise LsblkParseError("a device has no name, kname or path")


def _node(
    dev: Mapping[str, Any], parent: str | None, depth: int, children: tuple[str, ...]
) -> BlockNode:
    raw = MappingProxyType({k: v for k, v in dev.items() if k != "children"})
    return BlockNode(
        name=_name(dev),
        path=_text(dev, "path"),
        type=_text(dev, "type"),
        size_bytes=size_to_bytes(dev.get("size")),
        parent=parent,
        depth=depth,
        fstype=_text(dev, "fstype"),
        fs_uuid=_text(dev, "uuid"),
        fs_label=_text(dev, "label"),
        part_type=_text(dev, "parttype"),
        part_label=_text(dev, "partlabel"),
        part_uuid=_text(dev, "partuuid"),
        model=_text(dev, "model", strip=True),
        serial=_text(dev, "serial", strip=True),
        wwn=_text(dev, "wwn", strip=True),
        vendor=_text(dev, "vendor", strip=True),
        transport=_text(dev, "tran", strip=True),
        rotational=_flag(dev, "rota"),
        read_only=bool(_flag(dev, "ro")),
        pttype=_text(dev, "pttype"),
        ptuuid=_text(dev, "ptuuid"),
        mountpoints=_mountpoints(dev),
        children=children,
        raw=raw,
    )


def _children(dev: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    kids = dev.get("children")
    if kids is None:
        return []
    if not isinstance(kids, list) or not all(isinstance(k, dict) for k in kids):
        raise LsblkParseError("children: expected a list of objects")
    return kids


def _load(text: str) -> list[Mapping[str, Any]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        lines = text.splitlines()
        line = lines[exc.lineno - 1] if 0 < exc.lineno <= len(lines) else None
        raise LsblkParseError(f"not JSON: {exc.msg}", exc.lineno, line) from None
    except (RecursionError, ValueError) as exc:  # absurd nesting, or huge integer literals
        raise LsblkParseError(f"not JSON: {exc}") from None
    if not isinstance(doc, dict) or "blockdevices" not in doc:
        raise LsblkParseError('expected an object with "blockdevices"')
    devices = doc["blockdevices"]
    if not isinstance(devices, list) or not all(isinstance(d, dict) for d in devices):
        raise LsblkParseError("blockdevices: expected a list of objects")
    return devices


def parse_lsblk(text: str) -> Lsblk:
    """Parse `lsblk --json` (any era, any columns; `--bytes --output-all` is what we run)."""
    devices = _load(text)
    nodes: list[BlockNode] = []
    kids_of: list[list[int]] = []  # per occurrence: indices of its child occurrences
    # Walk with an explicit stack: document order, and no recursion limit to trip over.
    stack: list[tuple[Mapping[str, Any], str | None, int, int | None]] = [
        (dev, None, 0, None) for dev in reversed(devices)
    ]
    while stack:
        dev, parent, depth, parent_idx = stack.pop()
        kids = _children(dev)
        node = _node(dev, parent, depth, tuple(_name(k) for k in kids))
        idx = len(nodes)
        nodes.append(node)
        kids_of.append([])
        if parent_idx is not None:
            kids_of[parent_idx].append(idx)
        stack.extend((kid, node.name, depth + 1, idx) for kid in reversed(kids))
    _link_flat_list(nodes, kids_of)
    return Lsblk(nodes=tuple(nodes), disks=_disks(nodes, kids_of))


def _link_flat_list(nodes: list[BlockNode], kids_of: list[list[int]]) -> None:
    """`lsblk --list` has no tree: hang nodes under their "pkname" so disks get partitions."""
    if any(node.depth for node in nodes):
        return
    first: dict[str, int] = {}
    for idx, node in enumerate(nodes):
        first.setdefault(node.name, idx)
    for idx, node in enumerate(nodes):
        pkname = node.raw.get("pkname")
        if isinstance(pkname, str) and pkname in first and first[pkname] != idx:
            kids_of[first[pkname]].append(idx)


def _unique(names: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def normalise_part_type(value: str | None) -> str | None:
    """lsblk's partition type as the model stores it: GPT GUID upper case, MBR id "fd"."""
    if value is None:
        return None
    value = value.strip()
    if _GUID_RE.fullmatch(value):
        return value.upper()
    m = _MBR_RE.fullmatch(value)
    if m:
        # sfdisk prints MBR types as "%x" ("83", "5"); lsblk as "0x83", "0x5".
        return f"{int(m.group(1), 16):x}"
    return value or None


def _partition_number(node: BlockNode) -> int | None:
    partn = node.raw.get("partn")
    if isinstance(partn, int) and not isinstance(partn, bool):
        return partn
    if isinstance(partn, str) and _DIGITS.fullmatch(partn.strip()):
        return int(partn)
    # sda10 -> 10, nvme0n1p3 -> 3, mmcblk0p1 -> 1: the partition number is the name's tail.
    m = _TRAILING_DIGITS.search(node.name)
    return int(m.group(0)) if m and _DIGITS.fullmatch(m.group(0)) else None


def _by_id(node: BlockNode) -> tuple[str, ...]:
    # util-linux 2.39 added ID-LINK (the preferred /dev/disk/by-id name); older lsblk has none.
    link = node.raw.get("id-link")
    return (f"/dev/disk/by-id/{link}",) if isinstance(link, str) and link else ()


def _start_sector(node: BlockNode) -> int | None:
    # START is a sector number, printed as a number (typed era) or a digit string (old era).
    value = node.raw.get("start")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        return int(value)
    return None


def _partition(node: BlockNode, holders: tuple[str, ...]) -> Partition:
    return Partition(
        name=node.name,
        path=node.path or f"/dev/{node.name}",
        size_bytes=node.size_bytes or 0,
        number=_partition_number(node),
        start_sector=_start_sector(node),
        part_type=normalise_part_type(node.part_type),
        part_label=node.part_label,
        part_uuid=node.part_uuid,
        fstype=node.fstype,
        fs_label=node.fs_label,
        fs_uuid=node.fs_uuid,
        mountpoints=node.mountpoints,
        holders=holders,
        by_id=_by_id(node),
    )


def _disks(nodes: list[BlockNode], kids_of: list[list[int]]) -> tuple[Disk, ...]:
    disks: list[Disk] = []
    seen: set[str] = set()
    for idx, node in enumerate(nodes):
        if node.type != "disk" or node.name in seen:
            continue
        seen.add(node.name)
        parts: list[Partition] = []
        holders: list[str] = []
        for kid_idx in kids_of[idx]:
            kid = nodes[kid_idx]
            if kid.type == "part":
                part_holders = _unique([nodes[k].name for k in kids_of[kid_idx]])
                parts.append(_partition(kid, part_holders))
            else:  # a whole-disk md member, LVM PV, LUKS container, multipath map, ...
                holders.append(kid.name)
        disks.append(
            Disk(
                name=node.name,
                path=node.path or f"/dev/{node.name}",
                # A disk lsblk printed without a size is reported as 0 bytes, which every
                # "large enough?" check refuses, rather than guessed.
                size_bytes=node.size_bytes or 0,
                model=node.model,
                serial=node.serial,
                wwn=node.wwn,
                vendor=node.vendor,
                transport=node.transport,
                rotational=node.rotational,
                pttype=node.pttype,
                ptuuid=node.ptuuid,
                fstype=node.fstype,
                mountpoints=node.mountpoints,
                holders=_unique(holders),
                read_only=node.read_only,
                by_id=_by_id(node),
                partitions=tuple(parts),
            )
        )
    return tuple(disks)
