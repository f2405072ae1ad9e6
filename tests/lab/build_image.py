#!/usr/bin/env python3
"""Build (or reuse from the cache) the md2zfs QEMU lab guest image.

Usage::

    python3 tests/lab/build_image.py --variant 2.3|2.1 [--cache DIR] [--no-host-setup]

A variant is the OpenZFS line in the guest: ``2.3`` (bookworm-backports, ``zpool status -j``)
or ``2.1`` (bookworm, text output only).  The result is a directory holding ``root.img``
(ext4, to be attached with ``snapshot=on``), ``vmlinuz``, ``initrd.img`` (the stock Debian
initrd with the mdadm and zfs hooks), ``initrd-tiny.img`` (busybox + virtio-blk + ext4, for
fast boots) and ``manifest.json``.  Everything is cached under ``--cache`` (default
``$MD2ZFS_LAB_CACHE`` or ``~/.cache/md2zfs-lab``): ZFS modules by (zfs version, kernel
version), images by a hash of the recipe.  Python 3.11 stdlib only; importable.
"""

from __future__ import annotations

import argparse
import ast
import fcntl
import hashlib
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
GUEST_FILES = HERE / "guest"
HOSTNAME = "md2zfs-lab"
SOURCES_FILE = Path("/etc/apt/sources.list.d/md2zfs-lab.sources")
HOST_TOOLS = [
    "qemu-system-x86",
    "qemu-utils",
    "mmdebstrap",
    "cpio",
    "busybox-static",
    "kmod",
    "build-essential",
    "e2fsprogs",
    "python3-pip",
    "zstd",  # stage1.py decompresses the stock initrd to append the lab's stage 1
]
GUEST_PACKAGES = [
    "initramfs-tools",
    "udev",
    "kmod",
    "mdadm",
    "fdisk",
    "gdisk",
    "parted",
    "util-linux",
    "e2fsprogs",
    "dosfstools",
    "rsync",
    "acl",
    "attr",
    "python3",
    "procps",
    "systemd-sysv",
    "dbus",
    "zstd",
    "busybox",
    "nix-bin",
]
ZFS_PACKAGES = {
    "2.3": [
        "zfsutils-linux",
        "zfs-initramfs",
        "libnvpair3linux",
        "libuutil3linux",
        "libzfs6linux",
        "libzpool6linux",
    ],
    "2.1": ["zfsutils-linux", "zfs-initramfs"],
}
SUITES = {"2.3": "bookworm-backports", "2.1": "bookworm"}
TINY_MODULES = ["virtio_pci", "virtio_blk", "ext4"]
ROOT_IMAGE_SIZE = "3G"


def log(msg: str) -> None:
    """Print a timestamped progress line to stderr."""
    print(f"[build_image {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    """Run argv (never through a shell), raising on failure; output goes to our stderr."""
    env = dict(os.environ, LC_ALL="C", DEBIAN_FRONTEND="noninteractive")
    proc: subprocess.CompletedProcess[str] = subprocess.run(  # type: ignore[call-overload]
        argv, check=True, text=True, env=env, stdin=subprocess.DEVNULL, **kw
    )
    return proc


def capture(argv: list[str]) -> str:
    """Run argv and return its stdout."""
    return run(argv, stdout=subprocess.PIPE).stdout


def default_cache() -> Path:
    """The cache directory: $MD2ZFS_LAB_CACHE or ~/.cache/md2zfs-lab."""
    env = os.environ.get("MD2ZFS_LAB_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "md2zfs-lab"


def mirror_uris() -> tuple[str, str]:
    """The Debian and Debian-security mirror URIs of the host's debian.sources."""
    main, security = "http://deb.debian.org/debian", "http://deb.debian.org/debian-security"
    src = Path("/etc/apt/sources.list.d/debian.sources")
    if src.exists():
        for uri in re.findall(r"^URIs:\s*(\S+)", src.read_text(), re.M):
            if uri.rstrip("/").endswith("-security"):
                security = uri
            else:
                main = uri
    return main, security


def host_setup(kver: str | None = None) -> None:
    """Add contrib + bookworm-backports (idempotent), apt-get update, install the host tools."""
    main, _ = mirror_uris()
    text = (
        "# Added by md2zfs tests/lab/build_image.py\n"
        f"Types: deb\nURIs: {main}\nSuites: bookworm bookworm-updates\nComponents: contrib\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        f"Types: deb\nURIs: {main}\nSuites: bookworm-backports\nComponents: main contrib\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    )
    changed = not SOURCES_FILE.exists() or SOURCES_FILE.read_text() != text
    if changed:
        SOURCES_FILE.write_text(text)
    if changed or not shutil.which("mmdebstrap") or not shutil.which("qemu-system-x86_64"):
        run(["apt-get", "update", "-q"])
    kver = kver or guest_kernel()
    wanted = [*HOST_TOOLS, f"linux-headers-{kver}"]
    missing = [
        p
        for p in wanted
        if subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True
        ).stdout
        != "install ok installed"
    ]
    if missing:
        log(f"apt-get install {' '.join(missing)}")
        run(["apt-get", "install", "-y", "-q", *missing], stdout=subprocess.DEVNULL)


