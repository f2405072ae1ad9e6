"""Facts about the host that an `Inventory` does not hold, read once per plan build.

The planner and the checks need a few things beyond disks, arrays and pools: who we run
as, which tools exist, the host id in its three places, the NixOS configuration text, our
own cgroup (DESIGN.md §4: `systemctl isolate` must not kill md2zfs) and whether the
machine boots by UEFI. `gather_facts` reads them with file reads and one `hostid` process.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from backend.host import Host
from backend.plan.roles import Roles

TOOLS = ("mdadm", "sfdisk", "wipefs", "rsync", "nixos-rebuild", "zpool", "zfs")
NIXOS_DIR = "/etc/nixos"
CONFIGURATION_NIX = "/etc/nixos/configuration.nix"
MODULE_PATH = "/etc/nixos/md2zfs.nix"

_HOST_ID = re.compile(r'networking\.hostId\s*=\s*(?:lib\.mk\w+\s*)?"([^"]*)"')
_IMPORT = re.compile(r"(?<![\w/.])\./([\w.-]+\.nix)")


@dataclass(frozen=True)
class HostFacts:
    """What the plan needs to know about the host besides the inventory."""

    is_root: bool = True
    tools: Mapping[str, str | None] = field(default_factory=dict)  # tool -> path or None
    nixos: bool = True
    uefi: bool = False
    machine_id: str | None = None
    hostid_file: str | None = None  # /etc/hostid as 8 hex digits (binary or text on disk)
    hostid_cmd: str | None = None  # what `hostid` prints
    config_files: Mapping[str, str] = field(default_factory=dict)  # path -> text
    cgroup: str | None = None  # /proc/self/cgroup
    flake: bool = False  # /etc/nixos/flake.nix exists: nixos-rebuild would not read our import
    present: Mapping[str, bool] = field(default_factory=dict)  # asked-for paths -> exist?

    def has_tool(self, tool: str) -> bool:
        """True when the tool is on PATH."""
        return bool(self.tools.get(tool))

    @property
    def configuration_nix(self) -> str | None:
        """The text of /etc/nixos/configuration.nix, if readable."""
        return self.config_files.get(CONFIGURATION_NIX)

    @property
    def module_text(self) -> str | None:
        """The md2zfs module as it is on disk now, if any."""
        return self.config_files.get(MODULE_PATH)

    def configured_host_id(self, *, include_module: bool = False) -> str | None:
        """networking.hostId as the operator's own configuration sets it (the last one wins).

        include_module=True also counts the value md2zfs's module sets.
        """
        found = None
        for path, text in self.config_files.items():
            if path == MODULE_PATH and not include_module:
                continue
            for m in _HOST_ID.finditer(_strip_comments(text)):
                found = m.group(1)
        return found


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def normalise_hostid(raw: str | bytes | None) -> str | None:
    """/etc/hostid as 8 lower-case hex digits: 4 bytes little-endian, or text already."""
    if raw is None:
        return None
    if isinstance(raw, bytes):
        if len(raw) == 4:
            return f"{int.from_bytes(raw, 'little'):08x}"
        raw = raw.decode("ascii", "replace")
    text = raw.strip().lower()
    if re.fullmatch(r"[0-9a-f]{8}", text):
        return text
    # Read as text, but it was the binary form: hosts decode UTF-8 when the 4 bytes happen to
    # be valid UTF-8 (fewer than 4 characters then), byte-for-byte latin-1 otherwise.
    as_utf8 = raw.encode("utf-8", "surrogateescape")
    if len(as_utf8) == 4:
        return f"{int.from_bytes(as_utf8, 'little'):08x}"
    if len(raw) == 4 and all(ord(c) < 256 for c in raw):
        return f"{int.from_bytes(raw.encode('latin-1'), 'little'):08x}"
    return None


def _read(host: Host, path: str) -> str | None:
    try:
        return host.read_file(path)
    except (OSError, UnicodeDecodeError):
        return None
    except Exception:  # a replay or a sim may raise its own errors for absent files
        return None


def _config_files(host: Host) -> dict[str, str]:
    """configuration.nix and every ./x.nix it imports (the same walk the sim does)."""
    out: dict[str, str] = {}
    todo = [CONFIGURATION_NIX]
    while todo:
        path = todo.pop(0)
        if path in out:
            continue
        text = _read(host, path)
        if text is None:
            continue
        out[path] = text
        base = path.rsplit("/", 1)[0]
        todo.extend(f"{base}/{name}" for name in _IMPORT.findall(_strip_comments(text)))
    module = _read(host, MODULE_PATH)
    if module is not None:
        out.setdefault(MODULE_PATH, module)
    return out


def gather_facts(host: Host, roles: Roles | None = None) -> HostFacts:
    """Read the facts from a host: files, `which` for each tool, and one `hostid`.

    With roles: also whether the key file exists on / and on /mnt (bootability check).
    """
    paths: tuple[str, ...] = ()
    if roles is not None and roles.encryption != "none":
        paths = (roles.key_file, "/mnt" + roles.key_file)
    tools = {t: host.which(t) for t in TOOLS}
    hostid_cmd = None
    if host.which("hostid"):
        result = host.run(("hostid",))
        if result.ok:
            hostid_cmd = normalise_hostid(result.stdout.strip())
    machine_id = _read(host, "/etc/machine-id")
    files = _config_files(host)
    return HostFacts(
        is_root=host.is_root(),
        tools=tools,
        nixos=host.exists("/etc/NIXOS") or CONFIGURATION_NIX in files,
        uefi=host.exists("/sys/firmware/efi"),
        machine_id=machine_id.strip() if machine_id else None,
        hostid_file=normalise_hostid(_read(host, "/etc/hostid")),
        hostid_cmd=hostid_cmd,
        config_files=files,
        cgroup=_read(host, "/proc/self/cgroup"),
        flake=host.exists(f"{NIXOS_DIR}/flake.nix"),
        present={p: host.exists(p) for p in paths},
    )
