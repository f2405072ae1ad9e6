"""The NixOS module md2zfs owns: /etc/nixos/md2zfs.nix, in two stages.

"zfs-enable" (phase 3): ZFS support, networking.hostId, the maintenance target, swraid.
"root-on-zfs" (phase 5): all of that, plus fileSystems for every dataset and /boot (md1 by
UUID), initrd secrets for the key file, GRUB on both disks, devNodes, no stale swap.

The module is plain attribute sets with one-option-per-line dotted paths (the simulated
server reads it with regular expressions); `lib.mkForce` overrides what
hardware-configuration.nix and configuration.nix already define for "/", "/boot", the GRUB
devices and swap, which would otherwise be conflicting definitions or duplicate devices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from backend.model import Inventory
from backend.plan.facts import HostFacts
from backend.plan.roles import Roles, stable_path

Stage = Literal["zfs-enable", "root-on-zfs"]
STAGES: tuple[Stage, ...] = ("zfs-enable", "root-on-zfs")
MODULE_FILE = "md2zfs.nix"
UUID_PLACEHOLDER = "<UUID of md1, known after phase 4>"
# What the maintenance target keeps: remote access and the machine's plumbing. sysinit.target
# keeps udev (by-id links for DB's new partitions) and the local mounts; getty keeps a
# console login alive; logind and dbus let new SSH logins register their session scope.
MAINTENANCE_WANTS = (
    "sysinit.target",
    "sshd.service",
    "sshd.socket",
    "network.target",
    "network-online.target",
    "systemd-networkd.service",
    "systemd-resolved.service",
    "dhcpcd.service",
    "network-setup.service",
    "dbus.service",
    "systemd-logind.service",
    "getty.target",
)


@dataclass(frozen=True)
class NixosSettings:
    """Everything the module says, decided from the roles and the live system."""

    stage: Stage
    host_id: str | None  # None: the operator's configuration sets networking.hostId
    host_id_source: str
    pool: str
    dev_nodes: str = "/dev/disk/by-id"
    filesystems: tuple[tuple[str, str, str], ...] = ()  # (mountpoint, device, fsType)
    key_file: str | None = None
    grub_devices: tuple[str, ...] = ()
    swraid: bool = True
    drop_swap: bool = False


def host_id_for(facts: HostFacts) -> tuple[str | None, str]:
    """networking.hostId to set and where it came from; None when the configuration sets it."""
    if facts.configured_host_id():
        return None, "set by the configuration"
    mid = (facts.machine_id or "").strip().lower()
    if re.fullmatch(r"[0-9a-f]{8}.*", mid):
        return mid[:8], "the first 8 hex digits of /etc/machine-id"
    if facts.hostid_file and facts.hostid_file != "00000000":
        return facts.hostid_file, "/etc/hostid"
    if facts.hostid_cmd:
        return facts.hostid_cmd, "`hostid`"
    return "00000000", "no machine-id: replace with 8 random hex digits"


def settings_for(roles: Roles, inv: Inventory, facts: HostFacts, stage: Stage) -> NixosSettings:
    """The module's settings for a stage of this migration."""
    host_id, source = host_id_for(facts)
    base = NixosSettings(stage=stage, host_id=host_id, host_id_source=source, pool=roles.pool)
    if stage == "zfs-enable":
        return base
    disks = [inv.resolve(i) for i in (roles.disk_a, roles.disk_b)]
    found = [d[0] for d in disks if len(d) == 1]
    no_serial = any(not d.by_id for d in found)
    grub = tuple(stable_path(d) for d in found)
    md1 = inv.array(roles.boot_array)
    boot_dev = f"/dev/disk/by-uuid/{md1.fs_uuid}" if md1 and md1.fs_uuid else UUID_PLACEHOLDER
    fss = [(ds.mountpoint, f"{roles.pool}/{ds.name}", "zfs") for ds in roles.datasets]
    fss.sort(key=lambda f: (f[0].count("/") if f[0] != "/" else 0, f[0]))
    fss.append(("/boot", boot_dev, "ext4"))
    swap = any(p.fstype == "swap" for d in found for p in d.partitions)
    return NixosSettings(
        stage=stage,
        host_id=host_id,
        host_id_source=source,
        pool=roles.pool,
        # Disks without a serial never appear in /dev/disk/by-id (virtio): by-path instead.
        dev_nodes="/dev/disk/by-path" if no_serial else "/dev/disk/by-id",
        filesystems=tuple(fss),
        key_file=roles.key_file if roles.encryption == "passphrase-keyfile" else None,
        grub_devices=grub,
        drop_swap=swap,
    )


