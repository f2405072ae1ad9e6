"""The COMMANDS.md vocabulary, phase by phase, as a test helper driving a SimHost by hand.

Each phase function runs its commands and asserts each one succeeded; `wait_until` moves a
FakeClock forward. The tests build on these to reach (and check) the end state, and to stop
mid-way for persistence and refusal tests.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from backend.host import CommandResult
from backend.sim.clock import FakeClock
from backend.sim.host import SimHost

BIOS_BOOT = "21686148-6449-6E6F-744E-656564454649"
LINUX_FS = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
ZFS = "6A898CC3-1DD2-11B2-99A6-080020736631"
RAID = "A19D880F-05FC-4D3B-A006-743F0F84911E"
POOL = "rpool"
NIX_SET_PROFILE = (
    "nix-env",
    "-p",
    "/nix/var/nix/profiles/system",
    "-f",
    "<nixpkgs/nixos>",
    "--set",
    "-A",
    "system",
)
# The COMMANDS.md argv that several tests spell out; one copy here (the tests' oracle, kept
# apart from the plan builder on purpose: a test reading the builder's own tuples proves nothing).
CREATE_BOOT_ARRAY = (
    "mdadm",
    "--create",
    "/dev/md1",
    "--run",
    "--metadata=0.90",
    "--level=1",
    "--raid-devices=1",
    "--force",
    "/dev/sda2",
)
MKFS_BOOT = ("mkfs.ext4", "-F", "-L", "boot", "/dev/md1")
UDEV_CHANGE_MD1 = ("udevadm", "trigger", "--action=change", "/dev/md1")
POOL_OPTIONS = (
    "-o",
    "ashift=12",
    "-O",
    "xattr=sa",
    "-O",
    "acltype=posixacl",
    "-O",
    "atime=off",
    "-O",
    "mountpoint=legacy",
)
BOOT_FROM_MNT = (
    "nixos-enter",
    "--root",
    "/mnt",
    "--",
    "/run/current-system/bin/switch-to-configuration",
    "boot",
)


def run(host: SimHost, *argv: str, stdin: str | None = None) -> CommandResult:
    """Run and require success."""
    result = host.run(list(argv), stdin=stdin)
    assert result.ok, (argv, result.returncode, result.stdout, result.stderr)
    return result


def by_id(host: SimHost, part: str) -> str:
    """The ata- by-id path of a partition."""
    return next(p for p in host.udev()[part].by_id if "/ata-" in p)


def clock(host: SimHost) -> FakeClock:
    """The host's FakeClock."""
    c = host.sim_clock
    assert isinstance(c, FakeClock)
    return c


def strip_ids(dump: str, *, bios_to_linux: bool) -> str:
    """The phase-1 transform: drop label-id/device/uuids, BIOS boot -> Linux filesystem."""
    out = []
    for line in dump.splitlines():
        if line.startswith(("label-id:", "device:")):
            continue
        line = re.sub(r",\s*uuid=[0-9A-F-]+", "", line)
        if bios_to_linux:
            line = line.replace(BIOS_BOOT, LINUX_FS)
        out.append(line)
    return "\n".join(out) + "\n"


def phase1(host: SimHost) -> None:
    """Widen the mirror onto sdc and wait for the recovery."""
    dump = run(host, "sfdisk", "-d", "/dev/sda").stdout
    run(host, "sfdisk", "/dev/sdc", stdin=strip_ids(dump, bios_to_linux=True))
    run(host, "mdadm", "--grow", "/dev/md0", "--raid-devices=3", "--add", "/dev/sdc3")


def wait_md(host: SimHost, md: str = "md0") -> None:
    """Advance the clock until the array has no sync running."""
    for _ in range(10_000):
        if (
            "recovery"
            not in host.read_file("/proc/mdstat").split(md + " :", 1)[1].split("\n\n", 1)[0]
        ):
            return
        clock(host).advance(60)
    raise AssertionError("md never finished")


def phase2(host: SimHost) -> None:
    """Free disk A."""
    run(host, "swapoff", "/dev/sda2")
    run(host, "mdadm", "/dev/md0", "--fail", "/dev/sda3", "--remove", "/dev/sda3")
    run(host, "mdadm", "--grow", "/dev/md0", "--raid-devices=2")
    run(host, "wipefs", "-a", "/dev/sda3")


