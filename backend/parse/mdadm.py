"""Parse ``mdadm --detail /dev/mdX`` and ``mdadm --detail --export /dev/mdX``.

``--detail`` prints ``Key : value`` fields (labels right-aligned; the width changed between
mdadm versions, and some versions leave a trailing space after values, which we strip), a
device table, and, for containers, values continued on an indented line::

    /dev/md127:
               Version : 1.2
            Raid Level : raid1
    ...
        Rebuild Status : 24% complete
    ...
        Number   Major   Minor   RaidDevice State
           0     254        1        0      active sync   /dev/vda1
           3     254        4        1      spare rebuilding   /dev/vda4
           2     254        2        -      faulty failfast   /dev/vda2

``--export`` prints ``KEY=value`` lines; member devices appear as ``MD_DEVICE_<dev>_ROLE``
and ``MD_DEVICE_<dev>_DEV``, where ``<dev>`` is the device name with every character that is
not a letter or digit turned into ``_``. Depending on the mdadm version ``<dev>`` is the
kernel name (``sda1``), the path (``dev_sda1``) or the path missing its first two characters
(``ev_sda1``, an mdadm bug). ``ROLE`` is a number or ``spare``; mdadm also says ``spare`` for a
*faulty* member (it only looks at the role, which the kernel clears on failure), so an export
alone cannot tell a spare from a failed disk.

The converters (:func:`detail_to_array`, :func:`export_to_array`) build the same
:class:`~backend.model.MdArray` that :mod:`backend.parse.mdstat` builds, so an array can be
reported from either file alone. The conversion helpers live in
:mod:`backend.parse.mdadm_convert`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from backend.parse.errors import ParseError
from backend.parse.mdadm_convert import detail_to_array, export_to_array

__all__ = [
    "MdDetail",
    "MdDetailDevice",
    "MdExport",
    "MdadmParseError",
    "detail_to_array",
    "export_to_array",
    "parse_detail",
    "parse_detail_export",
]


class MdadmParseError(ParseError):
    """mdadm --detail or --detail --export text that cannot be read."""


@dataclass(frozen=True)
class MdDetailDevice:
    """One row of the device table of ``mdadm --detail``.

    Values are kept as printed: ``number`` and ``raid_device`` may be ``"-"`` (a spare, a
    faulty member, a container member), ``path`` is None for a ``removed`` slot.
    """

    number: str
    major: str
    minor: str
    raid_device: str
    path: str | None
    state: tuple[str, ...]  # ("active", "sync"), ("spare", "rebuilding"), ("faulty",), ()


@dataclass(frozen=True)
class MdDetail:
    """The parsed text of ``mdadm --detail``: the header device, the fields, the table."""

    device: str | None  # "/dev/md127" from the first line, None when the line is missing
    # Key -> value (right-stripped; continuation lines joined with "\n"), in printed order.
    # Read-only; excluded from hashing so the dataclass stays hashable.
    fields: Mapping[str, str] = field(hash=False)
    devices: tuple[MdDetailDevice, ...] = ()

    def get(self, key: str) -> str | None:
        """The value of one field, or None when mdadm did not print it."""
        return self.fields.get(key)


@dataclass(frozen=True)
class MdExport:
    """The parsed text of ``mdadm --detail --export``."""

    # Every KEY=value pair as printed (MD_DEVICE_* keys included), in printed order.
    values: Mapping[str, str] = field(hash=False)
    # One entry per member: (kernel name, role or None, /dev path or None), in printed order.
    devices: tuple[tuple[str, str | None, str | None], ...] = ()

    def get(self, key: str) -> str | None:
        """The value of one key, or None when mdadm did not print it."""
        return self.values.get(key)


# --- mdadm --detail ---------------------------------------------------------------------

_DEVICE_LINE = re.compile(r"^(?P<dev>/\S+):$")
# Labels: words of letters/digits (and a few signs) before " : ". The value may hold colons
# (times, UUIDs), so the label is the shortest prefix followed by whitespace and a colon.
_FIELD = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9 ./()_-]*?)\s+:(?:\s(?P<value>.*))?$")
_TABLE_HEAD = re.compile(r"^Number\s+Major\s+Minor\s+RaidDevice(?:\s+State)?$")
_NUM_OR_DASH = re.compile(r"^(?:\d+|-)$")
_DIGITS = re.compile(r"^\d+$")


def _fail(message: str, line_no: int, line: str) -> MdadmParseError:
    return MdadmParseError(message, line_no, line)


def _read_row(stripped: str, line_no: int, line: str) -> MdDetailDevice:
    """``0     254        1        0      active sync   /dev/vda1`` -> MdDetailDevice."""
    tokens = stripped.split()
    if len(tokens) < 4:
        raise _fail("device row with fewer than 4 columns", line_no, line)
    number, major, minor, raid_device = tokens[:4]
    if not (_NUM_OR_DASH.match(number) and _NUM_OR_DASH.match(raid_device)):
        raise _fail("device row: Number and RaidDevice must be numbers or '-'", line_no, line)
    if not (_DIGITS.match(major) and _DIGITS.match(minor)):
        raise _fail("device row: Major and Minor must be numbers", line_no, line)
    rest = tokens[4:]
    path: str | None = None
    if rest and rest[-1].startswith("/"):
        path = rest.pop()
    for word in rest:
        if word.startswith("/"):
            raise _fail(f"device row: path {word!r} not in the last column", line_no, line)
    return MdDetailDevice(number, major, minor, raid_device, path, tuple(rest))


def parse_detail(text: str) -> MdDetail:
    """Read the text of ``mdadm --detail /dev/mdX`` (any mdadm version in the corpus).

    Lines starting with ``mdadm:`` (warnings, when stderr was captured too) are skipped.
    Raises :class:`MdadmParseError` on text that is not of this shape.
    """
    device: str | None = None
    fields: dict[str, str] = {}
    rows: list[MdDetailDevice] = []
    last_key: str | None = None  # the field a continuation line would extend
    in_table = False
    seen_any = False
    for line_no, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            last_key = None
            continue
        if stripped.startswith("mdadm:"):
            continue
        if in_table:
            rows.append(_read_row(stripped, line_no, line))
            continue
        if (dm := _DEVICE_LINE.match(stripped)) is not None and not seen_any:
            device = dm.group("dev")
            seen_any = True
            continue
        seen_any = True
        if _TABLE_HEAD.match(stripped):
            in_table = True
            last_key = None
            continue
        fm = _FIELD.match(stripped)
        if fm is not None:
            key = " ".join(fm.group("key").split())
            value = (fm.group("value") or "").strip()
            # A repeated label keeps its first value; mdadm prints each label once.
            fields.setdefault(key, value)
            last_key = key
            continue
        if last_key is not None and line[:1].isspace():
            # An indented line right under a field continues it, e.g. the
            # "(Linux-MD 08/16/22 16:20:42)" under a DDF "Container GUID".
            fields[last_key] = f"{fields[last_key]}\n{stripped}"
            continue
        raise _fail("not a 'Key : value' line, device table or continuation", line_no, line)
    if not fields and not rows:
        raise MdadmParseError("no fields and no devices: not mdadm --detail output")
    return MdDetail(device=device, fields=MappingProxyType(fields), devices=tuple(rows))


# --- mdadm --detail --export ------------------------------------------------------------

_EXPORT_LINE = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)$")
_EXPORT_DEVICE = re.compile(r"^MD_DEVICE_(?P<dev>.+)_(?P<what>ROLE|DEV)$")


def _mangle(name: str) -> str:
    """mdadm's key form of a device name: every non-alphanumeric character becomes ``_``."""
    return "".join(c if c.isascii() and c.isalnum() else "_" for c in name)


