"""The scan paragraph and the numbers of `zpool status`, in every era's wording."""

from __future__ import annotations

import pytest

from backend.parse.zpool_scan import parse_count, parse_duration, parse_scan, parse_size


@pytest.mark.parametrize(
    ("paragraph", "function", "state", "percent", "eta", "rate"),
    [
        pytest.param(  # OpenZFS 2.3.2 in the lab
            "resilver in progress since Fri Nov 27 06:10:01 2026\n"
            "398M / 398M scanned, 174M / 398M issued at 87.0M/s\n"
            "194M resilvered, 43.75% done, 00:00:02 to go",
            "resilver",
            "running",
            43.75,
            2,
            round(87.0 * 1024**2),
            id="resilver-eta",
        ),
        pytest.param(  # resilver progress can pass 100% (more was written meanwhile)
            "resilver in progress since Sat Jan 12 11:29:36 2019\n"
            "1.05T scanned at 101M/s, 1.04T issued at 99.5M/s, 1.03T total\n"
            "1.04T resilvered, 100.82% done, no estimated completion time",
            "resilver",
            "running",
            100.82,
            None,
            round(99.5 * 1024**2),
            id="resilver-over-100",
        ),
        pytest.param(
            "scrub in progress since Sun Mar 29 09:07:17 2026\n"
            "4.23T / 20.2T scanned at 1.33G/s, 0B / 20.2T issued\n"
            "0B repaired, 0.00% done, no estimated completion time",
            "scrub",
            "running",
            0.0,
            None,
            round(1.33 * 1024**3),
            id="no-eta",
        ),
        pytest.param(
            "scrub in progress since Sun Mar 29 09:07:17 2026\n"
            "4.23T / 20.2T scanned at 1.33G/s, 1.90T / 20.2T issued at 612M/s\n"
            "0B repaired, 9.42% done, 1 days 02:03:04 to go",
            "scrub",
            "running",
            9.42,
            93784,
            612 * 1024**2,
            id="days-to-go",
        ),
        pytest.param(
            "scrub in progress for 0h1m, 12.34% done, 0h5m to go",
            "scrub",
            "running",
            12.34,
            300,
            None,
            id="solaris-running",
        ),
        pytest.param(
            "scrub paused since Mon Mar 30 10:00:00 2026\n"
            "scrub started on Mon Mar 30 09:00:00 2026\n"
            "1.00T / 2.00T scanned, 0.50T / 2.00T issued\n"
            "0B repaired, 25.00% done",
            "scrub",
            "running",
            25.0,
            None,
            None,
            id="paused",
        ),
        pytest.param(
            "scrub canceled on Fri Aug 19 15:33:19 2022",
            "scrub",
            "canceled",
            None,
            None,
            None,
            id="scrub-canceled",
        ),
        pytest.param(
            "resilver canceled on Fri Aug 19 15:33:19 2022",
            "resilver",
            "canceled",
            None,
            None,
            None,
            id="resilver-canceled",
        ),
        pytest.param(
            "scrub stopped after 0h3m with 0 errors on Tue Feb  2 13:08:42 2010",
            "scrub",
            "canceled",
            None,
            None,
            None,
            id="solaris-stopped",
        ),
        pytest.param(
            "scrub repaired 0B in 00:00:50 with 0 errors on Fri Mar 27 03:45:52 2026",
            "scrub",
            "finished",
            None,
            None,
            None,
            id="scrub-finished",
        ),
        pytest.param(
            "scrub completed after 0h0m with 0 errors on Tue Feb  2 13:08:42 2010",
            "scrub",
            "finished",
            None,
            None,
            None,
            id="solaris-finished",
        ),
        pytest.param(
            "resilvered 194M in 00:00:04 with 0 errors on Fri Nov 27 06:10:05 2026",
            "resilver",
            "finished",
            None,
            None,
            None,
            id="resilvered",
        ),
        pytest.param(
            "resilver completed after 0h1m with 0 errors on Tue Feb  2 13:08:42 2010",
            "resilver",
            "finished",
            None,
            None,
            None,
            id="solaris-resilvered",
        ),
    ],
)
def test_scan_paragraphs(
    paragraph: str,
    function: str,
    state: str,
    percent: float | None,
    eta: int | None,
    rate: int | None,
) -> None:
    scan = parse_scan(paragraph)
    assert scan is not None
    assert (scan.function, scan.state, scan.eta_s, scan.rate_bytes_s) == (
        function,
        state,
        eta,
        rate,
    )
    assert scan.percent == (pytest.approx(percent) if percent is not None else None)
    assert scan.text == paragraph


@pytest.mark.parametrize("paragraph", ["none requested", "", "trim in progress", "<snip>"])
def test_scan_paragraphs_without_a_scan(paragraph: str) -> None:
    assert parse_scan(paragraph) is None


@pytest.mark.parametrize(
    ("text", "size", "count", "seconds"),
    [
        ("0", 0, 0, None),
        ("1.2K", 1229, 1200, None),
        ("3M", 3 * 1024**2, 3_000_000, None),
        ("57,4M", round(57.4 * 1024**2), 57_400_000, None),
        ("0B", 0, None, None),
        ("00:00:02", None, None, 2),
        ("0 days 00:19:47", None, None, 1187),
        ("266h29m", None, None, 266 * 3600 + 29 * 60),
        ("no estimated completion time", None, None, None),
    ],
)
def test_numbers(text: str, size: int | None, count: int | None, seconds: int | None) -> None:
    assert parse_size(text) == size
    assert parse_count(text) == count
    assert parse_duration(text) == seconds
