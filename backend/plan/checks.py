"""Checks (DESIGN.md §3.7 and §4): each returns a CheckResult; a failed blocking one stops.

Checks are grouped by the stage of the migration where they can be judged:

- "preflight" (phase 0): root, tools, the roles' disks, R, C, serials, the pool name, /boot.
- "zfs-ready" (phase 3, after the rebuild): zpool/zfs exist, the module loads, host ids agree.
- "before-create" (phase 4, just before `zpool create`): host ids, the name again, no md.
- "cutover" (phase 6, before `systemctl isolate`): md2zfs's cgroup survives the isolate.
- "bootability" (phase 6, before the reboot): see checks_boot.py.
- "after-reboot" (phase 7): / on the pool, a healthy mirror, md1 clean.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from backend.model import Inventory
from backend.plan.checks_disks import (
    check_boot_placement,
    check_c,
    check_r,
    check_serials,
    role_disks,
)
from backend.plan.facts import HostFacts
from backend.plan.roles import (
    BOOT_PART,
    ZFS_PART,
    CheckResult,
    Refusal,
    Roles,
    free_pool_name,
    partition_name,
    taken_pool_names,
)

__all__ = [
    "STAGES",
    "CheckResult",
    "Refusal",
    "cgroup_problem_text",
    "run_checks",
    "stage_passes",
    "valid_pool_name",
]

STAGES = ("preflight", "zfs-ready", "before-create", "cutover", "bootability", "after-reboot")
BASE_TOOLS = ("mdadm", "sfdisk", "wipefs", "rsync")
_POOL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]*")
_RESERVED = ("mirror", "raidz", "draid", "spare", "log", "cache", "special", "dedup")


def _ok(cid: str, message: str) -> CheckResult:
    return CheckResult(cid, True, message)


def _bad(cid: str, message: str, fix: str, *, blocking: bool = True) -> CheckResult:
    return CheckResult(cid, False, message, fix, blocking)


def valid_pool_name(name: str) -> str | None:
    """Why a pool name is not valid for ZFS (None when it is), per zpool(8)'s rules."""
    if not name:
        return "the pool name is empty"
    if len(name) > 255:
        return "the pool name is longer than 255 characters"
    if not _POOL_NAME.fullmatch(name):
        bad = sorted({c for c in name if not re.fullmatch(r"[A-Za-z0-9_.:-]", c)})
        if bad:
            return f"the pool name contains characters ZFS does not allow: {' '.join(bad)}"
        return "the pool name must begin with a letter"
    low = name.lower()
    for word in _RESERVED:
        if low == word or (word in ("mirror", "raidz", "draid", "spare") and low.startswith(word)):
            return f"{name!r} is reserved by ZFS (names may not be or begin with {word})"
    if re.fullmatch(r"c[0-9].*", name):
        return "names beginning with c and a digit are reserved (Solaris device names)"
    return None


def check_pool_name(roles: Roles, inv: Inventory, *, created: bool = False) -> list[CheckResult]:
    """Valid, and unique among imported and importable pools (DESIGN.md §4: two pools with
    one name stop NixOS's boot). created=True: the pool is ours and imported once."""
    out: list[CheckResult] = []
    why = valid_pool_name(roles.pool)
    out.append(
        _bad(
            "pool-name-valid",
            why,
            "choose a name of letters, digits and _ . : -, starting with a letter (e.g. rpool)",
        )
        if why
        else _ok("pool-name-valid", f"{roles.pool} is valid")
    )
    importable = [p for p in inv.importable_pools if p.name == roles.pool]
    if created:
        if importable:
            ids = ", ".join(p.id for p in importable)
            out.append(
                _bad(
                    "pool-name-unique",
                    f"another pool named {roles.pool} is visible to "
                    f"`zpool import` (id {ids}): the boot would find two",
                    "destroy or rename the other pool (zpool import ID NEWNAME), or "
                    "detach its disks",
                )
            )
        else:
            out.append(_ok("pool-name-unique", f"only one pool is named {roles.pool}"))
    elif roles.pool in taken_pool_names(inv):
        out.append(
            _bad(
                "pool-name-unique",
                f"a pool named {roles.pool} already exists (imported or visible to `zpool import`)",
                f"use another name, e.g. {free_pool_name(inv, roles.pool)}",
            )
        )
    else:
        out.append(_ok("pool-name-unique", f"no pool named {roles.pool} exists"))
    return out


def check_tools(roles: Roles, facts: HostFacts, tools: tuple[str, ...]) -> CheckResult:
    """The tools a stage needs are on PATH."""
    want = list(tools)
    if roles.deploy == "nixos-rebuild" and "nixos-rebuild" not in want and "zpool" not in want:
        want.append("nixos-rebuild")
    missing = [t for t in want if not facts.has_tool(t)]
    if missing:
        return _bad(
            "tools",
            f"missing tools: {', '.join(missing)}",
            "install them (or choose the manual deploy mode when nixos-rebuild is "
            "not used on this machine)",
        )
    return _ok("tools", "tools present: " + ", ".join(want))


def check_cgroup(facts: HostFacts, *, blocking: bool = True) -> CheckResult:
    """md2zfs runs in a scope, not in a service the maintenance target would stop (§4)."""
    from backend.plan.checks_boot import cgroup_problem

    problem = cgroup_problem(facts.cgroup)
    if problem:
        return _bad(
            "cgroup",
            problem,
            "log in over SSH (or on the console), start tmux there and run md2zfs inside it",
            blocking=blocking,
        )
    return _ok("cgroup", "md2zfs runs in a session scope: `systemctl isolate` spares it")


