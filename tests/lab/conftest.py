"""Fixtures of the QEMU lab tests (``pytest -m lab``).

Without ``qemu-system-x86_64`` or a built image the lab tests skip, saying why.  With
``MD2ZFS_LAB_REQUIRED=1`` (as in CI) the fixtures build what is missing (host packages,
ZFS modules, guest image, guest site-packages) and fail instead of skipping.

Environment:
- ``MD2ZFS_LAB_CACHE``: cache directory (default ``~/.cache/md2zfs-lab``);
- ``MD2ZFS_LAB_VARIANTS``: comma-separated OpenZFS variants to run (default ``2.3,2.1``);
- ``MD2ZFS_LAB_CAPTURES``: a directory (e.g. ``tests/data/lab``) to copy guest captures into;
- ``MD2ZFS_LAB_KEEP``: keep every run directory (disks, consoles) instead of only failed ones;
- ``MD2ZFS_LAB_SMP``: vCPUs per guest (default 2; scripts/test-all runs the two variants side
  by side with 1 each);
- ``MD2ZFS_LAB_ALL``: run the kill and swapped-disk tests on every variant, not just one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_image
import runner

VARIANTS = [v for v in os.environ.get("MD2ZFS_LAB_VARIANTS", "2.3,2.1").split(",") if v]


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker here too, so running this directory alone does not warn."""
    config.addinivalue_line("markers", "lab: runs in the QEMU lab (real mdadm and OpenZFS)")


def required() -> bool:
    """True when the lab must run (CI): build what is missing and fail rather than skip."""
    return os.environ.get("MD2ZFS_LAB_REQUIRED") == "1"


def _unavailable(why: str, variant: str = "2.3") -> None:
    if required():
        pytest.fail(f"lab required (MD2ZFS_LAB_REQUIRED=1) but {why}")
    pytest.skip(
        f"QEMU lab not available: {why} (build it as root with `python3 tests/lab/"
        f"build_image.py --variant {variant}`, or set MD2ZFS_LAB_REQUIRED=1)"
    )


@pytest.fixture(scope="session")
def lab_cache() -> Path:
    """The lab's cache directory."""
    return build_image.default_cache()


@pytest.fixture(scope="session", params=VARIANTS)
def lab_image(request: pytest.FixtureRequest, lab_cache: Path) -> Path:
    """The image directory of one OpenZFS variant (built when required, else skip)."""
    variant: str = request.param
    if required():
        if os.geteuid() != 0:
            pytest.fail("the lab needs root (apt, mmdebstrap, chroot)")
        return build_image.ensure_image(variant, lab_cache)
    if shutil.which("qemu-system-x86_64") is None:
        _unavailable("qemu-system-x86_64 is not installed")
    try:
        rec = build_image.recipe(variant)
    except (OSError, RuntimeError, subprocess.CalledProcessError) as e:
        _unavailable(f"cannot resolve the {variant} recipe with apt ({e})", variant)
    image = lab_cache / "images" / f"{variant}-{rec.key()}"
    if not (image / "manifest.json").exists():
        _unavailable(f"no built image for OpenZFS {variant} at {image}", variant)
    return image


@pytest.fixture(scope="session")
def lab_site(lab_cache: Path) -> Path:
    """The guest's pure-Python dependencies (pip install --target, cached)."""
    try:
        return runner.ensure_site(lab_cache)
    except (OSError, subprocess.CalledProcessError) as e:
        _unavailable(f"pip install --target of {runner.SITE_PACKAGES} failed: {e}")
        raise  # unreachable: _unavailable skips or fails


LabFactory = Callable[..., runner.Lab]


@pytest.fixture
def make_lab(
    lab_image: Path, lab_site: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[LabFactory]:
    """A factory ``make_lab(disks, **kw) -> Lab`` whose run directories live in tmp_path."""
    labs: list[runner.Lab] = []

    def make(disks: list[runner.Disk], name: str = "run", **kw: object) -> runner.Lab:
        lab = runner.Lab(lab_image, tmp_path / name, disks, site=lab_site, **kw)  # type: ignore[arg-type]
        labs.append(lab)
        return lab

    yield make
    for lab in labs:
        timings = lab.run_dir / "timings.log"
        if timings.exists():
            print(f"\n[{request.node.name}] {timings.read_text().strip()}")
        if not os.environ.get("MD2ZFS_LAB_KEEP"):
            # Disk images are sparse but large; drop them unless kept for debugging.
            shutil.rmtree(lab.run_dir / "disks", ignore_errors=True)


def variant_of(lab: runner.Lab) -> str:
    """The OpenZFS variant ("2.3" or "2.1") of a lab's image."""
    return str(lab.manifest["variant"])


def save_captures(src: Path, name: str) -> None:
    """Copy guest captures to $MD2ZFS_LAB_CAPTURES/name when that variable is set."""
    dest_root = os.environ.get("MD2ZFS_LAB_CAPTURES")
    if dest_root and src.is_dir():
        dest = Path(dest_root) / name
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(src, dest)


def server_disks(bus: str = "virtio", size: str = "4G") -> list[runner.Disk]:
    """Disks 1 and 2 (to carry md0) and 3 (blank) of the lab server, on one bus."""
    wwn_base = 0x5000C50000D1A000 + 0x100 * runner.BUSES.index(bus)
    return [
        runner.Disk(
            f"d{i}",
            size,
            bus,
            serial=f"SRV{bus[:2].upper()}000{i}",
            wwn=None if bus == "virtio" else wwn_base + i,
        )
        for i in (1, 2, 3)
    ]


def make_md_root_server(
    make_lab: LabFactory, bus: str = "virtio", size: str = "4G"
) -> tuple[runner.Lab, list[runner.Disk]]:
    """A lab whose disks 1 and 2 hold / on md0 (0.90 RAID1), disk 3 blank.

    The first call per (image, bus, size) boots the image once to set it up and keeps the
    disk files in the cache; later calls copy them (sparse), which saves that boot.
    """
    disks = server_disks(bus, size)
    lab = make_lab(disks, name="server")
    tools = hashlib.sha256((runner.HERE / "guest_tools.sh").read_bytes()).hexdigest()[:8]
    golden = lab.image.parent.parent / "servers" / f"{lab.image.name}-{tools}-{bus}-{size}"
    variant = lab.image.name.split("-")[0]
    for stale in golden.parent.glob(f"{variant}-*-{bus}-{size}"):
        if stale != golden:  # set up by an older image or guest_tools.sh
            shutil.rmtree(stale, ignore_errors=True)
    if (golden / "done").exists():
        for d in disks:
            subprocess.run(
                ["cp", "--sparse=always", str(golden / f"{d.name}.img"), str(lab.disk_path(d))],
                check=True,
            )
        return lab, disks
    runner.setup_md_root(lab, disks[0], disks[1]).check()
    tmp = golden.with_name(golden.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for d in disks:
        subprocess.run(
            ["cp", "--sparse=always", str(lab.disk_path(d)), str(tmp / f"{d.name}.img")],
            check=True,
        )
    (tmp / "done").write_text("set up by setup_md_root\n")
    shutil.rmtree(golden, ignore_errors=True)
    tmp.rename(golden)
    return lab, disks
