"""sfdisk -d / --json parsing and rendering, against util-linux's and jc's published outputs."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from backend.parse.errors import ParseError
from backend.parse.sfdisk import (
    PartitionEntry,
    PartitionTable,
    SfdiskParseError,
    parse_sfdisk_dump,
    parse_sfdisk_json,
    render_sfdisk_dump,
)
from tests.corpus import CORPUS, samples

SAMPLES = samples("sfdisk")


def _is_json(text: str) -> bool:
    return text.lstrip().startswith("{")


def _tables(text: str) -> tuple[PartitionTable, ...]:
    return (parse_sfdisk_json(text),) if _is_json(text) else parse_sfdisk_dump(text)


# --- the corpus ---------------------------------------------------------------------------

_HEADER_ATTR = {
    "label": "label",
    "label-id": "label_id",
    "device": "device",
    "unit": "unit",
    "first-lba": "first_lba",
    "last-lba": "last_lba",
    "sector-size": "sector_size",
    "table-length": "table_length",
}
_INT_ATTRS = {"first_lba", "last_lba", "sector_size", "table_length"}


def _check_dump_partition(entry: PartitionEntry, fact: dict[str, Any]) -> None:
    """One partition fact (values as printed) against the parsed entry, key by key."""
    fact = dict(fact)
    assert entry.node == fact.pop("node")
    assert entry.start == int(fact.pop("start"))
    assert entry.size == int(fact.pop("size"))
    # "Id=" (pre-2.26) and "type=" are the same field.
    type_fact = fact.pop("Id", None) or fact.pop("type", None)
    assert entry.type == type_fact
    assert entry.uuid == fact.pop("uuid", None)
    printed_name = fact.pop("name", None)
    # The fact keeps the value as printed, quotes included; the parser returns the name.
    assert (f'"{entry.name}"' if entry.name is not None else None) == printed_name
    assert entry.attrs == (fact.pop("attrs", "").strip('"') or None)
    assert entry.bootable == ("bootable" in fact.pop("flags", []))
    assert entry.extra == ()
    assert fact == {}, f"facts this test does not check: {fact}"


def _check_dump_facts(tables: tuple[PartitionTable, ...], facts: dict[str, Any]) -> None:
    comments = facts["comments"]
    # Old dumps name each disk only in a "# partition table of DEV" comment: one per table.
    if comments:
        assert len(tables) == len(comments)
        for table, comment in zip(tables, comments, strict=True):
            assert comment == f"# partition table of {table.device}"
    else:
        assert len(tables) == 1
    for key, value in facts["header"].items():
        attr = _HEADER_ATTR[key]
        expected = int(value) if attr in _INT_ATTRS else value
        for table in tables:
            assert getattr(table, attr) == expected, key
    for table in tables:
        for key, attr in _HEADER_ATTR.items():
            if key not in facts["header"] and not (key == "device" and comments):
                assert getattr(table, attr) is None, f"{key} not in the text but parsed"
        assert table.extra == ()
    entries = [p for t in tables for p in t.partitions]
    assert len(entries) == len(facts["partitions"])
    for entry, fact in zip(entries, facts["partitions"], strict=True):
        _check_dump_partition(entry, fact)


def _check_json_facts(table: PartitionTable, facts: dict[str, Any]) -> None:
    facts = dict(facts)
    assert table.label == facts.pop("label")
    assert table.label_id == facts.pop("id")
    assert table.device == facts.pop("device")
    assert table.unit == facts.pop("unit")
    assert table.first_lba == facts.pop("firstlba", None)
    assert table.last_lba == facts.pop("lastlba", None)
    assert table.sector_size == facts.pop("sectorsize")
    parts = facts.pop("partitions")
    assert facts == {}, f"facts this test does not check: {facts}"
    assert len(table.partitions) == len(parts)
    for entry, fact in zip(table.partitions, parts, strict=True):
        fact = dict(fact)
        assert entry.node == fact.pop("node")
        assert entry.start == fact.pop("start")
        assert entry.size == fact.pop("size")
        assert entry.type == fact.pop("type")
        assert entry.uuid == fact.pop("uuid", None)
        assert entry.name == fact.pop("name", None)
        assert entry.attrs == fact.pop("attrs", None)
        assert entry.bootable == fact.pop("bootable", False)
        assert fact == {}, f"facts this test does not check: {fact}"


@pytest.mark.parametrize(("path", "expected"), SAMPLES)
def test_corpus_facts(path: Path, expected: dict[str, Any]) -> None:
    text = path.read_text()
    tables = _tables(text)
    if _is_json(text):
        _check_json_facts(tables[0], expected["facts"])
    else:
        _check_dump_facts(tables, expected["facts"])


@pytest.mark.parametrize(("path", "expected"), SAMPLES)
def test_corpus_source_expectation(path: Path, expected: dict[str, Any]) -> None:
    source = expected.get("source_expectation")
    if source is None:
        pytest.skip("the source states no expectation")
    text = path.read_text()
    tables = _tables(text)
    if "jc_parser_output" in source:
        jc = source["jc_parser_output"]
        assert len(tables) == len(jc)
        for table, disk in zip(tables, jc, strict=True):
            assert table.device == disk["disk"]
            assert table.unit == disk["units"]
            got = [
                {
                    "device": p.node,
                    "start": p.start,
                    "size": p.size,
                    "id": p.type,
                    "boot": p.bootable,
                }
                for p in table.partitions
            ]
            assert got == disk["partitions"]
    else:
        # util-linux's expected file *is* this sample (sfdisk's own output): for a dump,
        # rendering what we parsed must give back the very bytes sfdisk printed.
        assert source["from"].startswith("tests/expected/sfdisk/")
        if not _is_json(text):
            assert render_sfdisk_dump(tables[0]) == text


@pytest.mark.parametrize(("path", "expected"), SAMPLES)
def test_corpus_round_trip(path: Path, expected: dict[str, Any]) -> None:
    for table in _tables(path.read_text()):
        assert parse_sfdisk_dump(render_sfdisk_dump(table)) == (table,)
        fresh = parse_sfdisk_dump(render_sfdisk_dump(table, keep_ids=False))
        dropped = dataclasses.replace(
            table,
            label_id=None,
            device=None,
            partitions=tuple(dataclasses.replace(p, uuid=None) for p in table.partitions),
        )
        assert fresh == (dropped,)


@pytest.mark.parametrize("stem", ["util-linux-gpt-write", "util-linux-dos-write"])
def test_json_and_dump_of_one_table_agree(stem: str) -> None:
    folder = CORPUS / "sfdisk"
    if not folder.is_dir():
        pytest.skip("corpus not present")
    dump = parse_sfdisk_dump((folder / f"{stem}-dump.txt").read_text())
    assert parse_sfdisk_json((folder / f"{stem}-json.txt").read_text()) == dump[0]


# --- util-linux 2.38 as the lab's Debian 12 prints it ---------------------------------------

# `sfdisk -d /dev/sda` of the production layout (LAB.md): BIOS boot, ESP, Linux RAID.
DUMP_238 = """\
label: gpt
label-id: 5E7D1F4A-2C1B-4B7E-9C3D-0A1B2C3D4E5F
device: /dev/sda
unit: sectors
first-lba: 34
last-lba: 1953525134
sector-size: 512

