"""Lab: `md2zfs run` takes the live md0-root server through phases 1-7, for real.

The server: / on md0 (RAID1, 0.90) over disks 1 and 2, disk 3 blank, systemd as PID 1 (phase
6 isolates a maintenance target), NixOS commands replaced by recording stand-ins that
evaluate the generated module with the real Nix evaluator (standins/nixos_standin.py).
Test data with ACLs, xattrs, hard links and a sparse file is put on the server first; after
the run the pool's copy must equal it.  Then the harness plays the boot loader (stage1.py:
the stock initrd with ZFS, the installed generation's host id and stage-1 mounts,
``root=ZFS=rpool/root``) and md2zfs, run again on the booted pool, completes phase 7.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import runner
import stage1
from conftest import LabFactory, make_md_root_server, save_captures, variant_of

pytestmark = pytest.mark.lab

MIGRATE_JOB = r"""
T=/lab/project/tests/lab
export PATH=$T/standins:$PATH
mkdir -p /run/current-system/bin
ln -sf $T/standins/switch-to-configuration /run/current-system/bin/switch-to-configuration
O=/lab/job/out
mkdir -p $O
python3 $T/fingerprint.py make /srv/labdata
python3 $T/fingerprint.py print /srv/labdata > $O/fp-source.json
sh $T/guest_tools.sh capture before
python3 -m backend.cli plan > $O/plan.txt 2>&1
date +%s > $O/run.start
rc=0
{run}
date +%s > $O/run.end
echo $rc > $O/run.rc
echo "md2zfs run exited $rc"
tail -n 40 $O/run.log
sh $T/guest_tools.sh capture end
python3 -m backend.cli status --json > $O/status-after.json 2>&1
cat /proc/mdstat > $O/mdstat
zpool status -P > $O/zpool-status 2>&1
for md in md0 md1; do mdadm --detail /dev/$md > $O/$md-detail 2>&1; done
lsblk --json --bytes --output-all > $O/lsblk.json
cat /lab/job/nixos-calls.jsonl > $O/nixos-calls.jsonl 2>/dev/null
mkdir -p /tmp/zroot
if mount -t zfs rpool/root /tmp/zroot; then
    python3 $T/fingerprint.py print /tmp/zroot/srv/labdata > $O/fp-zfs.json
    umount /tmp/zroot
fi
exit 0
"""


# One phase at a time, with `md2zfs capture` after each: every state the lab passes through
# is kept (copied to $MD2ZFS_LAB_CAPTURES on the host when set).
RUN_ONCE = r"""
for phase in 1 2 3 4 5 6; do
    python3 -m backend.cli run --until $phase {confirm} >> $O/run.log 2>&1 < /dev/null || rc=$?
    sh $T/guest_tools.sh capture after-phase-$phase
    [ $rc = 0 ] || break
done
"""

# SIGKILL md2zfs while md0 recovers onto disk 3 (phase 1), and again while the pool
# resilvers (phase 6); each time start it again; the third start must finish.
RUN_KILLED = r"""
kill_when() {{
    python3 -m backend.cli run --until 6 {confirm} >> $O/run.log 2>&1 < /dev/null &
    pid=$!
    while kill -0 $pid 2>/dev/null; do
        if eval "$1"; then
            kill -9 $pid; wait $pid; echo "killed md2zfs ($2)" | tee -a $O/kills.txt
            cat /proc/mdstat >> $O/kills.txt; zpool status >> $O/kills.txt 2>&1
            return 0
        fi
        sleep 0.3
    done
    wait $pid; echo "md2zfs exited $? before $2" | tee -a $O/kills.txt
}}
kill_when "grep -q recovery /proc/mdstat" "md recovery"
kill_when "zpool status 2>/dev/null | grep -q 'resilver in progress'" "resilver"
python3 -m backend.cli run --until 6 {confirm} >> $O/run.log 2>&1 < /dev/null || rc=$?
"""


def migrate_job(disks: list[runner.Disk], *, kill: bool = False) -> str:
    """The guest script: test data, md2zfs run (killed and restarted if kill), results."""
    confirm = confirm_args(disks)
    run = (RUN_KILLED if kill else RUN_ONCE).format(confirm=confirm)
    return MIGRATE_JOB.replace("{run}", run)


def confirm_args(disks: list[runner.Disk]) -> str:
    """--confirm-disk for each disk, by serial."""
    return " ".join(f"--confirm-disk {d.serial}" for d in disks)


def by_serial(lsblk: dict[str, object], disks: list[runner.Disk]) -> list[str]:
    """The guest's kernel names of the disks, in order."""
    names = {d["serial"]: d["name"] for d in lsblk["blockdevices"]}  # type: ignore[index,union-attr]
    return [names[d.serial] for d in disks]


