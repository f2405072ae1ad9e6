"""Phases 5-7 of the reference plan: teach NixOS the new root, cut over, verify and clean up.

Why there is no `switch-to-configuration boot` of the *running* system: its
/run/current-system is the phase-3 generation with / on R, and its /boot is R's. Installing
that boot loader after the one in /mnt would point GRUB at R again, which phase 7 wipes.
The new generation reaches the boot loader through the chroot: phase 5 makes it the newest
generation of the system profile (no activation, no boot loader), the final copy carries
the profile into /mnt, and `nixos-enter --root /mnt` activates it with /mnt/boot = md1.
"""

from __future__ import annotations

from dataclasses import replace

from backend.model import Inventory
from backend.plan import evidence as ev
from backend.plan.build import Ctx, Evidence, Spec, import_ops, roles_action, wipe_step
from backend.plan.build_pool import copy_commands, mount_order, target
from backend.plan.checks import stage_passes
from backend.plan.facts import MODULE_PATH
from backend.plan.roles import Roles
from backend.plan.step import Action, Command, Destroys, Operation, Step

MAINTENANCE_TARGET = "md2zfs-maintenance.target"
FINAL_SYNC_MARKER = "/mnt/.md2zfs-final-sync"
NIX_SET_PROFILE = (
    "nix-env",
    "-p",
    "/nix/var/nix/profiles/system",
    "-f",
    "<nixpkgs/nixos>",
    "--set",
    "-A",
    "system",
)
CHROOT_BOOT = (
    "nixos-enter",
    "--root",
    "/mnt",
    "--",
    "/run/current-system/bin/switch-to-configuration",
    "boot",
)
JOURNALD_UNITS = (
    "systemd-journald.socket",
    "systemd-journald-dev-log.socket",
    "systemd-journald-audit.socket",
    "systemd-journald.service",
)


def mark(step_id: str) -> Action:
    """Record in /run/md2zfs/done that this step ran in this boot (see build.py)."""
    return Action("mark-done", (("step", step_id),), f"mark {step_id} done in this boot")


def _is_marked(step_id: str) -> Evidence:
    """Evidence: the step marked itself done in this boot."""
    return lambda inv: ev.marked(inv, step_id)


def phase5(ctx: Ctx) -> list[Spec]:
    """Write the full module; check it builds; make it the newest profile generation."""
    from backend.nixos import render_for

    roles = ctx.roles
    module = render_for(roles, ctx.inv, ctx.facts, "root-on-zfs")
    sid = "5.1-teach-nixos"
    if roles.deploy == "manual":
        step = Step(
            id=sid,
            phase=5,
            kind="manual",
            title="Deploy the root-on-ZFS configuration without activating it (manual deploy)",
            why="The new generation must be the newest of the system profile before the final "
            "copy, but must not be activated or installed on the running system.",
            manual_instructions="Add this module to the configuration, build and copy it "
            "(e.g. `nixops deploy --copy-only`), set it as the newest generation with "
            "`nix-env -p /nix/var/nix/profiles/system --set <toplevel>` (no activation), "
            f"then `mkdir -p /run/md2zfs && echo {sid} >> /run/md2zfs/done` and run md2zfs "
            "again:\n\n" + module,
        )
    else:
        step = Step(
            id=sid,
            phase=5,
            title="Write the root-on-ZFS module, dry-activate, register the new generation",
            why="fileSystems for every dataset and /boot (by UUID of md1), initrd secrets for "
            "the key file, boot loader on both disks, swraid; the new generation becomes the "
            "newest of the profile (not activated, no boot loader) so the chroot in phase 6 "
            "installs exactly it.",
            operations=(
                Action(
                    "write-file",
                    (("path", MODULE_PATH), ("text", module), ("mode", "644")),
                    f"write {MODULE_PATH} (root on {roles.root_dataset})",
                ),
                *import_ops(ctx),
                Command(("nixos-rebuild", "dry-activate")),
                Command(NIX_SET_PROFILE),
                mark(sid),
            ),
            changes="/etc/nixos describes the new root; the running system is unchanged",
        )
    # At plan review the module shows a placeholder for md1's UUID; the plan is rebuilt
    # before the step runs, and it refuses to run while the UUID is still unknown.
    step = replace(step, precondition=lambda inv: _boot_uuid_known(roles, inv))
    return [Spec(step, _is_marked(sid))]


