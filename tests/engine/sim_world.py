"""The simulated demo server as a harness World: the real plan, ledger and inventory.

Each "process" loads the sim from its state file with a FakeClock (deterministic, no real
sleeps); the reboot is `systemctl reboot` on the sim, as the operator would type it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from backend.executor import PlanSource, RunOptions
from backend.host import Host
from backend.inventory import take_inventory
from backend.model import Inventory, Pool, ScanProgress
from backend.plan.build import plan_source
from backend.plan.facts import gather_facts
from backend.plan.ledger import copies_counter
from backend.plan.roles import Refusal, Roles, propose_roles
from backend.sim.clock import FakeClock
from backend.sim.host import SimHost
from tests.engine.harness import World

FILES_KEPT = ("/etc/nixos/", "/etc/secrets/", "/etc/hostid")


def load(state_file: Path) -> SimHost:
    """The sim as a new process finds it."""
    return SimHost.load(state_file, clock=FakeClock())


def new_roles(host: Host) -> Roles:
    """The roles md2zfs proposes for the fresh demo server."""
    roles = propose_roles(take_inventory(host), nixos=True)
    assert not isinstance(roles, Refusal), roles
    return roles


def _scan(scan: ScanProgress | None) -> ScanProgress | None:
    # Finished-scan texts carry the time of day; what matters is that it finished.
    return None if scan is None else ScanProgress(scan.function, scan.state)


def comparable(host: SimHost) -> dict[str, Any]:
    """What "the same final state" means: the machine as md2zfs sees it, minus clocks."""
    inv = take_inventory(host)
    pools = tuple(dataclasses.replace(p, scan=_scan(p.scan)) for p in inv.pools)
    inv = dataclasses.replace(inv, taken_at=0.0, pools=pools)
    files = {
        path: (f.text, f.mode)
        for path, f in host.state.files.items()
        if path.startswith(FILES_KEPT)
    }
    gen = host.state.generation(host.state.system.running_generation)
    gen_facts = None if gen is None else dataclasses.replace(gen, number=0, built_at=0.0)
    return {"inventory": inv, "files": files, "generation": gen_facts}


def sim_world(tmp: Path, *, options: RunOptions | None = None) -> tuple[World, Roles, Path]:
    """A World over a fresh demo state in tmp (roles proposed once, as the wizard saves them)."""
    state_file = tmp / "demo.json"
    SimHost.reset(state_file)
    roles = new_roles(load(state_file))
    copies = copies_counter(roles)

    def plan(host: Host) -> PlanSource:
        return plan_source(roles, lambda: gather_facts(host))

    def reboot(host: Host) -> None:
        result = host.run(("systemctl", "reboot"))
        assert result.ok, result

    def final(host: Host) -> Any:
        inner = getattr(host, "inner", host)
        assert isinstance(inner, SimHost)
        return comparable(inner)

    def record(host: Host) -> bytes:
        assert isinstance(host, SimHost)
        host.save()  # the clock too: a resumed run then sees exactly this moment
        return state_file.read_bytes()

    world = World(
        load=lambda: load(state_file),
        record=record,
        restore=state_file.write_bytes,
        inventory=take_inventory,
        plan=plan,
        copies=copies,
        reboot=reboot,
        final=final,
        options=options or RunOptions(poll_s=120),
        roles=roles,
    )
    return world, roles, state_file


def pool_of(inv: Inventory, roles: Roles) -> Pool | None:
    """The new pool, if imported."""
    return inv.pool(roles.pool)


def expected_after(base: World, index: int, final: Any, tmp: Path) -> tuple[str | None, Any]:
    """Where a resumed run is compared, and what it must look like there: the baseline's
    next step boundary after snapshot `index` (the sim is deterministic, and the baseline
    goes on from there to its final state), or the final state after the last step."""
    nxt = index + 1
    if nxt >= len(base.snapshots):
        return None, final
    snap = base.snapshots[nxt]
    state_file = tmp / "expected.json"
    state_file.parent.mkdir(parents=True, exist_ok=True)
    state_file.write_bytes(snap.data)
    return snap.step_id, comparable(load(state_file))
