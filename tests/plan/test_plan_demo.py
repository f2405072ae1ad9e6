"""The plan for the demo server: phases, exact argv (COMMANDS.md), copies, destroys."""

from __future__ import annotations

import itertools
from dataclasses import replace

from backend.model import Inventory
from backend.plan.build import build_plan
from backend.plan.facts import HostFacts
from backend.plan.roles import Roles
from backend.plan.step import Action, Command
from tests.sim import walk

A_ID = "/dev/disk/by-id/ata-Samsung_SSD_870_EVO_1TB_S6PTNM0T412873K"
B_ID = "/dev/disk/by-id/ata-WD_Blue_SA510_2.5_1000GB_23304K800913"


def test_roles_proposed(roles: Roles) -> None:
    assert roles.array == "md0" and roles.member_a == 3 and roles.member_b == 3
    assert str(roles.disk_a) == "wwn:0x5002538f4231a7c2"
    assert str(roles.disk_c) == "wwn:0x500a0751e8a41f07"
    assert roles.pool == "rpool" and roles.boot_array == "md1"
    assert Roles.from_json(roles.to_json()) == roles


def test_phases_and_argv(roles: Roles, inv: Inventory, facts: HostFacts) -> None:
    plan = build_plan(roles, inv, facts)
    assert [p.number for p in plan.phases] == list(range(8))
    assert all(p.steps for p in plan.phases)
    argv = {s.id: s.argvs() for s in plan.steps()}
    assert argv["1.2-add-c"] == (
        ("mdadm", "--grow", "/dev/md0", "--raid-devices=3", "--add", "/dev/sdc3"),
    )
    copy = plan.step("1.1-partition-c").operations[0]
    assert isinstance(copy, Action) and dict(copy.params) == {
        "source": "/dev/sda",
        "target": "/dev/sdc",
    }
    assert argv["2.1-swapoff-a"] == (("swapoff", "/dev/sda2"),)
    assert argv["2.2-remove-a"] == (
        ("mdadm", "/dev/md0", "--fail", "/dev/sda3", "--remove", "/dev/sda3"),
    )
    assert argv["2.3-shrink-r"] == (("mdadm", "--grow", "/dev/md0", "--raid-devices=2"),)
    assert argv["2.4-wipe-a"] == (("wipefs", "-a", "/dev/sda3"),)
    assert argv["3.1-enable-zfs"] == (("nixos-rebuild", "switch"), ("modprobe", "zfs"))
    assert argv["4.1-partition-a"] == (("sfdisk", "/dev/sda"),)
    assert argv["4.2-create-boot-array"] == (walk.CREATE_BOOT_ARRAY,)
    assert argv["4.3-mkfs-boot"] == (walk.MKFS_BOOT, walk.UDEV_CHANGE_MD1)
    assert argv["4.4-create-pool"] == (
        ("zpool", "create", "-f", *walk.POOL_OPTIONS, "rpool", A_ID + "-part3"),
    )
    assert argv["4.5-create-datasets"] == (
        ("zfs", "create", "rpool/root"),
        ("zfs", "create", "rpool/root/etc"),
        ("zfs", "create", "rpool/root/nix"),
        ("zfs", "create", "-o", "sync=disabled", "rpool/root/tmp"),
        ("zfs", "create", "-o", "atime=on", "rpool/root/var"),
    )
    first = argv["4.6-first-copy"]
    assert first[:2] == (("mkdir", "-p", "/mnt"), ("mount", "-t", "zfs", "rpool/root", "/mnt"))
    assert ("mount", "/dev/md1", "/mnt/boot") in first
    assert first[-1] == ("rsync", "-aHAXS", "--one-file-system", "--info=progress2", "/", "/mnt/")
    assert argv["5.1-teach-nixos"][0] == ("nixos-rebuild", "dry-activate")
    assert argv["6.2-isolate"] == (("systemctl", "isolate", "md2zfs-maintenance.target"),)
    assert argv["6.3-stop-journald"][0][:2] == ("systemctl", "stop")
    assert argv["6.4-final-copy"] == (
        ("rsync", "-aHAXS", "--delete", "--one-file-system", "--info=progress2", "/", "/mnt/"),
    )
    boot = walk.BOOT_FROM_MNT
    assert argv["6.5-boot-new-root"] == (boot,) and argv["6.12-boot-both"] == (boot,)
    assert argv["6.6-remove-b"] == (
        ("mdadm", "/dev/md0", "--fail", "/dev/sdb3", "--remove", "/dev/sdb3"),
    )
    assert argv["6.7-swapoff-b"] == (("swapoff", "/dev/sdb2"),)
    assert argv["6.8-wipe-b"] == (("wipefs", "-a", "/dev/sdb3"),)
    assert argv["6.9-partition-b"] == (("sfdisk", "/dev/sdb"),)
    assert argv["6.10-add-boot-b"] == (
        ("mdadm", "--grow", "/dev/md1", "--raid-devices=2", "--add", "/dev/sdb2"),
    )
    assert argv["6.11-attach-b"] == (
        ("zpool", "attach", "rpool", A_ID + "-part3", B_ID + "-part3"),
    )
    assert argv["6.14-unmount"][0] == ("umount", "/mnt/boot") and argv["6.14-unmount"][-1] == (
        "umount",
        "/mnt",
    )
    assert argv["6.15-reboot"] == (("systemctl", "reboot"),)
    assert plan.step("6.15-reboot").kind == "reboot"
    assert argv["7.2-stop-r"] == (("mdadm", "--stop", "/dev/md0"), ("udevadm", "settle"))
    assert argv["7.3-wipe-c"] == (("wipefs", "-a", "/dev/sdc3"),)
    assert argv["7.4-wipe-c-table"] == (("wipefs", "-a", "/dev/sdc"),)