def _boot_uuid_known(roles: Roles, inv: Inventory) -> bool:
    md1 = inv.array(roles.boot_array)
    return md1 is not None and md1.fs_uuid is not None and md1.fstype == "ext4"


def phase6(ctx: Ctx) -> list[Spec]:
    """Maintenance target, final copy, boot loader, then B joins the pool and md1."""
    from backend.plan.build_cutover_b import b_steps

    roles = ctx.roles
    s: list[Spec] = [
        Spec(
            Step(
                id="6.1-check-cutover",
                phase=6,
                kind="check",
                title="Check that md2zfs survives the maintenance target",
                why="`systemctl isolate` stops every service it does not want; md2zfs must run "
                "in a session scope (SSH login, tmux in it), not inside a service.",
                operations=(roles_action("run-checks", roles, stage="cutover"),),
            ),
            lambda inv: (
                ev.marked(inv, "5.1-teach-nixos") and stage_passes("cutover", roles, inv, ctx.facts)
            ),
        ),
        Spec(
            Step(
                id="6.2-isolate",
                phase=6,
                title=f"Isolate {MAINTENANCE_TARGET} (only sshd and networking)",
                why="Services stop writing to /, so the final copy is complete.",
                operations=(
                    Command(("systemctl", "isolate", MAINTENANCE_TARGET)),
                    mark("6.2-isolate"),
                ),
                changes="services are stopped until the reboot",
            ),
            _is_marked("6.2-isolate"),
        ),
        Spec(
            Step(
                id="6.3-stop-journald",
                phase=6,
                title="Stop journald",
                why="The journal writes to /var/log/journal until the very end otherwise.",
                operations=(
                    Command(("systemctl", "stop", *JOURNALD_UNITS)),
                    mark("6.3-stop-journald"),
                ),
                changes="no system journal until the reboot (md2zfs keeps its own log)",
            ),
            _is_marked("6.3-stop-journald"),
        ),
        Spec(
            Step(
                id="6.4-final-copy",
                phase=6,
                title="Final copy of / into /mnt (rsync --delete)",
                why="Made in the maintenance target, this copy is complete: the pool now "
                "holds a third copy of the data.",
                operations=(
                    *copy_commands(ctx, final=True),
                    Action(
                        "marker",
                        (("path", FINAL_SYNC_MARKER),),
                        "record on the new root when the final copy was made",
                    ),
                    mark("6.4-final-copy"),
                ),
                changes="/mnt equals /",
                copies_before=2,
                copies_after=3,
            ),
            _is_marked("6.4-final-copy"),
        ),
        Spec(
            Step(
                id="6.5-boot-new-root",
                phase=6,
                title="Install the new generation's boot loader from /mnt",
                why="GRUB on both disks boots the new root from now on, so a reboot at any "
                "later moment of this phase comes up on the pool (DA holds it whole).",
                operations=(Command(CHROOT_BOOT), mark("6.5-boot-new-root")),
                changes="GRUB on DA and DB, grub.cfg on md1",
                copies_before=3,
                copies_after=3,
            ),
            _is_marked("6.5-boot-new-root"),
        ),
    ]
    return s + b_steps(ctx)


def _unmounted(roles: Roles, inv: Inventory) -> bool:
    return inv.mount_at("/mnt") is None and inv.mount_at("/mnt/boot") is None


