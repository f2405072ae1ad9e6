"""In-code actions and the terminal printer."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from backend.cmd_run import Printer
from backend.events import OutputLines, Progress, StepFailed
from backend.executor import Executor, RunOptions, RunResult
from backend.model import Disk
from backend.plan.step import Action, Command, Destroys, Phase, Plan, Step
from tests.engine.fakes import FakeHost, Recorder
from tests.engine.toy_plan import toy_copies, toy_inventory, toy_plan_for


def _one(
    *ops: Action | Command, secrets: dict[str, str] | None = None
) -> tuple[Executor, FakeHost, Recorder]:
    host = FakeHost()
    rec = Recorder()
    step = Step("9.1", 1, "t", "t", operations=ops)
    ex = Executor(
        host,
        Plan((Phase(1, "x", (step,)),)),
        emit=rec,
        confirm=lambda d, k: True,
        copies=toy_copies,
        inventory=toy_inventory,  # type: ignore[arg-type]
        options=RunOptions(secrets=secrets or {}),
    )
    return ex, host, rec


def test_key_file_needs_the_secret_and_is_private() -> None:
    ex, host, _ = _one(Action("write-key-file", (("path", "/etc/secrets/k"),)))
    result = ex.run()
    assert result.outcome == "failed" and "no passphrase was given" in result.message
    ex, host, _ = _one(
        Action("write-key-file", (("path", "/etc/secrets/k"),)),
        secrets={"passphrase": "s3cret-pass"},
    )
    assert ex.run().outcome == "finished"
    assert host.state.files["/etc/secrets/k"] == ("s3cret-pass", 0o600)
    assert (("mkdir", "-p", "-m", "700", "/etc/secrets"), None) in host.log


def test_mark_done_appends_each_step_once() -> None:
    ex, host, _ = _one(
        Action("mark-done", (("step", "6.2"),)),
        Action("mark-done", (("step", "6.3"),)),
        Action("mark-done", (("step", "6.2"),)),
    )
    assert ex.run().outcome == "finished"
    assert host.state.files["/run/md2zfs/done"][0] == "6.2\n6.3\n"


def test_unknown_action_fails_the_step() -> None:
    ex, _, rec = _one(Action("teleport"))
    result = ex.run()
    assert result.outcome == "failed" and "does not know the action 'teleport'" in result.message
    assert rec.of(StepFailed)


def test_stdin_is_shown_only_as_the_plan_displays_it() -> None:
    ex, _host, rec = _one(
        Command(("cat-stdin",), stdin="hunter22-secret\n"),
        Command(("cat-stdin",), stdin="a\nb\n", stdin_display="line a\nline b"),
    )
    ex.run()
    text = repr(rec.events)
    assert "hunter22-secret" not in text and "stdin: <1 lines>" in text
    assert "'stdin:', '  line a', '  line b'" in text


def _run_toy(host: FakeHost, confirm: Callable[[Destroys, Disk], bool]) -> RunResult:
    """The toy plan on host with this operator answering the confirmations."""
    ex = Executor(
        host,
        toy_plan_for(host),
        emit=Recorder(),
        confirm=confirm,
        copies=toy_copies,
        inventory=toy_inventory,
    )  # type: ignore[arg-type]
    return ex.run()


def test_disk_swapped_while_the_operator_confirms_is_refused() -> None:
    host = FakeHost()

    def slow_operator(d: Destroys, disk: Disk) -> bool:
        host.state.disks["sdc"]["serial"] = "SWAPPED-0001"  # pulled and replaced meanwhile
        return True

    result = _run_toy(host, slow_operator)
    assert result.outcome == "refused" and "no disk answers" in result.message
    assert not host.log


def test_disk_repartitioned_while_the_operator_confirms_is_refused() -> None:
    host = FakeHost()

    def slow_operator(d: Destroys, disk: Disk) -> bool:
        if disk.name == "sdc":  # someone else partitions DC meanwhile
            host.state.disks["sdc"]["parts"] = {1: {"fstype": None, "mount": None}}
        return True

    result = _run_toy(host, slow_operator)
    assert result.outcome == "refused"
    assert not any("/dev/sdc" in " ".join(argv) for argv in host.log)


def test_a_signature_settling_during_the_confirmation_is_not_a_swap() -> None:
    host = FakeHost()
    seen: list[str] = []

    def operator(d: Destroys, disk: Disk) -> bool:
        seen.append(disk.name)
        if disk.name == "sda":  # udev catches up with a signature on a partition of DA
            host.state.disks["sda"]["parts"][1]["fstype"] = "vfat"
        return True

    result = _run_toy(host, operator)
    assert "sda" in seen
    assert "changed while waiting" not in result.message


@pytest.mark.parametrize("eta,shown", [(None, ""), (3725, " eta 1:02:05")])
def test_printer_throttles_progress(eta: int | None, shown: str) -> None:
    out = io.StringIO()
    p = Printer(out, progress_s=3600)
    p(Progress("1.2", "md0 recovery", 10.0, "190 MiB/s", eta))
    p(Progress("1.2", "md0 recovery", 20.0, "190 MiB/s", eta))  # too soon: not printed
    p(Progress("1.2", "md0 recovery", 100.0, None, None))  # the end always shows
    assert out.getvalue().splitlines() == [
        f"  ~ md0 recovery 10.0% 190 MiB/s{shown}",
        "  ~ md0 recovery 100.0%",
    ]


def test_nixos_import_is_added_once_as_one_line() -> None:
    config = "{ config, ... }:\n{\n  imports =\n    [ ./hardware-configuration.nix\n    ];\n}\n"
    ex, host, rec = _one(
        Action("add-nixos-import", (("path", "/etc/c.nix"), ("import", "./md2zfs.nix"))),
        Action("add-nixos-import", (("path", "/etc/c.nix"), ("import", "./md2zfs.nix"))),
    )
    host.write_file("/etc/c.nix", config)
    assert ex.run().outcome == "finished"
    text = host.state.files["/etc/c.nix"][0]
    assert text.count("./md2zfs.nix") == 1 and text.count("imports") == 1
    said = [ln for e in rec.of(OutputLines) for ln in e.lines]
    assert any("add the line" in ln for ln in said) and any("already imports" in ln for ln in said)
