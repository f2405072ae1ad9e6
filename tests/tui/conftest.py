"""Shared helpers for the TUI tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.pilot import Pilot

from tests.tui import fixtures
from tests.tui.fakes import FakeServices
from tui.app import Md2zfsApp
from tui.themes import LOOKS


def make_app(services: FakeServices, look: str = "dark") -> Md2zfsApp:
    """The real app on fake services: fixed clock, no timers, polls run inline."""
    return Md2zfsApp(
        services,
        look=LOOKS[look],
        clock=lambda: fixtures.T0,
        auto_poll=False,
        threaded=False,
        shell=lambda: 0,
    )


async def until(pilot: Pilot[int], cond: Callable[[], bool], what: str = "condition") -> None:
    """Let the app process messages until cond() holds (the runner works in a thread)."""
    for _ in range(4000):
        if cond():
            await pilot.pause()
            return
        await asyncio.sleep(0.002)
    raise AssertionError(f"timed out waiting for {what}")
