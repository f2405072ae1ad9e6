"""A small dict-backed host and a hand-built plan, to test the executor's mechanics alone.

The toy machine: three disks (sda, sdb, sdc), md0 = sda3 + sdb3 holding /, a handful of
commands that change it (mdadm grow/add/fail/remove, wipefs, sfdisk) and a recovery whose
progress follows the injected clock. Its inventory is built directly (no parsers), and its
copies ledger counts in-sync members of md0.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from backend.host import Cancel, CommandResult, IoCounters, LineSink, UdevInfo

GIB = 2**30
RECOVERY_S = 10.0


@dataclass
class ToyState:
    """Everything the toy machine knows; deep-copied to compare and to "reload"."""

    clock: float = 1000.0
    # disk -> {"serial": .., "size": .., "parts": {num: {"fstype": .., "mount": ..}}}
    disks: dict[str, dict[str, Any]] = field(default_factory=dict)
    md0: dict[str, str] = field(default_factory=dict)  # member -> "sync" | "rebuilding"
    raid_devices: int = 2
    recovery_start: float | None = None
    files: dict[str, tuple[str, int]] = field(default_factory=dict)  # path -> (text, mode)
    dirs: set[str] = field(default_factory=lambda: {"/", "/etc"})

    def stable(self) -> dict[str, Any]:
        """The state without the clock, for final-state equality."""
        d = copy.deepcopy(self.__dict__)
        d.pop("clock")
        d.pop("recovery_start")
        return d


def toy_state() -> ToyState:
    """A fresh toy machine: md0 on sda3+sdb3 (clean), sdc blank, swap on sda2/sdb2."""

    def raid_disk(serial: str) -> dict[str, Any]:
        return {
            "serial": serial,
            "size": 100 * GIB,
            "parts": {
                1: {"fstype": None, "mount": None},
                2: {"fstype": "swap", "mount": None},
                3: {"fstype": "linux_raid_member", "mount": None},
            },
        }

    return ToyState(
        disks={
            "sda": raid_disk("WD-AAAA111111"),
            "sdb": raid_disk("WD-BBBB222222"),
            "sdc": {"serial": "S3Z-CCCC333333", "size": 120 * GIB, "parts": {}},
        },
        md0={"sda3": "sync", "sdb3": "sync"},
    )


class FakeHost:
    """A Host over a ToyState, recording every command (argv, stdin)."""

    def __init__(self, state: ToyState | None = None) -> None:
        self.state = state or toy_state()
        self.log: list[tuple[tuple[str, ...], str | None]] = []
        self.faults: set[tuple[str, ...]] = set()
        self.polls = 0

    # -- Host protocol --------------------------------------------------------------------
    @property
    def description(self) -> str:
        return "toy machine"

    @property
    def read_only(self) -> bool:
        return False

    def run(
        self,
        argv: Sequence[str],
        *,
        stdin: str | None = None,
        on_line: LineSink | None = None,
        cancel: Cancel | None = None,
    ) -> CommandResult:
        args = tuple(argv)
        self.log.append((args, stdin))
        if args in self.faults:
            return self._out(args, 1, ["fault injected: " + " ".join(args)], on_line)
        rc, lines = self._execute(args, stdin, cancel)
        return self._out(args, rc, lines, on_line)

    def read_file(self, path: str) -> str:
        if path not in self.state.files:
            raise FileNotFoundError(path)
        return self.state.files[path][0]

    def write_file(self, path: str, text: str, mode: int = 0o644) -> None:
        self.state.files[path] = (text, mode)

    def exists(self, path: str) -> bool:
        return path in self.state.files or path in self.state.dirs

    def which(self, tool: str) -> str | None:
        return f"/usr/bin/{tool}"

    def udev(self) -> Mapping[str, UdevInfo]:
        return {}

    def io_counters(self) -> Mapping[str, IoCounters]:
        return {}

    def is_root(self) -> bool:
        return True

    def clock(self) -> float:
        return self.state.clock

    def sleep(self, seconds: float) -> None:
        self.polls += 1
        self.state.clock += seconds

    # -- toy commands ---------------------------------------------------------------------
    def _out(
        self, args: tuple[str, ...], rc: int, lines: list[str], on_line: LineSink | None
    ) -> CommandResult:
        if on_line is not None:
            for line in lines:
                on_line(line)
        text = "".join(line + "\n" for line in lines)
        return CommandResult(args, rc, text if rc == 0 else "", "" if rc == 0 else text)

    def _execute(
        self, a: tuple[str, ...], stdin: str | None, cancel: Cancel | None
    ) -> tuple[int, list[str]]:
        s = self.state
        self.settle()
        if a[:2] == ("sfdisk", "-d"):
            disk = s.disks[a[2].removeprefix("/dev/")]
            lines = [
                "label: gpt",
                "label-id: 5A4D-11",
                f"device: {a[2]}",
                "unit: sectors",
                "first-lba: 34",
                "last-lba: 209715166",
                "sector-size: 512",
                "",
            ]
            for n in disk["parts"]:
                lines.append(
                    f"{a[2]}{n} : start={2048 * n}, size=2048, "
                    f"type=A19D880F-05FC-4D3B-A006-743F0F84911E, uuid=0000-{n}"
                )
            return 0, lines
        if a[0] == "sfdisk" and len(a) == 2:
            name = a[1].removeprefix("/dev/")
            if any(p["mount"] for p in s.disks[name]["parts"].values()):
                return 1, [f"sfdisk: {a[1]}: device busy"]
            nums = [
                int(x.split(":")[0].strip()[-1])
                for x in (stdin or "").splitlines()
                if x.startswith("/dev/")
            ]
            s.disks[name]["parts"] = {n: {"fstype": None, "mount": None} for n in nums}
            return 0, [f"The partition table has been altered ({len(nums)} partitions)."]
        if a[:4] == ("mdadm", "--grow", "/dev/md0", "--raid-devices=3") and a[4] == "--add":
            dev = a[5].removeprefix("/dev/")
            if dev in s.md0:
                return 1, [f"mdadm: Cannot open {a[5]}: Device or resource busy"]
            s.md0[dev] = "rebuilding"
            s.raid_devices = 3
            s.recovery_start = s.clock
            disk, num = dev[:3], int(dev[3:])
            s.disks[disk]["parts"][num]["fstype"] = "linux_raid_member"
            return 0, [f"mdadm: added {a[5]}", "raid_disks for /dev/md0 set to 3"]
        if a[:3] == ("mdadm", "/dev/md0", "--fail"):
            dev = a[3].removeprefix("/dev/")
            if dev not in s.md0:
                return 1, [f"mdadm: set device faulty failed for {a[3]}:  No such device"]
            del s.md0[dev]
            return 0, [f"mdadm: set {a[3]} faulty in /dev/md0", f"mdadm: hot removed {a[3]}"]
        if a == ("mdadm", "--grow", "/dev/md0", "--raid-devices=2"):
            s.raid_devices = 2
            return 0, ["raid_disks for /dev/md0 set to 2"]
        if a[:2] == ("wipefs", "-a"):
            dev = a[2].removeprefix("/dev/")
            if dev in s.md0:
                return 1, [f"wipefs: error: {a[2]}: probing initialization failed: busy"]
            disk, num = dev[:3], int(dev[3:])
            s.disks[disk]["parts"][num]["fstype"] = None
            return 0, [f"{a[2]}: 4 bytes were erased at offset 0x00001000 (linux_raid_member)"]
        if a[0] == "spam":
            return 0, [f"line {i}" for i in range(int(a[1]))]
        if a[0] == "block":
            # Runs until cancelled, as a child whose process group gets SIGTERM would.
            while cancel is None or not cancel.event.wait(0.01):
                pass
            return -15, ["terminated"]
        if a[:2] == ("mkdir", "-p"):
            s.dirs.add(a[-1])
            return 0, []
        if a[0] == "echo":
            return 0, [" ".join(a[1:])]
        if a[0] == "cat-stdin":
            return 0, [f"got {len(stdin or '')} bytes on stdin"]
        return 127, [f"{a[0]}: command not found"]

    def settle(self) -> None:
        """Finish the recovery when its time is up (progress follows the clock)."""
        s = self.state
        if s.recovery_start is not None and s.clock - s.recovery_start >= RECOVERY_S:
            for dev in s.md0:
                s.md0[dev] = "sync"
            s.recovery_start = None


class Recorder:
    """Collects events (thread-safe) for assertions."""

    def __init__(self) -> None:
        self.events: list[object] = []
        self._lock = threading.Lock()

    def __call__(self, event: object) -> None:
        with self._lock:
            self.events.append(event)

    def of(self, cls: type[Any]) -> list[Any]:
        """The events of one class, in order."""
        return [e for e in self.events if isinstance(e, cls)]
