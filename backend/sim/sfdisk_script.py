"""Reading an sfdisk input script (the `sfdisk -d` dump format and the short `start,size,type`
lines) and laying the partitions out on a disk the way sfdisk 2.38 does (1 MiB alignment,
the last partition ending on a 1 MiB boundary)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

GRAIN = 2048  # sectors (1 MiB)
_GUID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
_UNITS = {
    "K": 2,
    "KIB": 2,
    "M": 2048,
    "MIB": 2048,
    "G": 2048 * 1024,
    "GIB": 2048 * 1024,
    "T": 2048 * 1024**2,
    "TIB": 2048 * 1024**2,
}
_ALIASES = {
    "L": "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
    "S": "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F",
    "R": "A19D880F-05FC-4D3B-A006-743F0F84911E",
    "U": "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
}


class ScriptError(ValueError):
    """Input sfdisk would reject; the message is sfdisk's."""


@dataclass
class ScriptPart:
    """One partition line of a script (sectors; None = let sfdisk choose)."""

    start: int | None
    size: int | None
    type_guid: str
    uuid: str | None = None
    name: str | None = None


@dataclass
class Script:
    """A parsed script: header and partitions."""

    headers: dict[str, str] = field(default_factory=dict)
    parts: list[ScriptPart] = field(default_factory=list)


def _sectors(text: str) -> int | None:
    text = text.strip()
    if not text or text in ("-", "+"):
        return None
    m = re.fullmatch(r"\+?(\d+)\s*([KMGT](?:iB)?)?", text, re.I)
    if not m:
        raise ScriptError(f"sfdisk: failed to parse size/start: {text}")
    n = int(m.group(1))
    return n * _UNITS[m.group(2).upper()] if m.group(2) else n


def parse_script(text: str) -> Script:
    """Parse an sfdisk script."""
    script = Script()
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if re.match(r"^[a-z-]+:\s", line) and "=" not in line:
            key, _, value = line.partition(":")
            script.headers[key.strip()] = value.strip()
            continue
        if " : " in line:
            line = line.split(" : ", 1)[1]
        fields: dict[str, str] = {}
        if "=" in line:
            for item in re.findall(r'(\w+)=("[^"]*"|[^,]*)', line):
                fields[item[0]] = item[1].strip().strip('"')
        else:
            cols = [c.strip() for c in line.split(",")] + ["", "", ""]
            fields = {"start": cols[0], "size": cols[1], "type": cols[2]}
        type_text = fields.get("type", "") or "L"
        type_guid = _ALIASES.get(type_text.upper(), type_text).upper()
        script.parts.append(
            ScriptPart(
                _sectors(fields.get("start", "")),
                _sectors(fields.get("size", "")),
                type_guid,
                fields.get("uuid") or None,
                fields.get("name") or None,
            )
        )
    return script


def layout(script: Script, disk_sectors: int) -> list[tuple[int, int, ScriptPart]]:
    """(start, size, part) for each partition, or ScriptError with sfdisk's message."""
    last_usable = disk_sectors - 34
    out: list[tuple[int, int, ScriptPart]] = []
    cursor = GRAIN
    for i, part in enumerate(script.parts, start=1):
        if not _GUID.match(part.type_guid):
            raise ScriptError(f"sfdisk: Failed to add #{i} partition: Invalid argument")
        start = part.start if part.start is not None else -(-cursor // GRAIN) * GRAIN
        # No size: up to the last 1 MiB boundary before the backup GPT, as sfdisk does.
        end = ((last_usable + 1) // GRAIN) * GRAIN
        size = part.size if part.size is not None else end - start
        if start < GRAIN or size <= 0 or start + size - 1 > last_usable or start < cursor:
            raise ScriptError(
                f"sfdisk: Failed to add #{i} partition: Numerical result out of range"
            )
        out.append((start, size, part))
        cursor = start + size
    return out


def human(sectors: int, *, spaced: bool) -> str:
    """util-linux size_to_human_string: "1 MiB" / "923.5G"."""
    nbytes = sectors * 512
    units = ["B", "K", "M", "G", "T", "P"]
    i = 0
    value = float(nbytes)
    while value >= 1024 and i < len(units) - 1:
        value /= 1024
        i += 1
    whole = int(value)
    dec = round((value - whole) * 10)
    if dec == 10:
        whole, dec = whole + 1, 0
    num = f"{whole}.{dec}" if dec else f"{whole}"
    suffix = units[i] + ("iB" if i and spaced else "")
    return f"{num} {suffix}" if spaced else f"{num}{suffix}"
