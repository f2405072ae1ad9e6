"""sfdisk scripts: DA's dump made fit for DC, and the new layout of DA and DB."""

from __future__ import annotations

from backend.parse.sfdisk import parse_sfdisk_dump
from backend.plan.partitions import (
    BIOS_BOOT,
    LINUX_FS,
    ZFS,
    copy_table_script,
    new_layout_script,
    zfs_partition_bytes,
)

_ROWS = (
    (1, 2048, 2048, BIOS_BOOT, "8E2A1C44-57B0-4D8F-A1E3-0C6B9D2F4A11"),
    (
        2,
        4096,
        16777216,
        "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F",
        "1B7D3E95-C2A4-4F60-8E1D-7A5C3B9E2D22",
    ),
    (3, 16781312, 1936743823, "A19D880F-05FC-4D3B-A006-743F0F84911E", "4F9C2B66-0D3E-4A71-B8C5"),
)
DUMP = (
    "label: gpt\nlabel-id: 3C1F7A52-8D0B-4E59-9A3E-5B7C2D4E6F81\ndevice: /dev/sda\n"
    "unit: sectors\nfirst-lba: 34\nlast-lba: 1953525134\nsector-size: 512\n\n"
    + "".join(
        f"/dev/sda{n} : start={start:>12}, size={size:>12}, type={t}, uuid={u}\n"
        for n, start, size, t, u in _ROWS
    )
)


def test_copy_drops_ids_and_bios_boot() -> None:
    script = copy_table_script(DUMP)
    assert "label-id" not in script and "device:" not in script and "uuid=" not in script
    assert "last-lba" not in script  # DC computes its own end
    table = parse_sfdisk_dump(script)[0]
    assert [p.start for p in table.partitions] == [2048, 4096, 16781312]
    assert table.partitions[0].type == LINUX_FS
    assert BIOS_BOOT not in script
    assert table.partitions[2].size == 1936743823


def test_new_layout() -> None:
    script = new_layout_script(2048)
    # The ZFS partition has no size (sfdisk gives it the rest), which `sfdisk -d` never
    # prints: parse the first two lines only and read the third as text.
    head, last = script.rsplit("\n", 2)[0], script.splitlines()[-1]
    table = parse_sfdisk_dump(head + "\n")[0]
    assert table.label == "gpt"
    p1, p2 = table.partitions
    assert (p1.start, p1.size, p1.type) == (2048, 2048, BIOS_BOOT)
    assert (p2.start, p2.size) == (4096, 2048 * 2048)
    assert last == f"3 : start={4096 + 2048 * 2048:>12}, type={ZFS}"


def test_new_layout_4k_sectors_and_unequal_disks() -> None:
    table = parse_sfdisk_dump(new_layout_script(1024, sector_size=4096, zfs_bytes=10 * 2**30))[0]
    assert table.sector_size == 4096
    assert table.partitions[1].size == 1024 * 256
    assert table.partitions[2].size == 10 * 2**30 // 4096
    assert zfs_partition_bytes(10**12, 10**12, 2048) is None
    small = zfs_partition_bytes(10**12, 10**12 - 10**9, 2048)
    assert small is not None and small % 2**20 == 0
    assert small + (2 + 2048 + 1) * 2**20 <= 10**12 - 10**9
