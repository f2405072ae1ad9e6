"""Kill anywhere, resume: the toy machine (fast; the same harness drives the sim)."""

from __future__ import annotations

import pickle
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.executor import RunOptions
from backend.host import Host
from tests.engine.fakes import FakeHost, ToyState, toy_state
from tests.engine.harness import KINDS, KillPoint, World, drive, resume_point
from tests.engine.toy_plan import toy_copies, toy_inventory, toy_plan_for


def toy_world() -> World:
    state = toy_state()

    def reboot(host: Host) -> None:
        host.write_file("/booted", "")

    def final(host: Host) -> Any:
        assert isinstance(host, FakeHost)
        return host.state.stable()

    def load() -> Host:
        return FakeHost(state)  # the same state object: what the "process" left behind

    def record(host: Host) -> bytes:
        return pickle.dumps(state)

    def restore(snap: bytes) -> None:
        state.__dict__.update(pickle.loads(snap).__dict__)

    return World(
        load=load,
        inventory=toy_inventory,  # type: ignore[arg-type]
        plan=lambda h: toy_plan_for(h),  # type: ignore[arg-type]
        copies=toy_copies,
        reboot=reboot,
        final=final,
        options=RunOptions(secrets={"passphrase": "hunter2-long"}),
        record=record,
        restore=restore,
    )


BASE = toy_world()
BASELINE = drive(BASE)
assert isinstance(BASELINE, dict) and isinstance(toy_state(), ToyState)


def test_baseline_counts() -> None:
    c = BASE.counts
    assert c.step >= 8 and c.before >= 8 and c.poll >= 5 and c.line > 0
    assert not BASE.violations
    assert all(n >= 2 for _, n in BASE.boundary_copies)


def test_kill_at_every_step_boundary() -> None:
    for k in range(BASE.counts.step):
        i, _ = resume_point(BASE, KillPoint("step", k))
        world = toy_world()
        world.record = None
        assert drive(world, start=BASE.snapshots[i].data) == BASELINE, k
        assert not world.violations


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(KINDS), frac=st.floats(0, 1, exclude_max=True))
def test_kill_anywhere_then_resume_reaches_the_same_state(kind: str, frac: float) -> None:
    n = int(frac * getattr(BASE.counts, kind))
    # From the beginning, and from the snapshot of the step the kill falls in: both must end
    # in the baseline's final state.
    world = toy_world()
    world.record = None
    assert drive(world, KillPoint(kind, n)) == BASELINE
    i, rel = resume_point(BASE, KillPoint(kind, n))
    world2 = toy_world()
    world2.record = None
    assert drive(world2, rel, start=BASE.snapshots[i].data) == BASELINE
    for w in (world, world2):
        assert not w.violations
        low = [(s, c) for s, c in w.boundary_copies if c < 2]
        assert not low, low
