"""System tools: rsync (streamed --info=progress2), systemctl, reboot, modprobe."""

from __future__ import annotations

import backend.sim.boot as boot_mod
import backend.sim.files as files
import backend.sim.nixos as nixos
from backend.sim.context import Ctx
from backend.sim.devices import resolve
from backend.sim.state import SimMount, SimState

RSYNC_BYTES_S = 300 * 1024**2
BOOT_BYTES = 187_654_144  # /boot's kernels and initrds
CHANGE_BYTES_S = 256 * 1024  # what a running server writes to / (logs, state) per second
_SHARES = {"nix": 0.62, "var": 0.14, "tmp": 0.01, "etc": 0.001}
JOURNALD = "systemd-journald.service"


def _fs_at(state: SimState, path: str) -> tuple[str, str] | None:
    """(source, fstype) of the mount holding `path`."""
    m = files.mount_of(state, path.rstrip("/") or "/")
    return (m.source, m.fstype) if m else None


def _source_bytes(state: SimState, src: str) -> int:
    src = src.rstrip("/") or "/"
    fs = _fs_at(state, src)
    if fs is None:
        return 0
    if src == "/boot" and fs == _fs_at(state, "/"):
        return BOOT_BYTES
    if fs[1] == "zfs":
        return sum(d.used_bytes for d in state.datasets if d.name.startswith(fs[0]))
    c = state.content_of(resolve(state, fs[0]) or "")
    return (c.used_bytes if c else 0) - (BOOT_BYTES if src == "/" else 0)


def _quiet(state: SimState) -> bool:
    return (
        state.system.active_target == nixos.MAINTENANCE_TARGET
        and JOURNALD in state.system.stopped_units
    )


