"""The whole reference plan on the simulated demo server, phases 0 to 7."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backend.events import StepFailed, StepFinished, StepSkipped
from backend.executor import RunOptions
from backend.inventory import take_inventory
from tests.engine.fakes import Recorder
from tests.engine.harness import World, executor
from tests.engine.sim_world import sim_world


def test_whole_plan_ends_migrated_with_two_copies_throughout(
    sim_baseline: tuple[Any, World],
) -> None:
    _, world = sim_baseline
    roles = world.roles
    inv = take_inventory(world.load())
    root = inv.mount_at("/")
    assert root is not None and root.source == roles.root_dataset
    pool = inv.pool(roles.pool)
    assert pool is not None and pool.state == "ONLINE"
    (mirror,) = pool.vdevs
    assert mirror.name.startswith("mirror") and len(mirror.leaves()) == 2
    assert all(leaf.state == "ONLINE" for leaf in mirror.leaves())
    da, db, dc = (inv.resolve(i)[0] for i in (roles.disk_a, roles.disk_b, roles.disk_c))
    leaf_disks = {
        n.rsplit("/", 1)[-1].rsplit("-part", 1)[0] for n in (v.name for v in mirror.leaves())
    }
    assert len(leaf_disks) == 2
    md1 = inv.array(roles.boot_array)
    assert md1 is not None and not md1.degraded and md1.sync is None
    assert {m.device[:3] for m in md1.members if m.in_sync} == {da.name, db.name}
    r = inv.array(roles.array)
    assert r is None or (r.state == "inactive" and not r.members)
    assert not dc.partitions or all(p.fstype is None for p in dc.partitions)
    assert dc.fstype is None
    # Rule 1 held at every step boundary; nothing unnamed was touched.
    assert world.boundary_copies and min(c for _, c in world.boundary_copies) >= 2
    assert not world.violations
    assert not [e for e in world.events if isinstance(e, StepFailed)]
    done = {e.step_id for e in world.events if isinstance(e, StepFinished | StepSkipped)}
    assert {"1.2-add-c", "4.4-create-pool"} <= done


def test_dry_run_changes_nothing(tmp_path: Path) -> None:
    world, _, state_file = sim_world(tmp_path, options=RunOptions(dry_run=True))
    before = state_file.read_text()
    rec = Recorder()
    ex = executor(world, world.load(), rec)
    assert ex.run().outcome == "finished"
    assert state_file.read_text() == before
    assert len(rec.of(StepSkipped)) >= 20