/dev/sda1 : start=        2048, size=        2048, type=21686148-6449-6E6F-744E-656564454649, uuid=0B4F3C1E-6A2D-4E8F-9B1C-2D3E4F5A6B7C, name="BIOS boot", attrs="LegacyBIOSBootable"
/dev/sda2 : start=        4096, size=      131072, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=1C5A4D2F-7B3E-4F90-AC2D-3E4F5A6B7C8D, name="EFI \\x22system\\x22 \\xc3\\xa9"
/dev/sda3 : start=      135168, size=  1953389967, type=A19D880F-05FC-4D3B-A006-743F0F84911E, uuid=2D6B5E3A-8C4F-4A01-BD3E-4F5A6B7C8D9E
"""  # noqa: E501


def test_dump_238_gpt() -> None:
    (table,) = parse_sfdisk_dump(DUMP_238)
    assert (table.label, table.device, table.unit) == ("gpt", "/dev/sda", "sectors")
    assert (table.first_lba, table.last_lba, table.sector_size) == (34, 1953525134, 512)
    bios, esp, raid = table.partitions
    assert bios.name == "BIOS boot" and bios.attrs == "LegacyBIOSBootable"
    assert esp.name == 'EFI "system" \u00e9'  # sfdisk escapes quotes and non-ASCII as \xNN
    assert raid.type == "A19D880F-05FC-4D3B-A006-743F0F84911E" and raid.size == 1953389967
    assert render_sfdisk_dump(table) == DUMP_238


def test_keep_ids_false_drops_identities_only() -> None:
    (table,) = parse_sfdisk_dump(DUMP_238)
    script = render_sfdisk_dump(table, keep_ids=False)
    assert "label-id" not in script and "device:" not in script and "uuid=" not in script
    assert "first-lba: 34" in script and "type=A19D880F-05FC-4D3B-A006-743F0F84911E" in script
    assert 'attrs="LegacyBIOSBootable"' in script


def test_extra_headers_and_fields_survive() -> None:
    text = "label: gpt\ntable-length: 256\ngrain: 4194304\n\n"
    text += "1 : start=2048, size=8, type=L, future=x\n"
    (table,) = parse_sfdisk_dump(text)
    assert table.table_length == 256 and table.extra == (("grain", "4194304"),)
    assert table.partitions[0].extra == (("future", "x"),)
    assert parse_sfdisk_dump(render_sfdisk_dump(table)) == (table,)


def test_concatenated_new_format_dumps_split() -> None:
    second = DUMP_238.replace("/dev/sda", "/dev/sdb")
    tables = parse_sfdisk_dump(DUMP_238 + second)
    assert [t.device for t in tables] == ["/dev/sda", "/dev/sdb"]
    assert tables[1].partitions[0].node == "/dev/sdb1"


def test_type_names_are_quoted_when_needed() -> None:
    # Input scripts may name a type ("Linux swap"); it must come back as one token.
    entry = PartitionEntry("/dev/vda2", 4096, 8, type="Linux swap", attrs="GUID:63")
    script = render_sfdisk_dump(PartitionTable(label="gpt", partitions=(entry,)))
    assert 'type="Linux swap", attrs="GUID:63"' in script
    assert parse_sfdisk_dump(script)[0].partitions == (entry,)


def test_repeated_label_header_starts_a_new_table() -> None:
    # Two partitionless GPT dumps back to back; an unknown header may repeat within one.
    tables = parse_sfdisk_dump("label: gpt\ngrain: 1\ngrain: 2\nlabel: gpt\ndevice: /dev/vdc\n")
    assert [(t.extra, t.device) for t in tables] == [((("grain", "1"), ("grain", "2")), None),
                                                     ((), "/dev/vdc")]  # fmt: skip


def test_padding_crlf_and_case() -> None:
    text = "unit: sectors\r\n\r\n/dev/sdc1 : START=  63 ,SIZE= 10 ; id= 83 ; Bootable\r\n"
    (table,) = parse_sfdisk_dump(text)
    assert table.partitions[0] == PartitionEntry("/dev/sdc1", 63, 10, type="83", bootable=True)


def test_empty_gpt_has_headers_only() -> None:
    text = "label: gpt\nlabel-id: X\ndevice: /dev/vdc\nunit: sectors\n"
    (table,) = parse_sfdisk_dump(text)
    assert table.partitions == ()
    assert render_sfdisk_dump(table) == text


def test_json_with_attrs_and_string_headers() -> None:
    text = (
        '{"partitiontable": {"label": "gpt", "id": "A", "device": "/dev/vda", "unit": "sectors",'
        ' "firstlba": 34, "lastlba": 99, "table-length": "128", "grain": "1048576",'
        ' "sectorsize": 512, "partitions": [{"node": "/dev/vda1", "start": 34, "size": 2,'
        ' "type": "21686148-6449-6E6F-744E-656564454649", "attrs": "LegacyBIOSBootable"}]}}'
    )
    table = parse_sfdisk_json(text)
    assert table.table_length == 128 and table.extra == (("grain", "1048576"),)
    assert table.partitions[0].attrs == "LegacyBIOSBootable"


@pytest.mark.parametrize(
    ("text", "line_no", "message"),
    [
        ("label: gpt\n\n/dev/sda1 : start=  2048, size=  12x\n", 3, "size"),
        ('unit: sectors\n/dev/sda1 : start=1, size=2, name="open\n', 2, "unterminated"),
        ("unit: sectors\n/dev/sda1 : start=1, size=2, active\n", 2, "unknown flag"),
        ("unit: sectors\n/dev/sda1 : start=1\n", 2, "without size"),
        ("label: gpt\n2048,4096,L\n", 2, "neither"),
        ("first-lba: lots\n", 1, "first-lba"),
        ("bad header!: x\n", 1, "header"),
        ("unit: sectors\n/dev/sda1 : start=1 2, size=3\n", 2, "expected ','"),
        ("unit: sectors\n/dev/sda1 : start=" + "9" * 5000 + ", size=3\n", 2, "start"),
    ],
)
def test_bad_dumps_name_the_line(text: str, line_no: int, message: str) -> None:
    with pytest.raises(SfdiskParseError, match=re.escape(message)) as info:
        parse_sfdisk_dump(text)
    assert info.value.line_no == line_no
    assert info.value.line == text.splitlines()[line_no - 1]


@pytest.mark.parametrize("text", ["", "\n\n", "# just a comment\n"])
def test_no_table_is_an_error(text: str) -> None:
    with pytest.raises(SfdiskParseError, match="no partition table"):
        parse_sfdisk_dump(text)


@pytest.mark.parametrize(
    "text",
    [
        "{",
        "[]",
        '{"partitiontable": []}',
        '{"partitiontable": {"partitions": {}}}',
        '{"partitiontable": {"partitions": [{"node": "1", "start": -1, "size": 1}]}}',
        '{"partitiontable": {"partitions": [{"node": "1", "start": 1}]}}',
        '{"partitiontable": {"partitions": [{"start": 1, "size": 1, "bootable": "yes"}]}}',
        '{"partitiontable": {"label": 7}}',
        '{"partitiontable": {"firstlba": 1.5}}',
        '{"partitiontable": {"weird": [1]}}',
    ],
)
def test_bad_json_raises_parse_error(text: str) -> None:
    with pytest.raises(ParseError):
        parse_sfdisk_json(text)


def test_json_error_has_line_number() -> None:
    with pytest.raises(SfdiskParseError) as info:
        parse_sfdisk_json('{\n  "partitiontable": {\n    "label": gpt\n  }\n}\n')
    assert info.value.line_no == 3


@pytest.mark.parametrize(
    "change",
    [
        {"uuid": 'a"b'},
        {"type": 'a"b'},
        {"name": None, "attrs": "x\ny"},
        {"node": "/dev/sda:1"},
        {"attrs": 'x"y'},
        {"extra": (("future", 'x"y'),)},
        {"extra": (("start", "1"),)},
    ],
)
def test_render_refuses_what_a_script_cannot_carry(change: dict[str, Any]) -> None:
    entry = dataclasses.replace(PartitionEntry("/dev/sda1", 2048, 8), **change)
    with pytest.raises(ValueError, match="cannot be written"):
        render_sfdisk_dump(PartitionTable(label="gpt", partitions=(entry,)))
