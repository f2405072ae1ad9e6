"""`md2zfs plan` and `md2zfs nixos-module` against the simulated server and its variants."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from backend.cli import main
from backend.inventory import take_inventory
from backend.plan.checks import preflight
from backend.plan.facts import gather_facts
from backend.plan.roles import Refusal, Roles, propose_roles

sim_state = pytest.importorskip("backend.sim.state")
variants = pytest.importorskip("backend.sim.variants")
persist = pytest.importorskip("backend.sim.persist")
demo = pytest.importorskip("backend.sim.demo")
sim_host = pytest.importorskip("backend.sim.host")


def _state_file(tmp_path: Path, variant: Callable[..., object] | None = None) -> Path:
    state = demo.demo_state()
    if variant is not None:
        variant(state)
    path = tmp_path / "demo.json"
    path.write_text(persist.to_json(state))
    return path


def test_plan_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["plan", "--demo-state", str(_state_file(tmp_path)), "--json"])
    out = capsys.readouterr().out
    assert rc == 0, out
    doc = json.loads(out)
    assert [p["number"] for p in doc["phases"]] == list(range(8))
    steps = {s["id"]: s for p in doc["phases"] for s in p["steps"]}
    assert steps["1.2-add-c"]["operations"][0]["argv"] == [
        "mdadm",
        "--grow",
        "/dev/md0",
        "--raid-devices=3",
        "--add",
        "/dev/sdc3",
    ]
    assert steps["1.1-partition-c"]["destroys"][0]["serial"] == "2331E8A41F07"
    assert steps["0.1-preflight"]["done"] and not steps["1.1-partition-c"]["done"]
    assert all(
        "roles" not in op.get("params", {}) for s in steps.values() for op in s["operations"]
    )


def test_plan_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--demo-state", str(_state_file(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "Phase 7: verify and clean up" in out
    assert "$ zpool create -f -o ashift=12" in out
    assert "DESTROYS on /dev/sdc (CT1000MX500SSD1 serial 2331E8A41F07)" in out
    assert "copies: 2 -> 3" in out


@pytest.mark.parametrize(
    ("variant", "words"),
    [
        ("mounted_c", "no blank disk"),
        ("small_c", "no blank disk"),
        ("foreign_pool", "no blank disk"),
    ],
)
def test_plan_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], variant: str, words: str
) -> None:
    rc = main(["plan", "--demo-state", str(_state_file(tmp_path, getattr(variants, variant)))])
    assert rc == 2
    assert words in capsys.readouterr().err


def _host(tmp_path: Path, variant: str | None = None, root: bool = True) -> object:
    state = demo.demo_state()
    if variant:
        getattr(variants, variant)(state)
    return sim_host.SimHost(state, root=root)


def test_duplicate_serials_refused(tmp_path: Path) -> None:
    host = _host(tmp_path, "duplicate_serials")
    inv = take_inventory(host)  # type: ignore[arg-type]
    roles = propose_roles(inv)
    assert isinstance(roles, Roles)
    refusal = preflight(roles, inv, gather_facts(host, roles))  # type: ignore[arg-type]
    assert isinstance(refusal, Refusal)
    assert any(c.id in ("serial-duplicate", "identity-da", "identity-db") for c in refusal.failures)


def test_not_root_refused(tmp_path: Path) -> None:
    host = _host(tmp_path, root=False)
    inv = take_inventory(host)  # type: ignore[arg-type]
    roles = propose_roles(inv)
    assert isinstance(roles, Roles)
    refusal = preflight(roles, inv, gather_facts(host, roles))  # type: ignore[arg-type]
    assert isinstance(refusal, Refusal) and [c.id for c in refusal.failures] == ["root"]


def test_user_service_cgroup_warns_then_blocks_cutover(tmp_path: Path) -> None:
    from backend.plan.checks import run_checks

    host = _host(tmp_path, "user_service_cgroup")
    inv = take_inventory(host)  # type: ignore[arg-type]
    roles = propose_roles(inv)
    assert isinstance(roles, Roles)
    facts = gather_facts(host, roles)  # type: ignore[arg-type]
    assert preflight(roles, inv, facts) is None  # a warning at phase 0
    cut = run_checks("cutover", roles, inv, facts)
    assert [c.id for c in cut if not c.ok] == ["cgroup"] and "user@" in cut[0].message


def test_virtio_disks_use_by_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state_file = _state_file(tmp_path, variants.virtio_disks)
    assert main(["nixos-module", "--demo-state", str(state_file)]) == 0
    out = capsys.readouterr().out
    assert 'boot.zfs.devNodes = "/dev/disk/by-' in out


def test_nixos_module_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state_file = str(_state_file(tmp_path))
    assert main(["nixos-module", "--demo-state", state_file, "--stage", "zfs-enable"]) == 0
    out = capsys.readouterr().out
    assert 'networking.hostId = "4f2a9c7e";' in out and "fileSystems" not in out
    assert main(["nixos-module", "--demo-state", state_file, "--show-import"]) == 0
    assert "# configuration.nix: + ./md2zfs.nix" in capsys.readouterr().out
