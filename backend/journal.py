"""The audit journal: every executor event, confirmation and override, as JSON lines.

The journal records what happened; it is never read back to decide what to do (DESIGN.md
§3.3: the live system is the truth). Each record is one JSON object on one line, appended
and fsynced, so a crash loses at most the line being written and never corrupts earlier
ones. The file is created 0600 in a 0700 directory because command output can name disks
and hosts (secrets are redacted by the executor before they reach here).

While a journal is open it holds an exclusive `flock` on the file: a second md2zfs run on
the same machine (or demo state) is refused instead of racing the first.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import time
from pathlib import Path
from types import TracebackType
from typing import Any

# On a real machine; the demo puts its journal beside the demo state file instead.
SYSTEM_JOURNAL = Path("/var/lib/md2zfs/journal.jsonl")

# Records that matter after a power cut are fsynced at once: a command about to run (so a
# crash mid-command leaves its trace), confirmations, overrides, results. These others are
# written at once (a killed process loses nothing) but fsynced at most every second.
_LAZY = frozenset({"OutputLines", "Progress", "StepStarted", "StepSkipped", "Waiting"})
_LAZY_SYNC_S = 1.0


class JournalBusyError(Exception):
    """Another process holds the journal: a second run would race the first."""


def demo_journal_path(demo_state: Path) -> Path:
    """The journal that goes with a demo state file (same directory, same stem)."""
    return demo_state.with_name(demo_state.stem + "-journal.jsonl")


def event_record(event: object) -> dict[str, Any]:
    """A JSON-ready dict for an executor event: its fields plus {"event": class name}."""
    if dataclasses.is_dataclass(event) and not isinstance(event, type):
        fields = dataclasses.asdict(event)
    else:
        fields = {"repr": repr(event)}
    return {"event": type(event).__name__, **fields}


class Journal:
    """An append-only JSON-lines file, locked while open.

    Use as a context manager, or call `open()` / `close()`. `append()` adds one record with
    the wall-clock time; `event()` adds an executor event.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self._last_sync = 0.0
        self._dirty = False

    def open(self) -> Journal:
        """Create the directory (0700) and file (0600), take the lock, return self."""
        if self._fd is not None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            # An existing file may have been created looser by hand: tighten it.
            os.fchmod(fd, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise JournalBusyError(
                f"another md2zfs run holds {self.path}: wait for it to finish"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    @property
    def is_open(self) -> bool:
        """True between open() and close()."""
        return self._fd is not None

    def close(self) -> None:
        """Sync, release the lock and close (idempotent)."""
        if self._fd is None:
            return
        try:
            if self._dirty:
                os.fsync(self._fd)
        finally:
            os.close(self._fd)  # closing releases the flock
            self._fd = None
            self._dirty = False

    def __enter__(self) -> Journal:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def append(self, kind: str, **fields: Any) -> None:
        """Append one record {"t": wall time, "kind": kind, **fields} and sync it."""
        if self._fd is None:
            self.open()
        assert self._fd is not None
        record = {"t": round(time.time(), 3), "kind": kind, **fields}
        line = json.dumps(record, default=str, ensure_ascii=False) + "\n"
        os.write(self._fd, line.encode())
        now = time.monotonic()
        if kind in _LAZY and now - self._last_sync < _LAZY_SYNC_S:
            # A million output lines must not mean a thousand fsyncs a second.
            self._dirty = True
            return
        os.fsync(self._fd)
        self._last_sync = now
        self._dirty = False

    def event(self, event: object) -> None:
        """Append an executor event (already redacted by the executor)."""
        record = event_record(event)
        name = record.pop("event")
        self.append(name, **record)


def read_journal(path: Path | str) -> list[dict[str, Any]]:
    """Every complete record of a journal (a torn last line from a crash is skipped)."""
    out: list[dict[str, Any]] = []
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return out
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out
