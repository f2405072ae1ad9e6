"""Named scenes of the wizard on fixture data: used by the snapshot tests.

Each scene is (services, run_before): the app is started on the services, then
run_before drives it (keys or pushed screens) into the state to photograph.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual.pilot import Pilot

from backend.events import OutputLines, Progress, StepFailed
from tests.tui import fixtures
from tests.tui.fakes import FakeServices
from tui.app import Md2zfsApp
from tui.choices import Choices
from tui.screens.confirm import ConfirmDiskScreen
from tui.screens.failure import FailureScreen

RunBefore = Callable[[Pilot[int]], Awaitable[None]]
CHOICES = Choices(disk_a="sda", disk_b="sdb", disk_c="sdc")
RECOVERY_DONE = {
    "0.1-checks": "checks passed",
    "1.1-partition-c": "sdc has A's layout",
    "1.2-grow-add-c": "sdc3 is a member of md0",
}


def _app(pilot: Pilot[int]) -> Md2zfsApp:
    app = pilot.app
    assert isinstance(app, Md2zfsApp)
    return app


async def _start(pilot: Pilot[int]) -> None:
    await pilot.pause()


async def _recovery(pilot: Pilot[int]) -> None:
    """Mid-recovery: the wait step runs, log has output, progress shown."""
    app = _app(pilot)
    await pilot.pause()
    await pilot.press("enter")  # close the resume summary
    app.model.mark("1.3-wait-recovery", "running")
    app.model.running = True
    app.bridge.emit(
        OutputLines(
            "1.3-wait-recovery",
            tuple(f"md0: recovery {p}.0% (sdc3) 148000K/sec" for p in range(30, 43)),
        )
    )
    app.bridge.emit(Progress("1.3-wait-recovery", "md0 recovery", 42.5, "144 MiB/s", 2051))
    await pilot.pause()
    await pilot.press("2")


async def _confirm(pilot: Pilot[int]) -> None:
    app = _app(pilot)
    await pilot.pause()
    await pilot.press("enter")
    assert app.model.plan is not None
    step = app.model.plan.step("1.1-partition-c")
    app.push_screen(ConfirmDiskScreen(app.inventory, step, step.destroys[0], fixtures.SDC))
    await pilot.pause()
    await pilot.press(*"WRONG")


async def _review(pilot: Pilot[int]) -> None:
    app = _app(pilot)
    await pilot.pause()
    app.flow.review(read_only=False)
    await pilot.pause()


async def _choices(pilot: Pilot[int]) -> None:
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    pilot.app.screen.query_one("#pool").value = "mirror"  # type: ignore[attr-defined]
    await pilot.press("ctrl+s")
    await pilot.pause()


async def _failure(pilot: Pilot[int]) -> None:
    app = _app(pilot)
    await pilot.pause()
    await pilot.press("enter")
    app.model.mark("2.1-fail-a", "failed", "command failed")
    failed = StepFailed(
        "2.1-fail-a",
        ("mdadm", "/dev/md0", "--fail", "/dev/sda3", "--remove", "/dev/sda3"),
        1,
        (
            "mdadm: set /dev/sda3 faulty in /dev/md0",
            "mdadm: hot remove failed for /dev/sda3: Device or resource busy",
        ),
        "command failed with exit code 1",
        "md0 [UUU] clean (sda3, sdb3, sdc3); no pools",
    )
    app.push_screen(FailureScreen(failed, app.flow.state_summary()))
    await pilot.pause()


async def _finished(pilot: Pilot[int]) -> None:
    await pilot.pause()
    await pilot.press("enter")
    await pilot.press("3")


def scene(name: str) -> tuple[FakeServices, RunBefore]:
    """Services and driver for one named scene."""
    if name == "start":
        return FakeServices(), _start
    if name == "choices":
        return FakeServices(), _choices
    if name == "review":
        return FakeServices(), _review
    if name == "recovery":
        return FakeServices(
            inv=fixtures.inventory_recovery(), resume_choices=CHOICES, done=RECOVERY_DONE
        ), _recovery
    if name == "confirm":
        return FakeServices(resume_choices=CHOICES, done={"0.1-checks": "ok"}), _confirm
    if name == "failure":
        done = {**RECOVERY_DONE, "1.3-wait-recovery": "md0 [UUU]"}
        return FakeServices(
            inv=fixtures.inventory_recovery(100.0), resume_choices=CHOICES, done=done
        ), _failure
    if name == "resilver":
        done = {s.id: "done" for s in fixtures.demo_plan().steps() if s.phase < 6}
        done |= {"6.1-final-rsync": "done", "6.2-attach-b": "done"}
        return FakeServices(
            inv=fixtures.inventory_resilver(), resume_choices=CHOICES, done=done
        ), _start
    if name == "finished":
        done = {s.id: "done" for s in fixtures.demo_plan().steps()}
        return FakeServices(
            inv=fixtures.inventory_finished(), resume_choices=CHOICES, done=done
        ), _finished
    if name == "odd-disks":
        return FakeServices(inv=fixtures.inventory_odd_disks()), _start
    raise KeyError(name)


SCENES = (
    "start",
    "choices",
    "review",
    "recovery",
    "confirm",
    "failure",
    "resilver",
    "finished",
    "odd-disks",
)
