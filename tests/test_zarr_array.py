"""ZarrArray decodes what zarr-python writes, bit for bit (directory and zip containers)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import zarr
from zarr.codecs import BloscCodec, BytesCodec, Crc32cCodec, GzipCodec, ShardingCodec, TransposeCodec, ZstdCodec

from viewer.container import open_container
from viewer.errors import OzxError
from viewer.ome.zarr_array import ZarrArray

from .zipfixtures import ome_attrs, pack

DTYPES = ["uint8", "uint16", "uint32", "int8", "int16", "int32", "float32", "float64", "bool"]
COMPRESSORS = {"none": None, "zstd": ZstdCodec(level=3), "gzip": GzipCodec(level=5), "blosc": BloscCodec()}


def sample(dtype: str, shape, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) < 0.3
    if dtype.startswith("float"):
        return (rng.standard_normal(shape) * 1000).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)


def new_store(tmp_path: Path, zarr_format: int = 3):
    root = tmp_path / "img.zarr"
    store = zarr.storage.LocalStore(root)
    group = zarr.open_group(store, mode="w", zarr_format=zarr_format)
    group.attrs.update(ome_attrs(["a"]))
    return root, store


def viewer_array(container, name: str) -> ZarrArray:
    meta_key = f"{name}/zarr.json" if container.exists(f"{name}/zarr.json") else f"{name}/.zarray"
    meta = json.loads(container.read(meta_key))
    if meta_key.endswith(".zarray") and container.exists(f"{name}/.zattrs"):
        pass  # attributes play no role in decoding
    return ZarrArray(container, name, meta)


def check(container, name: str, expected: np.ndarray, regions=()) -> ZarrArray:
    za = viewer_array(container, name)
    assert za.shape == expected.shape
    got = za.read()
    assert got.dtype == expected.dtype.newbyteorder("=")
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(za.read(threads=2), got)
    for region in regions:
        np.testing.assert_array_equal(za.read(region, threads=2), expected[region])
        np.testing.assert_array_equal(za.read(region, threads=1), expected[region])
    return za


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("compressor", sorted(COMPRESSORS))
@pytest.mark.parametrize("sharded", [False, True])
def test_v3_dtypes_and_compressors(tmp_path: Path, dtype: str, compressor: str, sharded: bool) -> None:
    root, store = new_store(tmp_path)
    data = sample(dtype, (19, 23))  # edge chunks are clipped
    arr = zarr.create_array(store, name="a", shape=data.shape, dtype=dtype, chunks=(4, 5),
                            shards=(8, 10) if sharded else None, compressors=COMPRESSORS[compressor])
    arr[...] = data
    with open_container(root) as dc:
        za = check(dc, "a", data, regions=[(slice(3, 17), slice(0, 23)), (slice(18, 19), slice(22, 23))])
        assert za.chunks == (4, 5)
        assert za.shards == ((8, 10) if sharded else None)


@pytest.mark.parametrize("dtype", ["uint16", "int32", "float64", "float32"])
@pytest.mark.parametrize("sharded", [False, True])
def test_big_endian_bytes_codec(tmp_path: Path, dtype: str, sharded: bool) -> None:
    root, store = new_store(tmp_path)
    data = sample(dtype, (9, 7))
    serializer = BytesCodec(endian="big")
    if sharded:
        serializer = ShardingCodec(chunk_shape=(3, 7), codecs=[BytesCodec(endian="big"), ZstdCodec()])
        arr = zarr.create_array(store, name="a", shape=data.shape, dtype=dtype, chunks=(6, 7), serializer=serializer, compressors=None)
    else:
        arr = zarr.create_array(store, name="a", shape=data.shape, dtype=dtype, chunks=(4, 4), serializer=serializer)
    arr[...] = data
    meta = json.loads((root / "a" / "zarr.json").read_text())
    assert "big" in json.dumps(meta["codecs"])
    with open_container(root) as dc:
        za = check(dc, "a", data)
        assert za.dtype.isnative


@pytest.mark.parametrize("location", ["start", "end"])
@pytest.mark.parametrize("index_codecs", ["crc32c", "plain"])
def test_shard_index_location_and_codecs(tmp_path: Path, location: str, index_codecs: str) -> None:
    root, store = new_store(tmp_path)
    data = sample("uint16", (3, 17, 21), seed=3)
    idx = [BytesCodec(), Crc32cCodec()] if index_codecs == "crc32c" else [BytesCodec()]
    sharding = ShardingCodec(chunk_shape=(1, 4, 4), codecs=[BytesCodec(), BloscCodec()], index_codecs=idx, index_location=location)
    arr = zarr.create_array(store, name="a", shape=data.shape, dtype=data.dtype, chunks=(3, 8, 8), serializer=sharding, compressors=None)
    arr[...] = data
    with open_container(root) as dc:
        check(dc, "a", data, regions=[(slice(1, 2), slice(5, 16), slice(0, 21))])


def test_partial_shards_and_empty_inner_chunks(tmp_path: Path) -> None:
    root, store = new_store(tmp_path)
    arr = zarr.create_array(store, name="a", shape=(20, 20), dtype="int16", chunks=(4, 4), shards=(8, 8),
                            compressors=ZstdCodec(), fill_value=-5)
    expected = np.full((20, 20), -5, dtype="int16")
    expected[2:6, 9:11] = 3  # touches 2 inner chunks of one shard
    expected[17:20, 17:20] = 9  # edge shard, edge inner chunk
    arr[2:6, 9:11] = 3
    arr[17:20, 17:20] = 9
    shards = sorted(p.relative_to(root / "a").as_posix() for p in (root / "a" / "c").rglob("*") if p.is_file())
    assert shards == ["c/0/1", "c/2/2"]
    with open_container(root) as dc:
        za = check(dc, "a", expected, regions=[(slice(0, 9), slice(7, 13))])
        np.testing.assert_array_equal(za.read_chunk((0, 0)), np.full((4, 4), -5, dtype="int16"))
        np.testing.assert_array_equal(za.read_chunk((4, 4)), expected[16:20, 16:20])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("zarr_format", [2, 3])
def test_nan_fill_value(tmp_path: Path, dtype: str, zarr_format: int) -> None:
    root, store = new_store(tmp_path, zarr_format)
    arr = zarr.create_array(store, name="a", shape=(6, 6), dtype=dtype, chunks=(3, 3), fill_value=np.nan, zarr_format=zarr_format)
    arr[0:3, 0:3] = 1.5
    expected = np.full((6, 6), np.nan, dtype=dtype)
    expected[0:3, 0:3] = 1.5
    with open_container(root) as dc:
        za = viewer_array(dc, "a")
        assert np.isnan(za.fill_value)
        np.testing.assert_array_equal(za.read(), expected)  # NaN == NaN for assert_array_equal
        assert np.isnan(za.read_chunk((1, 1))).all()


@pytest.mark.parametrize("separator", [".", "/"])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("compressor", [None, "zlib", "blosc"])
def test_v2_arrays(tmp_path: Path, separator: str, order: str, compressor) -> None:
    import numcodecs

    root, store = new_store(tmp_path, 2)
    data = sample("int16", (11, 13, 5), seed=7)
    comp = {None: None, "zlib": numcodecs.Zlib(level=4), "blosc": numcodecs.Blosc()}[compressor]
    arr = zarr.create_array(store, name="a", shape=data.shape, dtype=data.dtype, chunks=(4, 5, 5), zarr_format=2,
                            compressors=comp, order=order,
                            chunk_key_encoding={"name": "v2", "separator": separator})
    arr[...] = data
    meta = json.loads((root / "a" / ".zarray").read_text())
    assert meta["order"] == order and meta.get("dimension_separator", ".") == separator
    key = "a/0/0/0" if separator == "/" else "a/0.0.0"
    assert (root / key).is_file()
    with open_container(root) as dc:
        check(dc, "a", data, regions=[(slice(3, 9), slice(4, 6), slice(0, 5))])


@pytest.mark.parametrize("dtype", [">u2", "<i4", "|b1", ">f8", "|u1"])
def test_v2_dtypes(tmp_path: Path, dtype: str) -> None:
    root, store = new_store(tmp_path, 2)
    data = sample(np.dtype(dtype).newbyteorder("=").name, (7, 9), seed=1).astype(dtype)
    arr = zarr.create_array(store, name="a", shape=data.shape, dtype=data.dtype, chunks=(3, 4), zarr_format=2)
    arr[...] = data
    with open_container(root) as dc:
        za = viewer_array(dc, "a")
        got = za.read()
        assert got.dtype.isnative
        np.testing.assert_array_equal(got, data.astype(data.dtype.newbyteorder("=")))


@pytest.mark.parametrize("encoding", [
    {"name": "default", "separator": "."},
    {"name": "v2", "separator": "."},
    {"name": "v2", "separator": "/"},
])
def test_v3_chunk_key_encodings(tmp_path: Path, encoding) -> None:
    root, store = new_store(tmp_path)
    data = sample("uint8", (10, 10))
    arr = zarr.create_array(store, name="a", shape=data.shape, dtype=data.dtype, chunks=(3, 3), chunk_key_encoding=encoding)
    arr[...] = data
    with open_container(root) as dc:
        check(dc, "a", data)


@pytest.mark.parametrize("order", [(1, 0, 2), (2, 1, 0), (0, 1, 2)])
@pytest.mark.parametrize("sharded", [False, True])
def test_transpose_codec(tmp_path: Path, order, sharded: bool) -> None:
    root, store = new_store(tmp_path)
    data = sample("uint16", (5, 6, 7), seed=11)
    if sharded:
        sharding = ShardingCodec(chunk_shape=(2, 3, 7), codecs=[TransposeCodec(order=order), BytesCodec(), GzipCodec()])
        arr = zarr.create_array(store, name="a", shape=data.shape, dtype=data.dtype, chunks=(4, 6, 7), serializer=sharding, compressors=None)
    else:
        arr = zarr.create_array(store, name="a", shape=data.shape, dtype=data.dtype, chunks=(2, 3, 4), filters=[TransposeCodec(order=order)])
    arr[...] = data
    with open_container(root) as dc:
        check(dc, "a", data, regions=[(slice(1, 4), slice(2, 5), slice(0, 7))])


def test_same_pixels_from_zip_and_directory(tmp_path: Path) -> None:
    root, store = new_store(tmp_path)
    data = sample("uint16", (33, 47), seed=5)
    arr = zarr.create_array(store, name="a", shape=data.shape, dtype=data.dtype, chunks=(8, 8), shards=(16, 16), compressors=ZstdCodec())
    arr[...] = data
    packed = pack(root, tmp_path / "img.ozx")
    with open_container(root) as dc, open_container(packed) as zc:
        a, b = viewer_array(dc, "a"), viewer_array(zc, "a")
        np.testing.assert_array_equal(a.read(), data)
        np.testing.assert_array_equal(b.read(), data)
        region = (slice(5, 30), slice(7, 41))
        np.testing.assert_array_equal(b.read(region, threads=2), a.read(region, threads=1))


def test_zero_dimensional_and_empty_regions(tmp_path: Path) -> None:
    root, store = new_store(tmp_path)
    arr = zarr.create_array(store, name="a", shape=(5, 5), dtype="uint8", chunks=(2, 2))
    arr[...] = 4
    with open_container(root) as dc:
        za = viewer_array(dc, "a")
        assert za.read((slice(3, 3), slice(0, 5))).shape == (0, 5)
        assert za.read((slice(4, 2), slice(0, 5))).shape == (0, 5)
        with pytest.raises(OzxError):
            za.read((slice(0, 5, 2), slice(0, 5)))
        with pytest.raises(OzxError):
            za.read_chunk((3, 0))
        with pytest.raises(OzxError):
            za.read((slice(0, 5),))


def test_threads_equal_one_thread_on_many_chunks(tmp_path: Path) -> None:
    root, store = new_store(tmp_path)
    data = sample("float32", (64, 64), seed=2)
    arr = zarr.create_array(store, name="a", shape=data.shape, dtype=data.dtype, chunks=(5, 7), shards=(10, 14), compressors=BloscCodec())
    arr[...] = data
    with open_container(root) as dc:
        za = viewer_array(dc, "a")
        rng = np.random.default_rng(0)
        for _ in range(10):
            y0, x0 = rng.integers(0, 60, 2)
            region = (slice(int(y0), int(y0 + rng.integers(1, 64 - y0 + 1))), slice(int(x0), int(x0 + rng.integers(1, 64 - x0 + 1))))
            np.testing.assert_array_equal(za.read(region, threads=4), za.read(region, threads=1))
            np.testing.assert_array_equal(za.read(region, threads=2), data[region])
