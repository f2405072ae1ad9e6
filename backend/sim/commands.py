"""The dispatcher: argv -> the simulated tool. Each tool lives in a cmd_* module and acts on
the state the way the real one acts on a machine (see COMMANDS.md for the vocabulary)."""

from __future__ import annotations

import posixpath
from collections.abc import Callable

import backend.sim.cmd_disk as cmd_disk
import backend.sim.cmd_fs as cmd_fs
import backend.sim.cmd_md as cmd_md
import backend.sim.cmd_nixos as cmd_nixos
import backend.sim.cmd_probe as cmd_probe
import backend.sim.cmd_sys as cmd_sys
import backend.sim.cmd_zfs as cmd_zfs
from backend.sim.context import Ctx

Handler = Callable[[Ctx, list[str]], int]

# Tools on every simulated NixOS system (zpool/zfs appear once ZFS is enabled).
BASE_TOOLS = (
    "lsblk",
    "mdadm",
    "sfdisk",
    "wipefs",
    "rsync",
    "nixos-rebuild",
    "nixos-enter",
    "mkfs.ext4",
    "mount",
    "umount",
    "swapoff",
    "swapon",
    "mkdir",
    "systemctl",
    "reboot",
    "udevadm",
    "hostid",
    "uname",
    "nix-env",
    "modprobe",
    "shred",
    "switch-to-configuration",
    "blkid",
)
ZFS_TOOLS = ("zpool", "zfs")


def _mdadm(ctx: Ctx, argv: list[str]) -> int:
    code = cmd_probe.mdadm_query(ctx, argv)
    return code if code is not None else cmd_md.mdadm(ctx, argv)


def _sfdisk(ctx: Ctx, argv: list[str]) -> int:
    code = cmd_probe.sfdisk_query(ctx, argv)
    return code if code is not None else cmd_disk.sfdisk(ctx, argv)


def _zpool(ctx: Ctx, argv: list[str]) -> int:
    code = cmd_probe.zpool_query(ctx, argv)
    return code if code is not None else cmd_zfs.zpool(ctx, argv)


def _zfs(ctx: Ctx, argv: list[str]) -> int:
    code = cmd_probe.zfs_query(ctx, argv)
    return code if code is not None else cmd_zfs.zfs(ctx, argv)


HANDLERS: dict[str, Handler] = {
    "lsblk": cmd_probe.lsblk,
    "mdadm": _mdadm,
    "sfdisk": _sfdisk,
    "zpool": _zpool,
    "zfs": _zfs,
    "hostid": cmd_probe.hostid,
    "uname": cmd_probe.uname,
    "wipefs": cmd_disk.wipefs,
    "mkfs.ext4": cmd_disk.mkfs_ext4,
    "mount": cmd_fs.mount,
    "umount": cmd_fs.umount,
    "swapoff": cmd_fs.swapoff,
    "swapon": cmd_fs.swapon,
    "mkdir": cmd_fs.mkdir,
    "shred": cmd_disk.shred,
    "udevadm": cmd_disk.udevadm,
    "blkid": cmd_disk.blkid,
    "rsync": cmd_sys.rsync,
    "systemctl": cmd_sys.systemctl,
    "reboot": cmd_sys.reboot,
    "modprobe": cmd_sys.modprobe,
    "nixos-rebuild": cmd_nixos.nixos_rebuild,
    "nixos-enter": cmd_nixos.nixos_enter,
    "nix-env": cmd_nixos.nix_env,
    "switch-to-configuration": cmd_nixos.switch_to_configuration,
}


def tool_name(argv0: str) -> str:
    """The tool an argv[0] names ("/run/current-system/bin/switch-to-configuration" too)."""
    return posixpath.basename(argv0)


def available_tools(ctx_state_zfs: bool) -> tuple[str, ...]:
    """Tool names on PATH, given whether the running generation enables ZFS."""
    return BASE_TOOLS + (ZFS_TOOLS if ctx_state_zfs else ())


def dispatch(ctx: Ctx, argv: list[str], zfs_enabled: bool) -> int:
    """Run one command; 127 with the shell's message when the tool does not exist."""
    tool = tool_name(argv[0])
    handler = HANDLERS.get(tool)
    if handler is None or tool not in available_tools(zfs_enabled):
        return ctx.fail(f"{argv[0]}: command not found", 127)
    return handler(ctx, argv)
