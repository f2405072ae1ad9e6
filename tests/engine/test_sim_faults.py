"""Each command of the plan made to fail in turn: the plan stops at that step with the
command, its exit code, its output and the live state, and a retry once the fault is gone
carries on exactly as the uninterrupted run did.

Each case starts from the baseline's snapshot of the step that runs the command (what a
run that got that far leaves behind). After the retry the state is compared with the
baseline's at the next step boundary (from where the baseline went on to its final
state); with MD2ZFS_EXHAUSTIVE=1 every retry runs on to the final state instead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from backend.events import StepStarted
from backend.executor_checks import describe_state
from backend.inventory import take_inventory
from backend.sim.host import SimHost
from tests.engine.fakes import Recorder
from tests.engine.harness import KillPoint, World, drive, executor, resume_point
from tests.engine.sim_world import expected_after, sim_world

EXHAUSTIVE = os.environ.get("MD2ZFS_EXHAUSTIVE") == "1"


def test_each_command_failing_stops_the_plan_and_retry_finishes(
    tmp_path: Path, sim_baseline: tuple[Any, World]
) -> None:
    final, base = sim_baseline
    firsts: dict[tuple[str, ...], int] = {}
    for i, argv in enumerate(base.argvs):
        firsts.setdefault(argv, i)  # each distinct command once, at its first run
    assert len(firsts) >= 30
    for argv, i in firsts.items():
        at, _ = resume_point(base, KillPoint("before", i))
        where = tmp_path / f"f{i}"
        world, _, state_file = sim_world(where)
        world.record = None
        state_file.write_bytes(base.snapshots[at].data)
        host = world.load()
        assert isinstance(host, SimHost)
        host.inject_fault(lambda a, argv=argv: a == argv)
        rec = Recorder()
        ex = executor(world, host, rec)
        result = ex.run()
        failed = result.failure
        assert result.outcome == "failed" and failed is not None, (argv, result)
        assert failed.argv == argv and failed.returncode == 1, (argv, failed)
        assert "sim: injected fault" in failed.tail
        assert failed.step_id == base.snapshots[at].step_id
        assert rec.of(StepStarted)[-1].step_id == failed.step_id
        # "the state is as described": the report is the live system's state right now.
        assert failed.state == describe_state(take_inventory(host))
        # Retry (a new run, as after `md2zfs run` again) once the fault is gone.
        if EXHAUSTIVE:
            world.stop_at, expected = None, final
        else:
            world.stop_at, expected = expected_after(base, at, final, where)
        assert drive(world) == expected, argv
        assert not world.violations
