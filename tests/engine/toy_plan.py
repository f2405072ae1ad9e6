"""The toy machine as the model sees it, its copies ledger and a hand-built plan for it.

The plan mirrors phases 1-3, 6 and 7 of the real one in miniature (copy DA's table to DC,
add C and wait for the recovery, fail/shrink/wipe A, a key file, the reboot, clean-up),
with done-when predicates that stay true in every later state, as the real plan's do.
"""

from __future__ import annotations

from collections.abc import Callable

from backend.model import (
    Disk,
    DiskIdentity,
    Inventory,
    MdArray,
    MdMember,
    Mount,
    Partition,
    SyncProgress,
)
from backend.plan.step import Action, Command, Destroys, Phase, Plan, Step
from tests.engine.fakes import GIB, RECOVERY_S, FakeHost


def toy_inventory(host: FakeHost) -> Inventory:
    """The toy machine as the model sees it."""
    host.settle()
    s = host.state
    disks = []
    for name, d in sorted(s.disks.items()):
        parts = []
        for num, p in sorted(d["parts"].items()):
            pname = f"{name}{num}"
            mounts = (p["mount"],) if p["mount"] else ()
            holders = ("md0",) if pname in s.md0 else ()
            parts.append(
                Partition(
                    pname,
                    f"/dev/{pname}",
                    GIB,
                    number=num,
                    fstype=p["fstype"],
                    mountpoints=mounts,
                    holders=holders,
                )
            )
        disks.append(
            Disk(
                name,
                f"/dev/{name}",
                d["size"],
                model="Toy",
                serial=d["serial"],
                by_id=(f"/dev/disk/by-id/ata-Toy_{d['serial']}",),
                partitions=tuple(parts),
            )
        )
    members = tuple(
        MdMember(dev, slot=i, state=("active", "sync") if st == "sync" else ("spare", "rebuilding"))
        for i, (dev, st) in enumerate(sorted(s.md0.items()))
    )
    sync = None
    if s.recovery_start is not None:
        pct = 100.0 * (s.clock - s.recovery_start) / RECOVERY_S
        sync = SyncProgress(
            "recovery",
            percent=pct,
            speed_kib_s=204800,
            eta_s=int(RECOVERY_S - (s.clock - s.recovery_start)),
        )
    slots = "".join("U" if st == "sync" else "_" for _, st in sorted(s.md0.items()))
    slots += "_" * max(0, s.raid_devices - len(s.md0))
    md0 = MdArray(
        "md0",
        level="raid1",
        raid_disks=s.raid_devices,
        slots=slots,
        members=members,
        sync=sync,
        mountpoints=("/",),
    )
    return Inventory(
        disks=tuple(disks),
        arrays=(md0,),
        mounts=(Mount("/dev/md0", "/", "ext4"),),
        taken_at=s.clock,
    )


def toy_copies(inv: Inventory) -> int:
    """Complete copies: in-sync members of md0."""
    md0 = inv.array("md0")
    return 0 if md0 is None else sum(1 for m in md0.members if m.in_sync)


def _member(inv: Inventory, dev: str) -> bool:
    md0 = inv.array("md0")
    return md0 is not None and md0.member(dev) is not None


def _in_sync(inv: Inventory, dev: str) -> bool:
    md0 = inv.array("md0")
    m = md0.member(dev) if md0 is not None else None
    return m is not None and m.in_sync


def _disk(inv: Inventory, name: str) -> Disk:
    d = inv.disk(name)
    assert d is not None
    return d


def ident(serial: str) -> DiskIdentity:
    """The stable identity of a toy disk."""
    return DiskIdentity("serial", serial)


def toy_plan_for(host: FakeHost) -> Callable[[Inventory], Plan]:
    """A plan source: rebuilt from the live system (and the host's files) before each step."""

    def build(inv: Inventory) -> Plan:
        dc = Destroys(ident("S3Z-CCCC333333"), "/dev/sdc", "the whole partition table of DC")
        a3 = Destroys(ident("WD-AAAA111111"), "/dev/sda3", "partition 3 (old md0 member A)")
        key_written = host.exists("/etc/secrets/key")
        p1 = Phase(
            1,
            "widen",
            (
                Step(
                    "1.1-table",
                    1,
                    "copy DA's table to DC",
                    "DC must hold a member",
                    operations=(
                        Action(
                            "copy-partition-table", (("source", "/dev/sda"), ("target", "/dev/sdc"))
                        ),
                    ),
                    destroys=(dc,),
                    done_when=lambda i: len(_disk(i, "sdc").partitions) == 3,
                ),
                Step(
                    "1.2-add",
                    1,
                    "add DC to md0",
                    "third copy",
                    operations=(
                        Command(
                            (
                                "mdadm",
                                "--grow",
                                "/dev/md0",
                                "--raid-devices=3",
                                "--add",
                                "/dev/sdc3",
                            )
                        ),
                    ),
                    copies_before=2,
                    copies_after=3,
                    done_when=lambda i: _member(i, "sdc3"),
                    # "DC's member is in sync", not "3 copies": still true after phase 2.
                    wait_until=lambda i: _in_sync(i, "sdc3"),
                ),
            ),
        )
        p2 = Phase(
            2,
            "free A",
            (
                Step(
                    "2.1-fail",
                    2,
                    "fail A",
                    "free DA",
                    operations=(
                        Command(
                            ("mdadm", "/dev/md0", "--fail", "/dev/sda3", "--remove", "/dev/sda3")
                        ),
                    ),
                    copies_before=3,
                    copies_after=2,
                    done_when=lambda i: not _member(i, "sda3"),
                ),
                Step(
                    "2.2-shrink",
                    2,
                    "shrink md0",
                    "two devices",
                    operations=(Command(("mdadm", "--grow", "/dev/md0", "--raid-devices=2")),),
                    done_when=lambda i: (
                        (i.array("md0") or MdArray("x")).raid_disks == 2 and not _member(i, "sda3")
                    ),
                ),
                Step(
                    "2.3-wipe",
                    2,
                    "wipe A",
                    "no stale superblock",
                    operations=(Command(("wipefs", "-a", "/dev/sda3")),),
                    destroys=(a3,),
                    done_when=lambda i: (
                        (_disk(i, "sda").partition(3) or Partition("", "", 0)).fstype is None
                    ),
                ),
            ),
        )
        p3 = Phase(
            3,
            "secrets",
            (
                Step(
                    "3.1-key",
                    3,
                    "write the key file",
                    "encryption",
                    operations=(
                        Action("write-key-file", (("path", "/etc/secrets/key"),)),
                        Command(
                            ("cat-stdin",),
                            stdin="{secret:passphrase}\n",
                            stdin_display="<passphrase>",
                        ),
                    ),
                    done_when=lambda i: key_written,
                ),
            ),
        )
        p6 = Phase(
            6,
            "cut over",
            (
                Step(
                    "6.9-reboot",
                    6,
                    "reboot",
                    "boot the new root",
                    kind="reboot",
                    operations=(Command(("echo", "rebooting")),),
                    done_when=lambda i: host.exists("/booted"),
                ),
            ),
        )
        p7 = Phase(
            7,
            "clean up",
            (
                Step("7.1-echo", 7, "say done", "end", operations=(Command(("echo", "done")),)),
                Step(
                    "7.2-mark",
                    7,
                    "mark",
                    "end",
                    operations=(Action("write-file", (("path", "/cleaned"), ("text", "yes"))),),
                    done_when=lambda i: host.exists("/cleaned"),
                ),
            ),
        )
        return Plan((p1, p2, p3, p6, p7))

    return build
