"""The sim's outputs, read back by the real parsers, say what the sim's state says.

Checked at several moments of the migration (clean, mid-recovery, a faulty member, a fresh
pool, mid-resilver, after the reboot, at the end).
"""

from __future__ import annotations

import json

import pytest

from backend.parse.lsblk import parse_lsblk
from backend.parse.mdadm import parse_detail, parse_detail_export
from backend.parse.mdadm_convert import detail_to_array
from backend.parse.mdstat import parse_mdstat
from backend.parse.sfdisk import parse_sfdisk_dump, parse_sfdisk_json
from backend.parse.zpool_import import parse_zpool_import
from backend.parse.zpool_json import parse_zpool_status_json
from backend.parse.zpool_status import parse_zpool_status
from backend.sim.host import SimHost
from backend.sim.progress import md_done_kib, scan_done_bytes
from backend.sim.state import SECTOR, leaves
from backend.sim.variants import foreign_pool
from tests.parse.test_lsblk import _COLUMNS_238
from tests.sim.checkpoints import CHECKPOINTS, at

NAMES = list(CHECKPOINTS)

# The keys util-linux 2.38.1 prints for `lsblk --json --bytes --output-all`, in its order
# (read off the real tool on Debian 12). Deliberately the parser tests' independent copy, not
# backend.sim.render_blk.LSBLK_KEYS: checking the sim against its own table would prove nothing.
LSBLK_238_KEYS = list(_COLUMNS_238)


@pytest.fixture(scope="module", params=NAMES)
def checkpoint(request: pytest.FixtureRequest) -> tuple[str, SimHost]:
    """(name, host at that checkpoint), built once per module."""
    name = str(request.param)
    return name, at(name)


def test_mdstat(checkpoint: tuple[str, SimHost]) -> None:
    _, host = checkpoint
    parsed = parse_mdstat(host.read_file("/proc/mdstat"))
    now = host.clock()
    running = [a for a in host.state.arrays if a.running]
    assert [a.name for a in parsed.arrays] == [a.name for a in running]
    for arr in running:
        got = parsed.array(arr.name)
        assert got is not None
        assert got.raid_disks == arr.raid_disks
        assert got.size_kib == arr.size_kib
        assert {m.device for m in got.members} == {m.device for m in arr.members}
        faulty = {m.device for m in arr.members if m.state == "faulty"}
        assert {m.device for m in got.members if "faulty" in m.flags} == faulty
        if arr.sync is None:
            assert got.sync is None
        else:
            assert got.sync is not None and got.sync.action == arr.sync.action
            assert got.sync.done_kib == md_done_kib(arr.sync, now)
            assert got.sync.total_kib == arr.sync.total_kib


def test_detail_and_export(checkpoint: tuple[str, SimHost]) -> None:
    _, host = checkpoint
    for arr in (a for a in host.state.arrays if a.running):
        detail = parse_detail(host.run(["mdadm", "--detail", f"/dev/{arr.name}"]).stdout)
        model = detail_to_array(detail, arr.name)
        assert model.uuid == arr.uuid and model.metadata == "0.90"
        assert model.raid_disks == arr.raid_disks
        in_sync = {m.device: m.slot for m in arr.members if m.state == "active"}
        assert {m.device: m.slot for m in model.members if m.in_sync} == in_sync
        assert (model.sync is None) == (arr.sync is None)
        export = parse_detail_export(
            host.run(["mdadm", "--detail", "--export", f"/dev/{arr.name}"]).stdout
        )
        roles = {dev: role for dev, role, _ in export.devices}
        assert roles == {
            m.device: str(m.slot) if m.state == "active" else "spare" for m in arr.members
        }


def test_lsblk(checkpoint: tuple[str, SimHost]) -> None:
    _, host = checkpoint
    text = host.run(["lsblk", "--json", "--bytes", "--output-all"]).stdout
    parsed = parse_lsblk(text)
    state = host.state
    assert [d.name for d in parsed.disks] == [d.name for d in state.disks]
    for disk, got in zip(state.disks, parsed.disks, strict=True):
        assert (got.serial, got.wwn, got.model, got.size_bytes, got.transport) == (
            disk.serial,
            disk.wwn,
            disk.model,
            disk.size_bytes,
            disk.transport,
        )
        assert [p.number for p in got.partitions] == [p.number for p in disk.partitions]
        for part, gp in zip(disk.partitions, got.partitions, strict=True):
            content = part.content
            assert gp.size_bytes == part.size * SECTOR
            assert gp.start_sector == part.start
            assert (gp.part_uuid or "").lower() == part.uuid.lower()
            assert gp.fstype == (content.fstype if content else None)

    # Every node carries exactly the 2.38 key set, in the real order.
    def walk(nodes: list[dict[str, object]]) -> None:
        for node in nodes:
            assert [k for k in node if k != "children"] == LSBLK_238_KEYS
            walk(node.get("children", []))  # type: ignore[arg-type]

    walk(json.loads(text)["blockdevices"])


