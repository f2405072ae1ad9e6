"""`zpool status -j` (OpenZFS >= 2.3): the man page sample, lab-style output, and bad input."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from backend.model import Pool, Vdev
from backend.parse.zpool_json import parse_zpool_status_json
from backend.parse.zpool_status import ZpoolParseError, parse_zpool_status, pool_to_json
from tests.corpus import samples


def find(vdevs: tuple[Vdev, ...], path: list[str]) -> Vdev:
    """The vdev at ``path`` (names from the top level down)."""
    for vdev in vdevs:
        if vdev.name == path[0]:
            return vdev if len(path) == 1 else find(vdev.children, path[1:])
    raise AssertionError(f"no vdev {path}")


@pytest.mark.parametrize(("path", "expected"), samples("zpool-status-json"))
def test_corpus_facts(path: Path, expected: dict[str, Any]) -> None:
    facts = expected["facts"]
    (pool,) = parse_zpool_status_json(path.read_text())
    assert pool.name == facts["pool"]
    assert pool.state == facts["state"]
    # "OK" is the status *code* of a healthy pool; text output prints no status then.
    assert facts["status"] == "OK" and pool.status is None
    assert pool.guid == facts["guid"]
    assert facts["error_count"] == "0" and pool.errors == "No known data errors"
    assert facts["has_scan_stats"] is False and pool.scan is None
    for want in facts["vdevs"]:
        # Paths of data vdevs start at the pool's root vdev; dedup/special ones at themselves.
        names = want["path"][1:] if want["path"][0] == pool.name else want["path"]
        vdev = find(pool.vdevs, names)
        # The man page prints "HEALTHY" where OpenZFS 2.3.2 prints "ONLINE": we report ONLINE.
        assert want["state"] == "HEALTHY" and vdev.state == "ONLINE"
        for key, attr in (("read_errors", "read"), ("write_errors", "write")):
            if key in want:
                assert getattr(vdev, attr) == int(want[key])
        if "checksum_errors" in want:
            assert vdev.cksum == int(want["checksum_errors"])
        assert bool(vdev.children) == (want["vdev_type"] != "disk")
    assert [v.name for v in pool.vdevs] == [
        "raidz1-0",
        "mirror-2",
        "25d418f8-92bd-4327-b59f-7ef5d5f50d81",
    ]


def disk(name: str, state: str = "ONLINE", **extra: str) -> dict[str, Any]:
    """A leaf vdev as 2.3.2 prints it (every value a string)."""
    return {
        "name": name,
        "vdev_type": "disk",
        "guid": "1234",
        "path": f"/dev/{name}",
        "state": state,
        "read_errors": "0",
        "write_errors": "0",
        "checksum_errors": "0",
        **extra,
    }


def document(scan: dict[str, Any] | None, *, int_values: bool = False) -> str:
    """A lab-style `zpool status -j` of a two-way mirror being resilvered after `zpool attach`."""
    mirror = {
        "name": "mirror-0",
        "vdev_type": "mirror",
        "state": "ONLINE",
        "read_errors": "0",
        "write_errors": "0",
        "checksum_errors": "0",
        "vdevs": {"vdb3": disk("vdb3"), "vdc3": disk("vdc3", checksum_errors="1.2K")},
    }
    pool: dict[str, Any] = {
        "name": "rpool",
        "state": "ONLINE",
        "pool_guid": "9876",
        "status": "RESILVERING",
        "action": "Wait for the resilver to complete.",
        "msgid": "ZFS-8000-9P",
        "moreinfo": "https://openzfs.github.io/openzfs-docs/msg/ZFS-8000-9P",
        "vdevs": {"rpool": {"name": "rpool", "vdev_type": "root", "vdevs": {"mirror-0": mirror}}},
        "logs": {"vdd1": disk("vdd1")},
        "l2cache": {"vde1": disk("vde1")},
        "spares": {"vdf1": disk("vdf1", state="AVAIL")},
        "error_count": "2",
    }
    if scan is not None:
        pool["scan_stats"] = scan
    doc = {"output_version": {"command": "zpool status", "vers_major": 0, "vers_minor": 1}}
    doc["pools"] = {"rpool": pool}
    text = json.dumps(doc)
    if int_values:
        text = text.replace('"0"', "0").replace('"9876"', "9876").replace('"1234"', "1234")
    return text


RUNNING = {
    "function": "RESILVER",
    "state": "SCANNING",
    "start_time": "1795766400",
    "end_time": "-",
    "to_examine": "417333248",  # 398M
    "examined": "417333248",
    "skipped": "0",
    "processed": "203423744",  # 194M
    "errors": "0",
    "bytes_per_scan": "417333248",
    "pass_start": "1795766400",
    "scrub_pause": "-",
    "scrub_spent_paused": "0",
    "issued_bytes_per_scan": "182452224",  # 174M
    "issued": "182452224",
}


def test_resilver_in_progress() -> None:
    (pool,) = parse_zpool_status_json(document(RUNNING), now=1795766400 + 2)
    assert pool.status == "RESILVERING"
    assert pool.see == "https://openzfs.github.io/openzfs-docs/msg/ZFS-8000-9P"
    assert pool.errors == "2 data errors, use '-v' for a list"
    assert pool.scan is not None
    assert (pool.scan.function, pool.scan.state) == ("resilver", "running")
    assert pool.scan.percent == pytest.approx(43.72, abs=0.01)
    assert pool.scan.rate_bytes_s == 182452224 // 2
    assert pool.scan.eta_s == (417333248 - 182452224) // (182452224 // 2)
    (mirror,) = pool.vdevs
    assert [(c.name, c.cksum) for c in mirror.children] == [("vdb3", 0), ("vdc3", 1200)]
    assert [v.name for v in pool.logs] == ["vdd1"]
    assert [v.name for v in pool.cache] == ["vde1"]
    assert [(v.name, v.state) for v in pool.spares] == [("vdf1", "AVAIL")]


def test_human_readable_sizes_and_ctime_dates() -> None:
    start = "Fri Nov 27 06:10:01 2026"
    started = time.mktime(time.strptime(start, "%a %b %d %H:%M:%S %Y"))
    scan = {**RUNNING, "to_examine": "398M", "issued": "174M", "issued_bytes_per_scan": "174M"}
    scan["pass_start"] = start
    (pool,) = parse_zpool_status_json(document(scan), now=started + 2)
    assert pool.scan is not None
    assert pool.scan.percent == pytest.approx(43.72, abs=0.01)
    assert pool.scan.rate_bytes_s == 174 * 1024**2 // 2
    assert pool.scan.eta_s == 2


def test_json_int_values() -> None:
    scan = {k: int(v) if v.isdigit() else v for k, v in RUNNING.items()}
    (pool,) = parse_zpool_status_json(document(scan, int_values=True), now=1795766400 + 2)
    assert pool.scan is not None and pool.scan.percent == pytest.approx(43.72, abs=0.01)
    assert pool.guid == "9876"


@pytest.mark.parametrize(
    ("function", "state", "want"),
    [
        ("RESILVER", "FINISHED", ("resilver", "finished")),
        ("SCRUB", "CANCELED", ("scrub", "canceled")),
        ("SCRUB", "FINISHED", ("scrub", "finished")),
        ("NONE", "NONE", None),
    ],
)
def test_scan_states(function: str, state: str, want: tuple[str, str] | None) -> None:
    (pool,) = parse_zpool_status_json(document({**RUNNING, "function": function, "state": state}))
    got = (pool.scan.function, pool.scan.state) if pool.scan else None
    assert got == want
    if pool.scan is not None:
        assert (pool.scan.percent, pool.scan.eta_s, pool.scan.rate_bytes_s) == (None, None, None)


def test_flat_vdevs() -> None:
    vdevs = {
        "rpool": {"name": "rpool", "vdev_type": "root", "class": "normal"},
        "mirror-0": {
            "name": "mirror-0",
            "vdev_type": "mirror",
            "parent": "rpool",
            "state": "ONLINE",
        },
        "vdb3": {**disk("vdb3"), "parent": "mirror-0", "class": "normal"},
        "vdc3": {**disk("vdc3"), "parent": "mirror-0", "class": "normal"},
        "vdd1": {**disk("vdd1"), "parent": "rpool", "class": "log"},
    }
    doc = {"pools": {"rpool": {"name": "rpool", "state": "ONLINE", "vdevs": vdevs}}}
    (pool,) = parse_zpool_status_json(json.dumps(doc))
    assert [(v.name, [c.name for c in v.children]) for v in pool.vdevs] == [
        ("mirror-0", ["vdb3", "vdc3"])
    ]
    assert [v.name for v in pool.logs] == ["vdd1"]


def test_text_and_json_agree() -> None:
    text = """\
  pool: rpool
 state: ONLINE
  scan: resilvered 194M in 00:00:04 with 0 errors on Fri Nov 27 06:10:05 2026
