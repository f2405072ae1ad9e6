"""The demo server for TUI tests: a SimHost on a fake clock with real backend services."""

from __future__ import annotations

from pathlib import Path

from backend.executor import RunOptions
from backend.sim.clock import FakeClock
from backend.sim.demo import demo_state
from backend.sim.host import SimHost
from tests.tui import fixtures
from tui.app import Md2zfsApp
from tui.real import BackendServices


def demo_services(tmp: Path, host: SimHost | None = None) -> BackendServices:
    """Real services on a fresh (or the given) demo server whose clock moves only on waits."""
    if host is None:
        host = SimHost(demo_state(), clock=FakeClock(), state_file=tmp / "demo.json")
    return BackendServices(
        host,
        demo=True,
        roles_file=tmp / "roles.json",
        journal_file=tmp / "journal.jsonl",
        # Waits poll every 30 simulated seconds: the fake clock jumps, nothing sleeps.
        options=RunOptions(allow_reboot=True, poll_s=30.0),
    )


def demo_app(services: BackendServices) -> Md2zfsApp:
    """The wizard on the demo: inline polls, no timers, fixed display clock, no shell."""
    return Md2zfsApp(
        services,
        clock=lambda: fixtures.T0,
        auto_poll=False,
        threaded=False,
        shell=lambda: 0,
    )
