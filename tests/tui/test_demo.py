"""Pilot drives `--demo` (SimHost + real planner + real executor) from start to finish.

Every destructive step's disk confirmation is answered by typing the serial's tail (the
first one also tries a wrong serial); one command is made to fail once and is retried;
half-way through the app is closed and started again, and must resume at the right step.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import Button, Input

from backend.confirm import expected_tail
from tests.tui.conftest import until
from tests.tui.demo import demo_app, demo_services
from tui.app import Md2zfsApp
from tui.screens.choices import ChoicesScreen
from tui.screens.confirm import ConfirmDiskScreen
from tui.screens.failure import FailureScreen
from tui.screens.main import MainScreen
from tui.screens.resume import ResumeScreen
from tui.screens.review import PlanReviewScreen

FAIL_ARGV = ("mdadm", "--grow")  # phase 2 "shrink R" fails once


def _settled(app: Md2zfsApp, step_id: str) -> bool:
    if isinstance(app.screen, ConfirmDiskScreen | FailureScreen):
        return True
    busy = app.runner is not None and app.runner.busy
    return not busy and app.model.statuses.get(step_id) != "running" and not app.model.running


async def _run_steps(
    app: Md2zfsApp, pilot: object, *, stop_before_phase: int | None, log: dict[str, int]
) -> None:
    """Enter on each current step, answering confirmations and one failure."""
    while app.model.current is not None:
        plan = app.model.plan
        assert plan is not None
        step = plan.step(app.model.current)
        if stop_before_phase is not None and step.phase >= stop_before_phase:
            return
        await pilot.press("enter")  # type: ignore[attr-defined]
        while True:
            await until(pilot, lambda s=step.id: _settled(app, s), f"step {step.id}")  # type: ignore[arg-type, misc]
            screen = app.screen
            if isinstance(screen, ConfirmDiskScreen):
                go = screen.query_one("#go", Button)
                if not log.get("wrong"):
                    await pilot.press(*"XXXXXX")  # type: ignore[attr-defined]
                    assert go.disabled, "a wrong serial must keep the action disabled"
                    screen.query_one("#typed", Input).value = ""
                    log["wrong"] = 1
                screen.query_one("#typed", Input).value = expected_tail(screen.disk)
                await pilot.pause()  # type: ignore[attr-defined]
                assert not go.disabled
                await pilot.press("enter")  # type: ignore[attr-defined]
                log["confirmed"] = log.get("confirmed", 0) + 1
                continue
            if isinstance(screen, FailureScreen):
                log["failed"] = log.get("failed", 0) + 1
                failed = screen.failed
                assert log["failed"] == 1, f"unexpected failure at {failed.step_id}: {failed}"
                assert failed.returncode not in (None, 0)
                await pilot.press("r")  # type: ignore[attr-defined]
                continue
            break
        status = app.model.statuses.get(step.id)
        assert status in ("done", "skipped"), (step.id, status, app.model.headline)


def test_demo_start_to_finish(tmp_path: Path) -> None:
    asyncio.run(_demo(tmp_path))


async def _demo(tmp: Path) -> None:
    services = demo_services(tmp)
    host = services.host
    host.inject_fault(lambda argv: argv[:2] == FAIL_ARGV and "--raid-devices=2" in argv)  # type: ignore[attr-defined]
    log: dict[str, int] = {}
    app = demo_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.inventory is not None, "first inventory")
        await pilot.press("enter")
        assert isinstance(app.screen, ChoicesScreen)
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, PlanReviewScreen), "preflight should pass on the demo"
        await pilot.press("a")
        assert isinstance(app.screen, MainScreen)
        await _run_steps(app, pilot, stop_before_phase=5, log=log)
        assert log.get("failed") == 1, "the injected failure was seen and retried"
        resume_at = app.model.current
    # Start again mid-migration: the live system decides where we are.
    services2 = demo_services(tmp, host)  # type: ignore[arg-type]
    app2 = demo_app(services2)
    async with app2.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app2.inventory is not None, "first inventory")
        assert isinstance(app2.screen, ResumeScreen)
        assert app2.model.current == resume_at
        await pilot.press("enter")
        await _run_steps(app2, pilot, stop_before_phase=None, log=log)
        assert app2.model.current is None
        assert "finished" in app2.model.headline.lower()
    assert log["confirmed"] >= 5
