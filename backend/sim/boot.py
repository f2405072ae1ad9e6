"""A simulated reboot: everything stops, then the boot generation's configuration decides
what comes up, as NixOS stage 1 and systemd would bring it up.

- md arrays are assembled from the superblocks on the disks (members the array still had
  at shutdown; a degraded array on one member is started too, as mdadm's last-resort
  timer does after the initrd),
- a ZFS root pool is imported by name: more than one pool of that name, or a hostid that
  does not match networking.hostId, fails the boot (as with boot.zfs.forceImportRoot =
  false) and the machine stays in the initrd emergency shell (`system.boot_error`),
- fileSystems are mounted, swapDevices activated; /mnt mounts are gone.
"""

from __future__ import annotations

import backend.sim.files as files
from backend.sim.devices import resolve
from backend.sim.progress import RECOVERY_KIB_S
from backend.sim.state import Generation, SimFile, SimMount, SimPool, SimState, SyncJob, leaves


def _assemble(state: SimState, now: float) -> None:
    for arr in state.arrays:
        arr.sync = None
        if arr.inactive:
            # Held by udev's half-assembly: the superblocks still say which slot each has.
            for m in arr.members:
                c = state.content_of(m.device)
                if c is not None and c.md_role is not None:
                    m.state, m.slot = "active", c.md_role
        arr.inactive = False
        present = [
            m
            for m in arr.members
            if m.state in ("active", "rebuilding")
            and (c := state.content_of(m.device)) is not None
            and c.md_uuid == arr.uuid
        ]
        # Rebuilding members restart as spares; 0.90 without a bitmap recovers from zero.
        for m in present:
            if m.state == "rebuilding":
                m.state, m.slot = "spare", None
        arr.members = present
        arr.running = bool(present)
        arr.update_time = now
        if arr.running:
            held = {m.slot for m in present if m.state == "active"}
            free = [s for s in range(arr.raid_disks) if s not in held]
            spare = next((m for m in present if m.state == "spare"), None)
            if spare is not None and free:
                spare.state, spare.slot, spare.desc_nr = "rebuilding", free[0], arr.raid_disks
                arr.sync = SyncJob("recovery", now, 0, arr.size_kib, RECOVERY_KIB_S, spare.device)


def _pool_guids(state: SimState, name: str) -> set[str]:
    """Guids of every pool named `name` whose label is on a present device (as import sees)."""
    guids = set()
    for disk in state.disks:
        for part in disk.partitions:
            c = part.content
            if c is not None and c.fstype == "zfs_member" and c.label == name and c.pool_guid:
                guids.add(c.pool_guid)
    return guids


def _pool_record(state: SimState, guid: str) -> SimPool | None:
    for pool in state.pools + state.exported_pools:
        if pool.guid == guid and all(
            state.content_of(lf.device or "") is not None for lf in leaves(pool.root)
        ):
            return pool
    return None


def _mount(state: SimState, gen: Generation) -> str | None:
    """Mount the generation's fileSystems (root first); an error text when / fails."""
    entries = dict(gen.filesystems)
    entries.setdefault("/", [gen.root_device, gen.root_fstype])
    for target in sorted(entries, key=lambda t: t.count("/") if t != "/" else 0):
        device, fstype = entries[target]
        if fstype == "zfs":
            if state.dataset(device) is None:
                if target == "/":
                    return (
                        f"mount: mounting {device} on /mnt-root failed: No such file or directory"
                    )
                continue
            state.mounts.append(SimMount(device, target, "zfs", "rw,relatime,xattr,posixacl"))
            continue
        name = resolve(state, device)
        if name is None:
            if target == "/":
                return f"Timed out waiting for device {device}, trying to mount anyway."
            continue
        c = state.content_of(name)
        state.mounts.append(
            SimMount(f"/dev/{name}", target, c.fstype if c else fstype, "rw,relatime")
        )
    return None


def _forget_volatile(state: SimState) -> None:
    """/run is a tmpfs: gone. Directories made under /mnt were on what was mounted there."""
    state.files = {p: f for p, f in state.files.items() if not p.startswith("/run/")}
    state.dirs = [d for d in state.dirs if not d.startswith(("/run/", "/mnt/")) and d != "/run"]


def boot(state: SimState, now: float) -> None:
    """Reboot the simulated machine into its boot generation."""
    sysinfo = state.system
    gen = state.generation(sysinfo.boot_generation) or state.running_gen()
    old_root = next((m.source for m in state.mounts if m.target == "/"), None)
    state.mounts = []
    state.swaps = []
    sysinfo.stopped_units = []
    sysinfo.boot_error = None
    # Pools are exported at shutdown; the root pool (and the rest, via the cache file) come
    # back below if this generation can import them.
    state.exported_pools.extend(state.pools)
    state.pools = []
    _assemble(state, now)
    sysinfo.running_generation = gen.number
    sysinfo.boot_count += 1
    sysinfo.booted_at = now
    sysinfo.zfs_module_loaded = gen.zfs
    sysinfo.active_target = "multi-user.target"
    if gen.zfs:
        root_pool = gen.root_device.split("/")[0] if gen.root_fstype == "zfs" else None
        names = {p.name for p in state.exported_pools}
        for pname in sorted(names | ({root_pool} if root_pool else set())):
            guids = _pool_guids(state, pname)
            if len(guids) > 1:
                # NixOS imports by name: two pools of that name stop the boot (DESIGN §4).
                if pname == root_pool:
                    sysinfo.boot_error = (
                        f"cannot import '{pname}': more than one matching pool\n"
                        "import by numeric ID instead"
                    )
                continue
            pool = _pool_record(state, next(iter(guids))) if guids else None
            if pool is None or pool not in state.exported_pools:
                continue
            if pname == root_pool and gen.host_id and pool.hostid != gen.host_id:
                sysinfo.boot_error = (
                    f"cannot import '{pname}': pool was previously in use from another system."
                )
                continue
            state.exported_pools.remove(pool)
            pool.hostid = gen.host_id or pool.hostid
            state.pools.append(pool)
    if sysinfo.boot_error is None:
        sysinfo.boot_error = _mount(state, gen)
    _forget_volatile(state)
    new_root = next((m.source for m in state.mounts if m.target == "/"), None)
    files.switch_root(state, old_root, new_root)
    if gen.host_id and new_root is not None:
        files.write(state, "/etc/hostid", SimFile(gen.host_id + "\n"))
    if sysinfo.boot_error is not None:
        state.mounts = []
        sysinfo.active_target = "emergency.target"
        return
    for dev in gen.swap_devices:
        name = resolve(state, dev)
        c = state.content_of(name or "")
        if name and c is not None and c.fstype == "swap":
            state.swaps.append(name)
