"""SimHost as a Host: persistence across processes, clocks, faults, hotplug, cancel, udev."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from backend.host import Cancel, Host
from backend.parse.mdstat import parse_mdstat
from backend.sim.clock import FakeClock, RealClock
from backend.sim.demo import DEMO_START, demo_state
from backend.sim.host import SimHost
from backend.sim.persist import from_json, to_json
from backend.sim.state import STATE_VERSION, SimDisk
from tests.sim import walk


def percent(host: SimHost) -> float:
    md0 = parse_mdstat(host.read_file("/proc/mdstat")).array("md0")
    assert md0 is not None and md0.sync is not None and md0.sync.percent is not None
    return md0.sync.percent


def test_is_a_host(host: SimHost) -> None:
    assert isinstance(host, Host)
    assert "simulated" in host.description


def test_state_json_round_trip_is_exact() -> None:
    state = demo_state()
    text = to_json(state)
    assert from_json(text) == state
    data = json.loads(text)
    data["version"] = STATE_VERSION + 1
    with pytest.raises(ValueError, match="unsupported sim state version"):
        from_json(json.dumps(data))


def test_load_creates_the_demo_and_reset_forgets_it(state_file: Path) -> None:
    host = SimHost.load(state_file, clock=FakeClock(DEMO_START))
    assert state_file.exists()
    walk.run(host, "swapoff", "/dev/sda2")
    again = SimHost.load(state_file, clock=FakeClock(DEMO_START))
    assert again.state.swaps == ["sdb2"]
    SimHost.reset(state_file)
    assert SimHost.load(state_file, clock=FakeClock(DEMO_START)).state.swaps == ["sda2", "sdb2"]


def test_killed_mid_recovery_resumes_at_the_right_point(state_file: Path) -> None:
    first = SimHost.load(state_file, clock=FakeClock(DEMO_START))
    walk.phase1(first)
    walk.clock(first).advance(1200)
    seen = percent(first)
    first.save()  # what a periodic save (or the last change) left on disk
    del first  # "killed": nothing else is written
    # The next process starts with a clock that has not caught up: it resumes from the file.
    second = SimHost.load(state_file, clock=FakeClock(DEMO_START))
    assert percent(second) == pytest.approx(seen, abs=0.1)
    walk.clock(second).advance(600)
    assert percent(second) == pytest.approx(seen + 600 * 200_000 / 968371136 * 100, abs=0.2)
    walk.wait_md(second)
    assert "[UUU]" in second.read_file("/proc/mdstat")


def test_every_change_is_persisted_before_run_returns(state_file: Path) -> None:
    host = SimHost.load(state_file, clock=FakeClock(DEMO_START))
    walk.phase1(host)
    on_disk = from_json(state_file.read_text())
    assert on_disk.arrays[0].raid_disks == 3 and on_disk.arrays[0].sync is not None
    assert not list(state_file.parent.glob(".simstate-*")), "temp file left behind"


def test_real_clock_is_anchored_in_the_state(state_file: Path) -> None:
    host = SimHost.load(state_file, time_scale=1000.0)
    walk.phase1(host)
    anchor = json.loads(state_file.read_text())["clock_anchor"]
    assert anchor[2] == 1000.0
    time.sleep(0.05)  # the "dead" time counts: the real server keeps recovering
    again = SimHost.load(state_file, time_scale=1000.0)
    assert again.clock() >= host.clock() - 1
    assert again.clock() - DEMO_START >= 50
    clock = RealClock.from_anchor(anchor, 10.0)  # a different scale re-anchors, no jump
    assert abs(clock.now() - RealClock.from_anchor(anchor, 1000.0).now()) < 5


def test_fault_injection(host: SimHost) -> None:
    host.inject_fault(
        lambda argv: argv[:2] == ("mdadm", "--grow"),
        returncode=2,
        stderr="mdadm: injected",
        times=1,
    )
    lines: list[str] = []
    before = to_json(host.state)
    result = host.run(["mdadm", "--grow", "/dev/md0", "--raid-devices=3"], on_line=lines.append)
    assert (result.returncode, result.stderr, lines) == (
        2,
        "mdadm: injected\n",
        ["mdadm: injected"],
    )
    assert to_json(host.state) == before
    assert host.run(["mdadm", "--grow", "/dev/md0", "--raid-devices=3"]).ok  # used up


def test_cancel_stops_a_streaming_rsync(host: SimHost) -> None:
    walk.through(host, 3)
    walk.small_pool(host)
    cancel = Cancel()
    lines: list[str] = []

    def on_line(line: str) -> None:
        lines.append(line)
        if len(lines) == 3:
            cancel.set()

    result = host.run(
        ["rsync", "-aHAXS", "--info=progress2", "/", "/mnt/"], on_line=on_line, cancel=cancel
    )
    assert result.returncode == 20 and len(lines) == 4
    assert "(code 20)" in lines[-1]
    ds = host.state.dataset("rpool/root")
    assert ds is not None and ds.synced_at is None


def test_reads_are_served_while_a_long_command_sleeps() -> None:
    host = SimHost(demo_state(), clock=RealClock(5000.0, start=DEMO_START))
    walk.phase1(host)
    time.sleep(1.0)  # 968 GB at 200 MB/s, 5000 times faster than real
    walk.phase2(host)
    walk.phase3(host)
    walk.small_pool(host)
    reads: list[str] = []
    worker = threading.Thread(
        target=lambda: host.run(["rsync", "-aHAXS", "--info=progress2", "/", "/mnt/"])
    )
    worker.start()
    while worker.is_alive():
        reads.append(host.read_file("/proc/mdstat"))
        time.sleep(0.005)
    worker.join()
    assert len(reads) > 5


def test_udev_names_look_real(host: SimHost) -> None:
    udev = host.udev()
    sda = udev["sda"]
    assert sda.by_id == (
        "/dev/disk/by-id/ata-Samsung_SSD_870_EVO_1TB_S6PTNM0T412873K",
        "/dev/disk/by-id/wwn-0x5002538f4231a7c2",
    )
    assert sda.by_path == ("/dev/disk/by-path/pci-0000:00:1f.2-ata-1",)
    assert udev["sdb3"].by_id[0].endswith("_23304K800913-part3")
    assert udev["sdb3"].part_entry_number == 3
    assert host.exists("/dev/disk/by-id/wwn-0x500a0751e8a41f07")
    assert udev["md0"].by_id == ("/dev/disk/by-id/md-uuid-5d4e3c2b:1a2b3c4d:9e8f7a6b:0c1d2e3f",)


def test_hotplug_and_remove_notify(host: SimHost) -> None:
    heard: list[str] = []
    unsubscribe = host.subscribe(heard.append)
    host.hotplug_disk(
        SimDisk(
            "sdd",
            2000398934016,
            "ST2000DM008-2UB102",
            "ZFL4K2QX",
            "0x5000c500e5a1b2c3",
            minor=48,
            hctl="3:0:0:0",
            pci_path="pci-0000:00:1f.2-ata-4",
        )
    )
    assert "sdd" in host.run(["lsblk", "--json", "--bytes", "--output-all"]).stdout
    host.remove_disk("sdb")
    assert heard == ["sdd", "sdb"]
    md0 = parse_mdstat(host.read_file("/proc/mdstat")).array("md0")
    assert md0 is not None and md0.slots == "U_"
    unsubscribe()
    walk.run(host, "sfdisk", "/dev/sdc", stdin=walk.layout_script())
    assert heard == ["sdd", "sdb"]


def test_repartition_notifies_subscribers(host: SimHost) -> None:
    heard: list[str] = []
    host.subscribe(heard.append)
    walk.run(host, "sfdisk", "/dev/sdc", stdin=walk.layout_script())
    assert heard == ["sdc"]


def test_files_and_proc(host: SimHost) -> None:
    assert "boot.loader.grub.devices" in host.read_file("/etc/nixos/configuration.nix")
    assert 'fsType = "ext4"' in host.read_file("/etc/nixos/hardware-configuration.nix")
    assert len(host.read_file("/etc/machine-id").strip()) == 32
    assert "session-3.scope" in host.read_file("/proc/self/cgroup")
    assert "/dev/sda2" in host.read_file("/proc/swaps")
    with pytest.raises(FileNotFoundError):
        host.read_file("/etc/hostid")
    host.write_file("/etc/nixos/md2zfs.nix", "{ ... }: { }\n", 0o600)
    assert host.state.files["/etc/nixos/md2zfs.nix"].mode == 0o600
    with pytest.raises(FileNotFoundError):
        host.write_file("/etc/secrets/zfs-rpool.key", "x")


def test_io_counters_follow_the_recovery(host: SimHost) -> None:
    assert host.io_counters() == {}
    walk.phase1(host)
    walk.clock(host).advance(10)
    io = host.io_counters()
    assert io["sdc3"].write_bytes == 10 * 200_000 * 1024
    assert io["sda3"].read_bytes + io["sdb3"].read_bytes == 10 * 200_000 * 1024


def test_hotplug_a_default_disk(host: SimHost) -> None:
    heard: list[str] = []
    host.subscribe(heard.append)
    disk = host.hotplug_disk()
    assert (disk.name, heard) == ("sdd", ["sdd"])
    info = host.udev()["sdd"]
    assert info.by_id[0].startswith("/dev/disk/by-id/ata-ST2000DM008-2UB102_ZFL")
    assert host.hotplug_disk().name == "sde"


def test_pulling_a_mirror_disk_degrades_the_pool() -> None:
    from backend.parse.zpool_status import parse_zpool_status
    from tests.sim.checkpoints import at

    host = at("rebooted")
    host.remove_disk("sdb")
    (pool,) = parse_zpool_status(host.run(["zpool", "status", "-P"]).stdout)
    assert pool.state == "DEGRADED" and pool.status is not None
    (mirror,) = pool.vdevs
    assert [leaf.state for leaf in mirror.children] == ["ONLINE", "REMOVED"]
    md1 = parse_mdstat(host.read_file("/proc/mdstat")).array("md1")
    assert md1 is not None and md1.slots == "U_"
