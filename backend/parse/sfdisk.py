"""`sfdisk -d` / `sfdisk --json` -> partition tables, and back to a script `sfdisk` accepts.

The dump format is read the way libfdisk's script reader reads it (util-linux
libfdisk/src/script.c): header lines `name: value` until the first partition, then
`NODE : key=value, ...` lines where values may be padded (`start=     2048`, `Id= 0`) or
quoted (`name="GPT is the best"`), names carry `\\xNN` escapes, `Id=` is the pre-2.26
spelling of `type=`, and `bootable` is a bare flag. Old dumps (util-linux < 2.26) have no
`label:` header and name their device in a `# partition table of /dev/sda` comment; several
old dumps can follow each other in one text (`sfdisk -d` of several disks).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from backend.parse.errors import ParseError

__all__ = [
    "PartitionEntry",
    "PartitionTable",
    "SfdiskParseError",
    "parse_sfdisk_dump",
    "parse_sfdisk_json",
    "render_sfdisk_dump",
]


class SfdiskParseError(ParseError):
    """sfdisk output that cannot be read."""


@dataclass(frozen=True)
class PartitionEntry:
    """One partition line of a dump (sizes and starts in sectors)."""

    node: str  # "/dev/sda1", "<removed>1" or "1" (--no-device-names)
    start: int
    size: int
    type: str | None = None  # as printed: GPT type GUID, MBR hex id ("83", "5", "0")
    uuid: str | None = None
    name: str | None = None  # GPT partition name, unescaped
    attrs: str | None = None  # GPT attribute bits, e.g. "RequiredPartition LegacyBIOSBootable"
    bootable: bool = False
    extra: tuple[tuple[str, str], ...] = ()  # fields this parser does not know, in order


@dataclass(frozen=True)
class PartitionTable:
    """A whole partition table as `sfdisk -d` or `sfdisk --json` describes it."""

    label: str | None = None  # "gpt", "dos"; None in pre-2.26 dumps (always dos there)
    label_id: str | None = None
    device: str | None = None
    unit: str | None = None
    first_lba: int | None = None
    last_lba: int | None = None
    sector_size: int | None = None
    table_length: int | None = None
    partitions: tuple[PartitionEntry, ...] = ()
    # Header lines this parser does not model (e.g. "grain"), in order. An addition to the
    # agreed API, with a default, so tables survive a parse/render round trip intact.
    extra: tuple[tuple[str, str], ...] = field(default=())


_HEADER_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_FIELD_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_OLD_COMMENT = re.compile(r"^#\s*partition table of\s+(\S+)\s*$")
# Bounded so a corrupt 5000-digit value is refused instead of tripping int()'s digit limit.
_DIGITS = re.compile(r"[0-9]{1,30}")
_HEX_RUN = re.compile(r"(?:\\x[0-9a-fA-F]{2})+")
_INT_HEADERS = {
    "first-lba": "first_lba",
    "last-lba": "last_lba",
    "sector-size": "sector_size",
    "table-length": "table_length",
}
_STR_HEADERS = {"label": "label", "label-id": "label_id", "device": "device", "unit": "unit"}
_KNOWN_FIELDS = ("start", "size", "type", "id", "uuid", "name", "attrs", "bootable")


def _number(text: str, what: str, line_no: int | None, line: str | None) -> int:
    if not _DIGITS.fullmatch(text):
        raise SfdiskParseError(f"{what}: not a number: {text!r}", line_no, line)
    return int(text)


def _unmangle(text: str) -> str:
    """Undo sfdisk's `\\xNN` escaping of names: runs of escaped bytes are UTF-8 text."""
    return _HEX_RUN.sub(
        lambda m: bytes.fromhex(m.group(0).replace("\\x", "")).decode("utf-8", "surrogateescape"),
        text,
    )


def _mangle(text: str) -> str:
    """Escape a name the way sfdisk's fputs_quoted does, so any name survives quoting."""
    out: list[str] = []
    for ch in text:
        if " " <= ch <= "~" and ch not in '"\\`$':
            out.append(ch)
            continue
        try:
            data = ch.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a lone surrogate that did not come from a byte
            data = ch.encode("utf-8", "surrogatepass")
        out.extend(f"\\x{byte:02x}" for byte in data)
    return "".join(out)