def unmount_ops(ctx: Ctx) -> tuple[Operation, ...]:
    """umount /mnt/boot and the children before /mnt (only what is mounted, at run time)."""
    roles, inv = ctx.roles, ctx.inv
    order = ["/mnt/boot"] + [target(d.mountpoint) for d in reversed(mount_order(roles))]
    nothing = all(inv.mount_at(t) is None for t in order)
    return tuple(Command(("umount", t)) for t in order if nothing or inv.mount_at(t) is not None)


def phase7(ctx: Ctx) -> list[Spec]:
    """After the reboot: verify, stop R, wipe C (and optionally shred DC)."""
    roles, inv = ctx.roles, ctx.inv
    c_name = ev.part_name(inv, roles, "c", roles.member_c)
    holders = ev.arrays_with(inv, c_name)
    r_now = holders[0].name if holders else roles.array
    # Planned: R on C counts until it stops. Live: only if it came back assembled and in sync.
    r_counts = ev.in_sync_in(holders[0], c_name) if holders else not ev.root_on_pool(inv, roles)
    c = ctx.node("c", roles.member_c)

    def r_stopped(i: Inventory) -> bool:
        return ev.root_on_pool(i, roles) and not ev.arrays_with(
            i, ev.part_name(i, roles, "c", roles.member_c)
        )

    def c_wiped(i: Inventory) -> bool:
        p = ev.part(i, roles, "c", roles.member_c)
        return r_stopped(i) and (p is None or p.fstype is None)

    def c_blank(i: Inventory) -> bool:
        d = ev.disk(i, roles, "c")
        return r_stopped(i) and d is not None and not d.partitions and not d.pttype

    specs = [
        Spec(
            Step(
                id="7.1-verify",
                phase=7,
                kind="check",
                title=f"Verify: / on {roles.root_dataset}, a healthy two-way mirror, md1 clean",
                why="Nothing is cleaned up before the new root has proved itself.",
                operations=(roles_action("run-checks", roles, stage="after-reboot"),),
                copies_before=3,
                copies_after=3,
            ),
            lambda i: stage_passes("after-reboot", roles, i, ctx.facts),
        ),
        Spec(
            Step(
                id="7.2-stop-r",
                phase=7,
                title=f"Stop {r_now} (the old root, on C only)",
                why="R held the old root; the pool and md1 now hold everything.",
                operations=(
                    Command(("mdadm", "--stop", f"/dev/{r_now}")),
                    Command(("udevadm", "settle")),
                ),
                destroys=(Destroys(roles.disk_c, c, f"the old root array {r_now} (stopped)"),),
                changes=f"{r_now} is stopped",
                copies_before=3 if r_counts else 2,
                copies_after=2,
            ),
            r_stopped,
        ),
        Spec(
            wipe_step(
                "7.3-wipe-c",
                title=f"Wipe the md superblock on {c}",
                why="So no boot or udev ever assembles the old root again.",
                disk=roles.disk_c,
                dev=c,
                what="the old root's last copy (md superblock)",
            ),
            c_wiped,
        ),
        Spec(
            wipe_step(
                "7.4-wipe-c-table",
                title=f"Wipe DC's partition table ({ctx.dev('c')})",
                why="DC was only borrowed; it leaves blank.",
                disk=roles.disk_c,
                dev=ctx.dev("c"),
                what="DC's partition table",
            ),
            c_blank,
        ),
    ]
    if roles.shred_c:
        specs.append(
            Spec(
                Step(
                    id="7.5-shred-c",
                    phase=7,
                    title=f"Overwrite DC ({ctx.dev('c')}) once",
                    why="Otherwise the old data stays readable on DC when it leaves the machine.",
                    operations=(
                        Command(("shred", "-n", "1", "-v", ctx.dev("c"))),
                        mark("7.5-shred-c"),
                    ),
                    destroys=(Destroys(roles.disk_c, ctx.dev("c"), "every byte of DC"),),
                ),
                _is_marked("7.5-shred-c"),
            )
        )
    return specs
