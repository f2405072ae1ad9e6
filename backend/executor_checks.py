"""What the executor reads off a fresh inventory: the state in words, the progress of running
syncs, and the re-check of a destructive step's target disks (DESIGN.md §3.2).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from backend.events import Progress
from backend.model import Disk, Inventory, MdArray, Partition, Pool
from backend.plan.step import Destroys, Step
from backend.units import human_rate


def _array_text(arr: MdArray) -> str:
    parts = [arr.name]
    if arr.state != "active":
        parts.append(arr.state)
    if arr.slots:
        parts.append(f"[{arr.slots}]")
    members = []
    for m in arr.members:
        flag = "" if m.in_sync else "(" + ",".join(m.flags or m.state or ("not in sync",)) + ")"
        members.append(m.device + flag)
    if members:
        parts.append(" ".join(members))
    if arr.sync is not None:
        pct = f" {arr.sync.percent:.1f}%" if arr.sync.percent is not None else ""
        parts.append(f"{arr.sync.action} {arr.sync.state}{pct}")
    return " ".join(parts)


def _pool_text(pool: Pool) -> str:
    leaves = " ".join(leaf.name.rsplit("/", 1)[-1] for leaf in pool.leaves())
    text = f"pool {pool.name} {pool.state} ({leaves})"
    if pool.scan is not None and pool.scan.state == "running":
        pct = f" {pool.scan.percent:.1f}%" if pool.scan.percent is not None else ""
        text += f" {pool.scan.function}{pct}"
    return text


def describe_state(inv: Inventory) -> str:
    """The migration-relevant state of the machine in one line: arrays, pools, / and /mnt."""
    parts = [_array_text(a) for a in inv.arrays]
    parts += [_pool_text(p) for p in inv.pools]
    root = inv.mount_at("/")
    if root is not None:
        parts.append(f"/ on {root.source}")
    mnt = inv.mount_at("/mnt")
    if mnt is not None:
        parts.append(f"/mnt on {mnt.source}")
    return "; ".join(parts) if parts else "no md arrays, no pools"


class InventoryError(Exception):
    """The live system could not be read well enough to decide a step."""


# Inventory warnings that mean the md side of the machine was not read: deciding "done or
# not" on such a snapshot could re-run a step that is done (the ZFS side may warn legitimately
# before ZFS is enabled).
_BLIND = ("lsblk failed", "cannot read lsblk", "cannot read /proc/mdstat", "cannot read mdadm")


def unreliable(inv: Inventory) -> str | None:
    """Why this inventory cannot be trusted to decide a step (None when it can)."""
    if not inv.disks:
        return "the inventory shows no disks at all"
    blind = [w for w in inv.warnings if w.startswith(_BLIND)]
    return "; ".join(blind) if blind else None


def sync_progress(step_id: str, inv: Inventory) -> list[Progress]:
    """One Progress per running md sync and pool scan (percent capped at 100: a resilver
    can report more than 100% while it catches up with new writes)."""
    out: list[Progress] = []
    for arr in inv.arrays:
        s = arr.sync
        if s is None:
            continue
        label = f"{arr.name} {s.action}" + ("" if s.state == "running" else f" ({s.state})")
        speed = human_rate(s.speed_kib_s * 1024) if s.speed_kib_s else None
        pct = min(s.percent, 100.0) if s.percent is not None else None
        out.append(Progress(step_id, label, pct, speed, s.eta_s))
    for pool in inv.pools:
        scan = pool.scan
        if scan is None or scan.state != "running":
            continue
        speed = human_rate(scan.rate_bytes_s) if scan.rate_bytes_s else None
        pct = min(scan.percent, 100.0) if scan.percent is not None else None
        out.append(Progress(step_id, f"{pool.name} {scan.function}", pct, speed, scan.eta_s))
    return out


@dataclass(frozen=True)
class Target:
    """A destructive step's target as found in the live system."""

    destroys: Destroys
    disk: Disk
    partition: Partition | None  # None: the whole disk


