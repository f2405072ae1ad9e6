#!/bin/sh
# Guest-side helpers of the md2zfs lab (run from the read-only project share).
#   guest_tools.sh dev SERIAL WWN   print the /dev path of the whole disk with that serial
#                                   (or that WWN, as lsblk prints it: 0x + 16 hex digits; 0 = none)
#   guest_tools.sh partition DISK   GPT: 1 MiB BIOS boot, 64 MiB ESP, the rest Linux RAID
#   guest_tools.sh capture NAME     md2zfs capture into /lab/job/captures/NAME
#   guest_tools.sh md-root A B      partition A and B like a server (BIOS boot, ESP, Linux
#                                   RAID), create md0 (RAID1, 0.90) and copy / onto it
set -eu

part() { case "$1" in *[0-9]) echo "${1}p$2" ;; *) echo "$1$2" ;; esac; }

cmd_dev() {
    found=$(find_dev "$@")
    [ -n "$found" ] || { echo "guest_tools: no disk with serial $1 / WWN $2" >&2; exit 1; }
    echo "$found"
}

find_dev() {
    serial=$1 wwn=$2
    lsblk -dnP -o NAME,SERIAL,WWN | while read -r line; do
        eval "$line"
        if [ "$SERIAL" = "$serial" ] || { [ "$wwn" != 0 ] && [ "$WWN" = "$wwn" ]; }; then
            echo "/dev/$NAME"
            exit 0
        fi
    done
}

cmd_partition() {
    sfdisk --quiet --wipe always "$1" <<PARTS
label: gpt
size=1MiB, type=21686148-6449-6E6F-744E-656564454649, name=bios
size=64MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=esp
type=A19D880F-05FC-4D3B-A006-743F0F84911E, name=raid
PARTS
}

# The lab server poses as NixOS: /etc/NIXOS and a configuration that md2zfs extends
# (nixos-rebuild and friends are stand-ins, see standins/nixos_standin.py).
nixos_dress() {
    root=$1 a=$2 b=$3
    # Like a NixOS server before phase 3: no ZFS (module and zpool/zfs hidden until the
    # nixos-rebuild stand-in sees boot.supportedFilesystems = [ "zfs" ]) and no /etc/hostid.
    kver=$(uname -r)
    off=$root/var/lib/md2zfs-lab/off
    mkdir -p "$off/bin"
    mv "$root/usr/lib/modules/$kver/updates/zfs" "$off/zfs-modules"
    depmod -b "$root" "$kver"
    for tool in zpool zfs zdb; do mv "$root/usr/sbin/$tool" "$off/bin/"; done
    rm -f "$root/etc/hostid"
    mkdir -p "$root/etc/nixos"
    : > "$root/etc/NIXOS"
    cat > "$root/etc/nixos/hardware-configuration.nix" <<NIX
{ config, lib, pkgs, modulesPath, ... }:
{
  boot.initrd.availableKernelModules = [ "ahci" "virtio_pci" "virtio_blk" "virtio_scsi" ];
  fileSystems."/" = { device = "/dev/md0"; fsType = "ext4"; };
  swapDevices = [ ];
}
NIX
    cat > "$root/etc/nixos/configuration.nix" <<NIX
{ config, pkgs, ... }:
{
  imports = [
    ./hardware-configuration.nix
  ];
  boot.loader.grub.enable = true;
  boot.loader.grub.devices = [ "$a" "$b" ];
  boot.swraid.enable = true;
  networking.hostName = "md2zfs-lab";
  services.openssh.enable = true;
  system.stateVersion = "25.05";
}
NIX
}

cmd_md_root() {
    a=$1 b=$2
    for d in "$a" "$b"; do cmd_partition "$d"; done
    udevadm settle
    for d in "$a" "$b"; do mkfs.vfat -n ESP "$(part "$d" 2)" > /dev/null; done
    mdadm --create /dev/md0 --run --metadata=0.90 --level=1 --raid-devices=2 \
        --assume-clean --homehost=md2zfs-lab "$(part "$a" 3)" "$(part "$b" 3)"
    mkfs.ext4 -q -L root /dev/md0
    mkdir -p /mnt/newroot
    mount /dev/md0 /mnt/newroot
    rsync -aHAXSx --exclude='/lab/*' --exclude='/mnt/*' / /mnt/newroot/
    echo "/dev/md0 / ext4 defaults 0 1" > /mnt/newroot/etc/fstab
    { echo "HOMEHOST md2zfs-lab"; echo "MAILADDR root"; mdadm --detail --scan; } \
        > /mnt/newroot/etc/mdadm/mdadm.conf
    nixos_dress /mnt/newroot "$a" "$b"
    umount /mnt/newroot
    udevadm settle
    mdadm --stop /dev/md0
    sync
    echo "md-root: / copied onto md0 ($(part "$a" 3) $(part "$b" 3))"
}

# `md2zfs capture` of this machine into /lab/job/captures/NAME (the host copies them to
# tests/data/lab/ when MD2ZFS_LAB_CAPTURES says so); a no-op before the CLI has capture.
cmd_capture() {
    if [ -f /lab/project/backend/cmd_capture.py ]; then
        (cd /lab/project && python3 -m backend.cli capture "/lab/job/captures/$1") > /dev/null
    fi
}

case "$1" in
    dev) shift; cmd_dev "$@" ;;
    partition) shift; cmd_partition "$@" ;;
    capture) shift; cmd_capture "$@" ;;
    md-root) shift; cmd_md_root "$@" ;;
    *) echo "usage: $0 dev SERIAL WWN | partition DISK | capture NAME | md-root A B" >&2; exit 2 ;;
esac
