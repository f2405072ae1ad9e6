"""The COMMANDS.md vocabulary, run by hand in order on the demo, reaches the end state."""

from __future__ import annotations

import pytest

from backend.parse.lsblk import parse_lsblk
from backend.parse.mdstat import parse_mdstat
from backend.parse.zpool_status import parse_zpool_status
from backend.sim.host import SimHost
from tests.sim import walk


def test_whole_migration_reaches_the_final_state(host: SimHost) -> None:
    walk.migrate(host)
    mounts = host.read_file("/proc/self/mounts")
    assert "rpool/root / zfs" in mounts
    assert "/dev/md1 /boot ext4" in mounts
    assert " /mnt" not in mounts
    (pool,) = parse_zpool_status(host.run(["zpool", "status", "-P"]).stdout)
    assert pool.name == "rpool" and pool.state == "ONLINE"
    (mirror,) = pool.vdevs
    assert mirror.name == "mirror-0"
    assert [lf.name for lf in mirror.children] == [
        walk.by_id(host, "sda3"),
        walk.by_id(host, "sdb3"),
    ]
    assert pool.scan is not None and pool.scan.state == "finished"
    mdstat = parse_mdstat(host.read_file("/proc/mdstat"))
    assert [a.name for a in mdstat.arrays] == ["md1"]
    md1 = mdstat.array("md1")
    assert md1 is not None and md1.slots == "UU" and md1.sync is None
    assert {m.device for m in md1.members} == {"sda2", "sdb2"}
    disks = {
        d.name: d
        for d in parse_lsblk(host.run(["lsblk", "--json", "--bytes", "--output-all"]).stdout).disks
    }
    assert disks["sdc"].pttype is None and not disks["sdc"].partitions
    assert disks["sdc"].fstype is None
    assert host.state.system.boot_error is None
    assert host.state.system.boot_count == 2
    assert host.read_file("/etc/hostid").strip() == "4f2a9c7e"


def test_recovery_takes_realistic_time(host: SimHost) -> None:
    walk.phase1(host)
    walk.clock(host).advance(60)
    line = host.read_file("/proc/mdstat").splitlines()[3]
    assert "recovery =   1.2%" in line and "speed=200000K/sec" in line
    walk.clock(host).advance(4850)  # ~968 GB at 200 MB/s: a bit over 80 minutes in all
    assert "[UUU]" in host.read_file("/proc/mdstat")


def test_rsync_streams_progress2_lines(host: SimHost) -> None:
    walk.through(host, 3)
    lines: list[str] = []
    start = host.clock()
    walk.run(host, "sfdisk", "/dev/sda", stdin=walk.layout_script())
    walk.run(host, *walk.CREATE_BOOT_ARRAY)
    walk.run(host, *walk.MKFS_BOOT)
    walk.run(
        host, "zpool", "create", "-f", "-O", "mountpoint=legacy", "rpool", walk.by_id(host, "sda3")
    )
    for sub in ("root", "root/nix", "root/var", "root/tmp", "root/etc"):
        walk.run(host, "zfs", "create", f"rpool/{sub}")
    walk.mount_all(host)
    result = host.run(
        ["rsync", "-aHAXS", "--one-file-system", "--info=progress2", "/", "/mnt/"],
        on_line=lines.append,
    )
    assert result.ok and lines == result.stdout.splitlines()
    assert len(lines) == 20
    assert lines[-1].split()[1] == "100%" and "to-chk=0/" in lines[-1]
    assert host.clock() - start > 900  # ~300 GB at 300 MB/s of simulated time
    used = sum(d.used_bytes for d in host.state.datasets)
    assert used == pytest.approx(host.state.arrays[0].content.used_bytes, rel=0.01)  # type: ignore[union-attr]


def test_second_rsync_only_sends_the_changes(host: SimHost) -> None:
    walk.through(host, 4)
    before = host.clock()
    walk.run(
        host, "rsync", "-aHAXS", "--delete", "--one-file-system", "--info=progress2", "/", "/mnt/"
    )
    assert host.clock() - before < 60


def test_cut_over_copy_is_made_quiet(host: SimHost) -> None:
    walk.through(host, 4)
    root = host.state.dataset("rpool/root")
    assert root is not None and root.synced_at is not None and not root.synced_quiet
    walk.phase5(host)
    walk.phase6(host)
    assert root.synced_quiet
    assert host.run(["systemctl", "is-active", "md2zfs-maintenance.target"]).stdout == "active\n"


def test_reboot_without_new_generation_boots_md0_on_c(host: SimHost) -> None:
    """switch-to-configuration of the *running* system makes the old generation the default."""
    walk.through(host, 5)
    walk.phase6(host)
    walk.run(host, "/run/current-system/bin/switch-to-configuration", "boot")
    walk.wait_resilver(host)
    walk.run(host, "systemctl", "reboot")
    mounts = host.read_file("/proc/self/mounts")
    assert "/dev/md0 / ext4" in mounts
    md0 = parse_mdstat(host.read_file("/proc/mdstat")).array("md0")
    assert md0 is not None and md0.slots == "U_" and [m.device for m in md0.members] == ["sdc3"]


