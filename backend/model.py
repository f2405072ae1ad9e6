"""The data model: immutable snapshots of a machine's disks, md arrays and ZFS pools.

Every parser produces these, the simulated server renders text that parses back into them,
the planner reasons over them and the TUI panes render them. They are frozen so a snapshot
can be handed between threads without copying.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

MemberFlag = Literal["faulty", "spare", "journal", "write-mostly", "replacement"]
SyncAction = Literal["resync", "recovery", "check", "repair", "reshape"]
SyncState = Literal["running", "delayed", "pending"]
ScanFunction = Literal["resilver", "scrub"]
ScanState = Literal["running", "finished", "canceled"]
IdentityKind = Literal["wwn", "serial", "by-path", "by-id", "name"]


@dataclass(frozen=True)
class Partition:
    """One partition of a disk, with what lives on it."""

    name: str  # kernel name, e.g. "sda3" or "nvme0n1p3"
    path: str  # "/dev/sda3"
    size_bytes: int
    number: int | None = None
    start_sector: int | None = None
    part_type: str | None = None  # GPT type GUID (upper case) or MBR id ("fd")
    part_label: str | None = None
    part_uuid: str | None = None
    fstype: str | None = None  # "linux_raid_member", "zfs_member", "ext4", "swap", ...
    fs_label: str | None = None
    fs_uuid: str | None = None
    mountpoints: tuple[str, ...] = ()
    holders: tuple[str, ...] = ()  # e.g. ("md0",): devices built on top of this one
    by_id: tuple[str, ...] = ()  # full /dev/disk/by-id/... paths
    by_path: tuple[str, ...] = ()


@dataclass(frozen=True)
class Disk:
    """A whole disk and its partitions, named by stable identity where it has one."""

    name: str  # "sda"
    path: str  # "/dev/sda"
    size_bytes: int
    model: str | None = None
    serial: str | None = None
    wwn: str | None = None
    vendor: str | None = None
    transport: str | None = None  # "sata", "nvme", "usb", None for virtio/scsi
    rotational: bool | None = None
    pttype: str | None = None  # "gpt", "dos", None (no partition table)
    ptuuid: str | None = None
    fstype: str | None = None  # a signature on the whole disk (e.g. an md member)
    mountpoints: tuple[str, ...] = ()
    holders: tuple[str, ...] = ()
    read_only: bool = False
    by_id: tuple[str, ...] = ()
    by_path: tuple[str, ...] = ()
    partitions: tuple[Partition, ...] = ()

    def identity(self) -> DiskIdentity:
        """The most stable name this disk has: WWN, then serial, then by-path, then by-id."""
        if self.wwn:
            return DiskIdentity("wwn", self.wwn)
        if self.serial:
            return DiskIdentity("serial", self.serial)
        if self.by_path:
            return DiskIdentity("by-path", self.by_path[0])
        if self.by_id:
            return DiskIdentity("by-id", self.by_id[0])
        return DiskIdentity("name", self.name)

    def partition(self, number: int) -> Partition | None:
        """The partition with this number, if any."""
        for part in self.partitions:
            if part.number == number:
                return part
        return None


@dataclass(frozen=True)
class DiskIdentity:
    """A stable handle on a disk. Roles bind to this, never to "sdX"."""

    kind: IdentityKind
    value: str

    def matches(self, disk: Disk) -> bool:
        """True when this identity names the given disk."""
        if self.kind == "wwn":
            return disk.wwn == self.value
        if self.kind == "serial":
            return disk.serial == self.value
        if self.kind == "by-path":
            return self.value in disk.by_path
        if self.kind == "by-id":
            return self.value in disk.by_id
        return disk.name == self.value

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


@dataclass(frozen=True)
class SyncProgress:
    """A resync / recovery / check / repair / reshape of an md array."""

    action: SyncAction
    state: SyncState = "running"
    percent: float | None = None
    done_kib: int | None = None  # per member device, as /proc/mdstat counts
    total_kib: int | None = None
    speed_kib_s: int | None = None
    eta_s: int | None = None


@dataclass(frozen=True)
class MdMember:
    """One component device of an md array."""

    device: str  # kernel name, "sda3"
    slot: int | None = None  # role number (raid device) where known; None for spares/faulty
    flags: tuple[MemberFlag, ...] = ()
    state: tuple[str, ...] = ()  # mdadm --detail words, e.g. ("active", "sync")

    @property
    def in_sync(self) -> bool:
        """Active, holding a full copy (not faulty, spare, or rebuilding)."""
        if "faulty" in self.flags or "spare" in self.flags or "journal" in self.flags:
            return False
        if self.state:
            words = set(self.state)
            return "sync" in words and not words & {"rebuilding", "faulty", "spare"}
        return self.slot is not None


@dataclass(frozen=True)
class MdArray:
    """An md array as /proc/mdstat and mdadm --detail describe it."""

    name: str  # "md0"
    state: Literal["active", "inactive"] = "active"
    read_only: bool = False
    read_only_kind: str | None = None  # "read-only" or "auto-read-only"
    level: str | None = None  # "raid1", None for inactive arrays
    size_kib: int | None = None
    raid_disks: int | None = None
    active_disks: int | None = None
    slots: str | None = None  # "U_"
    metadata: str | None = None  # "0.90", "1.2", "external:imsm"
    uuid: str | None = None
    members: tuple[MdMember, ...] = ()
    sync: SyncProgress | None = None
    bitmap: str | None = None
    # What sits on the array, from lsblk (filled by the inventory).
    fstype: str | None = None
    fs_uuid: str | None = None
    mountpoints: tuple[str, ...] = ()

    @property
    def degraded(self) -> bool:
        """Fewer in-sync members than the array wants."""
        if self.slots is not None:
            return "_" in self.slots
        if self.raid_disks is not None and self.active_disks is not None:
            return self.active_disks < self.raid_disks
        return False

    @property
    def path(self) -> str:
        """The device node, "/dev/md0"."""
        return f"/dev/{self.name}"

    def member(self, device: str) -> MdMember | None:
        """The member with this kernel name, if any."""
        for m in self.members:
            if m.device == device:
                return m
        return None


@dataclass(frozen=True)
class Vdev:
    """A node of a pool's vdev tree: mirror-0, raidz1-0, a leaf device, a replacing vdev."""

    name: str
    state: str | None = None  # ONLINE, DEGRADED, FAULTED, OFFLINE, UNAVAIL, REMOVED, AVAIL, INUSE
    read: int = 0
    write: int = 0
    cksum: int = 0
    note: str | None = None  # trailing text: "(resilvering)", "was /dev/sdb1", ...
    children: tuple[Vdev, ...] = ()

    def leaves(self) -> tuple[Vdev, ...]:
        """All leaf devices under this vdev (itself when it is a leaf)."""
        if not self.children:
            return (self,)
        out: list[Vdev] = []
        for child in self.children:
            out.extend(child.leaves())
        return tuple(out)


