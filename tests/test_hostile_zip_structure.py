"""Hostile files, class 5: ZIP structure. Overlapping entries, local headers disagreeing with the
central directory, stored entries with two sizes, entries reaching past the data, ZIP64 locators
pointing outside the file and decoy end records in the comment: each is an error finding with a
rule id in `validate`, and the reader never trusts the inconsistent value."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from viewer.container import open_container
from viewer.container.ozx_writer import rfc9_comment, write_zip
from viewer.errors import OzxError

from .hostile_files import set_entry_sizes
from .hostile_probe import probe
from .zipfixtures import cd_offsets, eocd_offset, patch, tiny_entries, write_tiny


def _local_offset(raw: bytes, name: str) -> int:
    for pos in cd_offsets(raw):
        n = struct.unpack_from("<H", raw, pos + 28)[0]
        if raw[pos + 46 : pos + 46 + n].decode() == name:
            return struct.unpack_from("<I", raw, pos + 42)[0]
    raise KeyError(name)


def overlapping(path: Path) -> Path:
    """The chunk's central record appears twice: two entries share one local header and data."""
    write_zip(path, tiny_entries(), comment=rfc9_comment(), cd_order=[0, 1, 2, 2])
    return path


def local_name_differs(path: Path) -> Path:
    write_tiny(path)
    raw = path.read_bytes()
    at = _local_offset(raw, "0/c/0/0") + 30
    path.write_bytes(raw[:at] + b"0/c/0/X" + raw[at + 7 :])
    return path


def local_sizes_differ(path: Path) -> Path:
    return set_entry_sizes(write_tiny(path), "0/c/0/0", csize=8, usize=8, central=False)


def stored_sizes_differ(path: Path) -> Path:
    return set_entry_sizes(write_tiny(path), "0/c/0/0", usize=32)


def stored_claims_3GiB(path: Path) -> Path:
    return set_entry_sizes(write_tiny(path), "0/c/0/0", csize=3 << 30, usize=3 << 30)


def zip64_locator_outside(path: Path) -> Path:
    write_tiny(path, zip64_end=True)
    raw = path.read_bytes()
    locator = eocd_offset(raw) - 20
    assert raw[locator : locator + 4] == b"PK\x06\x07"
    path.write_bytes(patch(raw, locator + 8, "<Q", 1 << 40))
    return path


def decoy_end_record(path: Path) -> Path:
    """The archive comment ends with a second EOCD record (no entries) reaching the end of the file."""
    decoy = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 0, 0, 0, 0, 0)
    write_zip(path, tiny_entries(), comment=json.dumps(rfc9_comment()).encode() + decoy, zip64_end=False)
    return path


CASES = {
    "overlapping-entries": (overlapping, "zip-overlap"),
    "local-name-differs": (local_name_differs, "zip-local"),
    "local-sizes-differ": (local_sizes_differ, "zip-local"),
    "stored-sizes-differ": (stored_sizes_differ, "zip-sizes"),
    "stored-claims-3GiB": (stored_claims_3GiB, "zip-bounds"),
    "zip64-locator-outside": (zip64_locator_outside, "zip64-locator"),
    "decoy-end-record": (decoy_end_record, "zip-eocd"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_validate_reports_an_error_with_a_rule(tmp_path: Path, case: str) -> None:
    build, rule = CASES[case]
    outcome = probe("validate-json", build(tmp_path / f"{case}.ozx"))
    outcome.assert_bounded()
    report = json.loads(outcome.stdout)
    assert outcome.code == 2 and not report["conforming"]
    assert any(f["rule"] == rule and f["severity"] == "error" for f in report["findings"]), report["findings"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_reading_is_bounded_and_clean(tmp_path: Path, case: str) -> None:
    path = CASES[case][0](tmp_path / f"{case}.ozx")
    for action in ("info", "tiles", "prepare"):
        probe(action, path).assert_bounded()


@pytest.mark.parametrize("case", ["local-name-differs", "local-sizes-differ", "stored-sizes-differ", "stored-claims-3GiB"])
def test_the_inconsistent_chunk_is_never_read(tmp_path: Path, case: str) -> None:
    with open_container(CASES[case][0](tmp_path / f"{case}.ozx")) as zc:
        with pytest.raises(OzxError, match="corrupt|beyond|never|more than"):
            zc.read("0/c/0/0")


def test_decoy_end_record_is_not_used(tmp_path: Path) -> None:
    with open_container(decoy_end_record(tmp_path / "decoy.ozx")) as zc:
        assert zc.tail.entry_count == 3
        assert zc.read("0/c/0/0") == bytes(range(16))
