"""/proc/mdstat parser against every corpus sample, plus the cases the corpus lacks.

How an expected file's ``facts`` map onto the model (see each file's ``legend``):

- ``blocks`` -> ``size_kib``; ``status`` -> ``slots``; ``[n/m]`` -> raid_disks/active_disks.
- ``metadata: null`` means "no ``super`` token", which the kernel prints for 0.90
  superblocks: the parser reports ``"0.90"`` there (the facts' own legend says so).
- ``read_only`` -> ``read_only_kind`` (and ``read_only`` is true exactly when it is set).
- member ``flags`` letters -> the model's flag words; ``slot`` is the bracket number.
- ``sync``: done/total -> done_kib/total_kib, ``finish=Xmin`` -> eta_s (seconds),
  ``speed=NK/sec`` -> speed_kib_s, ``state: DELAYED`` -> state "delayed".
- chunk / algorithm / layout / rounding / bitmap -> :class:`MdstatExtra`.
- ``unused_devices``: the text after ``unused devices:`` (null: the line is absent).
A key absent from a fact means the text has no such thing: the parser must report None.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from backend.model import MdArray, SyncProgress
from backend.parse.errors import ParseError
from backend.parse.mdstat import Mdstat, MdstatExtra, MdstatParseError, parse_mdstat
from tests.corpus import samples
from tests.parse.md_source_views import (
    check_raid_problems,
    node_exporter_metrics,
    procfs_view,
    pymdstat_view,
)

SAMPLES = samples("mdstat")
FLAG_WORDS = {"F": "faulty", "S": "spare", "J": "journal", "W": "write-mostly", "R": "replacement"}
ARRAY_KEYS = {
    "name", "state", "read_only", "level", "members", "blocks", "metadata", "raid_disks",
    "active_disks", "status", "chunk", "algorithm", "layout", "rounding", "bitmap", "sync",
}  # fmt: skip


def _sync_fact(sync: SyncProgress | None) -> dict[str, Any] | None:
    """Our SyncProgress in the facts' terms."""
    if sync is None:
        return None
    if sync.state != "running":
        return {"action": sync.action, "state": sync.state.upper()}
    return {
        "action": sync.action,
        "percent": sync.percent,
        "done": sync.done_kib,
        "total": sync.total_kib,
        "eta_s": sync.eta_s,
        "speed": None if sync.speed_kib_s is None else f"{sync.speed_kib_s}K/sec",
    }


def _expected_sync(fact: dict[str, Any] | None) -> dict[str, Any] | None:
    if fact is None:
        return None
    fact = dict(fact)
    if "finish" in fact:
        finish = fact.pop("finish")
        assert finish.endswith("min")
        fact["eta_s"] = round(float(finish.removesuffix("min")) * 60)
    return fact


def _array_fact(arr: MdArray, ext: MdstatExtra) -> dict[str, Any]:
    """Our array in the facts' terms, for exactly the keys the facts can have."""
    bitmap = None
    if ext.bitmap is not None:
        b = ext.bitmap
        bitmap = {"pages_used": b.pages_used, "pages_total": b.pages_total, "mem": b.mem}
        bitmap["chunk"] = b.chunk
    assert (arr.bitmap is None) == (bitmap is None)
    assert arr.read_only == (arr.read_only_kind is not None)
    return {
        "name": arr.name,
        "state": arr.state,
        "read_only": arr.read_only_kind,
        "level": arr.level,
        "members": [{"dev": m.device, "slot": m.slot, "flags": list(m.flags)} for m in arr.members],
        "blocks": arr.size_kib,
        "metadata": arr.metadata,
        "raid_disks": arr.raid_disks,
        "active_disks": arr.active_disks,
        "status": arr.slots,
        "chunk": ext.chunk,
        "algorithm": ext.algorithm,
        "layout": ext.layout,
        "rounding": ext.rounding,
        "bitmap": bitmap,
        "sync": _sync_fact(arr.sync),
    }


