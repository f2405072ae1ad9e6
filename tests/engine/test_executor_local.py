"""The executor on the real local host: streaming output and cancellation of a process group."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import psutil

from backend.events import CommandStarted, OutputLines
from backend.executor import Executor, RunOptions
from backend.host_local import LocalHost
from backend.model import Disk, Inventory
from backend.plan.step import Command, Phase, Plan, Step
from tests.engine.fakes import Recorder

# A child that starts a grandchild in its own process group, prints their pids, then waits.
SPAWN = (
    "import subprocess, sys, time\n"
    "g = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
    "print('pids', __import__('os').getpid(), g.pid, flush=True)\n"
    "time.sleep(60)\n"
)


def _executor(step: Step, rec: Recorder) -> Executor:
    return Executor(
        LocalHost(read_only=False),
        Plan((Phase(1, "x", (step,)),)),
        emit=rec,
        confirm=lambda d, disk: False,
        copies=lambda inv: 2,
        inventory=lambda host: Inventory(disks=(Disk("sda", "/dev/sda", 2**30),)),
        options=RunOptions(batch_s=0.01),
    )


def test_cancel_kills_the_whole_process_group(tmp_path: Path) -> None:
    step = Step("9.1", 1, "spawn", "test", operations=(Command((sys.executable, "-c", SPAWN)),))
    rec = Recorder()
    ex = _executor(step, rec)
    box: list[object] = []
    t = threading.Thread(target=lambda: box.append(ex.run()))
    t.start()
    deadline = time.monotonic() + 10
    pids: list[int] = []
    while not pids and time.monotonic() < deadline:
        for e in rec.of(OutputLines):
            for ln in e.lines:
                if ln.startswith("pids "):
                    pids = [int(x) for x in ln.split()[1:]]
        time.sleep(0.01)
    assert pids, rec.events
    ex.cancel()
    t.join(10)
    assert not t.is_alive()
    assert box[0].outcome == "cancelled"  # type: ignore[attr-defined]
    time.sleep(0.1)
    for pid in pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_output_of_a_real_command_streams_in_order() -> None:
    code = "import sys\nfor i in range(3000): print(i)\nprint('err', file=sys.stderr)"
    step = Step("9.1", 1, "print", "test", operations=(Command((sys.executable, "-c", code)),))
    rec = Recorder()
    assert _executor(step, rec).run().outcome == "finished"
    lines = [ln for e in rec.of(OutputLines) for ln in e.lines]
    assert [ln for ln in lines if ln != "err"] == [str(i) for i in range(3000)]
    assert "err" in lines and rec.of(CommandStarted)[0].argv[0] == sys.executable
