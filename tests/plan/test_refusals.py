"""Every preflight refusal: refused with its message, and nothing would run."""

from __future__ import annotations

from dataclasses import replace

import pytest

from backend.model import Disk, ImportablePool, Inventory, Mount, Partition, Pool, Vdev
from backend.plan.checks import cgroup_problem_text, preflight, run_checks, valid_pool_name
from backend.plan.facts import HostFacts
from backend.plan.roles import Refusal, Roles, propose_roles
from tests.plan.conftest import make_facts


def _sdc(inv: Inventory, **kw: object) -> Inventory:
    disks = tuple(replace(d, **kw) if d.name == "sdc" else d for d in inv.disks)  # type: ignore[arg-type]
    return replace(inv, disks=disks)


def _refused(roles: Roles, inv: Inventory, facts: HostFacts, check_id: str, words: str) -> None:
    refusal = preflight(roles, inv, facts)
    assert isinstance(refusal, Refusal)
    hits = [c for c in refusal.failures if c.id == check_id]
    assert hits, refusal.message
    assert words in hits[0].message and hits[0].fix


def test_clean_demo_passes(roles: Roles, inv: Inventory, facts: HostFacts) -> None:
    assert preflight(roles, inv, facts) is None


def test_mounted_c(roles: Roles, inv: Inventory, facts: HostFacts) -> None:
    bad = replace(
        _sdc(inv, mountpoints=("/srv",)), mounts=(*inv.mounts, Mount("/dev/sdc", "/srv", "ext4"))
    )
    _refused(roles, bad, facts, "c-mounted", "mounted at /srv")
    assert isinstance(propose_roles(bad), Refusal)


def test_c_too_small(roles: Roles, inv: Inventory, facts: HostFacts) -> None:
    _refused(
        roles, _sdc(inv, size_bytes=500 * 10**9), facts, "c-size", "smaller than DA's used extent"
    )


def test_c_not_blank(roles: Roles, inv: Inventory, facts: HostFacts) -> None:
    part = Partition("sdc1", "/dev/sdc1", 10**9, number=1, fstype="ext4")
    _refused(roles, _sdc(inv, pttype="gpt", partitions=(part,)), facts, "c-blank", "not blank")


def test_c_equals_a(roles: Roles, inv: Inventory, facts: HostFacts) -> None:
    _refused(replace(roles, disk_c=roles.disk_a), inv, facts, "c-distinct", "same disk as DA")


def test_c_in_a_pool(roles: Roles, inv: Inventory, facts: HostFacts) -> None:
    pool = Pool("tank", "ONLINE", vdevs=(Vdev("/dev/sdc", "ONLINE"),))
    _refused(roles, replace(inv, pools=(pool,)), facts, "c-in-use", "in pool tank")


@pytest.mark.parametrize("where", ["imported", "importable"])
def test_pool_name_exists(roles: Roles, inv: Inventory, facts: HostFacts, where: str) -> None:
    if where == "imported":
        bad = replace(inv, pools=(Pool("rpool", "ONLINE", vdevs=(Vdev("/dev/sdd", "ONLINE"),)),))
    else:
        bad = replace(inv, importable_pools=(ImportablePool("rpool", "1234", "ONLINE"),))
    _refused(roles, bad, facts, "pool-name-unique", "already exists")
    proposed = propose_roles(bad)
    assert isinstance(proposed, Roles) and proposed.pool == "rpool2"


@pytest.mark.parametrize(
    "name",
    ["rpool;rm", "rpool$(x)", "r pool", "1pool", "mirror", "raidz2x", "c0t0d0", "log", "", "a/b"],
)
def test_invalid_pool_names(roles: Roles, inv: Inventory, facts: HostFacts, name: str) -> None:
    assert valid_pool_name(name) is not None
    _refused(replace(roles, pool=name), inv, facts, "pool-name-valid", "")


@pytest.mark.parametrize("name", ["rpool", "tank-2", "p.o:o_l", "Rpool"])
def test_valid_pool_names(name: str) -> None:
    assert valid_pool_name(name) is None


def test_shell_metacharacters_named(roles: Roles, inv: Inventory, facts: HostFacts) -> None:
    _refused(replace(roles, pool="rpool;rm"), inv, facts, "pool-name-valid", ";")


def test_duplicate_serials(roles: Roles, inv: Inventory, facts: HostFacts) -> None:
    serial = next(d.serial for d in inv.disks if d.name == "sda")
    _refused(roles, _sdc(inv, serial=serial), facts, "serial-duplicate", "shared by")


def test_missing_serial_is_a_warning(roles: Roles, inv: Inventory, facts: HostFacts) -> None:
    results = run_checks("preflight", roles, _sdc(inv, serial=None), facts)
    warn = [r for r in results if r.id == "serial-missing-dc"]
    assert warn and not warn[0].ok and not warn[0].blocking


def test_not_root(roles: Roles, inv: Inventory) -> None:
    _refused(roles, inv, make_facts(is_root=False), "root", "must run as root")


def test_missing_tool(roles: Roles, inv: Inventory) -> None:
    _refused(roles, inv, make_facts(tools={"mdadm": "/sbin/mdadm"}), "tools", "sfdisk")


def test_r_degraded(roles: Roles, inv: Inventory, facts: HostFacts) -> None:
    md0 = inv.arrays[0]
    bad = replace(inv, arrays=(replace(md0, members=md0.members[:1], slots="U_", active_disks=1),))
    _refused(roles, bad, facts, "r-clean", "degraded")


def test_uefi_refused(roles: Roles, inv: Inventory) -> None:
    _refused(roles, inv, make_facts(uefi=True), "boot", "UEFI")


def test_no_md_root() -> None:
    refusal = propose_roles(Inventory(disks=(Disk("sda", "/dev/sda", 10**12),)))
    assert isinstance(refusal, Refusal) and "no md array holds /" in refusal.message


@pytest.mark.parametrize(
    ("cgroup", "ok"),
    [
        ("0::/user.slice/user-0.slice/session-3.scope\n", True),
        ("0::/user.slice/user-1000.slice/user@1000.service/app.slice/tmux-spawn-1.scope\n", False),
        ("0::/system.slice/md2zfs.service\n", False),
        ("0::/system.slice/sshd.service\n", True),
    ],
)
def test_cgroup(cgroup: str, ok: bool) -> None:
    assert (cgroup_problem_text(cgroup) is None) == ok