def _kernel_name(key_dev: str, path: str | None) -> str:
    """The member's kernel name from its key part and its ``_DEV`` path.

    Strip the path-shaped key prefixes some mdadm versions print (``dev_sda1``,
    ``ev_sda1``); then prefer the ``/dev/<name>`` path when it mangles back to the key,
    because mangling loses characters (``dm-0`` is keyed ``dm_0``).
    """
    name = key_dev
    for prefix in ("dev_", "ev_"):
        if key_dev.startswith(prefix) and len(key_dev) > len(prefix):
            name = key_dev.removeprefix(prefix)
            break
    if path is not None and path.startswith("/dev/"):
        from_path = path.removeprefix("/dev/")
        if "/" not in from_path and _mangle(from_path) == name:
            return from_path
    return name


def parse_detail_export(text: str) -> MdExport:
    """Read the text of ``mdadm --detail --export /dev/mdX`` (KEY=value lines).

    Raises :class:`MdadmParseError` on a line that is not KEY=value, a key printed twice
    with different values, or empty text.
    """
    values: dict[str, str] = {}
    order: list[str] = []  # device keys in first-seen order
    roles: dict[str, str] = {}
    paths: dict[str, str] = {}
    for line_no, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        m = _EXPORT_LINE.match(stripped)
        if m is None:
            raise _fail("not a KEY=value line", line_no, line)
        key, value = m.group("key"), m.group("value")
        if key in values and values[key] != value:
            raise _fail(f"{key} printed twice with different values", line_no, line)
        values[key] = value
        dm = _EXPORT_DEVICE.match(key)
        if dm is None:
            continue
        dev = dm.group("dev")
        if dev not in roles and dev not in paths:
            order.append(dev)
        if dm.group("what") == "ROLE":
            roles[dev] = value
        else:
            paths[dev] = value
    if not values:
        raise MdadmParseError("no KEY=value lines: not mdadm --detail --export output")
    devices = tuple(
        (_kernel_name(dev, paths.get(dev)), roles.get(dev), paths.get(dev)) for dev in order
    )
    return MdExport(values=MappingProxyType(values), devices=devices)
