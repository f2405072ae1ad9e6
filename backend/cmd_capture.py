"""`md2zfs capture DIR`: save the raw outputs of every probing command, for a bug report.

`--replay DIR` then runs status, plan and the wizard read-only against what was saved.
Each probe is independent: one that fails is noted in meta.json and the rest go on.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

TOOLS = ("lsblk", "mdadm", "zpool", "zfs", "sfdisk", "wipefs", "rsync", "nixos-rebuild")
VERSION_ARGV = {
    "mdadm": ("mdadm", "--version"),
    "lsblk": ("lsblk", "--version"),
    "zfs": ("zfs", "version"),
    "kernel": ("uname", "-r"),
}
FILES = (
    "/etc/nixos/configuration.nix",
    "/etc/nixos/hardware-configuration.nix",
    "/etc/nixos/md2zfs.nix",
    "/etc/machine-id",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """DIR to write into."""
    parser.add_argument("directory", metavar="DIR", help="directory to write (created)")


def run(args: argparse.Namespace) -> int:
    """Capture this machine (or the demo server) into DIR."""
    from backend.hosts import open_host_or_say

    host = open_host_or_say(args)
    if host is None:
        return 2
    out = Path(args.directory)
    written = capture(host, out)
    print(f"captured {len(written)} files of {host.description} into {out}")
    for name in written:
        print(f"  {name}")
    return 0


def capture(host: object, out: Path) -> list[str]:
    """Write every probe's output into out; return the file names written."""
    import time

    from backend.host import Host
    from backend.inventory import LSBLK_ARGV, ZFS_LIST_ARGV, ZPOOL_IMPORT_ARGV
    from backend.parse.errors import ParseError
    from backend.parse.mdstat import parse_mdstat

    assert isinstance(host, Host)
    out.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    problems: dict[str, str] = {}

    def save(name: str, text: str) -> None:
        (out / name).write_text(text)
        written.append(name)

    def probe(name: str, argv: tuple[str, ...]) -> str | None:
        result = host.run(argv)
        if result.ok:
            save(name, result.stdout)
            return result.stdout
        problems[name] = f"exit {result.returncode}: {' '.join(result.tail(2))}"
        return None

    for path, name in (
        ("/proc/mdstat", "proc_mdstat"),
        ("/proc/self/mounts", "proc_mounts"),
        ("/proc/swaps", "proc_swaps"),
    ):
        try:
            save(name, host.read_file(path))
        except OSError as exc:
            problems[name] = str(exc)
    probe("lsblk.json", LSBLK_ARGV)
    arrays: tuple[str, ...] = ()
    if (out / "proc_mdstat").is_file():
        try:
            arrays = tuple(a.name for a in parse_mdstat((out / "proc_mdstat").read_text()).arrays)
        except ParseError as exc:
            problems["proc_mdstat"] = f"unreadable: {exc}"
    for md in arrays:
        probe(f"mdadm_detail_{md}.txt", ("mdadm", "--detail", f"/dev/{md}"))
        probe(f"mdadm_detail_{md}.export", ("mdadm", "--detail", "--export", f"/dev/{md}"))
    tools = {tool: host.which(tool) for tool in TOOLS}
    if tools["zpool"]:
        probe("zpool_status.txt", ("zpool", "status", "-P"))
        # -j exists from OpenZFS 2.3 on; older versions say "invalid option 'j'".
        probe("zpool_status.json", ("zpool", "status", "-j", "-P"))
        probe("zpool_import.txt", ZPOOL_IMPORT_ARGV)
    if tools["zfs"]:
        probe("zfs_list.txt", ZFS_LIST_ARGV)
    probe("hostid.txt", ("hostid",))
    udev = {
        name: {
            "serial": u.serial,
            "wwn": u.wwn,
            "model": u.model,
            "by_id": list(u.by_id),
            "by_path": list(u.by_path),
            "part_entry_type": u.part_entry_type,
            "part_entry_number": u.part_entry_number,
        }
        for name, u in host.udev().items()
    }
    save("udev.json", json.dumps(udev, indent=2, sort_keys=True))
    for path in FILES:
        try:
            text = host.read_file(path)
        except OSError:
            continue
        target = out / "files" / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        written.append(str(target.relative_to(out)))
    versions: dict[str, str] = {}
    for key, argv in VERSION_ARGV.items():
        if key != "kernel" and not tools.get(key):
            continue
        result = host.run(argv)
        first = (result.stdout or result.stderr).strip().splitlines()
        if result.ok and first:
            versions[key] = first[0]
    meta = {
        "time": time.time(),
        "host": host.description,
        "tools": tools,
        "versions": versions,
        "problems": problems,
        "md2zfs": _version(),
    }
    save("meta.json", json.dumps(meta, indent=2, sort_keys=True))
    return written


def _version() -> str:
    from backend import __version__

    return __version__
