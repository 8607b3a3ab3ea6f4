"""The RFC-9 ZIP writer produces archives that Python's zipfile reads, with the bytes asked for."""

from __future__ import annotations

import json
import os
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from viewer.container.ozx_writer import ZipEntry, pack_directory, rfc9_comment, write_zip

EOCD = struct.Struct("<IHHHHIIH")
ZIP64_EOCD = struct.Struct("<IQHHIIQQQQ")
ZIP64_LOCATOR = struct.Struct("<IIQI")


def _end_records(
    path: Path, shift: int = 0
) -> tuple[tuple[int, ...], tuple[int, ...] | None, tuple[int, ...] | None, bytes]:
    """(classic EOCD, ZIP64 EOCD or None, ZIP64 locator or None, comment) read from the tail.

    `shift` is added to the locator's offset (bytes prepended without fixing offsets)."""
    data = path.read_bytes()
    at = data.rindex(b"PK\x05\x06")
    eocd = EOCD.unpack_from(data, at)
    comment = data[at + EOCD.size : at + EOCD.size + eocd[-1]]
    if data[at - ZIP64_LOCATOR.size : at - ZIP64_LOCATOR.size + 4] != b"PK\x06\x07":
        return eocd, None, None, comment
    locator = ZIP64_LOCATOR.unpack_from(data, at - ZIP64_LOCATOR.size)
    record = ZIP64_EOCD.unpack_from(data, locator[2] + shift)
    assert record[0] == 0x06064B50
    return eocd, record, locator, comment


def _sample_entries() -> list[ZipEntry]:
    return [
        ZipEntry("zarr.json", b'{"zarr_format":3}'),
        ZipEntry("0/zarr.json", b"{}"),
        ZipEntry("0/c/0/0", bytes(range(256)) * 10),
        ZipEntry("empty", None),
    ]


def test_plain_archive_reads_back(tmp_path: Path) -> None:
    out = tmp_path / "a.ozx"
    entries = _sample_entries()
    write_zip(out, entries, comment=rfc9_comment())
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        assert zf.namelist() == [e.name for e in entries]
        for entry in entries:
            assert zf.read(entry.name) == (entry.data or b"")
        assert json.loads(zf.comment) == rfc9_comment()
        for info in zf.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
    assert out.read_bytes()[:4] == b"PK\x03\x04"


def test_rfc9_comment_shape() -> None:
    assert rfc9_comment("0.6", json_first=False) == {
        "ome": {"version": "0.6", "zipFile": {"centralDirectory": {"jsonFirst": False}}}
    }


def test_comment_bytes_written_verbatim(tmp_path: Path) -> None:
    out = tmp_path / "a.ozx"
    write_zip(out, _sample_entries(), comment=b'{"ome":{"version":"0.5"}}\x00')
    with zipfile.ZipFile(out) as zf:
        assert zf.comment == b'{"ome":{"version":"0.5"}}\x00'


def test_zip64_end_records_present_on_small_archive(tmp_path: Path) -> None:
    out = tmp_path / "a.ozx"
    write_zip(out, _sample_entries(), comment=rfc9_comment())
    eocd, record, locator, comment = _end_records(out)
    assert record is not None and locator is not None
    sig, rest, made_by, needed, disk, cd_disk, on_disk, total, cd_size, cd_start = record
    assert sig == 0x06064B50 and rest == ZIP64_EOCD.size - 12
    assert needed == 45 and made_by & 0xFF == 45
    assert (disk, cd_disk, on_disk, total) == (0, 0, 4, 4)
    # The CD ends exactly where the ZIP64 end record starts.
    assert cd_start + cd_size == locator[2]
    assert out.read_bytes()[cd_start : cd_start + 4] == b"PK\x01\x02"
    assert locator[1] == 0 and locator[3] == 1
    # The classic record is not saturated and agrees with the ZIP64 one.
    assert eocd[1:7] == (0, 0, 4, 4, cd_size, cd_start)
    assert json.loads(comment) == rfc9_comment()


