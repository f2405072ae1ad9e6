"""mdadm --detail / --detail --export parsers and converters against every corpus sample.

The mdadm-detail corpus holds both formats: ``--export`` samples carry ``key_values`` (every
KEY=value pair), ``--detail`` samples carry ``facts`` (device, fields right-stripped with
continuation lines joined by a newline, the device table as printed) and, for jc's fixtures,
jc's own parser output, which is checked key by key below (its derived keys included).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from backend.model import MdArray, SyncProgress
from backend.parse.errors import ParseError
from backend.parse.mdadm import (
    MdadmParseError,
    MdDetail,
    detail_to_array,
    export_to_array,
    parse_detail,
    parse_detail_export,
)
from tests.corpus import samples

SAMPLES = samples("mdadm-detail")
EXPORTS = [p for p in SAMPLES if p.values[1] is not None and "key_values" in p.values[1]]
DETAILS = [p for p in SAMPLES if p.values[1] is not None and "key_values" not in p.values[1]]
JC_INT_KEYS = {
    "raid_devices", "total_devices", "active_devices", "working_devices", "failed_devices",
    "spare_devices", "virtual_disks", "preferred_minor",
}  # fmt: skip
# jc ran its fixtures on a machine in US Pacific time and stores naive epochs.
JC_TZ = ZoneInfo("America/Los_Angeles")


def _device_rows(d: MdDetail) -> list[dict[str, Any]]:
    return [
        {
            "number": r.number,
            "major": r.major,
            "minor": r.minor,
            "raid_device": r.raid_device,
            "path": r.path,
            "state": list(r.state),
        }
        for r in d.devices
    ]


@pytest.mark.parametrize(("path", "expected"), DETAILS)
def test_detail_facts(path: Path, expected: dict[str, Any]) -> None:
    """Device, every field (as printed, right-stripped) and every table row."""
    d = parse_detail(path.read_text())
    facts = expected["facts"]
    assert d.device == facts["device"]
    assert dict(d.fields) == facts["fields"]
    assert list(d.fields) == list(facts["fields"])  # printed order kept
    assert _device_rows(d) == facts["devices"]


def _homehost(f: dict[str, str]) -> str | None:
    """jc's homehost: "(local to host X)" after Name or UUID, else Name's "host:" part."""
    for key in ("name", "uuid"):
        if m := re.search(r"\(local to host (\S+)\)", f.get(key, "")):
            return m.group(1)
    return f["name"].split(":")[0] if "name" in f else None


def _jc_value(key: str, d: MdDetail, arr: MdArray) -> Any:
    """Our answer for one key of jc's mdadm output."""
    f = {k.lower().replace(" ", "_"): v for k, v in d.fields.items()}
    if key == "device":
        return d.device
    if key == "device_table":
        rows = []
        for r in d.devices:
            row: dict[str, Any] = {
                "number": None if r.number == "-" else int(r.number),
                "major": int(r.major),
                "minor": int(r.minor),
                "device": r.path,
                "raid_device": None if r.raid_device == "-" else int(r.raid_device),
            }
            if r.state:
                row["state"] = list(r.state)
            rows.append(row)
        return rows
    if key in JC_INT_KEYS:
        return int(f[key])
    if key in f:
        # jc keeps only the first line of a continued value (DDF Container GUID).
        return f[key].split("\n")[0]
    derived: dict[str, Any] = {
        "array_size_num": arr.size_kib,
        "used_dev_size_num": int(f["used_dev_size"].split()[0]) if "used_dev_size" in f else None,
        "name_val": f["name"].split()[0] if "name" in f else None,
        "homehost": _homehost(f),
        "uuid_val": arr.uuid,
        "events_num": int(f["events"]) if f.get("events", "").isdigit() else None,
        "events_maj": int(f["events"].split(".")[0]) if "events" in f else None,
        "events_min": int(f["events"].split(".")[-1]) if "events" in f else None,
        "state_list": [w.strip() for w in f["state"].split(",")] if "state" in f else None,
        "rebuild_status_percent": arr.sync.percent if arr.sync else None,
        "resync_status_percent": arr.sync.percent if arr.sync else None,
        "chunk_size_num": int(f["chunk_size"].rstrip("K")) if "chunk_size" in f else None,
        "container_dev": f["container"].split(",")[0] if "container" in f else None,
        "container_member": int(f["container"].split()[-1]) if "container" in f else None,
        "member_arrays_list": f["member_arrays"].split() if "member_arrays" in f else None,
    }
    if key in derived:
        return derived[key]
    if key.endswith("_time_epoch"):
        printed = f[key.removesuffix("_epoch")]
        stamp = datetime.strptime(printed, "%a %b %d %H:%M:%S %Y").replace(tzinfo=JC_TZ)
        return int(stamp.timestamp())
    raise AssertionError(f"jc key {key} has no mapping")