def guest_kernel() -> str:
    """The ABI name of the bookworm kernel (e.g. 6.1.0-56-amd64) that linux-image-amd64 pulls."""
    out = capture(["apt-cache", "depends", "linux-image-amd64"])
    m = re.search(r"Depends: linux-image-(\d\S*-amd64)", out)
    if not m:
        raise RuntimeError(f"cannot resolve the guest kernel from: {out!r}")
    return m.group(1)


def zfs_version(variant: str) -> str:
    """The zfs-dkms version that apt offers in the variant's suite."""
    suite = SUITES[variant]
    for line in capture(["apt-cache", "madison", "zfs-dkms"]).splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and f" {suite}/" in f" {parts[2]}" and parts[1].startswith(variant):
            return parts[1]
    raise RuntimeError(f"no zfs-dkms {variant}.x in {suite}: run the host setup first")


@dataclass
class Recipe:
    """Everything an image depends on; its hash names the cache entry."""

    variant: str
    kver: str
    zfs: str
    packages: list[str]
    script_sha: str

    def key(self) -> str:
        """A short stable hash of the recipe."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]


def recipe(variant: str) -> Recipe:
    """The recipe for a variant, with the versions apt resolves now.

    The hash covers what shapes the image (the functions that build it, the guest files,
    the package lists and versions), not the whole script, so unrelated edits keep the cache.
    """
    h = hashlib.sha256(json.dumps([HOSTNAME, TINY_MODULES, ROOT_IMAGE_SIZE, SUITES]).encode())
    for fn in RECIPE_FUNCTIONS:
        # The AST, not the text: a code formatter run over the tree must not bust the cache.
        h.update(ast.dump(ast.parse(textwrap.dedent(inspect.getsource(fn)))).encode())
    for f in [HERE / "tiny_init.sh", *sorted(GUEST_FILES.rglob("*"))]:
        if f.is_file():
            h.update(str(f.relative_to(HERE)).encode() + f.read_bytes())
    return Recipe(
        variant,
        guest_kernel(),
        zfs_version(variant),
        GUEST_PACKAGES + ZFS_PACKAGES[variant],
        h.hexdigest(),
    )


def build_modules(zver: str, kver: str, cache: Path) -> Path:
    """Build the ZFS kernel modules for the guest kernel on the host; cached by versions."""
    out = cache / "modules" / f"zfs-{zver}_{kver}".replace("~", "_").replace("+", "_")
    if (out / "done").exists():
        log(f"ZFS modules {zver} for {kver}: cached")
        return out
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        run(["apt-get", "download", f"zfs-dkms={zver}"], cwd=tmp, stdout=subprocess.DEVNULL)
        deb = next(Path(tmp).glob("zfs-dkms_*.deb"))
        run(["dpkg-deb", "-x", str(deb), f"{tmp}/x"])
        src = next(Path(tmp, "x", "usr", "src").glob("zfs-*"))
        log(f"configuring and building {src.name} against {kver} (~2.5 min)")
        run(
            [
                "./configure",
                "--with-config=kernel",
                f"--with-linux=/usr/src/linux-headers-{kver.removesuffix('-amd64')}-common",
                f"--with-linux-obj=/usr/src/linux-headers-{kver}",
            ],
            cwd=src,
            stdout=subprocess.DEVNULL,
        )
        run(["make", f"-j{os.cpu_count() or 2}"], cwd=src, stdout=subprocess.DEVNULL)
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        kos = sorted((src / "module").rglob("*.ko"))
        for ko in kos:
            shutil.copy2(ko, out / ko.name)
        (out / "done").write_text(f"{len(kos)} modules, {time.monotonic() - t0:.0f} s\n")
    log(f"ZFS modules built in {time.monotonic() - t0:.0f} s: {[k.name for k in kos]}")
    return out


def dummy_zfs_modules_deb(cache: Path) -> Path:
    """A tiny deb providing zfs-modules, so zfs-initramfs does not pull zfs-dkms (and gcc)."""
    deb = cache / "md2zfs-lab-zfs-modules_1.0_all.deb"
    if deb.exists():
        return deb
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        (Path(tmp) / "DEBIAN").mkdir()
        (Path(tmp) / "DEBIAN" / "control").write_text(
            "Package: md2zfs-lab-zfs-modules\nVersion: 1.0\nArchitecture: all\n"
            "Maintainer: md2zfs lab <lab@localhost>\nProvides: zfs-modules\n"
            "Description: ZFS modules built on the host for the md2zfs lab\n"
        )
        run(["dpkg-deb", "--build", "--root-owner-group", tmp, str(deb)], stdout=subprocess.DEVNULL)
    return deb


def stage_overlay(stage: Path, modules: Path, kver: str) -> None:
    """Lay out the files copied into the guest root: ZFS modules, lab init, configuration."""
    moddir = stage / "usr" / "lib" / "modules" / kver / "updates" / "zfs"  # /lib is a symlink
    moddir.mkdir(parents=True)
    for ko in modules.glob("*.ko"):
        shutil.copy2(ko, moddir / ko.name)
    shutil.copytree(GUEST_FILES, stage, dirs_exist_ok=True)
    etc = stage / "etc"
    (etc / "mdadm").mkdir(parents=True, exist_ok=True)
    (etc / "hostname").write_text(HOSTNAME + "\n")
    (etc / "hosts").write_text(f"127.0.0.1 localhost\n127.0.1.1 {HOSTNAME}\n")
    # HOMEHOST must be in the initrd's mdadm.conf, else the initrd assembles no md0 (LAB.md).
    (etc / "mdadm" / "mdadm.conf").write_text(f"HOMEHOST {HOSTNAME}\nMAILADDR root\n")
    (etc / "fstab").write_text("# root comes from the kernel command line\n")
    for exe in stage.rglob("*"):
        if exe.is_file() and ("sbin" in exe.parts or "bin" in exe.parts):
            exe.chmod(0o755)


def build_rootfs(rec: Recipe, cache: Path, rootfs: Path, stage: Path) -> None:
    """mmdebstrap the guest root, then copy the overlay in, depmod and regenerate the initrd."""
    main, security = mirror_uris()
    suite = SUITES[rec.variant]
    pkgs = (
        [f"linux-image-{rec.kver}"]
        + GUEST_PACKAGES
        + [
            p + ("/bookworm-backports" if suite == "bookworm-backports" else "")
            for p in ZFS_PACKAGES[rec.variant]
        ]
    )
    argv = [
        "mmdebstrap",
        "--variant=minbase",
        "--mode=root",
        '--aptopt=APT::Install-Recommends "false"',
        f"--include={','.join(pkgs)}",
        f"--include={dummy_zfs_modules_deb(cache)}",
        "--hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount",
        f'--customize-hook=cp -a {stage}/. "$1"/',
        f'--customize-hook=depmod -b "$1" {rec.kver}',
        '--customize-hook=chroot "$1" systemctl enable lab-job.service',
        f'--customize-hook=chroot "$1" update-initramfs -u -k {rec.kver}',
        "--customize-hook=chroot \"$1\" sh -c 'echo root:root | chpasswd'",
        "bookworm",
        str(rootfs),
        f"deb {main} bookworm main contrib",
        f"deb {main} bookworm-updates main contrib",
        f"deb {security} bookworm-security main contrib",
        f"deb {main} bookworm-backports main contrib",
    ]
    run(argv)


def build_tiny_initrd(rootfs: Path, kver: str, out: Path) -> None:
    """A busybox initrd that loads virtio-blk + ext4, mounts root= and switches to init=."""
    deps = "".join(
        capture(["modprobe", "-d", str(rootfs), "-S", kver, "--show-depends", m])
        for m in TINY_MODULES
    )
    order: list[str] = []
    for line in deps.splitlines():
        parts = line.split()
        if len(parts) > 1 and parts[0] == "insmod" and parts[1] not in order:
            order.append(parts[1])
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        _write_tiny_tree(t, order)
        files = sorted(str(p.relative_to(t)) for p in t.rglob("*"))
        data = subprocess.run(
            ["cpio", "-o", "-H", "newc", "--quiet"],
            cwd=t,
            check=True,
            input=("\n".join(["."] + files) + "\n").encode(),  # noqa: RUF005
            stdout=subprocess.PIPE,
        ).stdout
    out.write_bytes(data)


def _write_tiny_tree(t: Path, modules: list[str]) -> None:
    """Populate the tiny initrd tree in t with busybox, the modules (in order) and /init."""
    for d in ("bin", "dev", "proc", "sys", "newroot", "modules"):
        (t / d).mkdir()
    shutil.copy2("/bin/busybox", t / "bin" / "busybox")
    for path in modules:
        shutil.copy2(path, t / "modules" / Path(path).name)
    (t / "modules" / "order").write_text("".join(Path(p).name + "\n" for p in modules))
    shutil.copy2(HERE / "tiny_init.sh", t / "init")
    (t / "init").chmod(0o755)


def ensure_image(variant: str, cache: Path | None = None, host: bool = True) -> Path:
    """Return the image directory for variant, building what the cache lacks."""
    cache = (cache or default_cache()).resolve()
    cache.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    if host:
        host_setup()
    rec = recipe(variant)
    img = cache / "images" / f"{variant}-{rec.key()}"
    with open(cache / f".lock-{variant}", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build per variant at a time (parallel runs)
        if (img / "manifest.json").exists():
            log(f"image {img.name}: cached ({time.monotonic() - t0:.1f} s)")
            return img
        _build(rec, cache, img, t0)
    for stale in (cache / "images").glob(f"{variant}-*"):
        if stale != img:  # an older recipe of this variant: free its ~1 GB
            shutil.rmtree(stale, ignore_errors=True)
    return img


def _build(rec: Recipe, cache: Path, img: Path, t0: float) -> None:
    """Build the image of a recipe into img (modules from the cache when there)."""
    variant = rec.variant
    log(f"building image {img.name}: zfs {rec.zfs}, kernel {rec.kver}")
    timings: dict[str, float] = {}
    t = time.monotonic()
    modules = build_modules(rec.zfs, rec.kver, cache)
    timings["modules"] = time.monotonic() - t
    work = Path(tempfile.mkdtemp(prefix=f"build-{variant}-", dir=cache))
    try:
        rootfs, stage = work / "rootfs", work / "stage"
        stage_overlay(stage, modules, rec.kver)
        t = time.monotonic()
        build_rootfs(rec, cache, rootfs, stage)
        timings["rootfs"] = time.monotonic() - t
        t = time.monotonic()
        tmpimg = work / "img"
        tmpimg.mkdir()
        shutil.copy2(rootfs / "boot" / f"vmlinuz-{rec.kver}", tmpimg / "vmlinuz")
        shutil.copy2(rootfs / "boot" / f"initrd.img-{rec.kver}", tmpimg / "initrd.img")
        build_tiny_initrd(rootfs, rec.kver, tmpimg / "initrd-tiny.img")
        run(
            [
                "mkfs.ext4",
                "-q",
                "-F",
                "-L",
                "labroot",
                "-d",
                str(rootfs),
                str(tmpimg / "root.img"),
                ROOT_IMAGE_SIZE,
            ]
        )
        timings["pack"] = time.monotonic() - t
        size = sum(f.stat().st_blocks * 512 for f in tmpimg.iterdir())
        manifest = {
            **asdict(rec),
            "key": rec.key(),
            "timings_s": timings,
            "disk_bytes": size,
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        (tmpimg / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        img.parent.mkdir(parents=True, exist_ok=True)
        if img.exists():
            shutil.rmtree(img)
        tmpimg.rename(img)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log(
        f"image {img.name} built in {time.monotonic() - t0:.0f} s "
        f"({', '.join(f'{k} {v:.0f} s' for k, v in timings.items())}), {size / 2**20:.0f} MiB"
    )


RECIPE_FUNCTIONS: list[Callable[..., object]] = [
    dummy_zfs_modules_deb,
    stage_overlay,
    build_rootfs,
    build_tiny_initrd,
    _write_tiny_tree,
]


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; prints the image directory."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", choices=sorted(SUITES), default="2.3")
    ap.add_argument("--cache", type=Path, default=None)
    ap.add_argument("--no-host-setup", action="store_true", help="skip apt sources/installs")
    ap.add_argument("--host-only", action="store_true", help="only the apt sources/installs")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("build_image.py must run as root (apt, mmdebstrap, chroot)", file=sys.stderr)
        return 2
    if args.host_only:
        host_setup()
        return 0
    print(ensure_image(args.variant, args.cache, host=not args.no_host_setup))
    return 0


if __name__ == "__main__":
    sys.exit(main())
