"""Snapshot tests of every screen at 80x24 and 120x40 (fixed clock, fixture data).

Update after an intended change with `pytest tests/tui --snapshot-update`, then look at
the SVGs under tests/tui/__snapshots__/.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.tui.conftest import make_app
from tests.tui.scenes import SCENES, scene

SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", SCENES)
def test_screen(snap_compare: Any, name: str, size: tuple[int, int]) -> None:
    services, run_before = scene(name)
    assert snap_compare(make_app(services), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("look", ["light", "console"])
def test_looks(snap_compare: Any, look: str) -> None:
    services, run_before = scene("recovery")
    assert snap_compare(make_app(services, look), terminal_size=(80, 24), run_before=run_before)
