"""NixOS tools: nixos-rebuild, nix-env (profile), switch-to-configuration, nixos-enter.

Generations come from backend.sim.nixos.evaluate; GRUB installs are checked against the
disks (a BIOS boot partition is needed on GPT), initrd secrets against the files.
"""

from __future__ import annotations

import re

import backend.sim.files as files
import backend.sim.nixos as nixos
from backend.sim.context import Ctx
from backend.sim.devices import resolve
from backend.sim.state import GPT_BIOS_BOOT, Generation, SimFile

_LOCK_DENIED = "error: opening lock file '/nix/var/nix/profiles/system.lock': Permission denied"


def _grub(ctx: Ctx, devices: list[str]) -> int:
    """Install GRUB on each device: the disk must exist and carry a BIOS boot partition."""
    ctx.print("updating GRUB 2 menu...")
    for dev in devices:
        name = resolve(ctx.state, dev)
        disk = ctx.state.disk(name or "")
        ctx.print(f"installing the GRUB 2 boot loader on {dev}...")
        if disk is None:
            return ctx.fail(f"grub-install: error: failed to get canonical path of `{dev}'.")
        if not any(p.type_guid == GPT_BIOS_BOOT for p in disk.partitions):
            return ctx.fail(
                "grub-install: warning: this GPT partition label contains no BIOS Boot "
                "Partition; embedding won't be possible.\ngrub-install: error: embedding is "
                "not possible, but this is required for cross-disk install."
            )
        ctx.print("Installing for i386-pc platform.\nInstallation finished. No error reported.")
    return 0


def _secrets(ctx: Ctx, paths: list[str], root: str = "") -> int:
    """The initrd secrets' sources must exist (in the chroot: under its root)."""
    for path in paths:
        if files.read(ctx.state, root + path) is None:
            ctx.error("failed to create initrd secrets: No such file or directory")
            return ctx.fail("Failed to install bootloader")
    return 0


def nixos_rebuild(ctx: Ctx, argv: list[str]) -> int:
    """`nixos-rebuild switch|boot|dry-activate|build`."""
    verb = next((a for a in argv[1:] if not a.startswith("-")), "")
    if verb not in ("switch", "boot", "dry-activate", "build", "test"):
        return ctx.fail(f"error: unknown action: {verb}", 1)
    state = ctx.state
    if not ctx.root and verb != "build":
        return ctx.fail(_LOCK_DENIED)
    gen = _next_generation(ctx)
    if isinstance(gen, int):
        return gen
    number = gen.number
    ctx.print("building the system configuration...")
    ctx.sleep(30)
    running = state.running_gen()
    if verb == "dry-activate":
        if gen.zfs and not running.zfs:
            ctx.print(
                "would start the following units: zfs-import.target, zfs-mount.service, "
                "zfs-zed.service"
            )
        if gen.maintenance_target and not running.maintenance_target:
            ctx.print(f"would start the following units: {nixos.MAINTENANCE_TARGET}")
        return 0
    if verb in ("build", "test"):
        return 0
    code = _secrets(ctx, gen.initrd_secrets) or _grub(ctx, gen.grub_devices)
    if code:
        return code
    state.system.generations.append(gen)
    state.system.boot_generation = number
    if verb == "switch":
        ctx.print(
            "activating the configuration...\nsetting up /etc...\n"
            "reloading user units for root...\nrestarting sysinit-reactivation.target"
        )
        state.system.running_generation = number
        if gen.host_id:
            files.write(state, "/etc/hostid", SimFile(gen.host_id + "\n"))
        if gen.zfs and not running.zfs:
            ctx.print(
                "the following new units were started: zfs-import.target, "
                "zfs-mount.service, zfs-zed.service"
            )
    ctx.change()
    return 0


def nix_env(ctx: Ctx, argv: list[str]) -> int:
    """`nix-env -p /nix/var/nix/profiles/system -f '<nixpkgs/nixos>' --set -A system`.

    Builds /etc/nixos and makes it the newest generation of the system profile: no
    activation, no boot loader (the chroot's switch-to-configuration installs it later).
    """
    args = argv[1:]
    if "--set" not in args or "/nix/var/nix/profiles/system" not in args:
        return ctx.fail(
            "nix-env: (sim) only `-p /nix/var/nix/profiles/system ... --set` is simulated"
        )
    if not ctx.root:
        return ctx.fail(_LOCK_DENIED)
    gen = _next_generation(ctx)
    if isinstance(gen, int):
        return gen
    ctx.sleep(30)
    ctx.state.system.generations.append(gen)
    ctx.change()
    return 0


def _next_generation(ctx: Ctx) -> Generation | int:
    """/etc/nixos evaluated as the profile's next generation, or the exit code of a failure."""
    number = max(g.number for g in ctx.state.system.generations) + 1
    try:
        gen = nixos.evaluate(ctx.state, number=number, built_at=ctx.now())
    except nixos.NixEvalError as exc:
        return ctx.fail(str(exc))
    return _validate(ctx, gen) or gen


def _validate(ctx: Ctx, gen: Generation) -> int:
    """The NixOS assertions the sim knows (exit 1 with their text), else 0."""
    if gen.host_id is not None and not re.fullmatch(r"[0-9a-f]{8}", gen.host_id):
        return ctx.fail(
            "error: A definition for option `networking.hostId' is not of type "
            "`null or string matching the pattern [0-9a-f]{8}'."
        )
    if gen.zfs and gen.host_id is None:
        return ctx.fail("error:\nFailed assertions:\n- ZFS requires networking.hostId to be set")
    return 0


def switch_to_configuration(ctx: Ctx, argv: list[str], *, chroot: bool = False) -> int:
    """`/run/current-system/bin/switch-to-configuration boot`."""
    if "boot" not in argv[1:]:
        return ctx.fail("switch-to-configuration: (sim) only `boot` is simulated")
    if not ctx.root:
        return ctx.fail("switch-to-configuration: must be run as root")
    state = ctx.state
    # In the chroot, /run/current-system is the newest generation of the copied profile.
    number = (
        max(g.number for g in state.system.generations)
        if chroot
        else state.system.running_generation
    )
    gen = state.generation(number) or state.running_gen()
    code = _secrets(ctx, gen.initrd_secrets, "/mnt" if chroot else "") or _grub(
        ctx, gen.grub_devices
    )
    if code:
        return code
    state.system.boot_generation = number
    ctx.change()
    return 0


def nixos_enter(ctx: Ctx, argv: list[str]) -> int:
    """`nixos-enter --root /mnt -- CMD...` (only switch-to-configuration inside)."""
    args = argv[1:]
    root = args[args.index("--root") + 1] if "--root" in args else "/mnt"
    cmd = args[args.index("--") + 1 :] if "--" in args else []
    if not any(m.target == root for m in ctx.state.mounts):
        return ctx.fail(f"nixos-enter: {root} is not a NixOS installation")
    if not cmd or not cmd[0].endswith("switch-to-configuration"):
        return ctx.fail("nixos-enter: (sim) only switch-to-configuration is simulated")
    ctx.print("setting up /etc...")
    return switch_to_configuration(ctx, cmd, chroot=True)
