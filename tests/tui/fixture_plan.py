"""A hand-made plan shaped like the reference one (fewer steps), for the fixture tests."""

from __future__ import annotations

from backend.model import Disk, DiskIdentity
from backend.plan.step import Action, Command, Destroys, Phase, Plan, Step
from tests.tui.fixtures import SDA, SDB, SDC


def _cmd(*argv: str, stdin: str | None = None) -> Command:
    return Command(argv=argv, stdin=stdin, stdin_display="<sfdisk script>" if stdin else None)


def _destroy(disk: Disk, what: str) -> Destroys:
    ident = DiskIdentity("wwn", disk.wwn) if disk.wwn else DiskIdentity("serial", disk.serial or "")
    return Destroys(identity=ident, device=disk.path, what=what)


def demo_plan(pool: str = "tank") -> Plan:
    """A plan shaped like the reference one (fewer steps), for the panes and the wizard."""
    da = "/dev/disk/by-id/ata-WDC_WD5000AAKX_WD-WCC2E1XK7AH3-part3"
    db = "/dev/disk/by-id/ata-WDC_WD5000AAKX_WD-WCC2E5PL0RJ7-part3"
    phases = (
        Phase(
            0,
            "preflight",
            (
                Step(
                    "0.1-checks",
                    0,
                    "Check the machine",
                    "Refuse bad input before anything runs.",
                    kind="check",
                    changes="nothing",
                ),
            ),
        ),
        Phase(
            1,
            "widen the mirror",
            (
                Step(
                    "1.1-partition-c",
                    1,
                    "Copy A's partition table to C",
                    "C must hold a member as large as A's.",
                    operations=(_cmd("sfdisk", "/dev/sdc", stdin="label: gpt\n"),),
                    destroys=(_destroy(SDC, "the whole partition table of DC (sdc)"),),
                    changes="sdc gets A's layout",
                ),
                Step(
                    "1.2-grow-add-c",
                    1,
                    "Add C to md0 as a third mirror",
                    "A third copy lets A leave the array without dropping below two.",
                    operations=(
                        _cmd(
                            "mdadm", "--grow", "/dev/md0", "--raid-devices=3", "--add", "/dev/sdc3"
                        ),
                    ),
                    changes="md0 gets a third member; recovery starts",
                ),
                Step(
                    "1.3-wait-recovery",
                    1,
                    "Wait for md0's recovery",
                    "sdc3 is a copy only once in sync.",
                    kind="wait",
                    copies_before=2,
                    copies_after=3,
                    changes="nothing",
                ),
            ),
        ),
        Phase(
            2,
            "free disk A",
            (
                Step(
                    "2.1-fail-a",
                    2,
                    "Remove A from md0",
                    "A becomes the pool's first disk.",
                    operations=(
                        _cmd("mdadm", "/dev/md0", "--fail", "/dev/sda3", "--remove", "/dev/sda3"),
                        _cmd("mdadm", "--grow", "/dev/md0", "--raid-devices=2"),
                    ),
                    copies_before=3,
                    copies_after=2,
                    changes="md0 = sdb3 + sdc3",
                ),
                Step(
                    "2.2-wipe-a",
                    2,
                    "Wipe A's old member",
                    "No assembler may find it again.",
                    operations=(_cmd("wipefs", "-a", "/dev/sda3"),),
                    destroys=(_destroy(SDA, "partition 3 (old md0 member)"),),
                    changes="sda3 loses its md superblock",
                ),
            ),
        ),
        Phase(
            3,
            "enable ZFS",
            (
                Step(
                    "3.1-nixos-zfs",
                    3,
                    "Enable ZFS in NixOS",
                    "The pool needs the zfs module.",
                    operations=(
                        Action("write-module", describe="write /etc/nixos/md2zfs.nix"),
                        _cmd("nixos-rebuild", "switch"),
                    ),
                    changes="NixOS configuration",
                ),
            ),
        ),
        Phase(
            4,
            "build the pool on DA",
            (
                Step(
                    "4.1-create-pool",
                    4,
                    f"Create pool {pool} on A",
                    "The new home of /.",
                    operations=(
                        _cmd(
                            "zpool",
                            "create",
                            "-f",
                            "-o",
                            "ashift=12",
                            "-O",
                            "xattr=sa",
                            "-O",
                            "mountpoint=legacy",
                            pool,
                            da,
                        ),
                    ),
                    destroys=(_destroy(SDA, "partition 3 (becomes the pool)"),),
                    changes=f"pool {pool} on sda3",
                ),
                Step(
                    "4.2-rsync",
                    4,
                    "First copy of / into the pool",
                    "Most data moves while up.",
                    kind="wait",
                    operations=(
                        _cmd(
                            "rsync", "-aHAXS", "--one-file-system", "--info=progress2", "/", "/mnt/"
                        ),
                    ),
                    copies_before=2,
                    copies_after=2,
                    changes="/mnt filled",
                ),
            ),
        ),
        Phase(
            5,
            "teach NixOS the new root",
            (
                Step(
                    "5.1-dry-activate",
                    5,
                    "Check the new configuration",
                    "Catch errors early.",
                    operations=(_cmd("nixos-rebuild", "dry-activate"),),
                    changes="nothing",
                ),
            ),
        ),
        Phase(
            6,
            "cut over",
            (
                Step(
                    "6.1-final-rsync",
                    6,
                    "Final copy",
                    "Nothing changes now.",
                    operations=(_cmd("rsync", "-aHAXS", "--delete", "/", "/mnt/"),),
                ),
                Step(
                    "6.2-attach-b",
                    6,
                    "Attach B to the pool",
                    "The pool becomes a mirror.",
                    operations=(_cmd("zpool", "attach", pool, da, db),),
                    destroys=(_destroy(SDB, "partition 3 (old md0 member)"),),
                    changes="resilver starts",
                ),
                Step(
                    "6.3-wait-resilver",
                    6,
                    "Wait for the resilver",
                    "B holds a copy once done.",
                    kind="wait",
                    copies_before=2,
                    copies_after=3,
                ),
                Step("6.4-reboot", 6, "Reboot into the pool", "Boot / from ZFS.", kind="reboot"),
            ),
        ),
        Phase(
            7,
            "verify and clean up",
            (
                Step(
                    "7.1-stop-md0",
                    7,
                    "Stop md0 and wipe C",
                    "C was only temporary.",
                    operations=(
                        _cmd("mdadm", "--stop", "/dev/md0"),
                        _cmd("wipefs", "-a", "/dev/sdc"),
                    ),
                    destroys=(_destroy(SDC, "the whole disk (temporary copy)"),),
                    copies_before=3,
                    copies_after=2,
                ),
            ),
        ),
    )
    return Plan(phases=phases)
