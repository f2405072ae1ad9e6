"""Split `zpool status` / `zpool import` text into per-pool blocks of ``key: value`` fields.

Both commands print, per pool, right-aligned keys followed by a value that may continue on
further lines indented by a tab (or 8 spaces in documentation copies)::

      pool: tank
     state: DEGRADED
    status: One or more devices could not be opened.  Sufficient replicas exist for
            the pool to continue functioning in a degraded state.
    config:
            NAME        STATE     READ WRITE CKSUM
            ...
    errors: No known data errors

A key line is a lower-case word and a colon, indented by at most 7 spaces and never by a
tab; everything else continues the field above it. That keeps device names such as
``ST3500418AS-5VMSTSSX:5`` and error-list entries such as ``tank/fs:<0x1>`` out of the keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from backend.parse.errors import ParseError

__all__ = ["Block", "Field", "numbered_lines", "split_blocks"]

_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_KEY_RE = re.compile(r"^ {0,7}(?P<key>[a-z][a-z_]*):(?:[ \t](?P<value>.*))?$")


@dataclass
class Field:
    """One ``key: value`` field and its continuation lines, with their line numbers."""

    key: str
    line_no: int
    value: str  # the text after the colon on the key line, stripped
    more: list[tuple[int, str]] = field(default_factory=list)  # (line number, raw line)

    @property
    def text(self) -> str:
        """The value with continuation lines stripped and joined by "\\n" (blank lines dropped)."""
        parts = [self.value] if self.value else []
        parts.extend(line.strip() for _, line in self.more if line.strip())
        return "\n".join(parts)


@dataclass
class Block:
    """The fields of one pool, starting with its ``pool:`` field."""

    name: str
    line_no: int
    line: str
    fields: list[Field] = field(default_factory=list)

    def get(self, key: str) -> Field | None:
        """The first field with this key."""
        for f in self.fields:
            if f.key == key:
                return f
        return None

    def text(self, key: str) -> str | None:
        """The joined text of the first field with this key, None when absent or empty."""
        f = self.get(key)
        if f is None:
            return None
        return f.text or None


def numbered_lines(text: str) -> list[tuple[int, str]]:
    """The lines of ``text`` numbered from 1, line ends normalised and colour codes removed."""
    text = _ANSI_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return list(enumerate(text.split("\n"), start=1))


def split_blocks(
    text: str,
    error: Callable[[str, int, str], ParseError],
    quiet_lines: Iterable[str] = (),
) -> list[Block]:
    """The pool blocks of ``text``.

    Lines before the first ``pool:`` must be blank or one of ``quiet_lines`` (whole-line
    messages such as "no pools available"); anything else raises ``error(message, line_no,
    line)``.
    """
    quiet = {q.strip().lower() for q in quiet_lines}
    blocks: list[Block] = []
    current: Field | None = None
    for line_no, line in numbered_lines(text):
        m = _KEY_RE.match(line)
        if m is not None:
            key, value = m.group("key"), (m.group("value") or "").strip()
            if key == "pool":
                if not value:
                    raise error("pool line without a name", line_no, line)
                blocks.append(Block(name=value, line_no=line_no, line=line))
            elif not blocks:
                raise error(f"{key!r} line before any 'pool:' line", line_no, line)
            current = Field(key=key, line_no=line_no, value=value)
            blocks[-1].fields.append(current)
            continue
        if current is None:
            if line.strip() and line.strip().lower() not in quiet:
                raise error("unexpected text before the first 'pool:' line", line_no, line)
            continue
        current.more.append((line_no, line))
    return blocks
