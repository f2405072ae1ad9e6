"""Disk tools: sfdisk (write), wipefs, mkfs.ext4, shred, udevadm, blkid. Busy devices are
refused with the real tools' texts."""

from __future__ import annotations

import backend.sim.cmd_probe as cmd_probe
from backend.sim.context import Ctx
from backend.sim.devices import resolve
from backend.sim.render_blk import signatures
from backend.sim.sfdisk_script import ScriptError, human, layout, parse_script
from backend.sim.state import GPT_TYPE_NAMES, SECTOR, Content, SimPartition


def _guid(ctx: Ctx) -> str:
    """A deterministic GUID for new labels/partitions (sfdisk would make a random one)."""
    h = f"{int(ctx.state.new_guid()):016X}{int(ctx.state.new_guid()):016X}"
    return f"{h[0:8]}-{h[8:12]}-4{h[13:16]}-A{h[17:20]}-{h[20:32]}"


def disk_busy(ctx: Ctx, disk_name: str) -> bool:
    """True when the disk or any of its partitions is open (mounted, swap, md, pool)."""
    disk = ctx.state.disk(disk_name)
    if disk is None:
        return False
    names = [disk.name] + [disk.part_name(p.number) for p in disk.partitions]
    return any(ctx.state.in_use(n) for n in names)


def sfdisk(ctx: Ctx, argv: list[str]) -> int:
    """`sfdisk [--force] /dev/X` with a script on stdin: write a new GPT."""
    args = argv[1:]
    devs = [a for a in args if not a.startswith("-")]
    if not devs:
        return ctx.fail("sfdisk: no disk device specified")
    dev = devs[0]
    disk = ctx.state.disk(resolve(ctx.state, dev) or "")
    if disk is None:
        return ctx.fail(f"sfdisk: cannot open {dev}: No such file or directory")
    if not ctx.root:
        return ctx.fail(f"sfdisk: cannot open {dev}: Permission denied")
    if disk_busy(ctx, disk.name):
        ctx.print("Checking that no-one is using this disk right now ... FAILED\n\n")
        ctx.error(
            "sfdisk: This disk is currently in use - repartitioning is probably a bad idea.\n"
            "Umount all file systems, and swapoff all swap partitions on this disk.\n"
            "Use the --no-reread flag to suppress this check.\n\n"
        )
        if "--force" not in args:
            return ctx.fail("sfdisk: Use the --force flag to overrule all checks.")
        # The kernel would keep using the old table; the sim does not model that split.
        return ctx.fail("sfdisk: (sim) writing a table the kernel cannot re-read is not simulated")
    try:
        script = parse_script(ctx.stdin or "")
        placed = layout(script, disk.sectors)
    except ScriptError as exc:
        return ctx.fail(str(exc))
    label = script.headers.get("label", "gpt")
    if label != "gpt":
        return ctx.fail(f"sfdisk: (sim) only GPT is simulated, not {label!r}")
    gib = disk.size_bytes / 1024**3
    ctx.print(
        "Checking that no-one is using this disk right now ... OK\n\n"
        f"Disk {dev}: {gib:.2f} GiB, {disk.size_bytes} bytes, {disk.sectors} sectors\n"
        f"Disk model: {disk.model or ''}\n"
        "Units: sectors of 1 * 512 = 512 bytes\n"
        "Sector size (logical/physical): 512 bytes / 512 bytes\n"
        "I/O size (minimum/optimal): 512 bytes / 512 bytes\n"
    )
    if disk.pttype:
        ctx.print(f"\nOld situation:\n\n{_table(disk_name=dev, ctx=ctx)}")
    ctx.print("\n" + "".join(">>> Script header accepted.\n" for _ in script.headers))
    old = {(p.start, p.size): p.content for p in disk.partitions}
    disk.ptuuid = script.headers.get("label-id") or _guid(ctx)
    disk.pttype = "gpt"
    disk.content = None
    ctx.print(f">>> Created a new GPT disklabel (GUID: {disk.ptuuid}).")
    disk.partitions = []
    for number, (start, size, part) in enumerate(placed, start=1):
        # Data on the disk is not touched: a partition at the same place keeps its signature.
        disk.partitions.append(
            SimPartition(
                number,
                start,
                size,
                part.type_guid,
                part.uuid or _guid(ctx),
                part.name,
                old.get((start, size)),
            )
        )
        tname = GPT_TYPE_NAMES.get(part.type_guid, "unknown")
        ctx.print(
            f"{dev}{number}: Created a new partition {number} of type '{tname}' and of "
            f"size {human(size, spaced=True)}."
        )
    ctx.print(
        f"{dev}{len(placed) + 1}: Done.\n\nNew situation:\nDisklabel type: gpt\n"
        f"Disk identifier: {disk.ptuuid}\n\n{_table(dev, ctx)}\n"
        "The partition table has been altered.\n"
        "Calling ioctl() to re-read partition table.\nSyncing disks."
    )
    ctx.change()
    ctx.notify(disk.name)
    return 0


