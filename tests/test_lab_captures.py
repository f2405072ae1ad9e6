"""The parsers and the replay host on real outputs recorded in the QEMU lab (tests/data/lab).

These are the very versions md2zfs supports (mdadm 4.2, util-linux 2.38, OpenZFS 2.1 and 2.3)
on three disk buses, so they run in the ordinary suite, not only in the lab.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.host_replay import ReplayHost
from backend.inventory import take_inventory
from backend.parse.lsblk import parse_lsblk
from backend.parse.mdadm import parse_detail, parse_detail_export
from backend.parse.mdstat import parse_mdstat
from backend.parse.zpool_json import parse_zpool_status_json
from backend.parse.zpool_status import parse_zpool_status

LAB = Path(__file__).resolve().parent / "data" / "lab"
CAPTURES = sorted(p.parent for p in LAB.rglob("meta.json"))
SPARE = sorted(LAB.glob("md0-spare-*"))
MIGRATE = sorted(LAB.glob("migrate-*/*"))


def test_the_lab_data_is_there() -> None:
    assert len(SPARE) == 6 and len(CAPTURES) >= 10 and MIGRATE


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: str(p.relative_to(LAB)))
def test_every_capture_replays_without_warnings(capture: Path) -> None:
    inv = take_inventory(ReplayHost(capture))
    assert inv.warnings == ()
    assert len(inv.disks) >= 3
    # Every lab disk has a serial or a WWN: roles can bind to a stable identity.
    assert all(d.identity().kind in ("wwn", "serial") for d in inv.disks)
    assert all(d.by_id for d in inv.disks)
    # Every array the lab made is a 0.90 RAID1 (md0 the old root, md1 /boot); only phase 7
    # leaves no md0.
    assert inv.arrays and all(a.level == "raid1" and a.metadata == "0.90" for a in inv.arrays)
    assert (inv.array("md0") is None) == (capture.name == "after-phase-7")


@pytest.mark.parametrize("case", SPARE, ids=lambda p: p.name)
def test_md0_with_a_spare(case: Path) -> None:
    (md0,) = parse_mdstat((case / "mdstat").read_text()).arrays
    assert md0.slots == "UU" and md0.raid_disks == 2
    assert [m.flags for m in md0.members].count(("spare",)) == 1
    detail = parse_detail((case / "mdadm-detail").read_text())
    assert detail.fields["Raid Level"] == "raid1"
    assert len(detail.devices) == 3
    export = parse_detail_export((case / "mdadm-detail-export").read_text())
    assert export.values["MD_LEVEL"] == "raid1"
    lsblk = parse_lsblk((case / "lsblk.json").read_text())
    assert len(lsblk.disks) >= 3
    by_id = (case / "by-id").read_text()
    bus = case.name.split("-")[2]
    if bus == "sata":
        assert "ata-" in by_id and all(d.transport == "sata" for d in lsblk.disks[:3])
    if bus == "scsi":
        assert "scsi-3" in by_id and "wwn-" in by_id
    if bus == "virtio":
        assert "virtio-" in by_id
    assert parse_zpool_status((case / "zpool-status").read_text()) == ()


@pytest.mark.parametrize("case", SPARE, ids=lambda p: p.name)
def test_zpool_status_json_only_on_openzfs_2_3(case: Path) -> None:
    rc = int((case / "zpool-status-j.rc").read_text().strip() or "0")
    text = (case / "zpool-status-j").read_text()
    if case.name.endswith("zfs2.1"):
        assert rc != 0 and "invalid option 'j'" in text
    else:
        assert rc == 0 and parse_zpool_status_json(text) == ()


@pytest.mark.parametrize("case", SPARE, ids=lambda p: p.name)
def test_guest_status_json_matches_the_replayed_capture(case: Path) -> None:
    guest = json.loads((case / "status.json").read_text())
    replay = take_inventory(ReplayHost(case / "capture"))
    assert [a["name"] for a in guest["arrays"]] == [a.name for a in replay.arrays]
    assert sorted(d["serial"] or "" for d in guest["disks"]) == sorted(
        d.serial or "" for d in replay.disks
    )


# What the lab saw at each stage of a whole migration (md2zfs capture after each phase of
# `md2zfs run`, after the reboot into the pool and after phase 7), per array:
# (members, raid disks, degraded); the pool's leaves; the source of /; DC partitioned.
MIGRATION = [
    ("before", {"md0": (2, 2, False)}, None, "/dev/md0", False),
    ("after-phase-1", {"md0": (3, 3, False)}, None, "/dev/md0", True),
    ("after-phase-2", {"md0": (2, 2, False)}, None, "/dev/md0", True),
    ("after-phase-3", {"md0": (2, 2, False)}, None, "/dev/md0", True),
    ("after-phase-4", {"md0": (2, 2, False), "md1": (1, 1, False)}, 1, "/dev/md0", True),
    ("after-phase-5", {"md0": (2, 2, False), "md1": (1, 1, False)}, 1, "/dev/md0", True),
    ("after-phase-6", {"md0": (1, 2, True), "md1": (2, 2, False)}, 2, "/dev/md0", True),
    ("after-reboot", {"md0": (1, 2, True), "md1": (2, 2, False)}, 2, "rpool/root", True),
    ("after-phase-7", {"md1": (2, 2, False)}, 2, "rpool/root", False),
]


@pytest.mark.parametrize(("stage", "arrays", "leaves", "root", "dc_partitioned"), MIGRATION)
@pytest.mark.parametrize("variant", ["zfs2.1", "zfs2.3"])
def test_the_migration_as_it_went(
    variant: str,
    stage: str,
    arrays: dict[str, tuple[int, int, bool]],
    leaves: int | None,
    root: str,
    dc_partitioned: bool,
) -> None:
    inv = take_inventory(ReplayHost(LAB / f"migrate-virtio-{variant}" / stage))
    seen = {a.name: (len(a.members), a.raid_disks, a.degraded) for a in inv.arrays}
    assert seen == arrays
    assert all(a.sync is None for a in inv.arrays)
    pool = inv.pool("rpool")
    assert (len(pool.leaves()) if pool else None) == leaves
    mount = inv.mount_at("/")
    assert mount is not None and mount.source == root
    dc = next(d for d in inv.disks if d.serial == "SRVVI0003")
    assert bool(dc.partitions) == dc_partitioned and bool(dc.pttype) == dc_partitioned
    if pool is not None:
        assert {leaf.state for leaf in pool.leaves()} == {"ONLINE"}
