"""RFC-9 conformance findings: a conforming archive is clean; each crafted violation gives its rule."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from zarr.codecs import ZstdCodec

from viewer.container import open_container
from viewer.container.conformance import deep_findings
from viewer.container.ozx_writer import ZipEntry, rfc9_comment, write_zip

from .zipfixtures import array_json, group_json, ome_attrs, pack, tiny_entries, write_zarr_image

NTFS_EXTRA = struct.pack("<HH", 0x000A, 8) + bytes(8)
UT_EXTRA = struct.pack("<HHB", 0x5455, 5, 1) + bytes(4)
UX_EXTRA = struct.pack("<HHBBIBI", 0x7875, 11, 1, 4, 1000, 4, 1000)


def all_findings(path: Path):
    zc = open_container(path)
    zc.wait_index()
    found = list(zc.findings) + deep_findings(zc)
    zc.close()
    return found


def verdict(path: Path) -> set[tuple[str, str]]:
    """(rule, severity) of every error and warning."""
    return {(f.rule, f.severity) for f in all_findings(path) if f.severity in ("error", "warning")}


def build(tmp_path: Path, entries=None, name: str = "t.ozx", **kwargs) -> Path:
    kwargs.setdefault("comment", rfc9_comment())
    path = tmp_path / name
    write_zip(path, entries if entries is not None else tiny_entries(), **kwargs)
    return path


def test_pack_directory_output_is_clean(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    levels = [rng.integers(0, 255, (30, 30), dtype=np.uint8), rng.integers(0, 255, (15, 15), dtype=np.uint8)]
    src = write_zarr_image(tmp_path / "img", levels, compressors=ZstdCodec(), chunks=(5, 5), shards=(10, 10))
    found = all_findings(pack(src, tmp_path / "img.ozx"))
    assert [f for f in found if f.severity in ("error", "warning")] == []


def test_crafted_base_is_clean(tmp_path: Path) -> None:
    assert verdict(build(tmp_path)) == set()
    entries = tiny_entries()
    entries[2] = ZipEntry("0/c/0/0", bytes(range(16)), cd_extra=UT_EXTRA + UX_EXTRA, local_extra=UT_EXTRA, zip64_local=True)
    entries.insert(1, ZipEntry("0/"))  # directory entries are allowed anywhere
    assert verdict(build(tmp_path, entries, name="extras.ozx")) == set()


def test_m1_root_without_ome(tmp_path: Path) -> None:
    entries = tiny_entries()
    entries[0] = ZipEntry("zarr.json", group_json({"something": 1}))
    found = all_findings(build(tmp_path, entries))
    assert {(f.rule, f.severity) for f in found if f.severity != "info"} == {("M1", "error")}
    assert "attributes.ome" in next(f.message for f in found if f.rule == "M1")


def test_m1_root_not_json(tmp_path: Path) -> None:
    entries = tiny_entries()
    entries[0] = ZipEntry("zarr.json", b"{not json")
    assert verdict(build(tmp_path, entries)) == {("M1", "error")}


def test_m2_no_root_zarr_json(tmp_path: Path) -> None:
    entries = [
        ZipEntry("a/zarr.json", array_json([4, 4], [4, 4])),
        ZipEntry("b/zarr.json", array_json([4, 4], [4, 4])),
        ZipEntry("a/c/0/0", bytes(16)),
    ]
    found = all_findings(build(tmp_path, entries))
    assert {(f.rule, f.severity) for f in found if f.severity != "info"} == {("M2", "error")}
    assert "archive root is not an OME-Zarr hierarchy" in next(f.message for f in found if f.rule == "M2")


def test_m2_nothing_zarr_at_all(tmp_path: Path) -> None:
    found = all_findings(build(tmp_path, [ZipEntry("readme.txt", b"hi")]))
    assert {(f.rule, f.severity) for f in found if f.severity != "info"} == {("M2", "error")}
    assert "no entry named 'zarr.json'" in next(f.message for f in found if f.rule == "M2")


def test_m3_nested_ozx(tmp_path: Path) -> None:
    entries = tiny_entries() + [ZipEntry("extra/inner.ozx", b"PK\x05\x06" + bytes(18))]
    assert verdict(build(tmp_path, entries)) == {("M3", "error")}


def test_m4_record_on_other_disk(tmp_path: Path) -> None:
    entries = tiny_entries()
    entries[2].disk_start = 1
    assert verdict(build(tmp_path, entries)) == {("M4", "error")}


def test_m5_encrypted(tmp_path: Path) -> None:
    entries = tiny_entries()
    entries[2].flags = 1
    assert verdict(build(tmp_path, entries)) == {("M5", "error")}


def test_m6_deflated(tmp_path: Path) -> None:
    entries = tiny_entries()
    entries[2].method = 8
    found = all_findings(build(tmp_path, entries))
    assert {(f.rule, f.severity) for f in found if f.severity != "info"} == {("M6", "error")}
    assert "1 of 3 entries" in next(f.message for f in found if f.rule == "M6")


@pytest.mark.parametrize("where", ["cd", "local", "both", "cd-second-field"])
def test_m7_bad_extra_field(tmp_path: Path, where: str) -> None:
    entries = tiny_entries()
    if where in ("cd", "both"):
        entries[2].cd_extra = NTFS_EXTRA
    if where in ("local", "both"):
        entries[1].local_extra = NTFS_EXTRA
    if where == "cd-second-field":
        entries[2].cd_extra = UT_EXTRA + NTFS_EXTRA
    found = all_findings(build(tmp_path, entries))
    assert {(f.rule, f.severity) for f in found if f.severity != "info"} == {("M7", "error")}
    m7 = [f.message for f in found if f.rule == "M7"]
    assert all("0x000A" in m for m in m7)
    assert len(m7) == (2 if where == "both" else 1)
    if where == "local":
        assert "local header" in m7[0]


@pytest.mark.parametrize("fix_offsets", [False, True])
def test_m8_prefix(tmp_path: Path, fix_offsets: bool) -> None:
    path = build(tmp_path, prefix=b"MZ" * 2000, fix_prefix_offsets=fix_offsets)
    assert verdict(path) == {("M8", "error")}


def test_s1_no_zip64_end(tmp_path: Path) -> None:
    assert verdict(build(tmp_path, zip64_end=False)) == {("S1", "warning")}


def test_s4_zarr_json_not_first_without_flag(tmp_path: Path) -> None:
    found = all_findings(build(tmp_path, comment=rfc9_comment(json_first=False), cd_order=[0, 2, 1]))
    assert {(f.rule, f.severity) for f in found if f.severity != "info"} == {("S4", "warning")}
    assert "do not all come first" in next(f.message for f in found if f.rule == "S4")


def test_s4_ordered_but_flag_missing(tmp_path: Path) -> None:
    found = all_findings(build(tmp_path, comment=rfc9_comment(json_first=False)))
    assert {(f.rule, f.severity) for f in found if f.severity != "info"} == {("S4", "warning")}
    assert "does not say jsonFirst" in next(f.message for f in found if f.rule == "S4")


def test_s4_root_not_first(tmp_path: Path) -> None:
    found = all_findings(build(tmp_path, cd_order=[1, 0, 2]))
    assert {(f.rule, f.severity) for f in found if f.severity != "info"} == {("S4", "warning")}
    assert "root zarr.json" in next(f.message for f in found if f.rule == "S4")


@pytest.mark.parametrize("name", ["t.zip", "t", "t.ozx.bak"])
def test_s5_name(tmp_path: Path, name: str) -> None:
    assert verdict(build(tmp_path, name=name)) == {("S5", "warning")}


@pytest.mark.parametrize(
    "comment,expected",
    [
        (None, {("S6", "warning"), ("S4", "warning")}),  # no comment means no jsonFirst flag either
        (b"hello", {("S6", "warning"), ("S4", "warning")}),
        (b'{"ome": {"version": "0.5", "zipFile": {"centralDirectory": {"jsonFirst": true}}, "future": 1}}', {("S6", "warning")}),
        (b'{"ome": {"version": "0.5", "zipFile": {"centralDirectory": {"jsonFirst": true}}}}\x00', {("S6", "warning")}),
    ],
)
def test_s6_comment(tmp_path: Path, comment, expected) -> None:
    assert verdict(build(tmp_path, comment=comment)) == expected


def test_s6_version_mismatch_is_info(tmp_path: Path) -> None:
    found = all_findings(build(tmp_path, comment=rfc9_comment(version="0.6")))
    assert {(f.rule, f.severity) for f in found} == {("S6", "info")}


def test_s7_duplicates(tmp_path: Path) -> None:
    entries = tiny_entries() + [ZipEntry("0/c/0/0", bytes(16))]
    assert verdict(build(tmp_path, entries)) == {("S7", "warning")}


def test_s8_false_json_first(tmp_path: Path) -> None:
    entries = tiny_entries() + [ZipEntry("1/zarr.json", array_json([2, 2], [2, 2]))]
    entries[0] = ZipEntry("zarr.json", group_json(ome_attrs(["0", "1"])))
    assert verdict(build(tmp_path, entries)) == {("S8", "warning")}


def test_s3_huge_unsharded(tmp_path: Path) -> None:
    entries = tiny_entries() + [ZipEntry(f"0/c/1/{i}", b"") for i in range(100_001)]
    assert verdict(build(tmp_path, entries)) == {("S3", "warning")}