def test_reboot_fails_on_a_hostid_mismatch(host: SimHost) -> None:
    walk.through(host, 6)
    host.state.pools[0].hostid = "deadbeef"
    walk.run(host, "systemctl", "reboot")
    assert host.state.system.boot_error == (
        "cannot import 'rpool': pool was previously in use from another system."
    )
    assert host.run(["systemctl", "is-active", "multi-user.target"]).returncode == 3


def test_nixos_rebuild_enables_zfs_tools_and_target(host: SimHost) -> None:
    assert host.run(["zpool", "status"]).returncode == 127
    assert host.run(["modprobe", "zfs"]).returncode == 1
    result = host.run(["systemctl", "isolate", "md2zfs-maintenance.target"])
    assert result.returncode == 5 and "not found" in result.stderr
    walk.phase3(host)
    assert host.which("zpool") == "/run/current-system/sw/bin/zpool"
    assert host.run(["zpool", "status"]).stdout == "no pools available\n"
    assert host.exists("/etc/hostid")


def test_tools_print_what_the_real_ones_print(host: SimHost) -> None:
    dump = walk.run(host, "sfdisk", "-d", "/dev/sda").stdout
    made = walk.run(host, "sfdisk", "/dev/sdc", stdin=walk.strip_ids(dump, bios_to_linux=True))
    assert made.stdout.startswith("Checking that no-one is using this disk right now ... OK\n")
    assert (
        "/dev/sdc1: Created a new partition 1 of type 'Linux filesystem' and of size 1 MiB."
        in made.stdout
    )
    assert made.stdout.endswith("Calling ioctl() to re-read partition table.\nSyncing disks.\n")
    grow = walk.run(host, "mdadm", "--grow", "/dev/md0", "--raid-devices=3", "--add", "/dev/sdc3")
    assert (grow.stdout, grow.stderr) == (
        "raid_disks for /dev/md0 set to 3\n",
        "mdadm: added /dev/sdc3\n",
    )
    walk.wait_md(host)
    walk.phase2(host)
    walk.phase3(host)
    walk.run(host, "sfdisk", "/dev/sda", stdin=walk.layout_script())
    created = walk.run(host, *walk.CREATE_BOOT_ARRAY)
    assert (created.stdout, created.stderr) == ("", "mdadm: array /dev/md1 started.\n")
    walk.run(host, "swapoff", "/dev/sdb2")
    wiped = walk.run(host, "wipefs", "-a", "/dev/sdb2")
    assert wiped.stdout == (
        "/dev/sdb2: 10 bytes were erased at offset 0x00000ff6 (swap): "
        "53 57 41 50 53 50 41 43 45 32\n"
    )
    silent = walk.run(host, "zpool", "create", "-f", "rpool", "/dev/sda3")
    assert (silent.stdout, silent.stderr) == ("", "")
    assert walk.run(host, "mdadm", "--stop", "/dev/md1").stderr == "mdadm: stopped /dev/md1\n"


def test_nix_env_registers_a_generation_without_activation(host: SimHost) -> None:
    walk.phase3(host)
    running = host.state.system.running_generation
    host.write_file("/etc/nixos/md2zfs.nix", walk.MODULE_3)
    walk.run(host, *walk.NIX_SET_PROFILE)
    system = host.state.system
    assert system.running_generation == running == system.boot_generation
    assert max(g.number for g in system.generations) == running + 1


def test_reboot_forgets_run_and_moves_mnt_files(host: SimHost) -> None:
    walk.through(host, 4)
    walk.run(host, "mkdir", "-p", "-m", "755", "/run/md2zfs")
    host.write_file("/run/md2zfs/done", "4.6-first-copy\n")
    host.write_file("/mnt/stale", "gone after rsync --delete\n")
    walk.phase5(host)
    walk.phase6a(host)
    assert not host.exists("/mnt/stale")
    assert host.read_file("/mnt/etc/nixos/md2zfs.nix") == host.read_file("/etc/nixos/md2zfs.nix")
    host.write_file("/mnt/.md2zfs-final-sync", "1\n")
    walk.phase6b(host)
    assert not host.exists("/mnt/.md2zfs-final-sync")  # unmounted
    walk.wait_resilver(host)
    walk.run(host, "systemctl", "reboot")
    assert not host.exists("/run/md2zfs/done") and not host.exists("/run/md2zfs")
    assert host.read_file("/.md2zfs-final-sync") == "1\n"
    assert not host.exists("/mnt/.md2zfs-final-sync")


def test_nixos_rebuild_boot_is_an_alternative_to_nix_env(host: SimHost) -> None:
    walk.through(host, 4)
    host.write_file("/etc/nixos/md2zfs.nix", walk.module_5(host))
    result = walk.run(host, "nixos-rebuild", "boot")
    assert "installing the GRUB 2 boot loader on /dev/disk/by-id/ata-" in result.stdout
    newest = max(g.number for g in host.state.system.generations)
    assert host.state.system.boot_generation == newest != host.state.system.running_generation
    walk.phase6(host)
    walk.wait_resilver(host)
    walk.run(host, "reboot")
    assert "rpool/root / zfs" in host.read_file("/proc/self/mounts")
