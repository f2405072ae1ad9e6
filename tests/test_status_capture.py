"""`status` (text and JSON) on the demo server, and capture -> replay round trips."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from backend.cli import main
from backend.cmd_capture import capture
from backend.host_replay import ReplayHost
from backend.inventory import inventory_to_json, take_inventory
from backend.model import Inventory
from backend.sim.clock import FakeClock
from backend.sim.demo import demo_state
from backend.sim.host import SimHost


def _demo() -> SimHost:
    return SimHost(demo_state(), clock=FakeClock())


def _mid_recovery(host: SimHost) -> SimHost:
    dump = host.run(("sfdisk", "-d", "/dev/sda"))
    assert dump.ok
    script = "\n".join(
        line for line in dump.stdout.splitlines() if not line.startswith(("label-id", "device"))
    )
    assert host.run(("sfdisk", "/dev/sdc"), stdin=script + "\n").ok
    grow = host.run(("mdadm", "--grow", "/dev/md0", "--raid-devices=3", "--add", "/dev/sdc3"))
    assert grow.ok, grow.stderr
    host.sleep(60)
    return host


def _comparable(inv: Inventory) -> Inventory:
    return dataclasses.replace(inv, taken_at=0.0, warnings=())


@pytest.mark.parametrize("state", ["clean", "mid-recovery"])
def test_capture_then_replay_round_trips(tmp_path: Path, state: str) -> None:
    host = _demo() if state == "clean" else _mid_recovery(_demo())
    live = take_inventory(host)
    written = capture(host, tmp_path)
    assert {
        "proc_mdstat",
        "lsblk.json",
        "mdadm_detail_md0.txt",
        "mdadm_detail_md0.export",
        "udev.json",
        "meta.json",
    } <= set(written)
    replayed = take_inventory(ReplayHost(tmp_path))
    assert _comparable(replayed) == _comparable(live)
    if state == "mid-recovery":
        md0 = replayed.array("md0")
        assert md0 is not None and md0.sync is not None and md0.sync.action == "recovery"


def test_status_text_names_disks_by_identity(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "--demo", "--demo-state", str(tmp_path / "s.json")]) == 0
    out = capsys.readouterr().out
    for needle in (
        "S6PTNM0T412873K",
        "0x5002538f4231a7c2",
        "md0",
        "raid1",
        "in sync",
        "ata-Samsung_SSD_870_EVO_1TB_S6PTNM0T412873K",
        "[Linux RAID]",
    ):
        assert needle in out


def test_status_json_has_the_documented_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--demo", "--demo-state", str(tmp_path / "s.json"), "status", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"arrays", "pools", "importable_pools", "disks"}
    (md0,) = doc["arrays"]
    assert set(md0) == {
        "name",
        "state",
        "read_only",
        "level",
        "size_kib",
        "raid_disks",
        "active_disks",
        "slots",
        "degraded",
        "members",
        "sync",
    }
    assert md0["name"] == "md0" and md0["level"] == "raid1" and md0["slots"] == "UU"
    assert md0["degraded"] is False and md0["sync"] is None
    assert sorted(m["device"] for m in md0["members"]) == ["sda3", "sdb3"]
    assert all(set(m) == {"device", "slot", "flags"} for m in md0["members"])
    disk = doc["disks"][0]
    assert {
        "name",
        "path",
        "size_bytes",
        "model",
        "serial",
        "wwn",
        "transport",
        "by_id",
        "partitions",
    } <= set(disk)
    assert any(p.startswith("/dev/disk/by-id/ata-") for p in disk["by_id"])
    assert doc["pools"] == [] and doc["importable_pools"] == []


def test_demo_and_replay_together_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "--demo", "--replay", str(tmp_path)]) == 2
    assert "choose one" in capsys.readouterr().err


def test_inventory_json_of_a_pool(tmp_path: Path) -> None:
    host = _demo()
    live = take_inventory(host)
    doc = inventory_to_json(live)
    assert doc["pools"] == []
