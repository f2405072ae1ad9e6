"""Prints how long the inventory of a 200-disk server takes (not a timed test).

Three figures, each the best of several runs, measured in-process after the interpreter has
started (what `status` costs beyond Python's own start-up):
  - the simulated 200-disk server (render lsblk/mdstat text, then parse it back),
  - a capture of that server replayed from a directory,
and whether `md2zfs status --replay` imported textual.
"""

from __future__ import annotations

import copy
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from backend.cmd_capture import capture  # noqa: E402
from backend.host_replay import ReplayHost  # noqa: E402
from backend.inventory import take_inventory  # noqa: E402
from backend.sim.clock import FakeClock  # noqa: E402
from backend.sim.demo import demo_state  # noqa: E402
from backend.sim.host import SimHost  # noqa: E402
from backend.sim.state import SimState  # noqa: E402

DISKS = 200
RUNS = 5


def big_server() -> SimState:
    """The demo server plus blank disks up to DISKS, each with a distinct identity."""
    state = demo_state()
    blank = state.disks[2]
    for i in range(len(state.disks), DISKS):
        disk = copy.deepcopy(blank)
        disk.name = "sd" + _letters(i)
        disk.serial = f"BENCH{i:06d}"
        disk.wwn = f"0x5000c500{i:08x}"
        disk.minor = (i * 16) % 256
        disk.hctl = f"{i}:0:0:0"
        disk.pci_path = f"pci-0000:03:00.0-sas-phy{i}-lun-0"
        state.disks.append(disk)
    return state


def _letters(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(ord("a") + r) + out
    return out


def best_of(fn: object) -> float:
    assert callable(fn)
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    host = SimHost(big_server(), clock=FakeClock())
    inv = take_inventory(host)
    assert len(inv.disks) == DISKS, len(inv.disks)
    sim_s = best_of(lambda: take_inventory(host))
    with tempfile.TemporaryDirectory() as tmp:
        capture(host, Path(tmp))
        replay = ReplayHost(tmp)
        replay_s = best_of(lambda: take_inventory(replay))
        probe = (
            # CPU time, not wall time: on a busy 2-core machine wall time measures the
            # neighbours; the work the command itself does is its CPU time.
            "import sys, time; t=time.process_time(); from backend.cli import main;"
            f" main(['status', '--replay', {tmp!r}]);"
            " sys.stderr.write(f'{time.process_time()-t:.3f} textual=' +"
            " str('textual' in sys.modules))"
        )
        proc = subprocess.run(
            [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
        )
        cli_s, textual = proc.stderr.strip().rsplit(" ", 1)
    print(f"inventory of a {DISKS}-disk simulated server:   {sim_s * 1000:7.1f} ms")
    print(f"inventory of its capture, replayed:        {replay_s * 1000:7.1f} ms")
    print(
        f"`status --replay` imports + inventory + report: {float(cli_s) * 1000:7.1f} ms "
        f"CPU (beyond interpreter start); {textual}"
    )
    ok = sim_s < 0.3 and replay_s < 0.3 and float(cli_s) < 0.3 and textual.endswith("False")
    print("target < 300 ms, no textual:", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
