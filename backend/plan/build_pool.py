"""Phase 4, second half: the pool, its datasets, the mounts under /mnt and the first copy."""

from __future__ import annotations

from backend.model import Inventory
from backend.plan import evidence as ev
from backend.plan.build import Ctx, Spec, roles_action
from backend.plan.partitions import new_layout_script, zfs_partition_bytes
from backend.plan.roles import ZFS_PART, Dataset, Roles
from backend.plan.step import Action, Command, Destroys, Operation, Step

POOL_OPTIONS = ("-o", "ashift=12")
FS_OPTIONS = ("xattr=sa", "acltype=posixacl", "atime=off", "mountpoint=legacy")
RSYNC = ("rsync", "-aHAXS")
# rsync exit 24: "some files vanished before they could be transferred" — normal for a copy
# of a running system; the final copy in the maintenance target catches up.
RSYNC_OK = (0, 24)


def layout_script(ctx: Ctx) -> str:
    """The sfdisk script of DA's and DB's new layout (sized for the smaller when they differ)."""
    da, db = ctx.disk("a"), ctx.disk("b")
    boot = ctx.roles.boot_size_mib
    zfs_bytes = zfs_partition_bytes(da.size_bytes, db.size_bytes, boot) if da and db else None
    return new_layout_script(boot, zfs_bytes=zfs_bytes)


def zpool_create_argv(ctx: Ctx) -> tuple[str, ...]:
    """`zpool create` exactly as COMMANDS.md spells it; the passphrase is in the key file."""
    roles = ctx.roles
    argv = ["zpool", "create", "-f", *POOL_OPTIONS]
    for opt in FS_OPTIONS:
        argv += ["-O", opt]
    if roles.encryption == "passphrase-keyfile":
        argv += ["-O", "encryption=aes-256-gcm", "-O", "keyformat=passphrase"]
        argv += ["-O", f"keylocation=file://{roles.key_file}"]
    argv += [roles.pool, ctx.stable("a", ZFS_PART)]
    return tuple(argv)


def ordered_datasets(roles: Roles) -> tuple[Dataset, ...]:
    """Parents before children (zfs create and mount both need that order)."""
    return tuple(sorted(roles.datasets, key=lambda d: (d.name.count("/"), d.name)))


def mount_order(roles: Roles) -> tuple[Dataset, ...]:
    """Mount "/" first, then shallower mountpoints before deeper ones."""
    return tuple(
        sorted(roles.datasets, key=lambda d: (d.mountpoint.rstrip("/").count("/"), d.mountpoint))
    )


def target(mountpoint: str) -> str:
    """Where a dataset is mounted under /mnt during the copy."""
    return "/mnt" if mountpoint == "/" else "/mnt" + mountpoint


def dataset_names(inv: Inventory) -> set[str]:
    """Dataset names; only the first column counts (a `zfs list` that printed more)."""
    return {d.split()[0] for d in inv.datasets if d.strip()}


def _datasets_exist(roles: Roles, inv: Inventory) -> bool:
    names = dataset_names(inv)
    return ev.pool_exists(inv, roles) and all(
        f"{roles.pool}/{d.name}" in names for d in roles.datasets
    )


def _all_mounted(roles: Roles, inv: Inventory) -> bool:
    return all(
        ev.mounted(inv, target(d.mountpoint), f"{roles.pool}/{d.name}") for d in roles.datasets
    ) and ev.mounted(inv, "/mnt/boot", f"/dev/{roles.boot_array}")


