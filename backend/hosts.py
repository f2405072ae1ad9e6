"""Choosing the Host at start-up: this machine, the demo server, or a replayed capture."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from backend.host import Host

# The demo runs this many simulated seconds per real second: a 1 TB recovery takes seconds.
DEMO_TIME_SCALE = 1000.0


class HostChoiceError(Exception):
    """The options name an impossible machine (e.g. --demo together with --replay)."""


def default_demo_state() -> Path:
    """Per-user file that holds the demo server between runs."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "md2zfs" / "demo.json"


def default_journal_dir(args: argparse.Namespace) -> Path:
    """Where the audit journal goes: /var/lib/md2zfs on a real machine, beside the demo state."""
    if getattr(args, "demo", False):
        state = getattr(args, "demo_state", None)
        return (Path(state) if state else default_demo_state()).parent
    return Path("/var/lib/md2zfs")


def open_host(args: argparse.Namespace) -> Host:
    """The Host the command-line options ask for."""
    demo = bool(getattr(args, "demo", False))
    replay = getattr(args, "replay", None)
    if demo and replay:
        raise HostChoiceError("--demo and --replay name different machines; choose one")
    if replay:
        from backend.host_replay import ReplayHost

        try:
            return ReplayHost(replay)
        except FileNotFoundError as exc:
            raise HostChoiceError(str(exc)) from exc
    if demo or getattr(args, "demo_state", None) or getattr(args, "demo_reset", False):
        return open_demo_host(
            getattr(args, "demo_state", None), reset=bool(getattr(args, "demo_reset", False))
        )
    from backend.host_local import LocalHost

    return LocalHost()


def open_demo_host(state_file: str | Path | None, *, reset: bool = False) -> Host:
    """The simulated demo server, persisted in state_file so a killed run resumes."""
    from backend.sim.host import RealClock, SimHost

    path = Path(state_file) if state_file else default_demo_state()
    path.parent.mkdir(parents=True, exist_ok=True)
    if reset and path.exists():
        path.unlink()
    return SimHost.load(path, clock=RealClock(DEMO_TIME_SCALE))


def open_host_or_say(args: argparse.Namespace) -> Host | None:
    """open_host, or None after saying why on stderr (the command then exits 2)."""
    import sys

    try:
        return open_host(args)
    except HostChoiceError as exc:
        print(f"md2zfs: {exc}", file=sys.stderr)
        return None
