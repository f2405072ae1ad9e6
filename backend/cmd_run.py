"""`md2zfs run`: the plan, headless, one line per event.

Resume is the normal start: run it again after a crash, a kill or the reboot and it goes on
from what the live system shows. Every destructive step prints the target disk's identity
card and asks for the last characters of its serial on stdin, unless `--confirm-disk`
named that disk (serial, WWN or by-id name). The run stops before the reboot and says so.

Exit status: 0 finished / stopped where asked / stopped before the reboot; 1 a step
failed; 2 refused (a safety check, bad options); 3 a disk was not confirmed; 4 a manual
step waits for the operator; 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from backend.events import Event
    from backend.executor import Executor, RunResult
    from backend.model import Disk
    from backend.plan.step import Destroys

EXIT = {
    "finished": 0,
    "until": 0,
    "reboot": 0,
    "failed": 1,
    "refused": 2,
    "declined": 3,
    "manual": 4,
    "cancelled": 130,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--until, --confirm-disk, --dry-run, --yes-i-know-copies, --reboot, --journal,
    --passphrase-file."""
    parser.add_argument(
        "--until",
        type=int,
        choices=range(8),
        metavar="PHASE",
        help="stop after this phase (0-7); default: as far as possible",
    )
    parser.add_argument(
        "--confirm-disk",
        action="append",
        default=[],
        metavar="ID",
        help="confirm a disk for destructive steps without asking: its serial, WWN or "
        "/dev/disk/by-id name (repeat for each disk)",
    )
    parser.add_argument("--dry-run", action="store_true", help="show what would run; run nothing")
    parser.add_argument(
        "--yes-i-know-copies",
        action="store_true",
        help="run a step even when it leaves fewer than two complete copies (logged)",
    )
    parser.add_argument(
        "--reboot",
        action="store_true",
        help="at the reboot step, reboot (default: stop before it and say so); run again "
        "after the reboot for phase 7",
    )
    parser.add_argument("--journal", metavar="FILE", help="audit journal (default: per machine)")
    parser.add_argument(
        "--passphrase-file",
        metavar="FILE",
        help="encrypted pool: read the passphrase from FILE (first line; never on a command "
        "line); without it md2zfs asks on the terminal when the pool is encrypted",
    )


class Printer:
    """Turns events into lines on a stream; progress at most every `progress_s` seconds."""

    def __init__(self, out: TextIO, progress_s: float = 2.0) -> None:
        self.out = out
        self.progress_s = progress_s
        self._progress_at: dict[str, float] = {}
        self._last_skip: str | None = None

    def line(self, text: str) -> None:
        """One line, flushed at once (a pipe reader sees it before a kill)."""
        self.out.write(text + "\n")
        self.out.flush()

    def __call__(self, ev: Event) -> None:
        import shlex
        import time

        from backend import events as e

        if isinstance(ev, e.StepStarted):
            self.line(f"==> {ev.step_id}: {ev.title}")
        elif isinstance(ev, e.CommandStarted):
            self.line(f"  $ {shlex.join(ev.argv)}")
        elif isinstance(ev, e.OutputLines):
            self.out.write("".join(f"  | {ln}\n" for ln in ev.lines))
            self.out.flush()
        elif isinstance(ev, e.Progress):
            now = time.monotonic()
            last = self._progress_at.get(ev.label)
            if last is None or now - last >= self.progress_s or (ev.percent or 0) >= 100:
                self._progress_at[ev.label] = now
                pct = "?" if ev.percent is None else f"{ev.percent:.1f}%"
                extra = "".join(f" {x}" for x in (ev.speed, _eta(ev.eta_s)) if x is not None)
                self.line(f"  ~ {ev.label} {pct}{extra}")
        elif isinstance(ev, e.Waiting):
            self.line(f"  .. {ev.reason}")
        elif isinstance(ev, e.StepSkipped):
            # A resume skips many steps on one reading of the system: say it once.
            same = ev.reason == self._last_skip and ev.reason.startswith("already done")
            self._last_skip = ev.reason
            reason = "already done (same live state as above)" if same else ev.reason
            self.line(f"--  {ev.step_id}: skipped, {reason}")
        elif isinstance(ev, e.StepFinished):
            self.line(f"ok  {ev.step_id} (complete copies now: {ev.copies})")
        elif isinstance(ev, e.StepFailed):
            self.failure(ev)
        elif isinstance(ev, e.PlanStopped):
            self.line(f"== {ev.reason}")

    def failure(self, ev: object) -> None:
        """The failure report: what ran, how it ended, its output, the state now."""
        import shlex

        from backend.events import StepFailed

        assert isinstance(ev, StepFailed)
        self.line(f"FAILED {ev.step_id}: {ev.message}")
        if ev.argv is not None:
            self.line(f"  command  : {shlex.join(ev.argv)}")
        if ev.returncode is not None:
            self.line(f"  exit code: {ev.returncode}")
        if ev.tail:
            self.line("  last output:")
            for ln in ev.tail:
                self.line(f"    {ln}")
        self.line(f"  state now: {ev.state}")
        self.line("  fix the cause, then run `md2zfs run` again to retry this step")


