"""What the live system shows about the migration: small predicates over an Inventory.

Every step's done-when is "this step's own evidence, or the evidence of any later step"
(see build.py), so each predicate here must be *sound*: false in every state before its
step has run. Disks are found by identity in the inventory given, never by a node the plan
saw earlier (sdX can change across the reboot in phase 6).
"""

from __future__ import annotations

from backend.model import Disk, Inventory, MdArray, Partition, Pool
from backend.plan.partitions import LINUX_RAID, MIB, ZFS
from backend.plan.roles import BOOT_PART, ZFS_PART, Roles, partition_name

RAID_SIGNATURE = "linux_raid_member"


def disk(inv: Inventory, roles: Roles, which: str) -> Disk | None:
    """DA, DB or DC ("a", "b", "c") in this inventory, when exactly one disk answers."""
    ident = {"a": roles.disk_a, "b": roles.disk_b, "c": roles.disk_c}[which]
    found = inv.resolve(ident)
    return found[0] if len(found) == 1 else None


def part_name(inv: Inventory, roles: Roles, which: str, number: int) -> str | None:
    """Kernel name of partition `number` of DA/DB/DC (whether it exists or not)."""
    d = disk(inv, roles, which)
    return partition_name(d.name, number) if d else None


def part(inv: Inventory, roles: Roles, which: str, number: int) -> Partition | None:
    """Partition `number` of DA/DB/DC, when it exists."""
    d = disk(inv, roles, which)
    return d.partition(number) if d else None


def arrays_with(inv: Inventory, name: str | None) -> list[MdArray]:
    """Arrays that have this partition as a member (in any state)."""
    if name is None:
        return []
    return [a for a in inv.arrays if a.member(name) is not None]


def in_sync_in(arr: MdArray | None, name: str | None) -> bool:
    """The member is in sync and the array is not recovering or reshaping."""
    if arr is None or name is None:
        return False
    m = arr.member(name)
    if m is None or not m.in_sync:
        return False
    return arr.sync is None or arr.sync.action in ("check",)


def root_on_pool(inv: Inventory, roles: Roles) -> bool:
    """/ is mounted from the new pool's root dataset (the migration has booted)."""
    root = inv.mount_at("/")
    return root is not None and root.source == roles.root_dataset


def pool_exists(inv: Inventory, roles: Roles) -> bool:
    """The new pool is imported, or / is already on it."""
    return inv.pool(roles.pool) is not None or root_on_pool(inv, roles)


def active_swap(d: Disk | None) -> list[Partition]:
    """Partitions of the disk that are active swap ("[SWAP]" in lsblk's mountpoints)."""
    if d is None:
        return []
    return [p for p in d.partitions if "[SWAP]" in p.mountpoints]


def new_layout(inv: Inventory, roles: Roles, which: str) -> bool:
    """DA or DB carries md2zfs's layout: partition 3 is ZFS, 2 is /boot of the chosen size."""
    d = disk(inv, roles, which)
    if d is None:
        return False
    boot, zfs = d.partition(BOOT_PART), d.partition(ZFS_PART)
    if boot is None or zfs is None:
        return False
    return (
        (zfs.part_type or "").upper() == ZFS
        and (boot.part_type or "").upper() in (LINUX_RAID, "FD")
        and boot.size_bytes == roles.boot_size_mib * MIB
    )


def leaf_is(leaf_name: str, p: Partition | None, name: str | None) -> bool:
    """A pool leaf (as `zpool status -P` prints it) names this partition."""
    if p is not None and leaf_name in (p.path, *p.by_id, *p.by_path):
        return True
    return name is not None and leaf_name.rsplit("/", 1)[-1] == name


def pool_has(pool: Pool | None, p: Partition | None, name: str | None) -> bool:
    """The pool has this partition as a leaf, in any state."""
    return pool is not None and any(leaf_is(v.name, p, name) for v in pool.leaves())


def pool_healthy(pool: Pool | None) -> bool:
    """No resilver running, every leaf ONLINE."""
    if pool is None:
        return False
    if pool.scan is not None and pool.scan.function == "resilver" and pool.scan.state == "running":
        return False
    leaves = pool.leaves()
    return bool(leaves) and all(v.state == "ONLINE" for v in leaves)


def boot_array_clean(inv: Inventory, roles: Roles, members: int) -> bool:
    """md1 is assembled with `members` in-sync members and nothing syncing."""
    arr = inv.array(roles.boot_array)
    if arr is None or arr.sync is not None:
        return False
    return sum(1 for m in arr.members if m.in_sync) >= members and not arr.degraded


def mounted(inv: Inventory, target: str, source: str) -> bool:
    """`source` is mounted at `target`."""
    m = inv.mount_at(target)
    return m is not None and m.source == source


def marked(inv: Inventory, step_id: str) -> bool:
    """md2zfs marked this step done in this boot."""
    return step_id in inv.markers
