"""Building a ready-to-run Executor for a machine: host, roles, plan, ledger, journal.

Shared by `md2zfs run` and usable by the TUI: `prepare(args, emit=..., confirm=...)`.

Roles are the operator's choices (which disk is DC, the pool name, ...), not progress: they
are proposed from the inventory on the first run and saved (0600) beside the journal, so a
run after a kill or the reboot plans with the same disks instead of re-proposing from a
half-migrated system. Progress is never saved: the plan's done-when predicates read it from
the live system before every step.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from backend.executor import ConfirmFn, EmitFn, Executor, PlanSource, RunOptions
from backend.host import Host
from backend.journal import SYSTEM_JOURNAL, Journal, demo_journal_path

if TYPE_CHECKING:
    from backend.model import Inventory
    from backend.plan.roles import Roles


class SetupError(Exception):
    """No run is possible: bad options, no roles, a refused plan (message says why)."""


def _is_demo(args: argparse.Namespace) -> bool:
    return bool(
        getattr(args, "demo", False)
        or getattr(args, "demo_state", None)
        or getattr(args, "demo_reset", False)
    )


def _demo_state(args: argparse.Namespace) -> Path:
    from backend.hosts import default_demo_state

    state = getattr(args, "demo_state", None)
    return Path(state) if state else default_demo_state()


def journal_path(args: argparse.Namespace) -> Path:
    """--journal, else beside the demo state, else /var/lib/md2zfs/journal.jsonl."""
    given = getattr(args, "journal", None)
    if given:
        return Path(given)
    if _is_demo(args):
        return demo_journal_path(_demo_state(args))
    return SYSTEM_JOURNAL


def roles_path(args: argparse.Namespace) -> Path:
    """Where the chosen roles are kept: beside the demo state, or in /var/lib/md2zfs."""
    if _is_demo(args):
        state = _demo_state(args)
        return state.with_name(state.stem + "-roles.json")
    return journal_path(args).with_name("roles.json")


def load_roles(path: Path) -> Roles | None:
    """Roles saved by an earlier run, or None."""
    from backend.plan.roles import Roles

    try:
        return Roles.from_json(path.read_text())
    except FileNotFoundError:
        return None


def save_roles(path: Path, roles: Roles) -> None:
    """Save roles (0600, atomically: a kill leaves the old file or the new one)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(roles.to_json())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def choose_roles(host: Host, inv: Inventory, path: Path, *, save: bool = True) -> Roles:
    """The roles saved at `path`, or a proposal from this inventory (saved unless told not
    to: a dry run shows the plan for a proposal without choosing it)."""
    from backend.plan.facts import gather_facts
    from backend.plan.roles import Refusal, propose_roles

    roles = load_roles(path)
    if roles is not None:
        return roles
    proposed = propose_roles(inv, nixos=gather_facts(host).nixos)
    if isinstance(proposed, Refusal):
        raise SetupError("no migration is possible here:\n" + proposed.message)
    if save:
        save_roles(path, proposed)
    return proposed


def plan_for_host(host: Host, roles: Roles) -> PlanSource:
    """Inventory -> Plan, rebuilt before every step with fresh host facts (files, hostid)."""
    from backend.plan.build import plan_source
    from backend.plan.facts import gather_facts

    return plan_source(roles, lambda: gather_facts(host, roles))


def read_passphrase(path: str | None) -> str:
    """The pool passphrase: first line of --passphrase-file, else asked on the terminal."""
    if path:
        try:
            text = Path(path).read_text().splitlines()
        except OSError as exc:
            raise SetupError(f"cannot read the passphrase file: {exc}") from exc
        if not text or len(text[0]) < 8:
            raise SetupError("the passphrase file must hold a passphrase of 8 characters or more")
        return text[0]
    import getpass
    import sys

    if not sys.stdin.isatty():
        raise SetupError("the pool is encrypted: give --passphrase-file (no terminal to ask on)")
    first = getpass.getpass("passphrase for the new pool: ")
    if len(first) < 8 or getpass.getpass("again: ") != first:
        raise SetupError("the passphrases differ or are shorter than 8 characters")
    return first


def prepare(args: argparse.Namespace, *, emit: EmitFn, confirm: ConfirmFn) -> Executor:
    """An Executor for the machine the options name, ready for run()."""
    from backend.hosts import HostChoiceError, open_host
    from backend.inventory import take_inventory
    from backend.plan.ledger import copies_counter

    dry_run = bool(getattr(args, "dry_run", False))
    try:
        host = open_host(args)
    except HostChoiceError as exc:
        raise SetupError(str(exc)) from exc
    if getattr(args, "demo_reset", False):
        with contextlib.suppress(FileNotFoundError):
            roles_path(args).unlink()
    if host.read_only and not dry_run:
        raise SetupError(f"{host.description} is read-only here: run as root, or use --dry-run")
    inv = take_inventory(host)
    roles = choose_roles(host, inv, roles_path(args), save=not dry_run)
    secrets = {}
    given = getattr(args, "passphrase_file", None)
    # Only the key file step needs it: a resumed run past the pool's creation does not ask.
    if roles.encryption != "none" and not dry_run and (given or inv.pool(roles.pool) is None):
        secrets["passphrase"] = read_passphrase(given)
    options = RunOptions(
        secrets=secrets,
        dry_run=dry_run,
        allow_fewer_copies=bool(getattr(args, "yes_i_know_copies", False)),
        allow_reboot=bool(getattr(args, "reboot", False)),
        min_poll_wall_s=0.02,
    )
    return Executor(
        host,
        plan_for_host(host, roles),
        emit=emit,
        confirm=confirm,
        copies=copies_counter(roles),
        inventory=take_inventory,
        journal=None if dry_run else Journal(journal_path(args)),
        options=options,
        reference=inv,
    )
