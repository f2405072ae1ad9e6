"""What the real tools refuse, the sim refuses, with their text and exit code, and no change."""

from __future__ import annotations

from backend.sim.host import SimHost
from backend.sim.persist import to_json
from backend.sim.variants import foreign_pool, mounted_c, small_c
from tests.sim import walk


def refused(host: SimHost, *argv: str, code: int = 1, stdin: str | None = None) -> str:
    """Run argv, expect `code`, expect the state untouched; return stderr."""
    before = to_json(host.state)
    result = host.run(list(argv), stdin=stdin)
    assert result.returncode == code, (argv, result)
    assert to_json(host.state) == before, "a refused command changed the state"
    return result.stderr


def pool_ready(host: SimHost) -> None:
    """Through phase 3 (ZFS enabled, A wiped)."""
    walk.through(host, 3)


def test_zpool_create_on_active_md_member(host: SimHost) -> None:
    walk.phase3(host)
    err = refused(host, "zpool", "create", "-f", "rpool", "/dev/sda3")
    assert err == (
        "cannot create 'rpool': one or more vdevs refer to the same device, or one "
        "of\nthe devices is part of an active md or lvm device\n"
    )
    err = refused(host, "zpool", "create", "rpool", "/dev/sda3")
    assert err == (
        "invalid vdev specification\nuse '-f' to override the following errors:\n"
        "/dev/sda3 contains a filesystem of type 'linux_raid_member'\n"
    )


def test_mdadm_remove_active_and_fail_last(host: SimHost) -> None:
    err = refused(host, "mdadm", "/dev/md0", "--remove", "/dev/sda3")
    assert err == "mdadm: hot remove failed for /dev/sda3: Device or resource busy\n"
    walk.run(host, "mdadm", "/dev/md0", "--fail", "/dev/sda3")
    err = refused(host, "mdadm", "/dev/md0", "--fail", "/dev/sdb3")
    assert err == "mdadm: set device faulty failed for /dev/sdb3:  Device or resource busy\n"


def test_mdadm_fail_remove_prints_like_mdadm(host: SimHost) -> None:
    result = walk.run(host, "mdadm", "/dev/md0", "--fail", "/dev/sda3", "--remove", "/dev/sda3")
    assert result.stderr == (
        "mdadm: set /dev/sda3 faulty in /dev/md0\nmdadm: hot removed /dev/sda3 from /dev/md0\n"
    )


def test_wipefs_busy_partition_and_disk(host: SimHost) -> None:
    err = refused(host, "wipefs", "-a", "/dev/sda3")
    assert (
        err == "wipefs: error: /dev/sda3: probing initialization failed: Device or resource busy\n"
    )
    refused(host, "wipefs", "-a", "/dev/sda2")  # active swap
    refused(host, "wipefs", "-a", "/dev/sda")  # partitions in use


def test_sfdisk_on_a_disk_in_use(host: SimHost) -> None:
    result = host.run(["sfdisk", "/dev/sda"], stdin=walk.layout_script())
    assert result.returncode == 1
    assert result.stdout == "Checking that no-one is using this disk right now ... FAILED\n\n"
    assert result.stderr == (
        "sfdisk: This disk is currently in use - repartitioning is probably a bad idea.\n"
        "Umount all file systems, and swapoff all swap partitions on this disk.\n"
        "Use the --no-reread flag to suppress this check.\n\n"
        "sfdisk: Use the --force flag to overrule all checks.\n"
    )
    mounted_c(host.state)
    refused(host, "sfdisk", "/dev/sdc", stdin=walk.layout_script())


def test_sfdisk_bad_type_guid(host: SimHost) -> None:
    err = refused(host, "sfdisk", "/dev/sdc", stdin="label: gpt\n,1MiB,21686148-6449-6E6F\n")
    assert err == "sfdisk: Failed to add #1 partition: Invalid argument\n"


def test_pool_name_that_exists(host: SimHost) -> None:
    pool_ready(host)
    walk.run(host, "sfdisk", "/dev/sda", stdin=walk.layout_script())
    walk.run(host, "zpool", "create", "-f", "rpool", "/dev/sda3")
    assert (
        refused(host, "zpool", "create", "-f", "rpool", "/dev/sda1")
        == "cannot create 'rpool': pool already exists\n"
    )
    assert (
        refused(host, "zpool", "create", "1pool", "/dev/sda1")
        == "cannot create '1pool': name must begin with a letter\n"
    )


def test_zpool_create_on_an_exported_pool_needs_force(host: SimHost) -> None:
    foreign_pool(host.state)
    walk.phase3(host)
    err = refused(host, "zpool", "create", "tank", "/dev/sdc1")
    assert err.endswith("/dev/sdc1 is part of exported pool 'rpool'\n")


