"""The demo server: a NixOS box with / on an md RAID1 of two 1 TB SATA SSDs, plus a new disk.

    sda  Samsung SSD 870 EVO 1TB   1 BIOS boot | 2 swap 8 GiB | 3 Linux RAID (md0)
    sdb  WD Blue SA510 1TB         1 BIOS boot | 2 swap 8 GiB | 3 Linux RAID (md0)
    sdc  Crucial CT1000MX500SSD1   blank (no partition table)
    md0  RAID1, metadata 0.90, clean, ext4 on /, /boot inside it, ~300 GB used

Everything is deterministic (fixed UUIDs, serials and start time) so tests can compare.
"""

from __future__ import annotations

import backend.sim.nixos as nixos
from backend.sim.state import (
    GPT_BIOS_BOOT,
    GPT_LINUX_RAID,
    GPT_LINUX_SWAP,
    Content,
    SimArray,
    SimDisk,
    SimFile,
    SimMember,
    SimMount,
    SimPartition,
    SimState,
    SimSystem,
)

DEMO_START = 1795759200.0  # Fri Nov 27 06:00:00 2026 UTC
TB_BYTES = 1000204886016  # 1953525168 sectors: what 1 TB SATA SSDs report
MIB_SECTORS = 2048
GIB_SECTORS = 2048 * 1024

MD0_UUID = "5d4e3c2b:1a2b3c4d:9e8f7a6b:0c1d2e3f"
ROOT_FS_UUID = "7b1e4c2a-93d5-4f0e-8a61-2c9d5b3e7f10"
USED_BYTES = 301_734_412_288  # ~300 GB of data on /


def last_usable(sectors: int) -> int:
    """GPT last usable LBA of a disk (33 sectors of backup table + header at the end)."""
    return sectors - 34


