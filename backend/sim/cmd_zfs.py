"""zpool create/attach and zfs create, with OpenZFS 2.3's refusals and silence on success."""

from __future__ import annotations

import re

import backend.sim.files as files
from backend.sim.context import Ctx
from backend.sim.devices import resolve
from backend.sim.progress import RESILVER_BYTES_S
from backend.sim.state import (
    SECTOR,
    Content,
    ScanJob,
    SimDataset,
    SimMount,
    SimPool,
    SimVdev,
    leaves,
)

MIN_DEVICE = 64 * 1024**2
_BUSY = (
    "one or more vdevs refer to the same device, or one of\n"
    "the devices is part of an active md or lvm device"
)
_RESERVED = {
    "mirror",
    "raidz",
    "raidz1",
    "raidz2",
    "raidz3",
    "draid",
    "spare",
    "log",
    "cache",
    "special",
    "dedup",
}


def _props(args: list[str], flag: str) -> dict[str, str]:
    out = {}
    for i, a in enumerate(args):
        if a == flag and i + 1 < len(args) and "=" in args[i + 1]:
            k, v = args[i + 1].split("=", 1)
            out[k] = v
    return out


def _positional(args: list[str]) -> list[str]:
    out = []
    skip = False
    for a in args:
        if skip:
            skip = False
        elif a in ("-o", "-O", "-R", "-m", "-t"):
            skip = True
        elif not a.startswith("-"):
            out.append(a)
    return out


def pool_name_error(name: str) -> str | None:
    """Why a pool name is invalid (zfs_namecheck wording), or None."""
    if not name or not name[0].isalpha():
        return "name must begin with a letter"
    if not re.fullmatch(r"[A-Za-z0-9_.:-]+", name):
        return "invalid character in pool name"
    if name in _RESERVED or re.match(r"^(mirror|raidz|draid|spare|log|c[0-9])", name):
        return "name is reserved"
    return None


def _hostid(ctx: Ctx) -> str:
    f = files.read(ctx.state, "/etc/hostid")
    return f.text.strip() if f else "007f0101"


def _leaf(ctx: Ctx, dev: str) -> tuple[str, str] | str:
    """(path as given, kernel name), or an error text."""
    path = dev if dev.startswith("/") else f"/dev/{dev}"
    name = resolve(ctx.state, path)
    if name is None:
        return (
            f"cannot open '{dev}': no such device in /dev\n"
            "must be a full path or shorthand device name"
        )
    return path, name


def _vdev_check(ctx: Ctx, path: str, name: str, force: bool) -> str | None:
    """Label checks before the kernel is asked (zpool_vdev.c): None when usable."""
    c = ctx.state.content_of(name)
    if c is None:
        return None
    if c.fstype == "zfs_member":
        if any(p.guid == c.pool_guid for p in ctx.state.pools):
            return (
                f"invalid vdev specification\nuse '-f' to override the following errors:\n"
                f"{path} is part of active pool '{c.label}'"
            )
        return (
            None
            if force
            else (
                f"invalid vdev specification\nuse '-f' to override the following errors:\n"
                f"{path} is part of exported pool '{c.label}'"
            )
        )
    if force:
        return None
    return (
        f"invalid vdev specification\nuse '-f' to override the following errors:\n"
        f"{path} contains a filesystem of type '{c.fstype}'"
    )


def _size(ctx: Ctx, name: str) -> int:
    found = ctx.state.partition(name)
    if found is not None:
        return found[1].size * SECTOR
    disk = ctx.state.disk(name)
    return disk.size_bytes if disk else 0


def zpool(ctx: Ctx, argv: list[str]) -> int:
    """zpool create / attach."""
    args = argv[1:]
    sub = args[0] if args else ""
    if sub == "create":
        return _create(ctx, args[1:])
    if sub == "attach":
        return _attach(ctx, args[1:])
    if sub == "export":
        return _export(ctx, args[1:])
    if sub == "import":
        return _import(ctx, args[1:])
    return ctx.fail(f"zpool: (sim) unsupported subcommand: {' '.join(args)}", 2)


