"""Read-only commands: lsblk, mdadm --detail/--examine, zpool status/list/import/get,
zfs list, sfdisk -d/--json, wipefs listing, hostid, uname, systemctl is-active, modprobe -n."""

from __future__ import annotations

import backend.sim.files as files
import backend.sim.render_blk as render_blk
import backend.sim.render_md as render_md
import backend.sim.render_zfs as render_zfs
from backend.sim.context import Ctx
from backend.sim.devices import resolve


def lsblk(ctx: Ctx, argv: list[str]) -> int:
    """`lsblk --json --bytes --output-all` (other option sets are not simulated)."""
    opts = set(argv[1:])
    if not {"--json", "-J"} & opts:
        return ctx.fail("lsblk: the sim only answers --json --bytes --output-all")
    ctx.print(render_blk.render_lsblk(ctx.state))
    return 0


def mdadm_query(ctx: Ctx, argv: list[str]) -> int | None:
    """mdadm --detail [--export] / --examine; None when argv is not a query."""
    args = argv[1:]
    if "--detail" in args or "-D" in args:
        devs = [a for a in args if a.startswith("/dev/")]
        if not devs:
            return ctx.fail("mdadm: No devices given.")
        dev = devs[0]
        name = resolve(ctx.state, dev)
        arr = ctx.state.array(name or "")
        if not ctx.root and arr is not None:
            return ctx.fail(f"mdadm: cannot open {dev}: Permission denied")
        if arr is None or not arr.running:
            return ctx.fail(f"mdadm: cannot open {dev}: No such file or directory")
        if "--export" in args or "-Y" in args:
            ctx.print(render_md.render_export(arr))
        else:
            ctx.print(render_md.render_detail(ctx.state, arr, ctx.now()))
        return 0
    if "--examine" in args or "-E" in args:
        devs = [a for a in args if a.startswith("/dev/")]
        code = 0
        for dev in devs:
            name = resolve(ctx.state, dev)
            if name is None or not ctx.root:
                why = "No such file or directory" if name is None else "Permission denied"
                ctx.error(f"mdadm: cannot open {dev}: {why}")
                code = 1
                continue
            c = ctx.state.content_of(name)
            arr = next((a for a in ctx.state.arrays if c and a.uuid == c.md_uuid), None)
            if c is None or c.fstype != "linux_raid_member" or arr is None:
                ctx.error(f"mdadm: No md superblock detected on {dev}.")
                code = 1
                continue
            ctx.print(render_md.render_examine(ctx.state, name, arr, c.md_role))
        return code
    return None


def sfdisk_query(ctx: Ctx, argv: list[str]) -> int | None:
    """sfdisk -d / --dump / -J / --json DEV; None when argv is not a query."""
    args = argv[1:]
    dump = bool({"-d", "--dump"} & set(args))
    as_json = bool({"-J", "--json"} & set(args))
    if not (dump or as_json):
        return None
    devs = [a for a in args if not a.startswith("-")]
    if not devs:
        return ctx.fail("sfdisk: no disk device specified")
    name = resolve(ctx.state, devs[0])
    disk = ctx.state.disk(name or "")
    if disk is None:
        return ctx.fail(f"sfdisk: cannot open {devs[0]}: No such file or directory")
    if not ctx.root:
        return ctx.fail(f"sfdisk: cannot open {devs[0]}: Permission denied")
    if disk.pttype is None:
        return ctx.fail(f"sfdisk: {devs[0]}: does not contain a recognized partition table")
    ctx.print(
        render_blk.render_sfdisk_json(disk) if as_json else render_blk.render_sfdisk_dump(disk)
    )
    return 0


def zpool_query(ctx: Ctx, argv: list[str]) -> int | None:
    """zpool status [-j] [-P] [POOL], list -H -o name, import (search), get."""
    args = argv[1:]
    if not args:
        return None
    sub, rest = args[0], args[1:]
    state = ctx.state
    if sub == "status":
        flags = {a for a in rest if a.startswith("-")}
        names = [a for a in rest if not a.startswith("-")]
        short = "".join(f[1:] for f in flags if not f.startswith("--"))
        full = "P" in short
        as_json = "j" in short or "--json" in flags
        for name in names:
            if state.pool(name) is None:
                return ctx.fail(f"cannot open '{name}': no such pool")
        if as_json:
            ctx.print(render_zfs.render_status_json(state, ctx.now(), full_paths=full))
            return 0
        text = render_zfs.render_status(
            state, ctx.now(), full_paths=full, only=names[0] if names else None
        )
        ctx.print(text)
        return 0
    if sub == "list":
        ctx.print(render_zfs.render_zpool_list_names(state))
        if not state.pools:
            ctx.error("no pools available")
        return 0
    if sub == "import" and not [a for a in rest if not a.startswith("-") and "/" not in a]:
        out, err, code = render_zfs.render_import(state)
        ctx.print(out)
        ctx.error(err)
        return code
    if sub == "get":
        names = [a for a in rest if not a.startswith("-") and a not in ("value", "name")]
        if len(names) >= 2:
            prop, pool_name = names[-2], names[-1]
            pool = state.pool(pool_name)
            if pool is None:
                return ctx.fail(f"cannot open '{pool_name}': no such pool")
            value = pool.guid if prop == "guid" else pool.properties.get(prop, "-")
            ctx.print(value + "\n")
            return 0
    return None


def zfs_query(ctx: Ctx, argv: list[str]) -> int | None:
    """zfs list -H -o name,mountpoint; zfs get -H -o value PROP DATASET."""
    args = argv[1:]
    if args[:1] == ["list"]:
        text = render_zfs.render_zfs_list(ctx.state)
        if not text:
            ctx.error("no datasets available")
        ctx.print(text)
        return 0
    if args[:1] == ["get"]:
        names = [a for a in args[1:] if not a.startswith("-") and a != "value"]
        if len(names) >= 2:
            prop, ds = names[-2], names[-1]
            if ctx.state.dataset(ds) is None:
                return ctx.fail(f"cannot open '{ds}': dataset does not exist")
            ctx.print(render_zfs.effective_property(ctx.state, ds, prop) + "\n")
            return 0
    return None


def wipefs_list(ctx: Ctx, devs: list[str]) -> int:
    """`wipefs [--no-act] DEV...` without -a: list signatures."""
    for dev in devs:
        name = resolve(ctx.state, dev)
        if name is None:
            return ctx.fail(
                f"wipefs: error: {dev}: probing initialization failed: No such file or directory"
            )
        ctx.print(
            render_blk.render_wipefs_list(ctx.state, name).replace(name, dev, 1)
            if False
            else render_blk.render_wipefs_list(ctx.state, name)
        )
    return 0


def hostid(ctx: Ctx, argv: list[str]) -> int:
    """`hostid`: /etc/hostid when present, else the glibc fallback from the IP address."""
    f = files.read(ctx.state, "/etc/hostid")
    ctx.print((f.text.strip() if f else "007f0101") + "\n")
    return 0


def uname(ctx: Ctx, argv: list[str]) -> int:
    """`uname -r` (and plain `uname`)."""
    ctx.print((ctx.state.system.kernel if "-r" in argv else "Linux") + "\n")
    return 0
