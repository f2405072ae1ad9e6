"""Variations of the demo server for tests of bad input and pitfalls (DESIGN.md §3-4).

Each function changes a state in place and returns it, so they compose:
`foreign_pool(small_c(demo_state()))`.
"""

from __future__ import annotations

import backend.sim.nixos as nixos
from backend.sim.demo import MD0_UUID, MIB_SECTORS, rest_size
from backend.sim.state import (
    GPT_LINUX_FS,
    GPT_ZFS,
    Content,
    SimDisk,
    SimFile,
    SimMount,
    SimPartition,
    SimState,
)


def _one_partition(
    state: SimState,
    disk: str,
    ptuuid: str,
    type_guid: str,
    part_uuid: str,
    label: str | None,
    content: Content,
) -> SimDisk:
    """Give `disk` a fresh GPT with one partition from 1 MiB to the end; the disk."""
    d = state.disk(disk)
    if d is None:
        raise KeyError(disk)
    d.pttype, d.ptuuid = "gpt", ptuuid
    start = MIB_SECTORS
    d.partitions = [
        SimPartition(1, start, rest_size(start, d.sectors), type_guid, part_uuid, label, content)
    ]
    return d


def foreign_pool(
    state: SimState, disk: str = "sdc", name: str = "rpool", guid: str = "6150921737475393127"
) -> SimState:
    """Give `disk` a ZFS partition labelled as an exported pool `name` (an old install)."""
    _one_partition(
        state,
        disk,
        "0B7E3A11-52C4-4D8E-9F60-1A2B3C4D5E6F",
        GPT_ZFS,
        "5C3D2E1F-0A9B-4C8D-8E7F-6A5B4C3D2E1F",
        "zfs-8d1e2f3a4b5c6d7e",
        Content(
            "zfs_member",
            uuid=guid,
            label=name,
            version="5000",
            pool_guid=guid,
            vdev_guid="912461718412903721",
        ),
    )
    return state


def mounted_c(state: SimState, disk: str = "sdc") -> SimState:
    """`disk` carries one ext4 partition mounted at /srv/backup."""
    d = _one_partition(
        state,
        disk,
        "7F6E5D4C-3B2A-4190-8877-665544332211",
        GPT_LINUX_FS,
        "A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D",
        None,
        Content(
            "ext4",
            uuid="3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7",
            version="1.0",
            used_bytes=12 * 1024**3,
        ),
    )
    state.dirs += ["/srv", "/srv/backup"]
    state.mounts.append(SimMount(f"/dev/{d.part_name(1)}", "/srv/backup", "ext4"))
    return state


def small_c(state: SimState, disk: str = "sdc", size_bytes: int = 500107862016) -> SimState:
    """`disk` is a 500 GB disk (smaller than A's md member)."""
    d = state.disk(disk)
    if d is None:
        raise KeyError(disk)
    d.size_bytes = size_bytes
    d.model = "CT500MX500SSD1"
    return state


def duplicate_serials(state: SimState) -> SimState:
    """sdb reports sda's serial (cheap USB bridges and some RAID firmwares do this)."""
    a, b = state.disk("sda"), state.disk("sdb")
    if a is None or b is None:
        raise KeyError("sda/sdb")
    b.serial = a.serial
    return state


def virtio_disks(state: SimState) -> SimState:
    """The disks sit on virtio (vdX names, no WWN, serial only in by-id; tran null)."""
    rename = {}
    for i, d in enumerate(state.disks):
        new = f"vd{chr(ord('a') + i)}"
        rename[d.name] = new
        d.name, d.major, d.minor = new, 254, 16 * i
        d.transport, d.vendor, d.wwn, d.hctl = None, "0x1af4", None, None
        d.pci_path = f"pci-0000:00:0{4 + i}.0"
    for arr in state.arrays:
        for m in arr.members:
            m.device = rename[m.device[:3]] + m.device[3:]
    state.swaps = [rename[s[:3]] + s[3:] for s in state.swaps]
    # The installed configuration names the disks as this machine has them.
    ids = [f"/dev/disk/by-id/virtio-{d.serial}" for d in state.disks[:2]]
    conf = state.files["/etc/nixos/configuration.nix"]
    conf.text = nixos.demo_configuration(state.system.hostname, ids, MD0_UUID)
    state.system.generations = [nixos.evaluate(state, number=1, built_at=state.now - 86400)]
    return state


def user_service_cgroup(state: SimState) -> SimState:
    """md2zfs runs in tmux under user@0.service: isolating the maintenance target kills it."""
    state.files["/proc/self/cgroup"] = SimFile(
        "0::/user.slice/user-0.slice/user@0.service/app.slice/tmux-spawn-7f3e.scope\n"
    )
    return state


__all__ = [
    "duplicate_serials",
    "foreign_pool",
    "mounted_c",
    "small_c",
    "virtio_disks",
]
