"""The copies ledger on states the walk-through does not reach."""

from __future__ import annotations

from dataclasses import replace

from backend.model import Inventory, MdArray, MdMember, Pool, ScanProgress, SyncProgress, Vdev
from backend.plan.ledger import count_copies, pool_copies, r_copies
from backend.plan.roles import Roles
from tests.plan.demo_states import states


def _md(**kw: object) -> MdArray:
    base = MdArray(
        "md0",
        level="raid1",
        raid_disks=2,
        slots="UU",
        members=(
            MdMember("sda3", 0, state=("active", "sync")),
            MdMember("sdb3", 1, state=("active", "sync")),
        ),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_r_copies() -> None:
    assert r_copies(_md()) == 2
    assert r_copies(_md(sync=SyncProgress("resync", percent=10.0))) == 1  # members may differ
    assert r_copies(_md(slots="U_")) == 1  # mdstat alone: the slot string decides
    assert r_copies(_md(state="inactive")) == 0
    faulty = (MdMember("sda3", 0, flags=("faulty",)), MdMember("sdb3", 1, state=("active", "sync")))
    assert r_copies(_md(members=faulty)) == 1
    assert r_copies(None) == 0


def test_pool_copies() -> None:
    a, b = Vdev("/dev/disk/by-id/a-part3", "ONLINE"), Vdev("/dev/disk/by-id/b-part3", "ONLINE")
    mirror = Pool("rpool", "ONLINE", vdevs=(Vdev("mirror-0", "ONLINE", children=(a, b)),))
    assert pool_copies(mirror) == 2
    scan = ScanProgress("resilver", "running", 40.0)
    assert pool_copies(replace(mirror, scan=scan)) == 1  # no note says which leaf: not both
    noted = (a, replace(b, note="(resilvering)"))
    assert pool_copies(Pool("rpool", "ONLINE", vdevs=(Vdev("mirror-0", children=noted),))) == 1
    degraded = (a, replace(b, state="FAULTED"))
    assert pool_copies(Pool("rpool", "DEGRADED", vdevs=(Vdev("mirror-0", children=degraded),))) == 1
    assert pool_copies(None) == 0


def _state(step: str) -> Inventory:
    return [inv for sid, waited, inv in states() if sid == step and waited][-1]


def test_pool_counts_only_after_the_final_copy(roles: Roles) -> None:
    first = _state("4.6-first-copy")
    assert count_copies(first, roles) == 2  # R on B and C; the running copy does not count
    final = _state("6.4-final-copy")
    assert count_copies(final, roles) == 3
    # A reboot into the old system forgets the mark: the pool's copy is stale again.
    assert count_copies(replace(final, markers=()), roles) == 2


def test_r_back_as_md127_after_reboot(roles: Roles) -> None:
    booted = _state("6.15-reboot")
    assert count_copies(booted, roles) == 3
    renamed = replace(
        booted,
        arrays=tuple(replace(a, name="md127") if a.name == "md0" else a for a in booted.arrays),
    )
    assert count_copies(renamed, roles) == 3
