"""The real backend behind the wizard: inventory, roles, plan, ledger and the executor.

`BackendServices` adapts backend/ to `tui.services.Services`. Roles are saved (by the
backend's own helpers) when the operator accepts the plan, so a restart after a crash or
the phase 6 reboot plans with the same disks and resumes from what the live system shows.
"""

from __future__ import annotations

import argparse
import contextlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from backend.executor import Executor, RunOptions
from backend.executor_setup import journal_path, load_roles, plan_for_host, roles_path, save_roles
from backend.host import Host, IoCounters
from backend.inventory import take_inventory
from backend.journal import Journal
from backend.model import Inventory
from backend.plan.roles import DEFAULT_DATASETS, Dataset, Refusal, Roles, propose_roles, resolve
from backend.plan.step import Plan
from tui.choices import Choices
from tui.hotplug import watch_block_devices
from tui.services import Confirm, Emit


class PlanRefusedError(Exception):
    """No plan can be made for these choices (the message says why)."""


def _datasets(names: tuple[str, ...]) -> tuple[Dataset, ...]:
    known = {d.name: d for d in DEFAULT_DATASETS}
    out = []
    for name in names:
        mount = "/" if name == "root" else "/" + name.removeprefix("root/")
        out.append(known.get(name, Dataset(name, mount)))
    return tuple(out)


def _member_number(inv: Inventory, array: str, disk_name: str) -> int | None:
    arr = inv.array(array)
    disk = inv.disk(disk_name)
    if arr is None or disk is None:
        return None
    for part in disk.partitions:
        if arr.member(part.name) is not None:
            return part.number
    return None


def choices_from_roles(inv: Inventory, roles: Roles) -> Choices:
    """The form's view of roles: identities resolved to today's kernel names."""

    def name(ident: object) -> str:
        found = inv.resolve(ident)  # type: ignore[arg-type]
        return found[0].name if len(found) == 1 else ""

    return Choices(
        array=roles.array,
        disk_a=name(roles.disk_a),
        disk_b=name(roles.disk_b),
        disk_c=name(roles.disk_c),
        pool=roles.pool,
        datasets=tuple(d.name for d in roles.datasets),
        encrypt=roles.encryption != "none",
        boot_mib=roles.boot_size_mib,
    )


def check_field(check_id: str) -> str:
    """The form field a backend check is about (its id's prefix decides)."""
    for prefix, name in (
        ("pool", "pool"),
        ("c-", "disk_c"),
        ("identity-dc", "disk_c"),
        ("serial-missing-dc", "disk_c"),
        ("identity-db", "disk_b"),
        ("serial-missing-db", "disk_b"),
        ("boot-size", "boot_mib"),
        ("dataset", "datasets"),
    ):
        if check_id.startswith(prefix):
            return name
    if check_id.startswith(("identity", "serial")):
        return "disk_a"
    return "array"


