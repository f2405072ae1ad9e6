# md2zfs.nix: written by md2zfs (stage zfs-enable). md2zfs rewrites this file;
# keep your own settings in configuration.nix.
{ config, lib, pkgs, ... }:

{
  boot.supportedFilesystems = [ "zfs" ];
  networking.hostId = "7b03b418";  # from the first 8 hex digits of /etc/machine-id
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
}