def pool_steps(ctx: Ctx) -> list[Spec]:
    """4.4 create the pool (checks first: hostid, unique name), 4.5 the datasets."""
    roles, inv = ctx.roles, ctx.inv
    ops: list[Operation] = [roles_action("run-checks", roles, stage="before-create")]
    if roles.encryption == "passphrase-keyfile":
        ops.append(
            Action(
                "write-key-file",
                (("path", roles.key_file), ("secret", "passphrase")),
                f"write the passphrase to {roles.key_file} (mode 0600; never on a command line)",
            )
        )
    ops.append(Command(zpool_create_argv(ctx)))
    create = Step(
        id="4.4-create-pool",
        phase=4,
        title=f"Create the pool {roles.pool} on {ctx.stable('a', ZFS_PART)}",
        why="The new root's pool starts as a single device on DA; DB is attached in phase 6.",
        operations=tuple(ops),
        destroys=(Destroys(roles.disk_a, ctx.node("a", ZFS_PART), "the new ZFS partition"),),
        changes=f"pool {roles.pool} exists (ashift=12, xattr=sa, acltype=posixacl, atime=off, "
        "mountpoint=legacy" + (", encrypted)" if roles.encryption != "none" else ")"),
    )
    have = dataset_names(inv)
    missing = [d for d in ordered_datasets(roles) if f"{roles.pool}/{d.name}" not in have]
    datasets = Step(
        id="4.5-create-datasets",
        phase=4,
        title="Create the datasets " + ", ".join(f"{roles.pool}/{d.name}" for d in roles.datasets),
        why="One dataset per tree that wants its own properties (atime on /var, sync off on "
        "/tmp); all with mountpoint=legacy, mounted by NixOS's fileSystems.",
        operations=tuple(
            Command(
                (
                    "zfs",
                    "create",
                    *[x for k, v in d.properties for x in ("-o", f"{k}={v}")],
                    f"{roles.pool}/{d.name}",
                )
            )
            # Only what is missing: a resumed step must not fail on "dataset already exists".
            for d in (missing or ordered_datasets(roles))
        ),
        changes="the datasets exist, empty",
    )
    return [
        Spec(create, lambda i: ev.pool_exists(i, roles)),
        Spec(datasets, lambda i: _datasets_exist(roles, i)),
    ]


def copy_steps(ctx: Ctx) -> list[Spec]:
    """4.6 mount everything under /mnt (only what is not mounted yet) and copy once."""
    roles, inv = ctx.roles, ctx.inv
    ops: list[Operation] = []
    fresh = not any(inv.mount_at(target(d.mountpoint)) for d in roles.datasets)
    for d in mount_order(roles):
        where, what = target(d.mountpoint), f"{roles.pool}/{d.name}"
        if fresh or not ev.mounted(inv, where, what):
            ops += [Command(("mkdir", "-p", where)), Command(("mount", "-t", "zfs", what, where))]
    md1 = f"/dev/{roles.boot_array}"
    if fresh or not ev.mounted(inv, "/mnt/boot", md1):
        ops += [Command(("mkdir", "-p", "/mnt/boot")), Command(("mount", md1, "/mnt/boot"))]
    ops += copy_commands(ctx, final=False)
    step = Step(
        id="4.6-first-copy",
        phase=4,
        title="Mount the new root under /mnt and copy the running system into it",
        why="A first copy while the system runs makes the final copy in phase 6 (in the "
        "maintenance target) short. It does not count as a copy: files change under it.",
        operations=tuple(ops),
        changes="/mnt holds a (not yet consistent) copy of / and /boot",
    )
    return [Spec(step, lambda i: _all_mounted(roles, i))]


def boot_is_separate(inv: Inventory) -> bool:
    """/boot is its own mount (else the copy of / already carries it)."""
    return inv.mount_at("/boot") is not None


def copy_commands(ctx: Ctx, *, final: bool) -> list[Operation]:
    """rsync of / (and of /boot when it is a separate filesystem) into /mnt."""
    delete = ("--delete",) if final else ()
    ops: list[Operation] = [
        Command(
            (*RSYNC, *delete, "--one-file-system", "--info=progress2", "/", "/mnt/"),
            ok_codes=RSYNC_OK,
        )
    ]
    if boot_is_separate(ctx.inv):
        ops.append(
            Command(
                (*RSYNC, *delete, "--info=progress2", "/boot/", "/mnt/boot/"), ok_codes=RSYNC_OK
            )
        )
    return ops
