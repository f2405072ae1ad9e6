"""The executor's mechanics on the toy host: resume, refusals, failures, secrets, output."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

from backend.events import (
    CommandStarted,
    OutputLines,
    PlanStopped,
    Progress,
    StepFailed,
    StepFinished,
    StepSkipped,
    StepStarted,
)
from backend.executor import Executor, RunOptions
from backend.journal import Journal, read_journal
from backend.model import Disk, Inventory
from backend.plan.step import Command, Destroys, Phase, Plan, Step
from tests.engine.fakes import FakeHost, Recorder
from tests.engine.toy_plan import toy_copies, toy_inventory, toy_plan_for

PASS = "correct horse battery staple"


def make(
    host: FakeHost | None = None,
    *,
    confirm: bool = True,
    journal: Path | None = None,
    plan: Plan | None = None,
    **opts: object,
) -> tuple[Executor, FakeHost, Recorder, list[tuple[Destroys, Disk]]]:
    host = host or FakeHost()
    rec = Recorder()
    asked: list[tuple[Destroys, Disk]] = []

    def ask(d: Destroys, disk: Disk) -> bool:
        asked.append((d, disk))
        return confirm

    options = RunOptions(secrets={"passphrase": PASS}, **opts)  # type: ignore[arg-type]
    ex = Executor(
        host,
        plan or toy_plan_for(host),
        emit=rec,
        confirm=ask,
        copies=toy_copies,
        inventory=toy_inventory,  # type: ignore[arg-type]
        journal=Journal(journal) if journal else None,
        options=options,
    )
    return ex, host, rec, asked


def test_full_run_stops_before_reboot_then_resumes_to_the_end(tmp_path: Path) -> None:
    ex, host, rec, asked = make(journal=tmp_path / "j" / "journal.jsonl")
    result = ex.run()
    assert result.outcome == "reboot" and result.next_step_id == "6.9-reboot"
    assert "systemctl reboot" in result.message
    finished = [e.step_id for e in rec.of(StepFinished)]
    assert finished == ["1.1-table", "1.2-add", "2.1-fail", "2.2-shrink", "2.3-wipe", "3.1-key"]
    assert all(e.copies >= 2 for e in rec.of(StepFinished))
    assert [a[1].name for a in asked] == ["sdc", "sda"]
    # DC got DA's layout without ids; md0 ends on sdb3 + sdc3, A wiped.
    assert host.state.md0 == {"sdb3": "sync", "sdc3": "sync"}
    assert host.state.disks["sda"]["parts"][3]["fstype"] is None
    sfdisk_stdin = next(s for a, s in host.log if a == ("sfdisk", "/dev/sdc"))
    assert sfdisk_stdin is not None and "uuid=" not in sfdisk_stdin
    assert "label-id" not in sfdisk_stdin
    # The recovery wait reported coalesced, increasing progress.
    pcts = [p.percent for p in rec.of(Progress) if p.label == "md0 recovery"]
    assert pcts == sorted(pcts) and len(pcts) == len(set(pcts)) >= 5
    # Journal and its directory are private.
    jpath = tmp_path / "j" / "journal.jsonl"
    assert stat.S_IMODE(os.stat(jpath).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(jpath.parent).st_mode) == 0o700
    kinds = [r["kind"] for r in read_journal(jpath)]
    assert kinds[0] == "run-start" and kinds[-1] == "run-end"
    assert kinds.count("confirmation") == 2

    # Second process: everything done is skipped from the live system, nothing rerun.
    n_cmds = len(host.log)
    ex2, _, rec2, asked2 = make(host, journal=tmp_path / "j" / "journal.jsonl")
    assert ex2.run().outcome == "reboot"
    assert len(rec2.of(StepSkipped)) == 6 and not asked2
    assert all("already done (live system shows" in e.reason for e in rec2.of(StepSkipped))
    assert len(host.log) == n_cmds

    # "Reboot", then phase 7 runs and the plan completes.
    host.write_file("/booted", "")
    ex3, _, rec3, _ = make(host)
    result = ex3.run()
    assert result.outcome == "finished" and result.ok
    assert [e.step_id for e in rec3.of(StepFinished)] == ["7.1-echo", "7.2-mark"]
    assert isinstance(rec3.events[-1], PlanStopped)


def test_until_phase_stops_after_it() -> None:
    ex, host, _rec, _ = make()
    result = ex.run(until_phase=1)
    assert result.outcome == "until" and result.next_step_id == "2.1-fail"
    assert host.state.md0 == {"sda3": "sync", "sdb3": "sync", "sdc3": "sync"}


def test_secrets_never_in_argv_events_or_journal(tmp_path: Path) -> None:
    jpath = tmp_path / "journal.jsonl"
    ex, host, rec, _ = make(journal=jpath)
    ex.run()
    # The passphrase reached the command on stdin and the key file, 0600.
    assert (("cat-stdin",), PASS + "\n") in host.log
    assert host.state.files["/etc/secrets/key"] == (PASS, 0o600)
    assert all(PASS not in " ".join(a) for a, _ in host.log)
    assert PASS not in repr(rec.events)
    assert PASS not in jpath.read_text()


def test_secret_echoed_by_a_command_is_redacted(tmp_path: Path) -> None:
    step = Step("9.1", 1, "echo", "test", operations=(Command(("echo", "pw", PASS)),))
    ex, _, rec, _ = make(plan=Plan((Phase(1, "x", (step,)),)), journal=tmp_path / "j.jsonl")
    ex.run()
    lines = [ln for e in rec.of(OutputLines) for ln in e.lines]
    assert "pw <secret>" in lines
    cmd = rec.of(CommandStarted)[0]
    assert cmd.argv == ("echo", "pw", "<secret>")
    assert PASS not in (tmp_path / "j.jsonl").read_text()


def test_swapped_disk_is_refused_before_anything_runs() -> None:
    host = FakeHost()
    host.state.disks["sdc"]["serial"] = "OTHER-DISK-999"  # someone swapped DC
    ex, _, rec, asked = make(host)
    result = ex.run()
    assert result.outcome == "refused" and result.next_step_id == "1.1-table"
    assert "no disk answers to serial:S3Z-CCCC333333" in result.message
    assert not host.log and not asked
    failed = rec.of(StepFailed)[0]
    assert failed.argv is None and "md0 [UU]" in failed.state


def test_changed_size_and_mounted_target_are_refused() -> None:
    host = FakeHost()
    ex, _, _, _ = make(host)
    ref = toy_inventory(host)
    host.state.disks["sdc"]["size"] = 50 * 2**30
    ex.reference = ref
    assert "is it the same disk?" in ex.run().message
    host2 = FakeHost()
    host2.state.disks["sdc"]["parts"] = {1: {"fstype": "ext4", "mount": "/srv"}}
    ex2, _, _, _ = make(host2)
    result = ex2.run()
    assert result.outcome == "refused" and "/dev/sdc1 is mounted at /srv" in result.message
    assert not host2.log


def test_active_member_not_named_by_the_step_is_refused() -> None:
    host = FakeHost()
    ex, _, _, _ = make(host)
    ex.run(until_phase=1)
    # Wiping A while it is still in md0: wipefs does not name md0, so refuse.
    result = ex.run_step("2.3-wipe")
    assert result.outcome == "refused" and "/dev/sda3 is in use by md0" in result.message
    assert ("wipefs", "-a", "/dev/sda3") not in [a for a, _ in host.log]


def test_declined_confirmation_changes_nothing(tmp_path: Path) -> None:
    jpath = tmp_path / "journal.jsonl"
    ex, host, _rec, asked = make(confirm=False, journal=jpath)
    result = ex.run()
    assert result.outcome == "declined" and not result.ok
    assert not host.log and len(asked) == 1
    assert asked[0][1].serial == "S3Z-CCCC333333"
    conf = [r for r in read_journal(jpath) if r["kind"] == "confirmation"]
    assert conf[0]["confirmed"] is False and conf[0]["serial"] == "S3Z-CCCC333333"


def test_copies_rule_refuses_and_override_is_logged(tmp_path: Path) -> None:
    host = FakeHost()
    ex, _, _, _ = make(host)
    ex.run_step("1.1-table")
    # Failing A with only two in-sync copies would leave one.
    result = ex.run_step("2.1-fail")
    assert result.outcome == "refused" and "would leave 1 complete copies" in result.message
    assert not any(a[:2] == ("mdadm", "/dev/md0") for a, _ in host.log)
    jpath = tmp_path / "journal.jsonl"
    ex2, _, rec, _ = make(host, journal=jpath, allow_fewer_copies=True)
    assert ex2.run_step("2.1-fail").outcome == "until"
    assert any("OVERRIDE" in ln for e in rec.of(OutputLines) for ln in e.lines)
    assert [r for r in read_journal(jpath) if r["kind"] == "override"]


def test_failed_command_reports_and_retry_finishes() -> None:
    host = FakeHost()
    argv = ("mdadm", "--grow", "/dev/md0", "--raid-devices=2")
    host.faults.add(argv)
    ex, _, rec, _ = make(host)
    result = ex.run()
    assert result.outcome == "failed" and result.next_step_id == "2.2-shrink"
    f = result.failure
    assert f is not None and f.argv == argv and f.returncode == 1
    assert f.tail == ("fault injected: " + " ".join(argv),)
    assert "md0 [UU_] sdb3 sdc3" in f.state
    assert isinstance(rec.events[-1], PlanStopped)
    host.faults.clear()
    ex2, _, rec2, _ = make(host)
    assert ex2.run().outcome == "reboot"
    assert rec2.of(StepStarted)[0].step_id == "2.2-shrink"


def test_dry_run_runs_nothing() -> None:
    ex, host, rec, asked = make(dry_run=True)
    result = ex.run()
    assert result.outcome == "finished" and not host.log and not asked
    started = [e.argv for e in rec.of(CommandStarted)]
    assert ("wipefs", "-a", "/dev/sda3") in started
    assert all(e.reason == "dry run: nothing was run" for e in rec.of(StepSkipped))


def test_output_comes_in_batches() -> None:
    step = Step("9.1", 1, "spam", "test", operations=(Command(("spam", "5500")),))
    ex, _, rec, _ = make(plan=Plan((Phase(1, "x", (step,)),)))
    ex.run()
    batches = rec.of(OutputLines)
    lines = [ln for b in batches for ln in b.lines]
    assert lines == [f"line {i}" for i in range(5500)]
    assert all(len(b.lines) <= 1000 for b in batches) and len(batches) <= 12


def test_cancel_terminates_the_running_command() -> None:
    step = Step("9.1", 1, "block", "test", operations=(Command(("block",)),))
    ex, _, rec, _ = make(plan=Plan((Phase(1, "x", (step,)),)))
    out: list[object] = []
    t = threading.Thread(target=lambda: out.append(ex.run()))
    t.start()
    while not rec.of(CommandStarted):
        threading.Event().wait(0.005)
    ex.cancel()
    t.join(5)
    assert not t.is_alive()
    assert out[0].outcome == "cancelled"  # type: ignore[attr-defined]


def test_stalled_wait_fails_instead_of_hanging() -> None:
    step = Step(
        "9.1", 1, "wait", "test", operations=(Command(("echo", "x")),), wait_until=lambda inv: False
    )
    ex, host, _, _ = make(plan=Plan((Phase(1, "x", (step,)),)), stall_polls=5)
    result = ex.run()
    assert result.outcome == "failed" and "nothing is syncing" in result.message
    assert host.polls == 4


def test_predicate_error_is_reported() -> None:
    def broken(inv: object) -> bool:
        raise ValueError("boom")

    step = Step("9.1", 1, "bad", "test", done_when=broken)
    ex, host, _, _ = make(plan=Plan((Phase(1, "x", (step,)),)))
    result = ex.run()
    assert result.outcome == "failed" and "boom" in result.message and not host.log


def test_survey_marks_done_steps() -> None:
    ex, host, _, _ = make()
    ex.run(until_phase=1)
    done = {s.id: d for s, d in make(host)[0].survey()}
    assert done["1.1-table"] and done["1.2-add"] and not done["2.1-fail"]


def test_second_run_on_the_same_journal_is_refused(tmp_path: Path) -> None:
    jpath = tmp_path / "journal.jsonl"
    with Journal(jpath):
        ex, host, rec, _ = make(journal=jpath)
        result = ex.run()
    assert result.outcome == "refused" and "another md2zfs run" in result.message
    assert not host.log and isinstance(rec.events[-1], PlanStopped)


def test_blind_inventory_decides_nothing() -> None:
    import dataclasses

    host = FakeHost()
    rec = Recorder()

    def blind(h: FakeHost) -> Inventory:
        return dataclasses.replace(toy_inventory(h), warnings=("cannot read /proc/mdstat: EIO",))

    ex = Executor(
        host,
        toy_plan_for(host),
        emit=rec,
        confirm=lambda d, k: True,
        copies=toy_copies,
        inventory=blind,
    )  # type: ignore[arg-type]
    result = ex.run()
    assert result.outcome == "failed" and "cannot read /proc/mdstat" in result.message
    assert not host.log
