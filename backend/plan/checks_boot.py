"""The checks around the cut-over: the cgroup md2zfs runs in, bootability before the reboot
in phase 6, and the state after it (phase 7)."""

from __future__ import annotations

from backend.model import Inventory
from backend.plan import evidence as ev
from backend.plan.facts import HostFacts
from backend.plan.roles import CheckResult, Roles

# Services the maintenance target keeps: processes inside them survive the isolate.
_KEPT_SERVICES = ("sshd.service", "systemd-logind.service")


def cgroup_problem(cgroup: str | None) -> str | None:
    """Why `systemctl isolate md2zfs-maintenance.target` would kill md2zfs (None: it would not).

    Scopes (an SSH or console session, tmux started in it) ignore an isolate; services do
    not, and a scope under a service (tmux spawned by user@.service) dies with it.
    """
    if cgroup is None:
        return "cannot read /proc/self/cgroup: cannot tell whether md2zfs survives the isolate"
    path = None
    for line in cgroup.splitlines():
        parts = line.strip().split(":", 2)
        if len(parts) == 3 and (parts[0] == "0" or parts[1] == "name=systemd"):
            path = parts[2]
            if parts[0] == "0":
                break
    if path is None:
        return "no systemd cgroup in /proc/self/cgroup: cannot tell whether md2zfs survives"
    services = [c for c in path.split("/") if c.endswith(".service")]
    doomed = [
        s for s in services if not s.startswith(_KEPT_SERVICES) and not s.startswith("getty@")
    ]
    if doomed:
        return (
            f"md2zfs runs inside {doomed[0]} ({path}): `systemctl isolate` of the "
            "maintenance target would stop it and kill md2zfs"
        )
    if not path.rstrip("/").endswith(".scope") and not services:
        return f"md2zfs runs in {path}, not in a session scope: it may not survive the isolate"
    return None


def _ok(cid: str, message: str) -> CheckResult:
    return CheckResult(cid, True, message)


def _bad(cid: str, message: str, fix: str) -> CheckResult:
    return CheckResult(cid, False, message, fix)


def bootability(roles: Roles, inv: Inventory, facts: HostFacts) -> list[CheckResult]:
    """Before the reboot: everything the initrd and GRUB need (DESIGN.md §4)."""
    from backend.nixos import settings_for
    from backend.plan.checks import check_hostid, check_pool_name

    out = check_pool_name(roles, inv, created=True)
    out.append(check_hostid(roles, facts))
    text = facts.module_text or ""
    want = settings_for(roles, inv, facts, "root-on-zfs")
    pool = inv.pool(roles.pool)
    if pool is None:
        out.append(_bad("pool-imported", f"{roles.pool} is not imported", "zpool import it"))
    else:
        outside = [v.name for v in pool.leaves() if not v.name.startswith(want.dev_nodes + "/")]
        out.append(
            _bad(
                "devnodes",
                f"pool members outside {want.dev_nodes}: {', '.join(outside)}",
                "the initrd looks for the members there only: re-attach by that path",
            )
            if outside
            else _ok("devnodes", f"every member of {roles.pool} is in {want.dev_nodes}")
        )
    if want.key_file:
        missing = [p for p in (want.key_file, "/mnt" + want.key_file) if not facts.present.get(p)]
        out.append(
            _bad(
                "key-file",
                f"key file missing: {', '.join(missing)}",
                "the initrd secret is copied from there; without it the boot loader install "
                'fails ("failed to create initrd secrets") or the pool cannot be unlocked',
            )
            if missing
            else _ok("key-file", f"{want.key_file} exists on / and /mnt")
        )
    devices = [d for d in want.grub_devices if f'"{d}"' not in text]
    out.append(
        _bad(
            "grub-devices",
            f"the module does not install GRUB on {', '.join(devices)}",
            "write the root-on-zfs module again (phase 5)",
        )
        if devices or len(want.grub_devices) < 2
        else _ok("grub-devices", "GRUB goes on both disks")
    )
    fs_root = f'fileSystems."/" = lib.mkForce {{ device = "{roles.root_dataset}"'
    out.append(
        _ok("root-fs", f"/ is {roles.root_dataset} in the module")
        if fs_root in text
        else _bad("root-fs", "the module does not mount / from the pool", "run phase 5 again")
    )
    out.append(
        _ok("swraid", "boot.swraid.enable = true")
        if "boot.swraid.enable = true;" in text
        else _bad("swraid", "boot.swraid.enable is not set", "md1 (/boot) needs it since 23.11")
    )
    return out


def after_reboot(roles: Roles, inv: Inventory, facts: HostFacts) -> list[CheckResult]:
    """Phase 7: the machine came up on the pool, mirrored, with /boot on a clean md1."""
    out = []
    root = inv.mount_at("/")
    out.append(
        _ok("root-on-pool", f"/ is {roles.root_dataset}")
        if ev.root_on_pool(inv, roles)
        else _bad(
            "root-on-pool",
            f"/ is {root.source if root else 'unknown'}, not {roles.root_dataset}",
            "boot the newest generation; see the boot log",
        )
    )
    pool = inv.pool(roles.pool)
    two = pool is not None and len(pool.leaves()) == 2
    out.append(
        _ok("mirror", f"{roles.pool} is a healthy two-way mirror")
        if two and ev.pool_healthy(pool)
        else _bad(
            "mirror",
            f"{roles.pool} is not a healthy two-way mirror",
            "wait for the resilver; `zpool status` shows what is wrong",
        )
    )
    out.append(
        _ok("boot-array", f"{roles.boot_array} is clean on both disks")
        if ev.boot_array_clean(inv, roles, 2)
        else _bad(
            "boot-array",
            f"{roles.boot_array} is not clean on two members",
            f"check `mdadm --detail /dev/{roles.boot_array}`",
        )
    )
    return out


__all__ = ["after_reboot", "bootability", "cgroup_problem"]
