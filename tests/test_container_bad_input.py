"""Bad input: every failure is an OzxError with a plain message, quickly, without big allocations."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest

from viewer.container import open_container
from viewer.container.ozx_writer import ZipEntry, rfc9_comment, write_zip
from viewer.errors import OzxError
from viewer.ome.zarr_array import ZarrArray

from .zipfixtures import (
    ZIP64_EOCD_SIG,
    array_json,
    cd_offsets,
    eocd_offset,
    group_json,
    ome_attrs,
    patch,
    tiny_entries,
    write_tiny,
)

REPO = Path(__file__).resolve().parents[1]


def open_fully(path: Path):
    """Open, wait for the background index, read every metadata key; returns the container."""
    zc = open_container(path)
    if hasattr(zc, "wait_index"):
        zc.wait_index()
    for key in zc.metadata_keys():
        zc.read(key)
    return zc


def expect_ozx_error(path: Path, *words: str) -> OzxError:
    t0 = time.perf_counter()
    with pytest.raises(OzxError) as info:
        open_fully(path)
    assert time.perf_counter() - t0 < 5
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word.lower() in message.lower(), message
    return info.value


def test_missing_file(tmp_path: Path) -> None:
    expect_ozx_error(tmp_path / "nope.ozx", "no file")


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "e.ozx").write_bytes(b"")
    expect_ozx_error(tmp_path / "e.ozx", "e.ozx", "not a zip")


@pytest.mark.parametrize("size", [1, 21, 22, 1000, 200_000])
def test_random_bytes(tmp_path: Path, size: int) -> None:
    (tmp_path / "r.ozx").write_bytes(np.random.default_rng(size).bytes(size))
    expect_ozx_error(tmp_path / "r.ozx", "not a zip")


def test_folder_without_zarr(tmp_path: Path) -> None:
    (tmp_path / "f").mkdir()
    expect_ozx_error(tmp_path / "f", "not an ome-zarr")


def test_truncated_archive(tmp_path: Path) -> None:
    good = write_tiny(tmp_path / "g.ozx").read_bytes()
    eocd = eocd_offset(good)
    cd = cd_offsets(good)
    cuts = {
        "inside EOCD": eocd + 10,
        "inside EOCD comment": len(good) - 5,
        "inside ZIP64 record": good.rfind(ZIP64_EOCD_SIG) + 30,
        "inside CD": cd[1] + 20,
        "at CD start": cd[0],
        "inside data": cd[0] - 5,
        "inside first header": 10,
    }
    for where, cut in cuts.items():
        path = tmp_path / f"cut{cut}.ozx"
        path.write_bytes(good[:cut])
        err = expect_ozx_error(path)
        assert "zip" in str(err).lower() or "truncated" in str(err).lower(), (where, str(err))


def test_bytes_missing_from_data_area(tmp_path: Path) -> None:
    entries = tiny_entries() + [ZipEntry("0/c/0/1", b"x" * 1000)]
    good = write_tiny(tmp_path / "g.ozx", entries=entries, comment=rfc9_comment(json_first=False)).read_bytes()
    cd0 = cd_offsets(good)[0]
    damaged = good[: cd0 - 500] + good[cd0 - 100 :]  # 400 bytes of the last entry's data vanish
    path = tmp_path / "d.ozx"
    path.write_bytes(damaged)
    try:
        zc = open_fully(path)
    except OzxError:
        return
    assert zc.read("0/c/0/0") == bytes(range(16))
    with pytest.raises(OzxError):
        zc.read("0/c/0/1")


def test_split_archive_end_record(tmp_path: Path) -> None:
    write_tiny(tmp_path / "s.ozx", eocd_disk=1)
    expect_ozx_error(tmp_path / "s.ozx", "split")
    write_tiny(tmp_path / "s2.ozx", eocd_disk=1, zip64_end=False)
    expect_ozx_error(tmp_path / "s2.ozx", "split")


def test_split_archive_record_on_another_disk(tmp_path: Path) -> None:
    entries = tiny_entries()
    entries[2].disk_start = 1
    path = write_tiny(tmp_path / "s.ozx", entries=entries)
    try:
        zc = open_fully(path)
    except OzxError as exc:
        assert "split" in str(exc) or "disk" in str(exc)
        return
    m4 = [f for f in zc.findings if f.rule == "M4"]
    assert len(m4) == 1 and m4[0].severity == "error"


@pytest.mark.parametrize("flags,method", [(1, 0), (0x40, 0), (0x2000, 0), (1, 8), (0, 99)])
def test_encrypted_entry(tmp_path: Path, flags: int, method: int) -> None:
    entries = tiny_entries()
    entries[2] = ZipEntry("0/c/0/0", bytes(range(16)), flags=flags, method=method)
    path = write_tiny(tmp_path / "enc.ozx", entries=entries)
    zc = open_fully(path)
    m5 = [f for f in zc.findings if f.rule == "M5"]
    assert len(m5) == 1 and m5[0].severity == "error" and "encrypted" in m5[0].message
    with pytest.raises(OzxError, match="encrypted"):
        zc.read("0/c/0/0")
    with pytest.raises(OzxError, match="encrypted"):
        zc.read_range("0/c/0/0", 0, 4)
    za = ZarrArray(zc, "0", json.loads(zc.read("0/zarr.json")))
    with pytest.raises(OzxError, match="encrypted"):
        za.read_chunk((0, 0))  # never the fill value


@pytest.mark.parametrize("bad", ["../x", "0/../../x", "/abs/x", "..\\x"])
def test_unsafe_names(tmp_path: Path, bad: str) -> None:
    sentinel = tmp_path / "x"
    sentinel.write_bytes(b"SECRET")
    entries = tiny_entries() + [ZipEntry(bad, b"zip-content")]
    work = tmp_path / "w"
    work.mkdir()
    path = write_tiny(work / "n.ozx", entries=entries)
    zc = open_fully(path)
    found = [f for f in zc.findings if f.rule == "zip-names"]
    assert len(found) == 1 and f"'{bad}'" in found[0].message
    for key in ("../x", "../../x", bad):
        try:
            got = zc.read(key)
        except OzxError:
            continue
        assert got in (None, b"zip-content")
    assert sentinel.read_bytes() == b"SECRET"
    assert sorted(os.listdir(work)) == ["n.ozx"]


def test_nested_archives(tmp_path: Path) -> None:
    inner = write_tiny(tmp_path / "inner.ozx").read_bytes()
    entries = tiny_entries() + [ZipEntry("extra/inner.ozx", inner), ZipEntry("extra/other.zip", inner)]
    zc = open_fully(write_tiny(tmp_path / "outer.ozx", entries=entries))
    m3 = sorted((f.severity, f.message) for f in zc.findings if f.rule == "M3")
    assert [s for s, _ in m3] == ["error", "warning"]
    assert "inner.ozx" in m3[0][1] and "other.zip" in m3[1][1]
    assert zc.read("extra/inner.ozx") == inner  # bytes only; never opened


@pytest.mark.parametrize("which", ["csize", "usize", "both"])
def test_declared_size_beyond_file(tmp_path: Path, which: str) -> None:
    raw = write_tiny(tmp_path / "g.ozx", comment=rfc9_comment(json_first=False)).read_bytes()
    rec = cd_offsets(raw)[2]
    huge = 0xFFFFFFF0
    if which in ("csize", "both"):
        raw = patch(raw, rec + 20, "<I", huge)
    if which in ("usize", "both"):
        raw = patch(raw, rec + 24, "<I", huge)
    path = tmp_path / "b.ozx"
    path.write_bytes(raw)
    tracemalloc.start()
    try:
        with pytest.raises(OzxError):
            zc = open_fully(path)
            zc.read("0/c/0/0")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 1024 * 1024


def _deflated_zip(path: Path, usize_declared: int, total: int) -> None:
    """A zip whose one data entry is `total` zero bytes deflated, declared as `usize_declared` bytes."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = bytes(1 << 20)
    parts = [comp.compress(block) for _ in range(total >> 20)]
    parts.append(comp.flush())
    payload = b"".join(parts)
    entries = tiny_entries() + [ZipEntry("0/c/bomb", payload)]
    write_zip(path, entries, comment=None)
    raw = path.read_bytes()
    rec = cd_offsets(raw)[3]
    lho = struct.unpack_from("<I", raw, rec + 42)[0]
    raw = patch(raw, rec + 10, "<H", 8)
    raw = patch(raw, rec + 24, "<I", usize_declared)
    raw = patch(raw, lho + 8, "<H", 8)
    path.write_bytes(raw)
    assert len(payload) < 1_000_000


