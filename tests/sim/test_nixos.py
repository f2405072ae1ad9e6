"""The sim's reading of the NixOS configuration: module priorities, Nix's own refusals."""

from __future__ import annotations

import pytest

from backend.sim.host import SimHost
from backend.sim.nixos import NixEvalError, evaluate
from tests.sim import walk

HEAD = "{ config, lib, pkgs, ... }:\n{\n"


def with_module(host: SimHost, body: str, *, first: bool = True) -> None:
    """Write md2zfs.nix and import it (first or last in the imports list)."""
    host.write_file("/etc/nixos/md2zfs.nix", HEAD + body + "}\n")
    conf = host.read_file("/etc/nixos/configuration.nix")
    line = "./hardware-configuration.nix"
    new = f"./md2zfs.nix\n      {line}" if first else f"{line}\n      ./md2zfs.nix"
    host.write_file("/etc/nixos/configuration.nix", conf.replace(line, new))


def test_mk_force_wins_whatever_the_import_order(host: SimHost) -> None:
    with_module(
        host, '  fileSystems."/" = lib.mkForce { device = "rpool/root"; fsType = "zfs"; };\n'
    )
    gen = evaluate(host.state, number=9, built_at=0.0)
    assert (gen.root_device, gen.root_fstype) == ("rpool/root", "zfs")


def test_conflicting_plain_definitions_are_nix_errors(host: SimHost) -> None:
    with_module(host, '  fileSystems."/" = { device = "rpool/root"; fsType = "zfs"; };\n')
    with pytest.raises(NixEvalError, match="has conflicting definition values"):
        evaluate(host.state, number=9, built_at=0.0)
    result = host.run(["nixos-rebuild", "switch"])
    assert result.returncode == 1
    assert result.stderr.startswith(
        'error: The option `fileSystems."/".device\' has conflicting definition values:\n'
        '- In `/etc/nixos/md2zfs.nix\': "rpool/root"\n'
    )


def test_a_second_imports_attribute_is_refused(host: SimHost) -> None:
    conf = host.read_file("/etc/nixos/configuration.nix")
    host.write_file(
        "/etc/nixos/configuration.nix",
        conf.replace("{\n  imports =", "{\n  imports = [ ./x.nix ];\n  imports =", 1),
    )
    result = host.run(["nixos-rebuild", "switch"])
    assert result.returncode == 1
    assert result.stderr.startswith(
        "error: attribute 'imports' already defined at /etc/nixos/configuration.nix:8:3"
    )


def test_lists_merge_and_mk_default_loses(host: SimHost) -> None:
    with_module(
        host,
        '  boot.loader.grub.devices = [ "/dev/disk/by-id/ata-X" ];\n'
        '  boot.supportedFilesystems = [ "zfs" ];\n'
        '  networking.hostId = "4f2a9c7e";\n',
        first=False,
    )
    conf = host.read_file("/etc/nixos/configuration.nix")
    host.write_file(
        "/etc/nixos/configuration.nix",
        conf.replace(
            "  time.timeZone", '  networking.hostId = lib.mkDefault "00000000";\n  time.timeZone'
        ),
    )
    gen = evaluate(host.state, number=9, built_at=0.0)
    assert len(gen.grub_devices) == 3 and gen.grub_devices[-1] == "/dev/disk/by-id/ata-X"
    assert gen.host_id == "4f2a9c7e" and gen.zfs
    # GRUB then refuses the device that does not exist.
    result = host.run(["nixos-rebuild", "boot"])
    assert "failed to get canonical path of `/dev/disk/by-id/ata-X'" in result.stderr


def test_files_follow_their_filesystem(host: SimHost) -> None:
    walk.through(host, 3)
    walk.phase4(host)  # /mnt/etc is rpool/root/etc
    assert host.read_file("/mnt/etc/machine-id") == host.read_file("/etc/machine-id")
    host.write_file("/mnt/etc/only-on-the-pool", "x\n")
    assert "/mnt/etc/only-on-the-pool" in host.visible_files()
    walk.run(host, "umount", "/mnt/etc")
    assert not host.exists("/mnt/etc/only-on-the-pool")
    walk.run(host, "mount", "-t", "zfs", "rpool/root/etc", "/mnt/etc")
    assert host.read_file("/mnt/etc/only-on-the-pool") == "x\n"
