"""Phases 0-4 of the reference plan: preflight, widen the mirror, free A, enable ZFS, build
the pool on DA. See build.py for how evidence becomes each step's done-when."""

from __future__ import annotations

from backend.model import Inventory
from backend.plan import evidence as ev
from backend.plan.build import (
    Ctx,
    Spec,
    import_ops,
    remove_member_step,
    roles_action,
    wipe_step,
)
from backend.plan.checks import stage_passes
from backend.plan.facts import MODULE_PATH
from backend.plan.roles import BOOT_PART, Roles
from backend.plan.step import Action, Command, Destroys, Step


def _c_in_sync(roles: Roles, inv: Inventory) -> bool:
    return ev.in_sync_in(inv.array(roles.array), ev.part_name(inv, roles, "c", roles.member_c))


def phase0(ctx: Ctx) -> list[Spec]:
    """Preflight: the checks of DESIGN.md §3.7; nothing changes."""
    roles, facts = ctx.roles, ctx.facts
    step = Step(
        id="0.1-preflight",
        phase=0,
        title="Check the machine, the roles and the pool name",
        why="Bad input is refused before anything runs: a disk that is mounted, too small or "
        "in use, a pool name that exists anywhere or is not valid, a missing tool, no root.",
        kind="check",
        operations=(roles_action("run-checks", roles, stage="preflight"),),
        changes="nothing",
    )
    return [Spec(step, lambda inv: stage_passes("preflight", roles, inv, facts))]


def phase1(ctx: Ctx) -> list[Spec]:
    """Widen R to three members with C on the temporary disk: three copies."""
    roles = ctx.roles
    r, c = f"/dev/{roles.array}", ctx.node("c", roles.member_c)
    copy = Step(
        id="1.1-partition-c",
        phase=1,
        title=f"Copy DA's partition table to DC ({ctx.dev('c')})",
        why="C must be a partition at least as large as A to join R; DC gets DA's layout "
        "(fresh ids, no BIOS boot partition: only the final disks carry a boot loader).",
        operations=(
            Action(
                "copy-partition-table",
                (("source", ctx.dev("a")), ("target", ctx.dev("c"))),
                f"sfdisk -d {ctx.dev('a')}, ids and BIOS boot type dropped, into sfdisk "
                f"{ctx.dev('c')}",
            ),
        ),
        destroys=(Destroys(roles.disk_c, ctx.dev("c"), "the whole disk (it must be blank)"),),
        changes=f"DC gets a partition table like DA's; {c} is created",
    )
    grow = Step(
        id="1.2-add-c",
        phase=1,
        title=f"Add {c} to {roles.array} as a third mirror and wait for the recovery",
        why="A third in-sync member keeps two complete copies while A is taken out next.",
        operations=(Command(("mdadm", "--grow", r, "--raid-devices=3", "--add", c)),),
        changes=f"{roles.array} becomes a 3-way mirror; recovery copies the data onto {c}",
        copies_before=2,
        copies_after=3,
    )
    return [
        Spec(copy, lambda inv: ev.part(inv, roles, "c", roles.member_c) is not None),
        Spec(
            grow,
            lambda inv: bool(ev.arrays_with(inv, ev.part_name(inv, roles, "c", roles.member_c))),
            wait=lambda inv: _c_in_sync(roles, inv),
        ),
    ]


def _a_out(roles: Roles, inv: Inventory) -> bool:
    a = ev.part_name(inv, roles, "a", roles.member_a)
    return _c_in_sync(roles, inv) and not ev.arrays_with(inv, a)


def _r_two(roles: Roles, inv: Inventory) -> bool:
    arr = inv.array(roles.array)
    return _a_out(roles, inv) and arr is not None and arr.raid_disks == 2


def _a_wiped(roles: Roles, inv: Inventory) -> bool:
    p = ev.part(inv, roles, "a", roles.member_a)
    return _r_two(roles, inv) and (p is None or p.fstype != ev.RAID_SIGNATURE)


