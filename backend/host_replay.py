"""A captured directory (written by `md2zfs capture`) replayed as a read-only Host.

Probing commands are answered from the files the capture saved; anything else is refused
without running. Any file may be missing: the inventory reports what is there.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from backend.host import Cancel, CommandResult, IoCounters, LineSink, ReadOnlyHostError, UdevInfo

# Files read with read_file(path) -> capture file name.
FILE_NAMES: dict[str, str] = {
    "/proc/mdstat": "proc_mdstat",
    "/proc/self/mounts": "proc_mounts",
    "/proc/swaps": "proc_swaps",
}


def capture_name(argv: Sequence[str]) -> str | None:
    """The capture file that holds this probing command's output, or None."""
    a = tuple(argv)
    if a[:1] == ("lsblk",):
        return "lsblk.json"
    if a[:3] == ("mdadm", "--detail", "--export") and len(a) == 4:
        return f"mdadm_detail_{Path(a[3]).name}.export"
    if a[:2] == ("mdadm", "--detail") and len(a) == 3:
        return f"mdadm_detail_{Path(a[2]).name}.txt"
    if a[:2] == ("zpool", "status"):
        return "zpool_status.json" if "-j" in a else "zpool_status.txt"
    if a == ("zpool", "import"):
        return "zpool_import.txt"
    if a[:2] == ("zfs", "list"):
        return "zfs_list.txt"
    if a == ("hostid",):
        return "hostid.txt"
    return None


class ReplayHost:
    """Read-only host backed by a capture directory."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise FileNotFoundError(f"replay directory {self.directory} does not exist")
        meta_path = self.directory / "meta.json"
        self.meta: dict[str, object] = {}
        if meta_path.is_file():
            try:
                loaded = json.loads(meta_path.read_text())
                if isinstance(loaded, dict):
                    self.meta = loaded
            except json.JSONDecodeError:
                self.meta = {}

    @property
    def description(self) -> str:
        """Human name."""
        return f"replay of {self.directory}"

    @property
    def read_only(self) -> bool:
        """Always."""
        return True

    def run(
        self,
        argv: Sequence[str],
        *,
        stdin: str | None = None,
        on_line: LineSink | None = None,
        cancel: Cancel | None = None,
    ) -> CommandResult:
        """Answer a probing command from its capture file; refuse anything else."""
        args = tuple(argv)
        name = capture_name(args)
        if name is None:
            raise ReadOnlyHostError(f"a replay is read-only: {' '.join(args)} was not run")
        path = self.directory / name
        if not path.is_file():
            return CommandResult(args, 1, "", f"{args[0]}: not in this capture ({name})\n")
        text = path.read_text(errors="replace")
        if on_line is not None:
            for line in text.splitlines():
                on_line(line)
        return CommandResult(args, 0, text, "")

    def read_file(self, path: str) -> str:
        """A captured file: /proc files by their capture names, others under files/."""
        name = FILE_NAMES.get(path)
        candidate = self.directory / name if name else self.directory / "files" / path.lstrip("/")
        if not candidate.is_file():
            raise FileNotFoundError(path)
        return candidate.read_text(errors="replace")

    def write_file(self, path: str, text: str, mode: int = 0o644) -> None:
        """Refused: a replay never changes anything."""
        raise ReadOnlyHostError(f"a replay is read-only: {path} was not written")

    def exists(self, path: str) -> bool:
        """True for captured files."""
        try:
            self.read_file(path)
        except FileNotFoundError:
            return False
        return True

    def which(self, tool: str) -> str | None:
        """The tools the capture recorded, or those whose output it holds."""
        tools = self.meta.get("tools")
        if isinstance(tools, dict) and tool in tools:
            value = tools[tool]
            return value if isinstance(value, str) else None
        evidence = {
            "zpool": ("zpool_status.txt", "zpool_status.json"),
            "zfs": ("zfs_list.txt",),
            "lsblk": ("lsblk.json",),
        }.get(tool, ())
        if any((self.directory / f).is_file() for f in evidence):
            return f"/replay/{tool}"
        if tool == "mdadm" and self.array_names():
            return "/replay/mdadm"
        return None

    def array_names(self) -> tuple[str, ...]:
        """Arrays with a captured `mdadm --detail` (text or export)."""
        names = set()
        for path in self.directory.glob("mdadm_detail_*"):
            stem = path.name.removeprefix("mdadm_detail_")
            names.add(stem.rsplit(".", 1)[0])
        return tuple(sorted(names))

    def udev(self) -> Mapping[str, UdevInfo]:
        """udev identities saved by the capture (udev.json), if any."""
        path = self.directory / "udev.json"
        if not path.is_file():
            return {}
        try:
            raw = json.loads(path.read_text())
        except json.JSONDecodeError:
            return {}
        out: dict[str, UdevInfo] = {}
        if not isinstance(raw, dict):
            return out
        for name, item in raw.items():
            if not isinstance(item, dict):
                continue
            out[name] = UdevInfo(
                name=name,
                serial=item.get("serial"),
                wwn=item.get("wwn"),
                model=item.get("model"),
                by_id=tuple(item.get("by_id") or ()),
                by_path=tuple(item.get("by_path") or ()),
                part_entry_type=item.get("part_entry_type"),
                part_entry_number=item.get("part_entry_number"),
            )
        return out

    def io_counters(self) -> Mapping[str, IoCounters]:
        """No live I/O in a replay."""
        return {}

    def is_root(self) -> bool:
        """Never: nothing may change."""
        return False

    def clock(self) -> float:
        """The capture's time when recorded, else now."""
        at = self.meta.get("time")
        return float(at) if isinstance(at, (int, float)) else time.time()

    def sleep(self, seconds: float) -> None:
        """Nothing changes in a replay, so there is nothing to wait for."""