def _aliases(part: Partition) -> set[str]:
    return {part.path, *part.by_id, *part.by_path}


def _named_in(step: Step, *names: str) -> bool:
    """True when an argv of the step names this array or pool (the step works on it)."""
    wanted = set(names)
    return any(tok in wanted for argv in step.argvs() for tok in argv)


def _find_target(d: Destroys, disk: Disk) -> Partition | str | None:
    """The partition (or None for the whole disk) the Destroys names, or a problem text."""
    dev = d.device
    node = dev.removeprefix("/dev/")
    if node == disk.name:
        return None
    for part in disk.partitions:
        if node == part.name or dev in _aliases(part):
            return part
    rest = node.removeprefix(disk.name).removeprefix("p")
    if node.startswith(disk.name) and rest.isdigit():
        # A partition the step itself creates: nothing is on it yet to be in use.
        return Partition(name=node, path=dev, size_bytes=0)
    return f"{d.identity} is now {disk.path}, but the plan names {dev}: rebuild the plan"


def _uses(step: Step, inv: Inventory, parts: Iterable[Partition]) -> list[str]:
    """Mounts and memberships of these partitions that the step does not itself name."""
    problems: list[str] = []
    for part in parts:
        for mp in part.mountpoints:
            what = "is active swap" if mp == "[SWAP]" else f"is mounted at {mp}"
            problems.append(f"{part.path} {what}")
        for m in inv.mounts:
            if (
                m.source in _aliases(part)
                and f"{part.path} is mounted at {m.target}" not in problems
            ):
                problems.append(f"{part.path} is mounted at {m.target}")
        holders = set(part.holders)
        holders |= {a.name for a in inv.arrays if a.member(part.name) is not None}
        for h in sorted(holders):
            if not _named_in(step, h, f"/dev/{h}"):
                problems.append(f"{part.path} is in use by {h}")
        for pool in inv.pools:
            if any(leaf.name in _aliases(part) for leaf in pool.leaves()) and not _named_in(
                step, pool.name
            ):
                problems.append(f"{part.path} is part of pool {pool.name}")
    return problems


def recheck_destroys(
    step: Step, inv: Inventory, reference: Inventory | None
) -> tuple[list[Target], list[str]]:
    """Re-resolve each target of a destructive step against the live system.

    Returns the targets found and the problems that forbid the step: the disk is missing
    or ambiguous, answers to another device node than the plan says, changed size since
    the plan was made (swapped for another disk), or is mounted, swapped on, or in use by
    an array or pool the step does not itself work on.
    """
    targets: list[Target] = []
    problems: list[str] = []
    for d in step.destroys:
        found = inv.resolve(d.identity)
        if not found:
            problems.append(f"no disk answers to {d.identity} (the plan says {d.device})")
            continue
        if len(found) > 1:
            names = ", ".join(x.path for x in found)
            problems.append(f"more than one disk answers to {d.identity}: {names}")
            continue
        disk = found[0]
        target = _find_target(d, disk)
        if isinstance(target, str):
            problems.append(target)
            continue
        if reference is not None:
            before = reference.resolve(d.identity)
            if len(before) == 1 and before[0].size_bytes != disk.size_bytes:
                problems.append(
                    f"{d.identity} was {before[0].size_bytes} bytes when the plan was made and "
                    f"is {disk.size_bytes} bytes now: is it the same disk?"
                )
        if target is None:
            parts: tuple[Partition, ...] = disk.partitions
            for mp in disk.mountpoints:
                problems.append(f"{disk.path} is mounted at {mp}")
            for h in disk.holders:
                if not _named_in(step, h, f"/dev/{h}"):
                    problems.append(f"{disk.path} is in use by {h}")
        else:
            parts = (target,)
        problems += _uses(step, inv, parts)
        targets.append(Target(d, disk, target))
    return targets, problems
