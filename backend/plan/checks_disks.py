"""Preflight checks of the disks: the roles' identities, serials, R and C (DESIGN.md §3.7)."""

from __future__ import annotations

from collections import Counter

from backend.model import Disk, Inventory
from backend.plan.facts import HostFacts
from backend.plan.roles import (
    CheckResult,
    Roles,
    disk_in_use,
    partition_name,
    used_extent_bytes,
)


def _ok(cid: str, message: str) -> CheckResult:
    return CheckResult(cid, True, message)


def _bad(cid: str, message: str, fix: str, *, blocking: bool = True) -> CheckResult:
    return CheckResult(cid, False, message, fix, blocking)


def role_disks(roles: Roles, inv: Inventory) -> tuple[list[CheckResult], dict[str, Disk]]:
    out: list[CheckResult] = []
    found: dict[str, Disk] = {}
    for label, ident in (("DA", roles.disk_a), ("DB", roles.disk_b), ("DC", roles.disk_c)):
        disks = inv.resolve(ident)
        if len(disks) == 1:
            found[label] = disks[0]
            continue
        if disks:
            names = ", ".join(d.path for d in disks)
            out.append(
                _bad(
                    f"identity-{label.lower()}",
                    f"{label}'s identity {ident} names several disks: {names}",
                    "bind the role by WWN or by-path",
                )
            )
        else:
            out.append(
                _bad(
                    f"identity-{label.lower()}",
                    f"no disk answers to {label}'s identity {ident}",
                    "attach the disk or choose the roles again",
                )
            )
    return out, found


def check_serials(inv: Inventory, found: dict[str, Disk]) -> list[CheckResult]:
    """Duplicate serials (blocking when a role disk has one) and missing ones (a warning)."""
    out: list[CheckResult] = []
    counts = Counter(d.serial for d in inv.disks if d.serial)
    roles_names = {d.name for d in found.values()}
    for serial, n in sorted(counts.items()):
        if n < 2:
            continue
        disks = [d for d in inv.disks if d.serial == serial]
        involved = any(d.name in roles_names for d in disks)
        out.append(
            _bad(
                "serial-duplicate",
                f"serial {serial} is shared by " + ", ".join(d.path for d in disks),
                "the disks cannot be told apart by serial: confirm them by WWN or by-path",
                blocking=involved,
            )
        )
    for label, d in sorted(found.items()):
        if not d.serial:
            out.append(
                _bad(
                    f"serial-missing-{label.lower()}",
                    f"{label} ({d.path}) reports no serial number",
                    "confirm it by its WWN or by-path name; boot.zfs.devNodes will use by-path",
                    blocking=False,
                )
            )
    if not any(r.id.startswith("serial") for r in out):
        out.append(_ok("serials", "every role disk has a unique serial"))
    return out


def check_r(roles: Roles, inv: Inventory, found: dict[str, Disk]) -> list[CheckResult]:
    """R exists, is a clean RAID1 of A and B, not resyncing, and holds /."""
    arr = inv.array(roles.array)
    if arr is None:
        return [_bad("r-clean", f"{roles.array} is not assembled", "choose the array that holds /")]
    out: list[CheckResult] = []
    root = inv.mount_at("/")
    if "/" not in arr.mountpoints and (root is None or root.source != arr.path):
        out.append(
            _bad("r-root", f"{roles.array} does not hold /", "choose the array that holds /")
        )
    if arr.level != "raid1" or arr.state != "active":
        out.append(
            _bad(
                "r-clean",
                f"{roles.array} is {arr.level or '?'} {arr.state}, not an active raid1",
                "only an active RAID1 can be migrated",
            )
        )
    if arr.sync is not None:
        out.append(
            _bad(
                "r-clean",
                f"{roles.array} is busy: {arr.sync.action} {arr.sync.state}",
                "wait for the resync/recovery to finish (cat /proc/mdstat)",
            )
        )
    if arr.degraded:
        out.append(
            _bad(
                "r-clean",
                f"{roles.array} is degraded ([{arr.slots or '?'}])",
                "repair the array first: md2zfs needs two complete copies to start",
            )
        )
    names = set()
    for label, num in (("DA", roles.member_a), ("DB", roles.member_b)):
        d = found.get(label)
        if d is None:
            continue
        name = partition_name(d.name, num)
        names.add(name)
        m = arr.member(name)
        if m is None or not m.in_sync:
            out.append(
                _bad(
                    "r-members",
                    f"{name} is not an in-sync member of {roles.array}",
                    "choose A and B among the array's in-sync members",
                )
            )
    extra = [m.device for m in arr.members if m.device not in names]
    if extra:
        out.append(
            _bad(
                "r-members",
                f"{roles.array} has other members: {', '.join(extra)}",
                "remove spares and extra members first (mdadm --remove)",
            )
        )
    return out or [_ok("r-clean", f"{roles.array} is a clean RAID1 of A and B holding /")]


