"""Roles of the migration (DESIGN.md §1): which array, which disks, which pool.

Roles bind to stable disk identities (WWN, then serial, then by-path), never to "sdX":
`resolve` turns them into the device nodes of the moment, and refuses when an identity
names no disk or more than one. `propose_roles` reads an inventory and suggests the roles
an operator would choose; the wizard lets them edit the result.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from backend.model import Disk, DiskIdentity, Inventory, MdArray, Partition

Encryption = Literal["none", "passphrase-keyfile"]
DeployMode = Literal["nixos-rebuild", "manual"]

# Partition numbers of the layout md2zfs gives DA and DB in phases 4 and 6.
BIOS_PART = 1
BOOT_PART = 2
ZFS_PART = 3

SECTOR = 512  # lsblk's START column counts 512-byte sectors whatever the disk's own size
GPT_TAIL_SECTORS = 33  # the backup GPT (header + 32 sectors of entries) at the end of a disk


@dataclass(frozen=True)
class Dataset:
    """One dataset of the new pool, named relative to the pool ("root/nix")."""

    name: str
    mountpoint: str
    properties: tuple[tuple[str, str], ...] = ()


DEFAULT_DATASETS: tuple[Dataset, ...] = (
    Dataset("root", "/"),
    Dataset("root/nix", "/nix"),
    Dataset("root/var", "/var", (("atime", "on"),)),
    Dataset("root/tmp", "/tmp", (("sync", "disabled"),)),
    Dataset("root/etc", "/etc"),
)


@dataclass(frozen=True)
class CheckResult:
    """One check: ok or not, what was found, and how to fix it.

    A failed result blocks the plan unless `blocking` is False (then it is a warning the
    operator reads, e.g. a disk without a serial number).
    """

    id: str
    ok: bool
    message: str
    fix: str = ""
    blocking: bool = True


@dataclass(frozen=True)
class Refusal:
    """Why no plan can be made: the checks that failed."""

    checks: tuple[CheckResult, ...]

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        """The failed, blocking checks."""
        return tuple(c for c in self.checks if not c.ok and c.blocking)

    @property
    def message(self) -> str:
        """All failures in one text, each with its fix."""
        lines = []
        for c in self.failures:
            lines.append(f"{c.id}: {c.message}" + (f" (fix: {c.fix})" if c.fix else ""))
        return "\n".join(lines)


@dataclass(frozen=True)
class Roles:
    """Everything the operator decides; the plan is a function of this and the live system."""

    array: str  # R, "md0"
    member_a: int  # partition number of A on DA
    member_b: int  # partition number of B on DB
    disk_a: DiskIdentity
    disk_b: DiskIdentity
    disk_c: DiskIdentity
    pool: str = "rpool"
    datasets: tuple[Dataset, ...] = DEFAULT_DATASETS
    encryption: Encryption = "none"
    boot_size_mib: int = 2048
    deploy: DeployMode = "nixos-rebuild"
    boot_array: str = "md1"  # the new /boot array on DA and DB
    shred_c: bool = False  # overwrite DC once at the very end (slow)

    @property
    def member_c(self) -> int:
        """DC receives DA's partition table, so C has A's partition number."""
        return self.member_a

    @property
    def key_file(self) -> str:
        """Where the key file lives (on / and, through boot.initrd.secrets, in the initrd)."""
        return f"/etc/secrets/zfs-{self.pool}.key"

    @property
    def root_dataset(self) -> str:
        """The dataset mounted on / ("rpool/root")."""
        for ds in self.datasets:
            if ds.mountpoint == "/":
                return f"{self.pool}/{ds.name}"
        return f"{self.pool}/root"

    def to_json(self) -> str:
        """A JSON text that `from_json` reads back (the wizard saves the chosen roles)."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Roles:
        """Roles saved by `to_json`."""
        raw: dict[str, Any] = json.loads(text)
        raw["disk_a"] = DiskIdentity(**raw["disk_a"])
        raw["disk_b"] = DiskIdentity(**raw["disk_b"])
        raw["disk_c"] = DiskIdentity(**raw["disk_c"])
        raw["datasets"] = tuple(
            Dataset(d["name"], d["mountpoint"], tuple(tuple(p) for p in d["properties"]))
            for d in raw["datasets"]
        )
        return cls(**raw)


