"""Kill at every step boundary and inside long steps on the demo server, then resume.

The baseline run (conftest `sim_baseline`) saves the sim's state at every step start. A
kill at boundary k is a new process finding that state; a kill inside a step (before or
after a command, at an output line of a long command, between polls of a long wait)
starts from that step's snapshot and raises KilledError at the position. A fresh
executor then resumes, with copies >= 2 at every boundary and no unnamed disk touched.

Where it is compared: at the next step boundary against the baseline's snapshot there
(the sim is deterministic and the baseline goes on from that state to its final state),
which keeps each case short; a few cases, and every case with MD2ZFS_EXHAUSTIVE=1, run
on to the final state and compare that.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine.harness import KINDS, KillPoint, World, drive, resume_point
from tests.engine.sim_world import expected_after, sim_world

EXHAUSTIVE = os.environ.get("MD2ZFS_EXHAUSTIVE") == "1"
Baseline = tuple[Any, World]


def _check(tmp: Path, base: Baseline, kill: KillPoint, *, to_the_end: bool = False) -> None:
    final, world0 = base
    i, rel = resume_point(world0, kill)
    where = tmp / f"{kill.kind}-{kill.n}"
    world, _, _ = sim_world(where)
    world.record = None
    if to_the_end:
        stop_at, expected = None, final
    else:
        stop_at, expected = expected_after(world0, i, final, where)
    world.stop_at = stop_at
    assert drive(world, rel, start=world0.snapshots[i].data) == expected, (kill, stop_at)
    assert rel is None or world.killed, kill
    assert not world.violations, world.violations
    low = [(s, c) for s, c in world.boundary_copies if c < 2]
    assert not low, (kill, low)


def test_baseline_is_clean(sim_baseline: Baseline) -> None:
    _, base = sim_baseline
    assert base.counts.step >= 20 and base.counts.poll > 0 and base.counts.line > 0
    assert [s.step_id for s in base.snapshots][:2] == ["1.1-partition-c", "1.2-add-c"]
    assert len(base.snapshots) == base.counts.step
    assert not base.violations
    assert min(c for _, c in base.boundary_copies) >= 2


def test_kill_at_every_step_boundary(tmp_path: Path, sim_baseline: Baseline) -> None:
    for n in range(sim_baseline[1].counts.step):
        _check(tmp_path, sim_baseline, KillPoint("step", n), to_the_end=EXHAUSTIVE)


def _first(base: World, kind: str, step_id: str) -> int:
    """The first position of a kind inside a step (e.g. the first poll of a wait)."""
    for i, snap in enumerate(base.snapshots):
        if snap.step_id == step_id:
            nxt = base.snapshots[i + 1].counts if i + 1 < len(base.snapshots) else base.counts
            lo, hi = getattr(snap.counts, kind), getattr(nxt, kind)
            assert hi > lo, (kind, step_id)
            return (lo + hi) // 2
    raise AssertionError(step_id)


@pytest.mark.parametrize(
    ("kind", "step_id"),
    [("poll", "1.2-add-c"), ("line", "4.6-first-copy"), ("poll", "6.11-attach-b")],
)
def test_kill_mid_long_step_then_finish(
    tmp_path: Path, sim_baseline: Baseline, kind: str, step_id: str
) -> None:
    n = _first(sim_baseline[1], kind, step_id)
    _check(tmp_path, sim_baseline, KillPoint(kind, n), to_the_end=True)


@pytest.mark.skipif(not EXHAUSTIVE, reason="MD2ZFS_EXHAUSTIVE=1 tries every position")
def test_kill_at_every_command(tmp_path: Path, sim_baseline: Baseline) -> None:
    for kind in ("before", "after", "poll"):
        for n in range(getattr(sim_baseline[1].counts, kind)):
            _check(tmp_path, sim_baseline, KillPoint(kind, n), to_the_end=True)


@settings(
    max_examples=int(os.environ.get("MD2ZFS_KILL_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(kind=st.sampled_from(KINDS), frac=st.floats(0, 1, exclude_max=True))
def test_kill_anywhere_then_resume(
    tmp_path: Path, sim_baseline: Baseline, kind: str, frac: float
) -> None:
    total = getattr(sim_baseline[1].counts, kind)
    if total:
        _check(tmp_path, sim_baseline, KillPoint(kind, int(frac * total)))