def _table(disk_name: str, ctx: Ctx) -> str:
    disk = ctx.state.disk(resolve(ctx.state, disk_name) or "")
    if disk is None:
        return ""
    rows = [("Device", "Start", "End", "Sectors", "Size", "Type")]
    for p in disk.partitions:
        rows.append(
            (
                f"/dev/{disk.part_name(p.number)}",
                str(p.start),
                str(p.start + p.size - 1),
                str(p.size),
                human(p.size, spaced=False),
                GPT_TYPE_NAMES.get(p.type_guid, "unknown"),
            )
        )
    w = [max(len(r[i]) for r in rows) for i in range(5)]
    return "".join(
        f"{r[0]:<{w[0]}} {r[1]:>{w[1]}} {r[2]:>{w[2]}} {r[3]:>{w[3]}} {r[4]:>{w[4]}} {r[5]}\n"
        for r in rows
    )


def wipefs(ctx: Ctx, argv: list[str]) -> int:
    """`wipefs -a DEV...` erases every signature; without -a it lists them."""
    args = argv[1:]
    devs = [a for a in args if not a.startswith("-")]
    if not ({"-a", "--all"} & set(args)) or {"-n", "--no-act"} & set(args):
        return cmd_probe.wipefs_list(ctx, devs)
    for dev in devs:
        name = resolve(ctx.state, dev)
        if name is None:
            return ctx.fail(
                f"wipefs: error: {dev}: probing initialization failed: No such file or directory"
            )
        if not ctx.root:
            return ctx.fail(
                f"wipefs: error: {dev}: probing initialization failed: Permission denied"
            )
        busy = ctx.state.in_use(name) or (ctx.state.disk(name) and disk_busy(ctx, name))
        if busy:
            return ctx.fail(
                f"wipefs: error: {dev}: probing initialization failed: Device or resource busy"
            )
        sigs = signatures(ctx.state, name)
        for off, fstype, _uuid, _label, magic in sigs:
            count = len(magic.split())
            ctx.print(f"{dev}: {count} bytes were erased at offset 0x{off:08x} ({fstype}): {magic}")
        disk = ctx.state.disk(name)
        if disk is not None and disk.pttype:
            disk.pttype = None
            disk.ptuuid = None
            disk.partitions = []
            ctx.print(f"{dev}: calling ioctl to re-read partition table: Success")
            ctx.notify(disk.name)
        if sigs:
            ctx.state.set_content(name, None)
            ctx.change()
    return 0


