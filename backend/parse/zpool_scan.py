"""The numbers and the scan paragraph of `zpool status`, in every era's wording.

`zpool` prints sizes and rates with ``zfs_nicebytes`` (powers of 1024: ``87.0M/s`` is
87 MiB/s) and durations in three styles over the years::

    Solaris / ZoL < 0.6.4   scrub: resilver in progress, 0.14% done, 0h0m to go
                            scrub: scrub completed after 0h0m with 0 errors on <date>
    ZoL 0.6.4 - 0.7         scan: resilver in progress since <date>
                                72.6M scanned out of 1.03T at 2.42M/s, 123h32m to go
                                72.2M resilvered, 0.01% done
    OpenZFS 0.8 - 2.1       scan: resilver in progress since <date>
                                6.13T scanned at 7.82G/s, 6.10T issued at 7.78G/s, 6.13T total
                                565G resilvered, 99.44% done, 00:00:04 to go
    OpenZFS 2.2 +           scan: resilver in progress since <date>
                                398M / 398M scanned, 174M / 398M issued at 87.0M/s
                                194M resilvered, 43.75% done, 00:00:02 to go

A locale with a decimal comma prints ``7,34T`` and ``72,38% done``; both are accepted.
"""

from __future__ import annotations

import re

from backend.model import ScanFunction, ScanProgress, ScanState

__all__ = ["parse_count", "parse_duration", "parse_scan", "parse_size"]

_UNITS = "KMGTPEZ"
# Bounded digit runs: zpool never prints more, and a corrupt 5000-digit "number" must not
# reach int()/float() (Python refuses long int strings; floats overflow to inf).
_NUMBER = r"\d{1,20}(?:[.,]\d{1,20})?"
_SIZE_RE = re.compile(rf"^({_NUMBER})\s*([{_UNITS}]?)(?:i?B)?$")
_COUNT_RE = re.compile(rf"^({_NUMBER})([{_UNITS}]?)$")
_POWERS_OF_1000 = (1, 10**3, 10**6, 10**9, 10**12, 10**15, 10**18, 10**21)

_CLOCK_RE = re.compile(r"^(?:(\d{1,9})\s+days?,?\s+)?(\d{1,9}):(\d{1,2}):(\d{1,2})$")
_HM_RE = re.compile(r"^(\d{1,9})h(\d{1,9})m(?:(\d{1,9})s)?$")

_PERCENT_RE = re.compile(rf"({_NUMBER})%\s+done")
_TO_GO_RE = re.compile(r"(?:,|^|\n)\s*([^,\n]+?)\s+to go\b")
# Where the rate is printed: the issue rate is what completion depends on (2.x prints it
# as "issued at R/s", the dRAID rebuild as "issued R/s"); older eras have one rate only.
_ISSUE_RATE_RE = re.compile(rf"issued(?:\s+at)?\s+({_NUMBER}\s*[{_UNITS}]?(?:i?B)?)/s")
_ANY_RATE_RE = re.compile(rf"\bat\s+({_NUMBER}\s*[{_UNITS}]?(?:i?B)?)/s")


def _number(text: str) -> float:
    # A decimal comma comes from a non-C locale; there are no thousands separators.
    return float(text.replace(",", "."))


def parse_size(text: str) -> int | None:
    """Bytes from a ``zfs_nicebytes`` size such as ``"1.03T"``, ``"0B"`` or ``"57,4M"``.

    Units are powers of 1024, as zfs prints them. None when the text is not a size.
    """
    m = _SIZE_RE.match(text.strip())
    if m is None:
        return None
    power = _UNITS.index(m.group(2)) + 1 if m.group(2) else 0
    return round(_number(m.group(1)) * (1 << (10 * power)))


def parse_count(text: str) -> int | None:
    """An error counter from the READ/WRITE/CKSUM columns: ``"0"``, ``"1.2K"`` (1200), ``"3M"``.

    Suffixes are read as powers of 1000 (the project's convention for counters; zpool's
    own ``zfs_nicenum`` rounds with powers of 1024, so a printed ``1.2K`` is an estimate
    either way). None when the text is not a count.
    """
    m = _COUNT_RE.match(text.strip())
    if m is None:
        return None
    power = _UNITS.index(m.group(2)) + 1 if m.group(2) else 0
    return round(_number(m.group(1)) * _POWERS_OF_1000[power])


def parse_duration(text: str) -> int | None:
    """Seconds from ``"00:00:02"``, ``"1 days 02:03:04"``, ``"0h5m"`` or ``"266h29m"``.

    None for ``"no estimated completion time"`` and anything else that is not a duration.
    """
    text = text.strip()
    m = _CLOCK_RE.match(text)
    if m is not None:
        days = int(m.group(1) or 0)
        return ((days * 24 + int(m.group(2))) * 60 + int(m.group(3))) * 60 + int(m.group(4))
    m = _HM_RE.match(text)
    if m is not None:
        return (int(m.group(1)) * 60 + int(m.group(2))) * 60 + int(m.group(3) or 0)
    return None


def _function(head: str) -> ScanFunction | None:
    # "error scrub" (OpenZFS 2.2 `zpool scrub -e`) is a kind of scrub for our purposes.
    if head.startswith(("resilver", "rebuil")):
        return "resilver"
    if head.startswith(("scrub", "error scrub")):
        return "scrub"
    return None


def _state(head: str) -> ScanState | None:
    # The first line says what happened; the words differ by era:
    # "in progress since", "paused since" (a paused scrub is still under way),
    # "resilvered ... with N errors on", "scrub repaired ... on", "scrub completed after"
    # (Solaris), "canceled on", "stopped after" (Solaris's word for canceled).
    if re.search(r"\bin progress\b|\bpaused since\b", head):
        return "running"
    if re.search(r"\bcancel(?:l)?ed\b|\bstopped after\b", head):
        return "canceled"
    if re.search(r"^resilvered\b|\brepaired\b|\bcompleted\b", head):
        return "finished"
    return None


def parse_scan(paragraph: str) -> ScanProgress | None:
    """The ``scan:`` (or Solaris ``scrub:``) paragraph as a :class:`ScanProgress`.

    ``paragraph`` is the field's text with its lines joined by ``"\\n"``. Returns None for
    ``none requested`` and for wording this parser does not know (the pool is still read).
    Percent, ETA and rate are only given while the scan runs: a finished scan prints none.
    """
    text = paragraph.strip()
    head = text.split("\n", 1)[0].strip().lower()
    function = _function(head)
    state = _state(head)
    if function is None or state is None:
        return None
    if state != "running":
        return ScanProgress(function=function, state=state, text=text)
    percent: float | None = None
    m = _PERCENT_RE.search(text)
    if m is not None:
        percent = _number(m.group(1))
    eta: int | None = None
    m = _TO_GO_RE.search(text)
    if m is not None:
        eta = parse_duration(m.group(1))
    rate: int | None = None
    m = _ISSUE_RATE_RE.search(text) or _ANY_RATE_RE.search(text)
    if m is not None:
        rate = parse_size(m.group(1))
    return ScanProgress(
        function=function,
        state=state,
        percent=percent,
        eta_s=eta,
        rate_bytes_s=rate,
        text=text,
    )
