"""`md2zfs run --demo` headless: phases 0-6 with --confirm-disk, and resume after SIGKILL."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backend import hosts
from backend.cli import main
from backend.inventory import take_inventory
from backend.journal import read_journal
from backend.sim.clock import FakeClock
from backend.sim.host import SimHost

REPO = Path(__file__).resolve().parents[2]
# The subprocess runs the real CLI with demo time sped up further (a test, not a demo).
CHILD = (
    "import sys\n"
    "import backend.hosts as h\n"
    "h.DEMO_TIME_SCALE = {scale}\n"
    "from backend.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def demo_ids(state: Path) -> list[str]:
    """--confirm-disk values for every demo disk: serial for one, WWN and by-id for others."""
    inv = take_inventory(SimHost.load(state, clock=FakeClock()))
    ids = []
    for i, d in enumerate(inv.disks):
        pick = [d.serial, d.wwn, d.by_id[0] if d.by_id else None][i % 3]
        ids += ["--confirm-disk", pick or d.serial or ""]
    return ids


def run_cli(argv: list[str], stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out):
            rc = main(argv)
    finally:
        sys.stdin = old_stdin
    return rc, out.getvalue()


def test_headless_demo_runs_phases_0_to_6_resumes_then_phase_7(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hosts, "DEMO_TIME_SCALE", 200000.0)
    state = tmp_path / "demo.json"
    base = ["run", "--demo", "--demo-state", str(state)]
    rc, out = run_cli([*base, *demo_ids(state)])
    assert rc == 0, out
    assert "stopped before reboot: run `systemctl reboot`, then `md2zfs run` again" in out
    assert "==> 1.2-add-c" in out and "FAILED" not in out
    assert "confirmed by --confirm-disk" in out and "DESTRUCTIVE STEP on /dev/sdc" in out
    journal = state.with_name("demo-journal.jsonl")
    assert (os.stat(journal).st_mode & 0o777) == 0o600
    kinds = {r["kind"] for r in read_journal(journal)}
    assert {"run-start", "StepStarted", "confirmation", "run-end"} <= kinds
    # Again: everything is already done, nothing asks, it stops before the reboot again.
    rc, out = run_cli(base)
    assert rc == 0 and "skipped, already done" in out and "DESTRUCTIVE" not in out
    assert "md2zfs run --demo --reboot" in out
    # The reboot, then phase 7 in the next run (DC is confirmed for its wipe).
    rc, out = run_cli([*base, "--reboot"])
    assert rc == 0 and "==> 6.15-reboot" in out and "rebooting" in out, out
    rc, out = run_cli([*base, *demo_ids(state)])
    assert rc == 0 and "==> 7.4-wipe-c-table" in out and "the plan is complete" in out, out


def test_unconfirmed_disk_stops_without_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hosts, "DEMO_TIME_SCALE", 200000.0)
    state = tmp_path / "demo.json"
    rc, out = run_cli(["run", "--demo", "--demo-state", str(state)], stdin="WRONG1\n")
    assert rc == 3, out
    assert "that does not match" in out and "not confirmed" in out
    inv = take_inventory(SimHost.load(state, clock=FakeClock()))
    assert inv.array("md0") is not None and len(inv.array("md0").members) == 2  # type: ignore[union-attr]


def test_preflight_refusal_exits_2_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Roles saved, then DC pulled: the preflight refuses (exit 2, as documented), phase 1
    never starts."""
    monkeypatch.setattr(hosts, "DEMO_TIME_SCALE", 200000.0)
    state = tmp_path / "demo.json"
    base = ["run", "--demo", "--demo-state", str(state)]
    rc, out = run_cli([*base, "--until", "0"])
    assert rc == 0, out
    SimHost.load(state, clock=FakeClock()).remove_disk("sdc")
    rc, out = run_cli([*base, *demo_ids(state)])
    assert rc == 2, out
    assert "FAILED 0.1-preflight" in out and "identity-dc" in out, out
    assert "==> 1." not in out, out
    inv = take_inventory(SimHost.load(state, clock=FakeClock()))
    assert len(inv.array("md0").members) == 2  # type: ignore[union-attr]


def test_dry_run_prints_commands_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hosts, "DEMO_TIME_SCALE", 200000.0)
    state = tmp_path / "demo.json"
    SimHost.load(state, clock=FakeClock())
    before = state.read_text()
    rc, out = run_cli(["run", "--demo", "--demo-state", str(state), "--dry-run"])
    assert rc == 0, out
    assert "  $ mdadm --grow /dev/md0 --raid-devices=3 --add /dev/sdc3" in out
    assert "dry run: nothing was run" in out
    assert _same_disks(before, state.read_text())


def _same_disks(a: str, b: str) -> bool:
    import json

    ja, jb = json.loads(a), json.loads(b)
    return ja["disks"] == jb["disks"] and ja["arrays"] == jb["arrays"]


def test_sigkilled_run_resumes_in_a_new_process(tmp_path: Path) -> None:
    state = tmp_path / "demo.json"
    argv = [
        sys.executable,
        "-c",
        CHILD.format(scale=20000.0),
        "run",
        "--demo",
        "--demo-state",
        str(state),
        *demo_ids(state),
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        argv,
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + 30
    for line in proc.stdout:
        seen.append(line)
        # Kill inside the phase-1 recovery wait: a long step, mid-way.
        if line.startswith("  ~ md0 recovery") or time.monotonic() > deadline:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    first = "".join(seen)
    assert proc.returncode == -signal.SIGKILL, first
    assert seen[-1].startswith("  ~ md0 recovery"), first  # killed inside the long wait
    assert "stopped before reboot" not in first
    done = subprocess.run(
        argv,
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "skipped, already done" in done.stdout
    assert "stopped before reboot" in done.stdout
    assert "FAILED" not in done.stdout


def test_roles_are_kept_beside_the_demo_state_and_reset_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import argparse

    from backend.executor_setup import journal_path, prepare, roles_path

    monkeypatch.setattr(hosts, "DEMO_TIME_SCALE", 200000.0)
    state = tmp_path / "demo.json"
    args = argparse.Namespace(demo=True, demo_state=str(state), demo_reset=False, dry_run=False)
    assert roles_path(args) == tmp_path / "demo-roles.json"
    assert journal_path(args) == tmp_path / "demo-journal.jsonl"
    prepare(args, emit=lambda e: None, confirm=lambda d, k: False)
    saved = roles_path(args).read_text()
    assert (os.stat(roles_path(args)).st_mode & 0o777) == 0o600
    assert "0x500a0751e8a41f07" in saved  # DC, by WWN
    prepare(args, emit=lambda e: None, confirm=lambda d, k: False)
    assert roles_path(args).read_text() == saved
    args.demo_reset = True
    prepare(args, emit=lambda e: None, confirm=lambda d, k: False)  # proposes afresh
    assert roles_path(args).exists()
