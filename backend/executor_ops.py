"""Pieces the executor uses while a step runs: output batching, secret redaction, rsync
progress, and the context in-code actions get (`OpContext`; the actions themselves are in
backend/executor_actions.py).

Split from executor.py to keep each file readable; nothing here decides what to run.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from backend.events import Event, OutputLines, Progress
from backend.host import CommandResult, Host
from backend.model import Inventory

REDACTED = "<secret>"
# Secrets shorter than this are not redacted from output: "a" would mangle every line.
_MIN_SECRET = 4
_SECRET_REF = re.compile(r"\{secret:([A-Za-z0-9_-]+)\}")

E = TypeVar("E")


class OpFailedError(Exception):
    """An operation of a step failed: what ran, how it ended, and its last output."""

    def __init__(
        self,
        message: str,
        argv: tuple[str, ...] | None = None,
        returncode: int | None = None,
        tail: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.argv = argv
        self.returncode = returncode
        self.tail = tail


class ChecksRefusedError(OpFailedError):
    """A check step's blocking checks failed: the run is refused, not broken (exit 2)."""


class Redactor:
    """Replaces every known secret value with "<secret>" in strings and events."""

    def __init__(self, secrets: Mapping[str, str]) -> None:
        self.secrets = dict(secrets)
        # Longest first, so a secret that contains another is replaced whole.
        self._values = sorted(
            {v for v in secrets.values() if len(v) >= _MIN_SECRET}, key=len, reverse=True
        )

    def text(self, s: str) -> str:
        """The string with every secret replaced."""
        for v in self._values:
            if v in s:
                s = s.replace(v, REDACTED)
        return s

    def value(self, v: Any) -> Any:
        """Redact a str, or the strs inside a tuple (recursively); other values unchanged."""
        if isinstance(v, str):
            return self.text(v)
        if isinstance(v, tuple):
            return tuple(self.value(x) for x in v)
        return v

    def event(self, ev: E) -> E:
        """A copy of a frozen event with every string field redacted."""
        if not self._values or not dataclasses.is_dataclass(ev) or isinstance(ev, type):
            return ev
        changes = {f.name: self.value(getattr(ev, f.name)) for f in dataclasses.fields(ev)}
        return dataclasses.replace(ev, **changes)

    def fill(self, text: str) -> str:
        """Substitute "{secret:NAME}" references (stdin templates) with the secret's value."""

        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in self.secrets:
                raise OpFailedError(f"the secret {name!r} was not provided")
            return self.secrets[name]

        return _SECRET_REF.sub(sub, text)


# rsync --info=progress2: "  1,234,567  12%  100.00MB/s    0:00:10 (xfr#12, to-chk=3/678)"
_RSYNC = re.compile(r"^\s*[\d,.]+[KMGT]?\s+(\d{1,3})%\s+(\S+/s)\s+(\d+):(\d\d):(\d\d)")


def rsync_progress(step_id: str, line: str) -> Progress | None:
    """A Progress event from an rsync progress2 line, or None for any other line."""
    m = _RSYNC.match(line)
    if m is None:
        return None
    h, mi, s = int(m.group(3)), int(m.group(4)), int(m.group(5))
    return Progress(step_id, "rsync", float(m.group(1)), m.group(2), h * 3600 + mi * 60 + s)


class OutputBatcher:
    """Collects a command's output lines and emits them as OutputLines batches.

    A batch goes out when `max_lines` are waiting, and otherwise every `interval` seconds
    from a timer thread (wall clock: this is about how fast a UI can repaint, not about
    the host's time), so a command that prints a million lines means about a thousand
    events and a command that prints one line and then works for an hour shows it at once.
    """

    def __init__(
        self,
        step_id: str,
        emit: Callable[[Event], None],
        *,
        interval: float = 0.05,
        max_lines: int = 1000,
        tail_lines: int = 40,
    ) -> None:
        self.step_id = step_id
        self._emit = emit
        self.interval = interval
        self.max_lines = max_lines
        self.tail: deque[str] = deque(maxlen=tail_lines)
        self._buf: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_progress: tuple[str, float | None] | None = None
        self.error: BaseException | None = None

    def __enter__(self) -> OutputBatcher:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.flush()
        if self.error is not None and exc_type is None:
            raise self.error  # the emit callback failed in the timer thread: report it here

    def add(self, line: str) -> None:
        """on_line sink for Host.run (called from whatever thread the host reads in)."""
        line = line.rstrip("\n")
        progress = rsync_progress(self.step_id, line)
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                # Started on the first line: most commands print nothing and need no timer.
                self._thread = threading.Thread(
                    target=self._flusher, name="md2zfs-output", daemon=True
                )
                self._thread.start()
            self._buf.append(line)
            self.tail.append(line)
            full = len(self._buf) >= self.max_lines
        if full:
            self.flush()
        if progress is not None:
            key = (progress.label, progress.percent)
            if key != self._last_progress:
                self._last_progress = key
                self.flush()  # keep lines and progress in order
                self._emit(progress)

    def flush(self) -> None:
        """Emit whatever lines are waiting as one batch."""
        with self._lock:
            if not self._buf:
                return
            batch, self._buf = tuple(self._buf), []
        self._emit(OutputLines(self.step_id, batch))

    def _flusher(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.flush()
            except Exception as exc:  # kept for __exit__: the command must not die half-way
                self.error = exc
                return


class OpContext(Protocol):
    """What an action handler may use: the host, secrets, commands and messages."""

    host: Host
    step_id: str
    redactor: Redactor

    def command(
        self,
        argv: Sequence[str],
        *,
        stdin: str | None = None,
        ok_codes: tuple[int, ...] = (0,),
        show_output: bool = True,
        stdin_display: str | None = None,
    ) -> CommandResult:
        """Run one command as part of the step (events, output, failure -> OpFailedError)."""
        ...

    def say(self, line: str) -> None:
        """Show one line of md2zfs's own output in the step's log."""
        ...

    def inventory(self) -> Inventory:
        """A fresh inventory of the host."""
        ...