def mkfs_ext4(ctx: Ctx, argv: list[str]) -> int:
    """`mkfs.ext4 [-F] [-L LABEL] DEV`."""
    args = argv[1:]
    label = (
        args[args.index("-L") + 1] if "-L" in args and args.index("-L") + 1 < len(args) else None
    )
    devs = [a for a in args if a.startswith("/dev/")]
    if not devs:
        return ctx.fail("Usage: mkfs.ext4 [-F] [-L volume-label] device")
    dev = devs[-1]
    name = resolve(ctx.state, dev)
    banner = "mke2fs 1.47.0 (5-Feb-2023)"
    if name is None:
        return ctx.fail(f"{banner}\nThe file {dev} does not exist and no size was specified.")
    if not ctx.root:
        return ctx.fail(
            f"{banner}\nmkfs.ext4: Permission denied while trying to determine filesystem size"
        )
    if ctx.state.mounted_at(dev):
        return ctx.fail(f"{banner}\n{dev} is mounted; will not make a filesystem here!")
    if ctx.state.in_use(name):
        return ctx.fail(
            f"{banner}\n{dev} is apparently in use by the system; will not make a filesystem here!"
        )
    size = _size(ctx, name)
    blocks = size // 4096
    uuid = _guid(ctx).lower()
    ctx.print(
        f"{banner}\nDiscarding device blocks: done                            \n"
        f"Creating filesystem with {blocks} 4k blocks and {max(1, blocks // 4)} inodes\n"
        f"Filesystem UUID: {uuid}\nSuperblock backups stored on blocks: \n"
        "\t32768, 98304, 163840, 229376, 294912\n\n"
        "Allocating group tables: done                            \n"
        "Writing inode tables: done                            \n"
        "Creating journal (16384 blocks): done\n"
        "Writing superblocks and filesystem accounting information: done \n"
    )
    ctx.state.set_content(name, Content("ext4", uuid=uuid, label=label, version="1.0"))
    ctx.change()
    return 0


def _size(ctx: Ctx, name: str) -> int:
    disk = ctx.state.disk(name)
    if disk is not None:
        return disk.size_bytes
    found = ctx.state.partition(name)
    if found is not None:
        return found[1].size * SECTOR
    arr = ctx.state.array(name)
    return arr.size_kib * 1024 if arr else 0


def shred(ctx: Ctx, argv: list[str]) -> int:
    """`shred -n 1 -v DEV`: overwrite with random data (progress streamed)."""
    devs = [a for a in argv[1:] if a.startswith("/dev/")]
    if not devs:
        return ctx.fail("shred: missing file operand")
    dev = devs[0]
    name = resolve(ctx.state, dev)
    if name is None:
        return ctx.fail(f"shred: {dev}: failed to open for writing: No such file or directory")
    if not ctx.root:
        return ctx.fail(f"shred: {dev}: failed to open for writing: Permission denied")
    if ctx.state.in_use(name) or disk_busy(ctx, name):
        # The real shred would happily destroy a busy device; the sim refuses instead.
        return ctx.fail(f"shred: {dev}: failed to open for writing: Device or resource busy")
    total = _size(ctx, name)
    rate = 500 * 1024**2
    step = max(total // 20, 1)
    done = 0
    while done < total:
        if ctx.cancelled:
            return ctx.fail(f"shred: {dev}: interrupted", 130)
        ctx.sleep(step / rate)
        done = min(total, done + step)
        ctx.print(
            f"shred: {dev}: pass 1/1 (random)...{done / 1024**3:.1f}GiB/"
            f"{total / 1024**3:.0f}GiB {100 * done // total}%"
        )
    disk = ctx.state.disk(name)
    if disk is not None:
        disk.pttype, disk.ptuuid, disk.partitions = None, None, []
        ctx.notify(name)
    ctx.state.set_content(name, None)
    ctx.change()
    return 0


def udevadm(ctx: Ctx, argv: list[str]) -> int:
    """`udevadm settle` / `udevadm trigger ...`: the sim's udev is always settled."""
    return 0


def blkid(ctx: Ctx, argv: list[str]) -> int:
    """`blkid DEV`: one line of tags (exit 2 when nothing is found)."""
    code = 2
    for dev in [a for a in argv[1:] if a.startswith("/dev/")]:
        name = resolve(ctx.state, dev)
        c = ctx.state.content_of(name or "")
        if name is None or c is None:
            continue
        tags = [f'UUID="{c.uuid}"'] if c.uuid else []
        if c.label:
            tags.append(f'LABEL="{c.label}"')
        tags.append(f'TYPE="{c.fstype}"')
        ctx.print(f"{dev}: " + " ".join(tags))
        code = 0
    return code
