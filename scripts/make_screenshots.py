#!/usr/bin/env python3
"""Regenerate the SVG screenshots in screenshots/ from the demo server.

The real wizard runs headless on the simulated server (SimHost, real planner, real
executor) with a fake clock, driven by Textual's Pilot: plan review, the first disk
confirmation, the main screen mid-recovery (the fake clock holds the recovery at ~42%),
a failure (one command made to fail) and the finished migration. Where the demo cannot
reach a state (a backend gap), the matching fixture scene is used instead and the script
says so.

Run: python scripts/make_screenshots.py [--size 120x40] [--out screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from backend.confirm import expected_tail  # noqa: E402
from backend.executor import RunOptions  # noqa: E402
from backend.inventory import take_inventory  # noqa: E402
from backend.sim.clock import FakeClock  # noqa: E402
from backend.sim.demo import demo_state  # noqa: E402
from backend.sim.host import SimHost  # noqa: E402
from tui.app import Md2zfsApp  # noqa: E402
from tui.real import BackendServices  # noqa: E402
from tui.screens.confirm import ConfirmDiskScreen  # noqa: E402
from tui.screens.failure import FailureScreen  # noqa: E402

FIXED_CLOCK = 1_795_759_200.0
TEXT_DIR: Path | None = None  # --text DIR: also plain-text dumps (for reading layouts)


def screen_text(app: Md2zfsApp) -> str:
    """The visible screen as plain text."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False)  # what the top bar shows as "read HH:MM:SS"


class GateClock(FakeClock):
    """A fake clock that stops (blocks the sleeper) once `gate()` holds, until released."""

    def __init__(self) -> None:
        super().__init__()
        self.gate: Callable[[], bool] | None = None
        self.held = threading.Event()
        self.release = threading.Event()

    def sleep(self, seconds: float) -> None:
        """Advance; hold the sleeping thread while the gate is closed."""
        self.advance(seconds)
        if self.gate is not None and self.gate():
            self.held.set()
            self.release.wait(60)
            self.gate = None


async def _until(cond: Callable[[], bool], pilot: object, limit: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while not cond():
        if loop.time() > end:
            raise TimeoutError("the demo did not get there")
        await asyncio.sleep(0.01)
    await pilot.pause()  # type: ignore[attr-defined]


async def _settle(app: Md2zfsApp, pilot: object) -> None:
    """Wait until the runner stopped or asks something."""
    await _until(
        lambda: (
            isinstance(app.screen, ConfirmDiskScreen | FailureScreen)
            or not (app.runner is not None and app.runner.busy)
        ),
        pilot,
    )


async def shoot(out: Path, size: tuple[int, int]) -> list[str]:
    """Drive the demo and save the pictures; returns the names saved from fixtures."""
    tmp = Path(tempfile.mkdtemp())
    clock = GateClock()
    host = SimHost(demo_state(), clock=clock, state_file=tmp / "demo.json")
    services = BackendServices(
        host,
        demo=True,
        roles_file=tmp / "roles.json",
        journal_file=tmp / "journal.jsonl",
        options=RunOptions(allow_reboot=True, poll_s=10.0),
    )
    app = Md2zfsApp(services, clock=lambda: FIXED_CLOCK, auto_poll=False, threaded=False)
    fallbacks: list[str] = []

    def save(name: str) -> None:
        app.save_screenshot(str(out / f"{name}.svg"))
        print(f"  {name}.svg")
        if TEXT_DIR is not None:
            (TEXT_DIR / f"{name}.txt").write_text(screen_text(app))

    async with app.run_test(size=size) as pilot:
        await _until(lambda: app.inventory is not None, pilot)
        await pilot.press("enter")
        await pilot.press("ctrl+s")
        save("plan-review")
        await pilot.press("a")
        # Phase 0, then 1.1 asks for the disk: photograph the card half-typed.
        while app.model.current and not app.model.plan.step(app.model.current).destroys:  # type: ignore[union-attr]
            await pilot.press("enter")
            await _settle(app, pilot)
        await pilot.press("enter")
        await _settle(app, pilot)
        modal = app.screen
        assert isinstance(modal, ConfirmDiskScreen)
        await pilot.press(*expected_tail(modal.disk)[:3])
        save("disk-confirmation")
        await pilot.press(*expected_tail(modal.disk)[3:])
        await pilot.press("enter")
        await _settle(app, pilot)

        # The recovery: hold the fake clock at ~42% and look at the RAID pane.
        def at_42() -> bool:
            arr = take_inventory(host).array("md0")
            return arr is not None and arr.sync is not None and (arr.sync.percent or 0) >= 42

        clock.gate = at_42
        await pilot.press("enter")
        await _until(clock.held.is_set, pilot)
        app.refresh_system()
        await pilot.pause()
        await pilot.press("2")
        save("main-recovery")
        clock.release.set()
        await _settle(app, pilot)
        await pilot.press("1")

        # A failure: the next command fails once.
        host.inject_fault(
            lambda argv: argv[:1] == ("swapoff",),
            returncode=255,
            stderr="swapoff: /dev/sda2: swapoff failed: Device or resource busy",
        )
        await pilot.press("enter")
        await _settle(app, pilot)
        while isinstance(app.screen, ConfirmDiskScreen):
            app.screen.query_one("#typed").value = expected_tail(app.screen.disk)  # type: ignore[attr-defined]
            await pilot.press("enter")
            await _settle(app, pilot)
        if isinstance(app.screen, FailureScreen):
            save("failure")
            await pilot.press("r")
            await _settle(app, pilot)
        else:
            fallbacks.append("failure")

        # Everything else, to the end.
        for _ in range(200):
            if app.model.current is None:
                break
            if isinstance(app.screen, FailureScreen):
                break
            await pilot.press("enter")
            await _settle(app, pilot)
            while isinstance(app.screen, ConfirmDiskScreen):
                app.screen.query_one("#typed").value = expected_tail(app.screen.disk)  # type: ignore[attr-defined]
                await pilot.press("enter")
                await _settle(app, pilot)
        if app.model.current is None:
            await pilot.press("3")
            save("finished")
        else:
            why = app.model.notes.get(app.model.current or "", app.model.headline)
            if isinstance(app.screen, FailureScreen):
                why += " | " + " / ".join(app.screen.failed.tail[-3:])
            print(f"  (the demo stopped at {app.model.current}: {why})")
            fallbacks.append("finished")
    return fallbacks


async def shoot_fixture(name: str, out: Path, size: tuple[int, int]) -> None:
    """A fixture scene (tests/tui/scenes.py) for a state the demo could not reach."""
    from tests.tui.conftest import make_app
    from tests.tui.scenes import scene

    services, run_before = scene(name)
    app = make_app(services)
    async with app.run_test(size=size) as pilot:
        await run_before(pilot)
        await pilot.pause()
        app.save_screenshot(str(out / f"{name}.svg"))
        print(f"  {name}.svg (fixture)")


def main() -> int:
    """Parse options, take the pictures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="120x40", help="terminal size, WxH")
    parser.add_argument("--out", default=str(REPO / "screenshots"))
    parser.add_argument("--text", metavar="DIR", help="also write plain-text dumps into DIR")
    args = parser.parse_args()
    global TEXT_DIR
    TEXT_DIR = Path(args.text) if args.text else None
    w, h = (int(x) for x in args.size.split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"screenshots at {w}x{h} into {out}:")
    fallbacks = asyncio.run(shoot(out, (w, h)))
    for name in fallbacks:
        asyncio.run(shoot_fixture(name, out, (w, h)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
