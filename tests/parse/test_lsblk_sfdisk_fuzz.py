"""Mutated and truncated real lsblk/sfdisk outputs: nothing escapes but the module's ParseError.

Two kinds of damage: text-level (truncation, inserted/deleted/replaced characters, lines
dropped or repeated), which mostly exercises the JSON and line readers; and, for JSON,
value-level (any value swapped for another JSON value), which reaches the typed readers
behind a valid JSON document, where a KeyError or TypeError would hide.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.parse.lsblk import LsblkParseError, parse_lsblk
from backend.parse.sfdisk import (
    PartitionEntry,
    PartitionTable,
    SfdiskParseError,
    parse_sfdisk_dump,
    parse_sfdisk_json,
    render_sfdisk_dump,
)
from tests.corpus import CORPUS
from tests.parse.test_lsblk import LSBLK_238, LSBLK_OLD
from tests.parse.test_sfdisk import DUMP_238

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _corpus(kind: str) -> list[str]:
    folder = CORPUS / kind
    return [p.read_text() for p in sorted(folder.glob("*.txt"))] if folder.is_dir() else []


LSBLK_TEXTS = [*_corpus("lsblk-json"), LSBLK_238, LSBLK_OLD]
SFDISK_TEXTS = [*_corpus("sfdisk"), DUMP_238]
DUMP_TEXTS = [t for t in SFDISK_TEXTS if not t.lstrip().startswith("{")]
SFDISK_JSON_TEXTS = [t for t in SFDISK_TEXTS if t.lstrip().startswith("{")]

# Characters that matter to these formats, plus anything at all.
_ALPHABET = st.sampled_from([*'{}[]:,"=; \n\t0123456789-.xBGT#', "null", "true", "\\x"])
_CHUNK = st.one_of(_ALPHABET, st.text(max_size=4))


@st.composite
def _mutated(draw: st.DrawFn, texts: list[str]) -> str:
    text = draw(st.sampled_from(texts))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["truncate", "insert", "delete", "replace", "lines"]))
        pos = draw(st.integers(0, len(text)))
        if op == "truncate":
            text = text[:pos]
        elif op == "insert":
            text = text[:pos] + draw(_CHUNK) + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 8)) :]
        elif op == "replace":
            text = text[:pos] + draw(_CHUNK) + text[pos + 1 :]
        else:
            lines = text.splitlines(keepends=True)
            if lines:
                i = draw(st.integers(0, len(lines) - 1))
                lines[i : i + 1] = draw(st.sampled_from([[], [lines[i]] * 2, [lines[i][::-1]]]))
            text = "".join(lines)
    return text


_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True)
    | st.text(max_size=6)
    | st.sampled_from(["1.8T", "0B", "0", "1", "/", "disk", "part", "raid1", "0x83"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            out.extend(_paths(value, (*prefix, i)))
    return out


@st.composite
def _json_mutated(draw: st.DrawFn, texts: list[str]) -> str:
    doc = json.loads(draw(st.sampled_from(texts)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(doc)))
        value = draw(_JSON_VALUES)
        if not path:
            doc = value
            continue
        holder = doc
        for step in path[:-1]:
            holder = holder[step]
        if draw(st.booleans()) and isinstance(holder, dict):
            del holder[path[-1]]
        else:
            holder[path[-1]] = value
    return json.dumps(doc)


def _lsblk_ok(text: str) -> None:
    with contextlib.suppress(LsblkParseError):
        parse_lsblk(text)


def _sfdisk_ok(text: str) -> None:
    with contextlib.suppress(SfdiskParseError):
        parse_sfdisk_dump(text)
    with contextlib.suppress(SfdiskParseError):
        parse_sfdisk_json(text)


@FUZZ
@given(_mutated(LSBLK_TEXTS))
def test_lsblk_mutated_text(text: str) -> None:
    _lsblk_ok(text)


@FUZZ
@given(_json_mutated(LSBLK_TEXTS))
def test_lsblk_mutated_values(text: str) -> None:
    _lsblk_ok(text)


@FUZZ
@given(_mutated(SFDISK_TEXTS))
def test_sfdisk_mutated_text(text: str) -> None:
    _sfdisk_ok(text)


@pytest.mark.skipif(not SFDISK_JSON_TEXTS, reason="corpus not present")
@FUZZ
@given(_json_mutated(SFDISK_JSON_TEXTS or ["{}"]))
def test_sfdisk_mutated_values(text: str) -> None:
    _sfdisk_ok(text)


@FUZZ
@given(_mutated(DUMP_TEXTS))
def test_sfdisk_dump_that_parses_renders_and_round_trips(text: str) -> None:
    """Whatever damaged dump still parses must render to a script that parses back the same."""
    try:
        tables = parse_sfdisk_dump(text)
    except SfdiskParseError:
        return
    for table in tables:
        try:
            script = render_sfdisk_dump(table)
        except ValueError:
            continue  # e.g. an unknown field whose name shadows a known one: refused, not garbled
        assert parse_sfdisk_dump(script) == (table,)


# Values a script can carry: printable, no double quote (sfdisk has no escape for it outside
# names); the renderer quotes what needs quoting.
_VALUE = st.text(st.characters(min_codepoint=32, max_codepoint=126, exclude_characters='"'))
_HEADER = st.text(
    st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="="),
    min_size=1,
    max_size=12,
)
_NODE = st.text(
    st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=":=#"), max_size=12
)
_KEY = st.from_regex(r"[a-z][a-z0-9_-]{0,6}", fullmatch=True)
_ENTRIES = st.builds(
    PartitionEntry,
    node=_NODE,
    start=st.integers(0, 2**64),
    size=st.integers(0, 2**64),
    type=st.none() | _VALUE.filter(bool),
    uuid=st.none() | _VALUE.filter(bool),
    name=st.none() | st.text(min_size=1, max_size=20),  # anything: sfdisk escapes it as \xNN
    attrs=st.none() | _VALUE.filter(bool),
    bootable=st.booleans(),
    extra=st.lists(
        st.tuples(_KEY.filter(lambda k: k not in ("start", "size", "type", "id", "uuid",
                                                  "name", "attrs", "bootable")), _VALUE),
        max_size=2,
    ).map(tuple),
)  # fmt: skip
_TABLES = st.builds(
    PartitionTable,
    label=st.none() | st.sampled_from(["gpt", "dos"]),
    label_id=st.none() | _HEADER,
    device=st.none() | _HEADER,
    unit=st.none() | st.just("sectors"),
    first_lba=st.none() | st.integers(0, 2**40),
    last_lba=st.none() | st.integers(0, 2**40),
    sector_size=st.none() | st.sampled_from([512, 4096]),
    table_length=st.none() | st.integers(1, 1024),
    partitions=st.lists(_ENTRIES, max_size=4).map(tuple),
    extra=st.lists(
        st.tuples(_KEY.filter(lambda k: k not in ("label", "label-id", "device", "unit",
                                                  "first-lba", "last-lba", "sector-size",
                                                  "table-length")), _HEADER),
        max_size=2,
    ).map(tuple),
).filter(lambda t: t != PartitionTable())  # an empty table renders as an empty script  # fmt: skip


@FUZZ
@given(_TABLES)
def test_render_then_parse_is_identity(table: PartitionTable) -> None:
    # Names are compared with surrogates excluded by hypothesis' default text alphabet.
    assert parse_sfdisk_dump(render_sfdisk_dump(table)) == (table,)


def test_fuzz_inputs_are_real_samples() -> None:
    if not (CORPUS / "lsblk-json").is_dir():
        pytest.skip("corpus not present")
    assert len(LSBLK_TEXTS) >= 6 and len(DUMP_TEXTS) >= 8
    assert all(Path(CORPUS / k).is_dir() for k in ("lsblk-json", "sfdisk"))