MODULE_3 = """{ config, lib, pkgs, ... }:
{
  boot.supportedFilesystems = [ "zfs" ];
  networking.hostId = "4f2a9c7e";
  systemd.targets.md2zfs-maintenance = {
    description = "md2zfs maintenance (sshd and network only)";
    requires = [ "sshd.service" "network-online.target" ];
    unitConfig.AllowIsolate = true;
  };
}
"""


def phase3(host: SimHost) -> None:
    """Enable ZFS through a NixOS module and a rebuild."""
    host.write_file("/etc/nixos/md2zfs.nix", MODULE_3)
    conf = host.read_file("/etc/nixos/configuration.nix")
    host.write_file(
        "/etc/nixos/configuration.nix",
        conf.replace(
            "./hardware-configuration.nix", "./hardware-configuration.nix\n      ./md2zfs.nix"
        ),
    )
    run(host, "nixos-rebuild", "switch")
    run(host, "modprobe", "zfs")
    assert run(host, "hostid").stdout.strip() == "4f2a9c7e"


def layout_script() -> str:
    """DA's new layout: BIOS boot, /boot (2 GiB, Linux RAID), the rest ZFS."""
    return f"label: gpt\n,1MiB,{BIOS_BOOT}\n,2GiB,{RAID}\n,,{ZFS}\n"


def phase4(host: SimHost) -> None:
    """Build the pool on DA and make the first copy."""
    run(host, "sfdisk", "/dev/sda", stdin=layout_script())
    run(host, *CREATE_BOOT_ARRAY)
    run(host, *MKFS_BOOT)
    run(host, "zpool", "create", "-f", *POOL_OPTIONS, POOL, by_id(host, "sda3"))
    run(host, "zfs", "create", f"{POOL}/root")
    run(host, "zfs", "create", f"{POOL}/root/nix")
    run(host, "zfs", "create", "-o", "atime=on", f"{POOL}/root/var")
    run(host, "zfs", "create", "-o", "sync=disabled", f"{POOL}/root/tmp")
    run(host, "zfs", "create", f"{POOL}/root/etc")
    mount_all(host)
    rsync_all(host, delete=False)


def small_pool(host: SimHost, pool: str = POOL, dataset: str = "root") -> None:
    """DA partitioned as in phase 4, a bare pool on it and one dataset mounted at /mnt."""
    run(host, "sfdisk", "/dev/sda", stdin=layout_script())
    run(host, "zpool", "create", "-f", "-O", "mountpoint=legacy", pool, "/dev/sda3")
    run(host, "zfs", "create", f"{pool}/{dataset}")
    run(host, "mount", "-t", "zfs", f"{pool}/{dataset}", "/mnt")


def mount_all(host: SimHost) -> None:
    """Mount the new tree under /mnt."""
    run(host, "mkdir", "-p", "/mnt")
    run(host, "mount", "-t", "zfs", f"{POOL}/root", "/mnt")
    for sub in ("nix", "var", "tmp", "etc"):
        run(host, "mkdir", "-p", f"/mnt/{sub}")
        run(host, "mount", "-t", "zfs", f"{POOL}/root/{sub}", f"/mnt/{sub}")
    run(host, "mkdir", "-p", "/mnt/boot")
    run(host, "mount", "/dev/md1", "/mnt/boot")


def rsync_all(host: SimHost, *, delete: bool) -> None:
    """Copy / and /boot into /mnt."""
    extra: Sequence[str] = ("--delete",) if delete else ()
    run(host, "rsync", "-aHAXS", *extra, "--one-file-system", "--info=progress2", "/", "/mnt/")
    run(host, "rsync", "-aHAXS", *extra, "--info=progress2", "/boot/", "/mnt/boot/")