class _Builder:
    """Collects the headers and partitions of one table while lines arrive."""

    def __init__(self, device: str | None = None) -> None:
        self.values: dict[str, Any] = {"device": device}
        self.headers: set[str] = set()  # the modelled ones seen so far
        self.extra: list[tuple[str, str]] = []
        self.partitions: list[PartitionEntry] = []
        self.touched = device is not None

    def header(self, key: str, value: str, line_no: int, line: str) -> None:
        self.touched = True
        if key in _INT_HEADERS:
            self.headers.add(key)
            self.values[_INT_HEADERS[key]] = _number(value, key, line_no, line)
        elif key in _STR_HEADERS:
            self.headers.add(key)
            self.values[_STR_HEADERS[key]] = value
        else:  # sfdisk itself ignores headers it does not support (-ENOTSUP)
            self.extra.append((key, value))

    def build(self) -> PartitionTable:
        return PartitionTable(
            **self.values, partitions=tuple(self.partitions), extra=tuple(self.extra)
        )


def _read_value(rest: str, pos: int, line_no: int, line: str) -> tuple[str, int]:
    """One value after `key=`: blanks skipped, quoted or bare, then a separator or the end."""
    while pos < len(rest) and rest[pos] in " \t":
        pos += 1
    if pos < len(rest) and rest[pos] == '"':
        end = rest.find('"', pos + 1)
        if end < 0:
            raise SfdiskParseError("unterminated quoted value", line_no, line)
        value, pos = rest[pos + 1 : end], end + 1
    else:
        end = pos
        while end < len(rest) and rest[end] not in " \t,;":
            end += 1
        value, pos = rest[pos:end], end
    return value, _after_value(rest, pos, line_no, line)


def _after_value(rest: str, pos: int, line_no: int, line: str) -> int:
    while pos < len(rest) and rest[pos] in " \t":
        pos += 1
    if pos < len(rest):
        if rest[pos] not in ",;":
            raise SfdiskParseError(f"expected ',' at {rest[pos:]!r}", line_no, line)
        pos += 1
    return pos


def _partition_line(raw_line: str, line_no: int) -> PartitionEntry:
    line = raw_line.strip()
    colon, equals = line.find(":"), line.find("=")
    node, rest = "", line
    if 0 <= colon < equals:
        node, rest = line[:colon].strip(), line[colon + 1 :]
    fields: dict[str, str] = {}
    bootable = False
    extra: list[tuple[str, str]] = []
    pos = 0
    while True:
        while pos < len(rest) and rest[pos] in " \t":
            pos += 1
        if pos >= len(rest):
            break
        m = _FIELD_KEY.match(rest, pos)
        if not m:
            raise SfdiskParseError(f"expected a field at {rest[pos:]!r}", line_no, raw_line)
        key, pos = m.group(0), m.end()
        if pos < len(rest) and rest[pos] == "=":
            value, pos = _read_value(rest, pos + 1, line_no, raw_line)
            lower = key.lower()
            if lower in _KNOWN_FIELDS and lower != "bootable":
                fields["type" if lower == "id" else lower] = value  # Id= is the old type=
            else:
                extra.append((key, value))
        elif key.lower() == "bootable":
            bootable = True
            pos = _after_value(rest, pos, line_no, raw_line)
        else:
            raise SfdiskParseError(f"unknown flag {key!r}", line_no, raw_line)
    for required in ("start", "size"):
        if required not in fields:
            raise SfdiskParseError(f"partition without {required}=", line_no, raw_line)
    name = fields.get("name")
    return PartitionEntry(
        node=node,
        start=_number(fields["start"], "start", line_no, raw_line),
        size=_number(fields["size"], "size", line_no, raw_line),
        type=fields.get("type") or None,
        uuid=fields.get("uuid") or None,
        name=_unmangle(name) if name else None,
        attrs=fields.get("attrs") or None,
        bootable=bootable,
        extra=tuple(extra),
    )


