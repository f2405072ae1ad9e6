"""The lab's boot-loader stand-in (tests/lab/stage1.py), without QEMU: pure functions."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "lab"))

import stage1

CONFIG = {
    "networking": {"hostId": "8401dd4c"},
    "fileSystems": {
        "/": {"device": "rpool/root", "fsType": "zfs"},
        "/boot": {"device": "/dev/disk/by-uuid/db17", "fsType": "ext4"},
        "/var": {"device": "rpool/root/var", "fsType": "zfs"},
        "/var/log": {"device": "rpool/root/var/log", "fsType": "zfs"},
        "/etc": {"device": "rpool/root/etc", "fsType": "zfs"},
        "/tmp": {"device": "rpool/root/tmp", "fsType": "zfs"},
        "/srv": {"device": "rpool/srv", "fsType": "zfs", "neededForBoot": True},
        "/home": {"device": "rpool/home", "fsType": "zfs"},
    },
}


def test_stage1_mounts_what_nixos_mounts_in_stage_1_parents_first() -> None:
    root, mounts = stage1.stage1_mounts(CONFIG)
    assert root == "rpool/root"
    # /tmp and /home are stage 2's (systemd's); /boot is not ZFS; /srv asked for it.
    assert mounts == (
        ("rpool/root/etc", "/etc"),
        ("rpool/srv", "/srv"),
        ("rpool/root/var", "/var"),
        ("rpool/root/var/log", "/var/log"),
    )


def test_a_root_not_on_zfs_is_an_error() -> None:
    with pytest.raises(ValueError, match="not on ZFS"):
        stage1.stage1_mounts({"fileSystems": {"/": {"device": "/dev/md0", "fsType": "ext4"}}})


def test_hostid_is_written_like_zgenhostid() -> None:
    # zgenhostid 8401dd4c writes the bytes 4c dd 01 84 (host order on x86).
    assert stage1.hostid_bytes("8401dd4c") == bytes.fromhex("4cdd0184")


def test_the_installed_configuration_is_the_last_one_with_file_systems(tmp_path: Path) -> None:
    calls = tmp_path / "nixos-calls.jsonl"
    first = {"cmd": "nixos-rebuild", "evaluated": {"networking": {"hostId": "0badcafe"}}}
    second = {"cmd": "nixos-rebuild", "evaluated": {"fileSystems": CONFIG["fileSystems"]}}
    calls.write_text(
        "\n".join(json.dumps(c) for c in (first, second, {"cmd": "nix-env", "argv": []})) + "\n"
    )
    configs = stage1.evaluations(calls)
    assert stage1.installed_config(configs)["fileSystems"] == CONFIG["fileSystems"]
    assert stage1.last_host_id(configs) == "0badcafe"


def _read_newc(data: bytes) -> dict[str, tuple[int, bytes]]:
    """Parse a newc archive the way the kernel does: 4-byte alignment after name and data."""
    out, pos = {}, 0
    while True:
        assert data[pos : pos + 6] == b"070701", data[pos : pos + 16]
        fields = [int(data[pos + 6 + 8 * i : pos + 14 + 8 * i], 16) for i in range(13)]
        mode, size, namesize = fields[1], fields[6], fields[11]
        name_start = pos + 110
        name = data[name_start : name_start + namesize - 1].decode()
        pos = name_start + namesize
        pos += -pos % 4
        body = data[pos : pos + size]
        pos += size
        pos += -pos % 4
        if name == "TRAILER!!!":
            assert pos == len(data)
            return out
        out[name] = (mode, body)


def test_newc_archive_is_what_the_kernel_unpacks() -> None:
    files = [("etc/hostid", b"\x4c\xdd\x01\x84", 0o100644), ("s/x", b"#!/bin/sh\n", 0o100755)]
    parsed = _read_newc(stage1.newc(files))
    assert parsed == {
        "etc/hostid": (0o100644, b"\x4c\xdd\x01\x84"),
        "s/x": (0o100755, b"#!/bin/sh\n"),
    }


def test_mounts_script_mounts_under_rootmnt_or_panics() -> None:
    text = stage1.mounts_script((("rpool/root/etc", "/etc"),))
    assert text.startswith("#!/bin/sh\n")
    assert 'mount.zfs rpool/root/etc "${rootmnt}/etc" || panic' in text