def _normalise_fact(fact: dict[str, Any]) -> dict[str, Any]:
    """A fact with its terms mapped to ours (flag letters -> words, finish -> eta_s)."""
    out = {key: fact.get(key) for key in ARRAY_KEYS}
    out["members"] = [
        {"dev": m["dev"], "slot": m["slot"], "flags": [FLAG_WORDS[f] for f in m["flags"]]}
        for m in fact["members"]
    ]
    if fact["metadata"] is None and fact.get("blocks") is not None:
        out["metadata"] = "0.90"  # legend: null = no 'super' token = a 0.90 superblock
    out["sync"] = _expected_sync(fact.get("sync"))
    return out


@pytest.mark.parametrize(("path", "expected"), SAMPLES)
def test_corpus_facts(path: Path, expected: dict[str, Any]) -> None:
    """Every fact of every transcribed sample is what the parser returns."""
    result = parse_mdstat(path.read_text())
    facts = expected.get("facts")
    if facts is None:
        # procfs / node_exporter samples carry only their source's expectations,
        # checked by the tests below.
        assert "metrics" in expected or "arrays" in expected
        return
    assert result.personalities == tuple(facts["personalities"])
    assert result.unused_line == facts["unused_devices"]
    assert result.unused_devices == ()  # every sample says "<none>", "" or has no line
    assert len(result.arrays) == len(facts["arrays"]) == len(result.extras)
    for arr, ext, fact in zip(result.arrays, result.extras, facts["arrays"], strict=True):
        assert set(fact) <= ARRAY_KEYS, f"unmapped fact keys {set(fact) - ARRAY_KEYS}"
        ours = _array_fact(arr, ext)
        assert ours == _normalise_fact(fact), arr.name
        assert ext.name == arr.name


def _sample(stem: str) -> tuple[Path, dict[str, Any]]:
    for param in SAMPLES:
        path, expected = param.values
        if path is not None and path.stem == stem:
            return path, expected
    pytest.skip(f"corpus sample {stem} not present")


def test_procfs_source_expectation() -> None:
    """prometheus/procfs's own MDStat structs for its composite fixture, field by field."""
    path, expected = _sample("procfs-fixtures-mdstat")
    result = parse_mdstat(path.read_text())
    # A Go map in the source: same arrays, no order.
    assert sorted(a.name for a in result.arrays) == sorted(expected["arrays"])
    for arr in result.arrays:
        want = expected["arrays"][arr.name]
        got = procfs_view(arr)
        assert set(want) == set(got), arr.name
        for key, value in want.items():
            if isinstance(value, float):
                assert got[key] == pytest.approx(value), (arr.name, key)
            else:
                assert got[key] == value, (arr.name, key)


def test_node_exporter_source_expectation() -> None:
    """Every node_md_* metric line node_exporter's e2e output has for this fixture."""
    path, expected = _sample("node_exporter-fixture-mdstat")
    metrics = node_exporter_metrics(parse_mdstat(path.read_text()).arrays)
    want = {}
    for line in expected["metrics"]:
        key, _, value = line.rpartition(" ")
        want[key] = float(value)
    assert {k: metrics[k] for k in want} == want


_CHECK_RAID = [p for p in SAMPLES if p.values[0] is not None and "check_raid" in p.values[0].stem]


@pytest.mark.parametrize(("path", "expected"), _CHECK_RAID)
def test_check_raid_source_expectation(path: Path, expected: dict[str, Any]) -> None:
    """check_raid's expected Nagios messages agree with what we parse (see md_source_views)."""
    result = parse_mdstat(path.read_text())
    source = expected["source_expectation"]
    if source is None:
        pytest.skip("no test in the source references this sample")
    for case in source["cases"]:
        if case.get("active") == "0":
            assert result.arrays == ()
            continue
        assert check_raid_problems(case["message"], result.arrays) == []


_PYMDSTAT = [p for p in SAMPLES if p.values[0] is not None and "pymdstat" in p.values[0].stem]


