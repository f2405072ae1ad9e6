"""Engine tests: in-process "kills" are exceptions, not power cuts, so durability is not
under test here, and fsync (tens of ms each on some filesystems) only slows the sim down."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "fsync", lambda fd: None)


@pytest.fixture(scope="session")
def sim_baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, object]:
    """One uninterrupted run of the whole plan on the demo server (phases 0-7), recording
    a snapshot at every step start: (final comparable state, its World)."""
    from tests.engine.harness import drive
    from tests.engine.sim_world import sim_world

    world, _, _ = sim_world(tmp_path_factory.mktemp("baseline"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "fsync", lambda fd: None)
        final = drive(world)
    return final, world
