"""/etc/hostid is 4 raw bytes: reading it through the local host must not lose any of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.host_local import LocalHost
from backend.plan.facts import normalise_hostid


@pytest.mark.parametrize(
    "raw",
    [
        bytes.fromhex("4a6543fd"),  # a high byte (the lab saw fd43654a read as 3f43654a)
        bytes.fromhex("78563412"),  # plain ASCII bytes
        bytes.fromhex("c3a94142"),  # happens to be valid UTF-8 ("é" + "AB")
        bytes.fromhex("ffffffff"),
        bytes.fromhex("00000000"),
    ],
)
def test_binary_hostid_survives_the_local_host(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "hostid"
    path.write_bytes(raw)
    text = LocalHost().read_file(str(path))
    assert normalise_hostid(text) == f"{int.from_bytes(raw, 'little'):08x}"


def test_text_hostid_is_kept() -> None:
    assert normalise_hostid("4f2a9c7e\n") == "4f2a9c7e"
    assert normalise_hostid("not a hostid at all") is None
