#!/usr/bin/python3
"""Stand-ins for the NixOS commands md2zfs calls, for the Debian guest of the md2zfs lab.

Installed (by the lab job) as ``nixos-rebuild``, ``nixos-enter``, ``nix-env`` and
``/run/current-system/bin/switch-to-configuration``: the name it is called by picks the
behaviour.  Every call is appended (as JSON) to ``/lab/job/nixos-calls.jsonl``.

``nixos-rebuild`` evaluates ``/etc/nixos/md2zfs.nix`` with the real Nix evaluator
(Debian's nix-bin: ``nix-instantiate --eval --strict --json`` with stub module arguments)
and fails when that fails.  ``switch``/``test`` then create what a NixOS rebuild would have:
``/etc/hostid`` from ``networking.hostId`` (zgenhostid), the zfs module loaded when
``boot.supportedFilesystems`` has zfs, and each ``systemd.targets.NAME`` as a runtime unit
(``/run/systemd/system/NAME.target``, then ``systemctl daemon-reload``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

LOG = Path(os.environ.get("MD2ZFS_LAB_NIXOS_LOG", "/lab/job/nixos-calls.jsonl"))
MODULE = Path("/etc/nixos/md2zfs.nix")
OFF = Path("/var/lib/md2zfs-lab/off")  # where the lab server keeps ZFS until it is enabled
STUB_LIB = (
    "{ mkForce = x: x; mkDefault = x: x; mkOverride = p: x: x; mkIf = c: x: x; "
    "mkBefore = x: x; mkAfter = x: x; }"
)


def record(name: str, argv: list[str], **extra: Any) -> None:
    """Append one call to the log."""
    with LOG.open("a") as f:
        f.write(json.dumps({"cmd": name, "argv": argv, **extra}) + "\n")


def evaluate(module: Path) -> dict[str, Any]:
    """The module's attribute set as JSON, evaluated by nix-instantiate with stub arguments."""
    expr = (
        f"import {module} {{ config = {{}}; lib = {STUB_LIB}; pkgs = {{}}; "
        'modulesPath = "/nix/modules"; }'
    )
    proc = subprocess.run(
        ["nix-instantiate", "--eval", "--strict", "--json", "-E", expr],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        print(
            f"nixos-rebuild (lab stand-in): evaluation of {module} failed:\n{proc.stderr}",
            file=sys.stderr,
        )
        raise SystemExit(1)
    value: dict[str, Any] = json.loads(proc.stdout)
    return value


def unit_text(name: str, target: dict[str, Any]) -> str:
    """A systemd .target unit equivalent to a NixOS systemd.targets.NAME definition."""
    lines = ["[Unit]", f"Description={target.get('description', name)}"]
    for key, unit_key in (
        ("wants", "Wants"),
        ("requires", "Requires"),
        ("after", "After"),
        ("before", "Before"),
    ):
        if target.get(key):
            lines.append(f"{unit_key}={' '.join(target[key])}")
    for key, value in (target.get("unitConfig") or {}).items():
        lines.append(f"{key}={'yes' if value is True else 'no' if value is False else value}")
    return "\n".join(lines) + "\n"


def enable_zfs() -> None:
    """Put back the ZFS module and tools that the lab server hid (guest_tools.sh md-root)."""
    if not OFF.is_dir():
        return
    kver = os.uname().release
    modules = OFF / "zfs-modules"
    if modules.is_dir():
        modules.rename(Path("/usr/lib/modules") / kver / "updates" / "zfs")
        subprocess.run(["depmod", "-a", kver], check=True)
    for tool in sorted((OFF / "bin").iterdir()) if (OFF / "bin").is_dir() else []:
        tool.rename(Path("/usr/sbin") / tool.name)


def apply(cfg: dict[str, Any]) -> list[str]:
    """Do what activating the configuration would do to the parts md2zfs relies on."""
    done = []
    host_id = cfg.get("networking", {}).get("hostId")
    if host_id:
        subprocess.run(["zgenhostid", "-f", host_id], check=True)
        done.append(f"/etc/hostid = {host_id}")
    if "zfs" in cfg.get("boot", {}).get("supportedFilesystems", []):
        enable_zfs()
        subprocess.run(["modprobe", "zfs"], check=True)
        done.append("zfs installed, modprobe zfs")
    targets = cfg.get("systemd", {}).get("targets", {})
    for name, target in targets.items():
        unit = Path("/run/systemd/system") / f"{name}.target"
        unit.parent.mkdir(parents=True, exist_ok=True)
        unit.write_text(unit_text(name, target))
        done.append(f"unit {unit}")
    if targets and Path("/run/systemd/system").is_dir():
        subprocess.run(["systemctl", "daemon-reload"], check=False)
    return done


def nixos_rebuild(argv: list[str]) -> int:
    """nixos-rebuild switch|boot|test|dry-activate|dry-build."""
    action = argv[0] if argv else "switch"
    cfg = evaluate(MODULE) if MODULE.exists() else {}
    done = apply(cfg) if action in ("switch", "test") else []
    record("nixos-rebuild", argv, evaluated=cfg, applied=done)
    changes = ", ".join(done) or "no changes"
    print(f"nixos-rebuild {action} (lab stand-in): {MODULE} evaluated; {changes}")
    return 0


def nixos_enter(argv: list[str]) -> int:
    """nixos-enter --root DIR -- CMD...: switch-to-configuration is recorded, the rest chrooted."""
    root = "/mnt"
    if "--root" in argv:
        root = argv[argv.index("--root") + 1]
    cmd = argv[argv.index("--") + 1 :] if "--" in argv else ["/bin/sh"]
    record("nixos-enter", argv, root=root)
    if cmd and cmd[0].endswith("switch-to-configuration"):
        record("switch-to-configuration", cmd[1:], root=root)
        print(f"switch-to-configuration {' '.join(cmd[1:])} in {root} (lab stand-in)")
        return 0
    return subprocess.run(["chroot", root, *cmd]).returncode


def main() -> int:
    """Dispatch on the name this script was called by."""
    name = Path(sys.argv[0]).name
    argv = sys.argv[1:]
    if name == "nixos-rebuild":
        return nixos_rebuild(argv)
    if name == "nixos-enter":
        return nixos_enter(argv)
    record(name, argv)
    print(f"{name} {' '.join(argv)} (lab stand-in: recorded)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
