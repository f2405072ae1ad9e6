"""Lab: a destructive step whose disk was swapped is refused, and the new disk is untouched.

Boot 1, on the md0-root server: `md2zfs run --until 0` chooses the roles and keeps them on
the root filesystem (/var/lib/md2zfs/roles.json, on md0): DC is disk 3, by its identity.
Boot 2, the same server with disk 3 replaced by a blank disk of the same size on the same
port but with another serial: `md2zfs run --until 1`, with `--confirm-disk` naming the new
disk and then the old one, stops at the preflight (DC's identity answers nowhere) before
phase 1; and phase 1's first destructive step run alone (the executor's own guard, with a
confirmation that says yes to anything) is refused before it asks. Nothing is written: the
new disk has no partition table (its image is still all zeros) and md0 keeps both members.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import runner
from conftest import LabFactory, make_md_root_server

pytestmark = pytest.mark.lab

SETUP = r"""
T=/lab/project/tests/lab
export PATH=$T/standins:$PATH
mkdir -p /run/current-system/bin
ln -sf $T/standins/switch-to-configuration /run/current-system/bin/switch-to-configuration
O=/lab/job/out
mkdir -p $O
"""

# Boot 1: choose and save the roles, change nothing.
CHOOSE_ROLES = (
    SETUP
    + r"""
python3 -m backend.cli run --until 0 > $O/run0.log 2>&1 < /dev/null
echo $? > $O/run0.rc
cp /var/lib/md2zfs/roles.json $O/roles-boot1.json
sync
exit 0
"""
)

# Boot 2: disk 3 swapped; phase 1 confirmed once for the new disk, once for the old one.
SWAPPED_RUN = (
    SETUP
    + r"""
cp /var/lib/md2zfs/roles.json $O/roles-boot2.json
N={new_dev}
echo "$N" > $O/new-dev
for who in new old; do
    [ $who = new ] && id={new_serial} || id={old_serial}
    python3 -m backend.cli run --until 1 --confirm-disk $id > $O/run-$who.log 2>&1 < /dev/null
    echo $? > $O/run-$who.rc
done
python3 - {new_serial} {old_serial} > $O/step.log 2>&1 < /dev/null <<'EOF'
{step_py}
EOF
echo $? > $O/step.rc
sfdisk -d "$N" > $O/sfdisk-new 2>&1
echo $? > $O/sfdisk-new.rc
wipefs --no-act "$N" > $O/wipefs-new 2>&1
lsblk --json --bytes --output-all > $O/lsblk.json
cat /proc/mdstat > $O/mdstat
mdadm --detail /dev/md0 > $O/md0-detail 2>&1
cat /var/lib/md2zfs/journal.jsonl > $O/journal.jsonl 2>/dev/null
exit 0
"""
)


# The executor's own guard, reached without the preflight (as a step-by-step caller such as the
# wizard does): run the first destructive step alone, with a confirmation that says yes to
# anything. It must be refused before it asks.
STEP_PY = r"""
import argparse, sys
from backend.cmd_run import EXIT, Printer
from backend.executor_setup import prepare

asked = []

def confirm(destroys, disk):
    asked.append(disk.path)
    return True

