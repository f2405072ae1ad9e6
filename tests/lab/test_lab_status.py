"""Lab: what the real tools (and `md2zfs status --json`) report for md0 + a spare, per bus.

One boot per (OpenZFS variant, bus): three disks of that bus, partitioned like a server,
md0 = RAID1 over partition 3 of disks 1 and 2 with disk 3's as a spare.  The guest writes
the raw outputs to its job share; the assertions run on the host.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import runner
from conftest import LabFactory, save_captures, variant_of

pytestmark = pytest.mark.lab

PROJECT = runner.PROJECT
MODEL = "MD2ZFS LAB DISK"


def cli_has(command: str) -> bool:
    """True when the project's CLI implements command (backend/cmd_<command>.py exists)."""
    return (PROJECT / "backend" / f"cmd_{command}.py").exists()


def disks_for(bus: str) -> list[runner.Disk]:
    """Three 1 GiB disks on one bus; SCSI and SATA disks get a WWN, virtio cannot."""
    out = []
    for i in (1, 2, 3):
        wwn = 0x5000C50000A1B000 + (0x100 * BUSES_INDEX[bus]) + i if bus != "virtio" else None
        out.append(runner.Disk(f"d{i}", "1G", bus, serial=f"{bus[:4].upper()}SN000{i}", wwn=wwn))
    return out


BUSES_INDEX = {bus: n for n, bus in enumerate(runner.BUSES)}

STATUS_JOB = r"""
set -e
T=/lab/project/tests/lab/guest_tools.sh
A=$(sh $T dev {s1} {w1}); B=$(sh $T dev {s2} {w2}); C=$(sh $T dev {s3} {w3})
echo "disks: $A $B $C"
modprobe zfs
for d in "$A" "$B" "$C"; do sh $T partition "$d"; done
udevadm settle
p() {{ case "$1" in *[0-9]) echo "${{1}}p$2" ;; *) echo "$1$2" ;; esac; }}
mdadm --create /dev/md0 --run --metadata=0.90 --level=1 --raid-devices=2 --assume-clean \
    --homehost=md2zfs-lab "$(p "$A" 3)" "$(p "$B" 3)"
mdadm /dev/md0 --add "$(p "$C" 3)"
mkfs.ext4 -q /dev/md0
# Steady state, as after a boot: without this change event lsblk shows no FSTYPE on md0
# nor on the spare partition added after the array was assembled (seen in the lab).
udevadm trigger --subsystem-match=block --action=change
udevadm settle
O=/lab/job/out
mkdir -p $O
lsblk --json --bytes --output-all > $O/lsblk.json
cat /proc/mdstat > $O/mdstat
mdadm --detail /dev/md0 > $O/mdadm-detail
mdadm --detail --export /dev/md0 > $O/mdadm-detail-export
ls -l /dev/disk/by-id/ > $O/by-id
zpool status > $O/zpool-status 2>&1 || true
rc=0; zpool status -j > $O/zpool-status-j 2>&1 || rc=$?; echo $rc > $O/zpool-status-j.rc
zfs version > $O/zfs-version 2>&1
if [ -f /lab/project/backend/cmd_status.py ]; then
    rc=0; python3 -m backend.cli status --json > $O/status.json 2> $O/status.err || rc=$?
    echo $rc > $O/status.rc
fi
if [ -f /lab/project/backend/cmd_capture.py ]; then
    rc=0; python3 -m backend.cli capture $O/capture > $O/capture.log 2>&1 || rc=$?
    echo $rc > $O/capture.rc
fi
echo done
"""


def status_job(disks: list[runner.Disk]) -> str:
    """The guest script for the md0 + spare layout over three disks."""
    subs: dict[str, str] = {}
    for i, d in enumerate(disks, 1):
        subs[f"s{i}"] = d.serial
        subs[f"w{i}"] = runner._wwn_text(d)
    return STATUS_JOB.format(**subs)


def by_id_names(disk: runner.Disk) -> list[str]:
    """The /dev/disk/by-id names udev gives a whole disk on each bus (LAB.md)."""
    if disk.bus == "virtio":
        return [f"virtio-{disk.serial}"]
    wwn = f"{disk.wwn:#018x}"
    if disk.bus == "scsi":
        return [f"scsi-3{wwn[2:]}", f"wwn-{wwn}"]
    return [f"ata-{MODEL.replace(' ', '_')}_{disk.serial}", f"wwn-{wwn}"]


