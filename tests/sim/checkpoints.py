"""Named moments of the migration on the demo server, for round-trip tests."""

from __future__ import annotations

from collections.abc import Callable

from backend.sim.clock import FakeClock
from backend.sim.demo import DEMO_START, demo_state
from backend.sim.host import SimHost
from tests.sim import walk


def _recovering(h: SimHost) -> None:
    walk.phase1(h)
    walk.clock(h).advance(1234)


def _faulty(h: SimHost) -> None:
    walk.phase1(h)
    walk.wait_md(h)
    walk.run(h, "swapoff", "/dev/sda2")
    walk.run(h, "mdadm", "/dev/md0", "--fail", "/dev/sda3")


def _pool(h: SimHost) -> None:
    walk.through(h, 4)


def _resilvering(h: SimHost) -> None:
    _pool(h)
    walk.phase5(h)
    walk.phase6(h)
    walk.clock(h).advance(200)


def _rebooted(h: SimHost) -> None:
    _resilvering(h)
    walk.wait_resilver(h)
    walk.run(h, "systemctl", "reboot")


def _final(h: SimHost) -> None:
    _rebooted(h)
    walk.phase7(h)


CHECKPOINTS: dict[str, Callable[[SimHost], None]] = {
    "demo": lambda h: None,
    "recovering": _recovering,
    "faulty": _faulty,
    "pool": _pool,
    "resilvering": _resilvering,
    "rebooted": _rebooted,
    "final": _final,
}


def at(name: str) -> SimHost:
    """A fresh demo host driven to the named checkpoint."""
    host = SimHost(demo_state(), clock=FakeClock(DEMO_START))
    CHECKPOINTS[name](host)
    return host
