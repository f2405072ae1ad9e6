"""Boot a throw-away QEMU guest of the md2zfs lab, run a script in it, return what it printed.

The guest has no network.  It sees three 9p shares: ``job`` (read-write, the run's
``job/`` directory: the script, its output and exit code), ``project`` (this checkout,
read-only) and ``site`` (the pure-Python dependencies, installed on the host with
``pip install --target``, read-only), mounted at ``/lab/job``, ``/lab/project`` and
``/lab/site``; ``PYTHONPATH`` points at the last two.  Test disks are sparse raw files in the
run directory, so they persist across the boots of one test.  The root filesystem is either
the image (attached with ``snapshot=on``: every run starts pristine) or ``/dev/md0`` on the
test disks, booted through the stock Debian initrd (see :func:`setup_md_root`).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent.parent
SITE_PACKAGES = ["textual", "psutil", "pyudev", "plumbum"]
BUSES = ("virtio", "scsi", "sata")
GUEST_HOSTNAME = "md2zfs-lab"


@dataclass
class Disk:
    """One test disk: a sparse raw file attached on a chosen bus with a serial (and WWN)."""

    name: str
    size: str = "1G"
    bus: str = "virtio"
    serial: str = ""
    wwn: int | None = None
    model: str = "MD2ZFS LAB DISK"
    throttle_bps: int | None = None

    def __post_init__(self) -> None:
        if self.bus not in BUSES:
            raise ValueError(f"unknown bus {self.bus!r}, expected one of {BUSES}")
        if not self.serial:
            self.serial = f"LAB{self.name.upper()}"


@dataclass
class Result:
    """What a guest run produced."""

    exit_code: int | None
    output: str
    console: str
    elapsed: float
    timed_out: bool = False
    job_dir: Path = field(default_factory=Path)

    def console_tail(self, lines: int = 60) -> str:
        """The last lines of the serial console."""
        return "\n".join(self.console.splitlines()[-lines:])

    def check(self) -> Result:
        """Raise AssertionError with the output and console tail unless the job exited 0."""
        if self.exit_code != 0:
            why = "timed out" if self.timed_out else f"exit code {self.exit_code}"
            raise AssertionError(
                f"lab job {why} after {self.elapsed:.0f} s\n--- output (tail) ---\n"
                + "\n".join(self.output.splitlines()[-80:])
                + f"\n--- console (tail) ---\n{self.console_tail()}"
            )
        return self


def ensure_site(cache: Path) -> Path:
    """pip install --target the guest's pure-Python dependencies (cached by package list)."""
    key = hashlib.sha256(" ".join(SITE_PACKAGES).encode()).hexdigest()[:12]
    site = cache / f"site-{key}"
    if (site / ".done").exists():
        return site
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f".lock-site-{key}", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two lab runs at once (one per variant) share it
        if not (site / ".done").exists():
            _pip_target(site, cache / f"site-{key}.tmp")
    return site


def _pip_target(site: Path, tmp: Path) -> None:
    """pip install --target tmp, then rename it to site."""
    shutil.rmtree(tmp, ignore_errors=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            str(tmp),
            "--only-binary=:all:",
            "--python-version",
            "3.11",
            "--implementation",
            "cp",
            "--platform",
            "manylinux2014_x86_64",
            "--platform",
            "manylinux_2_17_x86_64",
            *SITE_PACKAGES,
        ],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    (tmp / ".done").write_text(" ".join(SITE_PACKAGES) + "\n")
    shutil.rmtree(site, ignore_errors=True)
    tmp.rename(site)


