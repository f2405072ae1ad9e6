"""`SimHost`: the simulated demo server behind the `Host` protocol.

Every command is answered from `SimState` with the real tools' text. A command that changes
the state persists it to `state_file` (temp file + rename) before run() returns, so a
process killed at any moment leaves a consistent file that `SimHost.load` resumes from.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import backend.sim.commands as commands
import backend.sim.files as files
import backend.sim.render_blk as render_blk
import backend.sim.render_md as render_md
from backend.host import Cancel, CommandResult, IoCounters, LineSink, UdevInfo
from backend.sim.clock import FakeClock, RealClock, SimClock
from backend.sim.context import Ctx
from backend.sim.demo import demo_state
from backend.sim.devices import resolve, symlinks, udev_map
from backend.sim.persist import from_json, to_json
from backend.sim.progress import md_done_kib, scan_done_bytes, settle
from backend.sim.state import SimDisk, SimFile, SimState, leaves

__all__ = ["DEFAULT_TIME_SCALE", "FakeClock", "RealClock", "SimClock", "SimHost"]

DEFAULT_TIME_SCALE = 1000.0  # a 1 TB md recovery at ~200 MB/s takes ~5 s of wall time
TOOL_DIR = "/run/current-system/sw/bin"


@dataclass
class _Fault:
    predicate: Callable[[tuple[str, ...]], bool]
    returncode: int
    stderr: str
    times: int


class SimHost:
    """A simulated NixOS server with md RAID, ZFS and the migration's tools."""

    def __init__(
        self,
        state: SimState,
        *,
        clock: SimClock | None = None,
        state_file: Path | None = None,
        time_scale: float = 1.0,
        root: bool = True,
    ) -> None:
        self._clock = _aligned(clock, state, time_scale)
        self.state = state
        self.state_file = state_file
        self._root = root
        self._lock = threading.RLock()
        self._faults: list[_Fault] = []
        self._subscribers: list[Callable[[str], None]] = []
        self._pending_events: list[str] = []

    # -- construction and persistence ---------------------------------------------------------

    @classmethod
    def load(
        cls,
        state_file: Path,
        *,
        clock: SimClock | None = None,
        time_scale: float = DEFAULT_TIME_SCALE,
        root: bool = True,
    ) -> SimHost:
        """The host saved in state_file, or a fresh demo server (saved there) when missing."""
        state = from_json(state_file.read_text()) if state_file.exists() else demo_state()
        host = cls(state, clock=clock, state_file=state_file, time_scale=time_scale, root=root)
        if not state_file.exists():
            host.save()
        return host

    @staticmethod
    def reset(state_file: Path) -> None:
        """Forget a saved demo (the next load starts a fresh demo server)."""
        state_file.unlink(missing_ok=True)

    def save(self) -> None:
        """Write the state atomically (no-op without a state file)."""
        with self._lock:
            self.state.now = self._clock.now()
            if isinstance(self._clock, RealClock):
                self.state.clock_anchor = self._clock.anchor()
            else:
                self.state.clock_anchor = None
            if self.state_file is None:
                return
            text = to_json(self.state)
            folder = self.state_file.parent
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".simstate-", dir=folder)
            try:
                with os.fdopen(fd, "w") as fh:
                    fh.write(text)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self.state_file)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise

    # -- Host protocol --------------------------------------------------------------------------

    @property
    def description(self) -> str:
        """Human name of this host."""
        return f"demo server {self.state.system.hostname} (simulated)"

    @property
    def read_only(self) -> bool:
        """Changes are refused by the tools when not running as root."""
        return not self._root

    def run(
        self,
        argv: Sequence[str],
        *,
        stdin: str | None = None,
        on_line: LineSink | None = None,
        cancel: Cancel | None = None,
    ) -> CommandResult:
        """Run a simulated command: stream its lines, persist any change, return its result."""
        args = [str(a) for a in argv]
        if not args:
            return CommandResult((), 127, "", "empty command\n")
        fault = self._take_fault(tuple(args))
        if fault is not None:
            for line in fault.stderr.splitlines():
                if on_line is not None:
                    on_line(line)
            return CommandResult(tuple(args), fault.returncode, "", _nl(fault.stderr))
        with self._lock:
            settle(self.state, self._clock.now())
            ctx = Ctx(
                self.state,
                self._clock,
                self._root,
                stdin,
                on_line,
                cancel,
                self._lock,
                notify=self._pending_events.append,
            )
            code = commands.dispatch(ctx, args, self._zfs_enabled())
            if ctx.changed:
                self.save()
            events, self._pending_events = self._pending_events, []
        for name in dict.fromkeys(events):
            self._notify(name)
        return CommandResult(tuple(args), code, _join(ctx.out), _join(ctx.err))

    def read_file(self, path: str) -> str:
        """A file of the simulated machine (/proc views are rendered live)."""
        with self._lock:
            now = self._clock.now()
            settle(self.state, now)
            if path == "/proc/mdstat":
                return render_md.render_mdstat(self.state, now)
            if path in ("/proc/self/mounts", "/proc/mounts"):
                return render_blk.render_mounts(self.state)
            if path == "/proc/swaps":
                return render_blk.render_swaps(self.state)
            if path in ("/etc/hostname", "/proc/sys/kernel/hostname"):
                return self.state.system.hostname + "\n"
            f = files.read(self.state, path)
            if f is None:
                raise FileNotFoundError(2, "No such file or directory", path)
            return f.text

    def write_file(self, path: str, text: str, mode: int = 0o644) -> None:
        """Write a file of the simulated machine (root only), persisted at once."""
        if not self._root:
            raise PermissionError(13, "Permission denied", path)
        with self._lock:
            parent = os.path.dirname(path) or "/"
            if not files.is_dir(self.state, parent):
                raise FileNotFoundError(2, "No such file or directory", path)
            files.write(self.state, path, SimFile(text, mode))
            self.save()

    def exists(self, path: str) -> bool:
        """True for files, directories, device nodes, by-* links and tools that exist."""
        with self._lock:
            if files.read(self.state, path) is not None or files.is_dir(self.state, path):
                return True
            if path in ("/proc/mdstat", "/proc/self/mounts", "/proc/swaps", "/proc/mounts"):
                return True
            if path.startswith("/dev/"):
                return resolve(self.state, path) is not None
            if path.startswith(TOOL_DIR + "/"):
                return self.which(path.rsplit("/", 1)[1]) is not None
            return path == "/run/current-system/bin/switch-to-configuration"

    def which(self, tool: str) -> str | None:
        """Tool path on the simulated PATH (zpool/zfs only once ZFS is enabled)."""
        if tool == "switch-to-configuration":
            return None  # not on PATH: it lives in /run/current-system/bin
        if tool in commands.available_tools(self._zfs_enabled()):
            return f"{TOOL_DIR}/{tool}"
        return None

    def udev(self) -> Mapping[str, UdevInfo]:
        """udev identities of every block device."""
        with self._lock:
            return udev_map(self.state)

    def io_counters(self) -> Mapping[str, IoCounters]:
        """Cumulative I/O implied by running syncs and resilvers (for rate displays)."""
        with self._lock:
            now = self._clock.now()
            out: dict[str, IoCounters] = {}

            def add(dev: str, read: int, write: int) -> None:
                old = out.get(dev, IoCounters(0, 0))
                out[dev] = IoCounters(old.read_bytes + read, old.write_bytes + write)

            for arr in self.state.arrays:
                if arr.running and arr.sync is not None:
                    done = md_done_kib(arr.sync, now) * 1024
                    sources = [m.device for m in arr.members if m.state == "active"]
                    for m in arr.members:
                        if m.state == "rebuilding":
                            add(m.device, 0, done)
                    for dev in sources:
                        add(dev, done // max(1, len(sources)), 0)
            for pool in self.state.pools:
                if pool.scan is not None:
                    done = scan_done_bytes(pool.scan, now)
                    for leaf in leaves(pool.root):
                        add(
                            leaf.device or "",
                            0 if leaf.resilvering else done,
                            done if leaf.resilvering else 0,
                        )
            return out

    def is_root(self) -> bool:
        """Whether the simulated user is root."""
        return self._root

    @property
    def sim_clock(self) -> SimClock:
        """The clock driving this host (a FakeClock in tests)."""
        return self._clock

    def clock(self) -> float:
        """Simulated seconds since the epoch."""
        return self._clock.now()

    def sleep(self, seconds: float) -> None:
        """Sleep on the simulated clock."""
        self._clock.sleep(seconds)

    # -- test and demo hooks --------------------------------------------------------------------

    def inject_fault(
        self,
        predicate: Callable[[tuple[str, ...]], bool],
        returncode: int = 1,
        stderr: str = "sim: injected fault",
        times: int = 1,
    ) -> None:
        """Make the next `times` commands matching predicate fail without changing anything."""
        with self._lock:
            self._faults.append(_Fault(predicate, returncode, stderr, times))

    def _take_fault(self, argv: tuple[str, ...]) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.predicate(argv):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def subscribe(self, callback: Callable[[str], None]) -> Callable[[], None]:
        """Call callback(device name) when a disk appears, disappears or is repartitioned.

        Returns a function that unsubscribes.
        """
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    def _notify(self, name: str) -> None:
        for cb in list(self._subscribers):
            cb(name)

    def hotplug_disk(self, disk: SimDisk | None = None) -> SimDisk:
        """Attach a disk (as if plugged in; by default a blank 2 TB SATA HDD with the next
        free name and a fresh identity); subscribers hear its name. Returns the disk."""
        with self._lock:
            if disk is None:
                disk = new_blank_disk(self.state)
            if self.state.disk(disk.name) is not None:
                raise ValueError(f"{disk.name} already exists")
            self.state.disks.append(disk)
            self.save()
        self._notify(disk.name)
        return disk

    def remove_disk(self, name: str) -> None:
        """Pull a disk out: arrays lose its members, pools see it REMOVED."""
        with self._lock:
            disk = self.state.disk(name)
            if disk is None:
                raise KeyError(name)
            parts = {disk.part_name(p.number) for p in disk.partitions} | {name}
            for arr in self.state.arrays:
                for m in arr.members:
                    if m.device in parts:
                        m.state, m.slot = "faulty", None
            for pool in self.state.pools:
                for leaf in leaves(pool.root):
                    if leaf.device in parts:
                        leaf.state = "REMOVED"
            self.state.swaps = [s for s in self.state.swaps if s not in parts]
            self.state.disks.remove(disk)
            self.save()
        self._notify(name)

    def visible_files(self) -> Mapping[str, SimFile]:
        """Every file as seen through the current mounts (absolute path -> file)."""
        with self._lock:
            return files.visible(self.state)

    def symlinks(self) -> Mapping[str, str]:
        """Every /dev/disk/by-* link and the kernel name it points to."""
        with self._lock:
            return symlinks(self.state)

    def _zfs_enabled(self) -> bool:
        gen = self.state.generation(self.state.system.running_generation)
        return gen is not None and gen.zfs


def new_blank_disk(state: SimState) -> SimDisk:
    """A blank Seagate 2 TB SATA disk on the next free sdX name and ATA port."""
    used = {d.name for d in state.disks}
    index = next(i for i in range(26) if f"sd{chr(97 + i)}" not in used)
    tag = 0x3A1F00 + index * 0x1111
    return SimDisk(
        name=f"sd{chr(97 + index)}",
        size_bytes=2000398934016,
        model="ST2000DM008-2UB102",
        serial=f"ZFL{tag:05X}",
        wwn=f"0x5000c500{tag:08x}",
        rev="0001",
        minor=16 * index,
        hctl=f"{index}:0:0:0",
        pci_path=f"pci-0000:00:1f.2-ata-{index + 1}",
        rotational=True,
    )


def _aligned(clock: SimClock | None, state: SimState, time_scale: float) -> SimClock:
    """A clock that continues the state's simulated time (never runs it backwards).

    A RealClock passed in only contributes its time scale: it is re-anchored on the state's
    persisted anchor (so time that passed while no process ran still counts) or, without
    one, on the state's saved time. A FakeClock behind the saved time is moved up to it.
    """
    if clock is None or isinstance(clock, RealClock):
        scale = clock.time_scale if isinstance(clock, RealClock) else time_scale
        if state.clock_anchor is not None:
            real = RealClock.from_anchor(state.clock_anchor, scale)
            if real.now() >= state.now:
                return real
        return RealClock(scale, start=state.now)
    if isinstance(clock, FakeClock) and clock.now() < state.now:
        clock.advance(state.now - clock.now())
    return clock


def _join(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def _nl(text: str) -> str:
    return text if text.endswith("\n") or not text else text + "\n"
