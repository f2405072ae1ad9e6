"""Parse `zpool status` text (Solaris, ZFS on Linux 0.6/0.7, OpenZFS 0.8 - 2.x) into pools.

The config table is an indented tree::

    NAME                        STATE     READ WRITE CKSUM
    Data                        DEGRADED     0     0     0
      mirror-0                  DEGRADED     0     0     0
        replacing-0             DEGRADED     0     0     0
          4676737554230074290   UNAVAIL      0     0     0  was /dev/disk/by-id/ata-...
          sdd                   ONLINE       0     0     0  (resilvering)
        ata-TOSHIBA_...         ONLINE       0     0     0
    logs
      sdf                       ONLINE       0     0     0
    spares
      sdg                       AVAIL

Depth is (indent - indent of ``NAME``) / 2 after tab expansion. The first row is the pool
itself; rows at depth 0 named ``logs``, ``cache``, ``spares``, ``special`` or ``dedup`` open
a section. ``special`` and ``dedup`` vdevs hold pool data (losing one loses the pool), so
they join :attr:`Pool.vdevs`; the model has no separate place for them. The pool row's and
the section rows' own state and counters have no place in the model either: they stay
available through :func:`parse_config_rows`.

Published copies are not always aligned (a row indented less than its section, columns
shifted): a row never lands shallower than the section it follows nor deeper than one
level below the row above it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from backend.model import Pool, Vdev
from backend.parse.errors import ParseError
from backend.parse.zpool_blocks import Block, Field, split_blocks
from backend.parse.zpool_report import pool_to_json
from backend.parse.zpool_scan import parse_count, parse_scan

__all__ = [
    "ConfigRow",
    "ZpoolParseError",
    "parse_config_rows",
    "parse_zpool_status",
    "pool_to_json",
]

# Whole-line messages zpool prints instead of pools.
NO_POOLS_MESSAGES = ("no pools available", "all pools are healthy")

_SECTIONS = {
    "logs": "logs",
    "cache": "cache",
    "spares": "spares",
    "special": "vdevs",
    "dedup": "vdevs",
}
# Columns of the header that hold counters (-s adds SLOW); -c script columns and the
# notes ("(resilvering)", "cannot open", "58.5K resilvered") follow them.
_COUNTER_COLUMNS = ("READ", "WRITE", "CKSUM", "SLOW")
_STATE = r"[A-Z][A-Z_]*"
_COUNT = r"[0-9][0-9.,]*[KMGTPEZ]?"


class ZpoolParseError(ParseError):
    """`zpool status` / `zpool status -j` / `zpool import` output that cannot be read."""


@dataclass(frozen=True)
class ConfigRow:
    """One row of a config table exactly as printed (depth may be off in hand-edited copies)."""

    name: str
    depth: int
    state: str | None = None
    read: int | None = None
    write: int | None = None
    cksum: int | None = None
    note: str | None = None
    line_no: int = 0


@dataclass
class _Node:
    row: ConfigRow
    children: list[_Node] = field(default_factory=list)

    def vdev(self) -> Vdev:
        r = self.row
        return Vdev(
            name=r.name,
            state=r.state,
            read=r.read or 0,
            write=r.write or 0,
            cksum=r.cksum or 0,
            note=r.note,
            children=tuple(child.vdev() for child in self.children),
        )


def _row_re(counters: int) -> re.Pattern[str]:
    # Counters are all present or all absent (spares print none). The name is one word:
    # zpool pads names into a column, so a name with a space (a file vdev) cannot be told
    # from a note reliably; such a row keeps its first word as the name. Every part is
    # anchored on whitespace, so matching stays linear even on a runaway line.
    counts = "".join(rf"\s+(?P<c{i}>{_COUNT})" for i in range(counters))
    return re.compile(
        rf"^(?P<name>\S+)(?:\s+(?P<state>{_STATE})(?:{counts})?(?=\s|$))?(?:\s+(?P<note>\S.*))?$"
    )


def _config_rows(config: Field) -> list[ConfigRow]:
    header_indent: int | None = None
    counters = 3
    row_re = _row_re(counters)
    rows: list[ConfigRow] = []
    for line_no, raw in config.more:
        line = raw.expandtabs(8)
        body = line.strip()
        if not body:
            continue
        indent = len(line) - len(line.lstrip())
        words = body.split()
        if header_indent is None and words[0] == "NAME" and "STATE" in words:
            header_indent = indent
            counters = sum(1 for w in words[2:] if w in _COUNTER_COLUMNS)
            row_re = _row_re(counters)
            continue
        if header_indent is None:
            # No header line (never seen from zpool itself): the first row is the pool.
            header_indent = indent
        m = row_re.match(body)
        if m is None:  # pragma: no cover - the pattern matches any non-blank text
            raise ZpoolParseError("unreadable config row", line_no, raw)
        values = [m.group(f"c{i}") for i in range(counters)] if counters and m["c0"] else []
        numbers = [parse_count(v) for v in values[:3]]
        while len(numbers) < 3:
            numbers.append(None)
        rows.append(
            ConfigRow(
                name=m.group("name"),
                depth=(indent - header_indent) // 2,
                state=m.group("state"),
                read=numbers[0],
                write=numbers[1],
                cksum=numbers[2],
                note=m.group("note"),
                line_no=line_no,
            )
        )
    return rows


def _tree(rows: list[ConfigRow]) -> dict[str, tuple[Vdev, ...]]:
    sections: dict[str, list[_Node]] = {"vdevs": [], "logs": [], "cache": [], "spares": []}
    current = sections["vdevs"]
    stack: list[_Node] = []  # stack[i] is the latest node at depth i + 1
    for index, row in enumerate(rows):
        if index == 0:
            continue  # the pool's own row
        if row.depth <= 0 and row.name in _SECTIONS:
            # "spares", or "logs  FAULTED 0 0 0  bad intent log" (a section row may carry
            # the section's state; the model keeps only its members).
            current = sections[_SECTIONS[row.name]]
            stack = []
            continue
        depth = max(1, min(row.depth, len(stack) + 1))
        node = _Node(row)
        del stack[depth - 1 :]
        if depth == 1:
            current.append(node)
        else:
            stack[-1].children.append(node)
        stack.append(node)
    return {key: tuple(node.vdev() for node in nodes) for key, nodes in sections.items()}


def _pool(block: Block) -> Pool:
    config = block.get("config")
    rows = _config_rows(config) if config is not None else []
    tree = _tree(rows)
    state = block.text("state")
    if state is None and rows:
        state = rows[0].state
    if state is None:
        raise ZpoolParseError(f"pool {block.name!r} has no state", block.line_no, block.line)
    scan_text = block.text("scan") or block.text("scrub")
    return Pool(
        name=block.name,
        state=state,
        status=block.text("status"),
        action=block.text("action"),
        see=block.text("see"),
        errors=block.text("errors"),
        scan=parse_scan(scan_text) if scan_text else None,
        vdevs=tree["vdevs"],
        logs=tree["logs"],
        cache=tree["cache"],
        spares=tree["spares"],
    )


def _blocks(text: str) -> list[Block]:
    return split_blocks(text, ZpoolParseError, NO_POOLS_MESSAGES)


def parse_zpool_status(text: str) -> tuple[Pool, ...]:
    """Every pool in `zpool status` text (``-v``, ``-P``, ``-x`` and any era's layout).

    "no pools available" (or empty text) gives ``()``. Raises :class:`ZpoolParseError`,
    and nothing else, on text it cannot read.
    """
    return tuple(_pool(block) for block in _blocks(text))


def parse_config_rows(text: str) -> tuple[tuple[str, tuple[ConfigRow, ...]], ...]:
    """Each pool's name and its config table as printed, row by row (pool and section rows too).

    For diagnostics and tests: the tree in :func:`parse_zpool_status` is built from these.
    """
    out: list[tuple[str, tuple[ConfigRow, ...]]] = []
    for block in _blocks(text):
        config = block.get("config")
        out.append((block.name, tuple(_config_rows(config) if config is not None else ())))
    return tuple(out)