def parse_sfdisk_dump(text: str) -> tuple[PartitionTable, ...]:
    """Parse `sfdisk -d` output (old or new format); one table per dumped disk."""
    tables: list[PartitionTable] = []
    current = _Builder()
    for line_no, raw_line in enumerate(text.splitlines(), 1):
        line = raw_line.strip()
        if not line:
            continue
        if line.startswith("#"):
            m = _OLD_COMMENT.match(line)
            if m:  # pre-2.26 dumps start each disk with this comment
                if current.touched:
                    tables.append(current.build())
                current = _Builder(device=m.group(1))
            continue
        colon = line.find(":")
        if colon > 0 and "=" not in line and line[colon + 1 :].strip():
            key, value = line[:colon].strip(), line[colon + 1 :].strip()
            if not _HEADER_KEY.fullmatch(key):
                raise SfdiskParseError(f"bad header name {key!r}", line_no, raw_line)
            # A header after partitions, or a modelled header seen twice, begins the next
            # disk's dump (dumps of several disks concatenated).
            if current.partitions or key in current.headers:
                tables.append(current.build())
                current = _Builder()
            current.header(key, value, line_no, raw_line)
        elif "=" in line:
            current.touched = True
            current.partitions.append(_partition_line(raw_line, line_no))
        else:
            raise SfdiskParseError("neither a header nor a partition line", line_no, raw_line)
    if current.touched:
        tables.append(current.build())
    if not tables:
        raise SfdiskParseError("no partition table in the text")
    return tuple(tables)


