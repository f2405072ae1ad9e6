"""lsblk --json parsing: the published corpus (three eras) and util-linux 2.38 layouts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from backend.parse.lsblk import BlockNode, LsblkParseError, parse_lsblk, size_to_bytes
from backend.parse.lsblk_report import disk_to_json
from tests.corpus import samples

# --- the corpus ---------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "expected"), samples("lsblk-json"))
def test_corpus_facts(path: Path, expected: dict[str, Any]) -> None:
    """Devices flattened in document order with parent and depth; raw values and types kept."""
    facts = expected["facts"]
    nodes = parse_lsblk(path.read_text()).nodes
    assert len(nodes) == facts["device_count"] == len(facts["devices"])
    for node, fact in zip(nodes, facts["devices"], strict=True):
        fact = dict(fact)
        assert node.parent == fact.pop("_parent")
        assert node.depth == fact.pop("_depth")
        assert dict(node.raw) == fact
        if "name" in fact:
            assert node.name == fact["name"]
        else:  # `-o path,...`: the name is the path's last component
            assert f"/dev/{node.name}" == fact["path"]
    for key, types in facts["value_types_per_key"].items():
        seen = {type(n.raw[key]).__name__ for n in nodes if key in n.raw}
        assert seen == set(types), key


def _typed_fields_agree_with_raw(node: BlockNode) -> None:
    raw = node.raw
    if "size" in raw:
        assert node.size_bytes == size_to_bytes(raw["size"])
    for key, attr in [("fstype", "fstype"), ("parttype", "part_type"), ("pttype", "pttype")]:
        if key in raw:
            assert getattr(node, attr) == raw[key]
    if "mountpoint" in raw:
        assert node.mountpoints == ((raw["mountpoint"],) if raw["mountpoint"] else ())
    if "rota" in raw:
        assert node.rotational is False  # every rota in the corpus is false / "0"
    if "ro" in raw:
        assert node.read_only is False


@pytest.mark.parametrize(("path", "expected"), samples("lsblk-json"))
def test_corpus_typed_fields(path: Path, expected: dict[str, Any]) -> None:
    for node in parse_lsblk(path.read_text()).nodes:
        _typed_fields_agree_with_raw(node)


@pytest.mark.parametrize(("path", "expected"), samples("lsblk-json"))
def test_corpus_source_expectation(path: Path, expected: dict[str, Any]) -> None:
    source = expected.get("source_expectation")
    if source is None:
        pytest.skip("the source states no expectation")
    parsed = parse_lsblk(path.read_text())
    assert [d.path for d in parsed.disks] == [dev["device"] for dev in source["devices"]]
    for disk, dev in zip(parsed.disks, source["devices"], strict=True):
        # drivelist lists a disk's own mountpoints, then its partitions', in document order.
        mounts = list(disk.mountpoints) + [m for p in disk.partitions for m in p.mountpoints]
        assert mounts == dev["mountpoints"]
        assert disk.pttype == dev["partitionTableType"]
        node = next(n for n in parsed.nodes if n.name == disk.name)
        removable = node.raw["rm"] == "1"
        assert removable == dev["isRemovable"]
        assert dev["isSystem"] == (not removable)  # drivelist: system = not removable, not virtual


def test_corpus_sizes_in_bytes() -> None:
    assert size_to_bytes("14.3G") == round(14.3 * 1024**3)
    assert size_to_bytes("460.7G") == round(460.7 * 1024**3)
    assert size_to_bytes("512M") == 512 * 1024**2
    assert size_to_bytes("0B") == 0
    assert size_to_bytes("1.8T") == round(1.8 * 1024**4)
    assert size_to_bytes("1,8T") == round(1.8 * 1024**4)
    assert size_to_bytes("500107862016") == 500107862016
    assert size_to_bytes(1000204886016) == 1000204886016


@pytest.mark.parametrize(
    "bad", ["big", "-1", "1.8X", True, [1], -5, float("nan"), "9" * 5000, "9" * 400 + "G", "\u0663"]
)
def test_bad_sizes(bad: object) -> None:
    with pytest.raises(LsblkParseError):
        size_to_bytes(bad)


# --- util-linux 2.38 (`lsblk --json --bytes --output-all`), as on the lab's Debian 12 ------

# Every column --output-all prints in 2.38, in its order (read off a real 2.38.1 run).
_COLUMNS_238 = (
    "alignment", "disc-aln", "dax", "disc-gran", "disc-max", "disc-zero", "fsavail", "fsroots",
    "fssize", "fstype", "fsused", "fsuse%", "fsver", "group", "hctl", "hotplug", "kname", "label",
    "log-sec", "maj:min", "min-io", "mode", "model", "name", "opt-io", "owner", "partflags",
    "partlabel", "parttype", "parttypename", "partuuid", "path", "phy-sec", "pkname", "pttype",
    "ptuuid", "ra", "rand", "rev", "rm", "ro", "rota", "rq-size", "sched", "serial", "size",
    "start", "state", "subsystems", "mountpoint", "mountpoints", "tran", "type", "uuid", "vendor",
    "wsame", "wwn", "zoned", "zone-sz", "zone-wgran", "zone-app", "zone-nr", "zone-omax",
    "zone-amax",
)  # fmt: skip
_DEFAULTS_238: dict[str, Any] = {
    **dict.fromkeys(_COLUMNS_238),
    **{"alignment": 0, "dax": False, "disc-zero": False, "fsroots": [None], "group": "disk"},
    **{"hotplug": False, "log-sec": 512, "min-io": 512, "mode": "brw-rw----", "opt-io": 0},
    **{"owner": "root", "phy-sec": 512, "ra": 128, "rand": False, "rm": False, "ro": False},
    **{"rota": False, "mountpoints": [None], "zoned": "none", "wsame": 0},
}


def _dev(name: str, pkname: str | None = None, **cols: Any) -> dict[str, Any]:
    """One device as 2.38 prints it: every column present, null where lsblk has nothing."""
    dev = dict(_DEFAULTS_238, name=name, kname=name, path=f"/dev/{name}", pkname=pkname)
    for key, value in cols.items():
        dev[key.replace("_", "-")] = value
    if dev["mountpoints"] != [None]:
        dev["mountpoint"] = dev["mountpoints"][0]
    return dev


WWN_A = "0x5002538f4130a1b2"
GIB = 1024**3
MD0 = _dev("md0", type="raid1", size=999 * GIB, fstype="ext4", fsver="1.0",
           uuid="3c0e9a2e-6f0a-4f43-8d3e-1f5f2b7c9a01", mountpoints=["/"],
           fsroots=["/"])  # fmt: skip
# A SATA SSD: wwn and serial, tran sata, vendor space-padded; its partitions inherit the
# WWN but not the serial (LAB.md).
SDA = _dev("sda", type="disk", size=1000 * GIB, model="Samsung SSD 870 EVO 1TB", vendor="ATA     ",
           serial="S6PUNX0T123456A", wwn=WWN_A, tran="sata", hctl="0:0:0:0", rev="SVT02B6Q",
           pttype="gpt", ptuuid="5e7d1f4a-2c1b-4b7e-9c3d-0a1b2c3d4e5f", children=[
    _dev("sda1", "sda", type="part", size=1024**2, start=2048, wwn=WWN_A, pttype="gpt",
         parttype="21686148-6449-6e6f-744e-656564454649", partlabel="BIOS boot",
         partuuid="0b4f3c1e-6a2d-4e8f-9b1c-2d3e4f5a6b7c"),
    _dev("sda2", "sda", type="part", size=8 * GIB, start=4096, wwn=WWN_A, fstype="swap",
         parttype="0657fd6d-a4ab-43c4-84e5-0933c84b4f4f", mountpoints=["[SWAP]"]),
    _dev("sda3", "sda", type="part", size=991 * GIB, start=16781312, wwn=WWN_A,
         fstype="linux_raid_member", fsver="0.90.0", label=None,
         parttype="a19d880f-05fc-4d3b-a006-743f0f84911e", children=[MD0]),
])  # fmt: skip
# A virtio disk: serial but no WWN, tran null, vendor the PCI id, no model.
VDA = _dev("vda", type="disk", size=1000 * GIB, serial="md2zfs-disk-b", vendor="0x1af4",
           rota=True, pttype="gpt", children=[
    _dev("vda1", "vda", type="part", size=1024**2, start=2048,
         parttype="21686148-6449-6e6f-744e-656564454649"),
    _dev("vda2", "vda", type="part", size=8 * GIB, start=4096, fstype="swap",
         mountpoints=["[SWAP]"]),
    _dev("vda3", "vda", type="part", size=991 * GIB, start=16781312,
         fstype="linux_raid_member", parttype="a19d880f-05fc-4d3b-a006-743f0f84911e",
         children=[MD0]),
])  # fmt: skip
# A disk holding a ZFS pool (zpool create on a whole disk makes part1 + part9).
VDB = _dev("vdb", type="disk", size=2000 * GIB, serial="md2zfs-disk-c", vendor="0x1af4",
           pttype="gpt", children=[
    _dev("vdb1", "vdb", type="part", size=1999 * GIB, start=2048, fstype="zfs_member",
         label="tank", uuid="1234567890123456789", partlabel="zfs-5f0c1e2d3a4b5c6d",
         parttype="6a898cc3-1dd2-11b2-99a6-080020736631"),
    _dev("vdb9", "vdb", type="part", size=8 * 1024**2, start=4194285568,
         parttype="6a945a3b-1dd2-11b2-99a6-080020736631"),
])  # fmt: skip
LSBLK_238 = json.dumps({"blockdevices": [SDA, VDA, VDB]}, indent=3)


def test_238_nodes_keep_every_occurrence() -> None:
    nodes = parse_lsblk(LSBLK_238).nodes
    names = [(n.name, n.parent, n.depth) for n in nodes]
    assert names[:5] == [
        ("sda", None, 0),
        ("sda1", "sda", 1),
        ("sda2", "sda", 1),
        ("sda3", "sda", 1),
        ("md0", "sda3", 2),
    ]
    assert [n.parent for n in nodes if n.name == "md0"] == ["sda3", "vda3"]
    md0 = next(n for n in nodes if n.name == "md0")
    assert (md0.type, md0.fstype, md0.mountpoints) == ("raid1", "ext4", ("/",))
    assert next(n for n in nodes if n.name == "sda3").children == ("md0",)


def test_238_sata_disk_identity() -> None:
    disks = parse_lsblk(LSBLK_238).disks
    assert [d.name for d in disks] == ["sda", "vda", "vdb"]
    sda = disks[0]
    assert (sda.vendor, sda.model, sda.serial) == (
        "ATA",
        "Samsung SSD 870 EVO 1TB",
        "S6PUNX0T123456A",
    )
    assert (sda.wwn, sda.transport, sda.rotational, sda.size_bytes) == (
        WWN_A,
        "sata",
        False,
        1000 * GIB,
    )
    assert sda.identity().kind == "wwn" and sda.pttype == "gpt" and sda.holders == ()


def test_238_partitions_and_holders() -> None:
    sda = parse_lsblk(LSBLK_238).disks[0]
    bios, swap, raid = sda.partitions
    assert (bios.number, bios.start_sector, bios.size_bytes) == (1, 2048, 1024**2)
    assert bios.part_type == "21686148-6449-6E6F-744E-656564454649"  # upper case, as the model says
    assert bios.part_label == "BIOS boot" and bios.holders == () and bios.fstype is None
    assert swap.mountpoints == ("[SWAP]",) and swap.fstype == "swap"
    assert (raid.fstype, raid.holders, raid.path) == ("linux_raid_member", ("md0",), "/dev/sda3")


def test_238_virtio_and_zfs() -> None:
    _, vda, vdb = parse_lsblk(LSBLK_238).disks
    assert (vda.serial, vda.wwn, vda.transport, vda.model) == ("md2zfs-disk-b", None, None, None)
    assert vda.identity().kind == "serial" and vda.rotational is True
    assert vda.partitions[2].holders == ("md0",)
    zfs, reserved = vdb.partitions
    assert (zfs.fstype, zfs.fs_label, zfs.number) == ("zfs_member", "tank", 1)
    assert reserved.number == 9 and reserved.fstype is None


def test_fresh_md_without_fstype_still_has_holders() -> None:
    # mkfs on an assembled array: no FSTYPE in lsblk until a udev change event (LAB.md).
    text = LSBLK_238.replace('"fstype": "ext4"', '"fstype": null')
    parsed = parse_lsblk(text)
    assert all(n.fstype is None for n in parsed.nodes if n.name == "md0")
    assert parsed.disks[0].partitions[2].holders == ("md0",)


# The same layout as util-linux < 2.33 printed it: all strings, "0"/"1", one mountpoint.
LSBLK_OLD = """{
   "blockdevices": [
      {"name": "sdb", "size": "1000204886016", "type": "disk", "ro": "0", "rota": "1", "model": "WDC WD10EZEX-08W", "serial": "WD-WCC6Y1234567", "tran": "sata", "vendor": "ATA     ", "wwn": "0x50014ee20c1234ab", "mountpoint": null,
         "children": [
            {"name": "sdb1", "size": "1000203837440", "type": "part", "ro": "0", "rota": "1", "model": null, "serial": null, "tran": null, "vendor": null, "wwn": "0x50014ee20c1234ab", "mountpoint": null, "fstype": "linux_raid_member",
               "children": [
                  {"name": "md127", "size": "1000070643712", "type": "raid1", "ro": "1", "rota": "1", "model": null, "serial": null, "tran": null, "vendor": null, "wwn": null, "mountpoint": "/srv", "fstype": "xfs"}
               ]
            }
         ]
      }
   ]
}"""  # noqa: E501


def test_old_era_strings() -> None:
    parsed = parse_lsblk(LSBLK_OLD)
    (sdb,) = parsed.disks
    assert (sdb.size_bytes, sdb.rotational, sdb.vendor, sdb.read_only) == (
        1000204886016,
        True,
        "ATA",
        False,
    )
    assert sdb.partitions[0].holders == ("md127",)
    md = parsed.nodes[2]
    assert (md.read_only, md.mountpoints, md.depth) == (True, ("/srv",), 2)


@pytest.mark.parametrize(
    ("cols", "mounts"),
    [
        ({"mountpoints": ["/", None, "/home"]}, ("/", "/home")),
        ({"mountpoints": [None]}, ()),
        ({"mountpoint": "/boot"}, ("/boot",)),
        ({"mountpoint": "/old", "mountpoints": ["/new", "/other"]}, ("/new", "/other")),
        ({"mountpoint": "/x", "mountpoints": None}, ("/x",)),
        ({}, ()),
    ],
)
def test_mountpoint_eras(cols: dict[str, Any], mounts: tuple[str, ...]) -> None:
    text = json.dumps({"blockdevices": [{"name": "sdz", "type": "disk", **cols}]})
    assert parse_lsblk(text).nodes[0].mountpoints == mounts


@pytest.mark.parametrize(
    ("name", "partn", "number"),
    [("nvme0n1p3", None, 3), ("mmcblk0p1", None, 1), ("sda10", None, 10), ("sda1", 7, 7),
     ("sda2", "4", 4), ("weird", None, None), ("sda" + "1" * 5000, None, None)],
)  # fmt: skip
def test_partition_numbers(name: str, partn: object, number: int | None) -> None:
    part = {"name": name, "type": "part", "size": 1, "partn": partn}
    text = json.dumps(
        {"blockdevices": [{"name": "d", "type": "disk", "size": 2, "children": [part]}]}
    )
    assert parse_lsblk(text).disks[0].partitions[0].number == number


def test_flat_list_links_by_pkname() -> None:
    # `lsblk --list`: no tree, the parent is in PKNAME.
    devs = [
        {"name": "sda", "type": "disk", "size": 10, "pkname": None},
        {"name": "sda1", "type": "part", "size": 5, "pkname": "sda"},
        {"name": "md0", "type": "raid1", "size": 4, "pkname": "sda1"},
    ]
    (sda,) = parse_lsblk(json.dumps({"blockdevices": devs})).disks
    assert [p.name for p in sda.partitions] == ["sda1"] and sda.partitions[0].holders == ("md0",)


def test_whole_disk_member_and_mbr_type() -> None:
    devs = [
        {"name": "sdc", "type": "disk", "size": 9, "fstype": "linux_raid_member", "children": [
            {"name": "md1", "type": "raid1", "size": 8}]},
        {"name": "sdd", "type": "disk", "size": 9, "pttype": "dos", "children": [
            {"name": "sdd1", "type": "part", "size": 8, "parttype": "0xfd"},
            {"name": "sdd5", "type": "part", "size": 1, "parttype": "0x05"}]},
    ]  # fmt: skip
    sdc, sdd = parse_lsblk(json.dumps({"blockdevices": devs})).disks
    assert sdc.holders == ("md1",) and sdc.fstype == "linux_raid_member"
    assert [p.part_type for p in sdd.partitions] == ["fd", "5"]  # as sfdisk spells MBR ids


def test_id_link_gives_by_id() -> None:
    dev = {"name": "sda", "type": "disk", "size": 1, "id-link": "wwn-0x5002538f4130a1b2"}
    (sda,) = parse_lsblk(json.dumps({"blockdevices": [dev]})).disks
    assert sda.by_id == ("/dev/disk/by-id/wwn-0x5002538f4130a1b2",)


@pytest.mark.parametrize(
    ("text", "line_no"),
    [
        ('{\n  "blockdevices": [\n    {"name": "sda",}\n  ]\n}', 3),
        ("", 1),
        ('{"devices": []}', None),
        ('{"blockdevices": {}}', None),
        ('{"blockdevices": [{"name": "sda", "children": {}}]}', None),
        ('{"blockdevices": [{"type": "disk"}]}', None),
        ('{"blockdevices": [{"name": "sda", "size": "huge"}]}', None),
        ('{"blockdevices": [{"name": "sda", "ro": "maybe"}]}', None),
        ('{"blockdevices": [{"name": "sda", "mountpoints": "/"}]}', None),
        ('{"blockdevices": [{"name": ["sda"]}]}', None),
        ("[" * 100000, None),
    ],
)
def test_bad_input_raises_parse_error(text: str, line_no: int | None) -> None:
    with pytest.raises(LsblkParseError) as info:
        parse_lsblk(text)
    assert info.value.line_no == line_no


def test_disk_to_json() -> None:
    sda = parse_lsblk(LSBLK_238).disks[0]
    out = disk_to_json(sda)
    assert json.loads(json.dumps(out)) == out
    assert list(out) == ["name", "path", "size_bytes", "model", "serial", "wwn", "transport",
                         "by_id", "partitions"]  # fmt: skip
    assert (out["name"], out["path"], out["wwn"], out["transport"]) == (
        "sda",
        "/dev/sda",
        WWN_A,
        "sata",
    )
    parts = out["partitions"]
    assert isinstance(parts, list) and len(parts) == 3
    assert parts[2] == {
        "name": "sda3",
        "path": "/dev/sda3",
        "number": 3,
        "size_bytes": 991 * GIB,
        "part_type": "A19D880F-05FC-4D3B-A006-743F0F84911E",
        "fstype": "linux_raid_member",
        "mountpoints": [],
        "holders": ["md0"],
        "by_id": [],
    }