def phase2(ctx: Ctx) -> list[Spec]:
    """Take A out of R and wipe its md superblock: DA is free, R has B and C."""
    roles = ctx.roles
    r, a = f"/dev/{roles.array}", ctx.node("a", roles.member_a)
    specs: list[Spec] = []
    swaps = ev.active_swap(ctx.disk("a"))
    if swaps:
        specs.append(
            Spec(
                Step(
                    id="2.1-swapoff-a",
                    phase=2,
                    title=f"Stop swapping on {', '.join(p.path for p in swaps)}",
                    why="DA is repartitioned in phase 4; the kernel cannot re-read the "
                    "partition table of a disk with active swap.",
                    operations=tuple(Command(("swapoff", p.path)) for p in swaps),
                    changes="less swap space until the reboot",
                    copies_before=3,
                    copies_after=3,
                ),
                lambda inv: _c_in_sync(roles, inv) and not ev.active_swap(ev.disk(inv, roles, "a")),
            )
        )
    da_ident = roles.disk_a
    specs += [
        Spec(
            remove_member_step(
                "2.2-remove-a",
                array=roles.array,
                dev=a,
                disk=da_ident,
                side="A",
                why="DA is needed for the new pool; R keeps B and C, two complete copies.",
                changes=f"{roles.array} runs on B and C only",
            ),
            lambda inv: _a_out(roles, inv),
        ),
        Spec(
            Step(
                id="2.3-shrink-r",
                phase=2,
                title=f"Make {roles.array} a 2-device mirror again",
                why="A 3-device array with two members counts as degraded.",
                operations=(Command(("mdadm", "--grow", r, "--raid-devices=2")),),
                changes=f"{roles.array} is [2/2] on B and C",
            ),
            lambda inv: _r_two(roles, inv),
        ),
        Spec(
            wipe_step(
                "2.4-wipe-a",
                title=f"Wipe the md superblock on {a}",
                why="md 0.90 metadata sits at the end of the partition; a stale superblock "
                "could be auto-assembled (as md127) or found by the boot loader later.",
                disk=da_ident,
                dev=a,
                what="the removed member's md superblock",
                changes=f"{a} carries no signature",
            ),
            lambda inv: _a_wiped(roles, inv),
        ),
    ]
    return specs


def _zfs_on(roles: Roles, inv: Inventory) -> bool:
    return inv.zfs_available and _a_wiped(roles, inv)


def phase3(ctx: Ctx) -> list[Spec]:
    """Enable ZFS support (NixOS) and verify the module and the host id."""
    from backend.nixos import render_for

    roles, facts = ctx.roles, ctx.facts
    module = render_for(roles, ctx.inv, facts, "zfs-enable")
    why = (
        "zpool and zfs exist on NixOS only once the configuration asks for ZFS; the host id "
        "must be fixed before the pool records it."
    )
    if roles.deploy == "manual":
        enable = Step(
            id="3.1-enable-zfs",
            phase=3,
            title="Deploy ZFS support (manual deploy)",
            why=why,
            kind="manual",
            manual_instructions="Add this module to the machine's configuration, deploy it "
            "(e.g. `nixops deploy`), then run md2zfs again:\n\n" + module,
            changes="the running system gains the ZFS module and tools",
        )
    else:
        enable = Step(
            id="3.1-enable-zfs",
            phase=3,
            title=f"Write {MODULE_PATH}, import it, nixos-rebuild switch",
            why=why,
            operations=(
                Action(
                    "write-file",
                    (("path", MODULE_PATH), ("text", module), ("mode", "644")),
                    f"write {MODULE_PATH} (ZFS support, hostId, maintenance target)",
                ),
                *import_ops(ctx),
                Command(("nixos-rebuild", "switch")),
                Command(("modprobe", "zfs")),
            ),
            changes="a new NixOS generation with ZFS support is active",
        )
    verify = Step(
        id="3.2-verify-zfs",
        phase=3,
        title="Verify the ZFS module and the host id",
        why="networking.hostId, /etc/hostid and `hostid` must agree before `zpool create`, "
        "else the pool will not import at boot (forceImportRoot is off).",
        kind="check",
        operations=(Command(("hostid",)), roles_action("run-checks", roles, stage="zfs-ready")),
    )
    return [
        Spec(enable, lambda inv: _zfs_on(roles, inv)),
        Spec(
            verify, lambda inv: _zfs_on(roles, inv) and stage_passes("zfs-ready", roles, inv, facts)
        ),
    ]