class ExecutorRunner:
    """Runs the backend Executor in a thread: one step, or the rest of a phase."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor
        self._thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        """True while the executor's thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def _spawn(self, fn: Callable[[], object]) -> None:
        self._thread = threading.Thread(target=fn, name="md2zfs-executor", daemon=True)
        self._thread.start()

    def start(self, step_id: str) -> None:
        """Run exactly one step (with all its checks)."""
        self._spawn(lambda: self.executor.run_step(step_id))

    def start_phase(self, phase: int) -> None:
        """Run from the first step not done through the end of `phase`."""
        self._spawn(lambda: self.executor.run(until_phase=phase))

    def cancel(self) -> None:
        """Stop the running command (its process group) and the run."""
        self.executor.cancel()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread (tests, shutdown)."""
        if self._thread is not None:
            self._thread.join(timeout)


class BackendServices:
    """tui.services.Services over the real backend modules."""

    def __init__(
        self,
        host: Host,
        *,
        args: argparse.Namespace | None = None,
        demo: bool = False,
        roles_file: Path | None = None,
        journal_file: Path | None = None,
        options: RunOptions | None = None,
    ) -> None:
        self._host = host
        self.demo = demo
        ns = args or argparse.Namespace(demo=demo)
        self.roles_file = roles_file or roles_path(ns)
        self.journal_file = journal_file or journal_path(ns)
        if getattr(ns, "demo_reset", False):
            with contextlib.suppress(FileNotFoundError):
                self.roles_file.unlink()
        self.roles: Roles | None = None
        self.refusal: str | None = None
        self.passphrase = ""
        self.options = options or RunOptions(allow_reboot=demo)

    @property
    def host(self) -> Host:
        """The machine."""
        return self._host

    @property
    def audit_log_path(self) -> str | None:
        """The executor's journal (JSON lines)."""
        return str(self.journal_file)

    def inventory(self) -> Inventory:
        """One inventory (worker thread)."""
        return take_inventory(self._host)

    def io_counters(self) -> Mapping[str, IoCounters]:
        """Per-device I/O counters."""
        return self._host.io_counters()

    def _facts_nixos(self) -> bool:
        from backend.plan.facts import gather_facts

        try:
            return gather_facts(self._host).nixos
        except Exception:
            return True

    def propose(self, inv: Inventory) -> Choices:
        """The backend's proposal, as form values."""
        proposed = propose_roles(inv, nixos=self._facts_nixos())
        if isinstance(proposed, Refusal):
            self.refusal = proposed.message
            return Choices()
        self.refusal = None
        self.roles = proposed
        return choices_from_roles(inv, proposed)

    def resume(self, inv: Inventory) -> Choices | None:
        """Roles saved by an earlier run on this machine (a migration under way)."""
        roles = load_roles(self.roles_file) if not self._host.read_only else None
        if roles is None:
            return None
        self.roles = roles
        return choices_from_roles(inv, roles)

    def to_roles(self, inv: Inventory, c: Choices) -> Roles:
        """Form values -> Roles bound to stable identities."""
        disks = {}
        for key, name in (("a", c.disk_a), ("b", c.disk_b), ("c", c.disk_c)):
            disk = inv.disk(name)
            if disk is None:
                raise PlanRefusedError(self.refusal or f"disk {key.upper()} is not chosen")
            disks[key] = disk
        base = self.roles or Roles(
            array=c.array,
            member_a=0,
            member_b=0,
            disk_a=disks["a"].identity(),
            disk_b=disks["b"].identity(),
            disk_c=disks["c"].identity(),
        )
        return replace(
            base,
            array=c.array,
            member_a=_member_number(inv, c.array, c.disk_a) or base.member_a,
            member_b=_member_number(inv, c.array, c.disk_b) or base.member_b,
            disk_a=disks["a"].identity(),
            disk_b=disks["b"].identity(),
            disk_c=disks["c"].identity(),
            pool=c.pool,
            datasets=_datasets(c.datasets),
            encryption="passphrase-keyfile" if c.encrypt else "none",
            boot_size_mib=c.boot_mib,
        )

    def check(self, inv: Inventory, choices: Choices) -> dict[str, str]:
        """The backend's preflight refusals for these roles, filed under form fields."""
        from backend.plan.checks import preflight
        from backend.plan.facts import gather_facts

        try:
            roles = self.to_roles(inv, choices)
        except PlanRefusedError as exc:
            return {"disk_a": str(exc)}
        resolved = resolve(roles, inv)
        if isinstance(resolved, Refusal):
            return {"disk_a": resolved.message}
        refusal = preflight(roles, inv, gather_facts(self._host))
        errors: dict[str, str] = {}
        for failed in refusal.failures if refusal is not None else ():
            text = failed.message + (f" (fix: {failed.fix})" if failed.fix else "")
            field = check_field(failed.id)
            errors[field] = (errors[field] + "; " + text) if field in errors else text
        return errors

    def build_plan(self, inv: Inventory, choices: Choices) -> Plan:
        """The plan for these choices on this live system."""
        from backend.plan.build import build_plan
        from backend.plan.facts import gather_facts

        roles = self.to_roles(inv, choices)
        self.roles = roles
        return build_plan(roles, inv, gather_facts(self._host))

    def accept(self, choices: Choices) -> None:
        """The operator accepted the plan: save the roles so a restart resumes with them.

        The passphrase stays in memory only; it reaches commands through stdin.
        """
        self.passphrase = choices.passphrase
        if self.roles is not None and not self._host.read_only:
            save_roles(self.roles_file, self.roles)

    def done_steps(self, inv: Inventory, plan: Plan) -> dict[str, str]:
        """Steps whose done-when holds on the live system."""
        done: dict[str, str] = {}
        for step in plan.steps():
            with contextlib.suppress(Exception):
                if step.done_when is not None and step.done_when(inv):
                    done[step.id] = "the live system shows it done"
        return done

    def copies(self, inv: Inventory, choices: Choices | None) -> int | None:
        """The ledger's count of complete copies (None before roles exist)."""
        if self.roles is None:
            return None
        from backend.plan.ledger import count_copies

        try:
            return int(count_copies(inv, self.roles))
        except Exception:
            return None

    def runner(self, plan: Plan, emit: Emit, confirm: Confirm) -> ExecutorRunner:
        """The executor for the accepted roles, rebuilding the plan before every step."""
        if self.roles is None:
            raise PlanRefusedError("no roles chosen")
        from backend.plan.ledger import copies_counter

        roles = self.roles
        secrets = {"passphrase": self.passphrase} if self.passphrase else {}
        executor = Executor(
            self._host,
            plan_for_host(self._host, roles),
            emit=emit,
            confirm=confirm,
            copies=copies_counter(roles),
            inventory=take_inventory,
            journal=None if self._host.read_only else Journal(self.journal_file),
            options=replace(self.options, secrets=secrets),
        )
        return ExecutorRunner(executor)

    def subscribe(self, on_change: Callable[[], None]) -> Callable[[], None]:
        """Hot-plug: the sim's own events, or a pyudev monitor on a real host."""
        sub = getattr(self._host, "subscribe", None)
        if callable(sub):
            unsubscribe: Callable[[], None] = sub(lambda _name: on_change())
            return unsubscribe
        return watch_block_devices(on_change)

    def close(self) -> None:
        """Nothing to release (the executor closes its journal per run)."""