class Lab:
    """A guest definition (image, disks, shares) that can be booted many times."""

    def __init__(
        self,
        image: Path,
        run_dir: Path,
        disks: list[Disk],
        *,
        site: Path | None,
        memory_mb: int = 2048,
        smp: int | None = None,
        project: Path = PROJECT,
    ) -> None:
        self.image = image
        self.run_dir = run_dir
        self.disks = disks
        self.site = site
        self.memory_mb = memory_mb
        # Two labs side by side (one per variant, scripts/test-all) run faster with one vCPU
        # each than with two fighting over two host cores (LAB.md: ~1.5x the throughput).
        self.smp = smp or int(os.environ.get("MD2ZFS_LAB_SMP", "2"))
        self.project = project
        self.boots = 0
        (run_dir / "job").mkdir(parents=True, exist_ok=True)
        (run_dir / "disks").mkdir(exist_ok=True)
        for d in disks:
            path = self.disk_path(d)
            if not path.exists():
                with open(path, "wb") as f:
                    f.truncate(_size_bytes(d.size))

    @property
    def manifest(self) -> dict[str, object]:
        """The image's manifest.json (variant, versions, timings)."""
        manifest: dict[str, object] = json.loads((self.image / "manifest.json").read_text())
        return manifest

    def disk_path(self, disk: Disk) -> Path:
        """The raw file backing a disk."""
        return self.run_dir / "disks" / f"{disk.name}.img"

    def qemu_argv(
        self,
        *,
        root: str,
        systemd: bool,
        console: Path,
        extra_cmdline: str = "",
        initrd: Path | None = None,
    ) -> list[str]:
        """The qemu-system-x86_64 command line for one boot.

        root: "image" (the image's root.img, tiny initrd), "md0" (stock initrd) or
        "ZFS=<dataset>" (the initrd given, see stage1.py).
        """
        if root == "image":
            initrd_path, root_dev = self.image / "initrd-tiny.img", "/dev/vda"
        elif root == "md0":
            initrd_path, root_dev = self.image / "initrd.img", "/dev/md0"
        elif root.startswith("ZFS=") and initrd is not None:
            initrd_path, root_dev = initrd, root
        else:
            raise ValueError(f"root must be 'image', 'md0' or 'ZFS=...' with initrd, not {root!r}")
        init = "/lib/systemd/systemd lab.systemd" if systemd else "/usr/local/sbin/lab-init"
        cmdline = (
            f"console=ttyS0 root={root_dev} rw init={init} panic=-1 mitigations=off "
            f"quiet loglevel=4 systemd.show_status=0 {extra_cmdline}"
        ).strip()
        argv = [
            "qemu-system-x86_64",
            "-accel",
            "tcg,thread=multi",
            "-cpu",
            "max",
            "-m",
            str(self.memory_mb),
            "-smp",
            str(self.smp),
            "-nodefaults",
            "-nic",
            "none",
            "-display",
            "none",
            "-no-reboot",
            "-serial",
            f"file:{console}",
            "-kernel",
            str(self.image / "vmlinuz"),
            "-initrd",
            str(initrd_path),
            "-append",
            cmdline,
        ]
        if root == "image":
            argv += [
                "-drive",
                f"file={self.image / 'root.img'},format=raw,if=none,id=root,"
                "snapshot=on,cache=unsafe",
                "-device",
                "virtio-blk-pci,drive=root,serial=labroot",
            ]
        argv += self._share_args()
        argv += self._disk_args()
        return argv

    def _share_args(self) -> list[str]:
        shares = [("job", self.run_dir / "job", False), ("project", self.project, True)]
        if self.site is not None:
            shares.append(("site", self.site, True))
        argv: list[str] = []
        for tag, path, ro in shares:
            argv += [
                "-fsdev",
                f"local,id={tag},path={path},security_model=none" + (",readonly=on" if ro else ""),
                "-device",
                f"virtio-9p-pci,fsdev={tag},mount_tag={tag}",
            ]
        return argv

    def _disk_args(self) -> list[str]:
        argv: list[str] = []
        buses = {d.bus for d in self.disks}
        if "scsi" in buses:
            argv += ["-device", "virtio-scsi-pci,id=scsi0"]
        if "sata" in buses:
            argv += ["-device", "ahci,id=ahci0"]
        sata_port = 0
        for i, d in enumerate(self.disks):
            drive = f"file={self.disk_path(d)},format=raw,if=none,id=disk{i},cache=unsafe"
            if d.throttle_bps:
                drive += f",throttling.bps-write={d.throttle_bps}"
            argv += ["-drive", drive]
            wwn = f",wwn={d.wwn:#x}" if d.wwn is not None else ""
            if d.bus == "virtio":
                dev = f"virtio-blk-pci,drive=disk{i},serial={d.serial}"
            elif d.bus == "scsi":
                dev = f"scsi-hd,bus=scsi0.0,scsi-id={i},drive=disk{i},serial={d.serial}{wwn}"
            else:
                dev = (
                    f"ide-hd,bus=ahci0.{sata_port},drive=disk{i},serial={d.serial},"
                    f"model={d.model}{wwn}"
                )
                sata_port += 1
            argv += ["-device", dev]
        return argv

    def run(
        self,
        script: str,
        *,
        timeout: float = 600,
        root: str = "image",
        systemd: bool = False,
        extra_cmdline: str = "",
        initrd: Path | None = None,
    ) -> Result:
        """Boot, run ``script`` (POSIX sh) as root in the guest, power off; return the result."""
        job = self.run_dir / "job"
        for name in ("output", "exitcode", "exitcode.tmp"):
            (job / name).unlink(missing_ok=True)
        (job / "job.sh").write_text(script)
        self.boots += 1
        console = self.run_dir / f"console-{self.boots}.log"
        argv = self.qemu_argv(
            root=root, systemd=systemd, console=console, extra_cmdline=extra_cmdline, initrd=initrd
        )
        (self.run_dir / f"qemu-{self.boots}.argv").write_text("\n".join(argv) + "\n")
        t0 = time.monotonic()
        timed_out = False
        with open(self.run_dir / f"qemu-{self.boots}.log", "wb") as qlog:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=qlog, stderr=qlog)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                proc.kill()
                proc.wait()
        elapsed = time.monotonic() - t0
        code_file = job / "exitcode"
        code = int(code_file.read_text().strip()) if code_file.exists() else None
        output = (job / "output").read_text(errors="replace") if (job / "output").exists() else ""
        text = console.read_text(errors="replace") if console.exists() else ""
        qemu_err = (self.run_dir / f"qemu-{self.boots}.log").read_text(errors="replace")
        if qemu_err.strip():
            text += "\n--- qemu ---\n" + qemu_err
        result = Result(code, output, text, elapsed, timed_out, job)
        with open(self.run_dir / "timings.log", "a") as f:
            f.write(
                f"boot {self.boots} root={root} systemd={systemd}: {elapsed:.1f} s, "
                f"exit {code}{' (timeout)' if timed_out else ''}\n"
            )
        if code is None and not timed_out and os.environ.get("MD2ZFS_LAB_VERBOSE"):
            print(result.console_tail(), file=sys.stderr)
        return result