def test_zpool_status_text_and_json(checkpoint: tuple[str, SimHost]) -> None:
    _, host = checkpoint
    if host.which("zpool") is None:
        assert host.run(["zpool", "status"]).returncode == 127
        return
    now = host.clock()
    text_pools = parse_zpool_status(host.run(["zpool", "status", "-P"]).stdout)
    json_pools = parse_zpool_status_json(host.run(["zpool", "status", "-j", "-P"]).stdout, now=now)
    state_pools = host.state.pools
    for parsed in (text_pools, json_pools):
        assert [p.name for p in parsed] == [p.name for p in state_pools]
        for pool, got in zip(state_pools, parsed, strict=True):
            assert [lf.name for lf in got.leaves()] == [lf.path for lf in leaves(pool.root)]
            scan = pool.scan
            if scan is None:
                assert got.scan is None
                continue
            assert got.scan is not None and got.scan.function == scan.function
            running = scan.end_time is None or scan.end_time > now
            assert got.scan.state == ("running" if running else "finished")
            if running:
                pct = 100 * scan_done_bytes(scan, now) / scan.total_bytes
                assert got.scan.percent == pytest.approx(pct, abs=0.5)


def test_zpool_import(checkpoint: tuple[str, SimHost]) -> None:
    _, host = checkpoint
    if host.which("zpool") is None:
        return
    result = host.run(["zpool", "import"])
    assert result.returncode == 1
    assert parse_zpool_import(result.stdout + result.stderr) == ()


def test_zpool_import_lists_a_foreign_pool(host: SimHost) -> None:
    foreign_pool(host.state)
    host.state.running_gen().zfs = True
    result = host.run(["zpool", "import"])
    assert result.ok
    (pool,) = parse_zpool_import(result.stdout)
    assert (pool.name, pool.id, pool.state) == ("rpool", "6150921737475393127", "ONLINE")


def test_sfdisk_dump_and_json(checkpoint: tuple[str, SimHost]) -> None:
    _, host = checkpoint
    for disk in host.state.disks:
        dump = host.run(["sfdisk", "-d", f"/dev/{disk.name}"])
        if disk.pttype is None:
            assert dump.returncode == 1
            assert "does not contain a recognized partition table" in dump.stderr
            continue
        (table,) = parse_sfdisk_dump(dump.stdout)
        from_json = parse_sfdisk_json(host.run(["sfdisk", "--json", f"/dev/{disk.name}"]).stdout)
        for parsed in (table, from_json):
            assert [(p.start, p.size, p.type, p.uuid) for p in parsed.partitions] == [
                (p.start, p.size, p.type_guid, p.uuid) for p in disk.partitions
            ]


def test_demo_is_what_the_brief_says(host: SimHost) -> None:
    inv = parse_lsblk(host.run(["lsblk", "--json", "--bytes", "--output-all"]).stdout)
    sda, sdb, sdc = inv.disks
    assert {sda.model, sdb.model, sdc.model} == {
        "Samsung SSD 870 EVO 1TB",
        "WD Blue SA510 2.5 1000GB",
        "CT1000MX500SSD1",
    }
    assert all(d.serial and d.wwn and d.transport == "sata" for d in inv.disks)
    assert sdc.pttype is None and not sdc.partitions
    for disk in (sda, sdb):
        p1, p2, p3 = disk.partitions
        assert p1.size_bytes == 1024**2 and p2.size_bytes == 8 * 1024**3
        assert (p1.part_type or "").upper() == "21686148-6449-6E6F-744E-656564454649"
        assert (p3.part_type or "").upper() == "A19D880F-05FC-4D3B-A006-743F0F84911E"
        assert p2.fstype == "swap" and p2.mountpoints == ("[SWAP]",)
        assert p3.holders == ("md0",)
    md0 = parse_mdstat(host.read_file("/proc/mdstat")).array("md0")
    assert md0 is not None and md0.slots == "UU" and md0.sync is None
    assert "super" not in host.read_file("/proc/mdstat")
    assert host.read_file("/proc/self/mounts").count("/dev/md0 / ext4") == 1
    assert not host.exists("/etc/hostid")
    assert host.which("zpool") is None and host.which("mdadm") is not None