def lsblk_disk(lsblk: dict[str, Any], disk: runner.Disk) -> dict[str, Any]:
    """The lsblk entry of a disk, found by serial or WWN."""
    wwn = runner._wwn_text(disk)
    for dev in lsblk["blockdevices"]:
        if dev.get("serial") == disk.serial or (disk.wwn is not None and dev.get("wwn") == wwn):
            return dev  # type: ignore[no-any-return]
    raise AssertionError(f"{disk} not in lsblk: {[d.get('name') for d in lsblk['blockdevices']]}")


@pytest.mark.parametrize("bus", runner.BUSES)
def test_md0_with_spare(make_lab: LabFactory, bus: str) -> None:
    """Real lsblk/mdstat/mdadm/zpool output for md0 + spare; status --json when it exists."""
    disks = disks_for(bus)
    lab = make_lab(disks)
    res = lab.run(status_job(disks), timeout=420).check()
    out = lab.run_dir / "job" / "out"
    variant = variant_of(lab)
    save_captures(out, f"md0-spare-{bus}-zfs{variant}")

    lsblk = json.loads((out / "lsblk.json").read_text())
    by_id = (out / "by-id").read_text()
    names = []
    for d in disks:
        dev = lsblk_disk(lsblk, d)
        names.append(dev["name"])
        assert dev["type"] == "disk" and dev["size"] == 2**30
        assert [c["name"] for c in dev["children"]] == [
            runner.part_name(dev["name"], n) for n in (1, 2, 3)
        ]
        raid = dev["children"][2]
        assert raid["fstype"] == "linux_raid_member"
        assert raid["children"][0]["name"] == "md0"
        assert raid["children"][0]["type"] == "raid1"
        assert dev["tran"] == ("sata" if bus == "sata" else None)
        if bus == "sata":
            assert dev["serial"] == d.serial and dev["model"] == MODEL
        if d.wwn is not None:
            assert dev["wwn"] == runner._wwn_text(d)
        for name in by_id_names(d):
            assert f" {name} -> ../../{dev['name']}\n" in by_id, (name, by_id)
    if bus == "scsi":
        assert "scsi-0QEMU" not in by_id or all(d.serial not in by_id for d in disks)

    mdstat = (out / "mdstat").read_text()
    p1, p2, p3 = (runner.part_name(n, 3) for n in names)
    assert "md0 : active raid1" in mdstat
    line = next(ln for ln in mdstat.splitlines() if ln.startswith("md0 :"))
    assert f"{p3}[2](S)" in line and p1 in line and p2 in line, line
    assert "[2/2] [UU]" in mdstat

    detail = (out / "mdadm-detail").read_text()
    assert "Version : 0.90" in detail and "Raid Level : raid1" in detail
    assert "State : clean" in detail and "Spare Devices : 1" in detail
    assert f"spare   /dev/{p3}" in " ".join(detail.split("  ")).replace("  ", " ") or any(
        ln.split()[-2:] == ["spare", f"/dev/{p3}"] for ln in detail.splitlines()
    )
    export = (out / "mdadm-detail-export").read_text()
    assert "MD_LEVEL=raid1" in export and "MD_METADATA=0.90" in export
    assert f"MD_DEVICE_dev_{p3}_ROLE=spare" in export

    assert "no pools available" in (out / "zpool-status").read_text()
    zpool_j_rc = int((out / "zpool-status-j.rc").read_text())
    if variant == "2.3":
        assert zpool_j_rc == 0
        assert "pools" in json.loads((out / "zpool-status-j").read_text())
    else:
        assert zpool_j_rc != 0
        assert "invalid option 'j'" in (out / "zpool-status-j").read_text()
    assert f"zfs-kmod-{variant}" in (out / "zfs-version").read_text()

    if cli_has("status"):
        check_status_json(out, disks, names)
    if cli_has("capture"):
        assert (out / "capture.rc").read_text().strip() == "0", (out / "capture.log").read_text()
    print(f"guest run {res.elapsed:.1f} s")


def check_status_json(out: Path, disks: list[runner.Disk], names: list[str]) -> None:
    """`md2zfs status --json`: disks with serials and by-id names, md0 with its members.

    The schema belongs to the CLI; this checks facts, not field names: each disk's serial
    (or WWN when the bus hides the serial from udev), a by-id name, and md0's members.
    """
    rc = (out / "status.rc").read_text().strip()
    assert rc == "0", (out / "status.err").read_text()
    status = json.loads((out / "status.json").read_text())
    text = json.dumps(status)
    for d, name in zip(disks, names, strict=True):
        assert d.serial in text or runner._wwn_text(d) in text, (d, text[:2000])
        assert any(n in text for n in by_id_names(d)), (d, by_id_names(d))
        assert name in text
    assert "md0" in text
    for n in names:
        assert runner.part_name(n, 3) in text
