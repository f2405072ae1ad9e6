"""`zpool status` text: every corpus sample against its expected facts, plus explicit cases."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from backend.model import Pool, Vdev
from backend.parse.zpool_status import (
    ZpoolParseError,
    parse_config_rows,
    parse_zpool_status,
    pool_to_json,
)
from tests.corpus import samples

# "to go" texts of the corpus and the seconds they mean (written out, not computed).
TO_GO_SECONDS = {
    "00:03:21": 201,
    "00:00:04": 4,
    "08:41:54": 8 * 3600 + 41 * 60 + 54,
    "123h32m": 123 * 3600 + 32 * 60,
    "14h12m": 14 * 3600 + 12 * 60,
    "0h0m": 0,
    "no estimated completion time": None,
}
SCAN_STATES = {"in progress": "running", "finished": "finished", "canceled": "canceled"}
SECTION_NAMES = {"logs", "cache", "spares", "special", "dedup"}


def nicebytes(text: str) -> int:
    """Bytes of a zfs size with optional "/s" ("2.42M/s"), decimal comma allowed, base 1024."""
    text = text.removesuffix("/s").replace(",", ".")
    units = "KMGTPE"
    if text[-1] in units:
        return round(float(text[:-1]) * (1 << (10 * (units.index(text[-1]) + 1))))
    return round(float(text.rstrip("B")))


def flatten(pool: Pool) -> list[tuple[str, int, Vdev | None]]:
    """The model as config rows: pool row, data vdevs, then each non-empty section."""
    out: list[tuple[str, int, Vdev | None]] = [(pool.name, 0, None)]

    def walk(vdev: Vdev, depth: int) -> None:
        out.append((vdev.name, depth, vdev))
        for child in vdev.children:
            walk(child, depth + 1)

    for vdev in pool.vdevs:
        walk(vdev, 1)
    for section, vdevs in (("logs", pool.logs), ("cache", pool.cache), ("spares", pool.spares)):
        if vdevs:
            out.append((section, 0, None))
            for vdev in vdevs:
                walk(vdev, 1)
    return out


def check_scan(pool: Pool, exp: dict[str, Any]) -> None:
    scan_text = exp.get("scan", exp.get("scrub"))
    parsed = exp.get("scan_parsed")
    if scan_text is None:
        assert pool.scan is None
        return
    assert parsed is not None
    if parsed.get("state") == "none requested":
        assert pool.scan is None
        return
    assert pool.scan is not None
    assert pool.scan.text == scan_text
    if "unparsed" in parsed:
        assert pool.scan.text == parsed["unparsed"]
        return
    assert pool.scan.function == parsed["function"]
    assert pool.scan.state == SCAN_STATES[parsed["state"]]
    if pool.scan.state != "running":
        assert (pool.scan.percent, pool.scan.eta_s, pool.scan.rate_bytes_s) == (None, None, None)
        return
    assert pool.scan.percent == pytest.approx(float(str(parsed["percent_done"]).replace(",", ".")))
    to_go = parsed.get("to_go")
    if to_go is None and "no estimated completion time" in scan_text:
        to_go = "no estimated completion time"
    assert to_go is not None
    assert pool.scan.eta_s == TO_GO_SECONDS[to_go]
    rate = parsed.get("issue_rate") or parsed.get("scan_rate")
    assert pool.scan.rate_bytes_s == (nicebytes(rate) if rate else None)


@pytest.mark.parametrize(("path", "expected"), samples("zpool-status"))
def test_corpus_facts(path: Path, expected: dict[str, Any]) -> None:
    text = path.read_text()
    pools = parse_zpool_status(text)
    rows_by_pool = parse_config_rows(text)
    facts = expected["facts"]["pools"]
    assert [p.name for p in pools] == [f["pool"] for f in facts]
    for pool, (rows_name, rows), exp in zip(pools, rows_by_pool, facts, strict=True):
        assert rows_name == pool.name
        assert pool.state == exp["state"]
        for key in ("status", "action", "see", "errors"):
            assert getattr(pool, key) == exp.get(key), key
        check_scan(pool, exp)

        # The config table exactly as printed: every row, every column, raw depth.
        config = exp.get("config", [])
        assert len(rows) == len(config)
        for row, want in zip(rows, config, strict=True):
            assert (row.name, row.depth, row.state) == (
                want["name"],
                want["depth"],
                want.get("state"),
            )
            for col in ("read", "write", "cksum"):
                expect = int(want[col]) if col in want else None
                assert getattr(row, col) == expect, (row.name, col)
            assert row.note == want.get("note"), row.name

        # The tree built from it. A published row indented shallower than its section
        # (expected depth < 0) belongs to that section, at the top level of it.
        tree = flatten(pool)
        assert [(n, d) for n, d, _ in tree] == [
            (w["name"], w["depth"] if w["depth"] > 0 or i == 0 or w["name"] in SECTION_NAMES else 1)
            for i, w in enumerate(config)
        ]
        for (_, _, vdev), want in zip(tree, config, strict=True):
            if vdev is None:
                continue  # pool and section rows: their own state has no place in the model
            assert vdev.state == want.get("state")
            assert (vdev.read, vdev.write, vdev.cksum) == tuple(
                int(want.get(c, 0)) for c in ("read", "write", "cksum")
            )
            assert vdev.note == want.get("note")


def with_source_expectation() -> list[Any]:
    """The samples whose source states machine-readable expectations (jc, check_zpool_scrub)."""
    out = []
    for param in samples("zpool-status"):
        expected = param.values[1]
        source = (expected or {}).get("source_expectation") or {}
        if expected is None or "jc_parser_output" in source or "last_scrub" in source:
            out.append(param)
    return out


@pytest.mark.parametrize(("path", "expected"), with_source_expectation())
def test_corpus_source_expectation(path: Path, expected: dict[str, Any]) -> None:
    source = expected["source_expectation"]
    text = path.read_text()
    pools = parse_zpool_status(text)
    rows_by_pool = dict(parse_config_rows(text))
    if "last_scrub" in source:  # check_zpool_scrub's own test of a finished scrub
        (pool,) = pools
        assert pool.scan is not None and pool.scan.state == "finished"
        assert (pool.scan.percent, pool.scan.rate_bytes_s, pool.scan.eta_s) == (None, None, None)
        when = pool.scan.text.rsplit(" on ", 1)[1]
        stamp = datetime.strptime(when, "%a %b %d %H:%M:%S %Y").isoformat()
        assert stamp == source["last_scrub"]
        return
    jc = source["jc_parser_output"]
    assert [p.name for p in pools] == [j["pool"] for j in jc]
    for pool, want in zip(pools, jc, strict=True):
        assert pool.state == want["state"]
        for key in ("status", "action", "see", "errors"):
            assert getattr(pool, key) == want.get(key)
        scan = want.get("scan", want.get("scrub"))
        assert (pool.scan.text if pool.scan else scan if scan == "none requested" else None) == scan
        rows = rows_by_pool[pool.name]
        assert [
            {
                "name": r.name,
                "state": r.state,
                "read": r.read,
                "write": r.write,
                "checksum": r.cksum,
                **({"errors": r.note} if r.note else {}),
            }
            for r in rows
        ] == want["config"]


LAB_RESILVER = """\
  pool: rpool
 state: ONLINE
