"""Hostile files, class 1: decompression is bounded by the size the chunk must decode to.

Every crafted chunk below announces (or inflates to) far more than its 256×256 uint16 chunk
(128 KiB) can hold; each becomes one error for that chunk, in bounded time and memory measured in
a fresh process, and the image itself still opens."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

from viewer.errors import OzxError
from viewer.ome import bounded_decode

from .hostile_files import (
    CHUNK, blosc_claiming, gzip_bomb, image_zip, set_entry_sizes, sharded_zip, zstd_bomb, zstd_codecs,
    zstd_without_content_size,
)
from .hostile_probe import probe

BOMB = 100 << 20  # what the crafted streams inflate to (the chunk needs 128 KiB; compressed, they fit)
NEED = CHUNK[0] * CHUNK[1] * 2


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hostile-decompression")


def _gzip_codecs():
    return [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "gzip", "configuration": {"level": 5}}]


def _blosc_codecs():
    return [{"name": "bytes", "configuration": {"endian": "little"}},
            {"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5, "shuffle": "shuffle", "typesize": 2, "blocksize": 0}}]


CASES = {
    "gzip-bomb": (lambda p: image_zip(p, gzip_bomb(BOMB), _gzip_codecs()), "more than the 131072 bytes"),
    "zstd-declares-huge": (lambda p: image_zip(p, zstd_bomb(BOMB), zstd_codecs()), "more than the 131072 bytes"),
    "zstd-no-content-size": (lambda p: image_zip(p, zstd_bomb(BOMB, with_content_size=False), zstd_codecs()),
                             "does not decode to the 131072 bytes"),
    "blosc-claims-1GiB": (lambda p: image_zip(p, blosc_claiming(1 << 30), _blosc_codecs()), "more than the 131072 bytes"),
    "zip-deflated-chunk-bomb": (lambda p: image_zip(p, bytes(BOMB // 4), method=8), "more than the"),
    "zip-deflated-claims-3GiB": (lambda p: set_entry_sizes(image_zip(p, bytes(NEED), method=8), "0/c/0/0", usize=3 << 30),
                                 "more than the"),
    "shard-index-wraps": (lambda p: sharded_zip(p, [(2**64 - 16, 32)] * 4), "points past its end"),
    "shard-index-outside": (lambda p: sharded_zip(p, [(10**12, 100), (0, 64), (0, 64), (0, 64)]), "points past its end"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_chunk_is_one_tile_error(folder: Path, case: str) -> None:
    build, words = CASES[case]
    path = build(folder / f"{case}.ozx")
    outcome = probe("tiles", path)
    outcome.assert_bounded()
    assert outcome.message is not None and words in outcome.message, outcome.message
    assert not outcome.message.startswith("open:"), "the image itself must still open"


@pytest.mark.parametrize("case", ["gzip-bomb", "zip-deflated-claims-3GiB", "shard-index-wraps"])
def test_viewer_prepares_a_message_or_the_image(folder: Path, case: str) -> None:
    path = CASES[case][0](folder / f"prepare-{case}.ozx")
    outcome = probe("prepare", path)
    outcome.assert_bounded()  # the first tiles fail; the image is still prepared (message None)
    assert outcome.message is None


def test_deflated_metadata_claiming_3GiB_is_refused(folder: Path) -> None:
    path = image_zip(folder / "meta.ozx", bytes(NEED))
    path = set_entry_sizes(path, "0/zarr.json", usize=3 << 30)
    outcome = probe("info", path)
    outcome.assert_bounded()
    assert outcome.code == 2 and "too large to be metadata" in outcome.stderr


def test_nested_sharding_is_refused(folder: Path) -> None:
    inner = {"name": "sharding_indexed", "configuration": {"chunk_shape": [128, 128]}}
    codecs = [{"name": "sharding_indexed", "configuration": {"chunk_shape": [256, 256], "codecs": [inner]}}]
    path = image_zip(folder / "nested.ozx", b"", codecs, shape=(512, 512), chunks=(512, 512))
    outcome = probe("info", path)
    outcome.assert_bounded()
    assert outcome.code == 2 and "nested sharding is not supported" in outcome.stderr


# ---- the bounded decoders themselves (in process) ---------------------------------------------
def test_inflate_stops_at_the_limit() -> None:
    bomb = zlib.compress(bytes(64 << 20))
    with pytest.raises(OzxError, match="more than the 1000 bytes"):
        bounded_decode.inflate(bomb, 1000)
    assert bounded_decode.inflate(zlib.compress(b"abc"), 3) == b"abc"


def test_gzip_reads_every_member_within_the_limit() -> None:
    import gzip

    two = gzip.compress(b"ab") + gzip.compress(b"cd")
    assert bounded_decode.gzip(two, 4) == b"abcd"
    with pytest.raises(OzxError):
        bounded_decode.gzip(two, 3)


def test_zstd_content_size_parsing_matches_real_frames() -> None:
    from numcodecs import zstd

    for size in (0, 1, 255, 256, 300, 65791, 65792, 1 << 20):
        frame = zstd.compress(bytes(size), 1)
        assert bounded_decode.zstd_content_size(frame) == size
        assert bounded_decode.zstd_content_size(zstd_without_content_size(frame)) is None
        assert len(bounded_decode.zstd(zstd_without_content_size(frame), size)) == size


def test_lz4_and_bz2_and_lzma_are_bounded() -> None:
    import bz2
    import lzma

    from numcodecs import lz4

    with pytest.raises(OzxError):
        bounded_decode.lz4(lz4.compress(bytes(1 << 20)), 1000)
    with pytest.raises(OzxError):
        bounded_decode.bz2_(bz2.compress(bytes(1 << 20)), 1000)
    with pytest.raises(OzxError):
        bounded_decode.lzma_({"id": "lzma"})(lzma.compress(bytes(1 << 20)), 1000)
    assert bounded_decode.bz2_(bz2.compress(b"xyz"), 3) == b"xyz"


def test_good_chunks_still_decode_exactly(folder: Path) -> None:
    from numcodecs import zstd

    from viewer.ome import open_document

    values = np.arange(NEED // 2, dtype="<u2").reshape(CHUNK)
    for name, chunk in (("fcs", zstd.compress(values.tobytes(), 3)),
                        ("nofcs", zstd_without_content_size(zstd.compress(values.tobytes(), 3)))):
        doc = open_document(image_zip(folder / f"good-{name}.ozx", chunk, zstd_codecs()))
        try:
            assert np.array_equal(doc.images()[0].levels[0].array.read_chunk((0, 0)), values)
        finally:
            doc.close()
