"""Smoke test in a real terminal: `md2zfs --demo` inside tmux, driven with send-keys.

Uses a private tmux server (its own socket) and kills only that server afterwards.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    """One private tmux server with one session."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def cmd(self, *args: str) -> str:
        """Run a tmux command on our server."""
        out = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        )
        return out.stdout

    def screen(self) -> str:
        """The visible pane."""
        return self.cmd("capture-pane", "-p", "-t", "smoke")

    def keys(self, *keys: str) -> None:
        """send-keys."""
        self.cmd("send-keys", "-t", "smoke", *keys)

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        """Poll the pane until text shows (a real terminal: polling is the only way)."""
        end = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < end:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; screen was:\n{screen}")


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    t = Tmux(f"md2zfs-smoke-{os.getpid()}")
    state = tmp_path / "demo.json"
    cmd = (
        f"cd {shlex.quote(str(REPO))} && PYTHONPATH={shlex.quote(str(REPO))} "
        f"{shlex.quote(sys.executable)} -m tui.entry --demo --demo-reset "
        f"--demo-state {shlex.quote(str(state))}; echo EXITED:$?; sleep 30"
    )
    env_term = "xterm-256color"
    t.cmd(
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-s",
        "smoke",
        "-x",
        "120",
        "-y",
        "40",
        "-e",
        f"TERM={env_term}",
        "-e",
        f"HOME={tmp_path}",
        cmd,
    )
    try:
        yield t
    finally:
        subprocess.run(["tmux", "-L", t.socket, "kill-server"], capture_output=True, check=False)


def test_demo_in_tmux(tmux: Tmux) -> None:
    screen = tmux.wait_for("Disks")
    assert "md2zfs" in screen and "demo" in screen.lower()
    tmux.wait_for("Press Enter")
    tmux.keys("Enter")
    tmux.wait_for("Roles and pool")
    tmux.keys("C-s")
    screen = tmux.wait_for("Plan review")
    assert "Phase 1" in screen
    tmux.keys("a")
    tmux.wait_for("Plan accepted")
    tmux.keys("2")
    screen = tmux.wait_for("RAID")
    assert "md0" in screen
    tmux.keys("q")
    tmux.wait_for("EXITED:0")
