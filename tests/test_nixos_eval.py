"""The generated NixOS module, evaluated by the real Nix evaluator (nix-instantiate from
Debian's nix-bin) with stub config/lib/pkgs; skipped without it unless MD2ZFS_REQUIRE_NIX=1."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from backend.nixos import render_for
from backend.plan.roles import Roles, propose_roles
from tests.plan.conftest import make_facts
from tests.plan.demo_states import states

# mkForce tags its value the way nixpkgs' lib does, so the test sees what is forced.
STUB = (
    '{ mkForce = v: { _type = "override"; priority = 50; content = v; };'
    '  mkDefault = v: { _type = "override"; priority = 1000; content = v; };'
    '  mkIf = c: v: { _type = "if"; condition = c; content = v; }; }'
)


def _nix() -> str:
    found = shutil.which("nix-instantiate")
    if found is None:
        if os.environ.get("MD2ZFS_REQUIRE_NIX") == "1":
            pytest.fail(
                "nix-instantiate is missing but MD2ZFS_REQUIRE_NIX=1 (apt-get install nix-bin)"
            )
        pytest.skip("nix-instantiate not installed (Debian package nix-bin)")
    return found


def _eval(tmp_path: Path, text: str) -> Any:
    (tmp_path / "md2zfs.nix").write_text(text)
    expr = f"(import ./md2zfs.nix {{ config = {{}}; lib = {STUB}; pkgs = {{}}; }})"
    env = {**os.environ, "NIX_STATE_DIR": str(tmp_path / "state"), "HOME": str(tmp_path)}
    out = subprocess.run(
        [_nix(), "--eval", "--strict", "--json", "--readonly-mode", "-E", expr],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _forced(v: Any) -> Any:
    assert v["_type"] == "override" and v["priority"] == 50
    return v["content"]


def _roles_and_inv(encrypted: bool) -> tuple[Roles, Any]:
    inv = next(s for sid, _, s in states() if sid == "4.3-mkfs-boot")
    roles = propose_roles(states()[0][2])
    assert isinstance(roles, Roles)
    if encrypted:
        roles = replace(roles, encryption="passphrase-keyfile")
    return roles, inv


def test_root_on_zfs_module(tmp_path: Path) -> None:
    roles, inv = _roles_and_inv(encrypted=True)
    v = _eval(tmp_path, render_for(roles, inv, make_facts(), "root-on-zfs"))
    assert v["networking"]["hostId"] == "4f2a9c7e"
    assert v["boot"]["supportedFilesystems"] == ["zfs"]
    assert v["boot"]["swraid"]["enable"] is True
    assert v["boot"]["zfs"]["devNodes"] == "/dev/disk/by-id"
    root = _forced(v["fileSystems"]["/"])
    assert root == {"device": "rpool/root", "fsType": "zfs"}
    assert _forced(v["fileSystems"]["/nix"])["device"] == "rpool/root/nix"
    boot = _forced(v["fileSystems"]["/boot"])
    assert boot == {
        "device": "/dev/disk/by-uuid/0b1e2c3d-aaaa-bbbb-cccc-0123456789ab",
        "fsType": "ext4",
    }
    key = "/etc/secrets/zfs-rpool.key"
    assert v["boot"]["initrd"]["secrets"] == {key: key}
    assert _forced(v["boot"]["loader"]["grub"]["devices"]) == [
        "/dev/disk/by-id/ata-Samsung_SSD_870_EVO_1TB_S6PTNM0T412873K",
        "/dev/disk/by-id/ata-WD_Blue_SA510_2.5_1000GB_23304K800913",
    ]
    assert _forced(v["swapDevices"]) == []
    target = v["systemd"]["targets"]["md2zfs-maintenance"]
    assert target["unitConfig"]["AllowIsolate"] is True and "sshd.service" in target["wants"]


def test_zfs_enable_module(tmp_path: Path) -> None:
    roles, inv = _roles_and_inv(encrypted=False)
    v = _eval(tmp_path, render_for(roles, inv, make_facts(), "zfs-enable"))
    assert v["boot"]["supportedFilesystems"] == ["zfs"]
    assert v["networking"]["hostId"] == "4f2a9c7e"
    assert "fileSystems" not in v and "initrd" not in v["boot"]


def test_host_id_left_to_configuration(tmp_path: Path) -> None:
    roles, inv = _roles_and_inv(encrypted=False)
    facts = make_facts(
        config_files={"/etc/nixos/configuration.nix": 'networking.hostId = "deadbeef";'}
    )
    v = _eval(tmp_path, render_for(roles, inv, facts, "root-on-zfs"))
    assert "networking" not in v
    assert "initrd" not in v["boot"]


def test_no_serial_uses_by_path(tmp_path: Path) -> None:
    roles, inv = _roles_and_inv(encrypted=False)
    disks = tuple(
        replace(d, by_id=(), by_path=(f"/dev/disk/by-path/pci-0000:00:1f.2-ata-{i}",))
        for i, d in enumerate(inv.disks)
    )
    v = _eval(tmp_path, render_for(roles, replace(inv, disks=disks), make_facts(), "root-on-zfs"))
    assert v["boot"]["zfs"]["devNodes"] == "/dev/disk/by-path"
    assert all(
        d.startswith("/dev/disk/by-path/") for d in _forced(v["boot"]["loader"]["grub"]["devices"])
    )