def test_zpool_attach_too_small(host: SimHost) -> None:
    small_c(host.state)
    walk.phase3(host)
    walk.run(host, "swapoff", "/dev/sda2")
    walk.run(host, "mdadm", "/dev/md0", "--fail", "/dev/sda3", "--remove", "/dev/sda3")
    walk.run(host, "wipefs", "-a", "/dev/sda3")
    walk.run(host, "sfdisk", "/dev/sda", stdin=walk.layout_script())
    walk.run(host, "zpool", "create", "-f", "rpool", "/dev/sda3")
    walk.run(host, "sfdisk", "/dev/sdc", stdin=walk.layout_script())
    err = refused(host, "zpool", "attach", "rpool", "/dev/sda3", "/dev/sdc3")
    assert err == "cannot attach /dev/sdc3 to /dev/sda3: device is too small\n"


def test_mdadm_add_too_small(host: SimHost) -> None:
    small_c(host.state)
    dump = walk.run(host, "sfdisk", "-d", "/dev/sda").stdout
    result = host.run(["sfdisk", "/dev/sdc"], stdin=walk.strip_ids(dump, bios_to_linux=True))
    assert result.returncode == 1 and "Numerical result out of range" in result.stderr
    walk.run(host, "sfdisk", "/dev/sdc", stdin=walk.layout_script())
    err = refused(host, "mdadm", "/dev/md0", "--add", "/dev/sdc3")
    assert err == "mdadm: /dev/sdc3 not large enough to join array\n"


def test_unknown_devices(host: SimHost) -> None:
    assert (
        refused(host, "mdadm", "--detail", "/dev/md9")
        == "mdadm: cannot open /dev/md9: No such file or directory\n"
    )
    assert (
        refused(host, "wipefs", "-a", "/dev/sdz3")
        == "wipefs: error: /dev/sdz3: probing initialization failed: No such file or directory\n"
    )
    assert (
        refused(host, "sfdisk", "-d", "/dev/sdz")
        == "sfdisk: cannot open /dev/sdz: No such file or directory\n"
    )
    assert (
        refused(host, "mdadm", "/dev/md0", "--add", "/dev/sdz3")
        == "mdadm: Cannot open /dev/sdz3: No such file or directory\n"
    )
    walk.phase3(host)
    assert refused(host, "zpool", "create", "rpool", "/dev/disk/by-id/ata-NOPE-part3") == (
        "cannot open '/dev/disk/by-id/ata-NOPE-part3': no such device in /dev\n"
        "must be a full path or shorthand device name\n"
    )


def test_unknown_command(host: SimHost) -> None:
    assert refused(host, "fdisk", "-l", code=127) == "fdisk: command not found\n"


def test_stop_mounted_array_and_umount_busy(host: SimHost) -> None:
    assert refused(host, "mdadm", "--stop", "/dev/md0").startswith(
        "mdadm: Cannot get exclusive access to /dev/md0"
    )
    assert refused(host, "umount", "/", code=32) == "umount: /: target is busy.\n"
    assert refused(host, "umount", "/mnt", code=32) == "umount: /mnt: not mounted.\n"


def test_mkfs_and_mount_refusals(host: SimHost) -> None:
    assert "is mounted; will not make a filesystem here!" in refused(
        host, "mkfs.ext4", "-F", "/dev/md0"
    )
    assert (
        refused(host, "mount", "/dev/md0", "/nope", code=32)
        == "mount: /nope: mount point does not exist.\n"
    )


def test_non_root_gets_the_tools_own_errors() -> None:
    from backend.sim.clock import FakeClock
    from backend.sim.demo import demo_state

    host = SimHost(demo_state(), clock=FakeClock(), root=False)
    assert host.read_only and not host.is_root()
    assert host.run(["lsblk", "--json", "--bytes", "--output-all"]).ok
    assert "md0" in host.read_file("/proc/mdstat")
    assert (
        refused(host, "mdadm", "/dev/md0", "--fail", "/dev/sda3")
        == "mdadm: must be super-user to perform this action\n"
    )
    assert (
        refused(host, "mdadm", "--detail", "/dev/md0")
        == "mdadm: cannot open /dev/md0: Permission denied\n"
    )
    assert (
        refused(host, "sfdisk", "/dev/sdc", stdin="label: gpt\n")
        == "sfdisk: cannot open /dev/sdc: Permission denied\n"
    )
    assert (
        refused(host, "mount", "/dev/md0", "/mnt", code=32)
        == "mount: /mnt: must be superuser to use mount.\n"
    )
    try:
        host.write_file("/etc/nixos/md2zfs.nix", "{}")
    except PermissionError:
        pass
    else:
        raise AssertionError("write_file as non-root must fail")


