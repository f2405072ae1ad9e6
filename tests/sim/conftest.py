"""Fixtures for the simulated server: a fresh demo host on a FakeClock."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.sim.clock import FakeClock
from backend.sim.demo import DEMO_START, demo_state
from backend.sim.host import SimHost


@pytest.fixture
def host() -> SimHost:
    """The demo server, time frozen at DEMO_START (advance it with host.sim_clock)."""
    return SimHost(demo_state(), clock=FakeClock(DEMO_START))


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    """Where a persisted demo lives."""
    return tmp_path / "demo-state.json"
