"""The one seam between md2zfs and a machine.

Everything md2zfs learns or changes goes through a `Host`: the local machine (`LocalHost`),
the simulated demo server (`backend.sim.host.SimHost`) or a captured directory replayed
read-only (`ReplayHost`). One is chosen at start-up; nothing else touches the system.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

LineSink = Callable[[str], None]


class HostError(Exception):
    """A host could not do what was asked (not the same as a command failing)."""


class ReadOnlyHostError(HostError):
    """A change was asked of a host that only reads (a replay, or a non-root run)."""


@dataclass(frozen=True)
class CommandResult:
    """What a finished command left behind."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        """Exit code 0."""
        return self.returncode == 0

    def tail(self, n: int = 20) -> tuple[str, ...]:
        """The last n lines of combined output, for failure reports."""
        lines = (self.stdout + self.stderr).splitlines()
        return tuple(lines[-n:])


@dataclass(frozen=True)
class UdevInfo:
    """Identity facts udev holds for one block device (no process needed to read them)."""

    name: str  # kernel name, "sda"
    serial: str | None = None  # ID_SERIAL_SHORT
    wwn: str | None = None  # ID_WWN_WITH_EXTENSION or ID_WWN
    model: str | None = None  # ID_MODEL
    by_id: tuple[str, ...] = ()  # full /dev/disk/by-id/... paths
    by_path: tuple[str, ...] = ()
    part_entry_type: str | None = None
    part_entry_number: int | None = None


@dataclass(frozen=True)
class IoCounters:
    """Cumulative I/O of one block device, for rates shown while a sync runs."""

    read_bytes: int
    write_bytes: int


@dataclass
class Cancel:
    """A cancellation flag shared between the UI and a running command."""

    event: threading.Event = field(default_factory=threading.Event)

    def set(self) -> None:
        """Ask the running command to stop (its process group gets SIGTERM)."""
        self.event.set()

    @property
    def is_set(self) -> bool:
        """True once cancellation was asked for."""
        return self.event.is_set()


@runtime_checkable
class Host(Protocol):
    """A machine md2zfs can read from and run commands on."""

    @property
    def description(self) -> str:
        """A short human name: "this machine", "demo server", "replay of DIR"."""
        ...

    @property
    def read_only(self) -> bool:
        """True when run() of a changing command would be refused."""
        ...

    def run(
        self,
        argv: Sequence[str],
        *,
        stdin: str | None = None,
        on_line: LineSink | None = None,
        cancel: Cancel | None = None,
    ) -> CommandResult:
        """Run argv (never through a shell), stream each output line to on_line, wait.

        Children get LC_ALL=C and never the terminal as stdin. A command that cannot be
        started returns exit code 127 with the reason in stderr.
        """
        ...

    def read_file(self, path: str) -> str:
        """The text of a file; FileNotFoundError when it does not exist."""
        ...

    def write_file(self, path: str, text: str, mode: int = 0o644) -> None:
        """Write a file atomically with the given mode (refused on read-only hosts)."""
        ...

    def exists(self, path: str) -> bool:
        """True when the path exists."""
        ...

    def which(self, tool: str) -> str | None:
        """The path of a tool on PATH, or None."""
        ...

    def udev(self) -> Mapping[str, UdevInfo]:
        """udev identities of every block device, by kernel name."""
        ...

    def io_counters(self) -> Mapping[str, IoCounters]:
        """Cumulative I/O per block device (may be empty)."""
        ...

    def is_root(self) -> bool:
        """True when changes are allowed by the OS (uid 0, or the simulation)."""
        ...

    def clock(self) -> float:
        """Seconds on the host's clock (simulated time for the sim, wall time for real hosts)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait on the host's clock (the sim's injected clock advances instead of sleeping)."""
        ...
