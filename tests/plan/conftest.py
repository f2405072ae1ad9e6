"""Shared fixtures for the planner tests: the demo inventory, roles and host facts."""

from __future__ import annotations

import pytest

from backend.model import Inventory
from backend.plan.facts import HostFacts
from backend.plan.roles import Roles, propose_roles
from tests.plan.demo_states import start

TOOLS = ("mdadm", "sfdisk", "wipefs", "rsync", "nixos-rebuild", "zpool", "zfs")


def make_facts(**kw: object) -> HostFacts:
    """Facts of a healthy demo host (root, tools, one host id, a session scope)."""
    base: dict[str, object] = dict(
        tools={t: f"/run/current-system/sw/bin/{t}" for t in TOOLS},
        machine_id="4f2a9c7e1b3d4e5f8a6b0c2d9e1f3a57",
        hostid_file="4f2a9c7e",
        hostid_cmd="4f2a9c7e",
        cgroup="0::/user.slice/user-0.slice/session-3.scope\n",
    )
    base.update(kw)
    return HostFacts(**base)  # type: ignore[arg-type]


@pytest.fixture
def inv() -> Inventory:
    return start().inv()


@pytest.fixture
def facts() -> HostFacts:
    return make_facts()


@pytest.fixture
def roles(inv: Inventory) -> Roles:
    r = propose_roles(inv)
    assert isinstance(r, Roles)
    return r