@dataclass(frozen=True)
class ScanProgress:
    """The scan line of a pool: a resilver or scrub, running, finished or canceled."""

    function: ScanFunction
    state: ScanState
    percent: float | None = None
    eta_s: int | None = None
    rate_bytes_s: int | None = None
    text: str = ""  # the scan paragraph as printed


@dataclass(frozen=True)
class Pool:
    """An imported ZFS pool."""

    name: str
    state: str
    status: str | None = None
    action: str | None = None
    see: str | None = None
    errors: str | None = None
    scan: ScanProgress | None = None
    vdevs: tuple[Vdev, ...] = ()
    logs: tuple[Vdev, ...] = ()
    cache: tuple[Vdev, ...] = ()
    spares: tuple[Vdev, ...] = ()
    guid: str | None = None

    def leaves(self) -> tuple[Vdev, ...]:
        """Every leaf device of the data vdevs."""
        out: list[Vdev] = []
        for vdev in self.vdevs:
            out.extend(vdev.leaves())
        return tuple(out)


@dataclass(frozen=True)
class ImportablePool:
    """A pool that `zpool import` could import (not imported now)."""

    name: str
    id: str
    state: str


@dataclass(frozen=True)
class Mount:
    """One line of /proc/self/mounts."""

    source: str
    target: str
    fstype: str


@dataclass(frozen=True)
class Inventory:
    """Everything md2zfs knows about the machine at one moment."""

    disks: tuple[Disk, ...] = ()
    arrays: tuple[MdArray, ...] = ()
    pools: tuple[Pool, ...] = ()
    importable_pools: tuple[ImportablePool, ...] = ()
    datasets: tuple[str, ...] = ()
    mounts: tuple[Mount, ...] = ()
    zfs_available: bool = False
    warnings: tuple[str, ...] = field(default=())
    taken_at: float = 0.0  # host clock seconds
    # Ids of md2zfs steps marked done in this boot (/run/md2zfs/done, see
    # backend.inventory.read_markers): evidence for steps whose effect the inventory
    # cannot see (a NixOS module written, the final copy made in the maintenance target).
    markers: tuple[str, ...] = ()

    def disk(self, name: str) -> Disk | None:
        """The disk with this kernel name or /dev path."""
        name = name.removeprefix("/dev/")
        for disk in self.disks:
            if disk.name == name:
                return disk
        return None

    def resolve(self, identity: DiskIdentity) -> tuple[Disk, ...]:
        """All disks matching an identity (more than one means a duplicate)."""
        return tuple(d for d in self.disks if identity.matches(d))

    def array(self, name: str) -> MdArray | None:
        """The md array with this name ("md0" or "/dev/md0")."""
        name = name.removeprefix("/dev/")
        for arr in self.arrays:
            if arr.name == name:
                return arr
        return None

    def pool(self, name: str) -> Pool | None:
        """The imported pool with this name."""
        for pool in self.pools:
            if pool.name == name:
                return pool
        return None

    def partition_owner(self, part_name: str) -> tuple[Disk, Partition] | None:
        """The disk and partition with this kernel name."""
        part_name = part_name.removeprefix("/dev/")
        for disk in self.disks:
            for part in disk.partitions:
                if part.name == part_name:
                    return disk, part
        return None

    def mount_at(self, target: str) -> Mount | None:
        """The last mount on this path (the one that is visible)."""
        found: Mount | None = None
        for m in self.mounts:
            if m.target == target:
                found = m
        return found
