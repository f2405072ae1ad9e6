"""Hand-made Inventory snapshots and a plan, so the panes can be tested without a host.

The machine is the demo's: md0 (RAID1 of sda3 + sdb3) holds /, sdc is the blank spare.
"""

from __future__ import annotations

from dataclasses import replace

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
from backend.plan.step import Plan

GIB = 1024**3
BIOS = "21686148-6449-6E6F-744E-656564454649"
RAID = "A19D880F-05FC-4D3B-A006-743F0F84911E"
SWAP = "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F"
ZFS = "6A898CC3-1DD2-11B2-99A6-080020736631"

T0 = 1_700_000_000.0


def _part(disk: str, n: int, size: int, **kw: object) -> Partition:
    name = f"{disk}{n}"
    return Partition(
        name=name,
        path=f"/dev/{name}",
        size_bytes=size,
        number=n,
        **kw,  # type: ignore[arg-type]
    )


def _old_disk(name: str, serial: str, wwn: str) -> Disk:
    by_id = f"/dev/disk/by-id/ata-WDC_WD5000AAKX_{serial}"
    return Disk(
        name=name,
        path=f"/dev/{name}",
        size_bytes=500 * GIB,
        model="WDC WD5000AAKX",
        serial=serial,
        wwn=wwn,
        transport="sata",
        rotational=True,
        pttype="gpt",
        by_id=(by_id, f"/dev/disk/by-id/wwn-{wwn}"),
        by_path=(f"/dev/disk/by-path/pci-0000:00:1f.2-ata-{ord(name[-1]) - 96}",),
        partitions=(
            _part(name, 1, 1024**2, part_type=BIOS),
            _part(name, 2, 8 * GIB, part_type=SWAP, fstype="swap"),
            _part(
                name,
                3,
                491 * GIB,
                part_type=RAID,
                fstype="linux_raid_member",
                holders=("md0",),
            ),
        ),
    )


SDA = _old_disk("sda", "WD-WCC2E1XK7AH3", "0x50014ee2b3c4d5e6")
SDB = _old_disk("sdb", "WD-WCC2E5PL0RJ7", "0x50014ee2b3c4d5e7")
SDC = Disk(
    name="sdc",
    path="/dev/sdc",
    size_bytes=1000 * GIB,
    model="Samsung SSD 870 EVO 1TB",
    serial="S6PTNM0T412345X",
    wwn="0x5002538f41234567",
    transport="sata",
    rotational=False,
    by_id=("/dev/disk/by-id/ata-Samsung_SSD_870_EVO_1TB_S6PTNM0T412345X",),
    by_path=("/dev/disk/by-path/pci-0000:00:1f.2-ata-3",),
)

MOUNTS = (
    Mount("/dev/md0", "/", "ext4"),
    Mount("proc", "/proc", "proc"),
)


def _md0(members: tuple[MdMember, ...], slots: str, sync: SyncProgress | None) -> MdArray:
    return MdArray(
        name="md0",
        level="raid1",
        size_kib=491 * 1024 * 1024,
        raid_disks=len(slots),
        active_disks=slots.count("U"),
        slots=slots,
        metadata="1.2",
        uuid="3f1c2a55:0b9e4d21:7a6e5c10:aa01bb02",
        members=members,
        sync=sync,
        fstype="ext4",
        mountpoints=("/",),
    )


def inventory_start() -> Inventory:
    """Before anything: md0 = sda3 + sdb3, clean; sdc blank."""
    md0 = _md0(
        (
            MdMember("sda3", 0, state=("active", "sync")),
            MdMember("sdb3", 1, state=("active", "sync")),
        ),
        "UU",
        None,
    )
    return Inventory(
        disks=(SDA, SDB, SDC), arrays=(md0,), mounts=MOUNTS, zfs_available=False, taken_at=T0
    )


def inventory_recovery(percent: float = 42.5) -> Inventory:
    """Phase 1 waiting: sdc3 rebuilding into md0."""
    sdc = replace(
        SDC,
        pttype="gpt",
        partitions=(
            _part("sdc", 1, 1024**2, part_type="0FC63DAF-8483-4772-8E79-3D69D8477DE4"),
            _part("sdc", 2, 8 * GIB, part_type=SWAP),
            _part(
                "sdc", 3, 491 * GIB, part_type=RAID, fstype="linux_raid_member", holders=("md0",)
            ),
        ),
    )
    total = 491 * 1024 * 1024
    md0 = _md0(
        (
            MdMember("sda3", 0, state=("active", "sync")),
            MdMember("sdb3", 1, state=("active", "sync")),
            MdMember("sdc3", 2, state=("spare", "rebuilding")),
        ),
        "UU_",
        SyncProgress(
            "recovery",
            percent=percent,
            done_kib=int(total * percent / 100),
            total_kib=total,
            speed_kib_s=148_000,
            eta_s=2051,
        ),
    )
    return Inventory(
        disks=(SDA, SDB, sdc), arrays=(md0,), mounts=MOUNTS, zfs_available=False, taken_at=T0
    )


