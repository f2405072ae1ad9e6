"""done-when over the whole migration: sound (false before the step ran, except checks,
which are done when they pass) and monotone (true in every later state), with the disks
renamed by the reboot; wait-until never blocks a later state; the copies ledger."""

from __future__ import annotations

from dataclasses import replace

from backend.model import Inventory
from backend.nixos import render_for
from backend.plan.build import build_plan
from backend.plan.facts import MODULE_PATH, HostFacts
from backend.plan.ledger import check_copies, count_copies
from backend.plan.roles import Roles
from tests.plan.demo_states import states


def _facts(roles: Roles, facts: HostFacts) -> HostFacts:
    sts = states()
    md1_made = next(inv for sid, _, inv in sts if sid == "4.3-mkfs-boot")
    module = render_for(roles, md1_made, facts, "root-on-zfs")
    return replace(facts, config_files={MODULE_PATH: module})


def test_done_when_sound_and_monotone(roles: Roles, inv: Inventory, facts: HostFacts) -> None:
    facts = _facts(roles, facts)
    order = [s.id for s in build_plan(roles, inv, facts).steps()]
    for last, waited, state in states():
        upto = order.index(last) if last else -1
        for step in build_plan(roles, state, facts).steps():
            assert step.done_when is not None
            done = step.done_when(state)
            i = order.index(step.id)
            if i <= upto:
                assert done, f"{step.id} not done after {last}"
                if step.wait_until is not None and (i < upto or waited):
                    assert step.wait_until(state), f"{step.id} would wait after {last}"
            elif step.kind != "check":
                assert not done, f"{step.id} done before it ran (after {last!r})"


def test_steps_are_stable_across_rebuilds(roles: Roles, inv: Inventory, facts: HostFacts) -> None:
    ids = [s.id for s in build_plan(roles, inv, facts).steps()]
    for _, _, state in states():
        assert set(s.id for s in build_plan(roles, state, facts).steps()) <= set(ids)


def test_copies_at_every_boundary(roles: Roles, inv: Inventory, facts: HostFacts) -> None:
    expected = {
        "1.2-add-c": 3,
        "2.1-swapoff-a": 3,
        "2.2-remove-a": 2,
        "4.6-first-copy": 2,
        "6.4-final-copy": 3,
        "6.6-remove-b": 2,
        "6.15-reboot": 3,
        "7.2-stop-r": 2,
        "7.4-wipe-c-table": 2,
    }
    for last, waited, state in states():
        n = count_copies(state, roles)
        assert n >= 2, (last, n)
        if waited and last in expected:
            assert n == expected[last], (last, n)
    assert count_copies(inv, roles) == 2


def test_check_copies_refuses(roles: Roles, inv: Inventory, facts: HostFacts) -> None:
    plan = build_plan(roles, inv, facts)
    # Taking A out before C finished recovering would leave one copy.
    recovering = next(s for sid, w, s in states() if sid == "1.2-add-c" and not w)
    msg = check_copies(plan.step("2.2-remove-a"), recovering, roles)
    assert msg is not None and "at least 2" in msg
    done = next(s for sid, w, s in states() if sid == "1.2-add-c" and w)
    assert check_copies(plan.step("2.2-remove-a"), done, roles) is None
