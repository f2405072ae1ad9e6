"""Filesystem-level tools: mount/umount (ZFS legacy and block devices), swapoff/swapon,
mkdir. Texts and exit codes (32 for mount errors) are util-linux 2.38's and coreutils'."""

from __future__ import annotations

import posixpath

from backend.sim.context import Ctx
from backend.sim.devices import resolve
from backend.sim.render_zfs import effective_property
from backend.sim.state import SimMount


def mount(ctx: Ctx, argv: list[str]) -> int:
    """`mount [-t zfs] SOURCE TARGET`."""
    args = argv[1:]
    fstype = args[args.index("-t") + 1] if "-t" in args else None
    pos = [
        a
        for i, a in enumerate(args)
        if not a.startswith("-") and (i == 0 or args[i - 1] not in ("-t", "-o"))
    ]
    if len(pos) != 2:
        return ctx.fail("mount: (sim) only `mount [-t TYPE] SOURCE TARGET` is simulated")
    source, target = pos
    if not ctx.root:
        return ctx.fail(f"mount: {target}: must be superuser to use mount.", 32)
    if target not in ctx.state.dirs:
        return ctx.fail(f"mount: {target}: mount point does not exist.", 32)
    if fstype == "zfs":
        ds = ctx.state.dataset(source)
        if ds is None:
            return ctx.fail(f"mount: {target}: special device {source} does not exist.", 32)
        if ds.properties.get("mountpoint", "") != "legacy" and not _legacy(ctx, source):
            return ctx.fail(
                f"filesystem '{source}' cannot be mounted using 'mount'.\n"
                f"Use 'zfs set mountpoint=legacy' or 'zfs mount {source}'.\n"
                "See zfs(8) for more information.",
                1,
            )
        options = "rw,noatime,xattr,posixacl,casesensitive"
    else:
        name = resolve(ctx.state, source)
        if name is None:
            return ctx.fail(f"mount: {target}: special device {source} does not exist.", 32)
        c = ctx.state.content_of(name)
        if c is None or c.fstype not in ("ext4", "vfat"):
            return ctx.fail(
                f"mount: {target}: wrong fs type, bad option, bad superblock on "
                f"{source}, missing codepage or helper program, or other error.",
                32,
            )
        source, fstype, options = f"/dev/{name}", c.fstype, "rw,relatime"
    if any(m.target == target and m.source == source for m in ctx.state.mounts):
        return ctx.fail(f"mount: {target}: {source} already mounted on {target}.", 32)
    ctx.state.mounts.append(SimMount(source, target, fstype or "ext4", options))
    ctx.change()
    return 0


def _legacy(ctx: Ctx, name: str) -> bool:
    return effective_property(ctx.state, name, "mountpoint") == "legacy"


def umount(ctx: Ctx, argv: list[str]) -> int:
    """`umount TARGET` (refuses while something is mounted below it)."""
    for target in [a for a in argv[1:] if not a.startswith("-")]:
        target = target.rstrip("/") or "/"
        if not ctx.root:
            return ctx.fail(f"umount: {target}: must be superuser to unmount.", 32)
        mounts = [m for m in ctx.state.mounts if m.target == target or m.source == target]
        if not mounts:
            return ctx.fail(f"umount: {target}: not mounted.", 32)
        m = mounts[-1]
        below = [x for x in ctx.state.mounts if x.target.startswith(m.target.rstrip("/") + "/")]
        if below or m.target == "/":
            return ctx.fail(f"umount: {m.target}: target is busy.", 32)
        ctx.state.mounts.remove(m)
        ctx.change()
    return 0


def swapoff(ctx: Ctx, argv: list[str]) -> int:
    """`swapoff DEV`."""
    for dev in [a for a in argv[1:] if not a.startswith("-")]:
        name = resolve(ctx.state, dev)
        if name is None:
            return ctx.fail(f"swapoff: cannot open {dev}: No such file or directory", 4)
        if not ctx.root:
            return ctx.fail(f"swapoff: {dev}: swapoff failed: Operation not permitted", 4)
        if name not in ctx.state.swaps:
            return ctx.fail(f"swapoff: {dev}: swapoff failed: Invalid argument", 4)
        ctx.state.swaps.remove(name)
        ctx.change()
    return 0


def swapon(ctx: Ctx, argv: list[str]) -> int:
    """`swapon DEV`."""
    for dev in [a for a in argv[1:] if not a.startswith("-")]:
        name = resolve(ctx.state, dev)
        c = ctx.state.content_of(name or "")
        if name is None or c is None or c.fstype != "swap":
            return ctx.fail(f"swapon: {dev}: read swap header failed", 4)
        if name in ctx.state.swaps:
            return ctx.fail(f"swapon: {dev}: swapon failed: Device or resource busy", 4)
        ctx.state.swaps.append(name)
        ctx.change()
    return 0


def mkdir(ctx: Ctx, argv: list[str]) -> int:
    """`mkdir [-p] [-m MODE] DIR...`."""
    args = argv[1:]
    parents = "-p" in args
    paths = [
        a for i, a in enumerate(args) if not a.startswith("-") and (i == 0 or args[i - 1] != "-m")
    ]
    for path in paths:
        path = posixpath.normpath(path)
        if path in ctx.state.dirs:
            if parents:
                continue
            return ctx.fail(f"mkdir: cannot create directory '{path}': File exists")
        if not ctx.root:
            return ctx.fail(f"mkdir: cannot create directory '{path}': Permission denied")
        chain = []
        p = path
        while p not in ctx.state.dirs and p != "/":
            chain.append(p)
            p = posixpath.dirname(p)
        if len(chain) > 1 and not parents:
            return ctx.fail(f"mkdir: cannot create directory '{path}': No such file or directory")
        ctx.state.dirs.extend(reversed(chain))
        ctx.change()
    return 0
