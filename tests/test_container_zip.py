"""ZipContainer / DirectoryContainer on real zarr-python output and on crafted archives."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
import zarr
from zarr.codecs import BloscCodec, BytesCodec, GzipCodec, ShardingCodec, TransposeCodec, ZstdCodec

from viewer.container import DirectoryContainer, ZipContainer, open_container
from viewer.container.ozx_writer import ZipEntry, rfc9_comment, write_zip
from viewer.ome.zarr_array import ZarrArray

from .zipfixtures import group_json, ome_attrs, pack, tiny_entries, write_tiny, write_zarr_image

rng = np.random.default_rng(1234)
LEVELS = [rng.integers(0, 65535, size=(37, 41), dtype=np.uint16)]
LEVELS.append(LEVELS[0][::2, ::2].copy())
LEVELS.append(LEVELS[1][::2, ::2].copy())


def rules(container) -> list[str]:
    return sorted(f.rule for f in container.findings)


def read_levels(container) -> list[np.ndarray]:
    out = []
    for i in range(len(LEVELS)):
        meta = json.loads(container.read(f"{i}/zarr.json"))
        out.append(ZarrArray(container, str(i), meta).read())
    return out


CODEC_CASES = {
    "zstd": dict(compressors=ZstdCodec()),
    "gzip": dict(compressors=GzipCodec()),
    "blosc": dict(compressors=BloscCodec()),
    "none": dict(compressors=None),
    "zstd-sharded": dict(compressors=ZstdCodec(), chunks=(4, 5), shards="auto2"),
    "gzip-sharded": dict(compressors=GzipCodec(), chunks=(3, 3), shards=(9, 6)),
    "transpose": dict(filters=[TransposeCodec(order=(1, 0))], compressors=ZstdCodec()),
    "index-start": dict(
        chunks=(8, 8),
        serializer=ShardingCodec(chunk_shape=(4, 4), codecs=[BytesCodec(), ZstdCodec()], index_location="start"),
        compressors=None,
    ),
}


@pytest.mark.parametrize("case", sorted(CODEC_CASES))
def test_zarr_python_image_round_trip(tmp_path: Path, case: str) -> None:
    src = write_zarr_image(tmp_path / "img.ome.zarr", LEVELS, **CODEC_CASES[case])
    out = pack(src, tmp_path / "img.ozx")
    with open_container(out) as zc:
        assert zc.format == "ozx"
        got = read_levels(zc)
        zc.wait_index()
        assert [f for f in zc.findings if f.severity == "error"] == []
    for level, expected in zip(got, LEVELS):
        assert level.dtype == expected.dtype
        np.testing.assert_array_equal(level, expected)


def test_missing_chunks_read_as_fill_value(tmp_path: Path) -> None:
    store = zarr.storage.LocalStore(tmp_path / "f.zarr")
    group = zarr.open_group(store, mode="w", zarr_format=3)
    group.attrs.update(ome_attrs(["0"]))
    arr = zarr.create_array(store, name="0", shape=(10, 10), dtype="i2", chunks=(4, 4), fill_value=7)
    arr[0:4, 0:4] = 1  # only chunk (0, 0) written
    expected = np.full((10, 10), 7, dtype="i2")
    expected[0:4, 0:4] = 1
    out = pack(tmp_path / "f.zarr", tmp_path / "f.ozx")
    with open_container(out) as zc:
        assert zc.read("0/c/1/1") is None
        za = ZarrArray(zc, "0", json.loads(zc.read("0/zarr.json")))
        assert za.fill_value == 7
        np.testing.assert_array_equal(za.read(), expected)
        np.testing.assert_array_equal(za.read_chunk((2, 2)), np.full((4, 4), 7, dtype="i2"))


def test_byte_ranges_inside_entries(tmp_path: Path) -> None:
    payload = bytes(range(256)) * 3
    entries = tiny_entries() + [ZipEntry("0/c/9/9", payload)]
    zc = open_container(write_tiny(tmp_path / "r.ozx", entries=entries))
    assert zc.size("0/c/9/9") == len(payload)
    assert zc.read_range("0/c/9/9", 0, 10) == payload[:10]
    assert zc.read_range("0/c/9/9", 100, 50) == payload[100:150]
    assert zc.read_range("0/c/9/9", -16, 16) == payload[-16:]
    assert zc.read_range("0/c/9/9", -len(payload), 4) == payload[:4]
    assert zc.read_range("0/c/9/9", 5, 0) == b""
    assert zc.read_range("nope", 0, 1) is None
    assert zc.exists("0/c/9/9") and not zc.exists("0/c/9/8")
    zc.close()


def test_json_first_prefix_serves_metadata_before_the_index(tmp_path: Path, monkeypatch) -> None:
    src = write_zarr_image(tmp_path / "img", LEVELS, compressors=ZstdCodec())
    out = pack(src, tmp_path / "img.ozx")
    gate = threading.Event()
    original = ZipContainer._build_index

    def slow_build(self):
        gate.wait(10)
        original(self)

    monkeypatch.setattr(ZipContainer, "_build_index", slow_build)
    zc = open_container(out)
    try:
        assert zc.comment.json_first is True
        assert not zc.index_ready
        expected = ["zarr.json", "0/zarr.json", "1/zarr.json", "2/zarr.json"]
        assert sorted(zc.metadata_keys()) == sorted(expected)
        assert json.loads(zc.read("zarr.json"))["attributes"]["ome"]["version"] == "0.5"
        assert json.loads(zc.read("1/zarr.json"))["shape"] == list(LEVELS[1].shape)
        assert not zc.index_ready
    finally:
        gate.set()
    index = zc.wait_index()
    assert index.json_first_order
    assert zc.json_first_violated is False
    assert sorted(zc.metadata_keys()) == sorted(expected)
    np.testing.assert_array_equal(read_levels(zc)[0], LEVELS[0])
    zc.close()


def test_false_json_first_claim_is_detected(tmp_path: Path) -> None:
    entries = tiny_entries() + [ZipEntry("labels/zarr.json", group_json({"labels": []}))]
    # CD order: zarr.json, 0/zarr.json, data, then the late labels/zarr.json
    path = tmp_path / "lie.ozx"
    write_zip(path, entries, comment=rfc9_comment(json_first=True), cd_order=[0, 1, 2, 3])
    zc = open_container(path)
    zc.wait_index()
    assert zc.json_first_violated is True
    s8 = [f for f in zc.findings if f.rule == "S8"]
    assert len(s8) == 1 and s8[0].severity == "warning" and "jsonFirst" in s8[0].message
    assert "labels/zarr.json" in zc.metadata_keys()
    assert json.loads(zc.read("labels/zarr.json"))["attributes"] == {"labels": []}
    zc.close()


@pytest.mark.parametrize("name", ["image (2).OZX", "image.zip", "image", "image.ome.zarr.ZIP"])
def test_recognised_by_content_not_name(tmp_path: Path, name: str) -> None:
    write_tiny(tmp_path / "a.ozx")
    target = tmp_path / name
    shutil.copy(tmp_path / "a.ozx", target)
    with open_container(target) as zc:
        assert isinstance(zc, ZipContainer)
        assert zc.format == "ozx"
        assert zc.read("0/c/0/0") == bytes(range(16))


def test_single_top_level_folder_becomes_root(tmp_path: Path) -> None:
    entries = [ZipEntry("myimage.ome.zarr/" + e.name, e.data) for e in tiny_entries()]
    entries.insert(0, ZipEntry("myimage.ome.zarr/"))
    path = tmp_path / "folder.zip"
    write_zip(path, entries, comment=None)
    with open_container(path) as zc:
        assert zc.root == "myimage.ome.zarr/"
        assert zc.format == "zip"
        m2 = [f for f in zc.findings if f.rule == "M2"]
        assert m2 and m2[0].severity == "error" and "folder" in m2[0].message
        assert sorted(zc.metadata_keys()) == ["0/zarr.json", "zarr.json"]
        za = ZarrArray(zc, "0", json.loads(zc.read("0/zarr.json")))
        np.testing.assert_array_equal(za.read(), np.arange(16, dtype=np.uint8).reshape(4, 4))


def test_zarr_v2_zip_opens_with_findings(tmp_path: Path) -> None:
    src = tmp_path / "v2.zarr"
    store = zarr.storage.LocalStore(src)
    group = zarr.open_group(store, mode="w", zarr_format=2)
    group.attrs.update({"multiscales": [{"version": "0.4", "datasets": [{"path": "0"}]}]})
    data = rng.integers(-1000, 1000, size=(13, 17), dtype=np.int32)
    arr = zarr.create_array(store, name="0", shape=data.shape, dtype=data.dtype, chunks=(5, 5), zarr_format=2)
    arr[...] = data
    names = sorted(p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file())
    path = tmp_path / "v2.ome.zarr.zip"
    write_zip(path, [ZipEntry(n, (src / n).read_bytes(), method=8) for n in names], comment=None, zip64_end=False)
    with open_container(path) as zc:
        assert zc.format == "zip" and zc.root == ""
        assert {"M2", "M6"} <= set(rules(zc))
        m2 = next(f for f in zc.findings if f.rule == "M2")
        assert "0.4" in m2.message or "v2" in m2.message
        assert ".zattrs" in zc.metadata_keys() and "0/.zarray" in zc.metadata_keys()
        za = ZarrArray(zc, "0", json.loads(zc.read("0/.zarray")))
        np.testing.assert_array_equal(za.read(), data)
        np.testing.assert_array_equal(za.read(threads=3), data)


def test_directory_ome_zarr(tmp_path: Path) -> None:
    src = write_zarr_image(tmp_path / "img.ome.zarr", LEVELS, compressors=ZstdCodec(), chunks=(4, 5), shards="auto2")
    with open_container(src) as dc:
        assert isinstance(dc, DirectoryContainer)
        assert dc.format == "directory" and dc.findings == []
        assert set(dc.metadata_keys()) == {"zarr.json", "0/zarr.json", "1/zarr.json", "2/zarr.json"}
        for level, expected in zip(read_levels(dc), LEVELS):
            np.testing.assert_array_equal(level, expected)
        assert dc.read("../img.ome.zarr/zarr.json") is None
        assert dc.read_range("zarr.json", -2, 2) == (src / "zarr.json").read_bytes()[-2:]


def test_zip64_many_entries(tmp_path: Path) -> None:
    entries = tiny_entries() + [ZipEntry(f"x/{i}", i.to_bytes(4, "little")) for i in range(70_000)]
    path = tmp_path / "big.ozx"
    write_zip(path, entries, comment=rfc9_comment())
    with open_container(path) as zc:
        index = zc.wait_index()
        assert zc.tail.zip64 and zc.tail.entry_count == 70_003 and index.count == 70_003
        assert index.nbytes() < 100 * 70_003
        for i in (0, 1, 65_534, 65_535, 65_536, 69_999):
            assert zc.read(f"x/{i}") == i.to_bytes(4, "little")
        assert zc.read("x/70000") is None
        assert zc.read("0/c/0/0") == bytes(range(16))


@pytest.mark.parametrize("fix_offsets", [False, True])
@pytest.mark.parametrize("json_first", [False, True])
def test_prefixed_stub(tmp_path: Path, fix_offsets: bool, json_first: bool) -> None:
    path = tmp_path / "stub.ozx"
    write_tiny(path, prefix=b"MZ" * 2000, fix_prefix_offsets=fix_offsets, comment=rfc9_comment(json_first=json_first))
    with open_container(path) as zc:
        assert zc.tail.shift == (0 if fix_offsets else 4000)
        assert zc.read("0/c/0/0") == bytes(range(16))
        assert json.loads(zc.read("zarr.json"))["node_type"] == "group"
        zc.wait_index()
        m8 = [f for f in zc.findings if f.rule == "M8"]
        assert len(m8) == 1 and m8[0].severity == "error" and "4000" in m8[0].message


@pytest.mark.parametrize("json_first", [False, True])
def test_duplicate_names_last_record_wins(tmp_path: Path, json_first: bool) -> None:
    entries = tiny_entries() + [ZipEntry("0/c/0/0", b"B" * 16), ZipEntry("zarr.json", group_json(ome_attrs(["0", "1"])))]
    path = tmp_path / "dup.ozx"
    # CD: zarr.json, zarr.json(new), 0/zarr.json, chunk(old), chunk(new)
    write_zip(path, entries, comment=rfc9_comment(json_first=json_first), cd_order=[0, 4, 1, 2, 3])
    with open_container(path) as zc:
        assert len(json.loads(zc.read("zarr.json"))["attributes"]["ome"]["multiscales"][0]["datasets"]) == 2
        assert zc.read("0/c/0/0") == b"B" * 16
        zc.wait_index()
        assert zc.read("0/c/0/0") == b"B" * 16
        assert len(json.loads(zc.read("zarr.json"))["attributes"]["ome"]["multiscales"][0]["datasets"]) == 2
        s7 = [f for f in zc.findings if f.rule == "S7"]
        assert len(s7) == 1 and s7[0].severity == "warning" and "2 names" in s7[0].message


def test_concurrent_range_reads(tmp_path: Path) -> None:
    blobs = {f"0/c/{i}/0": random.Random(i).randbytes(5000 + 17 * i) for i in range(40)}
    entries = tiny_entries() + [ZipEntry(k, v) for k, v in blobs.items()] + [ZipEntry("d/big", b"q" * 3000, method=8)]
    zc = open_container(write_tiny(tmp_path / "t.ozx", entries=entries))
    errors: list[str] = []
    start = threading.Barrier(8)

    def worker(seed: int) -> None:
        try:
            work(seed)
        except Exception as exc:  # noqa: BLE001 - reported through `errors`
            errors.append(repr(exc))

    def work(seed: int) -> None:
        r = random.Random(seed)
        start.wait()
        for _ in range(400):
            key = r.choice(list(blobs))
            blob = blobs[key]
            a = r.randrange(len(blob))
            n = r.randrange(len(blob) - a + 1)
            if r.random() < 0.5:
                got = zc.read_range(key, a - len(blob), n)
            else:
                got = zc.read_range(key, a, n)
            if got != blob[a : a + n]:
                errors.append(f"{key} {a} {n}")
            if zc.read_range("d/big", a % 2990, 10) != b"q" * 10:
                errors.append("deflated")

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    zc.close()
    assert errors == []


def test_file_is_never_modified(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    src = write_zarr_image(tmp_path / "img", LEVELS, compressors=ZstdCodec(), chunks=(4, 5), shards="auto2")
    path = pack(src, folder / "img.ozx")
    before = (hashlib.sha256(path.read_bytes()).hexdigest(), os.stat(path).st_mtime_ns)
    listing = sorted(os.listdir(folder))
    zc = open_container(path)
    read_levels(zc)
    zc.wait_index()
    from viewer.container.conformance import deep_findings

    deep_findings(zc)
    zc.close()
    assert (hashlib.sha256(path.read_bytes()).hexdigest(), os.stat(path).st_mtime_ns) == before
    assert sorted(os.listdir(folder)) == listing


def test_stored_deflated_mix_and_close(tmp_path: Path) -> None:
    entries = tiny_entries() + [ZipEntry("d/x", b"hello " * 1000, method=8)]
    zc = open_container(write_tiny(tmp_path / "m.zip", entries=entries, comment=None))
    assert zc.read("d/x") == b"hello " * 1000
    assert zc.read_range("d/x", -6, 6) == b"hello "
    assert zc.size("d/x") == 6000
    zc.close()
    from viewer.errors import OzxError

    with pytest.raises(OzxError):
        zc.read("zarr.json")


@pytest.mark.parametrize("json_first", [False, True])
def test_backslash_names_are_never_resolved(tmp_path: Path, json_first: bool) -> None:
    entries = [ZipEntry(e.name.replace("/", "\\"), e.data) for e in tiny_entries()]
    path = tmp_path / "win.zip"
    write_zip(path, entries, comment=rfc9_comment(json_first=json_first))
    with open_container(path) as zc:
        zc.wait_index()
        assert zc.metadata_keys() == ["zarr.json"]
        assert zc.read("0/zarr.json") is None and zc.read("0\\zarr.json") is None
        assert any(f.rule == "zip-names" for f in zc.findings)


@pytest.mark.parametrize("json_first", [False, True])
def test_dot_slash_names_are_normalised(tmp_path: Path, json_first: bool) -> None:
    entries = [ZipEntry("./" + e.name, e.data) for e in tiny_entries()]
    path = tmp_path / "win.zip"
    write_zip(path, entries, comment=rfc9_comment(json_first=json_first))
    with open_container(path) as zc:
        for _ in range(2):  # before and after the background index is ready
            assert sorted(zc.metadata_keys()) == ["0/zarr.json", "zarr.json"]
            assert json.loads(zc.read("0/zarr.json"))["shape"] == [4, 4]
            assert zc.read("0/c/0/0") == bytes(range(16))
            zc.wait_index()