def check_hostid(roles: Roles, facts: HostFacts) -> CheckResult:
    """networking.hostId (ours or the operator's), /etc/hostid and `hostid` agree."""
    want = facts.configured_host_id(include_module=True)
    seen = {"networking.hostId": want, "/etc/hostid": facts.hostid_file, "hostid": facts.hostid_cmd}
    if want and facts.hostid_file == want and facts.hostid_cmd == want:
        return _ok("hostid", f"host id {want} everywhere")
    shown = ", ".join(f"{k}={v or 'unset'}" for k, v in seen.items())
    return _bad(
        "hostid",
        f"host ids disagree: {shown}",
        "rebuild with the md2zfs module "
        "(nixos-rebuild switch) so /etc/hostid follows networking.hostId",
    )


def _preflight(roles: Roles, inv: Inventory, facts: HostFacts) -> list[CheckResult]:
    out = [
        _ok("root", "running as root")
        if facts.is_root
        else _bad("root", "md2zfs must run as root to change disks", "run it with sudo or as root"),
        check_tools(roles, facts, BASE_TOOLS if facts.nixos else (*BASE_TOOLS, "zpool", "zfs")),
    ]
    if roles.deploy == "nixos-rebuild" and facts.flake:
        out.append(
            _bad(
                "deploy",
                "/etc/nixos/flake.nix exists: nixos-rebuild would build the "
                "flake, not configuration.nix's imports",
                "choose the manual deploy mode",
            )
        )
    ids, found = role_disks(roles, inv)
    out += ids + check_serials(inv, found) + check_r(roles, inv, found) + check_c(roles, inv, found)
    out += check_pool_name(roles, inv)
    if inv.array(roles.boot_array) is not None:
        out.append(_bad("boot-array", f"{roles.boot_array} already exists", "choose a free mdN"))
    if not 256 <= roles.boot_size_mib <= 65536:
        out.append(
            _bad("boot-size", f"a /boot of {roles.boot_size_mib} MiB", "choose 256..65536 MiB")
        )
    out += [check_boot_placement(inv, facts), check_cgroup(facts, blocking=False)]
    return out


def _zfs_ready(roles: Roles, inv: Inventory, facts: HostFacts) -> list[CheckResult]:
    tools = check_tools(roles, facts, ("zpool", "zfs"))
    loaded = (
        _ok("zfs-module", "ZFS is available")
        if inv.zfs_available
        else _bad(
            "zfs-module",
            "ZFS is not available after the rebuild",
            "check `modprobe zfs` and the kernel's ZFS support (boot.zfs.package / kernel version)",
        )
    )
    return [tools, loaded, check_hostid(roles, facts)]


def _before_create(roles: Roles, inv: Inventory, facts: HostFacts) -> list[CheckResult]:
    out = [check_hostid(roles, facts), *check_pool_name(roles, inv)]
    found = inv.resolve(roles.disk_a)
    if len(found) == 1:
        name = partition_name(found[0].name, ZFS_PART)
        boot = partition_name(found[0].name, BOOT_PART)
        users = [a.name for a in inv.arrays if a.member(name)]
        if users:
            out.append(
                _bad(
                    "zfs-part-free",
                    f"{name} is a member of {', '.join(users)}",
                    "zpool create refuses md members: the plan's order was broken",
                )
            )
        if not any(a.member(boot) for a in inv.arrays):
            out.append(
                _bad("boot-array", f"{boot} is not in {roles.boot_array}", "run phase 4 in order")
            )
    return out


def cgroup_problem_text(cgroup: str | None) -> str | None:
    """Why the maintenance target's isolate would kill md2zfs in this cgroup (None: safe)."""
    from backend.plan.checks_boot import cgroup_problem

    return cgroup_problem(cgroup)


def run_checks(stage: str, roles: Roles, inv: Inventory, facts: HostFacts) -> list[CheckResult]:
    """All checks of a stage (see the module docstring), passed and failed."""
    from backend.plan.checks_boot import after_reboot, bootability

    table: dict[str, Callable[[Roles, Inventory, HostFacts], list[CheckResult]]] = {
        "preflight": _preflight,
        "zfs-ready": _zfs_ready,
        "before-create": _before_create,
        "cutover": lambda r, i, f: [check_cgroup(f)],
        "bootability": bootability,
        "after-reboot": after_reboot,
    }
    if stage not in table:
        raise ValueError(f"unknown check stage {stage!r}")
    return table[stage](roles, inv, facts)


def failures(results: list[CheckResult]) -> list[CheckResult]:
    """The failed, blocking results."""
    return [r for r in results if not r.ok and r.blocking]


def stage_passes(stage: str, roles: Roles, inv: Inventory, facts: HostFacts) -> bool:
    """No blocking check of the stage fails."""
    return not failures(run_checks(stage, roles, inv, facts))


def preflight(roles: Roles, inv: Inventory, facts: HostFacts) -> Refusal | None:
    """The phase-0 verdict: a Refusal listing every failure, or None."""
    results = run_checks("preflight", roles, inv, facts)
    return Refusal(tuple(results)) if failures(results) else None
