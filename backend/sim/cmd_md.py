"""mdadm: manage (--fail/--remove/--add), --grow, --create, --stop, --zero-superblock.

Texts and exit codes are mdadm 4.2's; the kernel's rules (no removing an active member,
no failing the last in-sync one, recovery onto a spare when a slot is free) are applied.
"""

from __future__ import annotations

from backend.sim.context import Ctx
from backend.sim.demo import md_size_kib_090, md_uuid_as_blkid
from backend.sim.devices import resolve
from backend.sim.progress import RECOVERY_KIB_S
from backend.sim.state import SECTOR, Content, SimArray, SimMember, SyncJob


def _opt(args: list[str], long: str, short: str | None = None) -> str | None:
    for i, a in enumerate(args):
        if a.startswith(long + "="):
            return a.split("=", 1)[1]
        if (a == long or (short and a == short)) and i + 1 < len(args):
            return args[i + 1]
    return None


def mdadm(ctx: Ctx, argv: list[str]) -> int:
    """Every changing mdadm mode the plan uses."""
    args = argv[1:]
    if not ctx.root:
        return ctx.fail("mdadm: must be super-user to perform this action")
    if "--create" in args or "-C" in args:
        return _create(ctx, args)
    if "--grow" in args or "-G" in args:
        return _grow(ctx, args)
    if "--stop" in args or "-S" in args:
        return _stop(ctx, args)
    if "--zero-superblock" in args:
        return _zero(ctx, args)
    if args and args[0].startswith("/dev/"):
        return _manage(ctx, args[0], args[1:])
    return ctx.fail(f"mdadm: (sim) unsupported invocation: {' '.join(args)}")


def _array(ctx: Ctx, dev: str) -> SimArray | None:
    arr = ctx.state.array(resolve(ctx.state, dev) or dev.removeprefix("/dev/"))
    return arr if arr is not None and arr.running else None


def _inactive(ctx: Ctx, arr: SimArray, md: str) -> int:
    """Manage and grow need a started array."""
    return ctx.fail(f"mdadm: Cannot get array info for {md}") if arr.inactive else 0


def _manage(ctx: Ctx, md: str, ops: list[str]) -> int:
    arr = _array(ctx, md)
    if arr is None:
        return ctx.fail(f"mdadm: error opening {md}: No such file or directory")
    if _inactive(ctx, arr, md):
        return 1
    op = None
    for word in ops:
        if word in ("--fail", "-f", "--set-faulty"):
            op = "fail"
        elif word in ("--remove", "-r"):
            op = "remove"
        elif word in ("--add", "-a"):
            op = "add"
        elif op is not None:
            code = {"fail": _fail, "remove": _remove, "add": _add}[op](ctx, arr, md, word)
            if code:
                return code
    return 0


def _fail(ctx: Ctx, arr: SimArray, md: str, dev: str) -> int:
    name = resolve(ctx.state, dev)
    if name is None:
        return ctx.fail(f"mdadm: Cannot find {dev}: No such file or directory")
    member = next((m for m in arr.members if m.device == name), None)
    if member is None:
        return ctx.fail(f"mdadm: set device faulty failed for {dev}:  No such device")
    in_sync = [m for m in arr.members if m.state == "active"]
    if member.state == "active" and len(in_sync) == 1:
        # The kernel refuses to fail the last in-sync member of a RAID1.
        return ctx.fail(f"mdadm: set device faulty failed for {dev}:  Device or resource busy")
    if member.state == "rebuilding":
        arr.sync = None
    member.state, member.slot = "faulty", None
    arr.events += 1
    arr.update_time = ctx.now()
    ctx.error(f"mdadm: set {dev} faulty in {md}")
    ctx.change()
    return 0


def _remove(ctx: Ctx, arr: SimArray, md: str, dev: str) -> int:
    name = resolve(ctx.state, dev)
    member = next((m for m in arr.members if m.device == name), None)
    if member is None:
        return ctx.fail(f"mdadm: hot remove failed for {dev}: No such device or address")
    if member.state in ("active", "rebuilding"):
        return ctx.fail(f"mdadm: hot remove failed for {dev}: Device or resource busy")
    arr.members.remove(member)
    arr.events += 1
    arr.update_time = ctx.now()
    ctx.error(f"mdadm: hot removed {dev} from {md}")
    ctx.change()
    return 0