def rest_size(start: int, sectors: int) -> int:
    """Size of a partition from start to the 1 MiB-aligned end, as sfdisk's `,,` gives."""
    end = ((last_usable(sectors) + 1) // MIB_SECTORS) * MIB_SECTORS
    return end - start


def md_size_kib_090(part_sectors: int) -> int:
    """Usable size of an md 0.90 member: rounded down to 64 KiB, minus the 64 KiB superblock."""
    kib = part_sectors // 2
    return (kib & ~63) - 64


def _disk(name: str, minor: int, model: str, serial: str, wwn: str, rev: str, port: int) -> SimDisk:
    return SimDisk(
        name=name,
        size_bytes=TB_BYTES,
        model=model,
        serial=serial,
        wwn=wwn,
        vendor="ATA     ",
        transport="sata",
        rev=rev,
        major=8,
        minor=minor,
        hctl=f"{port}:0:0:0",
        pci_path=f"pci-0000:00:1f.2-ata-{port + 1}",
        rotational=False,
    )


def _raid_disk(
    disk: SimDisk, label_id: str, uuids: tuple[str, str, str], swap_uuid: str, role: int
) -> None:
    sectors = disk.sectors
    p3_start = MIB_SECTORS + 8 * GIB_SECTORS + MIB_SECTORS  # 16781312
    disk.pttype = "gpt"
    disk.ptuuid = label_id
    disk.partitions = [
        SimPartition(1, MIB_SECTORS, MIB_SECTORS, GPT_BIOS_BOOT, uuids[0]),
        SimPartition(
            2,
            2 * MIB_SECTORS,
            8 * GIB_SECTORS,
            GPT_LINUX_SWAP,
            uuids[1],
            content=Content("swap", uuid=swap_uuid, version="1"),
        ),
        SimPartition(
            3,
            p3_start,
            rest_size(p3_start, sectors),
            GPT_LINUX_RAID,
            uuids[2],
            content=Content(
                "linux_raid_member",
                uuid=md_uuid_as_blkid(MD0_UUID),
                version="0.90.0",
                md_uuid=MD0_UUID,
                md_role=role,
            ),
        ),
    ]


def md_uuid_as_blkid(md_uuid: str) -> str:
    """The array uuid as blkid/lsblk print it (8-4-4-4-12) from mdadm's (8:8:8:8)."""
    h = md_uuid.replace(":", "")
    return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def demo_state() -> SimState:
    """A fresh demo server, clean (no sync running), at DEMO_START."""
    sda = _disk(
        "sda", 0, "Samsung SSD 870 EVO 1TB", "S6PTNM0T412873K", "0x5002538f4231a7c2", "SVT02B6Q", 0
    )
    sdb = _disk(
        "sdb", 16, "WD Blue SA510 2.5 1000GB", "23304K800913", "0x5001b448c1d2e3f4", "52008100", 1
    )
    sdc = _disk("sdc", 32, "CT1000MX500SSD1", "2331E8A41F07", "0x500a0751e8a41f07", "M3CR046", 2)
    _raid_disk(
        sda,
        "3C1F7A52-8D0B-4E59-9A3E-5B7C2D4E6F81",
        (
            "8E2A1C44-57B0-4D8F-A1E3-0C6B9D2F4A11",
            "1B7D3E95-C2A4-4F60-8E1D-7A5C3B9E2D22",
            "4F9C2B66-0D3E-4A71-B8C5-2E7D1A6F3B33",
        ),
        "c5b0e8a2-6d1f-4b3e-9a7c-0f2e4d6b8a14",
        0,
    )
    _raid_disk(
        sdb,
        "9A4E2D17-6B3C-4F08-B1D5-3E7A9C2F5D44",
        (
            "2C6E8A10-B3D5-4F72-9E1A-5D7B3C9F1E55",
            "7E1A5C39-D2B4-4A86-8F0E-3B6D9C2A4F66",
            "0D3B7F28-E6A1-4C59-A2D8-9F5E1B3C7A77",
        ),
        "e2d4f6a8-1b3c-4e5d-8f7a-9c0b2d4e6f18",
        1,
    )
    size_kib = md_size_kib_090(sda.partitions[2].size)
    md0 = SimArray(
        name="md0",
        uuid=MD0_UUID,
        level="raid1",
        metadata="0.90",
        raid_disks=2,
        size_kib=size_kib,
        members=[SimMember("sda3", 0, "active", 0), SimMember("sdb3", 1, "active", 1)],
        creation_time=DEMO_START - 86400 * 611 + 4177,
        update_time=DEMO_START - 12,
        events=2841,
        minor=0,
        content=Content(
            "ext4", uuid=ROOT_FS_UUID, label="nixos", version="1.0", used_bytes=USED_BYTES
        ),
    )
    state = SimState(
        now=DEMO_START,
        disks=[sda, sdb, sdc],
        arrays=[md0],
        mounts=[SimMount("/dev/md0", "/", "ext4", "rw,relatime")],
        swaps=["sda2", "sdb2"],
        dirs=["/", "/boot", "/etc", "/etc/nixos", "/mnt", "/nix", "/var", "/tmp", "/home"],
        system=SimSystem(hostname="atlas", kernel="6.6.63", booted_at=DEMO_START - 86400 * 23),
    )
    by_id_a = f"/dev/disk/by-id/ata-{sda.model}_{sda.serial}".replace(" ", "_")
    by_id_b = f"/dev/disk/by-id/ata-{sdb.model}_{sdb.serial}".replace(" ", "_")
    state.files = {
        "/etc/nixos/configuration.nix": SimFile(
            nixos.demo_configuration("atlas", [by_id_a, by_id_b], MD0_UUID)
        ),
        "/etc/nixos/hardware-configuration.nix": SimFile(
            nixos.demo_hardware_configuration(
                ROOT_FS_UUID,
                ["c5b0e8a2-6d1f-4b3e-9a7c-0f2e4d6b8a14", "e2d4f6a8-1b3c-4e5d-8f7a-9c0b2d4e6f18"],
            )
        ),
        "/etc/machine-id": SimFile("4f2a9c7e1b3d4e5f8a6b0c2d9e1f3a57\n", 0o444),
        "/etc/NIXOS": SimFile(""),
        "/proc/self/cgroup": SimFile("0::/user.slice/user-0.slice/session-3.scope\n"),
    }
    gen = nixos.evaluate(state, number=1, built_at=DEMO_START - 86400 * 30)
    state.system.generations = [gen]
    return state