@dataclass(frozen=True)
class Resolved:
    """Roles bound to the device nodes of one inventory."""

    roles: Roles
    da: Disk
    db: Disk
    dc: Disk
    array: MdArray | None = field(default=None)

    def node(self, disk: Disk, number: int) -> str:
        """/dev node of partition `number` of `disk` (whether it exists yet or not)."""
        return "/dev/" + partition_name(disk.name, number)

    @property
    def a(self) -> str:
        """/dev node of A."""
        return self.node(self.da, self.roles.member_a)

    @property
    def b(self) -> str:
        """/dev node of B."""
        return self.node(self.db, self.roles.member_b)

    @property
    def c(self) -> str:
        """/dev node of C."""
        return self.node(self.dc, self.roles.member_c)


def partition_name(disk_name: str, number: int) -> str:
    """Kernel name of a partition: sda + 3 -> sda3, nvme0n1 + 3 -> nvme0n1p3."""
    sep = "p" if disk_name[-1:].isdigit() else ""
    return f"{disk_name}{sep}{number}"


def partition_of(inv: Inventory, identity: DiskIdentity, number: int) -> Partition | None:
    """The partition `number` of the one disk answering to `identity` (None otherwise)."""
    found = inv.resolve(identity)
    if len(found) != 1:
        return None
    return found[0].partition(number)


def stable_path(disk: Disk) -> str:
    """The /dev/disk path a pool and the boot loader should use for this disk.

    A by-id name (model and serial: readable, and what `boot.zfs.devNodes` looks at by
    default), then a wwn- by-id name, then by-path for disks without a serial (virtio).
    """
    named = [p for p in disk.by_id if not p.rsplit("/", 1)[-1].startswith(("wwn-", "nvme-eui."))]
    if named:
        return sorted(named)[0]
    if disk.by_id:
        return sorted(disk.by_id)[0]
    if disk.by_path:
        return disk.by_path[0]
    return disk.path


def used_extent_bytes(disk: Disk) -> int:
    """Bytes a copy of this disk's partition table needs: the end of its last partition,
    plus the backup GPT behind it."""
    end = 0
    for part in disk.partitions:
        start = (part.start_sector or 0) * SECTOR
        end = max(end, start + part.size_bytes)
    if disk.pttype == "gpt":
        end += GPT_TAIL_SECTORS * SECTOR
    return end


def resolve(roles: Roles, inv: Inventory) -> Resolved | Refusal:
    """Bind the roles' identities to this inventory's disks; refuse on 0 or >1 matches."""
    failures: list[CheckResult] = []
    disks: list[Disk] = []
    for label, ident in (("DA", roles.disk_a), ("DB", roles.disk_b), ("DC", roles.disk_c)):
        found = inv.resolve(ident)
        if len(found) == 1:
            disks.append(found[0])
            continue
        if not found:
            msg = f"no disk answers to {label}'s identity {ident}"
            fix = f"reconnect the disk with {ident}, or choose the roles again"
        else:
            names = ", ".join(d.path for d in found)
            msg = f"more than one disk answers to {label}'s identity {ident}: {names}"
            fix = "disks with the same serial cannot be told apart: bind the role by WWN or by-path"
        failures.append(CheckResult(f"resolve-{label.lower()}", False, msg, fix))
    if failures:
        return Refusal(tuple(failures))
    return Resolved(roles, disks[0], disks[1], disks[2], inv.array(roles.array))


def root_array(inv: Inventory) -> MdArray | None:
    """The md array mounted on / (by lsblk's mountpoints or /proc/self/mounts)."""
    root = inv.mount_at("/")
    for arr in inv.arrays:
        if "/" in arr.mountpoints:
            return arr
        if root is not None and root.source in (arr.path, f"/dev/md/{arr.name}"):
            return arr
    return None