def _size_bytes(size: str) -> int:
    units = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    return int(size[:-1]) * units[size[-1].upper()] if size[-1].upper() in units else int(size)


def part_name(disk: str, n: int) -> str:
    """The kernel name of partition n of a disk (vdb -> vdb3, nvme0n1 -> nvme0n1p3)."""
    return f"{disk}p{n}" if disk[-1].isdigit() else f"{disk}{n}"


def _wwn_text(disk: Disk) -> str:
    """The WWN as lsblk prints it (0x + 16 hex digits), or 0 when the disk has none."""
    return f"{disk.wwn:#018x}" if disk.wwn is not None else "0"


def find_disk_sh(disk: Disk) -> str:
    """A POSIX sh expression (command substitution) giving the guest's /dev path of a disk."""
    return f"$(sh /lab/project/tests/lab/guest_tools.sh dev {disk.serial} {_wwn_text(disk)})"


def setup_md_root(lab: Lab, a: Disk, b: Disk, timeout: float = 900) -> Result:
    """Boot from the image and move its root onto md0 (RAID1, 0.90) over disks a and b.

    Each disk gets the production layout: 1 MiB BIOS boot, 64 MiB ESP, the rest Linux RAID.
    The image's initrd already has ``HOMEHOST md2zfs-lab`` in its mdadm.conf (the array is
    created with that homehost), so it assembles md0 at boot without rebuilding the initrd.
    """
    script = (
        f"set -e\nA={find_disk_sh(a)}\nB={find_disk_sh(b)}\n"
        'sh /lab/project/tests/lab/guest_tools.sh md-root "$A" "$B"\n'
    )
    return lab.run(script, timeout=timeout, root="image")