def _json_str(obj: dict[str, Any], key: str, what: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise SfdiskParseError(f"{what}{key}: expected a string, got {value!r}")
    return value


def _json_int(obj: dict[str, Any], key: str, what: str, *, required: bool = False) -> int | None:
    value = obj.get(key)
    if value is None and not required:
        return None
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return int(value)  # "table-length" and "grain" are printed as JSON strings
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SfdiskParseError(f"{what}{key}: expected a number, got {value!r}")
    return value


def _json_extra(obj: dict[str, Any], known: set[str], what: str) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for key, value in obj.items():
        if key in known:
            continue
        if isinstance(value, dict | list) or value is None:
            raise SfdiskParseError(f"{what}{key}: unexpected value {value!r}")
        out.append((key, str(value).lower() if isinstance(value, bool) else str(value)))
    return tuple(out)


_JSON_TABLE_KEYS = {"label", "id", "device", "unit", "firstlba", "lastlba", "sectorsize"}
_JSON_TABLE_KEYS |= {"table-length", "partitions"}
_JSON_PART_KEYS = {"node", "start", "size", "type", "uuid", "name", "attrs", "bootable"}


def _json_partition(obj: object, index: int) -> PartitionEntry:
    what = f"partitions[{index}]."
    if not isinstance(obj, dict):
        raise SfdiskParseError(f"partitions[{index}]: expected an object")
    bootable = obj.get("bootable", False)
    if not isinstance(bootable, bool):
        raise SfdiskParseError(f"{what}bootable: expected true/false, got {bootable!r}")
    return PartitionEntry(
        # sfdisk omits "node" when it knows no device name.
        node=_json_str(obj, "node", what) or "",
        start=_json_int(obj, "start", what, required=True) or 0,
        size=_json_int(obj, "size", what, required=True) or 0,
        type=_json_str(obj, "type", what) or None,
        uuid=_json_str(obj, "uuid", what) or None,
        name=_json_str(obj, "name", what) or None,
        attrs=_json_str(obj, "attrs", what) or None,
        bootable=bootable,
        extra=_json_extra(obj, _JSON_PART_KEYS, what),
    )


def parse_sfdisk_json(text: str) -> PartitionTable:
    """Parse `sfdisk --json DEVICE` output."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        lines = text.splitlines()
        line = lines[exc.lineno - 1] if 0 < exc.lineno <= len(lines) else None
        raise SfdiskParseError(f"not JSON: {exc.msg}", exc.lineno, line) from None
    except (RecursionError, ValueError) as exc:  # absurd nesting, or huge integer literals
        raise SfdiskParseError(f"not JSON: {exc}") from None
    table = doc.get("partitiontable") if isinstance(doc, dict) else None
    if not isinstance(table, dict):
        raise SfdiskParseError('expected an object with "partitiontable"')
    parts = table.get("partitions", [])
    if not isinstance(parts, list):
        raise SfdiskParseError("partitions: expected a list")
    return PartitionTable(
        label=_json_str(table, "label", ""),
        label_id=_json_str(table, "id", ""),
        device=_json_str(table, "device", ""),
        unit=_json_str(table, "unit", ""),
        first_lba=_json_int(table, "firstlba", ""),
        last_lba=_json_int(table, "lastlba", ""),
        sector_size=_json_int(table, "sectorsize", ""),
        table_length=_json_int(table, "table-length", ""),
        partitions=tuple(_json_partition(p, i) for i, p in enumerate(parts)),
        extra=_json_extra(table, _JSON_TABLE_KEYS, ""),
    )


_BARE = re.compile(r'[^\s,;"]+')


def _quoted(value: str, what: str) -> str:
    if any(c in value for c in '"\n\r'):
        raise ValueError(f"{what} {value!r} cannot be written to an sfdisk script")
    return f'"{value}"'


def _token(value: str, what: str) -> str:
    """A value as a script token: bare when it can be, else quoted (sfdisk reads both)."""
    return value if _BARE.fullmatch(value) else _quoted(value, what)


def _header_value(value: str, what: str) -> str:
    # A header value with "=" would be read back (by sfdisk too) as a partition line.
    if value != value.strip() or not value or any(c in value for c in "=\n\r"):
        raise ValueError(f"{what} {value!r} cannot be written to an sfdisk script")
    return value


def render_sfdisk_dump(table: PartitionTable, *, keep_ids: bool = True) -> str:
    """A script that `sfdisk DEVICE < script` applies, laid out as `sfdisk -d` prints it.

    keep_ids=False leaves out the label-id, the device and every partition uuid, so sfdisk
    generates fresh ones: the copy of one disk's table onto another must not clone them.
    Partition nodes are kept; sfdisk only reads the partition number off their tail.
    Raises ValueError for values no script can carry (a uuid with a space, ...).
    """
    headers: list[tuple[str, object]] = [
        ("label", table.label),
        ("label-id", table.label_id if keep_ids else None),
        ("device", table.device if keep_ids else None),
        ("unit", table.unit),
        ("first-lba", table.first_lba),
        ("last-lba", table.last_lba),
        ("table-length", table.table_length),
        *table.extra,
        ("sector-size", table.sector_size),
    ]
    for key, _ in table.extra:
        # A modelled header among the extras would be read back as the start of a new table.
        if not _HEADER_KEY.fullmatch(key) or key in _INT_HEADERS or key in _STR_HEADERS:
            raise ValueError(f"header {key!r} cannot be written to an sfdisk script")
    lines = []
    for key, value in headers:
        if value is not None:
            lines.append(f"{key}: {_header_value(str(value), key)}")
    if table.partitions:
        lines.append("")
    for part in table.partitions:
        lines.append(_render_partition(part, keep_ids=keep_ids))
    return "\n".join(lines) + "\n"


def _render_partition(part: PartitionEntry, *, keep_ids: bool) -> str:
    if (
        any(c in part.node for c in ":=\n\r")
        or part.node.startswith("#")
        or part.node != part.node.strip()
    ):
        raise ValueError(f"partition node {part.node!r} cannot be written to an sfdisk script")
    fields = [f"start={part.start:>12}", f"size={part.size:>12}"]
    # Empty strings are left out like None: the parser reads an empty value back as None.
    if part.type:
        fields.append(f"type={_token(part.type, 'type')}")
    if keep_ids and part.uuid:
        fields.append(f"uuid={_token(part.uuid, 'uuid')}")
    if part.name:
        fields.append(f'name="{_mangle(part.name)}"')
    if part.attrs:
        fields.append(f"attrs={_quoted(part.attrs, 'attrs')}")  # sfdisk quotes, never escapes
    for key, value in part.extra:
        if not _FIELD_KEY.fullmatch(key) or key.lower() in _KNOWN_FIELDS:
            raise ValueError(f"extra field {key!r} cannot be written to an sfdisk script")
        fields.append(f"{key}={_quoted(value, key)}")
    if part.bootable:
        fields.append("bootable")
    prefix = f"{part.node} : " if part.node else ""
    return prefix + ", ".join(fields)
