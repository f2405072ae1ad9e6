"""The simulated server's state: disks, md arrays, pools, mounts, files and the NixOS system.

Plain mutable dataclasses: the commands in backend/sim/ change them in place, the renderers
print them in the real tools' formats, and `to_json`/`from_json` persist them (versioned)
so a demo run killed at any moment resumes in the next process exactly where it was.

Progress of long operations is never stored as a percentage: a running md recovery or ZFS
resilver stores its start time, start amount and rate, and `backend.sim.progress` derives
the amount done from the clock. That is what makes a killed-and-resumed demo continue from
the right point.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STATE_VERSION = 1
SECTOR = 512

# GPT partition type GUIDs (upper case, as sfdisk prints them).
GPT_BIOS_BOOT = "21686148-6449-6E6F-744E-656564454649"
GPT_LINUX_SWAP = "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F"
GPT_LINUX_RAID = "A19D880F-05FC-4D3B-A006-743F0F84911E"
GPT_LINUX_FS = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
GPT_ZFS = "6A898CC3-1DD2-11B2-99A6-080020736631"
GPT_EFI = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"

GPT_TYPE_NAMES = {
    GPT_BIOS_BOOT: "BIOS boot",
    GPT_LINUX_SWAP: "Linux swap",
    GPT_LINUX_RAID: "Linux RAID",
    GPT_LINUX_FS: "Linux filesystem",
    GPT_ZFS: "Solaris /usr & Apple ZFS",
    GPT_EFI: "EFI System",
}


@dataclass
class Content:
    """A signature on a block device: what blkid/lsblk would report as FSTYPE."""

    fstype: str  # "ext4", "swap", "linux_raid_member", "zfs_member"
    uuid: str | None = None
    label: str | None = None
    version: str | None = None  # FSVER: "1.0" (ext4), "1" (swap), "0.90.0" (md), "5000" (zfs)
    used_bytes: int = 0  # data held (ext4/zfs), for df-like columns and copy sizes
    # linux_raid_member: the array's uuid (mdadm spelling) and this member's role
    md_uuid: str | None = None
    md_role: int | None = None
    # zfs_member: pool name/guid and this leaf's guid
    pool_guid: str | None = None
    vdev_guid: str | None = None
    # ext4 filled by rsync: when, and whether the system was quiet then
    synced_at: float | None = None
    synced_quiet: bool = False


@dataclass
class SimPartition:
    """A GPT partition: geometry, identity and what is written on it."""

    number: int
    start: int  # sectors
    size: int  # sectors
    type_guid: str
    uuid: str
    label: str | None = None  # GPT partition name (PARTLABEL)
    content: Content | None = None


@dataclass
class SimDisk:
    """A whole disk with its identity and (optionally) a GPT partition table."""

    name: str
    size_bytes: int
    model: str | None
    serial: str | None
    wwn: str | None
    vendor: str | None = "ATA     "
    transport: str | None = "sata"
    rev: str | None = None
    major: int = 8
    minor: int = 0
    hctl: str | None = None
    pci_path: str | None = None  # by-path name without /dev/disk/by-path/
    rotational: bool = False
    pttype: str | None = None  # "gpt" or None
    ptuuid: str | None = None
    partitions: list[SimPartition] = field(default_factory=list)
    content: Content | None = None  # a signature on the whole disk
    # Partition table the kernel uses (differs from the disk's after a forced write to an
    # in-use disk until a re-read; the sim keeps them equal and refuses busy disks instead).

    @property
    def sectors(self) -> int:
        """Size in 512-byte sectors."""
        return self.size_bytes // SECTOR

    def part_name(self, number: int) -> str:
        """Kernel name of partition `number` ("sda3", "nvme0n1p3")."""
        sep = "p" if self.name[-1].isdigit() else ""
        return f"{self.name}{sep}{number}"

    def partition(self, number: int) -> SimPartition | None:
        """The partition with this number."""
        for part in self.partitions:
            if part.number == number:
                return part
        return None


@dataclass
class SimMember:
    """A component of an md array as the kernel sees it."""

    device: str  # kernel name, "sda3"
    slot: int | None  # raid role; None for spares and faulty members
    state: str = "active"  # "active" (in sync), "rebuilding", "spare", "faulty"
    desc_nr: int = 0  # the number /proc/mdstat prints in brackets (not the slot)


@dataclass
class SyncJob:
    """A running resync/recovery: done = start_kib + rate * (now - start_time), capped."""

    action: str  # "recovery" or "resync"
    start_time: float
    start_kib: int
    total_kib: int
    rate_kib_s: int
    target: str | None = None  # member being rebuilt (recovery)


@dataclass
class SimArray:
    """An md array (assembled or stopped) with its superblock facts."""

    name: str  # "md0"
    uuid: str  # mdadm spelling "3f720601:29af5283:96fc04a8:108a4af7"
    level: str = "raid1"
    metadata: str = "0.90"
    raid_disks: int = 2
    size_kib: int = 0  # array size (= used dev size for raid1)
    members: list[SimMember] = field(default_factory=list)
    sync: SyncJob | None = None
    running: bool = True
    inactive: bool = False  # assembled but not started (udev's incremental re-assembly)
    creation_time: float = 0.0
    update_time: float = 0.0
    events: int = 18
    minor: int = 0
    content: Content | None = None  # filesystem on the array


@dataclass
class SimVdev:
    """A node of a pool's vdev tree. Leaves name the device path as given at create/attach."""

    kind: str  # "root", "mirror", "disk"
    guid: str
    path: str | None = None  # leaf: "/dev/disk/by-id/...-part3"
    device: str | None = None  # leaf: kernel name "sda3"
    state: str = "ONLINE"
    children: list[SimVdev] = field(default_factory=list)
    resilvering: bool = False