def _add(ctx: Ctx, arr: SimArray, md: str, dev: str) -> int:
    name = resolve(ctx.state, dev)
    found = ctx.state.partition(name or "")
    if name is None:
        return ctx.fail(f"mdadm: Cannot open {dev}: No such file or directory")
    if any(m.device == name for m in arr.members):
        return ctx.fail(f"mdadm: Cannot open {dev}: Device or resource busy")
    if ctx.state.in_use(name):
        return ctx.fail(f"mdadm: Cannot open {dev}: Device or resource busy")
    size = found[1].size * SECTOR if found else 0
    if md_size_kib_090(size // SECTOR) < arr.size_kib:
        return ctx.fail(f"mdadm: {dev} not large enough to join array")
    desc = max((m.desc_nr for m in arr.members), default=-1) + 1
    arr.members.append(SimMember(name, None, "spare", desc))
    ctx.state.set_content(
        name,
        Content(
            "linux_raid_member", uuid=md_uuid_as_blkid(arr.uuid), version="0.90.0", md_uuid=arr.uuid
        ),
    )
    arr.events += 1
    ctx.error(f"mdadm: added {dev}")
    _start_recovery(ctx, arr)
    ctx.change()
    return 0


def _start_recovery(ctx: Ctx, arr: SimArray) -> None:
    """A spare goes into the first free slot and recovery starts (one at a time)."""
    if arr.sync is not None:
        return
    held = {m.slot for m in arr.members if m.state in ("active", "rebuilding")}
    free = [s for s in range(arr.raid_disks) if s not in held]
    spare = next((m for m in arr.members if m.state == "spare"), None)
    if not free or spare is None:
        return
    spare.state, spare.slot = "rebuilding", free[0]
    # /proc/mdstat numbers a recovering 0.90 member past the slots (lab: [3], later [2]).
    spare.desc_nr = arr.raid_disks
    content = ctx.state.content_of(spare.device)
    if content is not None:
        content.md_role = free[0]
    arr.sync = SyncJob("recovery", ctx.now(), 0, arr.size_kib, RECOVERY_KIB_S, spare.device)


def _grow(ctx: Ctx, args: list[str]) -> int:
    devs = [a for a in args if a.startswith("/dev/")]
    if not devs:
        return ctx.fail("mdadm: no raid device given")
    md = devs[0]
    arr = _array(ctx, md)
    if arr is None:
        return ctx.fail(f"mdadm: error opening {md}: No such file or directory")
    if _inactive(ctx, arr, md):
        return 1
    wanted = _opt(args, "--raid-devices", "-n")
    adds = []
    if "--add" in args or "-a" in args:
        idx = args.index("--add") if "--add" in args else args.index("-a")
        adds = [a for a in args[idx + 1 :] if a.startswith("/dev/")]
    for dev in adds:
        # Added as a spare first (it recovers at once only into an already free slot);
        # recovery into the new slot starts once raid_disks makes room.
        code = _add(ctx, arr, md, dev)
        if code:
            return code
    if wanted is not None:
        n = int(wanted)
        working = [m for m in arr.members if m.state in ("active", "rebuilding")]
        if n < len(working):
            return ctx.fail(f"mdadm: Cannot set raid-devices for {md}: Device or resource busy")
        if n != arr.raid_disks:
            if n < arr.raid_disks:
                _compact(ctx, arr, n)
            arr.raid_disks = n
            arr.events += 1
            arr.update_time = ctx.now()
            ctx.print(f"raid_disks for {md} set to {n}")
            ctx.change()
    _start_recovery(ctx, arr)
    return 0


def _compact(ctx: Ctx, arr: SimArray, n: int) -> None:
    """raid1_reshape: members in slots >= n move down into the free low slots."""
    held = {m.slot for m in arr.members if m.slot is not None}
    free = [s for s in range(n) if s not in held]
    for m in arr.members:
        if m.slot is not None and m.slot >= n and free:
            m.slot = free.pop(0)
            content = ctx.state.content_of(m.device)
            if content is not None:
                content.md_role = m.slot


def _create(ctx: Ctx, args: list[str]) -> int:
    devs = [a for a in args if a.startswith("/dev/")]
    if len(devs) < 2:
        return ctx.fail("mdadm: no raid-devices specified.")
    md, members = devs[0], devs[1:]
    level = (_opt(args, "--level", "-l") or "").replace("raid", "")
    n = int(_opt(args, "--raid-devices", "-n") or len(members))
    metadata = _opt(args, "--metadata", "-e") or "1.2"
    name = md.removeprefix("/dev/")
    if ctx.state.array(name) is not None and ctx.state.array(name).running:  # type: ignore[union-attr]
        return ctx.fail(f"mdadm: {md} is already in use.")
    if level != "1":
        return ctx.fail(f"mdadm: (sim) only RAID1 is simulated, not level {level!r}")
    if n == 1 and "--force" not in args and "-f" not in args:
        return ctx.fail(
            "mdadm: '1' is an unusual number of drives for an array, so it is probably\n"
            "     a mistake.  If you really mean it you will need to specify --force before\n"
            "     setting the number of drives."
        )
    if len(members) != n:
        return ctx.fail(
            f"mdadm: You have listed {len(members)} devices but have asked for {n} in the array."
        )
    names = []
    for dev in members:
        kn = resolve(ctx.state, dev)
        if kn is None:
            return ctx.fail(f"mdadm: cannot open {dev}: No such file or directory")
        if ctx.state.in_use(kn):
            return ctx.fail(f"mdadm: cannot open {dev}: Device or resource busy")
        names.append(kn)
    sizes = [ctx.state.partition(k)[1].size for k in names if ctx.state.partition(k)]  # type: ignore[index]
    size_kib = min(md_size_kib_090(s) for s in sizes) if sizes else 0
    seed = int(ctx.state.new_guid())
    uuid = ":".join(
        f"{(seed >> (16 * i)) & 0xFFFFFFFF ^ (0x9E3779B9 * (i + 1)) & 0xFFFFFFFF:08x}"
        for i in range(4)
    )
    old = ctx.state.array(name)
    if old is not None:
        ctx.state.arrays.remove(old)
    arr = SimArray(
        name,
        uuid,
        "raid1",
        metadata,
        n,
        size_kib,
        [SimMember(k, i, "active", i) for i, k in enumerate(names)],
        creation_time=ctx.now(),
        update_time=ctx.now(),
        events=1,
        minor=int(name[2:]) if name[2:].isdigit() else 127,
    )
    if n > 1 and "--assume-clean" not in args:
        arr.sync = SyncJob("resync", ctx.now(), 0, size_kib, RECOVERY_KIB_S)
        for m in arr.members:
            m.state = "active"
    for i, k in enumerate(names):
        ctx.state.set_content(
            k,
            Content(
                "linux_raid_member",
                uuid=md_uuid_as_blkid(uuid),
                version="0.90.0",
                md_uuid=uuid,
                md_role=i,
            ),
        )
    ctx.state.arrays.append(arr)
    ctx.error(f"mdadm: array {md} started.")
    ctx.change()
    ctx.notify(name)
    return 0


def _stop(ctx: Ctx, args: list[str]) -> int:
    for md in [a for a in args if a.startswith("/dev/")]:
        arr = _array(ctx, md)
        if arr is None:
            return ctx.fail(f"mdadm: error opening {md}: No such file or directory")
        if ctx.state.in_use(arr.name):
            return ctx.fail(
                f"mdadm: Cannot get exclusive access to {md}:Perhaps a running "
                "process, mounted filesystem or active volume group?"
            )
        arr.running = False
        arr.inactive = False
        arr.sync = None
        ctx.error(f"mdadm: stopped {md}")
        ctx.change()
        ctx.notify(arr.name)
        _udev_reassembles(ctx, arr)
    return 0


def _udev_reassembles(ctx: Ctx, arr: SimArray) -> None:
    """The lab's race: udev's change event runs `mdadm --incremental`, which assembles the
    stopped array again, inactive, from one member that still carries its superblock."""
    system = ctx.state.system
    if system.reassemble_on_stop <= 0:
        return
    holder = next(
        (
            m
            for m in arr.members
            if (c := ctx.state.content_of(m.device)) is not None and c.md_uuid == arr.uuid
        ),
        None,
    )
    if holder is None:
        return
    system.reassemble_on_stop -= 1
    arr.members = [SimMember(holder.device, None, "spare", holder.desc_nr)]
    arr.running = arr.inactive = True


def _zero(ctx: Ctx, args: list[str]) -> int:
    for dev in [a for a in args if a.startswith("/dev/")]:
        name = resolve(ctx.state, dev)
        if name is None:
            return ctx.fail(f"mdadm: Couldn't open {dev} for write - not zeroing")
        if ctx.state.in_use(name):
            return ctx.fail(f"mdadm: Couldn't open {dev} for write - not zeroing")
        c = ctx.state.content_of(name)
        if c is None or c.fstype != "linux_raid_member":
            return ctx.fail(f"mdadm: Unrecognised md component device - {dev}")
        ctx.state.set_content(name, None)
        ctx.change()
    return 0