def _eta(seconds: int | None) -> str | None:
    from backend.units import human_duration

    return None if seconds is None else f"eta {human_duration(seconds)}"


class StdinConfirm:
    """confirm(destroys, disk) for the terminal: identity card, then --confirm-disk or stdin."""

    def __init__(self, printer: Printer, confirmed_ids: list[str], stdin: TextIO) -> None:
        self.printer = printer
        self.ids = confirmed_ids
        self.stdin = stdin
        self.executor: Executor | None = None  # for the partitions' contents on the card

    def __call__(self, destroys: Destroys, disk: Disk) -> bool:
        from backend.confirm import covering_id, identity_card, prompt_text, typed_matches

        inv = self.executor.last_inventory if self.executor is not None else None
        for ln in identity_card(disk, destroys, inv):
            self.printer.line("  " + ln)
        given = covering_id(disk, self.ids)
        if given is not None:
            self.printer.line(f"  confirmed by --confirm-disk {given}")
            return True
        tries = 3 if self.stdin.isatty() else 1
        for _ in range(tries):
            self.printer.out.write(f"  {prompt_text(disk)}: ")
            self.printer.out.flush()
            answer = self.stdin.readline()
            if not answer:
                self.printer.line("")
                self.printer.line("  no answer (end of input): not confirmed")
                return False
            if typed_matches(disk, answer):
                return True
            self.printer.line("  that does not match")
        return False


def run(args: argparse.Namespace) -> int:
    """Open the machine, build the plan, run it; the exit status says how it ended."""
    from backend.executor_setup import SetupError, prepare

    printer = Printer(sys.stdout)
    confirm = StdinConfirm(printer, list(args.confirm_disk), sys.stdin)
    try:
        ex = prepare(args, emit=printer, confirm=confirm)
    except SetupError as exc:
        print(f"md2zfs run: {exc}", file=sys.stderr)
        return 2
    confirm.executor = ex
    result = run_interruptible(ex, args.until)
    if result.outcome == "reboot" and getattr(args, "demo", False) and not args.reboot:
        printer.line("   (demo: `md2zfs run --demo --reboot` reboots the simulated server)")
    # The last line printed (PlanStopped, or the failure report) already says why it ended.
    return EXIT[result.outcome]


def run_interruptible(ex: Executor, until: int | None) -> RunResult:
    """Run in a worker thread so Ctrl-C / SIGTERM cancel cleanly (the child's group too)."""
    import signal
    import threading

    box: list[RunResult] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            box.append(ex.run(until_phase=until))
        except BaseException as exc:  # re-raised in the main thread
            errors.append(exc)

    def on_term(signum: int, frame: object) -> None:
        ex.cancel()

    old = signal.signal(signal.SIGTERM, on_term)
    worker = threading.Thread(target=work, name="md2zfs-run")
    worker.start()
    try:
        while worker.is_alive():
            try:
                worker.join(0.2)
            except KeyboardInterrupt:
                ex.cancel()
    finally:
        signal.signal(signal.SIGTERM, old)
    if errors:
        raise errors[0]
    return box[0]