@pytest.mark.parametrize(("path", "expected"), DETAILS)
def test_detail_source_expectation(path: Path, expected: dict[str, Any]) -> None:
    """jc's own parse of the same text, key by key (ints where jc converts them)."""
    source = expected.get("source_expectation")
    if source is None:
        pytest.skip("the source states no expectations for this sample")
    d = parse_detail(path.read_text())
    arr = detail_to_array(d)
    jc = source["jc_parser_output"]
    for key, want in jc.items():
        if key == "events_num" and "." in d.fields.get("Events", ""):
            continue  # jc gives 0.90 "Events : 0.18" as maj/min instead
        got = _jc_value(key, d, arr)
        if isinstance(want, float):
            assert got == pytest.approx(want), key
        else:
            assert got == want, key


@pytest.mark.parametrize(("path", "expected"), DETAILS)
def test_detail_to_array(path: Path, expected: dict[str, Any]) -> None:
    """The array built from --detail carries the numbers the fields state."""
    fields = expected["facts"]["fields"]
    arr = detail_to_array(parse_detail(path.read_text()))
    assert arr.name == expected["facts"]["device"].removeprefix("/dev/")
    assert arr.level == fields.get("Raid Level")
    size = fields.get("Array Size")
    assert arr.size_kib == (int(size.split()[0]) if size else None)
    for label, attr in (("Raid Devices", "raid_disks"), ("Active Devices", "active_disks")):
        assert getattr(arr, attr) == (int(fields[label]) if label in fields else None)
    assert arr.uuid == (fields["UUID"].split()[0] if "UUID" in fields else None)
    inactive = "inactive" in fields.get("State", "") or fields.get("Raid Level") == "container"
    assert arr.state == ("inactive" if inactive else "active")
    with_path = [r for r in expected["facts"]["devices"] if r["path"]]
    assert [m.device for m in arr.members] == [r["path"][5:] for r in with_path]
    for m, row in zip(arr.members, with_path, strict=True):
        rd = row["raid_device"]
        assert m.slot == (int(rd) if rd != "-" else None)
        assert ("faulty" in m.flags) == ("faulty" in row["state"])
        assert tuple(m.state) == tuple(row["state"])
    status = next((fields[k] for k in fields if k.endswith(" Status")), None)
    if status is None:
        assert arr.sync is None
    else:
        assert arr.sync is not None and arr.sync.percent == float(status.split("%")[0])
    if "Version" in fields:
        v = fields["Version"]
        assert arr.metadata == (v if v[0].isdigit() else f"external:{v}")


def _by_stem(stem: str) -> Path:
    for param in SAMPLES:
        path = param.values[0]
        if path is not None and path.stem == stem:
            return Path(path)
    pytest.skip(f"corpus sample {stem} not present")


def _array(stem: str) -> MdArray:
    return detail_to_array(parse_detail(_by_stem(stem).read_text()))


