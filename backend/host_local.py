"""The local machine as a Host: plumbum runs commands, pyudev names disks, psutil counts I/O.

Children always run with LC_ALL=C (parsers read the C locale's words), stdin is a pipe or
/dev/null (never the operator's terminal, so a tool cannot stop to ask a question), and each
child leads its own process group so cancellation can stop it and everything it started.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from backend.host import Cancel, CommandResult, IoCounters, LineSink, UdevInfo

# How long a cancelled child gets between SIGTERM and SIGKILL.
_TERM_GRACE_S = 5.0


def child_env() -> dict[str, str]:
    """The environment every child gets: ours, in the C locale."""
    env = dict(os.environ)
    env["LC_ALL"] = "C"
    env["LANG"] = "C"
    return env


class LocalHost:
    """This machine. Changes are allowed only when running as root (the OS decides)."""

    def __init__(self, *, read_only: bool | None = None) -> None:
        self._read_only = (not self.is_root()) if read_only is None else read_only

    @property
    def description(self) -> str:
        """Human name of the host."""
        return f"this machine ({os.uname().nodename})"

    @property
    def read_only(self) -> bool:
        """Non-root runs only read."""
        return self._read_only

    def run(
        self,
        argv: Sequence[str],
        *,
        stdin: str | None = None,
        on_line: LineSink | None = None,
        cancel: Cancel | None = None,
    ) -> CommandResult:
        """Run argv without a shell, streaming stdout and stderr lines to on_line."""
        from plumbum import local
        from plumbum.commands.processes import CommandNotFound

        args = tuple(argv)
        try:
            command = local[args[0]]
            proc = command.popen(
                list(args[1:]),
                env=child_env(),
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except (CommandNotFound, OSError) as exc:
            return CommandResult(args, 127, "", f"{args[0]}: cannot run: {exc}\n")

        out: list[str] = []
        err: list[str] = []
        lock = threading.Lock()

        def pump(stream: IO[bytes] | None, sink: list[str]) -> None:
            if stream is None:
                return
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\n")
                sink.append(line)
                if on_line is not None:
                    # One callback at a time: the executor batches lines and is not reentrant.
                    with lock:
                        on_line(line)

        threads = [
            threading.Thread(target=pump, args=(proc.stdout, out), daemon=True),
            threading.Thread(target=pump, args=(proc.stderr, err), daemon=True),
        ]
        for t in threads:
            t.start()
        if stdin is not None and proc.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.write(stdin.encode())  # type: ignore[arg-type]
            proc.stdin.close()
        while proc.poll() is None:
            if cancel is not None and cancel.is_set:
                _terminate_group(proc)  # type: ignore[arg-type]
                break
            time.sleep(0.05)
        returncode = proc.wait()
        for t in threads:
            t.join()
        joined_out = "\n".join(out) + ("\n" if out else "")
        joined_err = "\n".join(err) + ("\n" if err else "")
        return CommandResult(args, int(returncode), joined_out, joined_err)

    def read_file(self, path: str) -> str:
        """Read a file as text: UTF-8, or byte-for-byte latin-1 when it is not UTF-8.

        Never lossy: a binary file such as /etc/hostid (4 raw bytes) can be recovered with
        `text.encode("latin-1")` (or "utf-8" when the bytes happened to be valid UTF-8).
        """
        data = Path(path).read_bytes()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("latin-1")

    def write_file(self, path: str, text: str, mode: int = 0o644) -> None:
        """Write atomically: a temp file with the final mode in the same directory, renamed."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            os.fchmod(fd, mode)
            with os.fdopen(fd, "w") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def exists(self, path: str) -> bool:
        """True when the path exists."""
        return os.path.lexists(path)

    def which(self, tool: str) -> str | None:
        """Search PATH plus the sbin directories a non-root PATH may lack."""
        extra = "/usr/local/sbin:/usr/sbin:/sbin:/run/current-system/sw/bin"
        return shutil.which(tool, path=os.environ.get("PATH", "") + ":" + extra)

    def udev(self) -> Mapping[str, UdevInfo]:
        """udev's view of every block device, read from its database (no process)."""
        try:
            import pyudev
        except ImportError:  # pragma: no cover - pyudev is a declared dependency
            return {}
        out: dict[str, UdevInfo] = {}
        try:
            context = pyudev.Context()
            for dev in context.list_devices(subsystem="block"):
                name = dev.sys_name
                links = [str(link) for link in dev.device_links]
                props = dev.properties
                number = props.get("ID_PART_ENTRY_NUMBER")
                out[name] = UdevInfo(
                    name=name,
                    serial=props.get("ID_SERIAL_SHORT") or None,
                    wwn=props.get("ID_WWN_WITH_EXTENSION") or props.get("ID_WWN") or None,
                    model=props.get("ID_MODEL") or None,
                    by_id=tuple(sorted(x for x in links if x.startswith("/dev/disk/by-id/"))),
                    by_path=tuple(sorted(x for x in links if x.startswith("/dev/disk/by-path/"))),
                    part_entry_type=props.get("ID_PART_ENTRY_TYPE") or None,
                    part_entry_number=int(number) if number and number.isdigit() else None,
                )
        except Exception:
            return out
        return out

    def io_counters(self) -> Mapping[str, IoCounters]:
        """Cumulative bytes read/written per block device."""
        import psutil

        try:
            counters = psutil.disk_io_counters(perdisk=True) or {}
        except (OSError, RuntimeError):
            return {}
        return {
            name: IoCounters(read_bytes=c.read_bytes, write_bytes=c.write_bytes)
            for name, c in counters.items()
        }

    def is_root(self) -> bool:
        """uid 0."""
        return os.geteuid() == 0

    def clock(self) -> float:
        """Wall-clock seconds."""
        return time.time()

    def sleep(self, seconds: float) -> None:
        """Really sleep."""
        time.sleep(seconds)


def _terminate_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the child's process group, then SIGKILL it if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=_TERM_GRACE_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