args = argparse.Namespace(confirm_disk=sys.argv[1:], until=None, demo=False, reboot=False)
ex = prepare(args, emit=Printer(sys.stdout), confirm=confirm)
step = next(s for s in ex.plan_for(ex.take_inventory()).steps() if s.destroys)
print("step:", step.id, "destroys:", [str(d.identity) for d in step.destroys])
res = ex.run_step(step.id)
print("outcome:", res.outcome)
print("asked:", asked)
sys.exit(EXIT[res.outcome])
"""


@pytest.mark.skipif(
    not (runner.PROJECT / "backend" / "cmd_run.py").exists(),
    reason="md2zfs run (backend/cmd_run.py) does not exist yet",
)
def test_swapped_disk_refused(make_lab: LabFactory) -> None:
    """DC planned by identity, then swapped for another blank disk: phase 1 is refused."""
    lab, disks = make_md_root_server(make_lab)
    old = disks[2]
    out = lab.run_dir / "job" / "out"

    lab.run(CHOOSE_ROLES, root="md0", systemd=True, timeout=600).check()
    run0 = (out / "run0.log").read_text()
    assert (out / "run0.rc").read_text().strip() == "0", run0[-4000:]
    roles = (out / "roles-boot1.json").read_text()
    assert old.serial in roles, roles

    # The same port, the same size, another disk: a blank image with another serial.
    new = runner.Disk("d3-swapped", old.size, old.bus, serial="SWAPPED0003", wwn=None)
    with open(lab.disk_path(new), "wb") as f:
        f.truncate(os.path.getsize(lab.disk_path(old)))
    lab.disks[2] = new
    script = SWAPPED_RUN.format(
        new_dev=runner.find_disk_sh(new),
        new_serial=new.serial,
        old_serial=old.serial,
        step_py=STEP_PY.strip(),
    )
    lab.run(script, root="md0", systemd=True, timeout=600).check()

    assert (out / "roles-boot2.json").read_text() == roles, "the saved roles did not persist"
    for who in ("new", "old"):
        log = (out / f"run-{who}.log").read_text()
        rc = (out / f"run-{who}.rc").read_text().strip()
        print(f"--- md2zfs run --until 1 --confirm-disk <{who} serial>: exit {rc}\n{log[-1500:]}")
        # The preflight (step 0.1, run again by every start) finds DC gone: the run is
        # refused (exit 2) and phase 1 never starts.
        assert rc == "2", log[-6000:]
        assert f"FAIL identity-dc: no disk answers to DC's identity serial:{old.serial}" in log
        assert "FAILED 0.1-preflight" in log, log[-6000:]
        assert "==> 1." not in log and "confirmed by --confirm-disk" not in log, log[-6000:]

    # The destructive step alone: refused by its re-check of the target (exit 2), unasked.
    step_log = (out / "step.log").read_text()
    print(f"--- the first destructive step alone: exit {(out / 'step.rc').read_text()}{step_log}")
    assert (out / "step.rc").read_text().strip() == "2", step_log[-6000:]
    assert "outcome: refused" in step_log and "asked: []" in step_log, step_log[-6000:]
    assert f"refused: no disk answers to serial:{old.serial}" in step_log, step_log[-6000:]

    # Nothing was written to the new disk, in the guest's view and on the host.
    new_dev = (out / "new-dev").read_text().strip()
    assert new_dev.startswith("/dev/"), new_dev
    assert (out / "sfdisk-new.rc").read_text().strip() != "0", (out / "sfdisk-new").read_text()
    assert (out / "wipefs-new").read_text().strip() == "", (out / "wipefs-new").read_text()
    lsblk = json.loads((out / "lsblk.json").read_text())
    dev = next(d for d in lsblk["blockdevices"] if d["serial"] == new.serial)
    assert not dev.get("children"), dev
    assert _all_zero(lab.disk_path(new)), "the swapped-in disk was written to"

    # md0 still mirrors / on disks 1 and 2.
    detail = (out / "md0-detail").read_text()
    assert "Active Devices : 2" in detail and "Working Devices : 2" in detail, detail
    md0 = next(ln for ln in (out / "mdstat").read_text().splitlines() if ln.startswith("md0 :"))
    names = {d["serial"]: d["name"] for d in lsblk["blockdevices"]}
    for d in disks[:2]:
        assert names[d.serial] in md0, md0
    assert names[new.serial] not in md0, md0


def _all_zero(path: Path) -> bool:
    """True when every allocated extent of a sparse file reads as zeros."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        fd = f.fileno()
        pos = 0
        while pos < size:
            try:
                start = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError:  # ENXIO: no data after pos
                return True
            end = os.lseek(fd, start, os.SEEK_HOLE)
            f.seek(start)
            while start < end:
                chunk = f.read(min(1 << 20, end - start))
                if not chunk:
                    break
                if chunk.count(0) != len(chunk):
                    return False
                start += len(chunk)
            pos = end
    return True