def test_detail_rebuild_with_faulty_member() -> None:
    """Recovery: the rebuilding member holds its role but is not in sync; faulty has none."""
    arr = _array("jc-mdadm-query-raid1-faulty-with-spare")
    assert arr.sync == SyncProgress("recovery", "running", 24.0)
    assert (arr.slots, arr.degraded) == ("U_", True)
    vda4, vda2 = arr.member("vda4"), arr.member("vda2")
    assert vda4 is not None and vda2 is not None
    assert (vda4.slot, vda4.flags, vda4.in_sync) == (1, (), False)
    assert (vda2.slot, vda2.flags, vda2.in_sync) == (None, ("faulty",), False)


def test_detail_spare_writemostly_and_replacement() -> None:
    """A spare (no role) is flagged spare; a second device in a role is its replacement."""
    spare = _array("jc-mdadm-query-raid1-ok-spare").member("vda4")
    assert spare is not None and (spare.slot, spare.flags) == (None, ("spare",))
    arr = _array("jc-mdadm-query-raid1-spare-writem-rebuild")
    vda2 = arr.member("vda2")
    assert vda2 is not None and vda2.flags == ("write-mostly", "replacement")
    assert (arr.slots, arr.degraded) == ("UU", False)


def test_detail_containers_and_inactive() -> None:
    """Containers and inactive arrays read the way /proc/mdstat shows them."""
    root = _array("jc-mdadm-query-container1-root")
    assert (root.state, root.metadata, root.level) == ("inactive", "external:ddf", "container")
    member = _array("jc-mdadm-query-container2-member")
    assert (member.metadata, member.size_kib) == ("external:/md0/1", 1024)
    broken = _array("ironic-python-agent-mdadm_detail_output_broken_raid0")
    assert (broken.state, broken.level, broken.size_kib) == ("inactive", "raid0", None)
    assert [(m.device, m.slot) for m in broken.members] == [("sda2", None)]


@pytest.mark.parametrize(("path", "expected"), EXPORTS)
def test_export_key_values(path: Path, expected: dict[str, Any]) -> None:
    """Every KEY=value pair, and the devices grouped from every key spelling."""
    e = parse_detail_export(path.read_text())
    assert dict(e.values) == expected["key_values"]
    want: dict[str, dict[str, str]] = {}
    for key, value in expected["key_values"].items():
        if m := re.fullmatch(r"MD_DEVICE_(?:dev_|ev_)?(.+)_(ROLE|DEV)", key):
            want.setdefault(m.group(1), {})[m.group(2)] = value
    assert {dev: {"ROLE": role, "DEV": p} for dev, role, p in e.devices} == want
    arr = export_to_array(e, "md9")
    v = expected["key_values"]
    assert (arr.name, arr.level, arr.uuid) == ("md9", v["MD_LEVEL"], v["MD_UUID"])
    container = v["MD_LEVEL"] == "container"
    assert arr.state == ("inactive" if container else "active")
    assert arr.raid_disks == (None if container else int(v["MD_DEVICES"]))
    for member, (_dev, role, _p) in zip(arr.members, e.devices, strict=True):
        assert member.slot == (int(role) if role and role.isdigit() else None)
        assert member.flags == (() if role and role.isdigit() else ("spare",))
    source = expected.get("source_expectation")
    if source is not None:
        for line in source["parsed_output_lines"]:
            parsed = dict(re.findall(r"(\w+):(<[^>]*>|\S*)", line))
            assert parsed["uuid"] == arr.uuid and parsed["metadata"] == arr.metadata
            assert parsed["devname"] == v.get("MD_DEVNAME", "")
            assert parsed["level"] == (arr.level or "").upper()
            roles = sorted(f"{p}:{role}" for _d, role, p in e.devices)
            assert parsed["roles"] == "<" + " ".join(roles) + ">"