def test_nixos_rebuild_refuses_zfs_without_host_id(host: SimHost) -> None:
    host.write_file("/etc/nixos/md2zfs.nix", '{ ... }: { boot.supportedFilesystems = [ "zfs" ]; }')
    conf = host.read_file("/etc/nixos/configuration.nix")
    host.write_file(
        "/etc/nixos/configuration.nix",
        conf.replace(
            "./hardware-configuration.nix", "./hardware-configuration.nix\n      ./md2zfs.nix"
        ),
    )
    result = host.run(["nixos-rebuild", "switch"])
    assert result.returncode == 1 and "ZFS requires networking.hostId" in result.stderr
    assert host.which("zpool") is None


def test_initrd_secret_missing_fails_the_boot_entry(host: SimHost) -> None:
    walk.phase3(host)
    key = "/etc/secrets/zfs-rpool.key"
    module = host.read_file("/etc/nixos/md2zfs.nix").rstrip().rstrip("}")
    module += f'  boot.initrd.secrets = {{ "{key}" = "{key}"; }};\n}}\n'
    host.write_file("/etc/nixos/md2zfs.nix", module)
    result = host.run(["nixos-rebuild", "boot"])
    assert result.returncode == 1
    assert "failed to create initrd secrets: No such file or directory" in result.stderr


def test_encrypted_pool_needs_its_key_file_and_the_chroot_needs_the_copy(host: SimHost) -> None:
    pool_ready(host)
    walk.run(host, "sfdisk", "/dev/sda", stdin=walk.layout_script())
    key = "/etc/secrets/zfs-rpool.key"
    enc = (
        "-O",
        "encryption=aes-256-gcm",
        "-O",
        "keyformat=passphrase",
        "-O",
        f"keylocation=file://{key}",
    )
    err = refused(host, "zpool", "create", "-f", *enc, "rpool", "/dev/sda3")
    assert err == "Failed to open key material file: No such file or directory\n"
    walk.run(host, "mkdir", "-p", "-m", "700", "/etc/secrets")
    host.write_file(key, "short\n", 0o600)
    assert (
        refused(host, "zpool", "create", "-f", *enc, "rpool", "/dev/sda3")
        == "Passphrase too short (min 8).\n"
    )
    host.write_file(key, "correct horse battery staple\n", 0o600)
    walk.run(host, "zpool", "create", "-f", "-O", "mountpoint=legacy", *enc, "rpool", "/dev/sda3")
    walk.run(host, "zfs", "create", "rpool/root")
    walk.run(host, "mount", "-t", "zfs", "rpool/root", "/mnt")
    module = walk.MODULE_3.rstrip().rstrip("}")
    module += f'  boot.initrd.secrets = {{ "{key}" = "{key}"; }};\n}}\n'
    host.write_file("/etc/nixos/md2zfs.nix", module)
    walk.run(host, *walk.NIX_SET_PROFILE)
    chroot = walk.BOOT_FROM_MNT
    result = host.run(list(chroot))
    assert result.returncode == 1  # the copy in /mnt has no key file yet
    assert "failed to create initrd secrets: No such file or directory" in result.stderr
    walk.run(host, "rsync", "-aHAXS", "--info=progress2", "/", "/mnt/")
    assert host.read_file(f"/mnt{key}") == "correct horse battery staple\n"
    walk.run(host, *chroot)


def test_udev_reassembly_race_after_stop(host: SimHost) -> None:
    """LAB.md: after `mdadm --stop`, udev re-assembles an inactive array; wipefs is EBUSY."""
    from backend.parse.mdadm import parse_detail
    from backend.parse.mdstat import parse_mdstat

    walk.through(host, 6)
    walk.run(host, "systemctl", "reboot")
    host.state.system.reassemble_on_stop = 1
    walk.run(host, "mdadm", "--stop", "/dev/md0")
    mdstat = host.read_file("/proc/mdstat")
    assert "md0 : inactive sdc3[2](S)\n      968371136 blocks\n" in mdstat
    md0 = parse_mdstat(mdstat).array("md0")
    assert md0 is not None and md0.state == "inactive"
    detail = parse_detail(walk.run(host, "mdadm", "--detail", "/dev/md0").stdout)
    assert detail.get("State") == "inactive"
    assert refused(host, "wipefs", "-a", "/dev/sdc3").endswith("Device or resource busy\n")
    walk.run(host, "udevadm", "settle")
    walk.run(host, "mdadm", "--stop", "/dev/md0")
    assert "md0" not in host.read_file("/proc/mdstat")
    walk.run(host, "wipefs", "-a", "/dev/sdc3")