def test_zip64_end_records_can_be_left_out(tmp_path: Path) -> None:
    out = tmp_path / "a.ozx"
    write_zip(out, _sample_entries(), zip64_end=False)
    _, record, locator, comment = _end_records(out)
    assert record is None and locator is None and comment == b""
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None


def test_70000_entries_force_zip64_end(tmp_path: Path) -> None:
    out = tmp_path / "many.ozx"
    count = 70_000
    entries = [ZipEntry(f"0/c/{i // 1000}/{i % 1000}", i.to_bytes(4, "little")) for i in range(count)]
    write_zip(out, entries, comment=rfc9_comment(), zip64_end=False)
    eocd, record, _, _ = _end_records(out)
    assert record is not None and record[7] == count
    assert eocd[3] == eocd[4] == 0xFFFF
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        assert len(names) == count and names[-1] == "0/c/69/999"
        assert zf.read("0/c/12/345") == (12_345).to_bytes(4, "little")


def test_deflate_flags_and_extras(tmp_path: Path) -> None:
    out = tmp_path / "a.zip"
    ntfs = struct.pack("<HH", 0x000A, 4) + b"\0\0\0\0"
    data = b"abc" * 1000
    write_zip(
        out,
        [
            ZipEntry("deflated", data, method=8),
            ZipEntry("flagged", b"x", flags=1),
            ZipEntry("extra", b"y", cd_extra=ntfs, local_extra=ntfs),
            ZipEntry("forced", b"z", zip64_local=True),
            ZipEntry("naïve", b"u"),
        ],
    )
    with zipfile.ZipFile(out) as zf:
        info = {i.filename: i for i in zf.infolist()}
        assert info["deflated"].compress_type == zipfile.ZIP_DEFLATED
        assert info["deflated"].compress_size < len(data)
        assert zf.read("deflated") == data
        assert info["flagged"].flag_bits & 1
        assert info["extra"].extra == ntfs
        assert zf.read("extra") == b"y"
        assert info["forced"].extra == b""  # ZIP64 extra only in the local header
        assert zf.read("forced") == b"z"
        assert info["naïve"].flag_bits & 0x800
        assert zf.read("naïve") == b"u"
        raw = out.read_bytes()
        local = info["forced"].header_offset
        assert raw[local + 4 : local + 6] == struct.pack("<H", 45)
        assert raw[local + 18 : local + 26] == b"\xff" * 8
        name_len, extra_len = struct.unpack_from("<HH", raw, local + 26)
        assert extra_len == 20
        assert struct.unpack_from("<HHQQ", raw, local + 30 + name_len) == (1, 16, 1, 1)
        local = info["extra"].header_offset
        assert raw[local + 30 + 5 : local + 30 + 5 + len(ntfs)] == ntfs


def test_deflated_file_entry(tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(1000) + b"\0" * 3_000_000)
    out = tmp_path / "a.zip"
    write_zip(out, [ZipEntry("big", src, method=8)])
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        assert zf.getinfo("big").compress_type == zipfile.ZIP_DEFLATED
        assert zf.read("big") == src.read_bytes()


@pytest.mark.parametrize("fix", [False, True])
def test_prefix(tmp_path: Path, fix: bool) -> None:
    out = tmp_path / "stub.zip"
    stub = b"#!/bin/sh\nexit 0\n" + b"\0" * 100
    write_zip(out, _sample_entries(), prefix=stub, fix_prefix_offsets=fix, comment=rfc9_comment())
    raw = out.read_bytes()
    assert raw.startswith(stub) and raw[len(stub) : len(stub) + 4] == b"PK\x03\x04"
    eocd, record, _, _ = _end_records(out, shift=0 if fix else len(stub))
    stored_cd_start = raw.index(b"PK\x01\x02") - (0 if fix else len(stub))
    assert record is not None and record[9] == eocd[6] == stored_cd_start
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        assert zf.read("0/c/0/0") == bytes(range(256)) * 10
        # zipfile applies the prefix shift itself when offsets were not fixed.
        assert zf.infolist()[0].header_offset == len(stub)


