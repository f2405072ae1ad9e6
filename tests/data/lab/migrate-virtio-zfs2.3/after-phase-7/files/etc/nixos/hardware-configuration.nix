{ config, lib, pkgs, modulesPath, ... }:
{
  boot.initrd.availableKernelModules = [ "ahci" "virtio_pci" "virtio_blk" "virtio_scsi" ];
  fileSystems."/" = { device = "/dev/md0"; fsType = "ext4"; };
  swapDevices = [ ];
}
