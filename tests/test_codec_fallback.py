"""Arrays whose codecs the fast path does not know are read through zarr-python, under the same
bounds; codecs that could run code are refused; the store zarr-python reads through never writes."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import zarr
from zarr.codecs.numcodecs import CRC32, Delta, FixedScaleOffset, Shuffle, Zlib, Zstd

from viewer.container import open_container
from viewer.container.ozx_writer import ZipEntry, rfc9_comment, write_zip
from viewer.errors import OzxError
from viewer.ome import open_document
from viewer.ome.zarr_store import ContainerStore

from .hostile_files import gzip_bomb, image_zip, zstd_bomb
from .hostile_probe import probe
from .omezarr_fixtures import axes_for, pack
from .zipfixtures import array_json, group_json, ome_attrs

DATA = (np.arange(300 * 200, dtype="<u2").reshape(300, 200) * 7) % 65521


def write_with_codecs(root: Path, zarr_format: int = 3, **array_kwargs) -> Path:
    """A one-level 0.5 (v3) or 0.4 (v2) image of DATA at `root`, its array written by zarr-python."""
    group = zarr.open_group(str(root), mode="w", zarr_format=zarr_format)
    array = group.create_array("0", shape=DATA.shape, dtype=DATA.dtype, **array_kwargs)
    array[...] = DATA
    multiscale = {"axes": axes_for("yx"), "datasets": [{"path": "0", "coordinateTransformations": [
        {"type": "scale", "scale": [1.0, 1.0]}]}]}
    if zarr_format == 3:
        group.attrs["ome"] = {"version": "0.5", "multiscales": [multiscale]}
    else:
        group.attrs["multiscales"] = [{**multiscale, "version": "0.4"}]
    return root


VARIANTS = {
    "numcodecs-delta-zlib-crc32": dict(chunks=(128, 128), filters=[Delta(dtype="<u2")], compressors=[Zlib(level=1), CRC32()]),
    "numcodecs-shuffle-zstd": dict(chunks=(128, 128), compressors=[Shuffle(elementsize=2), Zstd(level=1)]),
    "sharded-inner-numcodecs": dict(chunks=(64, 64), shards=(128, 128), filters=[Delta(dtype="<u2")], compressors=[Zstd(level=1)]),
    "numcodecs-fixedscaleoffset": dict(chunks=(100, 100), filters=[FixedScaleOffset(offset=0, scale=1, dtype="<u2")],
                                       compressors=[Zlib(level=1)]),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_arrays_with_numcodecs_codecs_read_through_zarr_python(tmp_path: Path, variant: str) -> None:
    path = pack(write_with_codecs(tmp_path / "img", **VARIANTS[variant]), tmp_path / f"{variant}.ozx")
    doc = open_document(path)
    try:
        array = doc.images()[0].levels[0].array
        assert array.via_zarr_python
        assert np.array_equal(array.read(), DATA)
        rows, cols = array.chunks
        assert np.array_equal(array.read_chunk((1, 0)), DATA[rows: 2 * rows, :cols])
    finally:
        doc.close()


def test_zarr_v2_filters_outside_the_fast_path(tmp_path: Path) -> None:
    from numcodecs import AsType
    from numcodecs import Zlib as V2Zlib

    small = (DATA % 251).astype("<u2")
    root = tmp_path / "v2"
    group = zarr.open_group(str(root), mode="w", zarr_format=2)
    array = group.create_array("0", shape=small.shape, dtype=small.dtype, chunks=(128, 128),
                               filters=[AsType(encode_dtype="|u1", decode_dtype="<u2")], compressors=V2Zlib(level=1))
    array[...] = small
    group.attrs["multiscales"] = [{"version": "0.4", "axes": axes_for("yx"), "datasets": [
        {"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1.0, 1.0]}]}]}]
    doc = open_document(root)
    try:
        level = doc.images()[0].levels[0].array
        assert level.via_zarr_python and np.array_equal(level.read(), small)
    finally:
        doc.close()


def test_the_fast_path_stays_for_the_common_codecs(tmp_path: Path) -> None:
    path = pack(write_with_codecs(tmp_path / "img", chunks=(128, 128)), tmp_path / "plain.ozx")
    doc = open_document(path)
    try:
        array = doc.images()[0].levels[0].array
        assert not array.via_zarr_python and np.array_equal(array.read(), DATA)
    finally:
        doc.close()


def test_info_and_thumbnail_of_a_fallback_file(tmp_path: Path) -> None:
    from viewer.cli import main

    path = pack(write_with_codecs(tmp_path / "img", **VARIANTS["numcodecs-delta-zlib-crc32"]), tmp_path / "f.ozx")
    assert main(["info", str(path), "--json"]) == 0
    assert main(["thumbnail", str(path), str(tmp_path / "t.png"), "-s", "64"]) == 0
    assert (tmp_path / "t.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---- the same bounds as the fast path ----------------------------------------------------------
def _numcodecs(name: str) -> list[dict]:
    return [{"name": "numcodecs.delta", "configuration": {"dtype": "<u2"}},
            {"name": "bytes", "configuration": {"endian": "little"}}, {"name": f"numcodecs.{name}", "configuration": {}}]


BOMBS = {
    "numcodecs-gzip-bomb": (lambda p: image_zip(p, gzip_bomb(100 << 20), _numcodecs("gzip")), "more than the"),
    "numcodecs-zstd-no-size": (lambda p: image_zip(p, zstd_bomb(100 << 20, with_content_size=False), _numcodecs("zstd")),
                               "does not decode to the"),
    "stored-chunk-too-large": (lambda p: image_zip(p, bytes(4 << 20), _numcodecs("zlib")), "more than the"),
}


@pytest.mark.parametrize("case", sorted(BOMBS))
def test_fallback_decoding_is_bounded_like_the_fast_path(tmp_path: Path, case: str) -> None:
    build, words = BOMBS[case]
    outcome = probe("tiles", build(tmp_path / f"{case}.ozx"))
    outcome.assert_bounded()
    assert outcome.message is not None and words in outcome.message, outcome.message
    assert not outcome.message.startswith("open:")


def test_a_chunk_of_the_wrong_shape_is_a_tile_error(tmp_path: Path) -> None:
    import zlib

    path = image_zip(tmp_path / "short.ozx", zlib.compress(bytes(1000)), _numcodecs("zlib"))
    doc = open_document(path)
    try:
        with pytest.raises(OzxError, match=r"chunk \(0, 0\): a chunk is corrupt"):
            doc.images()[0].levels[0].array.read_chunk((0, 0))
    finally:
        doc.close()


# ---- codecs that could run code; codecs nobody knows ----------------------------------------
class _Marker:
    def __reduce__(self):
        return (Path.write_text, (Path(_Marker.target), "pwned"))


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_pickle_codecs_are_refused_and_never_run(tmp_path: Path, zarr_format: int) -> None:
    _Marker.target = str(tmp_path / "ran")
    payload = pickle.dumps(np.array([_Marker()], dtype=object))
    if zarr_format == 3:
        codecs = [{"name": "bytes"}, {"name": "numcodecs.pickle", "configuration": {}}]
        path = image_zip(tmp_path / "p.ozx", payload, codecs, shape=(1, 1), chunks=(1, 1), data_type="uint8")
    else:
        path = _v2_folder(tmp_path / "p2", {"id": "pickle"}, payload)
    outcome = probe("info", path)
    assert outcome.code == 2 and "can run code from the file; refused" in outcome.stderr, outcome.stderr
    assert not (tmp_path / "ran").exists()


def _v2_folder(root: Path, compressor: dict, chunk: bytes) -> Path:
    (root / "0").mkdir(parents=True)
    (root / ".zgroup").write_text('{"zarr_format": 2}')
    (root / ".zattrs").write_text(json.dumps({"multiscales": [{"version": "0.4", "axes": axes_for("yx"), "datasets": [
        {"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1.0, 1.0]}]}]}]}))
    (root / "0" / ".zarray").write_text(json.dumps({"zarr_format": 2, "shape": [1, 1], "chunks": [1, 1], "dtype": "|u1",
                                                    "compressor": compressor, "fill_value": 0, "order": "C", "filters": None}))
    (root / "0" / "0.0").write_bytes(chunk)
    return root


def test_a_codec_zarr_python_does_not_know_either_is_one_clear_line(tmp_path: Path) -> None:
    path = image_zip(tmp_path / "foo.ozx", b"", [{"name": "bytes"}, {"name": "acme.magic", "configuration": {}}])
    outcome = probe("info", path)
    outcome.assert_bounded()
    assert outcome.code == 2
    (line,) = outcome.stderr.strip().splitlines()
    assert "the codec 'acme.magic' is not supported, and zarr-python cannot read it either" in line


# ---- the store zarr-python reads through ---------------------------------------------------------
def test_the_store_is_read_only_and_bounded(tmp_path: Path) -> None:
    path = image_zip(tmp_path / "s.ozx", bytes(4096), shape=(64, 64), chunks=(64, 64), data_type="uint8")
    before = path.read_bytes()
    container = open_container(path)
    try:
        store = ContainerStore(container, "0", limit=1000)
        with pytest.raises(Exception, match="read-only|only ever read"):
            zarr.open_array(store=store, mode="r+", zarr_format=3)[0, 0] = 1
        with pytest.raises(OzxError, match="more than the 1000"):
            zarr.open_array(store=store, mode="r", zarr_format=3)[...]
        assert zarr.open_array(store=ContainerStore(container, "0", limit=4096), mode="r")[...].shape == (64, 64)
        from zarr.core.buffer import default_buffer_prototype
        from zarr.core.sync import sync

        with pytest.raises(OzxError, match="not a safe relative path"):
            sync(store.get("../zarr.json", default_buffer_prototype()))
        with pytest.raises(OzxError, match="listing"):
            sync(_first(store.list()))
    finally:
        container.close()
    assert path.read_bytes() == before


async def _first(iterator):
    async for item in iterator:
        return item


def test_metadata_through_the_store_is_capped(tmp_path: Path) -> None:
    meta = json.loads(array_json([4, 4], [4, 4], codecs=_numcodecs("zlib"), data_type="uint16"))
    meta["attributes"] = {"padding": "x" * (17 << 20)}
    entries = [ZipEntry("zarr.json", group_json(ome_attrs(["0"]))), ZipEntry("0/zarr.json", json.dumps(meta).encode())]
    write_zip(tmp_path / "big.ozx", entries, comment=rfc9_comment())
    outcome = probe("info", tmp_path / "big.ozx")
    outcome.assert_bounded()
    assert outcome.code == 2 and "\n" not in outcome.stderr.strip()


# ---- a third-party codec registered with zarr-python -----------------------------------------
def _register_acme_codecs() -> None:
    """'acme.inflate' (zlib, decoded by the codec itself: no bound of ours) and 'acme.sleepy'
    (never finishes in time), as a package would register its codecs with zarr-python."""
    import asyncio
    import zlib
    from dataclasses import dataclass

    from zarr.abc.codec import BytesBytesCodec
    from zarr.registry import register_codec

    @dataclass(frozen=True)
    class Inflate(BytesBytesCodec):
        is_fixed_size = False

        @classmethod
        def from_dict(cls, data):
            return cls()

        def to_dict(self):
            return {"name": "acme.inflate"}

        async def _decode_single(self, chunk_bytes, chunk_spec):
            return chunk_spec.prototype.buffer.from_bytes(zlib.decompress(chunk_bytes.to_bytes()))

        async def _encode_single(self, chunk_bytes, chunk_spec):
            return chunk_spec.prototype.buffer.from_bytes(zlib.compress(chunk_bytes.to_bytes()))

        def compute_encoded_size(self, input_byte_length, chunk_spec):
            raise NotImplementedError

    @dataclass(frozen=True)
    class Sleepy(Inflate):
        def to_dict(self):
            return {"name": "acme.sleepy"}

        async def _decode_single(self, chunk_bytes, chunk_spec):
            await asyncio.sleep(60)

    register_codec("acme.inflate", Inflate)
    register_codec("acme.sleepy", Sleepy)


def test_a_third_party_codec_is_read_and_its_output_checked(tmp_path: Path) -> None:
    import zlib

    _register_acme_codecs()
    codecs = [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "acme.inflate"}]
    good = image_zip(tmp_path / "acme.ozx", zlib.compress(DATA[:256, :200].tobytes()), codecs,
                     shape=(256, 200), chunks=(256, 200))
    bomb = image_zip(tmp_path / "bomb.ozx", zlib.compress(bytes(8 << 20)), codecs, shape=(256, 200), chunks=(256, 200))
    for path, expected in ((good, DATA[:256, :200]), (bomb, None)):
        doc = open_document(path)
        try:
            array = doc.images()[0].levels[0].array
            assert array.via_zarr_python
            if expected is not None:
                assert np.array_equal(array.read_chunk((0, 0)), expected)
            else:
                with pytest.raises(OzxError, match="decompresses to more than the"):
                    array.read_chunk((0, 0))
        finally:
            doc.close()


def test_a_codec_that_never_finishes_is_given_up(tmp_path: Path, monkeypatch) -> None:
    import time

    from viewer.ome import zarr_fallback

    _register_acme_codecs()
    monkeypatch.setattr(zarr_fallback, "CHUNK_TIMEOUT_S", 0.3)
    path = image_zip(tmp_path / "sleepy.ozx", b"x", [{"name": "bytes"}, {"name": "acme.sleepy"}], shape=(4, 4), chunks=(4, 4))
    doc = open_document(path)
    try:
        started = time.perf_counter()
        with pytest.raises(OzxError, match="'acme.sleepy' took more than 0.3 s on one chunk; given up"):
            doc.images()[0].levels[0].array.read_chunk((0, 0))
        assert time.perf_counter() - started < 2
    finally:
        doc.close()