config:

\tNAME        STATE     READ WRITE CKSUM
\trpool       ONLINE       0     0     0
\t  mirror-0  ONLINE       0     0     0
\t    vdb3    ONLINE       0     0     0
\t    vdc3    ONLINE       0     0  1.2K
\tlogs
\t  vdd1      ONLINE       0     0     0
\tcache
\t  vde1      ONLINE       0     0     0
\tspares
\t  vdf1      AVAIL

errors: 2 data errors, use '-v' for a list
"""
    (from_text,) = parse_zpool_status(text)
    finished = {**RUNNING, "state": "FINISHED"}
    (from_json,) = parse_zpool_status_json(document(finished))
    as_text = pool_to_json(from_text)
    as_json = pool_to_json(from_json)
    assert as_json.pop("status") == "RESILVERING" and as_json.pop("action") is not None
    as_text.pop("status"), as_text.pop("action")
    assert as_text == as_json


def test_no_pools() -> None:
    assert parse_zpool_status_json("") == ()
    assert parse_zpool_status_json("no pools available\n") == ()
    assert parse_zpool_status_json('{"output_version": {}, "pools": {}}') == ()


def test_invalid_json_names_the_line() -> None:
    with pytest.raises(ZpoolParseError) as info:
        parse_zpool_status_json('{\n  "pools": {\n    "tank": {,\n')
    assert info.value.line_no == 3
    assert info.value.line == '    "tank": {,'


@pytest.mark.parametrize(
    "doc",
    [
        "[]",
        '{"pools": []}',
        '{"pools": {"tank": "ONLINE"}}',
        '{"pools": {"tank": {"name": "tank"}}}',
        '{"pools": {"tank": {"state": "ONLINE", "vdevs": {"tank": {"vdevs": {"sda": 3}}}}}}',
        '{"pools": {"tank": {"state": "ONLINE", "error_count": "many"}}}',
        '{"pools": {"tank": {"state": ["ONLINE"]}}}',
        '{"pools": {"tank": {"state": "ONLINE", "scan_stats": {"function": "SCRUB",'
        ' "state": "SCANNING", "issued": true}}}}',
        "[" * 100_000,
    ],
)
def test_wrong_shapes_raise_zpool_parse_error(doc: str) -> None:
    with pytest.raises(ZpoolParseError):
        parse_zpool_status_json(doc)


def test_deep_vdev_nesting_is_refused() -> None:
    inner: dict[str, Any] = {"name": "x"}
    for _ in range(200):
        inner = {"name": "x", "vdevs": {"x": inner}}
    doc = {"pools": {"tank": {"state": "ONLINE", "vdevs": {"tank": inner}}}}
    with pytest.raises(ZpoolParseError):
        parse_zpool_status_json(json.dumps(doc))


def test_pool_model_is_plain() -> None:
    (pool,) = parse_zpool_status_json(document(None))
    assert isinstance(pool, Pool) and pool.scan is None