status: One or more devices is currently being resilvered.  The pool will
\tcontinue to function, possibly in a degraded state.
action: Wait for the resilver to complete.
  scan: resilver in progress since Fri Nov 27 06:10:01 2026
\t398M / 398M scanned, 174M / 398M issued at 87.0M/s
\t194M resilvered, 43.75% done, 00:00:02 to go
config:

\tNAME                                       STATE     READ WRITE CKSUM
\trpool                                      ONLINE       0     0     0
\t  mirror-0                                 ONLINE       0     0     0
\t    /dev/disk/by-path/virtio-pci-0000:00:05.0-part3  ONLINE       0     0     0
\t    /dev/disk/by-path/virtio-pci-0000:00:06.0-part3  ONLINE       0     0  1.2K  (resilvering)
\tlogs
\t  /dev/vdf1                                ONLINE       0     3M     0
\tcache
\t  /dev/vdg1                                ONLINE       0     0     0
\tspares
\t  /dev/vdh1                                AVAIL

errors: No known data errors
"""


def test_lab_resilver_with_full_paths_and_suffixed_counts() -> None:
    (pool,) = parse_zpool_status(LAB_RESILVER)
    assert pool.scan is not None
    assert (pool.scan.function, pool.scan.state) == ("resilver", "running")
    assert pool.scan.percent == 43.75
    assert pool.scan.eta_s == 2
    assert pool.scan.rate_bytes_s == round(87.0 * 1024**2)
    (mirror,) = pool.vdevs
    old, new = mirror.children
    assert old.name == "/dev/disk/by-path/virtio-pci-0000:00:05.0-part3"
    assert (new.cksum, new.note) == (1200, "(resilvering)")
    assert [(v.name, v.write) for v in pool.logs] == [("/dev/vdf1", 3_000_000)]
    assert [v.name for v in pool.cache] == ["/dev/vdg1"]
    assert [(v.name, v.state) for v in pool.spares] == [("/dev/vdh1", "AVAIL")]
    assert pool_to_json(pool) == {
        "name": "rpool",
        "state": "ONLINE",
        "status": "One or more devices is currently being resilvered.  The pool will\n"
        "continue to function, possibly in a degraded state.",
        "action": "Wait for the resilver to complete.",
        "errors": "No known data errors",
        "vdevs": [
            vj(
                "mirror-0",
                "ONLINE",
                children=[vj(old.name, "ONLINE"), vj(new.name, "ONLINE", c=1200)],
            )
        ],
        "logs": [vj("/dev/vdf1", "ONLINE", w=3_000_000)],
        "cache": [vj("/dev/vdg1", "ONLINE")],
        "spares": [vj("/dev/vdh1", "AVAIL")],
        "scan": {"function": "resilver", "state": "running", "percent": 43.75, "eta_s": 2},
    }


def vj(
    name: str, state: str, w: int = 0, c: int = 0, children: list[Any] | None = None
) -> dict[str, Any]:
    """One vdev of `status --json`, written out."""
    return {
        "name": name,
        "state": state,
        "read": 0,
        "write": w,
        "cksum": c,
        "children": children or [],
    }


def test_tabs_and_spaces_give_the_same_pools() -> None:
    spaced = LAB_RESILVER.expandtabs(8)
    assert parse_zpool_status(spaced) == parse_zpool_status(LAB_RESILVER)


def test_special_and_dedup_vdevs_join_the_data_vdevs() -> None:
    text = """\
  pool: tank
 state: ONLINE
