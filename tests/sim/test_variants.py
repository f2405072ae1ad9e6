"""Demo variations for bad-input tests, pool import/export, and the duplicate-name pitfall."""

from __future__ import annotations

from collections.abc import Callable

from backend.model import Disk
from backend.parse.lsblk import parse_lsblk
from backend.parse.zpool_import import parse_zpool_import
from backend.sim.clock import FakeClock
from backend.sim.demo import DEMO_START, demo_state
from backend.sim.host import SimHost
from backend.sim.state import SimDisk, SimState
from backend.sim.variants import (
    duplicate_serials,
    foreign_pool,
    mounted_c,
    small_c,
    user_service_cgroup,
    virtio_disks,
)
from tests.sim import walk


def make(state_change: Callable[[SimState], SimState]) -> SimHost:
    """A demo host with one variant applied."""
    return SimHost(state_change(demo_state()), clock=FakeClock(DEMO_START))


def lsblk_disks(host: SimHost) -> dict[str, Disk]:
    text = host.run(["lsblk", "--json", "--bytes", "--output-all"]).stdout
    return {d.name: d for d in parse_lsblk(text).disks}


def test_variants_show_in_the_probes() -> None:
    disks = lsblk_disks(make(mounted_c))
    assert disks["sdc"].partitions[0].mountpoints == ("/srv/backup",)
    assert lsblk_disks(make(small_c))["sdc"].size_bytes == 500107862016
    dup = lsblk_disks(make(duplicate_serials))
    assert dup["sda"].serial == dup["sdb"].serial
    assert "user@0.service" in make(user_service_cgroup).read_file("/proc/self/cgroup")


def test_virtio_disks_have_no_wwn_and_virtio_ids() -> None:
    host = make(virtio_disks)
    udev = host.udev()
    assert udev["vda"].by_id == ("/dev/disk/by-id/virtio-S6PTNM0T412873K",)
    assert udev["vda"].wwn is None
    disks = lsblk_disks(host)
    assert disks["vda"].transport is None
    assert "vda3[0]" in host.read_file("/proc/mdstat")
    # The installed configuration still rebuilds: GRUB finds its disks.
    assert host.run(["nixos-rebuild", "boot"]).ok


def test_duplicate_pool_name_breaks_the_boot(host: SimHost) -> None:
    """An old pool called rpool on a fourth disk: NixOS's import by name fails at boot."""
    host.hotplug_disk(
        SimDisk(
            "sdd",
            1000204886016,
            "ST1000DM010-2EP102",
            "Z9A1B2C3",
            "0x5000c500a1b2c3d4",
            minor=48,
            hctl="3:0:0:0",
            pci_path="pci-0000:00:1f.2-ata-4",
        )
    )
    foreign_pool(host.state, disk="sdd")
    walk.through(host, 3)
    imported = host.run(["zpool", "import"])
    assert [p.name for p in parse_zpool_import(imported.stdout)] == ["rpool"]
    walk.phase4(host)
    walk.phase5(host)
    walk.phase6(host)
    walk.wait_resilver(host)
    names = [p.name for p in parse_zpool_import(host.run(["zpool", "import"]).stdout)]
    assert names == ["rpool"]  # the check before the reboot that would have caught it
    walk.run(host, "systemctl", "reboot")
    assert host.state.system.boot_error is not None
    assert "more than one matching pool" in host.state.system.boot_error
    assert host.read_file("/proc/self/mounts").count("\n") == 4  # nothing but /proc etc.


def test_export_and_import_by_name(host: SimHost) -> None:
    walk.through(host, 3)
    walk.small_pool(host, "tank", "data")
    busy = host.run(["zpool", "export", "tank"])
    assert busy.returncode == 1 and busy.stderr.endswith("cannot export 'tank': pool is busy\n")
    walk.run(host, "umount", "/mnt")
    walk.run(host, "zpool", "export", "tank")
    (pool,) = parse_zpool_import(walk.run(host, "zpool", "import").stdout)
    assert pool.name == "tank"
    walk.run(host, "zpool", "import", pool.id, "rpool")
    assert host.run(["zpool", "list", "-H", "-o", "name"]).stdout == "rpool\n"
    assert host.run(["zfs", "list", "-H", "-o", "name,mountpoint"]).stdout == (
        "rpool\tlegacy\nrpool/data\tlegacy\n"
    )
    missing = host.run(["zpool", "import", "tank"])
    assert missing.stderr == "cannot import 'tank': no such pool available\n"
