"""Disk identity confirmation before anything destructive (DESIGN.md §2, §3.2).

The operator proves they looked at the right disk by typing the last characters of its
serial number, or of its /dev/disk/by-id name when it has no serial (virtio disks, some
USB bridges). A headless run may instead name the disk up front with `--confirm-disk`,
as a serial, a WWN or a by-id name: never a kernel name like `sdc`, which can change
between the plan and the step.

Pure functions over the model: the CLI prints `identity_card()` and asks on stdin, the TUI
shows the same facts in a modal; both check the answer with `typed_matches()`.
"""

from __future__ import annotations

from collections.abc import Iterable

from backend.model import Disk, Inventory, Partition
from backend.plan.step import Destroys

TAIL_LEN = 6


def _fmt_size(n: int) -> str:
    """Bytes as the decimal units disk vendors print (so it matches the label on the disk)."""
    size = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if size < 1000 or unit == "PB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"  # pragma: no cover - loop always returns


def _by_id_names(disk: Disk) -> list[str]:
    """by-id basenames, the human-readable ones (ata-, nvme-, scsi-, virtio-) before wwn-."""
    names = [p.rsplit("/", 1)[-1] for p in disk.by_id]
    return sorted(names, key=lambda n: (n.startswith(("wwn-", "nvme-eui.")), n))


def confirm_source(disk: Disk) -> tuple[str, str]:
    """(the full text the tail is taken from, what to call it in the prompt)."""
    if disk.serial:
        return disk.serial.strip(), "serial number"
    names = _by_id_names(disk)
    if names:
        return names[0], "/dev/disk/by-id name"
    if disk.by_path:
        return disk.by_path[0].rsplit("/", 1)[-1], "/dev/disk/by-path name"
    # No stable name at all: the kernel name is all there is (the checks flag this disk).
    return disk.name, "kernel name"


def expected_tail(disk: Disk) -> str:
    """What the operator must type: the last 6 characters of the serial (or by-id name)."""
    text, _ = confirm_source(disk)
    return text[-TAIL_LEN:]


def prompt_text(disk: Disk) -> str:
    """The question to ask, e.g. "type the last 6 characters of the serial number of sdc"."""
    text, what = confirm_source(disk)
    n = min(TAIL_LEN, len(text))
    return f"type the last {n} characters of the {what} of {disk.path} to confirm"


def typed_matches(disk: Disk, typed: str) -> bool:
    """True when the operator typed the expected tail (case and surrounding blanks ignored)."""
    want = expected_tail(disk)
    return bool(want) and typed.strip().casefold() == want.casefold()


def _norm_wwn(value: str) -> str:
    """A WWN without the by-id prefix, the "0x" and the case: comparable across tools."""
    v = value.strip().casefold().rsplit("/", 1)[-1]
    v = v.removeprefix("wwn-")
    return v.removeprefix("0x")


def matches_confirm_id(disk: Disk, given: str) -> bool:
    """True when a --confirm-disk value names this disk by serial, WWN or by-id name.

    A by-id name may be given with or without /dev/disk/by-id/. Kernel names are refused
    on purpose: `sdc` before a reboot may be another disk after it.
    """
    g = given.strip()
    if not g:
        return False
    if disk.serial and g.casefold() == disk.serial.strip().casefold():
        return True
    if disk.wwn and _norm_wwn(g) == _norm_wwn(disk.wwn):
        return True
    base = g.rsplit("/", 1)[-1]
    if g.startswith("/") and not g.startswith("/dev/disk/by-id/"):
        return False
    return any(base == p.rsplit("/", 1)[-1] for p in disk.by_id)


def covering_id(disk: Disk, given: Iterable[str]) -> str | None:
    """The first --confirm-disk value that names this disk, if any."""
    for g in given:
        if matches_confirm_id(disk, g):
            return g
    return None


def _part_use(part: Partition, inv: Inventory | None) -> str:
    """What lives on a partition, in words: md member, pool member, mounted, swap, empty."""
    uses: list[str] = []
    if inv is not None:
        for arr in inv.arrays:
            if arr.member(part.name) is not None:
                uses.append(f"member of {arr.name}")
        aliases = {part.path, *part.by_id, *part.by_path}
        for pool in inv.pools:
            if any(leaf.name in aliases for leaf in pool.leaves()):
                uses.append(f"in pool {pool.name}")
    for holder in part.holders:
        if not any(holder in u for u in uses):
            uses.append(f"held by {holder}")
    for mp in part.mountpoints:
        uses.append("active swap" if mp == "[SWAP]" else f"mounted at {mp}")
    if part.fstype and not uses:
        uses.append(part.fstype + (f" ({part.fs_label})" if part.fs_label else ""))
    return ", ".join(uses) if uses else "empty"


def identity_card(disk: Disk, destroys: Destroys, inv: Inventory | None = None) -> list[str]:
    """The disk's identity and what will be destroyed, as lines for a terminal."""
    lines = [
        f"DESTRUCTIVE STEP on {disk.path}: {destroys.what}",
        f"  model   : {disk.model or '(unknown)'}",
        f"  serial  : {disk.serial or '(none)'}",
        f"  WWN     : {disk.wwn or '(none)'}",
        f"  size    : {_fmt_size(disk.size_bytes)} ({disk.size_bytes} bytes)",
        f"  by-id   : {', '.join(_by_id_names(disk)) or '(none)'}",
    ]
    if disk.by_path:
        lines.append(f"  by-path : {disk.by_path[0].rsplit('/', 1)[-1]}")
    if disk.transport:
        lines.append(f"  bus     : {disk.transport}")
    if not disk.partitions:
        lines.append("  partitions: none" + (f" (signature {disk.fstype})" if disk.fstype else ""))
    else:
        lines.append("  partitions:")
        for part in disk.partitions:
            label = f" [{part.part_label}]" if part.part_label else ""
            size = _fmt_size(part.size_bytes)
            lines.append(f"    {part.name:<10} {size:>9}{label}  {_part_use(part, inv)}")
    lines.append(f"  will destroy: {destroys.what}")
    return lines
