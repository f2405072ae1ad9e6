"""The plan built from the simulated demo server's real inventory (SimHost + parsers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.inventory import take_inventory
from backend.plan.build import build_plan
from backend.plan.checks import preflight
from backend.plan.facts import gather_facts
from backend.plan.roles import Roles, propose_roles


def test_plan_from_demo_inventory(tmp_path: Path) -> None:
    hosts = pytest.importorskip("backend.hosts")
    host = hosts.open_demo_host(tmp_path / "demo.json", reset=True)
    inv = take_inventory(host)
    roles = propose_roles(inv)
    assert isinstance(roles, Roles)
    assert (roles.array, roles.member_a, roles.pool) == ("md0", 3, "rpool")
    facts = gather_facts(host, roles)
    assert preflight(roles, inv, facts) is None
    plan = build_plan(roles, inv, facts)
    argv = {s.id: s.argvs() for s in plan.steps()}
    assert argv["1.2-add-c"] == (
        ("mdadm", "--grow", "/dev/md0", "--raid-devices=3", "--add", "/dev/sdc3"),
    )
    assert argv["2.1-swapoff-a"] == (("swapoff", "/dev/sda2"),)
    assert argv["6.7-swapoff-b"] == (("swapoff", "/dev/sdb2"),)
    assert plan.step("0.1-preflight").done_when(inv)  # type: ignore[misc]
    assert not any(s.done_when(inv) for s in plan.steps()[1:])  # type: ignore[misc]


@pytest.mark.slow
def test_encrypted_migration_on_the_sim(tmp_path: Path) -> None:
    """The whole plan, encrypted, on the simulated server: the passphrase reaches the key
    file only, the machine comes up on the pool, and the copies never drop below two."""
    from dataclasses import replace

    from backend import events
    from backend.executor import Executor, RunOptions
    from backend.plan.build import plan_source
    from backend.plan.ledger import copies_counter

    hosts = pytest.importorskip("backend.hosts")
    state = tmp_path / "demo.json"
    inv = take_inventory(hosts.open_demo_host(state, reset=True))
    proposed = propose_roles(inv)
    assert isinstance(proposed, Roles)
    roles = replace(proposed, encryption="passphrase-keyfile")
    secret = "correct horse battery"
    seen: list[object] = []

    def run() -> str:
        host = hosts.open_demo_host(state)
        ex = Executor(
            host,
            plan_source(roles, lambda: gather_facts(host, roles)),
            emit=seen.append,
            confirm=lambda d, disk: True,
            copies=copies_counter(roles),
            inventory=take_inventory,
            options=RunOptions(secrets={"passphrase": secret}),
        )
        return str(ex.run().outcome)

    assert run() == "reboot"
    hosts.open_demo_host(state).run(("systemctl", "reboot"))
    assert run() == "finished"
    host = hosts.open_demo_host(state)
    after = take_inventory(host)
    root = after.mount_at("/")
    assert root is not None and root.source == "rpool/root"
    assert host.read_file(roles.key_file) == secret
    started = [ev for ev in seen if isinstance(ev, events.CommandStarted)]
    assert all(secret not in " ".join(ev.argv) for ev in started)
    assert all(ev.copies >= 2 for ev in seen if isinstance(ev, events.StepFinished))