@pytest.mark.parametrize("declared", ["right", "smaller", "larger"])
def test_deflate_bomb(tmp_path: Path, declared: str) -> None:
    total = 200 << 20
    usize = {"right": total, "smaller": 4096, "larger": 0xFFFFFFF0}[declared]
    path = tmp_path / "bomb.zip"
    _deflated_zip(path, usize, total)
    script = textwrap.dedent(
        f"""
        import resource, sys
        sys.path.insert(0, {str(REPO)!r})
        from viewer.container import open_container
        from viewer.errors import OzxError
        zc = open_container({str(path)!r})
        zc.wait_index()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            n = len(zc.read("0/c/bomb"))
            tail = zc.read_range("0/c/bomb", -8, 8)
            result = f"ok {{n}} {{tail!r}}"
        except OzxError as exc:
            result = "OzxError " + str(exc)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(result)
        print((after - before) // 1024)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result, delta_mb = out.stdout.strip().splitlines()
    assert int(delta_mb) < 400
    if declared == "right":
        assert result.startswith("OzxError") or result == f"ok {total} {bytes(8)!r}"
    else:
        assert result.startswith("OzxError") and "bomb" in result


@pytest.mark.parametrize(
    "comment,needle",
    [
        (b"not json at all", "not JSON"),
        (json.dumps(rfc9_comment()).encode()[:-1] + b",}", "trailing comma"),
        (json.dumps(rfc9_comment()).encode() + b"\x00", "NUL"),
        (b'{"ome": {"version": "0.5", "zipFile": {"centralDirectory": {"jsonFirst": true,}}}}', "trailing comma"),
        (b'{"ome": 5}', "no 'ome' object"),
        (b'{"ome": {"version": 5}}', "ome.version"),
        (b'{"ome": {"version": "0.5", "rootPath": "x"}}', "ome.rootPath"),
        (b"\xff\xfe\x00", "not JSON"),
        (b"", "no comment"),
    ],
)
def test_bad_comment_is_a_warning(tmp_path: Path, comment: bytes, needle: str) -> None:
    zc = open_fully(write_tiny(tmp_path / "c.ozx", comment=comment))
    s6 = [f for f in zc.findings if f.rule == "S6"]
    assert s6 and all(f.severity == "warning" for f in s6)
    assert any(needle in f.message for f in s6), s6
    assert zc.read("0/c/0/0") == bytes(range(16))


@pytest.mark.parametrize("delta", [-1, 1, 5])
@pytest.mark.parametrize("zip64", [False, True])
def test_record_count_disagrees(tmp_path: Path, delta: int, zip64: bool) -> None:
    raw = write_tiny(tmp_path / "g.ozx", zip64_end=zip64).read_bytes()
    eocd = eocd_offset(raw)
    raw = patch(raw, eocd + 8, "<HH", 3 + delta, 3 + delta)
    if zip64:
        raw = patch(raw, raw.rfind(ZIP64_EOCD_SIG) + 24, "<QQ", 3 + delta, 3 + delta)
    (tmp_path / "b.ozx").write_bytes(raw)
    expect_ozx_error(tmp_path / "b.ozx", "central directory")


def test_record_count_zero_but_cd_not_empty(tmp_path: Path) -> None:
    raw = write_tiny(tmp_path / "g.ozx", zip64_end=False, comment=None).read_bytes()
    raw = patch(raw, eocd_offset(raw) + 8, "<HH", 0, 0)
    (tmp_path / "b.ozx").write_bytes(raw)
    expect_ozx_error(tmp_path / "b.ozx", "central directory")


def test_entry_counts_on_disk_and_total_differ(tmp_path: Path) -> None:
    raw = write_tiny(tmp_path / "g.ozx", zip64_end=False).read_bytes()
    raw = patch(raw, eocd_offset(raw) + 8, "<HH", 2, 3)
    (tmp_path / "b.ozx").write_bytes(raw)
    expect_ozx_error(tmp_path / "b.ozx", "inconsistent")


@pytest.mark.parametrize("json_first", [False, True])
def test_zip64_offset_overflow(tmp_path: Path, json_first: bool) -> None:
    raw = write_tiny(tmp_path / "g.ozx", comment=rfc9_comment(json_first=json_first)).read_bytes()
    raw = patch(raw, raw.rfind(ZIP64_EOCD_SIG) + 48, "<Q", 2**64 - 1)
    (tmp_path / "b.ozx").write_bytes(raw)
    expect_ozx_error(tmp_path / "b.ozx")


@pytest.mark.parametrize("method", [12, 14, 93, 9])
def test_unsupported_method(tmp_path: Path, method: int) -> None:
    entries = tiny_entries()
    entries[2] = ZipEntry("0/c/0/0", bytes(range(16)), method=method)
    zc = open_fully(write_tiny(tmp_path / "m.ozx", entries=entries))
    assert any(f.rule == "M6" for f in zc.findings)
    with pytest.raises(OzxError, match=f"method {method}"):
        zc.read("0/c/0/0")
    with pytest.raises(OzxError, match=f"method {method}"):
        zc.read_range("0/c/0/0", 0, 2)


def test_unsupported_method_on_root_metadata(tmp_path: Path) -> None:
    entries = tiny_entries()
    entries[0] = ZipEntry("zarr.json", group_json(ome_attrs(["0"])), method=12)
    path = write_tiny(tmp_path / "m.ozx", entries=entries)
    expect_ozx_error(path, "method 12")


def test_corrupt_deflate_stream(tmp_path: Path) -> None:
    entries = tiny_entries() + [ZipEntry("d/x", b"abc" * 1000, method=8)]
    raw = write_tiny(tmp_path / "g.zip", entries=entries).read_bytes()
    rec = cd_offsets(raw)[3]
    lho = struct.unpack_from("<I", raw, rec + 42)[0]
    n = struct.unpack_from("<H", raw, lho + 26)[0]
    raw = patch(raw, lho + 30 + n, "<I", 0xFFFFFFFF)  # invalid block type
    (tmp_path / "b.zip").write_bytes(raw)
    zc = open_fully(tmp_path / "b.zip")
    with pytest.raises(OzxError, match="corrupt"):
        zc.read("d/x")


# ---- array metadata ---------------------------------------------------------------------------


def _dir_with(tmp_path: Path, meta: bytes, chunk: bytes | None = None, key: str = "c/0/0/0"):
    root = tmp_path / "d"
    (root / "0").mkdir(parents=True)
    (root / "zarr.json").write_bytes(group_json(ome_attrs(["0"], ndim=3)))
    (root / "0" / "zarr.json").write_bytes(meta)
    if chunk is not None:
        (root / "0" / key).parent.mkdir(parents=True, exist_ok=True)
        (root / "0" / key).write_bytes(chunk)
    dc = open_container(root)
    return dc, json.loads(dc.read("0/zarr.json"))


def _array_fails(dc, meta, *words: str) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(OzxError) as info:
            za = ZarrArray(dc, "0", meta)
            za.read_chunk((0,) * len(za.shape))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024
    for word in words:
        assert word in str(info.value), str(info.value)


def test_absurd_chunk_shape(tmp_path: Path) -> None:
    dc, meta = _dir_with(tmp_path, array_json([10**9] * 3, [100_000] * 3), b"\0" * 8)
    _array_fails(dc, meta, "1 GiB")


def test_absurd_inner_chunk_shape(tmp_path: Path) -> None:
    codecs = [{"name": "sharding_indexed", "configuration": {"chunk_shape": [100_000] * 3, "codecs": [{"name": "bytes"}]}}]
    dc, meta = _dir_with(tmp_path, array_json([10**9] * 3, [100_000] * 3, codecs=codecs))
    _array_fails(dc, meta, "1 GiB")


def test_absurd_shard_index(tmp_path: Path) -> None:
    codecs = [{"name": "sharding_indexed", "configuration": {"chunk_shape": [1, 1, 1], "codecs": [{"name": "bytes"}]}}]
    dc, meta = _dir_with(tmp_path, array_json([10**9] * 3, [100_000] * 3, codecs=codecs))
    _array_fails(dc, meta, "index")


@pytest.mark.parametrize(
    "codecs",
    [
        [{"name": "pickle"}],
        [{"name": "bytes"}, {"name": "foo"}],
        [{"name": "bytes"}, {"name": "pickle", "configuration": {}}],
        [{"name": "transpose", "configuration": {"order": [0, 0, 1]}}, {"name": "bytes"}],
        [],
        "bytes",
        [{"name": "bytes", "configuration": {"endian": "middle"}}],
        [{"name": "sharding_indexed", "configuration": {"chunk_shape": [2, 2, 2], "codecs": [{"name": "foo"}]}}],
        [{"name": "sharding_indexed", "configuration": {"chunk_shape": [2, 2, 2], "index_codecs": [{"name": "pickle"}]}}],
    ],
)
def test_unsupported_codec(tmp_path: Path, codecs) -> None:
    dc, meta = _dir_with(tmp_path, array_json([4, 4, 4], [4, 4, 4], codecs=codecs), b"\0" * 64)
    _array_fails(dc, meta)


@pytest.mark.parametrize("compressor", [{"id": "pickle"}, {"id": "foo"}, "zlib", {"id": "zlib", "level": 1, "x": 2}])
def test_unsupported_v2_compressor(tmp_path: Path, compressor) -> None:
    root = tmp_path / "v2"
    (root / "0").mkdir(parents=True)
    (root / ".zgroup").write_text('{"zarr_format": 2}')
    meta = {"zarr_format": 2, "shape": [4], "chunks": [4], "dtype": "<u1", "compressor": compressor,
            "fill_value": 0, "order": "C", "filters": None}
    (root / "0" / "0").write_bytes(b"\0" * 4)
    dc = open_container(root)
    _array_fails(dc, meta)


@pytest.mark.parametrize("codec", ["zstd", "gzip", "blosc", "v2-zlib", "v2-blosc"])
def test_corrupt_compressed_chunk(tmp_path: Path, codec: str) -> None:
    garbage = b"\x13\x37" * 40
    if codec.startswith("v2-"):
        root = tmp_path / "v2"
        (root / "0").mkdir(parents=True)
        (root / ".zgroup").write_text('{"zarr_format": 2}')
        meta = {"zarr_format": 2, "shape": [4], "chunks": [4], "dtype": "<u1", "compressor": {"id": codec[3:]},
                "fill_value": 0, "order": "C", "filters": None}
        (root / "0" / "0").write_bytes(garbage)
        dc = open_container(root)
    else:
        codecs = [{"name": "bytes"}, {"name": codec, "configuration": {}}]
        dc, meta = _dir_with(tmp_path, array_json([4, 4, 4], [4, 4, 4], codecs=codecs), garbage)
    _array_fails(dc, meta, "corrupt")


@pytest.mark.parametrize(
    "meta_patch",
    [
        {"shape": "big"},
        {"shape": [4, 4, -1]},
        {"shape": [2**70, 1, 1]},
        {"data_type": "object"},
        {"chunk_grid": {"name": "rectilinear"}},
        {"chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [0, 1, 1]}}},
        {"chunk_key_encoding": {"name": "weird"}},
        {"fill_value": "banana"},
        {"zarr_format": 4},
        {"storage_transformers": [{"name": "x"}]},
    ],
)
def test_invalid_array_metadata(tmp_path: Path, meta_patch) -> None:
    meta = json.loads(array_json([4, 4, 4], [4, 4, 4]))
    meta.update(meta_patch)
    dc, _ = _dir_with(tmp_path, json.dumps(meta).encode(), b"\0" * 64)
    _array_fails(dc, meta)


@pytest.mark.parametrize("location", ["end", "start"])
@pytest.mark.parametrize("bad", ["past-end", "huge-offset", "offset-overflow", "short-shard", "bad-crc-length"])
def test_corrupt_shard_index(tmp_path: Path, location: str, bad: str) -> None:
    codecs = [{"name": "sharding_indexed", "configuration": {
        "chunk_shape": [2, 2, 2], "codecs": [{"name": "bytes"}],
        "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}],
        "index_location": location}}]
    n_inner = 8
    index_nbytes = 16 * n_inner + 4
    body = bytes(range(64))
    base = index_nbytes if location == "start" else 0
    index = np.array([[base + 8 * i, 8] for i in range(n_inner)], dtype="<u8")
    if bad == "past-end":
        index[0] = [base + 60, 100]
    elif bad == "huge-offset":
        index[0] = [2**63, 8]
    elif bad == "offset-overflow":
        index[0] = [2**64 - 4, 8]  # offset + nbytes wraps around in uint64
    raw_index = index.tobytes() + b"\0\0\0\0"
    if bad == "bad-crc-length":
        raw_index = raw_index[:-8]
    shard = raw_index + body if location == "start" else body + raw_index
    if bad == "short-shard":
        shard = shard[:50]
    dc, meta = _dir_with(tmp_path, array_json([4, 4, 4], [4, 4, 4], codecs=codecs), shard)
    _array_fails(dc, meta)
