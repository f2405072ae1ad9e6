"""Mutated and truncated real outputs: the zpool parsers return pools or raise ZpoolParseError.

Any other exception (IndexError, KeyError, ValueError, TypeError, a JSON error...) is a bug:
the inventory would crash on an odd machine instead of saying which line it could not read.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.parse.zpool_import import parse_zpool_import
from backend.parse.zpool_json import parse_zpool_status_json
from backend.parse.zpool_status import ZpoolParseError, parse_config_rows, parse_zpool_status
from tests.corpus import CORPUS
from tests.parse.test_zpool_import import DESTROYED, SAME_NAME, SOLARIS, UNAVAIL
from tests.parse.test_zpool_json import RUNNING, document
from tests.parse.test_zpool_status import LAB_RESILVER


def corpus_texts(kind: str) -> list[str]:
    """The corpus samples of one kind (none when the corpus is not beside the repo)."""
    folder = CORPUS / kind
    return [p.read_text() for p in sorted(folder.glob("*.txt"))] if folder.is_dir() else []


STATUS_TEXTS = [*corpus_texts("zpool-status"), LAB_RESILVER]
JSON_TEXTS = [*corpus_texts("zpool-status-json"), document(RUNNING), document(None)]
IMPORT_TEXTS = [SAME_NAME, DESTROYED, SOLARIS, UNAVAIL]

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Characters that matter to these formats, plus anything at all now and then.
ALPHABET = st.one_of(
    st.sampled_from([*" \t\n\r:,.%()/-_[]{}\"'0123456789KMGTB", "  ", "\n\n", "\t  "]),
    st.sampled_from(["pool:", "state:", "config:", "errors:", "scan:", "id:", "NAME", "ONLINE"]),
    st.sampled_from(["logs", "spares", "cache", "AVAIL", " to go", "% done", " issued at "]),
    st.sampled_from(["9" * 30, "9" * 5000, "1.2K", "3M", " days ", "\x1b[1m", "\u0663"]),
    st.text(min_size=1, max_size=3),
)


@st.composite
def mutated(draw: st.DrawFn, texts: list[str]) -> str:
    """One sample with random edits: characters, whole lines, then maybe a truncation."""
    text = draw(st.sampled_from(texts))
    lines = text.split("\n")
    for _ in range(draw(st.integers(0, 3))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["drop", "dup", "swap", "indent", "dedent"]))
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "indent":
            lines[i] = draw(st.sampled_from(["\t", " ", "  ", "        "])) + lines[i]
        else:
            lines[i] = lines[i].lstrip()
    text = "\n".join(lines)
    for _ in range(draw(st.integers(0, 6))):
        pos = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(ALPHABET)
        if op == "insert":
            text = text[:pos] + piece + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 8)) :]
        else:
            text = text[:pos] + piece + text[pos + len(piece) :]
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]
    return text


def only_parse_errors(parse: Callable[[str], object], text: str) -> None:
    with contextlib.suppress(ZpoolParseError):
        parse(text)


@FUZZ
@given(mutated(STATUS_TEXTS))
def test_status_text_mutations(text: str) -> None:
    only_parse_errors(parse_zpool_status, text)
    only_parse_errors(parse_config_rows, text)


@FUZZ
@given(mutated(IMPORT_TEXTS))
def test_import_text_mutations(text: str) -> None:
    only_parse_errors(parse_zpool_import, text)


@FUZZ
@given(mutated(JSON_TEXTS))
def test_status_json_text_mutations(text: str) -> None:
    only_parse_errors(parse_zpool_status_json, text)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["0", "1.2K", "398M", "-", "HEALTHY", "SCANNING", "RESILVER", "FINISHED"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a JSON document."""
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out.extend(paths(value, (*prefix, index)))
    return out


@FUZZ
@given(st.data())
def test_status_json_structure_mutations(data: st.DataObject) -> None:
    doc = json.loads(data.draw(st.sampled_from(JSON_TEXTS)))
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(st.sampled_from(paths(doc)))
        value = data.draw(JSON_VALUES)
        if not where:
            doc = value
            continue
        parent = doc
        for step in where[:-1]:
            parent = parent[step]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[where[-1]]
        else:
            parent[where[-1]] = value
    only_parse_errors(parse_zpool_status_json, json.dumps(doc))