@dataclass
class ScanJob:
    """A pool scan: running (derived from the clock) or finished (end_time set)."""

    function: str  # "resilver" or "scrub"
    start_time: float
    total_bytes: int
    rate_bytes_s: int
    end_time: float | None = None
    errors: int = 0


@dataclass
class SimPool:
    """An imported ZFS pool."""

    name: str
    guid: str
    root: SimVdev
    hostid: str  # 8 hex digits of the host that created/imported it
    ashift: int = 12
    txg: int = 4
    alloc_bytes: int = 0
    scan: ScanJob | None = None
    properties: dict[str, str] = field(default_factory=dict)


@dataclass
class SimDataset:
    """A ZFS dataset and its locally set properties."""

    name: str
    properties: dict[str, str] = field(default_factory=dict)
    used_bytes: int = 0
    # Where the data came from: rsync copies record the clock time and whether the system
    # was quiet (maintenance target, journald stopped) at the time.
    synced_at: float | None = None
    synced_quiet: bool = False


@dataclass
class SimMount:
    """One mounted filesystem."""

    source: str  # "/dev/md0", "rpool/root"
    target: str
    fstype: str
    options: str = "rw,relatime"


@dataclass
class SimFile:
    """A file on the (root) filesystem."""

    text: str
    mode: int = 0o644


@dataclass
class Generation:
    """A NixOS system generation: the facts of its configuration the sim acts on."""

    number: int
    built_at: float
    zfs: bool = False
    host_id: str | None = None
    maintenance_target: bool = False
    root_device: str = ""  # fileSystems."/".device
    root_fstype: str = "ext4"
    boot_device: str | None = None  # fileSystems."/boot".device, None when /boot is in /
    filesystems: dict[str, list[str]] = field(default_factory=dict)  # mount -> [device, type]
    swraid: bool = True
    grub_devices: list[str] = field(default_factory=list)
    swap_devices: list[str] = field(default_factory=list)
    initrd_secrets: list[str] = field(default_factory=list)


@dataclass
class SimSystem:
    """The running OS: hostname, generations, systemd and kernel facts."""

    hostname: str = "atlas"
    kernel: str = "6.6.63"
    generations: list[Generation] = field(default_factory=list)
    running_generation: int = 1
    boot_generation: int = 1
    active_target: str = "multi-user.target"
    stopped_units: list[str] = field(default_factory=list)
    zfs_module_loaded: bool = False
    boot_count: int = 1
    boot_error: str | None = None  # set when the last simulated boot failed
    # Lab-seen race, armed by tests: after `mdadm --stop`, udev re-assembles the array
    # (inactive, one member held) this many more times.
    reassemble_on_stop: int = 0
    booted_at: float = 0.0


