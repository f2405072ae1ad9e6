"""Hand-made inventories of the demo server (sda+sdb RAID1 md0 on partition 3, swap on 2,
blank sdc), and of every state the migration passes through, step by step.

A tiny mutable model (`Box`) is edited by one function per plan step and rendered into a
frozen `Inventory`; the predicates under test only ever see Inventories.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

from backend.model import (
    Disk,
    Inventory,
    MdArray,
    MdMember,
    Mount,
    Partition,
    Pool,
    ScanProgress,
    SyncProgress,
    Vdev,
)
from backend.plan.partitions import BIOS_BOOT, LINUX_FS, LINUX_RAID, MIB, ZFS

TB = 1_000_204_886_016
SECTORS = TB // 512
SWAP = "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F"
DISKS = {
    "sda": ("Samsung SSD 870 EVO 1TB", "S6PTNM0T412873K", "0x5002538f4231a7c2"),
    "sdb": ("WD Blue SA510 2.5 1000GB", "23304K800913", "0x5001b448c1d2e3f4"),
    "sdc": ("CT1000MX500SSD1", "2331E8A41F07", "0x500a0751e8a41f07"),
}


def by_id(serial: str) -> str:
    """The ata- by-id path of a demo disk."""
    for model, ser, _ in DISKS.values():
        if ser == serial:
            return f"/dev/disk/by-id/ata-{model}_{ser}".replace(" ", "_")
    raise KeyError(serial)


@dataclass
class P:
    """A partition: number, type, size, content, mountpoints."""

    number: int
    type: str
    size: int
    start: int
    fstype: str | None = None
    mounts: tuple[str, ...] = ()
    uuid: str | None = None


@dataclass
class A:
    """An md array: members (name -> in sync?), raid_disks, sync, content."""

    name: str
    members: dict[str, bool]
    raid_disks: int
    sync: str | None = None
    fstype: str | None = None
    fs_uuid: str | None = None
    mounts: tuple[str, ...] = ()


@dataclass
class Box:
    """The demo machine, mutable; `inv()` freezes it."""

    node: dict[str, str] = field(default_factory=lambda: {s: s for s in DISKS})  # serial key -> sdX
    parts: dict[str, list[P]] = field(default_factory=dict)  # keyed by disk ("sda": model key)
    pttype: dict[str, str | None] = field(default_factory=dict)
    arrays: dict[str, A] = field(default_factory=dict)
    pool_leaves: dict[str, str] = field(default_factory=dict)  # leaf path -> ONLINE/resilver
    datasets: list[str] = field(default_factory=list)
    mounts: list[tuple[str, str, str]] = field(default_factory=list)
    zfs: bool = False
    markers: list[str] = field(default_factory=list)

    def pname(self, disk: str, n: int) -> str:
        """Kernel name of partition n of the disk known as `disk` at the start."""
        return f"{self.node[disk]}{n}"

    def inv(self) -> Inventory:
        """The frozen Inventory of this state."""
        disks = []
        for key, (model, serial, wwn) in DISKS.items():
            name = self.node[key]
            parts = []
            for p in self.parts.get(key, []):
                pn = f"{name}{p.number}"
                holders = tuple(a.name for a in self.arrays.values() if pn in a.members)
                parts.append(
                    Partition(
                        name=pn,
                        path=f"/dev/{pn}",
                        size_bytes=p.size,
                        number=p.number,
                        start_sector=p.start,
                        part_type=p.type,
                        fstype=p.fstype,
                        mountpoints=p.mounts,
                        holders=holders,
                        by_id=(f"{by_id(serial)}-part{p.number}",),
                    )
                )
            disks.append(
                Disk(
                    name=name,
                    path=f"/dev/{name}",
                    size_bytes=TB,
                    model=model,
                    serial=serial,
                    wwn=wwn,
                    transport="sata",
                    pttype=self.pttype.get(key),
                    by_id=(by_id(serial), f"/dev/disk/by-id/wwn-{wwn}"),
                    partitions=tuple(parts),
                )
            )
        disks.sort(key=lambda d: d.name)
        arrays = []
        for a in self.arrays.values():
            members = tuple(
                MdMember(dev, slot=i, state=("active", "sync") if ok else ("spare", "rebuilding"))
                for i, (dev, ok) in enumerate(a.members.items())
            )
            n_ok = sum(a.members.values())
            sync = SyncProgress("recovery", percent=40.0) if a.sync else None
            arrays.append(
                MdArray(
                    name=a.name,
                    level="raid1",
                    raid_disks=a.raid_disks,
                    active_disks=n_ok,
                    slots="U" * n_ok + "_" * (a.raid_disks - n_ok),
                    metadata="0.90",
                    members=members,
                    sync=sync,
                    fstype=a.fstype,
                    fs_uuid=a.fs_uuid,
                    mountpoints=a.mounts,
                )
            )
        pools: tuple[Pool, ...] = ()
        if self.pool_leaves:
            leaves = tuple(
                Vdev(path, "ONLINE", note="(resilvering)" if st == "resilver" else None)
                for path, st in self.pool_leaves.items()
            )
            top = leaves[0] if len(leaves) == 1 else Vdev("mirror-0", "ONLINE", children=leaves)
            resilvering = any(st == "resilver" for st in self.pool_leaves.values())
            scan = ScanProgress("resilver", "running", 30.0) if resilvering else None
            pools = (Pool("rpool", "ONLINE", scan=scan, vdevs=(top,)),)
        return Inventory(
            disks=tuple(disks),
            arrays=tuple(arrays),
            pools=pools,
            datasets=tuple(self.datasets),
            mounts=tuple(Mount(s, t, f) for s, t, f in self.mounts),
            zfs_available=self.zfs,
            markers=tuple(self.markers),
        )


def start() -> Box:
    """The demo server before the migration."""
    b = Box()
    p3_start = 2048 + 2048 + 8 * 2048 * 1024
    for key in ("sda", "sdb"):
        b.pttype[key] = "gpt"
        b.parts[key] = [
            P(1, BIOS_BOOT, MIB, 2048),
            P(2, SWAP, 8 * 1024 * MIB, 4096, "swap", ("[SWAP]",)),
            P(3, LINUX_RAID, (SECTORS - 34 - p3_start) * 512, p3_start, "linux_raid_member"),
        ]
    b.pttype["sdc"] = None
    b.arrays["md0"] = A("md0", {"sda3": True, "sdb3": True}, 2, fstype="ext4", mounts=("/",))
    b.mounts = [("/dev/md0", "/", "ext4")]
    return b


def _new_layout(b: Box, key: str) -> None:
    b.pttype[key] = "gpt"
    b.parts[key] = [
        P(1, BIOS_BOOT, MIB, 2048),
        P(2, LINUX_RAID, 2048 * MIB, 4096),
        P(3, ZFS, TB - 2050 * MIB - MIB, 4096 + 2048 * 2048),
    ]


def _part(b: Box, key: str, n: int) -> P:
    return next(p for p in b.parts[key] if p.number == n)


def _reboot(b: Box) -> None:
    b.markers = []
    # The kernel names the disks in another order after the reboot; identities stay.
    b.node = {"sda": "sdb", "sdb": "sdc", "sdc": "sda"}
    md0 = b.arrays["md0"]
    md0.members = {b.pname("sdc", 3): True}
    md0.mounts = ()
    md1 = b.arrays["md1"]
    md1.members = {b.pname("sda", 2): True, b.pname("sdb", 2): True}
    md1.mounts = ("/boot",)
    b.mounts = [
        ("rpool/root", "/", "zfs"),
        ("rpool/root/etc", "/etc", "zfs"),
        ("rpool/root/nix", "/nix", "zfs"),
        ("rpool/root/tmp", "/tmp", "zfs"),
        ("rpool/root/var", "/var", "zfs"),
        ("/dev/md1", "/boot", "ext4"),
    ]
    for p in b.parts["sda"] + b.parts["sdb"]:
        p.mounts = ()


def _effects() -> list[tuple[str, Callable[[Box], None]]]:
    def part_c(b: Box) -> None:
        b.pttype["sdc"] = "gpt"
        b.parts["sdc"] = [copy.copy(p) for p in b.parts["sda"]]
        for p in b.parts["sdc"]:
            p.fstype, p.mounts = None, ()
        _part(b, "sdc", 1).type = LINUX_FS

    def add_c(b: Box) -> None:
        md0 = b.arrays["md0"]
        md0.members["sdc3"], md0.raid_disks, md0.sync = False, 3, "recovery"

    def recovered(b: Box) -> None:
        md0 = b.arrays["md0"]
        md0.members["sdc3"], md0.sync = True, None
        _part(b, "sdc", 3).fstype = "linux_raid_member"

    def swapoff(key: str) -> Callable[[Box], None]:
        return lambda b: setattr(_part(b, key, 2), "mounts", ())

    def remove(key: str) -> Callable[[Box], None]:
        def effect(b: Box) -> None:
            del b.arrays["md0"].members[b.pname(key, 3)]

        return effect

    def set_(attr: str, value: object) -> Callable[[Box], None]:
        return lambda b: setattr(b, attr, value)

    def wipe(key: str, n: int) -> Callable[[Box], None]:
        return lambda b: setattr(_part(b, key, n), "fstype", None)

    def md1(b: Box) -> None:
        b.arrays["md1"] = A("md1", {b.pname("sda", 2): True}, 1)

    def mkfs(b: Box) -> None:
        b.arrays["md1"].fstype, b.arrays["md1"].fs_uuid = (
            "ext4",
            "0b1e2c3d-aaaa-bbbb-cccc-0123456789ab",
        )

    def pool(b: Box) -> None:
        b.pool_leaves = {by_id(DISKS["sda"][1]) + "-part3": "ONLINE"}
        _part(b, "sda", 3).fstype = "zfs_member"

    def datasets(b: Box) -> None:
        b.datasets = [
            "rpool",
            "rpool/root",
            "rpool/root/etc",
            "rpool/root/nix",
            "rpool/root/tmp",
            "rpool/root/var",
        ]

    def mount(b: Box) -> None:
        b.mounts += [
            ("rpool/root", "/mnt", "zfs"),
            ("rpool/root/etc", "/mnt/etc", "zfs"),
            ("rpool/root/nix", "/mnt/nix", "zfs"),
            ("rpool/root/tmp", "/mnt/tmp", "zfs"),
            ("rpool/root/var", "/mnt/var", "zfs"),
            ("/dev/md1", "/mnt/boot", "ext4"),
        ]

    def mark(step: str) -> Callable[[Box], None]:
        return lambda b: b.markers.append(step)

    def add_boot_b(b: Box) -> None:
        md1_ = b.arrays["md1"]
        md1_.members[b.pname("sdb", 2)], md1_.raid_disks, md1_.sync = False, 2, "recovery"

    def attach(b: Box) -> None:
        b.pool_leaves[by_id(DISKS["sdb"][1]) + "-part3"] = "resilver"
        _part(b, "sdb", 3).fstype = "zfs_member"

    def resilvered(b: Box) -> None:
        b.pool_leaves = {k: "ONLINE" for k in b.pool_leaves}
        md1_ = b.arrays["md1"]
        md1_.members = {k: True for k in md1_.members}
        md1_.sync = None

    def unmount(b: Box) -> None:
        b.mounts = [m for m in b.mounts if not m[1].startswith("/mnt")]

    def stop_r(b: Box) -> None:
        del b.arrays["md0"]

    def blank_c(b: Box) -> None:
        b.parts["sdc"], b.pttype["sdc"] = [], None

    return [
        ("0.1-preflight", lambda b: None),
        ("1.1-partition-c", part_c),
        ("1.2-add-c", add_c),
        ("1.2-add-c", recovered),
        ("2.1-swapoff-a", swapoff("sda")),
        ("2.2-remove-a", remove("sda")),
        ("2.3-shrink-r", lambda b: setattr(b.arrays["md0"], "raid_disks", 2)),
        ("2.4-wipe-a", wipe("sda", 3)),
        ("3.1-enable-zfs", set_("zfs", True)),
        ("3.2-verify-zfs", lambda b: None),
        ("4.1-partition-a", lambda b: _new_layout(b, "sda")),
        ("4.2-create-boot-array", md1),
        ("4.3-mkfs-boot", mkfs),
        ("4.4-create-pool", pool),
        ("4.5-create-datasets", datasets),
        ("4.6-first-copy", mount),
        ("5.1-teach-nixos", mark("5.1-teach-nixos")),
        ("6.1-check-cutover", lambda b: None),
        ("6.2-isolate", mark("6.2-isolate")),
        ("6.3-stop-journald", mark("6.3-stop-journald")),
        ("6.4-final-copy", mark("6.4-final-copy")),
        ("6.5-boot-new-root", mark("6.5-boot-new-root")),
        ("6.6-remove-b", remove("sdb")),
        ("6.7-swapoff-b", swapoff("sdb")),
        ("6.8-wipe-b", wipe("sdb", 3)),
        ("6.9-partition-b", lambda b: _new_layout(b, "sdb")),
        ("6.10-add-boot-b", add_boot_b),
        ("6.11-attach-b", attach),
        ("6.11-attach-b", resilvered),
        ("6.12-boot-both", mark("6.12-boot-both")),
        ("6.13-check-bootable", lambda b: None),
        ("6.14-unmount", unmount),
        ("6.15-reboot", _reboot),
        ("7.1-verify", lambda b: None),
        ("7.2-stop-r", stop_r),
        ("7.3-wipe-c", lambda b: setattr(_part(b, "sdc", 3), "fstype", None)),
        ("7.4-wipe-c-table", blank_c),
    ]


def states() -> list[tuple[str, bool, Inventory]]:
    """(last step id, its wait is over?, inventory) after each effect, starting state first
    as ("", True, inv)."""
    b = start()
    out: list[tuple[str, bool, Inventory]] = [("", True, b.inv())]
    effects = _effects()
    for i, (sid, fn) in enumerate(effects):
        fn(b)
        waiting = i + 1 < len(effects) and effects[i + 1][0] == sid
        out.append((sid, not waiting, b.inv()))
    return out