def rsync(ctx: Ctx, argv: list[str]) -> int:
    """`rsync -aHAXS [--delete] [--one-file-system] --info=progress2 SRC DST`."""
    pos = [a for a in argv[1:] if not a.startswith("-")]
    if len(pos) != 2:
        return ctx.fail("rsync: (sim) expected exactly SRC and DST", 1)
    src, dst = pos
    state = ctx.state
    if not ctx.root:
        ctx.error(
            'rsync: [generator] recv_generator: mkdir "/mnt/root" failed: Permission denied (13)'
        )
        return ctx.fail(
            "rsync error: some files/attrs were not transferred (see previous "
            "errors) (code 23) at main.c(1338) [sender=3.2.7]",
            23,
        )
    dst_fs = _fs_at(state, dst)
    if (
        dst_fs is None
        or dst_fs == _fs_at(state, "/")
        or dst.rstrip("/") not in [m.target for m in state.mounts]
    ):
        return ctx.fail(f"rsync: (sim) destination {dst} is not a mounted filesystem", 1)
    total = _source_bytes(state, src)
    targets = [
        m
        for m in state.mounts
        if m.target == dst.rstrip("/") or m.target.startswith(dst.rstrip("/") + "/")
    ]
    # Only what changed since the last copy travels again.
    prev = [_synced(state, m.source) for m in targets]
    last = min((p for p in prev if p is not None), default=None)
    delta = (
        total
        if last is None or None in prev
        else min(total, int((ctx.now() - last) * CHANGE_BYTES_S) + 64 * 1024**2)
    )
    nfiles = max(1, total // 160_000)
    steps = 20
    start = ctx.now()
    for i in range(1, steps + 1):
        if ctx.cancelled:
            ctx.error(
                "rsync error: received SIGINT, SIGTERM, or SIGHUP (code 20) at "
                "rsync.c(713) [sender=3.2.7]"
            )
            return 20
        ctx.sleep(delta / steps / RSYNC_BYTES_S)
        done = total - delta + delta * i // steps
        took = max(1.0, ctx.now() - start)
        rate = delta * i / steps / took / 1024**2
        # The time column is the estimated time left while running, the total at the end.
        left = (delta - delta * i // steps) / max(1.0, rate * 1024**2)
        h, rest = divmod(int(took if i == steps else left), 3600)
        ctx.print(
            f"{done:>15,} {100 * done // max(1, total):>3}% {rate:>7.2f}MB/s "
            f"{h:>4}:{rest // 60:02d}:{rest % 60:02d} "
            f"(xfr#{nfiles * i // steps}, to-chk={nfiles - nfiles * i // steps}/{nfiles})"
        )
    _record(state, targets, dst.rstrip("/"), total, ctx.now(), _quiet(state))
    files.copy_tree(state, src, dst, delete="--delete" in argv)
    ctx.change()
    return 0


def _synced(state: SimState, source: str) -> float | None:
    ds = state.dataset(source)
    if ds is not None:
        return ds.synced_at
    c = state.content_of(resolve(state, source) or "")
    return c.synced_at if c else None


def _record(
    state: SimState, targets: list[SimMount], root: str, total: int, now: float, quiet: bool
) -> None:
    """Spread the copied bytes over the mounted destination filesystems."""
    rest = total
    top = None
    for m in targets:
        sub = m.target.removeprefix(root).strip("/")
        share = _SHARES.get(sub.split("/")[0], 0.0) if sub else 0.0
        ds = state.dataset(m.source)
        if not sub:
            top = m
            continue
        amount = int(total * share)
        rest -= amount
        _store(state, m.source, amount, now, quiet, ds is not None)
    if top is not None:
        _store(state, top.source, rest, now, quiet, state.dataset(top.source) is not None)
    for pool in state.pools:
        pool.alloc_bytes = sum(
            d.used_bytes for d in state.datasets if d.name.split("/")[0] == pool.name
        )


def _store(state: SimState, source: str, amount: int, now: float, quiet: bool, is_ds: bool) -> None:
    if is_ds:
        ds = state.dataset(source)
        assert ds is not None
        ds.used_bytes, ds.synced_at, ds.synced_quiet = amount, now, quiet
        return
    c = state.content_of(resolve(state, source) or "")
    if c is not None:
        c.used_bytes, c.synced_at, c.synced_quiet = amount, now, quiet


UNITS = (
    "multi-user.target",
    "sshd.service",
    "systemd-journald.service",
    "systemd-journald.socket",
    "systemd-journald-dev-log.socket",
    "systemd-journald-audit.socket",
    "zfs-import-cache.service",
    "mdmonitor.service",
    "emergency.target",
)


def systemctl(ctx: Ctx, argv: list[str]) -> int:
    """is-active, isolate, stop, start, reboot."""
    args = [a for a in argv[1:] if not a.startswith("-")]
    verb, units = (args[0], args[1:]) if args else ("", [])
    sysinfo = ctx.state.system
    gen = ctx.state.running_gen()
    known = set(UNITS) | ({nixos.MAINTENANCE_TARGET} if gen.maintenance_target else set())
    if verb == "is-active":
        code = 0
        for unit in units:
            active = unit == sysinfo.active_target or (
                unit in known
                and unit not in sysinfo.stopped_units
                and unit.endswith((".service", ".socket"))
                and sysinfo.active_target != "emergency.target"
            )
            ctx.print("active" if active else "inactive")
            code = code or (0 if active else 3)
        return code
    if verb == "reboot":
        return reboot(ctx, ["reboot"])
    if not ctx.root:
        return ctx.fail(f"Failed to {verb} {' '.join(units)}: Access denied", 4)
    for unit in units:
        if unit not in known:
            kind = "isolate" if verb == "isolate" else verb
            return ctx.fail(f"Failed to {kind} {unit}: Unit {unit} not found.", 5)
    if verb == "isolate":
        sysinfo.active_target = units[0]
        if units[0] == nixos.MAINTENANCE_TARGET:
            sysinfo.stopped_units = sorted(
                set(sysinfo.stopped_units) | {"nginx.service", "postgresql.service", "cron.service"}
            )
    elif verb == "stop":
        sysinfo.stopped_units = sorted(set(sysinfo.stopped_units) | set(units))
    elif verb == "start":
        sysinfo.stopped_units = [u for u in sysinfo.stopped_units if u not in units]
    else:
        return ctx.fail(f"systemctl: (sim) unsupported verb {verb!r}", 1)
    ctx.change()
    return 0


def reboot(ctx: Ctx, argv: list[str]) -> int:
    """Reboot into the boot generation (see backend.sim.boot)."""
    if not ctx.root:
        return ctx.fail(
            "Failed to set wall message, ignoring: Interactive authentication "
            "required.\nCall to Reboot failed: Interactive authentication required.",
            1,
        )
    ctx.sleep(45)  # shutdown, firmware, GRUB, stage 1 and 2
    boot_mod.boot(ctx.state, ctx.now())
    ctx.change()
    for disk in ctx.state.disks:
        ctx.notify(disk.name)
    return 0


def modprobe(ctx: Ctx, argv: list[str]) -> int:
    """`modprobe [-n] zfs`."""
    gen = ctx.state.running_gen()
    mods = [a for a in argv[1:] if not a.startswith("-")]
    if "zfs" in mods and not gen.zfs:
        return ctx.fail(
            "modprobe: FATAL: Module zfs not found in directory "
            f"/run/booted-system/kernel-modules/lib/modules/{ctx.state.system.kernel}"
        )
    if "zfs" in mods and "-n" not in argv and not ctx.state.system.zfs_module_loaded:
        if not ctx.root:
            return ctx.fail("modprobe: ERROR: could not insert 'zfs': Operation not permitted")
        ctx.state.system.zfs_module_loaded = True
        ctx.change()
    return 0