def test_cd_order_and_disk_fields(tmp_path: Path) -> None:
    out = tmp_path / "a.zip"
    entries = _sample_entries()
    entries[2].disk_start = 3
    write_zip(out, entries, cd_order=[3, 2, 1, 0])
    with zipfile.ZipFile(out) as zf:
        assert zf.namelist() == [e.name for e in reversed(entries)]
        assert zf.read("0/c/0/0") == entries[2].data
        assert [i.volume for i in zf.infolist()] == [0, 3, 0, 0]


def test_eocd_disk_marks_multi_disk(tmp_path: Path) -> None:
    out = tmp_path / "a.zip"
    write_zip(out, _sample_entries(), eocd_disk=2)
    eocd, record, locator, _ = _end_records(out)
    assert eocd[1:3] == (2, 2)
    assert record[4:6] == (2, 2)
    assert locator[1] == 2 and locator[3] == 3
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(out)


def test_path_entries_are_streamed(tmp_path: Path) -> None:
    src = tmp_path / "shard"
    payload = os.urandom(3 * (1 << 20) + 12345)  # spans several write blocks
    src.write_bytes(payload)
    out = tmp_path / "a.ozx"
    write_zip(out, [ZipEntry("zarr.json", b"{}"), ZipEntry("0/c/0", src), ZipEntry("tail", b"t")])
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        info = zf.getinfo("0/c/0")
        assert info.file_size == info.compress_size == len(payload)
        assert info.CRC == zlib.crc32(payload)
        assert zf.read("0/c/0") == payload
        assert zf.read("tail") == b"t"


def _make_tree(root: Path) -> None:
    files = {
        "zarr.json": json.dumps({"zarr_format": 3, "node_type": "group", "attributes": {"ome": {"version": "0.5"}}}),
        "0/zarr.json": "{}",
        "0/c/0/0/0": "chunk",
        "1/zarr.json": "{}",
        "1/c/0/0/0": "chunk1",
        "labels/zarr.json": "{}",
        "labels/nuclei/zarr.json": "{}",
        "labels/nuclei/0/zarr.json": "{}",
        "labels/nuclei/0/c/0/0/0": "lab",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_pack_directory_orders_zarr_json_first(tmp_path: Path) -> None:
    src = tmp_path / "img.zarr"
    _make_tree(src)
    out = tmp_path / "img.ozx"
    pack_directory(src, out)
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        assert zf.namelist() == [
            "zarr.json",
            "0/zarr.json",
            "1/zarr.json",
            "labels/zarr.json",
            "labels/nuclei/zarr.json",
            "labels/nuclei/0/zarr.json",
            "0/c/0/0/0",
            "1/c/0/0/0",
            "labels/nuclei/0/c/0/0/0",
        ]
        assert zf.read("labels/nuclei/0/c/0/0/0") == b"lab"
        assert json.loads(zf.comment) == rfc9_comment("0.5", json_first=True)
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
    assert _end_records(out)[1] is not None


def test_pack_directory_version_and_json_first_false(tmp_path: Path) -> None:
    src = tmp_path / "img.zarr"
    _make_tree(src)
    out = tmp_path / "img.ozx"
    pack_directory(src, out, version="0.6", json_first=False)
    with zipfile.ZipFile(out) as zf:
        assert json.loads(zf.comment) == rfc9_comment("0.6", json_first=False)
        assert zf.namelist()[0] == "zarr.json"


def test_pack_directory_needs_root_metadata(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a").write_text("a")
    with pytest.raises(ValueError):
        pack_directory(tmp_path / "x", tmp_path / "x.ozx")
