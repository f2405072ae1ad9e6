{ config, pkgs, ... }:
{
  imports = [
    ./hardware-configuration.nix
    ./md2zfs.nix
  ];
  boot.loader.grub.enable = true;
  boot.loader.grub.devices = [ "/dev/vdb" "/dev/vdc" ];
  boot.swraid.enable = true;
  networking.hostName = "md2zfs-lab";
  services.openssh.enable = true;
  system.stateVersion = "25.05";
}