def _create(ctx: Ctx, args: list[str]) -> int:
    pos = _positional(args)
    force = "-f" in args
    if not pos:
        return ctx.fail("missing pool name argument", 2)
    name, specs = pos[0], pos[1:]
    if not ctx.root:
        return ctx.fail(f"cannot create '{name}': permission denied")
    why = pool_name_error(name)
    if why:
        return ctx.fail(f"cannot create '{name}': {why}")
    if not specs:
        return ctx.fail("missing vdev specification", 2)
    if ctx.state.pool(name) is not None:
        return ctx.fail(f"cannot create '{name}': pool already exists")
    mirror = specs[0] == "mirror"
    devs: list[tuple[str, str]] = []
    for spec in specs[1:] if mirror else specs:
        found = _leaf(ctx, spec)
        if isinstance(found, str):
            return ctx.fail(found)
        problem = _vdev_check(ctx, found[0], found[1], force)
        if problem:
            return ctx.fail(problem)
        devs.append(found)
    if any(ctx.state.in_use(n) for _, n in devs) or len({n for _, n in devs}) < len(devs):
        return ctx.fail(f"cannot create '{name}': {_BUSY}")
    if any(_size(ctx, n) < MIN_DEVICE for _, n in devs):
        return ctx.fail(
            f"cannot create '{name}': one or more devices is less than the minimum size (64M)"
        )
    fsprops = _props(args, "-O")
    keyloc = fsprops.get("keylocation", "")
    if fsprops.get("encryption", "off") != "off":
        if keyloc.startswith("file://"):
            key = files.read(ctx.state, keyloc.removeprefix("file://"))
            if key is None:
                return ctx.fail("Failed to open key material file: No such file or directory")
            passphrase = key.text.rstrip("\n")
        else:
            passphrase = (ctx.stdin or "").rstrip("\n")
        if len(passphrase) < 8:
            return ctx.fail("Passphrase too short (min 8).")
    pool = SimPool(
        name,
        ctx.state.new_guid(),
        SimVdev("root", ctx.state.new_guid()),
        _hostid(ctx),
        int(_props(args, "-o").get("ashift", "12")),
    )
    leaves_ = [SimVdev("disk", ctx.state.new_guid(), p, n) for p, n in devs]
    pool.root.children = (
        [SimVdev("mirror", ctx.state.new_guid(), children=leaves_)] if mirror else leaves_
    )
    for leaf in leaves_:
        _label(ctx, pool, leaf)
    pool.properties = _props(args, "-o")
    ctx.state.pools.append(pool)
    ctx.state.datasets.append(SimDataset(name, fsprops))
    mountpoint = fsprops.get("mountpoint", f"/{name}")
    if mountpoint not in ("legacy", "none"):
        ctx.state.dirs.append(mountpoint)
        ctx.state.mounts.append(SimMount(name, mountpoint, "zfs", "rw,xattr,noacl"))
    ctx.change()
    return 0


def _label(ctx: Ctx, pool: SimPool, leaf: SimVdev) -> None:
    ctx.state.set_content(
        leaf.device or "",
        Content(
            "zfs_member",
            uuid=pool.guid,
            label=pool.name,
            version="5000",
            pool_guid=pool.guid,
            vdev_guid=leaf.guid,
        ),
    )


def _attach(ctx: Ctx, args: list[str]) -> int:
    pos = _positional(args)
    force = "-f" in args
    if len(pos) != 3:
        return ctx.fail(
            "missing <device> specification" if len(pos) < 3 else "too many arguments", 2
        )
    name, old, new = pos
    pool = ctx.state.pool(name)
    if pool is None:
        return ctx.fail(f"cannot open '{name}': no such pool")
    if not ctx.root:
        return ctx.fail(f"cannot attach {new} to {old}: permission denied")
    old_name = resolve(ctx.state, old if old.startswith("/") else f"/dev/{old}")
    target = next(
        (lf for lf in leaves(pool.root) if lf.path == old or (old_name and lf.device == old_name)),
        None,
    )
    if target is None:
        return ctx.fail(f"cannot attach {new} to {old}: no such device in pool")
    found = _leaf(ctx, new)
    if isinstance(found, str):
        return ctx.fail(found)
    problem = _vdev_check(ctx, found[0], found[1], force)
    if problem:
        return ctx.fail(problem)
    if ctx.state.in_use(found[1]):
        return ctx.fail(
            f"cannot attach {new} to {old}: {new} is busy, or device removal is in progress"
        )
    if _size(ctx, found[1]) < _size(ctx, target.device or ""):
        return ctx.fail(f"cannot attach {new} to {old}: device is too small")
    leaf = SimVdev("disk", ctx.state.new_guid(), found[0], found[1], resilvering=True)
    if target in pool.root.children:
        index = pool.root.children.index(target)
        pool.root.children[index] = SimVdev("mirror", ctx.state.new_guid(), children=[target, leaf])
    else:
        for top in pool.root.children:
            if target in top.children:
                top.children.append(leaf)
    _label(ctx, pool, leaf)
    pool.scan = ScanJob("resilver", ctx.now(), max(pool.alloc_bytes, 1), RESILVER_BYTES_S)
    ctx.change()
    return 0