@pytest.mark.skipif(
    not (runner.PROJECT / "backend" / "cmd_run.py").exists(),
    reason="md2zfs run (backend/cmd_run.py) does not exist yet",
)
def test_migrate_phases_1_to_7(make_lab: LabFactory) -> None:
    """After phase 6: rpool a healthy 2-way mirror on disks 1+2, md1 /boot on both, md0 on
    disk 3 only, and the data on ZFS equal to the source.  After the reboot into the pool,
    phase 7: / on rpool/root, md0 stopped, disk 3 blank, the data still equal."""
    lab, disks, out = check_migration(make_lab, kill=False)
    check_phase7(lab, disks, json.loads((out / "fp-source.json").read_text()))


@pytest.mark.skipif(
    not (runner.PROJECT / "backend" / "cmd_run.py").exists(),
    reason="md2zfs run (backend/cmd_run.py) does not exist yet",
)
def test_migrate_killed_twice(make_lab: LabFactory, lab_image: Path) -> None:
    """SIGKILL during the md recovery and during the resilver; restarted, same result.

    CI's time allows it on one variant: 2.3 unless MD2ZFS_LAB_ALL=1.
    """
    if not lab_image.name.startswith("2.3-") and os.environ.get("MD2ZFS_LAB_ALL") != "1":
        pytest.skip("the kill test runs on OpenZFS 2.3 only (MD2ZFS_LAB_ALL=1 runs it on all)")
    _, _, out = check_migration(make_lab, kill=True)
    kills = (out / "kills.txt").read_text()
    assert "killed md2zfs (md recovery)" in kills and "killed md2zfs (resilver)" in kills, kills


def check_migration(
    make_lab: LabFactory, *, kill: bool
) -> tuple[runner.Lab, list[runner.Disk], Path]:
    """Run the migration job on a fresh md0-root server and check the end state."""
    lab, disks = make_md_root_server(make_lab)
    res = lab.run(migrate_job(disks, kill=kill), root="md0", systemd=True, timeout=1500)
    out = lab.run_dir / "job" / "out"
    variant = variant_of(lab)
    if not kill:
        save_captures(lab.run_dir / "job" / "captures", f"migrate-virtio-zfs{variant}")
    res.check()
    log = (out / "run.log").read_text()
    assert (out / "run.rc").read_text().strip() == "0", log[-6000:]
    seconds = int((out / "run.end").read_text()) - int((out / "run.start").read_text())
    print(f"md2zfs run --until 6: {seconds} s in the guest")

    names = by_serial(json.loads((out / "lsblk.json").read_text()), disks)
    zpool = (out / "zpool-status").read_text()
    assert "state: ONLINE" in zpool and "mirror-0" in zpool, zpool
    assert "errors: No known data errors" in zpool
    for d in disks[:2]:
        assert d.serial in zpool, (d.serial, zpool)
    assert disks[2].serial not in zpool

    mdstat = (out / "mdstat").read_text()
    md0 = next(ln for ln in mdstat.splitlines() if ln.startswith("md0 :"))
    md1 = next(ln for ln in mdstat.splitlines() if ln.startswith("md1 :"))
    assert names[2] in md0 and names[0] not in md0 and names[1] not in md0, md0
    assert names[0] in md1 and names[1] in md1 and names[2] not in md1, md1
    md1_detail = (out / "md1-detail").read_text()
    assert "Raid Level : raid1" in md1_detail and "Active Devices : 2" in md1_detail, md1_detail
    assert "State : clean" in md1_detail and "Version : 0.90" in md1_detail, md1_detail

    calls = [json.loads(ln) for ln in (out / "nixos-calls.jsonl").read_text().splitlines()]
    assert [c for c in calls if c["cmd"] == "nixos-rebuild"], calls
    assert any(c["cmd"] == "switch-to-configuration" for c in calls), calls

    src = json.loads((out / "fp-source.json").read_text())
    assert (out / "fp-zfs.json").exists(), "rpool/root could not be mounted"
    dst = json.loads((out / "fp-zfs.json").read_text())
    assert src == dst, _diff(src, dst)
    return lab, disks, out


