"""The `disks` element of `md2zfs status --json` (a public interface: keep it stable)."""

from __future__ import annotations

from backend.model import Disk, Partition

__all__ = ["disk_to_json", "partition_to_json"]


def partition_to_json(part: Partition) -> dict[str, object]:
    """One partition as `status --json` reports it."""
    return {
        "name": part.name,
        "path": part.path,
        "number": part.number,
        "size_bytes": part.size_bytes,
        "part_type": part.part_type,
        "fstype": part.fstype,
        "mountpoints": list(part.mountpoints),
        "holders": list(part.holders),
        "by_id": list(part.by_id),
    }


def disk_to_json(disk: Disk) -> dict[str, object]:
    """One disk with its partitions, as `status --json` reports it (plain JSON types only)."""
    return {
        "name": disk.name,
        "path": disk.path,
        "size_bytes": disk.size_bytes,
        "model": disk.model,
        "serial": disk.serial,
        "wwn": disk.wwn,
        "transport": disk.transport,
        "by_id": list(disk.by_id),
        "partitions": [partition_to_json(p) for p in disk.partitions],
    }
