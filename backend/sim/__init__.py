"""The simulated server: a NixOS box with md RAID1 root, a blank disk, and ZFS once enabled.

It answers the migration's commands with the real tools' text (so the real parsers read it),
changes its state as the tools would, and runs long operations on an injectable clock.

Public entry points: `SimHost` (backend.sim.host), `demo_state` (backend.sim.demo),
`SimState` (backend.sim.state), `FakeClock` / `RealClock` / `SimClock` (backend.sim.clock).
"""

from backend.sim.clock import FakeClock, RealClock, SimClock
from backend.sim.demo import demo_state
from backend.sim.host import DEFAULT_TIME_SCALE, SimHost
from backend.sim.state import SimState

__all__ = [
    "DEFAULT_TIME_SCALE",
    "FakeClock",
    "RealClock",
    "SimClock",
    "SimHost",
    "SimState",
    "demo_state",
]