def _q(text: str) -> str:
    """A Nix string literal (escaping what Nix interprets inside "...")."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("${", "\\${") + '"'


def _list(items: tuple[str, ...]) -> str:
    return "[ " + " ".join(_q(i) for i in items) + " ]"


def render_module(s: NixosSettings) -> str:
    """The text of /etc/nixos/md2zfs.nix."""
    out = [
        f"# {MODULE_FILE}: written by md2zfs (stage {s.stage}). md2zfs rewrites this file;",
        "# keep your own settings in configuration.nix.",
        "{ config, lib, pkgs, ... }:",
        "",
        "{",
        '  boot.supportedFilesystems = [ "zfs" ];',
    ]
    if s.host_id is not None:
        out.append(f"  networking.hostId = {_q(s.host_id)};  # from {s.host_id_source}")
    else:
        out.append("  # networking.hostId is set by your configuration; the pool records it.")
    out += [
        "  # boot.zfs.forceImportRoot keeps its default (false since nixpkgs 26.11): the pool",
        "  # imports because its host id equals networking.hostId, not by force.",
        f"  boot.zfs.devNodes = {_q(s.dev_nodes)};",
        "  boot.swraid.enable = " + ("true;" if s.swraid else "false;"),
        "",
        "  systemd.targets.md2zfs-maintenance = {",
        '    description = "md2zfs maintenance: only sshd and networking";',
        f"    wants = {_list(MAINTENANCE_WANTS)};",
        '    after = [ "sysinit.target" ];',
        "    unitConfig.AllowIsolate = true;",
        "  };",
    ]
    if s.stage == "root-on-zfs":
        out.append("")
        for mountpoint, device, fstype in s.filesystems:
            out.append(
                f"  fileSystems.{_q(mountpoint)} = lib.mkForce "
                f"{{ device = {_q(device)}; fsType = {_q(fstype)}; }};"
            )
        if s.key_file:
            out += [
                "  # The key file goes into the initrd (weak: anyone who reads /boot can read",
                "  # it). Later: `zfs change-key -o keylocation=prompt` for a boot passphrase.",
                "  boot.initrd.secrets = {",
                f"    {_q(s.key_file)} = {_q(s.key_file)};",
                "  };",
            ]
        out.append(f"  boot.loader.grub.devices = lib.mkForce {_list(s.grub_devices)};")
        if s.drop_swap:
            out += [
                "  # The old swap partitions on DA and DB are gone (repartitioned by md2zfs).",
                "  swapDevices = lib.mkForce [",
                "  ];",
            ]
    out.append("}")
    return "\n".join(out) + "\n"


def render_for(roles: Roles, inv: Inventory, facts: HostFacts, stage: Stage) -> str:
    """settings_for + render_module."""
    return render_module(settings_for(roles, inv, facts, stage))


def _closing_bracket(code: str, after: int) -> int:
    """Offset of the `]` closing the list whose `[` ends just before `after`."""
    depth = 1
    for i in range(after, len(code)):
        if code[i] == "[":
            depth += 1
        elif code[i] == "]":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError("the imports list of configuration.nix is not closed")


_IMPORTS = re.compile(r"\bimports\s*=\s*\[")
_BODY = re.compile(r"^\s*\{[^{}]*\}\s*:\s*\{", re.M | re.S)


def import_line_change(text: str, name: str = f"./{MODULE_FILE}") -> tuple[str, str]:
    """configuration.nix with `name` last in its imports, changed by one line; and that line.

    Last, so a reader that lets later definitions win (as the simulated server does) still
    sees md2zfs's settings; NixOS itself decides by lib.mkForce. Returns (text, "") unchanged
    when the import is already there.
    """
    # Comments blanked out, not removed: offsets in `code` are offsets in `text`.
    code = re.sub(r"#[^\n]*", lambda m: " " * len(m.group(0)), text)
    if re.search(r"(?<![\w/.])" + re.escape(name) + r"(?![\w.-])", code):
        return text, ""
    m = _IMPORTS.search(code)
    if m is not None:
        close = _closing_bracket(code, m.end())
        line_start = text.rfind("\n", 0, close) + 1
        before = code[line_start:close]
        if before.strip() == "":
            # `]` opens its line: add ours as a line of its own above it, indented like the
            # entries (or the bracket plus two spaces).
            prev_start = text.rfind("\n", 0, line_start - 1) + 1
            prev = code[prev_start : line_start - 1]
            if prev.strip() and not prev.rstrip().endswith("["):
                indent = prev[: len(prev) - len(prev.lstrip())]
            else:
                indent = before + "  "
            added = f"{indent}{name}"
            return text[:line_start] + added + "\n" + text[line_start:], added
        line_end = text.find("\n", close)
        line_end = len(text) if line_end < 0 else line_end
        head = text[line_start:close].rstrip()
        new_line = f"{head} {name} " + text[close:line_end]
        return text[:line_start] + new_line + text[line_end:], new_line
    b = _BODY.search(code)
    if b is None:
        raise ValueError("cannot find the module body of configuration.nix")
    added = f"  imports = [ {name} ];"
    at = b.end()
    return text[:at] + "\n" + added + text[at:], added
