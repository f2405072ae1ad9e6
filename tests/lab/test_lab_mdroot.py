"""Lab: the production layout — / on md0 (RAID1, metadata 0.90) over disks 1 and 2 — boots
through the stock Debian initrd, and `md2zfs status --json` sees it."""

from __future__ import annotations

import json

import pytest
import runner
from conftest import LabFactory, make_md_root_server, save_captures, variant_of

pytestmark = pytest.mark.lab

CHECK_JOB = r"""
set -e
O=/lab/job/out
mkdir -p $O
findmnt -n -o SOURCE,FSTYPE / > $O/root-mount
cat /proc/mdstat > $O/mdstat
mdadm --detail /dev/md0 > $O/mdadm-detail
lsblk --json --bytes --output-all > $O/lsblk.json
if [ -f /lab/project/backend/cmd_status.py ]; then
    python3 -m backend.cli status --json > $O/status.json
fi
if [ -f /lab/project/backend/cmd_capture.py ]; then
    python3 -m backend.cli capture $O/capture > /dev/null
fi
echo ok
"""


def test_root_on_md0_boots(make_lab: LabFactory) -> None:
    """Set up md0 from the image, reboot with root=/dev/md0: / is md0 with both members."""
    lab, disks = make_md_root_server(make_lab)
    lab.run(CHECK_JOB, root="md0", timeout=400).check()
    out = lab.run_dir / "job" / "out"
    save_captures(out, f"md0-root-virtio-zfs{variant_of(lab)}")
    assert (out / "root-mount").read_text().split() == ["/dev/md0", "ext4"]
    mdstat = (out / "mdstat").read_text()
    lsblk = json.loads((out / "lsblk.json").read_text())
    # Without the root image attached, the disks are vda, vdb, vdc: find them by serial.
    names = {d["serial"]: d["name"] for d in lsblk["blockdevices"]}
    a, b = (runner.part_name(names[d.serial], 3) for d in disks[:2])
    line = next(ln for ln in mdstat.splitlines() if ln.startswith("md0 :"))
    assert "active raid1" in line and f"{a}[0]" in line and f"{b}[1]" in line, line
    assert "[2/2] [UU]" in mdstat
    assert "Version : 0.90" in (out / "mdadm-detail").read_text()
    if (out / "status.json").exists():
        text = json.dumps(json.loads((out / "status.json").read_text()))
        for d in disks:
            assert d.serial in text
        assert "md0" in text and a in text and b in text
    # The disk images persist across the boots of one test.
    assert all(lab.disk_path(d).exists() for d in disks)