def _diff(a: dict[str, object], b: dict[str, object]) -> str:
    """A short description of how two fingerprints differ."""
    lines = [
        f"only in source: {sorted(set(a) - set(b))}",
        f"only on zfs: {sorted(set(b) - set(a))}",
    ]
    lines += [f"{k}: {a[k]} != {b[k]}" for k in sorted(set(a) & set(b)) if a[k] != b[k]]
    return "\n".join(lines[:40])


PHASE7_JOB = r"""
T=/lab/project/tests/lab
O=/lab/job/out7
mkdir -p $O
findmnt -n -o SOURCE,FSTYPE / > $O/root
findmnt -rn -o TARGET,SOURCE,FSTYPE > $O/mounts
cat /proc/mdstat > $O/mdstat-at-boot
sh $T/guest_tools.sh capture after-reboot
python3 -m backend.cli plan > $O/plan.txt 2>&1
rc=0
python3 -m backend.cli run {confirm} > $O/run.log 2>&1 < /dev/null || rc=$?
echo $rc > $O/run.rc
echo "md2zfs run (phase 7) exited $rc"
tail -n 40 $O/run.log
sh $T/guest_tools.sh capture after-phase-7
cat /proc/mdstat > $O/mdstat
zpool status -P > $O/zpool-status 2>&1
mdadm --detail /dev/md1 > $O/md1-detail 2>&1
lsblk --json --bytes --output-all > $O/lsblk.json
python3 $T/fingerprint.py print /srv/labdata > $O/fp-booted.json
exit 0
"""


def check_phase7(lab: runner.Lab, disks: list[runner.Disk], source_fp: object) -> None:
    """Boot the pool as the installed generation would, run md2zfs, check phase 7's result."""
    entry = stage1.boot_entry(
        lab.image / "initrd.img",
        lab.run_dir / "job" / "nixos-calls.jsonl",
        lab.run_dir / "initrd-generation.img",
    )
    assert entry.root == "ZFS=rpool/root", entry
    res = lab.run(
        PHASE7_JOB.replace("{confirm}", confirm_args(disks)),
        root=entry.root,
        initrd=entry.initrd,
        systemd=True,
        timeout=900,
    )
    save_captures(lab.run_dir / "job" / "captures", f"migrate-virtio-zfs{variant_of(lab)}")
    res.check()
    out = lab.run_dir / "job" / "out7"
    assert (out / "root").read_text().split() == ["rpool/root", "zfs"], (out / "root").read_text()
    mounts = (out / "mounts").read_text()
    for dataset, mountpoint in entry.mounts:
        assert f"{mountpoint} {dataset} zfs" in mounts, (dataset, mounts)
    log = (out / "run.log").read_text()
    assert (out / "run.rc").read_text().strip() == "0", log[-6000:]

    names = by_serial(json.loads((out / "lsblk.json").read_text()), disks)
    mdstat = (out / "mdstat").read_text()
    assert not any(ln.startswith("md0 :") for ln in mdstat.splitlines()), mdstat
    assert names[2] not in mdstat, mdstat
    md1 = next(ln for ln in mdstat.splitlines() if ln.startswith("md1 :"))
    assert names[0] in md1 and names[1] in md1, md1
    md1_detail = (out / "md1-detail").read_text()
    assert "Active Devices : 2" in md1_detail and "State : clean" in md1_detail, md1_detail
    disk3 = next(
        d
        for d in json.loads((out / "lsblk.json").read_text())["blockdevices"]
        if d["serial"] == disks[2].serial
    )
    assert not disk3.get("children") and not disk3.get("pttype"), disk3
    assert not disk3.get("fstype"), disk3
    zpool = (out / "zpool-status").read_text()
    assert "state: ONLINE" in zpool and "errors: No known data errors" in zpool, zpool
    assert all(d.serial in zpool for d in disks[:2]) and disks[2].serial not in zpool, zpool
    booted = json.loads((out / "fp-booted.json").read_text())
    assert booted == source_fp, _diff(source_fp, booted)  # type: ignore[arg-type]
