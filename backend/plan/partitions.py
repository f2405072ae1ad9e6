"""Partition-table scripts for `sfdisk`, built in code (DESIGN.md §3.4: no pipelines).

Two kinds: a copy of DA's table for DC (phase 1: `sfdisk -d` dump, transformed), and the
new layout of DA and DB (phases 4 and 6: BIOS boot, /boot for md1, the rest for ZFS).
"""

from __future__ import annotations

from dataclasses import replace

from backend.parse.sfdisk import PartitionTable, parse_sfdisk_dump, render_sfdisk_dump

BIOS_BOOT = "21686148-6449-6E6F-744E-656564454649"
LINUX_FS = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
LINUX_RAID = "A19D880F-05FC-4D3B-A006-743F0F84911E"
ZFS = "6A898CC3-1DD2-11B2-99A6-080020736631"
MIB = 1024 * 1024


def copy_table_script(dump: str) -> str:
    """DA's `sfdisk -d` dump made fit for DC.

    Dropped: the label-id, the device line and every partition uuid (two disks with the same
    ids confuse udev's by-partuuid links and the kernel's GPT checks), and last-lba (DC may
    be larger or a little smaller than DA: sfdisk computes DC's own). A BIOS boot partition
    becomes a Linux filesystem one: only the two final disks carry a boot loader.
    Raises backend.parse.ParseError for a dump that cannot be read.
    """
    tables = parse_sfdisk_dump(dump)
    table = tables[0]
    parts = tuple(
        replace(p, type=LINUX_FS) if (p.type or "").upper() == BIOS_BOOT else p
        for p in table.partitions
    )
    return render_sfdisk_dump(replace(table, last_lba=None, partitions=parts), keep_ids=False)


def new_layout_script(
    boot_mib: int, *, sector_size: int = 512, zfs_bytes: int | None = None
) -> str:
    """The GPT layout of DA and DB after migration.

    1: 1 MiB BIOS boot at 1 MiB (GRUB's core image on a BIOS machine), 2: /boot (md1 member,
    Linux RAID type) of `boot_mib` MiB, 3: ZFS, to the end of the disk, or `zfs_bytes` when
    the two disks differ in size (the mirror's second side must be at least as large).
    Starts and sizes are in the disk's logical sectors, aligned to 1 MiB.
    """
    per_mib = MIB // sector_size
    lines = [
        "label: gpt",
        "unit: sectors",
        f"sector-size: {sector_size}",
        "",
        f"1 : start={per_mib:>12}, size={per_mib:>12}, type={BIOS_BOOT}",
        f"2 : start={2 * per_mib:>12}, size={boot_mib * per_mib:>12}, type={LINUX_RAID}",
    ]
    zfs_start = (2 + boot_mib) * per_mib
    if zfs_bytes is None:
        lines.append(f"3 : start={zfs_start:>12}, type={ZFS}")
    else:
        lines.append(f"3 : start={zfs_start:>12}, size={zfs_bytes // sector_size:>12}, type={ZFS}")
    return "\n".join(lines) + "\n"


def zfs_partition_bytes(disk_a_bytes: int, disk_b_bytes: int, boot_mib: int) -> int | None:
    """Size of both ZFS partitions when DA and DB differ (None: both take the rest).

    The smaller disk decides; 1 MiB at the end stays free for the backup GPT, and the size
    is a whole number of MiB so it is the same in 512- and 4096-byte sectors.
    """
    if disk_a_bytes == disk_b_bytes:
        return None
    small = min(disk_a_bytes, disk_b_bytes)
    start = (2 + boot_mib) * MIB
    return max(0, (small - start - MIB) // MIB * MIB)


def sector_size_of(dump: str | None) -> int:
    """The logical sector size a `sfdisk -d` dump states (512 when it says nothing)."""
    if not dump:
        return 512
    try:
        table: PartitionTable = parse_sfdisk_dump(dump)[0]
    except Exception:
        return 512
    return table.sector_size or 512


def is_new_layout(part_types: dict[int, str | None], boot_mib: int, boot_bytes: int) -> bool:
    """True when a disk's partitions are md2zfs's layout (by type, and /boot's size)."""
    return (
        (part_types.get(3) or "").upper() == ZFS
        and (part_types.get(2) or "").upper() in (LINUX_RAID, "FD")
        and boot_bytes == boot_mib * MIB
    )