@dataclass
class SimState:
    """Everything the simulated server is, at one moment (plus the clock's saved time)."""

    version: int = STATE_VERSION
    now: float = 0.0  # simulated clock at the last save
    clock_anchor: list[float] | None = None  # [wall, sim, scale] of a RealClock
    disks: list[SimDisk] = field(default_factory=list)
    arrays: list[SimArray] = field(default_factory=list)
    pools: list[SimPool] = field(default_factory=list)  # imported
    exported_pools: list[SimPool] = field(default_factory=list)  # on disk, not imported
    datasets: list[SimDataset] = field(default_factory=list)
    mounts: list[SimMount] = field(default_factory=list)
    swaps: list[str] = field(default_factory=list)  # active swap devices (kernel names)
    files: dict[str, SimFile] = field(default_factory=dict)  # on the root filesystem
    # Files on other filesystems, by mount source ("rpool/root", "/dev/md1"), relative path.
    fs_files: dict[str, dict[str, SimFile]] = field(default_factory=dict)
    dirs: list[str] = field(default_factory=list)
    system: SimSystem = field(default_factory=SimSystem)
    next_guid: int = 1

    # -- lookups ---------------------------------------------------------------------------

    def disk(self, name: str) -> SimDisk | None:
        """The disk with this kernel name."""
        for disk in self.disks:
            if disk.name == name:
                return disk
        return None

    def partition(self, name: str) -> tuple[SimDisk, SimPartition] | None:
        """The disk and partition with this kernel name ("sda3")."""
        for disk in self.disks:
            for part in disk.partitions:
                if disk.part_name(part.number) == name:
                    return disk, part
        return None

    def array(self, name: str) -> SimArray | None:
        """The md array with this name (running or not)."""
        for arr in self.arrays:
            if arr.name == name:
                return arr
        return None

    def pool(self, name: str) -> SimPool | None:
        """The imported pool with this name."""
        for pool in self.pools:
            if pool.name == name:
                return pool
        return None

    def dataset(self, name: str) -> SimDataset | None:
        """The dataset with this name."""
        for ds in self.datasets:
            if ds.name == name:
                return ds
        return None

    def generation(self, number: int) -> Generation | None:
        """The NixOS generation with this number."""
        for gen in self.system.generations:
            if gen.number == number:
                return gen
        return None

    def running_gen(self) -> Generation:
        """The generation the system runs now."""
        gen = self.generation(self.system.running_generation)
        if gen is None:
            raise LookupError("no running generation")
        return gen

    def block_names(self) -> list[str]:
        """Every existing block device's kernel name (disks, partitions, running arrays)."""
        out: list[str] = []
        for disk in self.disks:
            out.append(disk.name)
            out.extend(disk.part_name(p.number) for p in disk.partitions)
        out.extend(a.name for a in self.arrays if a.running)
        return out

    def content_of(self, name: str) -> Content | None:
        """The signature on a block device (disk, partition or array)."""
        disk = self.disk(name)
        if disk is not None:
            return disk.content
        found = self.partition(name)
        if found is not None:
            return found[1].content
        arr = self.array(name)
        return arr.content if arr is not None and arr.running else None

    def set_content(self, name: str, content: Content | None) -> None:
        """Replace the signature on a block device."""
        disk = self.disk(name)
        if disk is not None:
            disk.content = content
            return
        found = self.partition(name)
        if found is not None:
            found[1].content = content
            return
        arr = self.array(name)
        if arr is not None:
            arr.content = content

    def holders(self, name: str) -> list[str]:
        """Running md arrays and imported pools built on this device."""
        out = [
            a.name for a in self.arrays if a.running and any(m.device == name for m in a.members)
        ]
        for pool in self.pools:
            if any(leaf.device == name for leaf in leaves(pool.root)):
                out.append(pool.name)
        return out

    def mounted_at(self, source: str) -> list[str]:
        """Mount targets of a source ("/dev/md0" or "rpool/root")."""
        return [m.target for m in self.mounts if m.source == source]

    def in_use(self, name: str) -> bool:
        """Mounted, active swap, or held by an array or pool (what makes EBUSY)."""
        return bool(self.mounted_at(f"/dev/{name}") or name in self.swaps or self.holders(name))

    def new_guid(self) -> str:
        """A fresh, deterministic 64-bit decimal guid (ZFS style)."""
        self.next_guid += 1
        return str((0x9E3779B97F4A7C15 * self.next_guid) % (1 << 64))


def leaves(vdev: SimVdev) -> list[SimVdev]:
    """All leaf vdevs under a vdev."""
    if vdev.kind == "disk":
        return [vdev]
    out: list[SimVdev] = []
    for child in vdev.children:
        out.extend(leaves(child))
    return out
