"""Parse ``/proc/mdstat`` into :class:`~backend.model.MdArray` snapshots.

The format is the kernel's (``md_seq_show`` in drivers/md/md.c)::

    Personalities : [raid1] [raid6] [raid5] [raid4]
    md0 : active (auto-read-only) raid1 sdb1[1] sda1[0](W) sdc1[2](S)
          1953382400 blocks super 1.2 [2/2] [UU]
          [=>....]  recovery =  8.5% (16775552/195310144) finish=17.0min speed=259783K/sec
          bitmap: 2/15 pages [8KB], 65536KB chunk

    unused devices: <none>

What the model gets, and why some of it is not what it looks like:

- ``MdMember.slot`` is the number in brackets after a member. The kernel prints the
  member's *descriptor number* there (``rdev->desc_nr``), which equals the role (raid device)
  on a freshly created array but not after members were replaced: during a recovery the new
  member often shows ``[2]`` in a two-disk RAID1. We keep it as ``slot`` because that is what
  every mdstat reader (and our corpus) calls it; the real role comes from
  ``mdadm --detail`` (see :mod:`backend.parse.mdadm`).
- ``MdArray.metadata`` is the word after ``super``. The kernel prints no ``super`` token for
  0.90 superblocks, so an array whose blocks line has none is reported as ``"0.90"``. An array
  without a blocks line (no members) has ``None``.
- ``MdArray.size_kib`` is the ``blocks`` count (1 KiB blocks). For an *inactive* array the
  kernel sums the members' sizes there, so it is not an array size.
- Progress numbers (``done_kib``/``total_kib``) count per member device, not per array.
- ``resync=DELAYED`` / ``resync=PENDING`` become ``SyncProgress(state="delayed"/"pending")``
  with the action the kernel names (it says ``resync`` whatever will run).

Anything the model has no field for (chunk, layout, bitmap numbers, the raw header word)
is in :attr:`Mdstat.extras`, one :class:`MdstatExtra` per array in the same order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, NoReturn

from backend.model import MdArray, MdMember, MemberFlag, SyncProgress
from backend.parse.errors import ParseError
from backend.parse.mdstat_lines import (
    BlocksLine,
    MdBitmap,
    read_bitmap,
    read_blocks,
    read_progress,
    to_int,
)

__all__ = [
    "MdBitmap",
    "Mdstat",
    "MdstatExtra",
    "MdstatParseError",
    "parse_mdstat",
]


class MdstatParseError(ParseError):
    """/proc/mdstat text that cannot be read."""


@dataclass(frozen=True)
class MdstatExtra:
    """Per-array facts of /proc/mdstat that :class:`~backend.model.MdArray` has no field for."""

    name: str
    header_state: str  # "active", "inactive" or "broken" (raid0/linear lost a member)
    blocks_text: str | None = None  # the blocks line after "N blocks", as printed
    chunk: str | None = None  # "64k", "512K"
    algorithm: int | None = None  # raid4/5/6 layout algorithm number
    layout: str | None = None  # raid10: "2 near-copies"
    rounding: str | None = None  # linear: "64k"
    bitmap: MdBitmap | None = None  # the decoded bitmap line


@dataclass(frozen=True)
class Mdstat:
    """The whole of /proc/mdstat."""

    personalities: tuple[str, ...]
    arrays: tuple[MdArray, ...]
    unused_devices: tuple[str, ...]
    # Backward-compatible additions (defaulted): facts beyond the model, and whether the
    # "unused devices:" line was there at all (None: absent, e.g. a truncated capture).
    extras: tuple[MdstatExtra, ...] = ()
    unused_line: str | None = None

    def array(self, name: str) -> MdArray | None:
        """The array with this name ("md0" or "/dev/md0"), if listed."""
        name = name.removeprefix("/dev/")
        for arr in self.arrays:
            if arr.name == name:
                return arr
        return None

    def extra(self, name: str) -> MdstatExtra | None:
        """The extra facts of the array with this name, if listed."""
        name = name.removeprefix("/dev/")
        for ext in self.extras:
            if ext.name == name:
                return ext
        return None


_FLAGS: dict[str, MemberFlag] = {
    "F": "faulty",
    "S": "spare",
    "J": "journal",
    "W": "write-mostly",
    "R": "replacement",
}

# Array names are always md-something: md0, md127, md_d0, md_home.
_HEADER = re.compile(
    r"^(?P<name>md\S*)\s*:\s*(?P<state>active|inactive|broken)(?P<rest>(?:\s.*)?)$"
)
_MEMBER = re.compile(r"^(?P<dev>[^\s\[\]()]+)\[(?P<num>\d+)\](?P<flags>(?:\([A-Z]\))*)$")
_LEVEL = re.compile(r"^[a-z][a-z0-9_-]*$")
_RO = {"(read-only)": "read-only", "(auto-read-only)": "auto-read-only"}
_PERSONALITIES = re.compile(r"^Personalities\s*:(?P<rest>.*)$")
_UNUSED = re.compile(r"^unused\s+devices\s*:(?P<rest>.*)$")
# 2.4 kernels printed "read_ahead 1024 sectors" / "read_ahead not set" after Personalities.
_READ_AHEAD = re.compile(r"^read_ahead\s+(?:\d+\s+sectors|not set)$")
_DEVNAME = re.compile(r"^[^\s\[\]()<>]+$")


@dataclass
class _Builder:
    """Mutable state for the array being read; frozen into an MdArray at the end."""

    name: str
    header_state: str
    read_only_kind: str | None
    level: str | None
    members: list[MdMember]
    blocks: BlocksLine | None = None
    sync: SyncProgress | None = None
    bitmap_text: str | None = None
    bitmap: MdBitmap | None = None
    extra_lines: list[str] = field(default_factory=list)

    def freeze(self) -> tuple[MdArray, MdstatExtra]:
        b = self.blocks
        metadata: str | None = None
        if b is not None:
            metadata = b.metadata if b.metadata is not None else "0.90"
        state: Literal["active", "inactive"] = (
            "inactive" if self.header_state == "inactive" else "active"
        )
        arr = MdArray(
            name=self.name,
            state=state,
            read_only=self.read_only_kind is not None,
            read_only_kind=self.read_only_kind,
            level=self.level,
            size_kib=b.blocks if b else None,
            raid_disks=b.raid_disks if b else None,
            active_disks=b.active_disks if b else None,
            slots=b.slots if b else None,
            metadata=metadata,
            members=tuple(self.members),
            sync=self.sync,
            bitmap=self.bitmap_text,
        )
        ext = MdstatExtra(
            name=self.name,
            header_state=self.header_state,
            blocks_text=b.text if b else None,
            chunk=b.chunk if b else None,
            algorithm=b.algorithm if b else None,
            layout=b.layout if b else None,
            rounding=b.rounding if b else None,
            bitmap=self.bitmap,
        )
        return arr, ext


class _Failer:
    """A callable that raises MdstatParseError for one line (passed to the line readers)."""

    def __init__(self, line_no: int, line: str) -> None:
        self.line_no = line_no
        self.line = line

    def __call__(self, message: str) -> NoReturn:
        raise MdstatParseError(message, self.line_no, self.line)


def _read_header(m: re.Match[str], fail: _Failer) -> _Builder:
    """``md0 : active (auto-read-only) raid1 sda1[0] sdb1[1](S)`` -> a builder."""
    tokens = m.group("rest").split()
    read_only_kind: str | None = None
    level: str | None = None
    i = 0
    while i < len(tokens) and tokens[i] in _RO:
        read_only_kind = _RO[tokens[i]]
        i += 1
    # Active arrays name their personality next; inactive ones normally do not, but some
    # fixtures (and old kernels) print one, so take any word that is not a member.
    if i < len(tokens) and _MEMBER.match(tokens[i]) is None:
        if _LEVEL.match(tokens[i]) is None:
            fail(f"unexpected word {tokens[i]!r} where a RAID level belongs")
        level = tokens[i]
        i += 1
    members: list[MdMember] = []
    for tok in tokens[i:]:
        mm = _MEMBER.match(tok)
        if mm is None:
            fail(f"not a member device: {tok!r}")
        flags: list[MemberFlag] = []
        for letter in mm.group("flags")[1::3]:
            if letter not in _FLAGS:
                fail(f"unknown member flag ({letter}) on {tok!r}")
            flags.append(_FLAGS[letter])
        members.append(
            MdMember(device=mm.group("dev"), slot=to_int(mm.group("num"), fail), flags=tuple(flags))
        )
    return _Builder(
        name=m.group("name"),
        header_state=m.group("state"),
        read_only_kind=read_only_kind,
        level=level,
        members=members,
    )


def _read_array_line(cur: _Builder, stripped: str, fail: _Failer) -> None:
    """One continuation line of an array: blocks, progress, delayed/pending, or bitmap."""
    if cur.blocks is None:
        blocks = read_blocks(stripped, fail)
        if blocks is not None:
            cur.blocks = blocks
            return
    progress = read_progress(stripped, fail)
    if progress is not None:
        if cur.sync is not None:
            fail(f"second sync line for {cur.name}")
        cur.sync = progress
        return
    if stripped.startswith("bitmap:"):
        if cur.bitmap_text is not None:
            fail(f"second bitmap line for {cur.name}")
        rest = stripped.removeprefix("bitmap:").strip()
        cur.bitmap_text = rest
        cur.bitmap = read_bitmap(rest)
        return
    fail(f"unrecognised line in array {cur.name}")


def parse_mdstat(text: str) -> Mdstat:
    """Read the text of /proc/mdstat.

    Accepts any indentation, arrays with or without blank lines between them, a missing
    ``unused devices:`` line (a truncated capture), and ``#`` lines (shell prompts in
    published copies). Raises :class:`MdstatParseError` on anything else it cannot place.
    """
    if not text.strip():
        raise MdstatParseError("empty /proc/mdstat text")
    personalities: tuple[str, ...] | None = None
    arrays: list[MdArray] = []
    extras: list[MdstatExtra] = []
    unused: tuple[str, ...] = ()
    unused_line: str | None = None
    cur: _Builder | None = None

    def close() -> None:
        nonlocal cur
        if cur is not None:
            arr, ext = cur.freeze()
            arrays.append(arr)
            extras.append(ext)
            cur = None

    for line_no, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()  # str.strip also drops the NBSPs some copies carry
        if not stripped or stripped.startswith("#"):
            continue
        fail = _Failer(line_no, line)
        if unused_line is not None:
            fail("text after the 'unused devices' line")
        if (pm := _PERSONALITIES.match(stripped)) is not None:
            if personalities is not None or arrays or cur is not None:
                fail("Personalities line out of place")
            rest = pm.group("rest")
            found = re.findall(r"\[([^\[\]\s]+)\]", rest)
            if re.sub(r"\[[^\[\]\s]+\]", "", rest).strip():
                fail("Personalities line with something other than [name] entries")
            personalities = tuple(found)
            continue
        if _READ_AHEAD.match(stripped):
            continue
        if (um := _UNUSED.match(stripped)) is not None:
            close()
            rest = um.group("rest").strip()
            unused_line = rest
            names = () if rest in ("", "<none>") else tuple(rest.split())
            for dev in names:
                if _DEVNAME.match(dev) is None:
                    fail(f"not a device name: {dev!r}")
            unused = names
            continue
        if (hm := _HEADER.match(stripped)) is not None:
            close()
            cur = _read_header(hm, fail)
            continue
        if cur is None:
            fail("line outside any array")
        _read_array_line(cur, stripped, fail)
    close()
    if personalities is None and not arrays:
        raise MdstatParseError("no Personalities line and no arrays: not /proc/mdstat")
    return Mdstat(
        personalities=personalities or (),
        arrays=tuple(arrays),
        unused_devices=unused,
        extras=tuple(extras),
        unused_line=unused_line,
    )
