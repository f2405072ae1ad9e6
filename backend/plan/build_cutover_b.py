"""Phase 6, second half: B leaves R, DB is rebuilt like DA and joins md1 and the pool; the
boot loader goes on both disks again; check bootability, unmount, reboot."""

from __future__ import annotations

from backend.model import Inventory
from backend.plan import evidence as ev
from backend.plan.build import Ctx, Spec, remove_member_step, roles_action, wipe_step
from backend.plan.build_pool import layout_script
from backend.plan.checks import stage_passes
from backend.plan.roles import BOOT_PART, ZFS_PART, Roles
from backend.plan.step import Command, Destroys, Step


def _b_out(roles: Roles, inv: Inventory) -> bool:
    """The pool exists and B is in no array (before 6.6, B is always in R)."""
    b = ev.part_name(inv, roles, "b", roles.member_b)
    return ev.pool_exists(inv, roles) and b is not None and not ev.arrays_with(inv, b)


def _attached(roles: Roles, inv: Inventory) -> bool:
    name = ev.part_name(inv, roles, "b", ZFS_PART)
    pool = inv.pool(roles.pool)
    return ev.new_layout(inv, roles, "b") and ev.pool_has(
        pool, ev.part(inv, roles, "b", ZFS_PART), name
    )


def _mirrored(roles: Roles, inv: Inventory) -> bool:
    return (
        _attached(roles, inv)
        and ev.pool_healthy(inv.pool(roles.pool))
        and ev.boot_array_clean(inv, roles, 2)
    )


def b_steps(ctx: Ctx) -> list[Spec]:
    """6.6-6.15."""
    from backend.plan.build_cutover import CHROOT_BOOT, mark, unmount_ops

    roles = ctx.roles
    b = ctx.node("b", roles.member_b)
    specs = [
        Spec(
            remove_member_step(
                "6.6-remove-b",
                array=roles.array,
                dev=b,
                disk=roles.disk_b,
                side="B",
                why="DB is rebuilt like DA; R on C and the pool on DA (complete since the "
                "final copy) are the two copies meanwhile.",
                changes=f"{roles.array} runs on C alone",
            ),
            lambda i: _b_out(roles, i),
        )
    ]
    swaps = ev.active_swap(ctx.disk("b"))
    if swaps:
        specs.append(
            Spec(
                Step(
                    id="6.7-swapoff-b",
                    phase=6,
                    title=f"Stop swapping on {', '.join(p.path for p in swaps)}",
                    why="DB is repartitioned next.",
                    operations=tuple(Command(("swapoff", p.path)) for p in swaps),
                ),
                lambda i: _b_out(roles, i) and not ev.active_swap(ev.disk(i, roles, "b")),
            )
        )
    script = layout_script(ctx)
    boot_b, md1 = ctx.node("b", BOOT_PART), f"/dev/{roles.boot_array}"

    def b_wiped(i: Inventory) -> bool:
        p = ev.part(i, roles, "b", roles.member_b)
        return _b_out(roles, i) and (p is None or p.fstype != ev.RAID_SIGNATURE)

    def md1_on_b(i: Inventory) -> bool:
        name = ev.part_name(i, roles, "b", BOOT_PART)
        return any(a.name == roles.boot_array for a in ev.arrays_with(i, name))

    specs += [
        Spec(
            wipe_step(
                "6.8-wipe-b",
                title=f"Wipe the md superblock on {b}",
                why="A stale 0.90 superblock must never be assembled again.",
                disk=roles.disk_b,
                dev=b,
                what="the removed member's md superblock",
            ),
            b_wiped,
        ),
        Spec(
            Step(
                id="6.9-partition-b",
                phase=6,
                title=f"Repartition DB ({ctx.dev('b')}) like DA",
                why="DB becomes the second side of md1 and of the pool's mirror.",
                operations=(Command(("sfdisk", ctx.dev("b")), stdin=script, stdin_display=script),),
                destroys=(Destroys(roles.disk_b, ctx.dev("b"), "the whole partition table of DB"),),
            ),
            lambda i: ev.new_layout(i, roles, "b"),
        ),
        Spec(
            Step(
                id="6.10-add-boot-b",
                phase=6,
                title=f"Add {boot_b} to {roles.boot_array}",
                why="/boot on both disks, so either boots alone.",
                operations=(
                    Command(("mdadm", "--grow", md1, "--raid-devices=2", "--add", boot_b)),
                ),
                destroys=(Destroys(roles.disk_b, boot_b, "the new /boot partition of DB"),),
            ),
            md1_on_b,
        ),
        Spec(
            Step(
                id="6.11-attach-b",
                phase=6,
                title=f"Attach {ctx.stable('b', ZFS_PART)} to the pool and wait for the resilver",
                why="The pool becomes a two-way mirror; with R on C that is three copies.",
                operations=(
                    Command(
                        (
                            "zpool",
                            "attach",
                            roles.pool,
                            ctx.stable("a", ZFS_PART),
                            ctx.stable("b", ZFS_PART),
                        )
                    ),
                ),
                destroys=(
                    Destroys(roles.disk_b, ctx.node("b", ZFS_PART), "the new ZFS partition of DB"),
                ),
                changes="resilver onto DB; md1 recovery onto DB",
                copies_before=2,
                copies_after=3,
            ),
            lambda i: _attached(roles, i),
            wait=lambda i: _mirrored(roles, i),
        ),
        Spec(
            Step(
                id="6.12-boot-both",
                phase=6,
                title="Install the boot loader on both disks again",
                why="DB's partition table was rewritten after 6.5 put GRUB on it.",
                operations=(Command(CHROOT_BOOT), mark("6.12-boot-both")),
                copies_before=3,
                copies_after=3,
            ),
            lambda i: ev.marked(i, "6.12-boot-both"),
        ),
        Spec(
            Step(
                id="6.13-check-bootable",
                phase=6,
                kind="check",
                title="Check the machine will boot from the pool",
                why="One pool of this name anywhere, one host id everywhere, devNodes sees every "
                "pool member, the key file for the initrd, GRUB on both disks, swraid on.",
                operations=(
                    Command(("zpool", "import"), ok_codes=(0, 1)),
                    roles_action("run-checks", roles, stage="bootability"),
                ),
                copies_before=3,
                copies_after=3,
            ),
            lambda i: _mirrored(roles, i) and stage_passes("bootability", roles, i, ctx.facts),
        ),
        Spec(
            Step(
                id="6.14-unmount",
                phase=6,
                title="Unmount /mnt",
                why="Everything under /mnt is written; the pool stays imported for the reboot.",
                operations=unmount_ops(ctx),
                copies_before=3,
                copies_after=3,
            ),
            lambda i: _mirrored(roles, i) and i.mount_at("/mnt") is None,
        ),
        Spec(
            Step(
                id="6.15-reboot",
                phase=6,
                kind="reboot",
                title="Reboot into the new root",
                why="The new generation mounts / from the pool; run md2zfs again afterwards "
                "for phase 7. Rolling back means booting an old generation, whose root is R "
                "on C alone: NixOS stage 1 does not start a degraded md array (nixpkgs #72608).",
                operations=(Command(("systemctl", "reboot")),),
                copies_before=3,
                copies_after=3,
            ),
            lambda i: ev.root_on_pool(i, roles),
        ),
    ]
    return specs


__all__ = ["b_steps"]
