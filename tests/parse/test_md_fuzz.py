"""Mutated and truncated real md outputs never make a parser raise anything but its ParseError.

The mutations are the damage real captures suffer or that a careless reader trips on: lines
lost or repeated, characters changed, numbers made absurd (including digit runs longer than
Python's int() accepts), and text cut off anywhere.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.parse.mdadm import (
    MdadmParseError,
    detail_to_array,
    export_to_array,
    parse_detail,
    parse_detail_export,
)
from backend.parse.mdstat import MdstatParseError, parse_mdstat
from tests.corpus import CORPUS

FUZZ = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


def _texts(kind: str, export: bool | None = None) -> list[str]:
    folder = CORPUS / kind
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(Path(folder).glob("*.txt")):
        text = path.read_text()
        if export is None or text.startswith("MD_") == export:
            out.append(text)
    return out


MDSTAT = _texts("mdstat")
DETAIL = _texts("mdadm-detail", export=False)
EXPORT = _texts("mdadm-detail", export=True)


def _run_mdstat(text: str) -> None:
    with contextlib.suppress(MdstatParseError):
        parse_mdstat(text)


def _run_detail(text: str) -> None:
    with contextlib.suppress(MdadmParseError):
        detail = parse_detail(text)
        detail_to_array(detail, name="md9")
        detail_to_array(detail)  # raises when the "/dev/mdX:" line is gone


def _run_export(text: str) -> None:
    with contextlib.suppress(MdadmParseError):
        export_to_array(parse_detail_export(text), "md9")


CASES: list[tuple[str, list[str], Callable[[str], None]]] = [
    ("mdstat", MDSTAT, _run_mdstat),
    ("detail", DETAIL, _run_detail),
    ("export", EXPORT, _run_export),
]
_ALPHABET = "0123456789UF_S()[]=:/.%-, \tKkMBminsecpagesuperblocks\n\xa0"
_NUMBER = re.compile(r"\d+")


@st.composite
def mutated(draw: st.DrawFn, texts: list[str]) -> str:
    """A corpus text with a few random line, character and number mutations."""
    text = draw(st.sampled_from(texts))
    for _ in range(draw(st.integers(1, 4))):
        lines = text.splitlines(keepends=True)
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "char", "number", "cut"]))
        if op in ("delete", "duplicate", "swap") and lines:
            i = draw(st.integers(0, len(lines) - 1))
            if op == "delete":
                del lines[i]
            elif op == "duplicate":
                lines.insert(i, lines[i])
            else:
                j = draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
        elif op == "char" and text:
            i = draw(st.integers(0, len(text) - 1))
            text = text[:i] + draw(st.sampled_from(_ALPHABET)) + text[i + 1 :]
        elif op == "number":
            numbers = list(_NUMBER.finditer(text))
            if numbers:
                m = draw(st.sampled_from(numbers))
                new = draw(
                    st.one_of(
                        st.integers(0, 10**30).map(str),
                        st.just("9" * 5000),  # past int()'s 4300-digit limit
                        st.sampled_from(["", "0", "-1", "1.5", "1e400", "٣"]),
                    )
                )
                text = text[: m.start()] + new + text[m.end() :]
        elif op == "cut":
            text = text[: draw(st.integers(0, len(text)))]
    return text


@pytest.mark.parametrize(("kind", "texts", "run"), CASES, ids=[c[0] for c in CASES])
def test_mutated_samples_raise_only_parse_error(
    kind: str, texts: list[str], run: Callable[[str], None]
) -> None:
    """Random mutations of real samples: a result or the parser's own ParseError."""
    if not texts:
        pytest.skip(f"no {kind} corpus samples")

    @FUZZ
    @given(mutated(texts))
    def check(text: str) -> None:
        run(text)

    check()


@pytest.mark.parametrize(("kind", "texts", "run"), CASES, ids=[c[0] for c in CASES])
def test_truncated_samples_raise_only_parse_error(
    kind: str, texts: list[str], run: Callable[[str], None]
) -> None:
    """Every sample cut at every line end, and inside lines every few characters."""
    if not texts:
        pytest.skip(f"no {kind} corpus samples")
    for text in texts:
        cuts = {m.start() for m in re.finditer("\n", text)} | set(range(0, len(text), 5))
        for cut in sorted(cuts):
            run(text[:cut])


@pytest.mark.parametrize(("kind", "texts", "run"), CASES, ids=[c[0] for c in CASES])
def test_other_formats_raise_only_parse_error(
    kind: str, texts: list[str], run: Callable[[str], None]
) -> None:
    """Each parser fed the other md formats (a mixed-up capture file) fails cleanly."""
    for other_kind, other_texts, _ in CASES:
        if other_kind != kind:
            for text in other_texts:
                run(text)


@FUZZ
@given(st.text(alphabet=_ALPHABET, max_size=300))
def test_random_text_raises_only_parse_error(text: str) -> None:
    """Arbitrary short text made of md-ish characters."""
    for _, _, run in CASES:
        run(text)
