"""Access to ../shared/corpus: real published outputs with the facts a parser must extract.

The corpus lives beside the project (never copied into it). On a clone without it the
corpus tests skip, saying why.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"


def samples(kind: str) -> list[Any]:
    """pytest params (text path, expected dict) for every sample of one corpus kind."""
    folder = CORPUS / kind
    if not folder.is_dir():
        return [
            pytest.param(
                None,
                None,
                marks=pytest.mark.skip(
                    reason=f"corpus not present at {folder} (clone without ../shared)"
                ),
                id=f"{kind}-missing",
            )
        ]
    out = []
    for txt in sorted(folder.glob("*.txt")):
        expected = json.loads(txt.with_suffix(".expected.json").read_text())
        out.append(pytest.param(txt, expected, id=txt.stem))
    return out
