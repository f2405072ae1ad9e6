"""Pilot drives the wizard over fake services: form, review, steps, confirmations, failure."""

from __future__ import annotations

import asyncio
import functools

from textual.widgets import Button, Input

from tests.tui import fixtures
from tests.tui.conftest import make_app, until
from tests.tui.fakes import FakeServices
from tui.app import Md2zfsApp
from tui.choices import Choices
from tui.screens.choices import ChoicesScreen
from tui.screens.confirm import ConfirmDiskScreen
from tui.screens.failure import FailureScreen
from tui.screens.main import MainScreen
from tui.screens.resume import ResumeScreen
from tui.screens.review import PlanReviewScreen


def _status_in(app: Md2zfsApp, step_id: str, statuses: tuple[str, ...]) -> bool:
    return app.model.statuses.get(step_id) in statuses


def test_form_review_steps_confirm_and_retry() -> None:
    asyncio.run(_test_form_review_steps_confirm_and_retry())


async def _test_form_review_steps_confirm_and_retry() -> None:
    svc = FakeServices(fail_once={"2.1-fail-a"})
    app = make_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        await pilot.press("enter")
        assert isinstance(app.screen, ChoicesScreen)
        # A bad pool name is refused with a message under the field.
        app.screen.query_one("#pool", Input).value = "mirror1"
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, ChoicesScreen)
        assert "reserves" in str(app.screen.query_one("#err-pool").render())
        app.screen.query_one("#pool", Input).value = "tank"
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, PlanReviewScreen)
        await pilot.press("a")
        assert isinstance(app.screen, MainScreen) and app.accepted
        plan = app.model.plan
        assert plan is not None
        steps = [s.id for s in plan.steps()]
        wrong_tried = False
        while app.model.current is not None:
            current = app.model.current
            step = plan.step(current)
            await pilot.press("enter")
            for _ in step.destroys:
                await until(pilot, lambda: isinstance(app.screen, ConfirmDiskScreen), "modal")
                modal = app.screen
                assert isinstance(modal, ConfirmDiskScreen)
                go = modal.query_one("#go", Button)
                typed = modal.query_one("#typed", Input)
                if not wrong_tried:
                    await pilot.press(*"WRONG1")
                    assert go.disabled, "a wrong serial keeps the action disabled"
                    typed.value = ""
                    wrong_tried = True
                serial = modal.disk.serial or ""
                typed.value = serial[-6:]
                await pilot.pause()
                assert not go.disabled
                await pilot.press("enter")
            await until(
                pilot,
                functools.partial(_status_in, app, current, ("done", "failed")),
                f"step {current}",
            )
            if app.model.statuses[current] == "failed":
                await until(pilot, lambda: isinstance(app.screen, FailureScreen), "failure")
                await pilot.press("r")
                await until(pilot, functools.partial(_status_in, app, current, ("done",)), "retry")
        assert all(app.model.statuses[s] == "done" for s in steps)
        assert "finished" in app.model.headline


def test_resume_opens_at_the_right_step() -> None:
    asyncio.run(_test_resume_opens_at_the_right_step())


async def _test_resume_opens_at_the_right_step() -> None:
    done = {
        "0.1-checks": "checked",
        "1.1-partition-c": "sdc has A's layout",
        "1.2-grow-add-c": "sdc3 is in md0",
        "1.3-wait-recovery": "md0 [UUU]",
    }
    svc = FakeServices(
        inv=fixtures.inventory_recovery(100.0),
        resume_choices=Choices(disk_a="sda", disk_b="sdb", disk_c="sdc"),
        done=done,
    )
    app = make_app(svc)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ResumeScreen)
        await pilot.press("enter")
        assert isinstance(app.screen, MainScreen)
        assert app.model.current == "2.1-fail-a"
        assert app.accepted


def test_escape_cancels_confirmation() -> None:
    asyncio.run(_test_escape_cancels_confirmation())


async def _test_escape_cancels_confirmation() -> None:
    svc = FakeServices()
    app = make_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.accepted = True
        app.model.mark("0.1-checks", "done")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDiskScreen), "modal")
        await pilot.press("escape")
        await until(pilot, lambda: not svc.runners[0].busy, "runner stops")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert svc.runners[0].done == set()
