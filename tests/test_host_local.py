"""LocalHost runs argv without a shell, in the C locale, never on the terminal's stdin."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import threading
from pathlib import Path

import pytest

from backend.host import Cancel
from backend.host_local import LocalHost
from backend.inventory import take_inventory

REPO = Path(__file__).resolve().parents[1]


def test_streams_lines_in_order() -> None:
    seen: list[str] = []
    result = LocalHost().run(("seq", "1", "500"), on_line=seen.append)
    assert result.ok
    assert seen == [str(i) for i in range(1, 501)]
    assert result.stdout.splitlines()[-1] == "500"


def test_children_get_c_locale_and_no_terminal() -> None:
    result = LocalHost().run(
        (sys.executable, "-c", "import os,sys; print(os.environ['LC_ALL'], sys.stdin.isatty())")
    )
    assert result.stdout.split() == ["C", "False"]


def test_stdin_text_reaches_the_child() -> None:
    result = LocalHost().run(("cat",), stdin="label: gpt\n")
    assert result.stdout == "label: gpt\n"


def test_arguments_are_not_interpreted_by_a_shell(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    result = LocalHost().run(("echo", f"x; touch {marker}"))
    assert result.stdout == f"x; touch {marker}\n"
    assert not marker.exists()


def test_missing_tool_is_exit_127() -> None:
    result = LocalHost().run(("no-such-tool-md2zfs",))
    assert result.returncode == 127
    assert "cannot run" in result.stderr


def test_failure_keeps_stderr_and_code() -> None:
    result = LocalHost().run(("sh", "-c", "echo oops >&2; exit 3"))
    assert result.returncode == 3 and result.stderr == "oops\n"
    assert result.tail() == ("oops",)


def test_cancel_stops_the_whole_process_group() -> None:
    cancel = Cancel()
    # The child starts a grandchild; both must go when the step is cancelled.
    timer = threading.Timer(0.2, cancel.set)
    timer.start()
    result = LocalHost().run(("sh", "-c", "sleep 30 & sleep 30; wait"), cancel=cancel)
    timer.join()
    assert result.returncode != 0


def test_write_file_is_atomic_with_mode(tmp_path: Path) -> None:
    target = tmp_path / "secrets" / "key"
    LocalHost().write_file(str(target), "s3cret", mode=0o600)
    assert target.read_text() == "s3cret"
    assert (target.stat().st_mode & 0o777) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["key"]


def test_inventory_of_this_machine_does_not_crash() -> None:
    inv = take_inventory(LocalHost())
    assert inv.taken_at > 0
    # Whatever this machine has, every disk found has a name and a size.
    assert all(d.name and d.size_bytes >= 0 for d in inv.disks)


SYSTEM_PY = Path("/usr/bin/python3")


def _world_readable(path: Path) -> bool:
    """True when an unprivileged user can reach path (every parent searchable, it readable)."""
    for parent in path.parents:
        if not parent.stat().st_mode & 0o001:
            return False
    return bool(path.stat().st_mode & 0o004)


UNPRIVILEGED_OK = SYSTEM_PY.exists() and all(
    _world_readable(p)
    for p in (REPO / "backend" / "cli.py", Path(sysconfig.get_paths()["purelib"]))
)


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None or not UNPRIVILEGED_OK,
    reason="needs root, setpriv, /usr/bin/python3, and a checkout and venv that an "
    "unprivileged user can read (not under a 0700 home)",
)
def test_status_as_non_root_works(tmp_path: Path) -> None:
    # The test interpreter may live under /root (mode 0700); the unprivileged user runs the
    # system Python with this checkout and the venv's libraries on its path instead.
    site = sysconfig.get_paths()["purelib"]
    env = dict(os.environ, PYTHONPATH=f"{REPO}:{site}", HOME=str(tmp_path))
    os.chmod(tmp_path, 0o777)
    proc = subprocess.run(
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            str(SYSTEM_PY),
            "-m",
            "backend.cli",
            "status",
            "--json",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert '"disks"' in proc.stdout


def test_capture_then_replay_of_this_machine_round_trips(tmp_path: Path) -> None:
    import dataclasses

    from backend.cmd_capture import capture
    from backend.host_replay import ReplayHost

    host = LocalHost()
    written = capture(host, tmp_path)
    assert "meta.json" in written and "udev.json" in written
    live = take_inventory(host)
    replayed = take_inventory(ReplayHost(tmp_path))

    def same(inv: object) -> object:
        assert isinstance(inv, type(live))
        # Mounts and markers may change between the two reads on a busy machine.
        return dataclasses.replace(inv, taken_at=0.0, warnings=(), mounts=(), markers=())

    assert same(replayed) == same(live)
