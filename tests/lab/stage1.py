"""The lab harness as boot loader: an initrd for the generation md2zfs installed in phase 5.

On the real server the reboot after phase 6 starts the new NixOS generation, whose stage 1
(built by ``nixos-rebuild``/``switch-to-configuration boot`` from the module md2zfs wrote)
writes ``/etc/hostid`` from ``networking.hostId``, imports the pool and mounts every
``fileSystems`` entry needed for boot (``/``, ``/nix``, ``/var``, ``/etc``, ...) before
stage 2 starts.  The lab guest is Debian with stand-ins for the NixOS commands, so the
harness plays that part with the image's stock initrd (which has the ZFS hooks and imports
``root=ZFS=<dataset>``), decompressed, plus a small cpio appended to it (the kernel unpacks
concatenated archives in order, later files replacing earlier ones) holding:

- ``etc/hostid``: ``networking.hostId`` as the 4 little-endian bytes zgenhostid writes;
- ``scripts/init-bottom/md2zfs-lab-mounts``: mounts the other ZFS file systems needed for
  boot (the Debian script skips datasets with ``mountpoint=legacy`` other than the root);
- ``scripts/init-bottom/ORDER``: that script first, then the stock initrd's own entries.

The configuration comes from the lab's record of the NixOS calls (``nixos-calls.jsonl``):
the last evaluation that has ``fileSystems`` is the generation phase 5 installed.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# nixpkgs nixos/lib/utils.nix pathsNeededForBoot: mounted by stage 1, the rest by systemd.
NEEDED_FOR_BOOT = (
    "/",
    "/nix",
    "/nix/store",
    "/var",
    "/var/log",
    "/var/lib",
    "/var/lib/nixos",
    "/etc",
    "/usr",
)
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
MOUNTS_SCRIPT = "scripts/init-bottom/md2zfs-lab-mounts"


@dataclass(frozen=True)
class BootEntry:
    """What the boot loader passes: the initrd file and the root= of the kernel command line."""

    initrd: Path
    root: str  # e.g. "ZFS=rpool/root"
    host_id: str
    mounts: tuple[tuple[str, str], ...]  # (dataset, mountpoint), in mount order


def evaluations(calls: Path) -> list[dict[str, Any]]:
    """Every configuration the nixos-rebuild stand-in evaluated, in call order."""
    records = [json.loads(line) for line in calls.read_text().splitlines()]
    return [r["evaluated"] for r in records if r.get("evaluated")]


def installed_config(configs: list[dict[str, Any]]) -> dict[str, Any]:
    """The last evaluated NixOS configuration with fileSystems (the one phase 5 installed)."""
    with_fs = [cfg for cfg in configs if cfg.get("fileSystems")]
    if not with_fs:
        raise ValueError("no evaluated configuration has fileSystems")
    return with_fs[-1]


def last_host_id(configs: list[dict[str, Any]]) -> str:
    """The last networking.hostId any evaluated configuration set (phase 3's, normally)."""
    ids = [
        cfg["networking"]["hostId"] for cfg in configs if cfg.get("networking", {}).get("hostId")
    ]
    if not ids:
        raise ValueError("no evaluated configuration sets networking.hostId")
    return str(ids[-1])


def stage1_mounts(cfg: dict[str, Any]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The root dataset and the other ZFS mounts stage 1 makes, parents before children."""
    fs: dict[str, dict[str, Any]] = cfg["fileSystems"]
    root = fs["/"]
    if root.get("fsType") != "zfs":
        raise ValueError(f'fileSystems."/" is not on ZFS: {root}')
    mounts = [
        (str(spec["device"]), mp)
        for mp, spec in fs.items()
        if mp != "/"
        and spec.get("fsType") == "zfs"
        and (mp in NEEDED_FOR_BOOT or spec.get("neededForBoot"))
    ]
    mounts.sort(key=lambda m: (m[1].count("/"), m[1]))
    return str(root["device"]), tuple(mounts)


def hostid_bytes(host_id: str) -> bytes:
    """/etc/hostid as zgenhostid writes it: the 32-bit id in host (little-endian) order."""
    return int(host_id, 16).to_bytes(4, "little")


def stock_order(archive: Path, directory: str = "scripts/init-bottom") -> str:
    """The ORDER file of one script directory in an uncompressed cpio archive."""
    with archive.open("rb") as f:
        out = subprocess.run(
            ["cpio", "-i", "--quiet", "--to-stdout", f"{directory}/ORDER"],
            stdin=f,
            capture_output=True,
            check=True,
        )
    if not out.stdout:
        raise ValueError(f"{archive} has no {directory}/ORDER")
    return out.stdout.decode()


def mounts_script(mounts: tuple[tuple[str, str], ...]) -> str:
    """The init-bottom script: mount each dataset under ${rootmnt}, or drop to the panic shell."""
    lines = [
        "#!/bin/sh",
        "# md2zfs lab, playing NixOS stage 1: mount the ZFS file systems needed for boot.",
        'case "$1" in prereqs) echo ""; exit 0 ;; esac',
        ". /scripts/functions",
    ]
    for dataset, mountpoint in mounts:
        lines.append(
            f'mount.zfs {dataset} "${{rootmnt}}{mountpoint}" '
            f'|| panic "md2zfs lab stage 1: cannot mount {dataset} on {mountpoint}"'
        )
    return "\n".join(lines) + "\n"


def newc(files: list[tuple[str, bytes, int]]) -> bytes:
    """An uncompressed cpio archive (newc, as the kernel unpacks it) of (path, data, mode)."""
    out = bytearray()

    def entry(ino: int, name: str, data: bytes, mode: int) -> None:
        raw = name.encode() + b"\0"
        fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(raw), 0]
        out.extend(b"070701" + "".join(f"{v:08x}" for v in fields).encode() + raw)
        out.extend(b"\0" * (-len(out) % 4))
        out.extend(data)
        out.extend(b"\0" * (-len(out) % 4))

    for ino, (path, data, mode) in enumerate(files, start=1):
        entry(ino, path, data, mode)
    entry(0, "TRAILER!!!", b"", 0)
    return bytes(out)


def boot_entry(stock_initrd: Path, calls: Path, out: Path) -> BootEntry:
    """Write out = stock initrd + the stage 1 cpio for the installed generation."""
    configs = evaluations(calls)
    cfg = installed_config(configs)
    host_id = cfg.get("networking", {}).get("hostId") or last_host_id(configs)
    root, mounts = stage1_mounts(cfg)
    with stock_initrd.open("rb") as f:
        if f.read(4) != ZSTD_MAGIC:
            raise ValueError(f"{stock_initrd} is not a single zstd-compressed cpio archive")
    tmp = out.with_name(out.name + ".tmp")
    # Decompressed, so the two archives are plain cpio one after the other (what the kernel
    # surely unpacks in order), rather than relying on its zstd decoder to stop exactly at
    # the end of the first one.
    with tmp.open("wb") as f:
        subprocess.run(["zstd", "-dc", str(stock_initrd)], stdout=f, check=True)
    order = f'/{MOUNTS_SCRIPT} "$@"\n' + stock_order(tmp)
    extra = newc(
        [
            ("etc/hostid", hostid_bytes(host_id), 0o100644),
            (MOUNTS_SCRIPT, mounts_script(mounts).encode(), 0o100755),
            ("scripts/init-bottom/ORDER", order.encode(), 0o100644),
        ]
    )
    with tmp.open("ab") as f:
        f.write(b"\0" * (-tmp.stat().st_size % 4))
        f.write(extra)
    tmp.rename(out)
    return BootEntry(out, f"ZFS={root}", host_id, mounts)