def zfs(ctx: Ctx, argv: list[str]) -> int:
    """zfs create [-o k=v]... NAME."""
    args = argv[1:]
    if not args or args[0] != "create":
        return ctx.fail(f"zfs: (sim) unsupported subcommand: {' '.join(args)}", 2)
    pos = _positional(args[1:])
    if not pos:
        return ctx.fail("missing filesystem argument", 2)
    name = pos[0]
    if not ctx.root:
        return ctx.fail(f"cannot create '{name}': permission denied")
    pool = name.split("/")[0]
    if ctx.state.pool(pool) is None:
        return ctx.fail(f"cannot create '{name}': no such pool '{pool}'")
    if ctx.state.dataset(name) is not None:
        return ctx.fail(f"cannot create '{name}': dataset already exists")
    if "/" in name and ctx.state.dataset(name.rsplit("/", 1)[0]) is None:
        return ctx.fail(f"cannot create '{name}': parent does not exist")
    ctx.state.datasets.append(SimDataset(name, _props(args, "-o")))
    ctx.change()
    return 0


def _export(ctx: Ctx, args: list[str]) -> int:
    """`zpool export POOL`: refused while any of its datasets is mounted."""
    pos = _positional(args)
    if not pos:
        return ctx.fail("missing pool argument", 2)
    pool = ctx.state.pool(pos[0])
    if pool is None:
        return ctx.fail(f"cannot open '{pos[0]}': no such pool")
    if not ctx.root:
        return ctx.fail(f"cannot export '{pool.name}': permission denied")
    mounted = [
        m for m in ctx.state.mounts if m.fstype == "zfs" and m.source.split("/")[0] == pool.name
    ]
    if mounted:
        return ctx.fail(
            f"cannot unmount '{mounted[-1].target}': pool or dataset is busy\n"
            f"cannot export '{pool.name}': pool is busy"
        )
    ctx.state.pools.remove(pool)
    ctx.state.exported_pools.append(pool)
    ctx.change()
    return 0


def _import(ctx: Ctx, args: list[str]) -> int:
    """`zpool import [-f] [-N] NAME|ID [NEWNAME]`: import one exported pool."""
    pos = _positional(args)
    if not pos:
        return ctx.fail("zpool: (sim) the search form is answered by the probe", 2)
    key = pos[0]
    found = [
        p
        for p in ctx.state.exported_pools
        if key in (p.name, p.guid)
        and all(ctx.state.content_of(lf.device or "") is not None for lf in leaves(p.root))
    ]
    if not found:
        return ctx.fail(f"cannot import '{key}': no such pool available")
    if len(found) > 1:
        return ctx.fail(
            f"cannot import '{key}': more than one matching pool\nimport by numeric ID instead"
        )
    pool = found[0]
    if not ctx.root:
        return ctx.fail(f"cannot import '{key}': permission denied")
    name = pos[1] if len(pos) > 1 else pool.name
    if ctx.state.pool(name) is not None:
        return ctx.fail(
            f"cannot import '{key}': a pool with that name already exists\n"
            "use the form 'zpool import <pool | id> <newpool>' to give it a new "
            "name"
        )
    if pool.hostid != _hostid(ctx) and "-f" not in args:
        return ctx.fail(
            f"cannot import '{pool.name}': pool was previously in use from another system.\n"
            "The pool can be imported, use 'zpool import -f' to import the pool."
        )
    ctx.state.exported_pools.remove(pool)
    if name != pool.name:
        for ds in ctx.state.datasets:
            if ds.name == pool.name or ds.name.startswith(pool.name + "/"):
                ds.name = name + ds.name[len(pool.name) :]
        pool.name = name
    pool.hostid = _hostid(ctx)
    ctx.state.pools.append(pool)
    for leaf in leaves(pool.root):
        _label(ctx, pool, leaf)
    ctx.change()
    return 0
