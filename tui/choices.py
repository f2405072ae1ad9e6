"""The operator's choices (roles, pool, datasets, encryption) and their validation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from backend.model import Disk, Inventory

DEFAULT_DATASETS = ("root", "root/nix", "root/var", "root/tmp", "root/etc")
RESERVED = ("mirror", "raidz", "draid", "spare", "log")
POOL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]*$")
DATASET_RE = re.compile(r"^[A-Za-z0-9_.:-]+(/[A-Za-z0-9_.:-]+)*$")


@dataclass(frozen=True)
class Choices:
    """Everything the operator decides before the plan is built."""

    array: str = "md0"  # R
    disk_a: str = ""  # kernel names as chosen on screen; the plan binds to identities
    disk_b: str = ""
    disk_c: str = ""
    pool: str = "tank"
    datasets: tuple[str, ...] = DEFAULT_DATASETS
    encrypt: bool = False
    boot_mib: int = 2048
    passphrase: str = field(default="", repr=False, compare=False)

    def badges(self) -> dict[str, str]:
        """Disk name -> role letter, for the panes."""
        out = {}
        for letter, name in (("A", self.disk_a), ("B", self.disk_b), ("C", self.disk_c)):
            if name:
                out[name] = letter
        return out


def pool_name_problem(name: str) -> str | None:
    """Why a pool name is not valid for ZFS, or None."""
    if not name:
        return "the pool needs a name"
    if not POOL_RE.match(name):
        return "a pool name starts with a letter and holds only letters, digits, _ - . :"
    if any(name.startswith(r) for r in RESERVED):
        return f"'{name}' starts with a name ZFS reserves ({', '.join(RESERVED)})"
    if re.match(r"^c[0-9]", name):
        return "a pool name may not look like a disk (c0...)"
    return None


def _in_use(disk: Disk) -> str | None:
    if disk.mountpoints or any(p.mountpoints for p in disk.partitions):
        return "is mounted"
    if disk.holders or any(p.holders for p in disk.partitions):
        return "is in use by " + ", ".join(
            disk.holders + tuple(h for p in disk.partitions for h in p.holders)
        )
    if any(p.fstype == "zfs_member" for p in disk.partitions):
        return "holds a ZFS pool member"
    return None


def _member_disk(inv: Inventory, disk: Disk, array: str) -> bool:
    arr = inv.array(array)
    if arr is None:
        return False
    names = {p.name for p in disk.partitions} | {disk.name}
    return any(m.device in names for m in arr.members)


def validate(inv: Inventory, c: Choices) -> dict[str, str]:
    """Field name -> clear refusal; empty when the choices are acceptable."""
    errors: dict[str, str] = {}
    arr = inv.array(c.array)
    if arr is None:
        errors["array"] = f"there is no md array named {c.array}"
    elif arr.level != "raid1":
        errors["array"] = f"{c.array} is {arr.level}, not raid1"
    disks: dict[str, Disk] = {}
    for fld, name in (("disk_a", c.disk_a), ("disk_b", c.disk_b), ("disk_c", c.disk_c)):
        disk = inv.disk(name) if name else None
        if disk is None:
            errors[fld] = "choose a disk" if not name else f"there is no disk {name}"
        elif disk.name in {d.name for d in disks.values()}:
            errors[fld] = f"{disk.name} already has another role"
        else:
            disks[fld] = disk
    a, b, cdisk = disks.get("disk_a"), disks.get("disk_b"), disks.get("disk_c")
    for fld, disk in (("disk_a", a), ("disk_b", b)):
        if disk is not None and arr is not None and not _member_disk(inv, disk, c.array):
            errors[fld] = f"{disk.name} holds no member of {c.array}"
    if cdisk is not None:
        problem = _in_use(cdisk)
        if problem:
            errors["disk_c"] = f"{cdisk.name} {problem}"
        elif a is not None and cdisk.size_bytes < a.size_bytes:
            errors["disk_c"] = f"{cdisk.name} is smaller than {a.name}"
    problem = pool_name_problem(c.pool)
    if problem:
        errors["pool"] = problem
    elif inv.pool(c.pool) or any(p.name == c.pool for p in inv.importable_pools):
        errors["pool"] = f"a pool named {c.pool} already exists (imported or importable)"
    bad = [d for d in c.datasets if not DATASET_RE.match(d)]
    if bad:
        errors["datasets"] = "not valid dataset names: " + ", ".join(bad)
    elif "root" not in c.datasets:
        errors["datasets"] = "'root' (the new /) must be among the datasets"
    if c.encrypt and len(c.passphrase) < 8:
        errors["passphrase"] = "a ZFS passphrase has at least 8 characters"
    if not 256 <= c.boot_mib <= 16384:
        errors["boot_mib"] = "/boot between 256 and 16384 MiB"
    return errors
