"""The module text and the one-line import change (no Nix needed: see test_nixos_eval.py)."""

from __future__ import annotations

import pytest

from backend.nixos import host_id_for, import_line_change, render_for
from backend.plan.roles import Roles
from tests.plan.conftest import make_facts
from tests.plan.demo_states import states

DEMO_CONFIG = """{ config, pkgs, ... }:

{
  imports =
    [ # Include the results of the hardware scan.
      ./hardware-configuration.nix
    ];

  boot.loader.grub.enable = true;
}
"""


def _one_line_change(old: str, new: str) -> None:
    a, b = old.splitlines(), new.splitlines()
    if len(b) == len(a):
        assert sum(x != y for x, y in zip(a, b, strict=True)) == 1
    else:
        assert len(b) == len(a) + 1
        for line in a:
            b.remove(line)
        assert len(b) == 1


@pytest.mark.parametrize(
    "text",
    [
        DEMO_CONFIG,
        "{ config, ... }:\n{\n  imports = [ ./hardware-configuration.nix ];\n}\n",
        "{ config, ... }:\n{\n  boot.x = 1;\n}\n",
        "{ ... }:\n{\n  imports = [\n    ./a.nix\n    ./b.nix\n  ];\n}\n",
        "{ lib, ... }: {\n  imports = [ ./a.nix # a comment with [ and ]\n  ];\n}\n",
    ],
)
def test_import_is_one_line_and_last(text: str) -> None:
    new, line = import_line_change(text)
    assert line and "./md2zfs.nix" in line and line in new
    _one_line_change(text, new)
    # Last in the list: every other import comes before it.
    assert new.index("./md2zfs.nix") > max(
        new.rfind("./a.nix"), new.rfind("./b.nix"), new.rfind("./hardware-configuration.nix")
    )
    again, nothing = import_line_change(new)
    assert again == new and nothing == ""


def test_demo_import_line() -> None:
    new, line = import_line_change(DEMO_CONFIG)
    assert line == "      ./md2zfs.nix"
    assert "./hardware-configuration.nix\n      ./md2zfs.nix\n    ];" in new


def test_import_ignores_commented_mention() -> None:
    text = "{ ... }:\n{\n  # imports = [ ./md2zfs.nix ];\n  imports = [ ];\n}\n"
    new, line = import_line_change(text)
    assert line and new.count("./md2zfs.nix") == 2


def test_host_id_sources() -> None:
    assert host_id_for(make_facts()) == ("4f2a9c7e", "the first 8 hex digits of /etc/machine-id")
    cfg = make_facts(
        config_files={"/etc/nixos/configuration.nix": 'networking.hostId = "abcd0123";'}
    )
    assert host_id_for(cfg)[0] is None
    no_mid = make_facts(machine_id=None, hostid_file="0badc0de")
    assert host_id_for(no_mid)[0] == "0badc0de"


def test_module_stages(roles: Roles) -> None:
    inv = next(s for sid, _, s in states() if sid == "4.3-mkfs-boot")
    enable = render_for(roles, inv, make_facts(), "zfs-enable")
    assert 'boot.supportedFilesystems = [ "zfs" ];' in enable
    assert "fileSystems" not in enable and "md2zfs-maintenance" in enable
    full = render_for(roles, inv, make_facts(), "root-on-zfs")
    assert 'fileSystems."/" = lib.mkForce { device = "rpool/root"; fsType = "zfs"; };' in full
    assert "/dev/disk/by-uuid/0b1e2c3d-aaaa-bbbb-cccc-0123456789ab" in full
    assert "boot.swraid.enable = true;" in full and "initrd.secrets" not in full