def test_export_key_spellings_and_faulty_quirk() -> None:
    """sda1 / dev_sda1 / ev_sda1 keys all name sda1; mangled names come back from _DEV."""
    text = (
        "MD_LEVEL=raid1\nMD_DEVICES=2\nMD_METADATA=0.90\nMD_UUID=a:b:c:d\n"
        "MD_DEVICE_dev_dm_0_ROLE=0\nMD_DEVICE_dev_dm_0_DEV=/dev/dm-0\n"
        "MD_DEVICE_ev_sdb1_ROLE=spare\nMD_DEVICE_ev_sdb1_DEV=/dev/sdb1\n"
        "MD_DEVICE_sdc1_ROLE=1\n"
    )
    e = parse_detail_export(text)
    assert e.devices == (
        ("dm-0", "0", "/dev/dm-0"),
        ("sdb1", "spare", "/dev/sdb1"),
        ("sdc1", "1", None),
    )
    arr = export_to_array(e, "/dev/md0")
    assert (arr.name, arr.metadata) == ("md0", "0.90")
    # A faulty member is exported as "spare" too: the flag cannot say more.
    assert [m.flags for m in arr.members] == [(), ("spare",), ()]
    assert (
        export_to_array(
            parse_detail_export("MD_LEVEL=raid1\nMD_CONTAINER=/dev/md127\nMD_MEMBER=0\n"), "md126"
        ).metadata
        == "external:/md127/0"
    )


@pytest.mark.parametrize(
    ("parser", "text"),
    [
        (parse_detail, ""),
        (parse_detail, "/dev/md0:\n   this is not a field\n"),
        (
            parse_detail,
            "/dev/md0:\n  Version : 1.2\n\n  Number Major Minor RaidDevice State\n  x y\n",
        ),
        (parse_detail, "/dev/md0:\n  Number Major Minor RaidDevice State\n  0 8 a 0 active\n"),
        (parse_detail, "/dev/md0:\n  Number Major Minor RaidDevice\n  0 8 1 0 /dev/sda /x\n"),
        (parse_detail_export, ""),
        (parse_detail_export, "MD_LEVEL=raid1\nnot a pair\n"),
        (parse_detail_export, "MD_LEVEL=raid1\nMD_LEVEL=raid5\n"),
    ],
)
def test_unreadable_text_raises_parse_error(parser: Any, text: str) -> None:
    """Text that is not mdadm output raises MdadmParseError, a ParseError."""
    with pytest.raises(MdadmParseError) as info:
        parser(text)
    assert isinstance(info.value, ParseError)


@pytest.mark.parametrize(
    "fields",
    ["Raid Devices : two", "Array Size : big", "Rebuild Status : soon"],
)
def test_converter_rejects_bad_numbers(fields: str) -> None:
    """A field that must be a number but is not raises MdadmParseError from the converter."""
    with pytest.raises(MdadmParseError):
        detail_to_array(parse_detail(f"/dev/md0:\n  {fields}\n"))


def test_converters_reject_what_they_cannot_map() -> None:
    """A non-numeric MD_DEVICES or role, or no array name at all, is a MdadmParseError."""
    with pytest.raises(MdadmParseError):
        export_to_array(parse_detail_export("MD_DEVICES=x\n"), "md0")
    with pytest.raises(MdadmParseError):
        export_to_array(parse_detail_export("MD_DEVICE_sda_ROLE=maybe\n"), "md0")
    with pytest.raises(MdadmParseError):
        detail_to_array(parse_detail("  Version : 1.2\n"))  # no header line, no name given


def test_detail_state_words_delayed_and_read_only() -> None:
    """(DELAYED)/(PENDING) after the action, and mdadm >= 4.2's sysfs state words."""
    text = (
        "/dev/md1:\n             State : read-auto, degraded, recovering (DELAYED) \n"
        "      Raid Devices : 2\n    Active Devices : 1\n"
        "    Number   Major   Minor   RaidDevice State\n"
        "       0       8        1        0      active sync   /dev/sda1\n"
        "       2       8       17        1      spare rebuilding   /dev/sdb1\n"
    )
    arr = detail_to_array(parse_detail(text), name="/dev/md1")
    assert arr.name == "md1" and arr.level is None
    assert arr.sync == SyncProgress("recovery", "delayed")
    assert (arr.read_only, arr.read_only_kind) == (True, "auto-read-only")
    assert (arr.slots, arr.degraded) == (None, True)  # no level: no [U_] string to rebuild