def check_c(roles: Roles, inv: Inventory, found: dict[str, Disk]) -> list[CheckResult]:
    """C qualifies: not A or B's disk, blank, not mounted or in use, large enough."""
    dc, da = found.get("DC"), found.get("DA")
    if dc is None:
        return []
    for label in ("DA", "DB"):
        other = found.get(label)
        if other is not None and other.name == dc.name:
            return [
                _bad(
                    "c-distinct",
                    f"DC ({dc.path}) is the same disk as {label}",
                    "DC must be a third, blank disk",
                )
            ]
    out: list[CheckResult] = []
    mounts = [*dc.mountpoints, *(mp for p in dc.partitions for mp in p.mountpoints)]
    paths = {dc.path, *(p.path for p in dc.partitions), *dc.by_id}
    mounts += [m.target for m in inv.mounts if m.source in paths]
    if mounts:
        out.append(
            _bad(
                "c-mounted",
                f"DC ({dc.path}) is mounted at {', '.join(sorted(set(mounts)))}",
                "unmount it (and remove it from fstab) or choose another disk",
            )
        )
    use = [w for w in disk_in_use(inv, dc) if w.startswith(("member of", "in pool", "in use by"))]
    if use:
        out.append(
            _bad(
                "c-in-use",
                f"DC ({dc.path}) is {'; '.join(use)}",
                "choose a disk no array or pool uses",
            )
        )
    sigs = [w for w in disk_in_use(inv, dc) if w.startswith(("has a", "read-only"))]
    if sigs:
        out.append(
            _bad(
                "c-blank",
                f"DC ({dc.path}) is not blank: {'; '.join(sigs)}",
                f"if its data is not needed: wipefs -a {dc.path} (md2zfs does not wipe "
                "a disk it did not write)",
            )
        )
    if da is not None:
        need = used_extent_bytes(da)
        if dc.size_bytes < need:
            out.append(
                _bad(
                    "c-size",
                    f"DC ({dc.path}, {dc.size_bytes} bytes) is smaller than "
                    f"DA's used extent ({need} bytes)",
                    "attach a larger disk",
                )
            )
    return out or [_ok("c-ok", f"DC ({dc.path}) is blank, unused and large enough")]


def check_boot_placement(inv: Inventory, facts: HostFacts) -> CheckResult:
    """/boot is part of / (copied with it), the machine boots by BIOS with GRUB."""
    if facts.uefi:
        return _bad(
            "boot",
            "the machine boots by UEFI; md2zfs's plan installs GRUB for BIOS",
            "migrate by hand, or extend the plan with an ESP on both disks",
        )
    boot = inv.mount_at("/boot")
    if boot is not None:
        return _bad(
            "boot",
            f"/boot is a separate filesystem ({boot.source})",
            "md2zfs moves /boot onto a new md1; merge /boot into / first, or migrate by hand",
        )
    return _ok("boot", "/boot is part of / and moves to the new md1")
