"""`--replay DIR` works with whatever a capture holds, even a single file from the corpus."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from backend.host import ReadOnlyHostError
from backend.host_replay import ReplayHost
from backend.inventory import inventory_to_json, take_inventory
from tests.corpus import CORPUS

needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"corpus not present at {CORPUS} (clone without ../shared)"
)


def _replay_with(tmp_path: Path, files: dict[str, Path]) -> ReplayHost:
    for name, src in files.items():
        shutil.copy(src, tmp_path / name)
    return ReplayHost(tmp_path)


@needs_corpus
def test_only_proc_mdstat(tmp_path: Path) -> None:
    host = _replay_with(tmp_path, {"proc_mdstat": CORPUS / "mdstat/check_raid-white-mdstat.txt"})
    inv = take_inventory(host)
    assert [a.name for a in inv.arrays] == ["md125", "md126", "md127"]
    assert inv.disks == ()
    assert not inv.zfs_available
    doc = inventory_to_json(inv)
    assert doc["pools"] == [] and doc["disks"] == []


@needs_corpus
def test_only_one_mdadm_detail_text(tmp_path: Path) -> None:
    src = CORPUS / "mdadm-detail/jc-mdadm-query-raid1-syncing.txt"
    host = _replay_with(tmp_path, {"mdadm_detail_md0.txt": src})
    inv = take_inventory(host)
    (arr,) = inv.arrays
    assert arr.name == "md0"
    assert arr.level == "raid1"
    assert len(arr.members) >= 2


@needs_corpus
def test_only_one_mdadm_detail_export(tmp_path: Path) -> None:
    src = CORPUS / "mdadm-detail/libstorage-ng-export-parse1.txt"
    host = _replay_with(tmp_path, {"mdadm_detail_md0.export": src})
    inv = take_inventory(host)
    (arr,) = inv.arrays
    assert arr.name == "md0"
    assert arr.level == "raid1"
    assert sorted(m.device for m in arr.members) == ["sda1", "sdb1"]
    assert sorted(m.slot for m in arr.members if m.slot is not None) == [0, 1]


@needs_corpus
def test_only_zpool_status(tmp_path: Path) -> None:
    src = CORPUS / "zpool-status/himmelwright-mirror-resilver-in-progress.txt"
    host = _replay_with(tmp_path, {"zpool_status.txt": src})
    inv = take_inventory(host)
    assert inv.zfs_available
    (pool,) = inv.pools
    assert pool.scan is not None and pool.scan.function == "resilver"
    assert pool.scan.state == "running"
    doc = inventory_to_json(inv)
    pools = doc["pools"]
    assert isinstance(pools, list) and pools[0]["name"] == pool.name
    assert doc["arrays"] == []


def test_empty_directory_reports_nothing(tmp_path: Path) -> None:
    inv = take_inventory(ReplayHost(tmp_path))
    assert inv.disks == () and inv.arrays == () and inv.pools == ()
    assert any("lsblk" in w for w in inv.warnings)


def test_replay_refuses_changes(tmp_path: Path) -> None:
    host = ReplayHost(tmp_path)
    with pytest.raises(ReadOnlyHostError):
        host.run(("mdadm", "/dev/md0", "--fail", "/dev/sda3"))
    with pytest.raises(ReadOnlyHostError):
        host.write_file("/etc/nixos/md2zfs.nix", "{}")
    assert not host.is_root()


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ReplayHost(tmp_path / "nope")


def test_udev_json_feeds_identities(tmp_path: Path) -> None:
    (tmp_path / "udev.json").write_text(
        json.dumps({"vda": {"serial": "S1", "by_id": ["/dev/disk/by-id/virtio-S1"]}})
    )
    info = ReplayHost(tmp_path).udev()["vda"]
    assert info.serial == "S1" and info.by_id == ("/dev/disk/by-id/virtio-S1",)
