"""Device naming in the sim: udev identities (by-id, by-path), and resolving any
/dev path (kernel node or /dev/disk/by-* symlink) to a kernel name, as a real machine does."""

from __future__ import annotations

from backend.host import UdevInfo
from backend.sim.state import SimDisk, SimState


def disk_by_id(disk: SimDisk) -> list[str]:
    """The disk's /dev/disk/by-id names, as udev's rules make them for its bus."""
    out: list[str] = []
    if disk.transport == "sata" and disk.model and disk.serial:
        out.append(f"ata-{disk.model}_{disk.serial}".replace(" ", "_"))
    elif disk.transport == "nvme" and disk.model and disk.serial:
        out.append(f"nvme-{disk.model}_{disk.serial}".replace(" ", "_"))
    elif disk.transport is None and disk.serial and not disk.wwn:
        out.append(f"virtio-{disk.serial}")
    elif disk.transport is None and disk.wwn:
        out.append(f"scsi-3{disk.wwn.removeprefix('0x')}")
    if disk.wwn:
        out.append(f"wwn-{disk.wwn}")
    return ["/dev/disk/by-id/" + n for n in out]


def disk_by_path(disk: SimDisk) -> list[str]:
    """The disk's /dev/disk/by-path names."""
    return [f"/dev/disk/by-path/{disk.pci_path}"] if disk.pci_path else []


def udev_map(state: SimState) -> dict[str, UdevInfo]:
    """UdevInfo for every disk, partition and running array."""
    out: dict[str, UdevInfo] = {}
    for disk in state.disks:
        ids = disk_by_id(disk)
        paths = disk_by_path(disk)
        out[disk.name] = UdevInfo(
            disk.name, disk.serial, disk.wwn, disk.model, tuple(ids), tuple(paths)
        )
        for part in disk.partitions:
            pname = disk.part_name(part.number)
            suffix = f"-part{part.number}"
            out[pname] = UdevInfo(
                pname,
                disk.serial,
                disk.wwn,
                disk.model,
                tuple(i + suffix for i in ids),
                tuple(p + suffix for p in paths),
                part.type_guid.lower(),
                part.number,
            )
    for arr in state.arrays:
        if arr.running:
            out[arr.name] = UdevInfo(arr.name, by_id=(f"/dev/disk/by-id/md-uuid-{arr.uuid}",))
    return out


def symlinks(state: SimState) -> dict[str, str]:
    """Every /dev/disk/by-* symlink -> kernel name."""
    links: dict[str, str] = {}
    for name, info in udev_map(state).items():
        for link in (*info.by_id, *info.by_path):
            links[link] = name
    for disk in state.disks:
        for part in disk.partitions:
            pname = disk.part_name(part.number)
            links[f"/dev/disk/by-partuuid/{part.uuid.lower()}"] = pname
            if part.label:
                links[f"/dev/disk/by-partlabel/{part.label}"] = pname
    for name in state.block_names():
        c = state.content_of(name)
        if c is not None and c.uuid and c.fstype in ("ext4", "swap", "vfat"):
            links[f"/dev/disk/by-uuid/{c.uuid}"] = name
        if c is not None and c.label and c.fstype in ("ext4", "vfat"):
            links[f"/dev/disk/by-label/{c.label}"] = name
    return links


def resolve(state: SimState, path: str) -> str | None:
    """The kernel name a /dev path names, or None when nothing is there."""
    if path.startswith("/dev/disk/"):
        return symlinks(state).get(path)
    if path.startswith("/dev/"):
        name = path.removeprefix("/dev/")
        return name if name in state.block_names() else None
    return None