config:

\tNAME        STATE     READ WRITE CKSUM
\ttank        ONLINE       0     0     0
\t  sda       ONLINE       0     0     0
\tdedup\t
\t  sdb       ONLINE       0     0     0
\tspecial\t
\t  mirror-2  ONLINE       0     0     0
\t    sdc     ONLINE       0     0     0
\t    sdd     ONLINE       0     0     0

errors: No known data errors
"""
    (pool,) = parse_zpool_status(text)
    assert [v.name for v in pool.vdevs] == ["sda", "sdb", "mirror-2"]
    assert [leaf.name for leaf in pool.leaves()] == ["sda", "sdb", "sdc", "sdd"]


@pytest.mark.parametrize("text", ["", "\n", "no pools available\n", "all pools are healthy\n"])
def test_no_pools(text: str) -> None:
    assert parse_zpool_status(text) == ()


@pytest.mark.parametrize(
    ("text", "line_no"),
    [
        ("cannot open 'tank': no such pool\n", 1),
        ("\n  state: ONLINE\n", 2),
        ("  pool:\n state: ONLINE\n", 1),
        ("  pool: tank\nconfig:\n", 1),  # no state anywhere: reported at the pool line
    ],
)
def test_unreadable_text_raises_zpool_parse_error(text: str, line_no: int) -> None:
    with pytest.raises(ZpoolParseError) as info:
        parse_zpool_status(text)
    assert info.value.line_no == line_no


def test_state_falls_back_to_the_pool_row() -> None:
    text = "  pool: tank\nconfig:\n\tNAME STATE READ WRITE CKSUM\n\ttank DEGRADED 0 0 0\n"
    (pool,) = parse_zpool_status(text)
    assert pool.state == "DEGRADED"


def test_header_without_counter_columns() -> None:
    # Found by fuzzing: a header whose counter names were moved to another line.
    text = (
        "  pool: t\n state: ONLINE\nconfig:\n"
        "\tNAME  STATE\n\tt  ONLINE  0 0 0\n\t  sda  ONLINE  1 2 3\n"
    )
    (pool,) = parse_zpool_status(text)
    (sda,) = pool.vdevs
    assert (sda.state, sda.read, sda.note) == ("ONLINE", 0, "1 2 3")
