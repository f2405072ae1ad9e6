"""Names of the partition types md2zfs meets (GPT GUIDs and MBR ids), for people."""

from __future__ import annotations

BIOS_BOOT = "21686148-6449-6E6F-744E-656564454649"
EFI_SYSTEM = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
LINUX_FS = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
LINUX_SWAP = "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F"
LINUX_RAID = "A19D880F-05FC-4D3B-A006-743F0F84911E"
LINUX_LVM = "E6D6D379-F507-44C2-A23C-238F2A3DF928"
ZFS = "6A898CC3-1DD2-11B2-99A6-080020736631"  # "Solaris /usr & Apple ZFS"

_NAMES = {
    BIOS_BOOT: "BIOS boot",
    EFI_SYSTEM: "EFI system",
    LINUX_FS: "Linux filesystem",
    LINUX_SWAP: "Linux swap",
    LINUX_RAID: "Linux RAID",
    LINUX_LVM: "Linux LVM",
    ZFS: "ZFS",
    # MBR ids
    "0X83": "Linux",
    "0X82": "Linux swap",
    "0XFD": "Linux RAID autodetect",
    "0X8E": "Linux LVM",
    "0XEF": "EFI system",
    "0XEE": "GPT protective",
    "83": "Linux",
    "82": "Linux swap",
    "FD": "Linux RAID autodetect",
    "8E": "Linux LVM",
    "EF": "EFI system",
}


def type_name(part_type: str | None) -> str | None:
    """Name "BIOS boot" for 21686148-…, "Linux RAID" for A19D880F-… or 0xfd; None when unknown."""
    if not part_type:
        return None
    return _NAMES.get(part_type.upper())