@pytest.mark.parametrize(("path", "expected"), _PYMDSTAT)
def test_pymdstat_source_expectation(path: Path, expected: dict[str, Any]) -> None:
    """pymdstat's unit-test assertions, as far as they are not pymdstat's own limits."""
    result = parse_mdstat(path.read_text())
    source = expected["source_expectation"]
    if source is None:
        pytest.skip("pymdstat's test for this sample asserts nothing")
    stats = {
        "personalities": list(result.personalities),
        "arrays": {a.name: pymdstat_view(a) for a in result.arrays},
    }
    for assertion in source["assertions"]:
        check = assertion["check"]
        if check.startswith("type("):
            assert isinstance(result, Mdstat)  # "get_stats() returns a dict": it parsed
            continue
        got: Any = stats
        for part in re.findall(r"\['([^']+)'\]", check):
            got = got[part]
        want = assertion["expected"]
        if check.endswith("['personalities']"):
            assert got == want
            continue
        views = {check.rsplit("'", 2)[-2]: got} if "'md" in check else got
        wants = {check.rsplit("'", 2)[-2]: want} if "'md" in check else want
        assert set(views) == set(wants)
        for name, view in views.items():
            w = wants[name]
            # pymdstat drops members it cannot read (test_009 keeps 1 of 4 spares):
            # every component it lists must be ours; we may list more.
            assert w["components"].items() <= view["components"].items(), name
            assert {k: v for k, v in view.items() if k != "components"} == {
                k: v for k, v in w.items() if k != "components"
            }, name


@pytest.mark.parametrize("stem", ["telegraf-mdStatFileFull", "telegraf-mdStatFileFailedDisk"])
def test_telegraf_source_expectation(stem: str) -> None:
    """telegraf asserts one array's fields; some parsed array has exactly those values."""
    path, expected = _sample(stem)
    fields = expected["source_expectation"]["assert_contains_fields (some array's measurement)"]
    views = [procfs_view(a) for a in parse_mdstat(path.read_text()).arrays]
    assert any(all(view[k] == pytest.approx(v) for k, v in fields.items()) for view in views), views


def test_white_mdstat_agrees_with_mdadm_detail() -> None:
    """The companion --detail outputs of check_raid-white-mdstat describe the same arrays.

    The one expected difference is the member number: /proc/mdstat shows sda2[2] (its
    descriptor number) while --detail puts it in role 0 as "spare rebuilding".
    """
    from backend.parse.mdadm import detail_to_array, parse_detail

    path, _ = _sample("check_raid-white-mdstat")
    arrays = parse_mdstat(path.read_text()).arrays
    for arr in arrays:
        detail_path = (
            path.parents[1] / "mdadm-detail" / f"check_raid-white-mdadm-{arr.name[2:]}.txt"
        )
        other = detail_to_array(parse_detail(detail_path.read_text()))
        for attr in ("name", "level", "size_kib", "raid_disks", "active_disks", "slots"):
            assert getattr(arr, attr) == getattr(other, attr), (arr.name, attr)
        assert arr.metadata == other.metadata == "0.90"
        assert {m.device for m in arr.members} == {m.device for m in other.members}
        assert (arr.sync is None) == (other.sync is None)
    md126 = next(a for a in arrays if a.name == "md126")
    assert md126.member("sda2") is not None and md126.member("sda2").slot == 2  # type: ignore[union-attr]


# --- cases the corpus has no sample for -------------------------------------------------