def disk_in_use(inv: Inventory, disk: Disk) -> list[str]:
    """Why a disk is not blank: partitions, signatures, mounts, holders, memberships."""
    why: list[str] = []
    if disk.mountpoints:
        why.append(f"mounted at {', '.join(disk.mountpoints)}")
    if disk.holders:
        why.append(f"in use by {', '.join(disk.holders)}")
    if disk.fstype:
        why.append(f"has a {disk.fstype} signature")
    if disk.pttype or disk.partitions:
        why.append(f"has a partition table ({len(disk.partitions)} partitions)")
    names = {disk.name, *(p.name for p in disk.partitions)}
    paths = {disk.path, *disk.by_id, *disk.by_path}
    for p in disk.partitions:
        paths |= {p.path, *p.by_id, *p.by_path}
        if p.mountpoints:
            why.append(f"{p.path} is mounted at {', '.join(p.mountpoints)}")
    for arr in inv.arrays:
        if any(m.device in names for m in arr.members):
            why.append(f"member of {arr.name}")
    for pool in inv.pools:
        if any(leaf.name in paths or leaf.name in names for leaf in pool.leaves()):
            why.append(f"in pool {pool.name}")
    for m in inv.mounts:
        if m.source in paths:
            why.append(f"mounted at {m.target}")
    if disk.read_only:
        why.append("read-only")
    return why


def taken_pool_names(inv: Inventory) -> set[str]:
    """Pool names no new pool may use: imported, importable, or known from datasets."""
    names = {p.name for p in inv.pools} | {p.name for p in inv.importable_pools}
    names |= {d.split("/", 1)[0].split()[0] for d in inv.datasets if d.strip()}
    return names


def free_pool_name(inv: Inventory, base: str = "rpool") -> str:
    """`base`, or base2, base3... when the name is taken anywhere (DESIGN.md §4)."""
    taken = taken_pool_names(inv)
    if base not in taken:
        return base
    n = 2
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"


def free_array_name(inv: Inventory, start: int = 1) -> str:
    """The first mdN not assembled now."""
    n = start
    while inv.array(f"md{n}") is not None:
        n += 1
    return f"md{n}"


def propose_roles(inv: Inventory, *, nixos: bool = True) -> Roles | Refusal:
    """Suggest roles for this machine, or say why there are none."""
    arr = root_array(inv)
    if arr is None:
        root = inv.mount_at("/")
        where = f" (/ is on {root.source})" if root else ""
        return _refuse("root-array", f"no md array holds /{where}", "md2zfs moves / off md RAID1")
    if arr.level != "raid1":
        return _refuse(
            "root-array", f"{arr.name} is {arr.level}, not raid1", "only RAID1 is handled"
        )
    members = sorted(arr.members, key=lambda m: (m.slot is None, m.slot or 0))
    if len(members) != 2 or not all(m.in_sync for m in members):
        return _refuse(
            "root-array",
            f"{arr.name} must have exactly two in-sync members, it has "
            + ", ".join(m.device for m in members),
            f"let {arr.name} finish any recovery and remove spares first",
        )
    owners = [inv.partition_owner(m.device) for m in members]
    if owners[0] is None or owners[1] is None:
        return _refuse(
            "root-array",
            f"the members of {arr.name} are not partitions of known disks",
            "whole-disk md members are not handled",
        )
    (da, pa), (db, pb) = owners[0], owners[1]
    if da.name == db.name:
        return _refuse("root-array", f"both members of {arr.name} are on {da.path}", "")
    if pa.number is None or pb.number is None:
        return _refuse("root-array", "cannot tell the member partition numbers", "")
    need = used_extent_bytes(da)
    candidates = [
        d
        for d in inv.disks
        if d.name not in (da.name, db.name) and not disk_in_use(inv, d) and d.size_bytes >= need
    ]
    if not candidates:
        return _refuse(
            "disk-c",
            f"no blank disk of at least {need} bytes (DA's used extent) is attached",
            "attach a blank disk at least as large as "
            f"{da.path}, not mounted, with no partition table or signatures",
        )
    dc = min(candidates, key=lambda d: (d.size_bytes, d.name))
    return Roles(
        array=arr.name,
        member_a=pa.number,
        member_b=pb.number,
        disk_a=da.identity(),
        disk_b=db.identity(),
        disk_c=dc.identity(),
        pool=free_pool_name(inv),
        boot_array=free_array_name(inv),
        deploy="nixos-rebuild" if nixos else "manual",
    )


def _refuse(check_id: str, message: str, fix: str) -> Refusal:
    return Refusal((CheckResult(check_id, False, message, fix),))
