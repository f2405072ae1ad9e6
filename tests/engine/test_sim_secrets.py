"""An encrypted pool on the demo server: the passphrase reaches zfs only through the key
file (0600), and never appears in an argv, an event or the journal."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from backend.executor import Executor, RunOptions
from backend.host import Cancel, CommandResult, LineSink
from backend.inventory import take_inventory
from backend.journal import Journal
from backend.plan.build import plan_source
from backend.plan.facts import gather_facts
from backend.plan.ledger import copies_counter
from backend.sim.host import SimHost
from tests.engine.fakes import Recorder
from tests.engine.sim_world import load, new_roles

PASSPHRASE = "correct-horse-battery-staple-42"


class Spy:
    """Records argv and stdin of every command the host runs."""

    def __init__(self, inner: SimHost) -> None:
        self.inner = inner
        self.seen: list[tuple[tuple[str, ...], str | None]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def run(
        self,
        argv: Any,
        *,
        stdin: str | None = None,
        on_line: LineSink | None = None,
        cancel: Cancel | None = None,
    ) -> CommandResult:
        self.seen.append((tuple(argv), stdin))
        return self.inner.run(argv, stdin=stdin, on_line=on_line, cancel=cancel)


def test_passphrase_only_in_the_key_file(tmp_path: Path) -> None:
    state = tmp_path / "demo.json"
    roles = dataclasses.replace(new_roles(load(state)), encryption="passphrase-keyfile")
    sim = load(state)
    host = Spy(sim)
    rec = Recorder()
    journal = tmp_path / "journal.jsonl"
    ex = Executor(
        host,  # type: ignore[arg-type]
        plan_source(roles, lambda: gather_facts(sim)),
        emit=rec,
        confirm=lambda d, k: True,
        copies=copies_counter(roles),
        inventory=take_inventory,
        journal=Journal(journal),
        options=RunOptions(poll_s=120, secrets={"passphrase": PASSPHRASE}),
    )
    result = ex.run(until_phase=4)
    assert result.outcome == "until", result
    key = sim.state.files[roles.key_file]
    assert key.text == PASSPHRASE and key.mode == 0o600
    create = [a for a, _ in host.seen if a[:2] == ("zpool", "create")]
    assert create and f"keylocation=file://{roles.key_file}" in create[0]
    assert sim.state.pools and sim.state.pools[0].name == roles.pool
    assert not any(PASSPHRASE in " ".join(a) for a, _ in host.seen)
    assert PASSPHRASE not in repr(rec.events)
    assert PASSPHRASE not in journal.read_text()