def _new_layout(disk: Disk, zfs_holder: bool = True) -> Disk:
    return replace(
        disk,
        partitions=(
            _part(disk.name, 1, 1024**2, part_type=BIOS),
            _part(
                disk.name,
                2,
                2 * GIB,
                part_type=RAID,
                fstype="linux_raid_member",
                holders=("md1",),
            ),
            _part(
                disk.name,
                3,
                497 * GIB,
                part_type=ZFS,
                fstype="zfs_member" if zfs_holder else None,
                fs_label="tank",
            ),
        ),
    )


def _pool(resilver: float | None) -> Pool:
    a = Vdev("ata-WDC_WD5000AAKX_WD-WCC2E1XK7AH3-part3", "ONLINE")
    b = Vdev(
        "ata-WDC_WD5000AAKX_WD-WCC2E5PL0RJ7-part3",
        "ONLINE",
        note="(resilvering)" if resilver is not None else None,
    )
    scan = (
        ScanProgress("resilver", "running", percent=resilver, eta_s=734, rate_bytes_s=212 * 1024**2)
        if resilver is not None
        else ScanProgress("resilver", "finished", percent=100.0)
    )
    return Pool(
        name="tank",
        state="ONLINE",
        status="One or more devices is currently being resilvered." if resilver else None,
        errors="No known data errors",
        scan=scan,
        vdevs=(Vdev("mirror-0", "ONLINE", children=(a, b)),),
    )


def _md1(slots: str, sync: SyncProgress | None) -> MdArray:
    members = [MdMember("sda2", 0, state=("active", "sync"))]
    if len(slots) > 1:
        members.append(
            MdMember(
                "sdb2", 1, state=("active", "sync") if sync is None else ("spare", "rebuilding")
            )
        )
    return MdArray(
        name="md1",
        level="raid1",
        size_kib=2 * 1024 * 1024,
        raid_disks=len(slots),
        active_disks=slots.count("U"),
        slots=slots,
        metadata="0.90",
        members=tuple(members),
        sync=sync,
        fstype="ext4",
        mountpoints=("/boot",),
    )


def inventory_resilver(percent: float = 63.2) -> Inventory:
    """Phase 6 waiting: tank resilvering onto sdb, md1 recovering, md0 on sdc3 alone."""
    md0 = _md0((MdMember("sdc3", 0, state=("active", "sync")),), "U", None)
    sdc = inventory_recovery().disks[2]
    md1 = _md1("U_", SyncProgress("recovery", percent=88.0, speed_kib_s=90_000, eta_s=3))
    mounts = (Mount("tank/root", "/", "zfs"), Mount("/dev/md1", "/boot", "ext4"))
    return Inventory(
        disks=(_new_layout(SDA), _new_layout(SDB), sdc),
        arrays=(md0, md1),
        pools=(_pool(percent),),
        datasets=("tank", "tank/root", "tank/root/nix", "tank/root/var"),
        mounts=mounts,
        zfs_available=True,
        taken_at=T0,
    )


def inventory_finished() -> Inventory:
    """After phase 7: tank is a healthy mirror, md1 clean, sdc blank again."""
    mounts = (Mount("tank/root", "/", "zfs"), Mount("/dev/md1", "/boot", "ext4"))
    return Inventory(
        disks=(_new_layout(SDA), _new_layout(SDB), SDC),
        arrays=(_md1("UU", None),),
        pools=(_pool(None),),
        datasets=("tank", "tank/root"),
        mounts=mounts,
        zfs_available=True,
        taken_at=T0,
    )


def inventory_odd_disks() -> Inventory:
    """Duplicate serials (two USB bridges) and a virtio disk without any serial."""
    usb1 = replace(
        SDC,
        name="sdd",
        path="/dev/sdd",
        serial="000000000001",
        wwn=None,
        transport="usb",
        model="USB3.0 Bridge",
        by_id=("/dev/disk/by-id/usb-Bridge_000000000001-0:0",),
    )
    usb2 = replace(usb1, name="sde", path="/dev/sde")
    vda = Disk(
        name="vda",
        path="/dev/vda",
        size_bytes=64 * GIB,
        by_path=("/dev/disk/by-path/virtio-pci-0000:00:05.0",),
    )
    base = inventory_start()
    return replace(base, disks=(*base.disks, usb1, usb2, vda))


def demo_plan(pool: str = "tank") -> Plan:
    """The fixture plan (see fixture_plan.py)."""
    from tests.tui.fixture_plan import demo_plan as build

    return build(pool)
