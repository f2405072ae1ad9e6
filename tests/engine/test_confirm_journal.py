"""Disk identity confirmation (serial tail, --confirm-disk) and the audit journal."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from backend.cmd_run import Printer, StdinConfirm
from backend.confirm import (
    covering_id,
    expected_tail,
    identity_card,
    matches_confirm_id,
    prompt_text,
    typed_matches,
)
from backend.events import OutputLines, StepFailed, StepStarted
from backend.journal import Journal, JournalBusyError, event_record, read_journal
from backend.model import Disk, DiskIdentity, Inventory, MdArray, MdMember, Partition
from backend.plan.step import Destroys

SATA = Disk(
    "sdc",
    "/dev/sdc",
    500107862016,
    model="Samsung SSD 860",
    serial="S3Z1NB0K123456X",
    wwn="0x5002538e40a1b2c3",
    by_id=(
        "/dev/disk/by-id/wwn-0x5002538e40a1b2c3",
        "/dev/disk/by-id/ata-Samsung_SSD_860_S3Z1NB0K123456X",
    ),
    partitions=(
        Partition("sdc1", "/dev/sdc1", 2**20, number=1),
        Partition("sdc3", "/dev/sdc3", 2**30, number=3, fstype="linux_raid_member"),
    ),
)
VIRTIO = Disk(
    "vdb",
    "/dev/vdb",
    10 * 2**30,
    by_path=("/dev/disk/by-path/pci-0000:00:05.0",),
)
VIRTIO_ID = Disk("vdc", "/dev/vdc", 10 * 2**30, by_id=("/dev/disk/by-id/virtio-data-disk-07",))
DESTROYS = Destroys(DiskIdentity("wwn", "0x5002538e40a1b2c3"), "/dev/sdc", "the partition table")


def test_tail_is_the_serial_end_or_the_by_id_name_end() -> None:
    assert expected_tail(SATA) == "23456X"
    assert "last 6 characters of the serial number of /dev/sdc" in prompt_text(SATA)
    assert expected_tail(VIRTIO_ID) == "isk-07"
    assert "by-id name" in prompt_text(VIRTIO_ID)
    assert expected_tail(VIRTIO) == "0:05.0"


@pytest.mark.parametrize("typed", ["23456X", " 23456x\n"])
def test_typed_tail_matches(typed: str) -> None:
    assert typed_matches(SATA, typed)


@pytest.mark.parametrize("typed", ["", "3456X", "123456", "sdc", "S3Z1NB0K123456X"])
def test_wrong_tail_does_not_match(typed: str) -> None:
    assert not typed_matches(SATA, typed)


@pytest.mark.parametrize(
    "given",
    [
        "S3Z1NB0K123456X",
        "s3z1nb0k123456x",
        "0x5002538e40a1b2c3",
        "5002538E40A1B2C3",
        "wwn-0x5002538e40a1b2c3",
        "ata-Samsung_SSD_860_S3Z1NB0K123456X",
        "/dev/disk/by-id/ata-Samsung_SSD_860_S3Z1NB0K123456X",
    ],
)
def test_confirm_disk_by_serial_wwn_or_by_id(given: str) -> None:
    assert matches_confirm_id(SATA, given)


@pytest.mark.parametrize(
    "given", ["sdc", "/dev/sdc", "23456X", "", "/tmp/ata-Samsung_SSD_860_S3Z1NB0K123456X"]
)
def test_confirm_disk_refuses_kernel_names_and_tails(given: str) -> None:
    assert not matches_confirm_id(SATA, given)


def test_covering_id_and_virtio() -> None:
    assert covering_id(SATA, ["S0ME", "wwn-0x5002538e40a1b2c3"]) == "wwn-0x5002538e40a1b2c3"
    assert covering_id(VIRTIO_ID, ["virtio-data-disk-07"]) == "virtio-data-disk-07"
    assert covering_id(VIRTIO, ["vdb"]) is None


def test_identity_card_shows_identity_and_contents() -> None:
    inv = Inventory(
        disks=(SATA,),
        arrays=(MdArray("md0", members=(MdMember("sdc3", slot=2, state=("active", "sync")),)),),
    )
    text = "\n".join(identity_card(SATA, DESTROYS, inv))
    for want in (
        "Samsung SSD 860",
        "S3Z1NB0K123456X",
        "0x5002538e40a1b2c3",
        "500.1 GB",
        "ata-Samsung_SSD_860_S3Z1NB0K123456X",
        "sdc3",
        "member of md0",
        "empty",
        "will destroy: the partition table",
    ):
        assert want in text


def test_stdin_confirmation() -> None:
    out = io.StringIO()
    printer = Printer(out)
    assert StdinConfirm(printer, [], io.StringIO("23456x\n"))(DESTROYS, SATA)
    assert not StdinConfirm(printer, [], io.StringIO("nope\n"))(DESTROYS, SATA)
    assert not StdinConfirm(printer, [], io.StringIO(""))(DESTROYS, SATA)
    assert StdinConfirm(printer, ["S3Z1NB0K123456X"], io.StringIO(""))(DESTROYS, SATA)
    text = out.getvalue()
    assert "does not match" in text and "end of input" in text
    assert "confirmed by --confirm-disk S3Z1NB0K123456X" in text


def test_journal_appends_private_lines_and_locks(tmp_path: Path) -> None:
    path = tmp_path / "state" / "journal.jsonl"
    with Journal(path) as j:
        j.event(StepStarted("1.1", "t", 5.0))
        j.append("confirmation", disk="/dev/sdc", confirmed=True)
        with pytest.raises(JournalBusyError):
            Journal(path).open()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    with Journal(path) as j:  # the lock is released on close; appends go on
        j.event(OutputLines("1.1", ("a", "b")))
    with path.open("a") as f:
        f.write('{"torn": ')  # a crash mid-write
    recs = read_journal(path)
    assert [r["kind"] for r in recs] == ["StepStarted", "confirmation", "OutputLines"]
    assert recs[2]["lines"] == ["a", "b"] and recs[0]["step_id"] == "1.1"


def test_event_record_has_the_event_name() -> None:
    rec = event_record(StepFailed("x", ("a",), 1, ("t",), "m", "s"))
    assert rec["event"] == "StepFailed" and rec["argv"] == ("a",)
