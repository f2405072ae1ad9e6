# md2zfs.nix: written by md2zfs (stage root-on-zfs). md2zfs rewrites this file;
# keep your own settings in configuration.nix.
{ config, lib, pkgs, ... }:

{
  boot.supportedFilesystems = [ "zfs" ];
  networking.hostId = "7de28ec2";  # from the first 8 hex digits of /etc/machine-id
  # boot.zfs.forceImportRoot keeps its default (false since nixpkgs 26.11): the pool
  # imports because its host id equals networking.hostId, not by force.
  boot.zfs.devNodes = "/dev/disk/by-id";
  boot.swraid.enable = true;

  systemd.targets.md2zfs-maintenance = {
    description = "md2zfs maintenance: only sshd and networking";
    wants = [ "sysinit.target" "sshd.service" "sshd.socket" "network.target" "network-online.target" "systemd-networkd.service" "systemd-resolved.service" "dhcpcd.service" "network-setup.service" "dbus.service" "systemd-logind.service" "getty.target" ];
    after = [ "sysinit.target" ];
    unitConfig.AllowIsolate = true;
  };

  fileSystems."/" = lib.mkForce { device = "rpool/root"; fsType = "zfs"; };
  fileSystems."/etc" = lib.mkForce { device = "rpool/root/etc"; fsType = "zfs"; };
  fileSystems."/nix" = lib.mkForce { device = "rpool/root/nix"; fsType = "zfs"; };
  fileSystems."/tmp" = lib.mkForce { device = "rpool/root/tmp"; fsType = "zfs"; };
  fileSystems."/var" = lib.mkForce { device = "rpool/root/var"; fsType = "zfs"; };
  fileSystems."/boot" = lib.mkForce { device = "/dev/disk/by-uuid/ea3eb165-7b7c-4b1e-8b7e-fe31f9748311"; fsType = "ext4"; };
  boot.loader.grub.devices = lib.mkForce [ "/dev/disk/by-id/virtio-SRVVI0001" "/dev/disk/by-id/virtio-SRVVI0002" ];
}
