"""Line-level readers for /proc/mdstat: the blocks line, the progress line, the bitmap line.

Kept apart from :mod:`backend.parse.mdstat` (which walks the file and builds arrays) so each
piece stays small. Every function here takes one stripped line and returns ``None`` when the
line is not of its kind; a line that *is* of its kind but carries an impossible value raises
:class:`~backend.parse.errors.ParseError` through the ``fail`` callback the caller passes in,
so the error names the caller's parser and line number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from backend.model import SyncAction, SyncProgress

Fail = Callable[[str], NoReturn]

_ACTIONS: dict[str, SyncAction] = {
    "resync": "resync",
    "recovery": "recovery",
    "check": "check",
    "repair": "repair",
    "reshape": "reshape",
}

# "[===>....]  recovery = 19.6% (288381540/1465135936) finish=1420.1min speed=13810K/sec".
# The bar is optional (very old kernels printed none); finish/speed are optional because a
# kernel prints them only once it has a rate to extrapolate from.
_PROGRESS = re.compile(
    r"^(?:\[[=>.]*\]\s*)?(?P<action>resync|recovery|check|repair|reshape)\s*=\s*"
    r"(?P<pct>\d+(?:\.\d+)?)%\s*"
    r"(?:\((?P<done>\d+)/(?P<total>\d+)\))?\s*"
    r"(?:finish=(?P<finish>\d+(?:\.\d+)?)min)?\s*"
    r"(?:speed=(?P<speed>\d+)K/sec)?$"
)

# "resync=DELAYED" / "resync=PENDING" (the kernel says "resync" here whatever will run next),
# and "resync=REMOTE" on clustered md, where another node does the work.
_WAITING = re.compile(r"^(?P<action>resync|recovery|check|repair|reshape)\s*=\s*(?P<st>[A-Z]+)$")

_BLOCKS = re.compile(r"^(?P<blocks>\d+)\s+blocks\b(?P<rest>.*)$")
_SUPER = re.compile(r"\bsuper\s+(?P<super>\S+)")
_STATUS = re.compile(r"\[(?P<n>\d+)/(?P<m>\d+)\]\s*\[(?P<slots>[U_]*)\]")
_CHUNK = re.compile(r"\b(?P<chunk>\d+[kKmM]?)\s+chunks?\b")
_ALGO = re.compile(r"\balgorithm\s+(?P<algo>\d+)\b")
_LAYOUT = re.compile(r"\b(?P<layout>\d+\s+(?:near|far|offset)-copies)\b")
_ROUNDING = re.compile(r"\b(?P<rounding>\d+[kK]?)\s+rounding\b")

_BITMAP = re.compile(
    r"^(?P<used>\d+)/(?P<total>\d+)\s+pages\s+\[(?P<mem>\d+[KMG]?B)\],\s*"
    r"(?P<chunk>\d+[KMG]?B)\s+chunk(?:,\s*file:\s*(?P<file>.+))?$"
)


@dataclass(frozen=True)
class MdBitmap:
    """The numbers of a ``bitmap:`` line: in-memory pages used/total, their memory, chunk."""

    pages_used: int
    pages_total: int
    mem: str  # "8KB"
    chunk: str  # "65536KB"
    file: str | None = None  # external bitmap file, when the bitmap is not internal


@dataclass(frozen=True)
class BlocksLine:
    """What the second line of an array (``N blocks ...``) says."""

    blocks: int
    metadata: str | None  # the word after "super"; None when the token is absent (0.90)
    raid_disks: int | None
    active_disks: int | None
    slots: str | None
    chunk: str | None
    algorithm: int | None
    layout: str | None
    rounding: str | None
    text: str  # everything after "blocks", as printed


def to_int(text: str, fail: Fail) -> int:
    """int() that reports through ``fail`` (Python refuses digit strings over 4300 long)."""
    try:
        return int(text)
    except ValueError:
        fail(f"number out of range: {text[:20]}...")


def to_float(text: str, fail: Fail) -> float:
    """float() that reports through ``fail`` instead of raising ValueError."""
    try:
        return float(text)
    except ValueError:
        fail(f"not a number: {text[:20]}")


def read_blocks(stripped: str, fail: Fail) -> BlocksLine | None:
    """Read ``5860543744 blocks super 1.2 level 6, 4k chunk, algorithm 2 [6/4] [UUUU__]``."""
    m = _BLOCKS.match(stripped)
    if m is None:
        return None
    rest = m.group("rest")
    sup = _SUPER.search(rest)
    status = _STATUS.search(rest)
    chunk = _CHUNK.search(rest)
    algo = _ALGO.search(rest)
    layout = _LAYOUT.search(rest)
    rounding = _ROUNDING.search(rest)
    raid_disks = active = None
    slots = None
    if status is not None:
        raid_disks = to_int(status.group("n"), fail)
        active = to_int(status.group("m"), fail)
        slots = status.group("slots")
    return BlocksLine(
        blocks=to_int(m.group("blocks"), fail),
        metadata=sup.group("super") if sup else None,
        raid_disks=raid_disks,
        active_disks=active,
        slots=slots,
        chunk=chunk.group("chunk") if chunk else None,
        algorithm=to_int(algo.group("algo"), fail) if algo else None,
        layout=" ".join(layout.group("layout").split()) if layout else None,
        rounding=rounding.group("rounding") if rounding else None,
        text=rest.strip(),
    )


def read_progress(stripped: str, fail: Fail) -> SyncProgress | None:
    """Read a progress line or a ``resync=DELAYED``-style line into a SyncProgress."""
    m = _PROGRESS.match(stripped)
    if m is not None:
        done = m.group("done")
        total = m.group("total")
        finish = m.group("finish")
        speed = m.group("speed")
        eta: int | None = None
        if finish is not None:
            minutes = to_float(finish, fail)
            try:
                # finish= is minutes with one decimal; seconds are what the model carries.
                eta = round(minutes * 60)
            except OverflowError:
                fail("finish time out of range")
        return SyncProgress(
            action=_ACTIONS[m.group("action")],
            state="running",
            percent=to_float(m.group("pct"), fail),
            done_kib=to_int(done, fail) if done is not None else None,
            total_kib=to_int(total, fail) if total is not None else None,
            speed_kib_s=to_int(speed, fail) if speed is not None else None,
            eta_s=eta,
        )
    w = _WAITING.match(stripped)
    if w is None:
        return None
    word = w.group("st")
    action = _ACTIONS[w.group("action")]
    if word == "DELAYED":
        return SyncProgress(action=action, state="delayed")
    if word == "PENDING":
        return SyncProgress(action=action, state="pending")
    if word == "REMOTE":
        # Another cluster node runs it: it is running, we just have no numbers for it.
        return SyncProgress(action=action, state="running")
    fail(f"unknown {w.group('action')} state {word!r}")


def read_bitmap(rest: str) -> MdBitmap | None:
    """Read what follows ``bitmap:``; None for a form we do not know (the text is kept)."""
    m = _BITMAP.match(rest)
    if m is None:
        return None
    # All groups are short digit runs here (the regex allows nothing else), int() is safe
    # unless a mutated file made them absurdly long; those we simply do not decode.
    used, total = m.group("used"), m.group("total")
    if len(used) > 18 or len(total) > 18:
        return None
    return MdBitmap(
        pages_used=int(used),
        pages_total=int(total),
        mem=m.group("mem"),
        chunk=m.group("chunk"),
        file=m.group("file"),
    )