def _boot_array_on(roles: Roles, inv: Inventory, which: str) -> bool:
    name = ev.part_name(inv, roles, which, BOOT_PART)
    return any(a.name == roles.boot_array for a in ev.arrays_with(inv, name))


def _boot_fs(roles: Roles, inv: Inventory) -> bool:
    arr = inv.array(roles.boot_array)
    return _boot_array_on(roles, inv, "a") and arr is not None and arr.fstype == "ext4"


def phase4(ctx: Ctx) -> list[Spec]:
    """Repartition DA, create md1 (/boot) and the pool, make a first copy."""
    from backend.plan.build_pool import copy_steps, layout_script, pool_steps

    roles = ctx.roles
    script = layout_script(ctx)
    boot_dev, md1 = ctx.node("a", BOOT_PART), f"/dev/{roles.boot_array}"
    specs = [
        Spec(
            Step(
                id="4.1-partition-a",
                phase=4,
                title=f"Repartition DA ({ctx.dev('a')}): BIOS boot, /boot, ZFS",
                why="The pool and the new /boot (outside ZFS, for GRUB) live on DA.",
                operations=(Command(("sfdisk", ctx.dev("a")), stdin=script, stdin_display=script),),
                destroys=(Destroys(roles.disk_a, ctx.dev("a"), "the whole partition table of DA"),),
                changes=f"DA: 1 BIOS boot, 2 /boot ({roles.boot_size_mib} MiB), 3 ZFS",
            ),
            lambda inv: ev.new_layout(inv, roles, "a"),
        ),
        Spec(
            Step(
                id="4.2-create-boot-array",
                phase=4,
                title=f"Create {roles.boot_array} (/boot) on {boot_dev}",
                why="/boot stays outside ZFS on an md RAID1 (metadata 0.90: GRUB and every "
                "tool read it); it starts with one device, DB joins in phase 6.",
                operations=(
                    Command(
                        (
                            "mdadm",
                            "--create",
                            md1,
                            "--run",
                            "--metadata=0.90",
                            "--level=1",
                            "--raid-devices=1",
                            "--force",
                            boot_dev,
                        )
                    ),
                ),
                destroys=(Destroys(roles.disk_a, boot_dev, "the new /boot partition"),),
                changes=f"{roles.boot_array} exists with one member",
            ),
            lambda inv: ev.new_layout(inv, roles, "a") and _boot_array_on(roles, inv, "a"),
        ),
        Spec(
            Step(
                id="4.3-mkfs-boot",
                phase=4,
                title=f"Make an ext4 filesystem on {md1}",
                why="The new /boot, mounted by UUID from the new configuration.",
                operations=(
                    Command(("mkfs.ext4", "-F", "-L", "boot", md1)),
                    # A filesystem made on an assembled array shows no FSTYPE in lsblk until
                    # udev sees a change event for the array (seen in the lab).
                    Command(("udevadm", "trigger", "--action=change", md1)),
                ),
                changes=f"{md1} holds an empty ext4 filesystem labelled boot",
            ),
            lambda inv: _boot_fs(roles, inv),
        ),
    ]
    return specs + pool_steps(ctx) + copy_steps(ctx)


__all__ = ["phase0", "phase1", "phase2", "phase3", "phase4"]