SYNTHETIC = """\
Personalities : [raid1] [raid5]
md5 : active raid5 sdd1[3](J) sdc1[2](R) sdb1[1](W) sda1[0] sde1[4](W)(F)
      2096128 blocks super 1.2 level 5, 512k chunk, algorithm 2 [3/3] [UUU]
md1 : active (read-only) raid1 sda2[0] sdb2[1]
      1048512 blocks super 1.0 [2/2] [UU]
      [==>..................]  repair = 12.5% (131064/1048512) finish=0.1min speed=251104K/sec
      bitmap: 1/1 pages [4KB], 65536KB chunk, file: /boot/md1.bitmap
md2 : active raid1 sdc3[2] sdd3[1]
      2028480 blocks [2/1] [_U]
      [====>................]  recovery = 24.7% (502208/2028480) finish=0.1min speed=251104K/sec
md3 : inactive
md4 : active raid1 sdx[0] sdy[1]
      1024 blocks super 1.2 [2/2] [UU]
      resync=PENDING
unused devices: sdz1 sdz2
"""


def test_synthetic_flags_progress_and_unused() -> None:
    """J/W/R/F flags, read-only, repair, a file bitmap, a bare inactive header, unused list."""
    result = parse_mdstat(SYNTHETIC)
    md5, md1, md2, md3, md4 = result.arrays
    assert [m.flags for m in md5.members] == [
        ("journal",), ("replacement",), ("write-mostly",), (), ("write-mostly", "faulty"),
    ]  # fmt: skip
    assert (md1.read_only, md1.read_only_kind, md1.metadata) == (True, "read-only", "1.0")
    assert md1.sync == SyncProgress("repair", "running", 12.5, 131064, 1048512, 251104, 6)
    extra = result.extra("md1")
    assert extra is not None and extra.bitmap is not None
    assert extra.bitmap.file == "/boot/md1.bitmap"
    assert md2.sync == SyncProgress("recovery", "running", 24.7, 502208, 2028480, 251104, 6)
    assert md2.degraded and md2.metadata == "0.90"
    assert (md3.state, md3.members, md3.metadata, md3.size_kib) == ("inactive", (), None, None)
    assert md4.sync == SyncProgress("resync", "pending")
    assert result.unused_devices == ("sdz1", "sdz2")
    assert result.array("/dev/md2") is md2


def test_no_blank_lines_and_odd_indentation() -> None:
    """Arrays run together, tabs and no indentation at all read the same."""
    text = "Personalities : [raid1]\nmd0 : active raid1 a[0] b[1]\n\t1 blocks [2/2] [UU]\n"
    text += "md1 : active raid1 c[0]\n2 blocks [2/1] [U_]\n"
    result = parse_mdstat(text)
    assert [(a.name, a.size_kib, a.slots) for a in result.arrays] == [
        ("md0", 1, "UU"),
        ("md1", 2, "U_"),
    ]
    assert result.unused_line is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n",
        "hello world\n",
        "Personalities : [raid1] junk\n",
        "Personalities : [raid1]\nmd0 : active raid1 sda1[0](X)\n",
        "Personalities : [raid1]\nmd0 : active raid1 sda1\n",
        "Personalities : [raid1]\nmd0 : active raid1 sda1[0]\n   what is this\n",
        "Personalities : [raid1]\n   1 blocks [2/2] [UU]\n",
        "Personalities : [raid1]\nunused devices: <none>\nmd0 : active raid1 a[0]\n",
        "Personalities : [raid1]\nmd0 : active raid1 a[0]\n   resync=SOMETIME\n",
        "Personalities : [raid1]\nmd0 : active raid1 a[0]\n 1 blocks\n resync=PENDING\n"
        " resync=DELAYED\n",
        "Personalities : [raid1]\nmd0 : active raid1 a[" + "9" * 5000 + "]\n",
    ],
)
def test_unreadable_text_raises_parse_error(text: str) -> None:
    """Input that is not /proc/mdstat raises MdstatParseError, a ParseError."""
    with pytest.raises(MdstatParseError) as info:
        parse_mdstat(text)
    assert isinstance(info.value, ParseError)


def test_parse_error_names_the_line() -> None:
    """The error carries the 1-based number and text of the failing line."""
    with pytest.raises(MdstatParseError) as info:
        parse_mdstat("Personalities : [raid1]\nmd0 : active raid1 a[0]\n  ???\n")
    assert (info.value.line_no, info.value.line) == (3, "  ???")