def module_5(host: SimHost) -> str:
    """The full module: phase 3 plus the new root, /boot on md1, GRUB on both disks."""
    md1 = host.run(["blkid", "/dev/md1"]).stdout.split('UUID="')[1].split('"')[0]
    grub = " ".join(f'"{by_id(host, d)}"' for d in ("sda", "sdb"))
    fs = "\n".join(
        f'  fileSystems."{m}" = lib.mkForce {{ device = "{POOL}/root{s}"; fsType = "zfs"; }};'
        for m, s in (
            ("/", ""),
            ("/nix", "/nix"),
            ("/var", "/var"),
            ("/tmp", "/tmp"),
            ("/etc", "/etc"),
        )
    )
    return (
        MODULE_3.rstrip().rstrip("}")
        + f"""
{fs}
  fileSystems."/boot" = {{ device = "/dev/disk/by-uuid/{md1}"; fsType = "ext4"; }};
  boot.loader.grub.devices = lib.mkForce [ {grub} ];
  swapDevices = lib.mkForce [ ];
  boot.swraid.enable = true;
}}
"""
    )


def phase5(host: SimHost) -> None:
    """Teach NixOS the new root."""
    host.write_file("/etc/nixos/md2zfs.nix", module_5(host))
    run(host, "nixos-rebuild", "dry-activate")
    # The new generation becomes the newest of the profile: not activated, no boot loader.
    run(host, *NIX_SET_PROFILE)


def phase6(host: SimHost) -> None:
    """Cut over: quiesce, final copy, boot entry, move B into the pool, resilver."""
    phase6a(host)
    phase6b(host)


def phase6a(host: SimHost) -> None:
    """Cut over, first half: quiesce, final copy, boot loader from the copy in /mnt."""
    run(host, "systemctl", "isolate", "md2zfs-maintenance.target")
    run(
        host,
        "systemctl",
        "stop",
        "systemd-journald.socket",
        "systemd-journald-dev-log.socket",
        "systemd-journald-audit.socket",
        "systemd-journald.service",
    )
    rsync_all(host, delete=True)
    run(host, *BOOT_FROM_MNT)


def phase6b(host: SimHost) -> None:
    """Cut over, second half: unmount, move B into md1 and the pool."""
    for target in ("/mnt/boot", "/mnt/nix", "/mnt/var", "/mnt/tmp", "/mnt/etc", "/mnt"):
        run(host, "umount", target)
    run(host, "mdadm", "/dev/md0", "--fail", "/dev/sdb3", "--remove", "/dev/sdb3")
    run(host, "swapoff", "/dev/sdb2")
    run(host, "wipefs", "-a", "/dev/sdb3")
    dump = run(host, "sfdisk", "-d", "/dev/sda").stdout
    run(host, "sfdisk", "/dev/sdb", stdin=strip_ids(dump, bios_to_linux=False))
    run(host, "mdadm", "--grow", "/dev/md1", "--raid-devices=2", "--add", "/dev/sdb2")
    run(host, "zpool", "attach", POOL, by_id(host, "sda3"), by_id(host, "sdb3"))


def wait_resilver(host: SimHost) -> None:
    """Advance until the pool's resilver and md1's recovery are done."""
    for _ in range(10_000):
        status = run(host, "zpool", "status", "-P").stdout
        if "in progress" not in status and "recovery" not in host.read_file("/proc/mdstat"):
            return
        clock(host).advance(30)
    raise AssertionError("resilver never finished")


def phase7(host: SimHost) -> None:
    """After the reboot: stop R, wipe C."""
    run(host, "mdadm", "--stop", "/dev/md0")
    run(host, "udevadm", "settle")
    run(host, "wipefs", "-a", "/dev/sdc3")
    run(host, "wipefs", "-a", "/dev/sdc")


def through(host: SimHost, last: int) -> None:
    """Phases 1 to `last` (at most 6) in order, waiting out the recovery that phase 1 starts
    and, with phase 6, the resilver."""
    waits = {1: wait_md, 6: wait_resilver}
    for number, phase in enumerate((phase1, phase2, phase3, phase4, phase5, phase6), 1):
        if number > last:
            return
        phase(host)
        if number in waits:
            waits[number](host)


def migrate(host: SimHost) -> None:
    """The whole migration, phases 1-7, including the waits and the reboot."""
    through(host, 6)
    assert host.run(["zpool", "import"]).returncode == 1
    run(host, "systemctl", "reboot")
    phase7(host)