def test_new_layout_script(roles: Roles, inv: Inventory, facts: HostFacts) -> None:
    cmd = build_plan(roles, inv, facts).step("4.1-partition-a").operations[0]
    assert isinstance(cmd, Command) and cmd.stdin is not None
    lines = cmd.stdin.splitlines()
    assert lines[0] == "label: gpt"
    assert "type=21686148-6449-6E6F-744E-656564454649" in lines[-3]
    assert "size=     4194304, type=A19D880F-05FC-4D3B-A006-743F0F84911E" in lines[-2]
    assert lines[-1].endswith("type=6A898CC3-1DD2-11B2-99A6-080020736631")


def test_copies_never_below_two(roles: Roles, inv: Inventory, facts: HostFacts) -> None:
    steps = build_plan(roles, inv, facts).steps()
    assert all(s.copies_after >= 2 and s.copies_before >= 2 for s in steps)
    for prev, nxt in itertools.pairwise(steps):
        assert prev.copies_after == nxt.copies_before, (prev.id, nxt.id)
    assert steps[0].copies_before == 2 and steps[-1].copies_after == 2
    assert max(s.copies_after for s in steps) == 3


def test_destructive_steps_name_identities(roles: Roles, inv: Inventory, facts: HostFacts) -> None:
    plan = build_plan(roles, inv, facts)
    destructive = {s.id for s in plan.steps() if s.destructive}
    assert {
        "1.1-partition-c",
        "2.4-wipe-a",
        "4.1-partition-a",
        "6.8-wipe-b",
        "6.9-partition-b",
        "7.3-wipe-c",
        "7.4-wipe-c-table",
    } <= destructive
    for s in plan.steps():
        for d in s.destroys:
            assert d.identity.kind == "wwn" and d.device.startswith("/dev/") and d.what
            assert len(inv.resolve(d.identity)) == 1
        # Anything that writes a disk or a superblock must say so.
        for argv in s.argvs():
            if argv[0] in ("sfdisk", "wipefs", "shred") and "-d" not in argv:
                assert s.destroys, s.id


def test_passphrase_never_in_argv(roles: Roles, inv: Inventory, facts: HostFacts) -> None:
    enc = replace(roles, encryption="passphrase-keyfile")
    plan = build_plan(enc, inv, facts)
    create = plan.step("4.4-create-pool")
    assert any(isinstance(op, Action) and op.name == "write-key-file" for op in create.operations)
    assert "keylocation=file:///etc/secrets/zfs-rpool.key" in create.argvs()[0]
    secret = "correct horse battery staple"
    for s in plan.steps():
        for argv in s.argvs():
            assert not any(secret in a or "passphrase=" in a for a in argv)
        for op in s.operations:
            if isinstance(op, Command):
                assert op.stdin is None or secret not in op.stdin


def test_shred_is_optional(roles: Roles, inv: Inventory, facts: HostFacts) -> None:
    assert "7.5-shred-c" not in {s.id for s in build_plan(roles, inv, facts).steps()}
    plan = build_plan(replace(roles, shred_c=True), inv, facts)
    assert plan.step("7.5-shred-c").argvs()[0] == ("shred", "-n", "1", "-v", "/dev/sdc")


def test_manual_deploy(roles: Roles, inv: Inventory, facts: HostFacts) -> None:
    plan = build_plan(replace(roles, deploy="manual"), inv, facts)
    step = plan.step("3.1-enable-zfs")
    assert step.kind == "manual" and "boot.supportedFilesystems" in step.manual_instructions
    assert plan.step("5.1-teach-nixos").kind == "manual"
